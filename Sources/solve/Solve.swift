import ArgumentParser
import Foundation
import LinSolve

/// `solve`: solve sparse linear systems stored in Matrix Market files.
///
/// Exit status: 0 solved, 1 not converged (the result is still written), 2 bad input
/// (one line on standard error naming the file and, for a malformed file, the line).
@main
struct Solve: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "solve",
    abstract: "Solve sparse linear systems Ax = b from Matrix Market files.",
    discussion: """
      Exit status: 0 solved, 1 not converged (the result is still written), 2 bad input.
      Without a right-hand side file, b = A·1 is used (so the exact solution is all ones).
      """,
    subcommands: [SolveSystem.self, SolveSequence.self],
    defaultSubcommand: SolveSystem.self)

  /// Runs the command and maps every failure to the documented exit codes, with a single
  /// line on standard error (never a stack trace).
  static func main() {
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch let exit as ExitCode {
      Foundation.exit(exit.rawValue)
    } catch let failure as CLIFailure {
      failure.report()
      Foundation.exit(failure.exitCode)
    } catch {
      let code = exitCode(for: error)
      if code == .success {  // --help, --version
        self.exit(withError: error)
      }
      CLIFailure.badInput(fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)").report()
      Foundation.exit(2)
    }
  }
}

/// A failure the CLI reports as one line with a documented exit code.
enum CLIFailure: Error {
  case badInput(String)
  case notConverged(String)

  var exitCode: Int32 {
    switch self {
    case .badInput: 2
    case .notConverged: 1
    }
  }

  func report() {
    switch self {
    case .badInput(let message): standardError("solve: error: \(message)")
    case .notConverged(let message): standardError("solve: not converged: \(message)")
    }
  }

  /// Wraps a library error as bad input, naming the file it concerns when there is one.
  static func wrap(_ error: any Error, file: String? = nil) -> CLIFailure {
    if let failure = error as? CLIFailure { return failure }
    if let mm = error as? MatrixMarketError { return .badInput(mm.description) }
    let prefix = file.map { "\($0): " } ?? ""
    return .badInput(prefix + "\(error)")
  }
}

/// Writes one line to standard error.
func standardError(_ line: String) {
  FileHandle.standardError.write((line + "\n").data(using: .utf8)!)
}
