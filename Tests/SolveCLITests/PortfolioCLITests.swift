import Foundation
import Testing

/// `solve sequence --method M --preconditioner P` (any fixed strategy) and `--tune auto`
/// (issue 16).
@Suite("solve sequence: fixed strategies and --tune auto")
struct PortfolioCLITests {
  static var files: [String] { (0..<8).map { CLI.data(String(format: "sequence/shifted_%02d.mtx", $0)) } }

  static func systems(_ json: [String: Any]) throws -> [[String: Any]] {
    try #require(json["systems"] as? [[String: Any]])
  }

  @Test("Every fixed strategy solves every system; rows carry strategy, seconds, reason, true residual", arguments: [
    (["--method", "cholesky"], "cholesky"),
    (["--method", "lu"], "lu"),
    (["--method", "pcg", "--preconditioner", "ic0", "--warm-start"], "pcg+ic0+warm"),
    (["--method", "cg", "--preconditioner", "amg-sa"], "pcg+amg-sa"),
    (["--method", "gmres", "--preconditioner", "ilu0"], "gmres+ilu0"),
    (["--method", "minres", "--preconditioner", "jacobi"], "minres+jacobi"),
    (["--method", "bicgstab", "--preconditioner", "ilu0"], "bicgstab+ilu0"),
    (["--method", "pcg", "--preconditioner", "ssor", "--omega", "1.4"], "pcg+ssor(1.4)"),
    (["--method", "amg"], "amg"),
  ])
  func fixed(options: [String], strategy: String) throws {
    let run = try CLI.run(["sequence"] + Self.files + options + ["--rtol", "1e-9", "--json"])
    #expect(run.status == 0, "\(options): \(run.stderr)")
    let json = try run.json()
    let rows = try Self.systems(json)
    #expect(rows.count == 8)
    #expect(json["strategy"] as? String == strategy)
    for row in rows {
      #expect(row["strategy"] as? String == strategy)
      #expect(row["reason"] as? String == "converged")
      #expect(try #require(row["relativeResidual"] as? Double) <= 1e-9)
      #expect(try #require(row["seconds"] as? Double) >= 0)
    }
    let total = rows.reduce(0.0) { $0 + ($1["seconds"] as? Double ?? .nan) }
    #expect(abs(try #require(json["totalSeconds"] as? Double) - total) <= 1e-9 * max(total, 1))
    if strategy == "cholesky" || strategy == "lu" {
      // One pattern: analysed once, factorized numerically per system.
      #expect(json["symbolicAnalyses"] as? Int == 1)
      #expect(json["numericFactorizations"] as? Int == 8)
    }
  }

  @Test("--tune auto solves every system; a failing strategy is dropped with a note, never ends the run")
  func auto() throws {
    let run = try CLI.run(["sequence"] + Self.files + ["--tune", "auto", "--json"])
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    #expect(json["method"] as? String == "auto")
    for row in try Self.systems(json) {
      #expect(row["reason"] as? String == "converged")
      #expect(try #require(row["relativeResidual"] as? Double) <= 1e-8)
      #expect(row["chosen"] is String)
      #expect((row["attempts"] as? [[String: Any]])?.isEmpty == false)
    }
    // --predict: explorations may also stop on a projection; every system still converges.
    let predicted = try CLI.run(["sequence"] + Self.files + ["--tune", "auto", "--predict", "--json"])
    #expect(predicted.status == 0, "\(predicted.stderr)")
    #expect(try Self.systems(predicted.json()).allSatisfy { $0["reason"] as? String == "converged" })
    // Nonsymmetric (auto would pick LU, not an arm here): CG opens and fails, the direct
    // fallback (Cholesky, then LU) finishes; the sequence goes on.
    let convdiff = [String](repeating: CLI.data("convdiff_20.mtx"), count: 4)
    let failing = try CLI.run(["sequence"] + convdiff + ["--tune", "auto", "--arms", "cg,gmres+ilu0", "--max-iterations", "300"])
    #expect(failing.status == 0, "\(failing.stderr)")
    #expect(failing.stderr.contains("cg dropped: maxIterations after 300 iterations"), "\(failing.stderr)")
    let json2 = try CLI.run(["sequence"] + convdiff + ["--tune", "auto", "--arms", "cholesky,gmres+ilu0", "--json"]).json()
    #expect((json2["dropped"] as? [String: String])?["cholesky"]?.contains("not symmetric") == true)
    #expect(try Self.systems(json2).allSatisfy { $0["reason"] as? String == "converged" })
  }

