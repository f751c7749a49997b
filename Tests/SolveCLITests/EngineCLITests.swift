import Foundation
import Testing

/// `--engine` in every build: the native engine's report names itself, and a build without the
/// PETSc trait refuses `--engine petsc` with one clear error (the MPI runs are in
/// PETScEngineCLITests, compiled only with the trait).
@Suite("solve CLI: --engine")
struct EngineCLITests {
  @Test("The native report has engine native and ranks 1")
  func nativeReport() throws {
    let run = try CLI.run([CLI.data("poisson2d_32.mtx"), "--method", "cg", "--json"])
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    #expect(json["engine"] as? String == "native")
    #expect(json["ranks"] as? Int == 1)
  }

  @Test("--petsc-options without --engine petsc is bad input (exit 2)")
  func petscOptionsNeedTheEngine() throws {
    let run = try CLI.run([CLI.data("poisson2d_32.mtx"), "--petsc-options", "-ksp_view"])
    #expect(run.status == 2)
    #expect(run.stderr.contains("--petsc-options needs --engine petsc"))
  }

  #if !PETSc
  @Test("Without the PETSc trait, --engine petsc exits 2 with one line saying how to build it")
  func noPETScEngineInThisBuild() throws {
    let run = try CLI.run([CLI.data("poisson2d_32.mtx"), "--engine", "petsc", "--json"])
    #expect(run.status == 2)
    #expect(run.stderr == "solve: error: --engine petsc: this build has no PETSc engine; build with --traits PETSc (swift build --traits PETSc, or make test-mpi)\n")
    let json = try run.json()
    #expect((json["error"] as? String)?.contains("--traits PETSc") == true)
  }

  @Test("Without the PETSc trait, solve sequence --engine petsc is the same one line; the engine's options need it")
  func noPETScSequenceEngineInThisBuild() throws {
    let files = (0..<2).map { CLI.data("sequence/shifted_0\($0).mtx") }
    let run = try CLI.run(["sequence"] + files + ["--engine", "petsc", "--method", "cg"])
    #expect(run.status == 2)
    #expect(run.stderr == "solve: error: --engine petsc: this build has no PETSc engine; build with --traits PETSc (swift build --traits PETSc, or make test-mpi)\n")
    let fischer = try CLI.run(["sequence"] + files + ["--method", "cg", "--fischer", "2"])
    #expect(fischer.status == 2)
    #expect(fischer.stderr.contains("go with --engine petsc"))
  }
  #endif
}
