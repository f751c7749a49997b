import Foundation
import Testing

/// `mpirun -np R solve sequence …` with the trait-built `solve` (`make test-mpi`): the systems
/// spread over the ranks, the learner pooled. `--tune=omega` is spelled with `=` because
/// Open MPI's `mpirun` takes a separate `--tune` word anywhere on the line as its own option.
@Suite(
  "solve CLI: sequences spread over MPI ranks", .serialized,
  .enabled(if: PETScSolve.path != nil, "needs solve built with --traits PETSc: make test-mpi"))
struct PETScSequenceCLITests {
  static let shifted = (0..<8).map { CLI.data("sequence/shifted_0\($0).mtx") }
  static let contexts = CLI.data("sequence/contexts.txt")

  /// The trait-built `solve` without `mpirun`: the serial `solve sequence`.
  static func serial(_ arguments: [String]) throws -> CLIRun {
    let solve = try #require(PETScSolve.path)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
    process.arguments = ["120", solve] + arguments
    process.currentDirectoryURL = CLI.root
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CLIRun(
      status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }

  static func rows(_ run: CLIRun) throws -> [[String: Any]] {
    try #require(try run.json()["systems"] as? [[String: Any]])
  }

  static func errorLines(_ run: CLIRun) -> [Substring] {
    run.stderr.split(separator: "\n").filter { $0.hasPrefix("solve: error:") }
  }

  @Test("A fixed strategy over 2 ranks gives the serial rows, in order, with ranks: 2 (converged by the true residual)")
  func fixedStrategyEqualsSerial() throws {
    let arguments = ["sequence"] + Self.shifted + ["--method", "pcg", "--preconditioner", "ic0", "--json"]
    let serial = try Self.serial(arguments)
    let pooled = try PETScEngineCLITests.mpirun(ranks: 2, arguments)
    #expect(serial.status == 0 && pooled.status == 0, "\(pooled.stderr)")
    #expect(try serial.json()["ranks"] == nil)
    #expect(try pooled.json()["ranks"] as? Int == 2)
    let one = try Self.rows(serial), two = try Self.rows(pooled)
    #expect(two.count == 8)
    for (a, b) in zip(one, two) {
      #expect(b["matrix"] as? String == a["matrix"] as? String)
      #expect(b["strategy"] as? String == "pcg+ic0")
      #expect(b["iterations"] as? Int == a["iterations"] as? Int)
      #expect(b["reason"] as? String == "converged")
      #expect(try #require(b["relativeResidual"] as? Double) <= 1e-8)
    }
    #expect(two.map { $0["position"] as? Int } == (1...8).map { $0 })
  }

  @Test("A direct strategy on 3 ranks (one idle in the last round): every row, factorizations counted over the ranks")
  func directOnThreeRanks() throws {
    let run = try PETScEngineCLITests.mpirun(
      ranks: 3, ["sequence"] + Self.shifted + ["--method", "cholesky", "--json"])
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    #expect(json["ranks"] as? Int == 3)
    #expect(json["numericFactorizations"] as? Int == 8)
    #expect(json["symbolicAnalyses"] as? Int == 3)  // one per rank: each keeps its own analysis
    #expect(try Self.rows(run).map { $0["matrix"] as? String } == Self.shifted)
  }

  @Test("ω learned on 1 rank under mpirun: exactly the serial choices (batches of one are the serial learner)")
  func oneRankIsSerial() throws {
    let common = ["sequence"] + Self.shifted + ["--context", Self.contexts, "--json"]
    let serial = try Self.serial(common + ["--tune", "omega"])
    let pooled = try PETScEngineCLITests.mpirun(ranks: 1, common + ["--tune=omega"])
    #expect(serial.status == 0 && pooled.status == 0, "\(pooled.stderr)")
    #expect(try Self.rows(pooled).map { $0["omega"] as? Double } == Self.rows(serial).map { $0["omega"] as? Double })
    #expect(try Self.rows(pooled).map { $0["iterations"] as? Int } == Self.rows(serial).map { $0["iterations"] as? Int })
    #expect(try pooled.json()["ranks"] as? Int == 1)
    #expect(try pooled.json()["rounds"] as? Int == 8)
  }

  @Test("ω learned on 2 ranks: the same choices on every run (fixed seed), all 8 rounds learned, rows in order")
  func twoRanksDeterministic() throws {
    let arguments = ["sequence"] + Self.shifted + ["--tune=omega", "--seed", "3", "--json"]
    let first = try PETScEngineCLITests.mpirun(ranks: 2, arguments)
    let second = try PETScEngineCLITests.mpirun(ranks: 2, arguments)
    #expect(first.status == 0 && second.status == 0, "\(first.stderr)")
    let choices = try Self.rows(first).map { $0["omega"] as? Double }
    let again = try Self.rows(second).map { $0["omega"] as? Double }
    #expect(choices.count == 8 && choices == again)
    #expect(try first.json()["rounds"] as? Int == 8)
    #expect(try Self.rows(first).map { $0["index"] as? Int } == (1...8).map { $0 })
    #expect(try Self.rows(first).allSatisfy { ($0["relativeResidual"] as? Double ?? 1) <= 1e-8 })
    // The first system of a round is decided from the same state as serially: system 1's ω.
    let serial = try Self.serial(["sequence"] + Self.shifted + ["--tune", "omega", "--seed", "3", "--json"])
    #expect(try Self.rows(serial).first?["omega"] as? Double == choices.first!)
  }

  @Test("A learner whose choices do not depend on feedback makes the serial choices on 2 ranks")
  func deterministicLearnerEqualsSerial() throws {
    let common = ["sequence"] + Self.shifted + ["--method", "ssor-pcg", "--grid", "1.4", "--json"]
    let serial = try Self.serial(common + ["--tune", "omega"])
    let pooled = try PETScEngineCLITests.mpirun(ranks: 2, common + ["--tune=omega"])
    #expect(serial.status == 0 && pooled.status == 0, "\(pooled.stderr)")
    for key in ["omega", "index"] {
      #expect(try Self.rows(pooled).map { "\($0[key]!)" } == Self.rows(serial).map { "\($0[key]!)" })
    }
    #expect(try Self.rows(pooled).map { $0["iterations"] as? Int } == Self.rows(serial).map { $0["iterations"] as? Int })
  }

  @Test("--state on 2 ranks: saved by rank 0, resumed by the next run and by a serial one; other options are one error")
  func stateOnRanks() throws {
    let state = try CLI.temporaryDirectory().appendingPathComponent("learner.json").path
    let arguments = ["sequence"] + Self.shifted + ["--tune=omega", "--state", state, "--json"]
    let first = try PETScEngineCLITests.mpirun(ranks: 2, arguments)
    #expect(first.status == 0, "\(first.stderr)")
    #expect(try first.json()["rounds"] as? Int == 8)
    let second = try PETScEngineCLITests.mpirun(ranks: 2, arguments)
    #expect(try second.json()["rounds"] as? Int == 16)
    let serial = try Self.serial(["sequence"] + Self.shifted + ["--tune", "omega", "--state", state, "--json"])
    #expect(try serial.json()["rounds"] as? Int == 24)
    let other = try PETScEngineCLITests.mpirun(ranks: 2, arguments + ["--seed", "9"])
    #expect(other.status == 2)
    #expect(Self.errorLines(other).count == 1)
    #expect(Self.errorLines(other).first?.contains("--seed 9 here, 1 in the state") == true)
  }

  @Test("--tune auto on 2 ranks: every row in order and converged, one pooled learner saved by rank 0 and resumed")
  func portfolioOnRanks() throws {
    let state = try CLI.temporaryDirectory().appendingPathComponent("portfolio.json").path
    let arguments = ["sequence"] + Self.shifted + ["--tune=auto", "--arms", "pcg+jacobi+warm,pcg+ic0+warm,cholesky",
                                                   "--state", state, "--json"]
    let first = try PETScEngineCLITests.mpirun(ranks: 2, arguments)
    #expect(first.status == 0, "\(first.stderr)")
    let json = try first.json()
    #expect(json["ranks"] as? Int == 2)
    #expect(json["arms"] as? [String] == ["pcg+jacobi+warm", "pcg+ic0+warm", "cholesky"])
    let rows = try Self.rows(first)
    #expect(rows.map { $0["matrix"] as? String } == Self.shifted)
    #expect(rows.allSatisfy { $0["reason"] as? String == "converged" && ($0["relativeResidual"] as? Double ?? 1) <= 1e-8 })
    // Round 0 opens on both ranks (no learner round); the other 6 systems are rounds of the pooled learner.
    #expect(json["rounds"] as? Int == 6)
    let again = try PETScEngineCLITests.mpirun(ranks: 2, arguments)
    #expect(try again.json()["rounds"] as? Int == 14)
    let serial = try Self.serial(["sequence"] + Self.shifted + ["--tune", "auto", "--state", state, "--json"])
    #expect(serial.status == 0, "\(serial.stderr)")
    #expect(try serial.json()["rounds"] as? Int == 22)

    // With context bins: one pooled learner per bin.
    let binned = try PETScEngineCLITests.mpirun(
      ranks: 2, ["sequence"] + Self.shifted + ["--tune=auto", "--context", Self.contexts, "--bins", "2", "--json"])
    #expect(binned.status == 0, "\(binned.stderr)")
    let bins = try #require(try binned.json()["contextBins"] as? [[String: Any]])
    #expect(bins.count == 2)
    #expect(try Self.rows(binned).map { $0["context"] as? Double }.allSatisfy { $0 != nil })
    #expect(try Self.rows(binned).allSatisfy { $0["reason"] as? String == "converged" })
  }

  @Test("A missing file on rank 1 ends every rank: one error line naming it, exit 2, no hang")
  func missingFileOnOneRank() throws {
    let missing = try CLI.temporaryDirectory().appendingPathComponent("missing.mtx").path
    let files = [Self.shifted[0], missing, Self.shifted[2]]
    for options in [["--method", "pcg"], ["--tune=omega"], ["--tune=auto"]] {
      let run = try PETScEngineCLITests.mpirun([(2, ["sequence"] + files + options)], timeout: 60)
      #expect(run.status == 2, "\(run.stderr)")
      #expect(Self.errorLines(run) == ["solve: error: \(missing): cannot open: No such file or directory (on rank 1)"])
      #expect(!run.stdout.contains("converged"))
    }
  }

  @Test("A malformed file on rank 0 ends every rank with its line, as JSON with --json")
  func malformedFileOnRankZero() throws {
    let bad = try CLI.file("bad.mtx", "%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1.0\n2 x 1.0\n")
    let run = try PETScEngineCLITests.mpirun(
      [(2, ["sequence", Self.shifted[0], Self.shifted[1], bad, "--tune=omega", "--json"])], timeout: 60)
    #expect(run.status == 2, "\(run.stderr)")
    #expect(Self.errorLines(run).count == 1)
    let json = try run.json()
    #expect(json["file"] as? String == bad)
    #expect(json["line"] as? Int == 4)
  }

  @Test("Not converged: exit 1 on every rank, one line; --order greedy and --preconditioner learned are refused under mpirun, one line")
  func notConvergedAndRefused() throws {
    let run = try PETScEngineCLITests.mpirun(
      [(2, ["sequence"] + Self.shifted + ["--method", "cg", "--max-iterations", "2"])], timeout: 60)
    #expect(run.status == 1, "\(run.stderr)")
    #expect(run.stderr.split(separator: "\n").filter { $0.hasPrefix("solve: not converged:") }.count == 1)
    let greedy = try PETScEngineCLITests.mpirun(
      [(2, ["sequence"] + Self.shifted + ["--recycle", "4", "--order", "greedy"])], timeout: 60)
    #expect(greedy.status == 2)
    #expect(Self.errorLines(greedy).count == 1)
    let learned = try PETScEngineCLITests.mpirun(
      [(2, ["sequence"] + Self.shifted + ["--method", "pcg", "--preconditioner", "learned", "--train", "3"])], timeout: 60)
    #expect(learned.status == 2)
    #expect(Self.errorLines(learned) == ["solve: error: --preconditioner learned trains and applies its network in one process: run it without mpirun"])
  }

  @Test("--recycle on 2 ranks: a subspace per rank, every row in order and converged, ranks: 2; a too-large k is one error")
  func recyclingOnRanks() throws {
    let run = try PETScEngineCLITests.mpirun(ranks: 2, ["sequence"] + Self.shifted + ["--recycle", "4", "--json"])
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    #expect(json["ranks"] as? Int == 2 && json["method"] as? String == "deflated-cg(4)")
    let rows = try Self.rows(run)
    #expect(rows.map { $0["matrix"] as? String } == Self.shifted)
    #expect(rows.allSatisfy { $0["reason"] as? String == "converged" && ($0["relativeResidual"] as? Double ?? 1) <= 1e-8 })
    let large = try PETScEngineCLITests.mpirun([(2, ["sequence"] + Self.shifted + ["--recycle", "100"])], timeout: 60)
    #expect(large.status == 2)
    #expect(Self.errorLines(large) == ["solve: error: --recycle 100 must be less than the order n = 100 of the matrices"])
  }
}

/// `solve sequence --engine petsc`: every system across all the ranks, on PETSc's KSP, with
/// LinSolve's ω learner (PETSc's SOR) and Fischer's projection of earlier solutions.
@Suite(
  "solve CLI: sequences on the PETSc engine", .serialized,
  .enabled(if: PETScSolve.path != nil, "needs solve built with --traits PETSc: make test-mpi"))
struct PETScEngineSequenceCLITests {
  static let shifted = PETScSequenceCLITests.shifted

