import Foundation

/// Runs the built `solve` executable and captures its output.
struct CLIRun {
  var status: Int32
  var stdout: String
  var stderr: String

  /// The JSON object printed on standard output.
  func json() throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
    guard let dict = object as? [String: Any] else { throw CLIRunnerError.notAnObject(stdout) }
    return dict
  }
}

enum CLIRunnerError: Error {
  case notAnObject(String)
  case missingExecutable(String)
}

enum CLI {
  /// The package root (for Data/ files).
  static let root: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// The `solve` binary next to the test bundle.
  static func executable() throws -> URL {
    let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    let candidate = me.deletingLastPathComponent().appendingPathComponent("solve")
    guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
      throw CLIRunnerError.missingExecutable(candidate.path)
    }
    return candidate
  }

  /// Path of a file in Data/.
  static func data(_ name: String) -> String { root.appendingPathComponent("Data/\(name)").path }

  /// Runs `solve` with the arguments, in the package root, with `environment` added to this
  /// process's environment.
  static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> CLIRun {
    let process = Process()
    process.executableURL = try executable()
    process.arguments = arguments
    if !environment.isEmpty {
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    process.currentDirectoryURL = root
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read before waiting so a large output cannot block the child.
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CLIRun(
      status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }

  /// A fresh temporary directory.
  static func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("linsolve-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  /// Writes `text` to a file in a temporary directory and returns its path.
  static func file(_ name: String, _ text: String) throws -> String {
    let url = try temporaryDirectory().appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
  }
}
