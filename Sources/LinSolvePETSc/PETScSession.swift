#if PETSc
import CMPI
import CPETSc

/// PETSc (and MPI under it) for the life of a process: `PetscInitialize` once, `PetscFinalize`
/// once. Under `mpirun -np R` every rank makes one session; without `mpirun` the process is a
/// single rank (Open MPI's singleton start).
///
/// PETSc is started without the command line, so only `PETSC_OPTIONS` and options inserted
/// later (``DistributedSolverConfiguration/petscOptions``) reach its options database. Every
/// PETSc object of a solve must be destroyed (go out of scope) before ``finalize()``.
public final class PETScSession {
  /// `PETSC_COMM_WORLD`.
  public let communicator: MPI_Comm
  /// This process's rank in ``communicator``, 0 ..< ``ranks``.
  public let rank: Int
  /// The number of ranks.
  public let ranks: Int
  private var finalized = false

  /// Starts PETSc, makes PETSc return errors instead of printing them, and turns on PETSc's
  /// event log (the matrix–vector product count of a solve).
  public init() throws(PETScError) {
    try check(linsolve_petsc_initialize(), "PetscInitialize")
    try check(linsolve_petsc_return_errors(), "PetscPushErrorHandler")
    try check(PetscLogDefaultBegin(), "PetscLogDefaultBegin")
    communicator = linsolve_petsc_comm_world()
    var rank: Int32 = 0, size: Int32 = 1
    MPI_Comm_rank(communicator, &rank)
    MPI_Comm_size(communicator, &size)
    self.rank = Int(rank)
    ranks = Int(size)
  }

  /// Whether this is rank 0, the one that prints and writes files.
  public var isRoot: Bool { rank == 0 }

  /// `PetscFinalize` (which ends MPI too); later calls do nothing.
  public func finalize() {
    guard !finalized else { return }
    finalized = true
    _ = PetscFinalize()
  }
}
#endif