  @Test("ω learned for PETSc's SOR: on 1 rank the native choices and iterations; on 2 ranks (local SOR) all converged")
  func omegaOnPETSc() throws {
    let common = ["sequence"] + Self.shifted + ["--context", PETScSequenceCLITests.contexts, "--json"]
    let native = try PETScSequenceCLITests.serial(common + ["--tune", "omega"])
    let one = try PETScEngineCLITests.mpirun(ranks: 1, common + ["--tune=omega", "--engine", "petsc"])
    #expect(native.status == 0 && one.status == 0, "\(one.stderr)")
    let rows = try PETScSequenceCLITests.rows(one), nativeRows = try PETScSequenceCLITests.rows(native)
    #expect(rows.map { $0["omega"] as? Double } == nativeRows.map { $0["omega"] as? Double })
    #expect(rows.map { $0["iterations"] as? Int } == nativeRows.map { $0["iterations"] as? Int })
    #expect(try one.json()["engine"] as? String == "petsc")

    let two = try PETScEngineCLITests.mpirun(ranks: 2, common + ["--tune=omega", "--engine", "petsc", "--method", "ssor-pcg"])
    #expect(two.status == 0, "\(two.stderr)")
    let json = try two.json()
    #expect(json["ranks"] as? Int == 2 && json["rounds"] as? Int == 8 && json["method"] as? String == "ssor-pcg")
    let twoRows = try PETScSequenceCLITests.rows(two)
    #expect(twoRows.map { $0["index"] as? Int } == (1...8).map { $0 })
    #expect(twoRows.allSatisfy { $0["reason"] as? String == "converged" && ($0["relativeResidual"] as? Double ?? 1) <= 1e-8 })

    // --state: read and saved by rank 0 as natively, resumed by the next run (and natively).
    let state = try CLI.temporaryDirectory().appendingPathComponent("omega.json").path
    let stateful = common + ["--tune=omega", "--engine", "petsc", "--method", "ssor-pcg", "--state", state]
    let first = try PETScEngineCLITests.mpirun(ranks: 2, stateful)
    let second = try PETScEngineCLITests.mpirun(ranks: 2, stateful)
    #expect(first.status == 0 && second.status == 0, "\(second.stderr)")
    #expect(try second.json()["rounds"] as? Int == 16)
    let resumed = try PETScSequenceCLITests.serial(common + ["--tune", "omega", "--method", "ssor-pcg", "--state", state])
    #expect(try resumed.json()["rounds"] as? Int == 24)
  }

