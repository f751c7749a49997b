import ArgumentParser
import Foundation

/// `--engine`: who solves one system. `native` is LinSolve; `petsc` is PETSc's KSP on MPI ranks
/// (`mpirun -np R solve A.mtx --engine petsc`), present only in a build with the `PETSc` trait
/// (`swift build --traits PETSc`, `make test-mpi`; docs/SCALE_OUT.md).
enum Engine: String, ExpressibleByArgument, CaseIterable {
  case native, petsc

  static let help: ArgumentHelp = """
    Who solves: native (LinSolve) or petsc (PETSc KSP/PC on the ranks of mpirun: cg, pcg, gmres, bicgstab, \
    minres, cholesky and lu by MUMPS, auto; preconditioners none, jacobi, ic0/ilu0 = block Jacobi + ICC/ILU, amg = hypre BoomerAMG, \
    amg-sa = GAMG). petsc needs a build with --traits PETSc.
    """

  /// Whether this build has the PETSc engine.
  static var petscAvailable: Bool {
    #if PETSc
    true
    #else
    false
    #endif
  }

  /// The error of `--engine petsc` in a build without the trait (exit 2).
  static let unavailable = CLIFailure.badInput(
    "--engine petsc: this build has no PETSc engine; build with --traits PETSc (swift build --traits PETSc, or make test-mpi)")

  /// This process's rank when an MPI launcher started it (`mpirun` sets `OMPI_COMM_WORLD_RANK`,
  /// PMIx launchers `PMIX_RANK`, others `PMI_RANK`), `nil` otherwise. Every rank parses the same
  /// command line, so only rank 0 reports what is wrong with it.
  static var launcherRank: Int? {
    let environment = ProcessInfo.processInfo.environment
    for name in ["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"] {
      if let value = environment[name], let rank = Int(value) { return rank }
    }
    return nil
  }
}
