import Foundation
import Testing

/// Issue 13, classes 3 and 4: numbers from options and state files are range-checked before
/// any arithmetic or allocation; a learner state is only used with the options it was made
/// with; processes sharing a state file lose no rounds.
@Suite("Option ranges and learner state files")
struct StateAndRangeCLITests {
  static var files: [String] { (0..<4).map { CLI.data(String(format: "sequence/shifted_%02d.mtx", $0)) } }

  /// Runs `solve` and expects exit 2 with one error line mentioning `needle`.
  static func expectRefused(_ arguments: [String], mentioning needle: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let run = try CLI.run(arguments)
    #expect(run.status == 2, "\(arguments): exit \(run.status): \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stderr.contains(needle), "\(arguments): \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stderr.split(separator: "\n").filter { $0.hasPrefix("solve: error") }.count == 1,
            "\(run.stderr)", sourceLocation: sourceLocation)
  }

  @Test("Huge or out-of-range sizes from options exit 2 before allocating", arguments: [
    (["--recycle", "4611686018427387904"], "--recycle"),
    (["--recycle", "100000000"], "--recycle"),
    (["--recycle", "101"], "order n = 100"),
    (["--tune", "omega", "--grid", "1:1.9:1000000000000"], "limit of 10000"),
    (["--tune", "omega", "--grid", "0:3:5"], "not in (0, 2)"),
    (["--tune", "omega", "--grid", "1.1,2.5"], "not in (0, 2)"),
    (["--tune", "omega", "--grid", "1.1,nan"], "finite"),
    (["--grid", "1.1,1.2"], "need --tune omega"),
  ])
  func sequenceSizes(options: [String], needle: String) throws {
    try Self.expectRefused(["sequence"] + Self.files + options, mentioning: needle)
  }

  @Test("Sizes above n are capped where the method allows it: GMRES(m ≥ n), Nyström rank, sketch d ≤ m")
  func cappedSizes() throws {
    let matrix = CLI.data("poisson2d_32.mtx")
    let gmres = try CLI.run([matrix, "--method", "gmres", "--restart", "4611686018427387904", "--json"])
    #expect(gmres.status == 0, "\(gmres.stderr)")
    // A tall system for the sketching solvers: --sketch-factor 1e300 means d = m, no overflow.
    var text = "%%MatrixMarket matrix coordinate real general\n40 5 45\n"
    for i in 1...40 { text += "\(i) \((i - 1) % 5 + 1) \(Double(i % 7) + 1)\n" }
    for j in 1...5 { text += "\(j + 5) \(j % 5 + 1) 3\n" }
    let tall = try CLI.file("tall.mtx", text)
    for method in ["sketch-lsqr", "iterative-sketch"] {
      let run = try CLI.run([tall, "--method", method, "--sketch-factor", "1e300"])
      #expect(run.status != 2 && run.status < 3, "\(method): \(run.stderr)")
      #expect(!run.stderr.contains("error"), "\(method): \(run.stderr)")
    }
  }

  @Test("A state is used only with the options it was made with; --reset-state starts anew")
  func stateMismatch() throws {
    let state = try CLI.temporaryDirectory().appendingPathComponent("learner.json").path
    let first = try CLI.run(["sequence"] + Self.files + ["--tune", "omega", "--state", state])
    #expect(first.status == 0, "\(first.stderr)")
    let saved = try String(contentsOfFile: state, encoding: .utf8)

    for (options, needle) in [
      (["--grid", "1.1,1.2"], "--grid 1.1,1.2 here, 1.0:1.95:20 in the state"),
      (["--learner", "binned", "--context", try CLI.file("c.txt", "0 0.1 0.2 0.3\n")], "--learner binned here, tsallis in the state"),
      (["--cost", "seconds"], "--cost seconds here, iterations in the state"),
      (["--method", "ssor"], "--method ssor here, sor in the state"),
      (["--seed", "9"], "--seed 9 here, 1 in the state"),
    ] {
      try Self.expectRefused(["sequence"] + Self.files + ["--tune", "omega", "--state", state] + options, mentioning: needle)
      #expect(try String(contentsOfFile: state, encoding: .utf8) == saved, "a refused run changed the state")
    }

    // Left-out options take the saved values: resuming works and adds rounds.
    let resumed = try CLI.run(["sequence"] + Self.files + ["--tune", "omega", "--state", state, "--json"])
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(try resumed.json()["rounds"] as? Int == 8)

    let reset = try CLI.run(["sequence"] + Self.files + ["--tune", "omega", "--state", state, "--reset-state", "--grid", "1.1,1.2", "--json"])
    #expect(reset.status == 0, "\(reset.stderr)")
    let json = try reset.json()
    #expect(json["rounds"] as? Int == 4)
    let omegas = try #require(json["systems"] as? [[String: Any]]).compactMap { $0["omega"] as? Double }
    #expect(Set(omegas).isSubset(of: [1.1, 1.2]), "\(omegas)")
  }

  @Test("Corrupt state files are refused before they size anything")
  func corruptState() throws {
    let state = try CLI.temporaryDirectory().appendingPathComponent("learner.json").path
    let first = try CLI.run(["sequence"] + Self.files + ["--tune", "omega", "--state", state])
    #expect(first.status == 0, "\(first.stderr)")
    let good = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: state))) as? [String: Any])
    func variant(_ name: String, _ change: (inout [String: Any]) -> Void) throws -> String {
      var tuner = good["tuner"] as! [String: Any]
      change(&tuner)
      var object = good
      object["tuner"] = tuner
      return try CLI.file(name, String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
    }
    let cases = [
      try variant("rounds.json") { $0["rounds"] = Int.max },
      try variant("arms.json") { t in
        var learner = t["tsallisINF"] as! [String: Any]
        learner["arms"] = 1_000_000_000_000
        t["tsallisINF"] = learner
      },
      try variant("innerRounds.json") { t in
        var learner = t["tsallisINF"] as! [String: Any]
        learner["rounds"] = Int.max
        t["tsallisINF"] = learner
      },
      try variant("bins.json") { $0["strategy"] = ["binnedTsallisINF": ["bins": 1_000_000_000_000, "range": [0, 1]]] },
    ]
    for path in cases {
      let run = try CLI.run(["sequence"] + Self.files + ["--tune", "omega", "--state", path])
      #expect(run.status == 2, "\(path): \(run.status) \(run.stderr)")
      #expect(run.stderr.contains("not a saved learner"), "\(run.stderr)")
    }
    try Self.expectRefused(["sequence"] + Self.files + ["--tune", "omega", "--state", "/dev/zero"], mentioning: "regular file")
  }

  @Test("Two processes updating one state file keep every round (flock)")
  func concurrentState() throws {
    let state = try CLI.temporaryDirectory().appendingPathComponent("shared.json").path
    let many = Array(repeating: Self.files, count: 5).flatMap { $0 }  // 20 systems each
    let executable = try CLI.executable()
    let processes = (0..<2).map { _ in
      let p = Process()
      p.executableURL = executable
      p.arguments = ["sequence"] + many + ["--tune", "omega", "--state", state]
      p.standardOutput = FileHandle.nullDevice
      p.standardError = FileHandle.nullDevice
      return p
    }
    for p in processes { try p.run() }
    for p in processes { p.waitUntilExit() }
    #expect(processes.allSatisfy { $0.terminationStatus == 0 })
    let saved = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: state))) as? [String: Any])
    let tuner = try #require(saved["tuner"] as? [String: Any])
    #expect(tuner["rounds"] as? Int == 40)
  }
}
