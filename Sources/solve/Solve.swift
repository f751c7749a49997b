import ArgumentParser
import Foundation
import LinSolve

/// `solve`: solve sparse linear systems stored in Matrix Market files.
///
/// `solve A.mtx [b.mtx] [options]` solves one system (``SolveSystem``, the default subcommand,
/// whose options `solve --help` shows); `solve sequence …` solves a sequence. `solve system …`
/// is the first form spelled out.
///
/// Exit status: 0 solved, 1 not converged (the result is still written), 2 bad input
/// (one line on standard error naming the file and, for a malformed file, the line; with
/// `--json` also `{"error", "file", "line"}` on standard output), 130 interrupted (Ctrl-C).
@main
struct Solve: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "solve",
    abstract: SolveSystem.configuration.abstract,
    discussion: SolveSystem.configuration.discussion,
    version: LinSolve.version,
    subcommands: [SolveSystem.self, SolveSequence.self],
    defaultSubcommand: SolveSystem.self)

  /// Whether `arguments` ask for the help of one solve (`solve --help`, `solve -h`,
  /// `solve help`): answered with ``SolveSystem``'s help, whose options are what a user of
  /// `solve A.mtx` types, instead of a list of subcommands.
  static func asksForSolveHelp(_ arguments: [String]) -> Bool {
    guard let first = arguments.first, first != SolveSequence.configuration.commandName else { return false }
    if first == "help" { return arguments.count == 1 }
    return arguments.prefix { $0 != "--" }.contains { $0 == "--help" || $0 == "-h" }
  }

  /// Runs the command and maps every failure to the documented exit codes, with a single
  /// line on standard error (never a stack trace) and, with `--json`, a JSON error object on
  /// standard output.
  static func main() {
    let arguments = Array(CommandLine.arguments.dropFirst())
    let json = CLIFailure.wantsJSON(arguments)
    let speaks = (Engine.launcherRank ?? 0) == 0  // under mpirun every rank parses the same line: rank 0 reports
    guard !arguments.isEmpty && !asksForSolveHelp(arguments) else {
      print(helpMessage(for: SolveSystem.self))
      Foundation.exit(0)
    }
    do {
      try ThreadSetting.applyEnvironment()
      var command = try parseAsRoot(arguments)
      try command.run()
    } catch let exit as ExitCode {
      Foundation.exit(exit.rawValue)
    } catch let failure as CLIFailure {
      if speaks { failure.report(json: json, arguments: arguments) }
      Foundation.exit(failure.exitCode)
    } catch {
      if exitCode(for: error) == .success {  // --help, --version
        self.exit(withError: error)
      }
      if speaks { CLIFailure.badInput(CLIFailure.oneLine(message(for: error))).report(json: json, arguments: arguments) }
      Foundation.exit(2)
    }
  }
}

/// Writes one line to standard error.
func standardError(_ line: String) {
  FileHandle.standardError.write((line + "\n").data(using: .utf8)!)
}