  @Test("Fischer's projection across 2 ranks: every system converged by the true residual, fewer iterations than from zero")
  func fischerOnPETSc() throws {
    let common = ["sequence"] + Self.shifted + ["--engine", "petsc", "--method", "pcg", "--preconditioner", "jacobi", "--json"]
    let plain = try PETScEngineCLITests.mpirun(ranks: 2, common)
    let projected = try PETScEngineCLITests.mpirun(ranks: 2, common + ["--fischer", "3"])
    #expect(plain.status == 0 && projected.status == 0, "\(projected.stderr)")
    let json = try projected.json()
    #expect(json["strategy"] as? String == "pcg+jacobi+fischer(3)")
    let rows = try PETScSequenceCLITests.rows(projected)
    #expect(rows.allSatisfy { $0["reason"] as? String == "converged" && ($0["relativeResidual"] as? Double ?? 1) <= 1e-8 })
    #expect(rows.dropFirst().allSatisfy { ($0["notes"] as? [String] ?? []).contains { $0.hasPrefix("Fischer guess") } })
    let total = try #require(json["totalIterations"] as? Int)
    #expect(total < (try #require(try plain.json()["totalIterations"] as? Int)))
    #expect(rows.first?["iterations"] as? Int == (try PETScSequenceCLITests.rows(plain)).first?["iterations"] as? Int)
  }

