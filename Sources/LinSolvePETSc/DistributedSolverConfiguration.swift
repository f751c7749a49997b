import LinSolveCore

/// The methods of the PETSc engine, named as LinSolve names them (`--method`): Krylov methods,
/// and the direct factorizations by MUMPS (distributed; in Debian's PETSc).
public enum DistributedMethod: String, Sendable, CaseIterable {
  case cg, gmres, bicgstab, minres, cholesky, lu

  /// PETSc's `KSPType` (`preonly` for a factorization: one application of the factors).
  public var kspType: String {
    switch self {
    case .cg: "cg"
    case .gmres: "gmres"
    case .bicgstab: "bcgs"
    case .minres: "minres"
    case .cholesky, .lu: "preonly"
    }
  }

  /// Whether this is a factorization (`PCCHOLESKY` / `PCLU` with MUMPS; no preconditioner).
  public var isDirect: Bool { self == .cholesky || self == .lu }

  /// The `PCType` of a factorization.
  public var factorPCType: String? {
    switch self {
    case .cholesky: "cholesky"
    case .lu: "lu"
    default: nil
    }
  }
}

/// The preconditioners of the PETSc engine, named as LinSolve names them (`--preconditioner`).
public enum DistributedPreconditioner: String, Sendable, CaseIterable {
  case none, jacobi, ic0, ilu0, amg
  case amgSA = "amg-sa"

  /// PETSc's `PCType`.
  public var pcType: String {
    switch self {
    case .none: "none"
    case .jacobi: "jacobi"
    case .ic0, .ilu0: "bjacobi"
    case .amg: "hypre"
    case .amgSA: "gamg"
    }
  }

  /// The `PCType` of each rank's block under block Jacobi (`-sub_pc_type`).
  public var subPCType: String? {
    switch self {
    case .ic0: "icc"
    case .ilu0: "ilu"
    default: nil
    }
  }

  /// What PETSc runs, for reports: e.g. `block Jacobi + ICC(0) (bjacobi/icc)`.
  public var petscDescription: String {
    switch self {
    case .none: "none"
    case .jacobi: "Jacobi (jacobi)"
    case .ic0: "block Jacobi + ICC(0) per rank (bjacobi/icc)"
    case .ilu0: "block Jacobi + ILU(0) per rank (bjacobi/ilu)"
    case .amg: "hypre BoomerAMG (hypre/boomeramg)"
    case .amgSA: "smoothed-aggregation AMG (gamg)"
    }
  }
}

/// SOR on the PETSc engine (`PCSOR` with `PCSORSetOmega`): the relaxation `solve sequence
/// --engine petsc --method sor|ssor|ssor-pcg` tunes ω of. On several ranks PETSc's SOR is local:
/// each rank sweeps its diagonal block (processor-block Jacobi outside, SOR inside), so the
/// iteration counts grow with the ranks; on one rank it is SOR.
public struct DistributedRelaxation: Sendable, Equatable {
  /// How the sweeps are used.
  public enum Use: Sendable, Equatable {
    /// As the iteration (`KSPRICHARDSON` preconditioned by the sweep): SOR, or SSOR.
    case solver
    /// As the preconditioner of the configuration's Krylov method (SSOR-PCG: CG + symmetric sweeps).
    case preconditioner
  }

  /// The relaxation parameter ω ∈ (0, 2).
  public var omega: Double
  /// Symmetric sweeps (forward then backward: SSOR) or forward sweeps only (SOR).
  public var symmetric: Bool
  public var use: Use

  public init(omega: Double, symmetric: Bool, use: Use) {
    self.omega = omega
    self.symmetric = symmetric
    self.use = use
  }
}

/// How the PETSc engine solves: a method, a preconditioner, LinSolve's stopping criterion, and
/// PETSc options for the rest.
///
/// The criterion means what it means natively: the *unpreconditioned* residual norm is tested,
/// `‖r_k‖ ≤ max(rtol·‖b‖, atol)` (PETSc's default test with `KSP_NORM_UNPRECONDITIONED`; GMRES
/// and BiCGSTAB precondition on the right for it), and the verdict is the true residual's,
/// recomputed after the solve. PETSc 3.18's MINRES tests only the preconditioned norm; with a
/// preconditioner that is noted. `timeLimit` is not supported by the engine. The direct methods
/// factorize with MUMPS (`preonly`, no preconditioner, no iteration settings); their verdict is
/// the true residual's too.
public struct DistributedSolverConfiguration: Sendable {
  public var method: DistributedMethod
  public var preconditioner: DistributedPreconditioner
  public var stopping: StoppingCriterion
  /// GMRES restart length.
  public var restart: Int
  /// PETSc options (`-ksp_type fgmres -pc_hypre_boomeramg_strong_threshold 0.5 …`), inserted
  /// after the settings above, so they override them (`PetscOptionsInsertString`).
  public var petscOptions: String?
  /// Whether to keep the residual norm of every iteration.
  public var recordHistory: Bool
  /// SOR sweeps instead of ``preconditioner`` (and, used as the solver, instead of ``method``).
  public var relaxation: DistributedRelaxation?

  public init(
    method: DistributedMethod, preconditioner: DistributedPreconditioner, stopping: StoppingCriterion,
    restart: Int = 30, petscOptions: String? = nil, recordHistory: Bool = false, relaxation: DistributedRelaxation? = nil
  ) {
    self.relaxation = relaxation
    self.method = method
    self.preconditioner = preconditioner
    self.stopping = stopping
    self.restart = restart
    self.petscOptions = petscOptions
    self.recordHistory = recordHistory
  }
}