  @Test("--tune auto --state: saved after every system, resumed, the same mismatch rules as --tune omega")
  func state() throws {
    let dir = try CLI.temporaryDirectory()
    let state = dir.appendingPathComponent("portfolio.json").path
    let arms = ["--arms", "cholesky,pcg+ic0+warm,lu"]
    let first = try CLI.run(["sequence"] + Array(Self.files[0..<4]) + ["--tune", "auto", "--seed", "3", "--state", state] + arms)
    #expect(first.status == 0, "\(first.stderr)")
    let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: state))) as? [String: Any]
    #expect(saved?["method"] as? String == "auto")
    let portfolio = try #require(saved?["portfolio"] as? [String: Any])
    #expect(portfolio["arms"] as? [String] == ["cholesky", "pcg+ic0+warm", "lu"])
    #expect(portfolio["rounds"] as? Int == 3)  // the first system is the opening
    // Options left out take the saved values; the learner goes on.
    let resumed = try CLI.run(["sequence"] + Array(Self.files[4..<8]) + ["--tune", "auto", "--state", state, "--json"])
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(try resumed.json()["rounds"] as? Int == 7)
    #expect(try resumed.json()["arms"] as? [String] == ["cholesky", "pcg+ic0+warm", "lu"])
    // A different option is an error naming both values; --reset-state starts anew.
    for (options, needle) in [
      (["--seed", "4"], "--seed 4 here, 3 in the state"),
      (["--arms", "cholesky,lu"], "--arms cholesky,lu here, cholesky,pcg+ic0+warm,lu in the state"),
      (["--policy", "tsallis"], "--policy tsallis here, explore-then-commit in the state"),
    ] {
      let run = try CLI.run(["sequence"] + Self.files + ["--tune", "auto", "--state", state] + options)
      #expect(run.status == 2, "\(options): \(run.stderr)")
      #expect(run.stderr.contains(needle), "\(run.stderr)")
    }
    let omega = try CLI.run(["sequence"] + Self.files + ["--tune", "omega", "--state", state])
    #expect(omega.status == 2)
    #expect(omega.stderr.contains("strategy portfolio"), "\(omega.stderr)")
    let reset = try CLI.run(["sequence"] + Array(Self.files[0..<2]) + ["--tune", "auto", "--seed", "4", "--arms", "cholesky,lu", "--state", state, "--reset-state", "--json"])
    #expect(reset.status == 0, "\(reset.stderr)")
    #expect(try reset.json()["rounds"] as? Int == 1)
    // An ω state given to --tune auto is refused too.
    let omegaState = dir.appendingPathComponent("omega.json").path
    #expect(try CLI.run(["sequence"] + Self.files + ["--tune", "omega", "--state", omegaState]).status == 0)
    let wrongKind = try CLI.run(["sequence"] + Self.files + ["--tune", "auto", "--state", omegaState])
    #expect(wrongKind.status == 2)
    #expect(wrongKind.stderr.contains("an ω learner"), "\(wrongKind.stderr)")
  }

  @Test("--tune auto --context: one learner per context bin, saved with its bins; the mismatch rules cover them")
  func contexts() throws {
    let dir = try CLI.temporaryDirectory()
    let contexts = dir.appendingPathComponent("contexts.txt").path
    try "0 0 0 0 1 1 1 1\n".write(toFile: contexts, atomically: true, encoding: .utf8)
    let state = dir.appendingPathComponent("portfolio.json").path
    let arms = ["--arms", "cholesky,pcg+ic0+warm"]
    let run = try CLI.run(["sequence"] + Self.files + ["--tune", "auto", "--context", contexts, "--bins", "2", "--state", state, "--json"] + arms)
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    let rows = try Self.systems(json)
    #expect(rows.map { $0["context"] as? Double } == [0, 0, 0, 0, 1, 1, 1, 1])
    #expect(rows.allSatisfy { $0["reason"] as? String == "converged" })
    let bins = try #require(json["contextBins"] as? [[String: Any]])
    #expect(bins.map { $0["centre"] as? Double } == [0.25, 0.75])
    #expect(bins.map { $0["rounds"] as? Int } == [3, 3], "each bin opens once, then learns")
    let saved = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: state))) as? [String: Any])
    #expect((saved["portfolioBins"] as? [Any])?.count == 2)
    #expect(saved["portfolio"] == nil)
    // Resumed with the saved bins (options left out take the saved values) …
    let resumed = try CLI.run(["sequence"] + Array(Self.files[0..<2]) + ["--tune", "auto", "--context", contexts, "--state", state, "--json"])
    #expect(resumed.status == 2, "two contexts given for two files are read first: \(resumed.stderr)")
    try "1 0\n".write(toFile: contexts, atomically: true, encoding: .utf8)
    let again = try CLI.run(["sequence"] + Array(Self.files[0..<2]) + ["--tune", "auto", "--context", contexts, "--state", state, "--json"])
    #expect(again.status == 0, "\(again.stderr)")
    #expect(try again.json()["rounds"] as? Int == 8)
    // … and refused without --context, with other bins, or when the state has none.
    for (options, needle) in [
      ([String](), "no --context here, 2 bins on 0.0:1.0 in the state"),
      (["--context", contexts, "--bins", "3"], "--bins 3 here, 2 in the state"),
      (["--context", contexts, "--context-range", "0:2"], "--context-range 0.0:2.0 here, 0.0:1.0 in the state"),
    ] {
      let refused = try CLI.run(["sequence"] + Array(Self.files[0..<2]) + ["--tune", "auto", "--state", state] + options)
      #expect(refused.status == 2, "\(options): \(refused.stderr)")
      #expect(refused.stderr.contains(needle), "\(refused.stderr)")
    }
    let plain = dir.appendingPathComponent("plain.json").path
    #expect(try CLI.run(["sequence"] + Array(Self.files[0..<2]) + ["--tune", "auto", "--state", plain] + arms).status == 0)
    // A bad range is one line on standard error and nothing on standard output.
    for range in ["1:0", "0:inf"] {
      let bad = try CLI.run(["sequence"] + Array(Self.files[0..<2]) + ["--tune", "auto", "--context", contexts, "--context-range", range])
      #expect(bad.status == 2 && bad.stdout.isEmpty, "\(range): \(bad.stdout)")
      #expect(bad.stderr.split(separator: "\n").count == 1 && bad.stderr.contains("--context-range"), "\(bad.stderr)")
    }
    let binless = try CLI.run(["sequence"] + Array(Self.files[0..<2]) + ["--tune", "auto", "--context", contexts, "--state", plain])
    #expect(binless.status == 2)
    #expect(binless.stderr.contains("--context here, no context bins in the state"), "\(binless.stderr)")
  }

  @Test("Bad combinations exit 2 with one line", arguments: [
    (["--tune", "auto", "--method", "cg"], "--tune auto chooses the strategy"),
    (["--tune", "auto", "--arms", "cg,bogus"], "'bogus'"),
    (["--policy", "tsallis"], "--arms, --policy, --bins and --predict go with --tune auto"),
    (["--tune", "auto", "--bins", "2"], "--context-range and --bins go with --context"),
    (["--predict"], "--predict go with --tune auto"),
    (["--tune", "auto", "--policy", "greedy"], "--policy"),
    (["--tune", "auto", "--arms", "lu,lu"], "repeats"),
    (["--tune", "auto", "--learner", "chebcb"], "do not go with --tune auto"),
    (["--arms", "lu"], "--arms, --policy, --bins and --predict go with --tune auto"),
    (["--method", "cholesky", "--warm-start"], "--warm-start does not go"),
    (["--method", "lu", "--preconditioner", "ic0"], "does not go with --method lu"),
    (["--method", "pcg", "--preconditioner", "nystrom"], "nystrom"),
    (["--method", "sor", "--warm-start"], "--warm-start goes with a fixed --method"),
    (["--recycle", "2", "--preconditioner", "ssor"], "--recycle takes none, jacobi, ic0 or ilu0"),
    (["--tune", "auto", "--margin", "0"], "--margin"),
  ])
  func refused(options: [String], needle: String) throws {
    let run = try CLI.run(["sequence"] + Self.files + options)
    #expect(run.status == 2, "\(options): \(run.stderr)")
    #expect(run.stderr.contains(needle), "\(options): \(run.stderr)")
    #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
  }
}
