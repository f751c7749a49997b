import LinSolve

/// Refuses, before anything is read or solved, an output path that names an input file or
/// another output (issue 13): `--output A.mtx` would replace the matrix, `--output` and
/// `--history` on one path would leave the CSV where the solution was promised.
///
/// Paths are compared with ``OutputFile/sameFile(_:_:)``: resolved paths (symlinks, `./` and
/// `..` forms) and, for existing files, device and inode (hard links). A shared file that is
/// a device, FIFO or socket (`/dev/null`, `/dev/stdout` on a pipe) is allowed: it is written
/// into, not replaced, so nothing is destroyed.
enum OutputPaths {
  /// A file named on the command line, and how to call it in a message.
  struct Named {
    /// E.g. `--output`, `the matrix`.
    var role: String
    var path: String
  }

  /// Throws ``CLIFailure/badInput(_:)`` (exit 2) naming both paths when an output is the
  /// same file as an input or as an earlier output.
  static func check(outputs: [Named], inputs: [Named]) throws {
    for (k, output) in outputs.enumerated() {
      for input in inputs where collide(output.path, input.path) {
        throw CLIFailure.badInput(
          "\(output.role) \(output.path) is the same file as \(input.role) \(input.path); refusing to overwrite an input")
      }
      for other in outputs[..<k] where collide(output.path, other.path) {
        throw CLIFailure.badInput(
          "\(output.role) \(output.path) is the same file as \(other.role) \(other.path); refusing to write two outputs to one file")
      }
    }
  }

  private static func collide(_ a: String, _ b: String) -> Bool {
    OutputFile.sameFile(a, b) && !OutputFile.isStream(a)
  }
}

extension SolveSystem {
  /// `--output` and `--history` must not be the matrix, the right-hand side, `--x0`, or
  /// each other.
  func checkOutputPaths() throws {
    var inputs = [OutputPaths.Named(role: "the matrix", path: matrix)]
    if let rhs { inputs.append(.init(role: "the right-hand side", path: rhs)) }
    if let x0 { inputs.append(.init(role: "the initial guess --x0", path: x0)) }
    var outputs: [OutputPaths.Named] = []
    if let output { outputs.append(.init(role: "--output", path: output)) }
    if let history { outputs.append(.init(role: "--history", path: history)) }
    try OutputPaths.check(outputs: outputs, inputs: inputs)
  }
}

extension SolveSequence {
  /// `--state` must not be one of the matrices, the right-hand sides or the `--context` file.
  func checkOutputPaths() throws {
    guard let state else { return }
    var inputs = matrices.map { OutputPaths.Named(role: "the matrix", path: $0) }
    inputs += rhs.map { OutputPaths.Named(role: "the right-hand side", path: $0) }
    if let context { inputs.append(.init(role: "the --context file", path: context)) }
    try OutputPaths.check(outputs: [.init(role: "--state", path: state)], inputs: inputs)
  }
}