  @Test("θ learned for BoomerAMG: the chosen θ reaches hypre (a one-value grid = --petsc-options), a grid is learned")
  func thetaOnPETSc() throws {
    let files = [CLI.data("poisson2d_32.mtx"), CLI.data("fem_spd.mtx"), CLI.data("poisson2d_32.mtx")]
    let common = ["sequence"] + files + ["--engine", "petsc", "--method", "pcg", "--preconditioner", "amg", "--json"]
    let learned = try PETScEngineCLITests.mpirun(ranks: 2, common + ["--theta-grid", "0.9"])
    let fixed = try PETScEngineCLITests.mpirun(
      ranks: 2, common + ["--petsc-options", "-pc_hypre_boomeramg_strong_threshold 0.9"])
    #expect(learned.status == 0 && fixed.status == 0, "\(learned.stderr)\(fixed.stderr)")
    let rows = try PETScSequenceCLITests.rows(learned)
    #expect(rows.map { $0["strategy"] as? String } == Array(repeating: "pcg+amg(0.9)", count: 3))
    #expect(rows.map { $0["iterations"] as? Int } == (try PETScSequenceCLITests.rows(fixed)).map { $0["iterations"] as? Int })
    let grid = try PETScEngineCLITests.mpirun(ranks: 2, common + ["--theta-grid", "0.1,0.5,0.9"])
    #expect(grid.status == 0, "\(grid.stderr)")
    let json = try grid.json()
    #expect(json["rounds"] as? Int == 3 && json["learner"] as? String == "tsallis-inf")
    let chosen = try PETScSequenceCLITests.rows(grid)
    #expect(chosen.allSatisfy { ["pcg+amg(0.1)", "pcg+amg(0.5)", "pcg+amg(0.9)"].contains($0["strategy"] as? String ?? "") })
    #expect(chosen.allSatisfy { $0["reason"] as? String == "converged" && ($0["relativeResidual"] as? Double ?? 1) <= 1e-8 })
  }

