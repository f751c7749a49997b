import Foundation
import Testing

/// The `solve` these tests run under `mpirun`: one built with the PETSc trait.
enum PETScSolve {
  /// `$LINSOLVE_PETSC_SOLVE` (`make test-mpi` builds `solve --traits PETSc` apart and sets it, so
  /// that these tests run from the ordinary test build), or, in a test build with the trait, the
  /// `solve` beside the tests; `nil` otherwise (the suite is skipped).
  static var path: String? {
    if let path = ProcessInfo.processInfo.environment["LINSOLVE_PETSC_SOLVE"], !path.isEmpty { return path }
    #if PETSc
    return try? CLI.executable().path
    #else
    return nil
    #endif
  }
}

/// `solve --engine petsc` under `mpirun --allow-run-as-root --oversubscribe` (`make test-mpi`).
/// Serialized: each run starts its own ranks on a small machine.
@Suite(
  "solve CLI: --engine petsc on MPI ranks", .serialized,
  .enabled(if: PETScSolve.path != nil, "needs solve built with --traits PETSc: make test-mpi"))
struct PETScEngineCLITests {
  /// Runs `mpirun --allow-run-as-root --oversubscribe` with the app contexts (`-np R solve …`,
  /// joined by `:`), ended after `timeout` seconds (exit 124) so a hang fails instead of blocking.
  static func mpirun(_ contexts: [(ranks: Int, arguments: [String])], timeout: Int = 120) throws -> CLIRun {
    let solve = try #require(PETScSolve.path)
    var arguments = [String(timeout), "mpirun", "--allow-run-as-root", "--oversubscribe"]
    for (k, context) in contexts.enumerated() {
      if k > 0 { arguments.append(":") }
      arguments += ["-np", String(context.ranks), solve] + context.arguments
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
    process.arguments = arguments
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

  static func mpirun(ranks: Int, _ arguments: [String]) throws -> CLIRun {
    try mpirun([(ranks, arguments)])
  }

  static func readVector(_ path: String) throws -> [Double] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let lines = text.split(separator: "\n").filter { !$0.hasPrefix("%") }
    return lines.dropFirst().compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
  }

  @Test("2 ranks equal 1 rank (same CG + Jacobi iterations, x within 1e-10) and the native solve")
  func distributedEqualsOneRankAndNative() throws {
    let dir = try CLI.temporaryDirectory()
    let common = [CLI.data("poisson2d_32.mtx"), CLI.data("rhs_poisson2d_32.mtx"), "--method", "cg",
                  "--preconditioner", "jacobi", "--rtol", "1e-10", "--json"]
    var solutions: [[Double]] = [], iterations: [Int] = []
    for ranks in [1, 2] {
      let path = dir.appendingPathComponent("x\(ranks).mtx").path
      let run = try Self.mpirun(ranks: ranks, common + ["--engine", "petsc", "--output", path])
      #expect(run.status == 0, "\(run.stderr)")
      let json = try run.json()
      #expect(json["engine"] as? String == "petsc")
      #expect(json["ranks"] as? Int == ranks)
      #expect(json["converged"] as? Bool == true)
      #expect(try #require(json["relativeResidual"] as? Double) <= 1e-10)
      iterations.append(try #require(json["iterations"] as? Int))
      solutions.append(try Self.readVector(path))
    }
    #expect(iterations[0] == iterations[1])
    #expect(solutions[0].count == 1024 && solutions[1].count == 1024)
    #expect(zip(solutions[0], solutions[1]).allSatisfy { abs($0 - $1) <= 1e-10 * max(1, abs($0)) })

    let nativePath = dir.appendingPathComponent("native.mtx").path
    let native = try CLI.run(common + ["--output", nativePath])
    #expect(native.status == 0, "\(native.stderr)")
    let nativeJSON = try native.json()
    #expect(abs(try #require(nativeJSON["iterations"] as? Int) - iterations[1]) <= 1)
    let x = try Self.readVector(nativePath)
    let scale = x.map(abs).max() ?? 1
    #expect(zip(x, solutions[1]).allSatisfy { abs($0 - $1) <= 1e-8 * scale })
    // One schema: the petsc report has exactly the native report's keys.
    let petsc = try Self.mpirun(ranks: 2, common + ["--engine", "petsc"]).json()
    #expect(petsc.keys.sorted() == nativeJSON.keys.sorted())
  }

  @Test("Every mapped method and preconditioner solves on 2 ranks", arguments: [
    ("poisson2d_32.mtx", "cg", "amg"), ("poisson2d_32.mtx", "cg", "amg-sa"), ("poisson2d_32.mtx", "cg", "ic0"),
    ("poisson2d_32.mtx", "pcg", "ilu0"), ("poisson2d_32.mtx", "minres", "none"), ("convdiff_20.mtx", "gmres", "ilu0"),
    ("convdiff_20.mtx", "bicgstab", "jacobi"), ("fem_spd.mtx", "auto", "default"),
    ("fem_spd.mtx", "cholesky", "default"), ("convdiff_20.mtx", "lu", "default"),
  ])
  func mappings(file: String, method: String, preconditioner: String) throws {
    var arguments = [CLI.data(file), "--engine", "petsc", "--method", method, "--json"]
    if preconditioner != "default" { arguments += ["--preconditioner", preconditioner] }
    let run = try Self.mpirun(ranks: 2, arguments)
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    #expect(json["converged"] as? Bool == true)
    #expect(try #require(json["relativeResidual"] as? Double) <= 1e-8)
    #expect(json["ranks"] as? Int == 2)
    if ["cholesky", "lu"].contains(method) {
      #expect((json["notes"] as? [String])?.contains { $0.hasPrefix("PETSc: MUMPS") } == true)
      #expect(try #require(json["relativeResidual"] as? Double) <= 1e-12)
    }
  }

  @Test("A missing file on one rank ends every rank: one error from rank 0, exit 2, no hang")
  func missingFileOnOneRank() throws {
    let missing = try CLI.temporaryDirectory().appendingPathComponent("missing.mtx").path
    let run = try Self.mpirun(
      [(1, [CLI.data("poisson2d_32.mtx"), "--engine", "petsc"]), (1, [missing, "--engine", "petsc"])], timeout: 60)
    #expect(run.status == 2, "\(run.stderr)")
    let errors = run.stderr.split(separator: "\n").filter { $0.hasPrefix("solve: error:") }
    #expect(errors == ["solve: error: \(missing): cannot open: No such file or directory (on rank 1)"], "stderr: \(run.stderr)")
    #expect(run.stdout.isEmpty)
  }

  @Test("A malformed file on rank 0 ends every rank with its line, as JSON with --json")
  func malformedFileOnRankZero() throws {
    let bad = try CLI.file("bad.mtx", "%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1.0\n2 x 1.0\n")
    let run = try Self.mpirun(
      [(1, [bad, "--engine", "petsc", "--json"]), (1, [CLI.data("poisson2d_32.mtx"), "--engine", "petsc", "--json"])],
      timeout: 60)
    #expect(run.status == 2, "\(run.stderr)")
    #expect(run.stderr.split(separator: "\n").filter { $0.hasPrefix("solve: error:") }.count == 1)
    let json = try run.json()
    #expect(json["file"] as? String == bad)
    #expect(json["line"] as? Int == 4)
  }

  @Test("Not converged exits 1 on every rank, rank 0 says why; --petsc-options override the mapping")
  func notConvergedAndOptions() throws {
    let run = try Self.mpirun(ranks: 2, [CLI.data("poisson2d_32.mtx"), "--engine", "petsc", "--method", "cg", "--max-iterations", "3"])
    #expect(run.status == 1)
    #expect(run.stderr.split(separator: "\n").filter { $0.hasPrefix("solve: not converged:") }.count == 1)
    let options = try Self.mpirun(ranks: 2, [CLI.data("convdiff_20.mtx"), "--engine", "petsc", "--method", "gmres",
                                             "--petsc-options", "-ksp_type fgmres", "--json"])
    #expect(options.status == 0, "\(options.stderr)")
    #expect((try options.json()["notes"] as? [String])?.contains("--petsc-options ran KSP fgmres with PC none") == true)
  }

  @Test("--history has k = 0 … iterations; --x0 at the solution converges in 0 iterations")
  func historyAndWarmStart() throws {
    let dir = try CLI.temporaryDirectory()
    let csv = dir.appendingPathComponent("h.csv").path, x = dir.appendingPathComponent("x.mtx").path
    let common = [CLI.data("poisson2d_32.mtx"), "--engine", "petsc", "--method", "cg", "--preconditioner", "jacobi", "--json"]
    let run = try Self.mpirun(ranks: 2, common + ["--history", csv, "--output", x])
    #expect(run.status == 0, "\(run.stderr)")
    let iterations = try #require(try run.json()["iterations"] as? Int)
    let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
    #expect(lines.first == "iteration,residual")
    #expect(lines.count == iterations + 2)
    #expect(lines.last?.hasPrefix("\(iterations),") == true)
    let warm = try Self.mpirun(ranks: 2, common + ["--x0", x])
    #expect(warm.status == 0, "\(warm.stderr)")
    #expect(try warm.json()["iterations"] as? Int == 0)
  }

  @Test("A PETSc error (an unknown PC in --petsc-options) is one line from rank 0 with PETSc's reason, exit 2")
  func petscErrorIsOneLine() throws {
    let run = try Self.mpirun(ranks: 2, [CLI.data("poisson2d_32.mtx"), "--engine", "petsc", "--petsc-options", "-pc_type nonexistent"])
    #expect(run.status == 2)
    let errors = run.stderr.split(separator: "\n").filter { $0.hasPrefix("solve: error:") }
    #expect(errors.count == 1)
    #expect(errors.first?.contains("KSPSetFromOptions failed") == true)
    #expect(errors.first?.contains("PC type nonexistent") == true)
  }

  @Test("Methods the engine does not have are refused before MPI starts (exit 2, one line)")
  func nativeOnlyMethod() throws {
    let run = try Self.mpirun(ranks: 2, [CLI.data("poisson2d_32.mtx"), "--engine", "petsc", "--method", "sor"])
    #expect(run.status == 2)
    #expect(run.stderr.split(separator: "\n").filter { $0.hasPrefix("solve: error:") }.count == 1)
    #expect(run.stderr.contains("--method sor is native only"))
  }
}
