import Foundation
import LinSolve
import Testing

/// The files a new user reads before the code: `make help`, the licence, the changelog.
@Suite("Project files")
struct ProjectFilesTests {
  /// The targets declared `.PHONY` in the Makefile and in the files it includes.
  static func phonyTargets() throws -> Set<String> {
    var targets: Set<String> = []
    for file in ["Makefile", "Benchmarks/bench.mk"] {
      let text = try String(contentsOf: CLI.root.appendingPathComponent(file), encoding: .utf8)
      for line in text.split(separator: "\n") where line.hasPrefix(".PHONY:") {
        targets.formUnion(line.dropFirst(".PHONY:".count).split(separator: " ").map(String.init))
      }
    }
    return targets
  }

  @Test("make help names every target, the benchmarks included")
  func makeHelp() throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["make", "-s", "help"]
    process.currentDirectoryURL = CLI.root
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    let words = Set(text.split { !($0.isLetter || $0.isNumber || $0 == "-") }.map(String.init))
    let targets = try Self.phonyTargets()
    #expect(targets.contains("bench") && targets.contains("test"))
    for target in targets.subtracting(["help"]) {
      #expect(words.contains(target), "make help does not mention \(target)")
    }
  }

  @Test("LICENSE is MIT; CHANGELOG.md follows Keep a Changelog with the library's version on top")
  func licenceAndChangelog() throws {
    let licence = try String(contentsOf: CLI.root.appendingPathComponent("LICENSE"), encoding: .utf8)
    #expect(licence.hasPrefix("MIT License"))
    #expect(licence.contains("LinSolve contributors"))
    let changelog = try String(contentsOf: CLI.root.appendingPathComponent("CHANGELOG.md"), encoding: .utf8)
    #expect(changelog.contains("Keep a Changelog"))
    let releases = changelog.split(separator: "\n").filter { $0.hasPrefix("## [") && !$0.hasPrefix("## [Unreleased]") }
    #expect(releases.first?.hasPrefix("## [\(LinSolve.version)]") == true)
    #expect(releases.count >= 2)
  }
}