  @Test("Options the engine cannot run are one error line, exit 2; a missing file ends every rank")
  func refused() throws {
    for (options, needle) in [
      (["--engine", "petsc", "--method", "amg"], "--method amg is native only"),
      (["--engine", "petsc", "--recycle", "4"], "--recycle is native"),
      (["--engine", "petsc", "--tune=auto"], "--tune auto is native"),
      (["--fischer", "3"], "--theta-grid go with --engine petsc"),
      (["--engine", "petsc", "--method", "pcg", "--theta-grid", "0.5"], "it goes with --preconditioner amg"),
      (["--engine", "petsc", "--method", "pcg", "--preconditioner", "amg", "--theta-grid", "1.5"], "is not in (0, 1)"),
      (["--engine", "petsc", "--method", "cg", "--warm-start", "--fischer", "2"], "choose one"),
    ] {
      let run = try PETScEngineCLITests.mpirun([(2, ["sequence"] + Self.shifted + options)], timeout: 60)
      #expect(run.status == 2, "\(options)")
      #expect(PETScSequenceCLITests.errorLines(run).count == 1)
      #expect(run.stderr.contains(needle), "\(run.stderr)")
    }
    let missing = try CLI.temporaryDirectory().appendingPathComponent("missing.mtx").path
    let run = try PETScEngineCLITests.mpirun(
      [(2, ["sequence", Self.shifted[0], missing, "--engine", "petsc", "--method", "cg"])], timeout: 60)
    #expect(run.status == 2)
    #expect(PETScSequenceCLITests.errorLines(run) == ["solve: error: \(missing): cannot open: No such file or directory"])
  }
}
