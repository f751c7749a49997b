import LinSolveCore

/// The methods a ``SolverConfiguration`` can name: every solver of LinSolve behind one switch,
/// as `solve --method` offers them.
public enum SolverMethod: String, Sendable, CaseIterable, Codable {
  case cg, pcg, sor, ssor, gmres, minres, bicgstab, cholesky, lu
  /// Smoothed-aggregation AMG as a stationary solver (``MultigridIteration``).
  case amg
  case lsqr, lsmr, lapack, kaczmarz
  case sketchLSQR = "sketch-lsqr"
  case iterativeSketch = "iterative-sketch"
  case sketchProject = "sketch-project"

  /// CHOLMOD or UMFPACK.
  public var isDirect: Bool { self == .cholesky || self == .lu }
  /// Least-squares methods: they accept tall matrices and are judged by the backward error.
  public var isLeastSquares: Bool { [.lsqr, .lsmr, .lapack, .sketchLSQR, .iterativeSketch].contains(self) }
  /// Row-action methods (Kaczmarz, sketch-and-project): square or tall consistent systems.
  public var isRowAction: Bool { self == .kaczmarz || self == .sketchProject }
  /// Methods that take a preconditioner.
  public var acceptsPreconditioner: Bool { [.cg, .pcg, .gmres, .minres, .bicgstab].contains(self) }
  /// Methods that need a square matrix.
  public var needsSquareMatrix: Bool { !isLeastSquares && !isRowAction }
}

/// The preconditioners a ``SolverConfiguration`` can name.
public enum PreconditionerKind: String, Sendable, CaseIterable, Codable {
  case none, jacobi, ssor, ic0, ilu0, cholesky, nystrom
  /// Smoothed-aggregation algebraic multigrid, one V-cycle per application
  /// (``SmoothedAggregationAMG``).
  case amgSA = "amg-sa"
  /// Classical (Ruge–Stüben) algebraic multigrid, one V-cycle per application
  /// (``RugeStubenAMG``); also for nonsymmetric M-matrices with GMRES or BiCGSTAB.
  case amg
  /// A factor on IC(0)'s pattern computed by a network trained on the systems of a sequence
  /// already solved (LinSolveLearned's `LearnedSequenceSolver`): only `solve sequence
  /// --preconditioner learned --train K`; a single configuration refuses it.
  case learned

  /// Whether this is an algebraic multigrid (its options are ``SolverConfiguration/multigrid``).
  public var isMultigrid: Bool { self == .amgSA || self == .amg }
  /// Whether the preconditioner is built for symmetric matrices only (IC(0), smoothed
  /// aggregation, Nyström); the others also take nonsymmetric ones, for GMRES and BiCGSTAB.
  public var needsSymmetricMatrix: Bool { [.ic0, .amgSA, .nystrom, .learned].contains(self) }
}
