import ArgumentParser
import Foundation
import LinSolve

/// A failure the CLI reports as one line with a documented exit code.
enum CLIFailure: Error {
  case badInput(String)
  case notConverged(String)
  /// Ctrl-C stopped the solve (exit 130, as shells expect of SIGINT); the iterate was written.
  case interrupted(String)

  var exitCode: Int32 {
    switch self {
    case .badInput: 2
    case .notConverged: 1
    case .interrupted: 130
    }
  }

  /// One line on standard error (`solve: error: …`); for bad input with `--json`, also
  /// ``ErrorReport`` on standard output. The file and line are the ones the message starts
  /// with (`path:line: reason` or `path: reason`) when `path` is an argument of the command.
  func report(json: Bool, arguments: [String]) {
    switch self {
    case .badInput(let message):
      standardError("solve: error: \(message)")
      if json { print(jsonLine(ErrorReport(message, arguments: arguments))) }
    case .notConverged(let message): standardError("solve: not converged: \(message)")
    case .interrupted(let message): standardError("solve: \(message)")
    }
  }

  /// Under `mpirun`: rank 0 writes the report now (and flushes it), before `MPI_Finalize`; after a
  /// failure every rank agreed on, the caller waits at a barrier so that no rank exits — and
  /// `mpirun` ends the job — before the line is out. Every rank exits with the failure's status.
  func reportedByRoot(isRoot: Bool) -> ExitCode {
    if isRoot {
      let arguments = Array(CommandLine.arguments.dropFirst())
      report(json: Self.wantsJSON(arguments), arguments: arguments)
      fflush(nil)  // every output stream: the JSON report on standard output
    }
    return ExitCode(exitCode)
  }

  /// Wraps a library error as bad input, naming the file it concerns when there is one.
  static func wrap(_ error: any Error, file: String? = nil) -> CLIFailure {
    if let failure = error as? CLIFailure { return failure }
    if let mm = error as? MatrixMarketError { return .badInput(mm.description) }
    let prefix = file.map { "\($0): " } ?? ""
    return .badInput(prefix + "\(error)")
  }

  /// Whether the command line asks for `--json` (looked for before parsing, so that a
  /// command line that does not parse still gets a JSON error).
  static func wantsJSON(_ arguments: [String]) -> Bool {
    arguments.prefix { $0 != "--" }.contains("--json")
  }

  /// An argument parser's message on one line: a list of valid values (one `- value` per
  /// line) is joined with commas, usage and help hints are dropped.
  static func oneLine(_ message: String) -> String {
    var lines = message.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    lines.removeAll { $0.isEmpty || $0.hasPrefix("Usage:") || $0.hasPrefix("Help:") || $0.hasPrefix("See '") }
    guard let first = lines.first else { return message }
    let values = lines.dropFirst().map { $0.hasPrefix("- ") ? String($0.dropFirst(2)) : $0 }
    if first.hasSuffix("Please provide one of the following:") {
      return first.replacingOccurrences(of: "Please provide one of the following:", with: "Valid values:")
        + " " + values.joined(separator: ", ")
    }
    return ([first] + values).joined(separator: " ")
  }
}

/// What `solve --json` prints on standard output for an error (exit 2): the reason, and the
/// file and 1-based line it concerns (`null` when none applies).
struct ErrorReport: Encodable {
  var error: String
  var file: String?
  var line: Int?

  /// Splits `path:line: reason` or `path: reason`, where `path` is one of `arguments`.
  init(_ message: String, arguments: [String]) {
    error = message
    let candidates = arguments.filter { !$0.isEmpty && message.hasPrefix($0 + ":") }
    guard let path = candidates.max(by: { $0.count < $1.count }) else { return }
    file = path
    var rest = message.dropFirst(path.count + 1)
    let digits = rest.prefix { $0.isNumber }
    if !digits.isEmpty, rest.dropFirst(digits.count).hasPrefix(":"), let n = Int(digits) {
      line = n
      rest = rest.dropFirst(digits.count + 1)
    }
    error = rest.trimmingCharacters(in: .whitespaces)
  }

  func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(error, forKey: .error)
    try c.encode(file, forKey: .file)  // null, not absent, when unknown
    try c.encode(line, forKey: .line)
  }

  private enum CodingKeys: String, CodingKey { case error, file, line }
}
