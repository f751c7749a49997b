import Foundation
import Testing

@Suite("solve sequence")
struct SequenceCLITests {
  static var files: [String] { (0..<8).map { CLI.data(String(format: "sequence/shifted_%02d.mtx", $0)) } }
  static var contexts: String { CLI.data("sequence/contexts.txt") }

  @Test("--tune omega runs end to end: a row per system and totals in JSON")
  func tuneJSON() throws {
    let run = try CLI.run(["sequence"] + Self.files + ["--tune", "omega", "--context", Self.contexts, "--json"])
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    let systems = try #require(json["systems"] as? [[String: Any]])
    #expect(systems.count == 8)
    let grid = Set((0..<20).map { (100 + 5 * $0) })  // ω·100 on linspace(1, 1.95, 20)
    for row in systems {
      let omega = try #require(row["omega"] as? Double)
      #expect(grid.contains(Int((omega * 100).rounded())))
      #expect(try #require(row["relativeResidual"] as? Double) <= 1e-8)
      #expect(row["reason"] as? String == "converged")
    }
    let total = systems.reduce(0) { $0 + ($1["iterations"] as? Int ?? 0) }
    #expect(json["totalIterations"] as? Int == total)
    #expect((json["learner"] as? String)?.hasPrefix("chebcb") == true)
  }

  @Test("The same seed gives the same choices; --state resumes the learner across invocations")
  func stateResumes() throws {
    let state = try CLI.temporaryDirectory().appendingPathComponent("learner.json").path
    let first = try CLI.run(["sequence"] + Self.files + ["--tune", "omega", "--seed", "3", "--state", state, "--json"])
    #expect(first.status == 0)
    #expect(FileManager.default.fileExists(atPath: state))
    let again = try CLI.run(["sequence"] + Self.files + ["--tune", "omega", "--seed", "3", "--json"])
    let omegas = { (r: CLIRun) throws -> [Double] in
      try #require(try r.json()["systems"] as? [[String: Any]]).compactMap { $0["omega"] as? Double }
    }
    #expect(try omegas(first) == omegas(again))  // deterministic given the seed
    // Splitting the sequence over two invocations with --state equals one invocation.
    let split = try CLI.temporaryDirectory().appendingPathComponent("split.json").path
    let part1 = try CLI.run(["sequence"] + Array(Self.files[0..<4]) + ["--tune", "omega", "--seed", "3", "--state", split, "--json"])
    let part2 = try CLI.run(["sequence"] + Array(Self.files[4..<8]) + ["--tune", "omega", "--seed", "3", "--state", split, "--json"])
    #expect(try omegas(part1) + omegas(part2) == omegas(first))
    let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: split))) as? [String: Any]
    #expect(saved?["method"] as? String == "sor")
    #expect((saved?["tuner"] as? [String: Any])?["rounds"] as? Int == 8)
  }

  @Test("--recycle carries a subspace: fewer iterations than independent solves, all systems solved")
  func recycle() throws {
    func run(_ extra: [String]) throws -> [String: Any] {
      let r = try CLI.run(["sequence"] + Self.files + extra + ["--json"])
      #expect(r.status == 0, "\(extra): \(r.stderr)")
      return try r.json()
    }
    let plain = try run(["--recycle", "0"])
    let deflated = try run(["--recycle", "5"])
    let gcrodr = try run(["--recycle", "5", "--method", "gmres", "--preconditioner", "ilu0"])
    let greedy = try run(["--recycle", "5", "--order", "greedy"])
    #expect((deflated["totalIterations"] as? Int ?? .max) < (plain["totalIterations"] as? Int ?? 0))
    #expect(deflated["method"] as? String == "deflated-cg(5)")
    #expect(gcrodr["method"] as? String == "gcrodr(40,5)")
    for summary in [plain, deflated, gcrodr, greedy] {
      let systems = try #require(summary["systems"] as? [[String: Any]])
      #expect(systems.count == 8)
      #expect(systems.allSatisfy { ($0["relativeResidual"] as? Double ?? 1) <= 1e-7 })
    }
    // The greedy order visits every system once.
    let visited = try #require(greedy["systems"] as? [[String: Any]]).compactMap { $0["matrix"] as? String }
    #expect(Set(visited) == Set(Self.files))
  }

  @Test("Bad sequence input exits 2 with one line")
  func badInput() throws {
    let shortContexts = try CLI.file("c.txt", "0.1\n0.2\n")
    let wrongCount = try CLI.run(["sequence"] + Self.files + ["--tune", "omega", "--context", shortContexts])
    #expect(wrongCount.status == 2)
    #expect(wrongCount.stderr.contains("2 context values for 8 matrices"))
    let garbage = try CLI.file("state.json", "{not json")
    let badState = try CLI.run(["sequence"] + Self.files + ["--tune", "omega", "--state", garbage])
    #expect(badState.status == 2)
    #expect(badState.stderr.contains("not a saved learner"))
    let binnedNoContext = try CLI.run(["sequence"] + Self.files + ["--tune", "omega", "--learner", "binned"])
    #expect(binnedNoContext.status == 2)
    // cg/gmres without --recycle is a fixed strategy with set-up reuse; with --tune it is an error.
    let cgWithoutRecycle = try CLI.run(["sequence"] + Self.files + ["--method", "cg", "--tune", "omega"])
    #expect(cgWithoutRecycle.status == 2)
    let tuneAndRecycle = try CLI.run(["sequence"] + Self.files + ["--tune", "omega", "--recycle", "4"])
    #expect(tuneAndRecycle.status == 2)
    for run in [wrongCount, badState, binnedNoContext, cgWithoutRecycle, tuneAndRecycle] {
      #expect(run.stderr.split(separator: "\n").count == 1)
    }
  }
}
