import LinSolveCore
import LinSolveMultigrid
import LinSolveSketching

/// Everything that says how to solve one system: the method, its preconditioner and their
/// parameters — what `solve`'s options describe and what ``AutoChoice`` picks. A value;
/// ``PreparedSolver`` does the set-up it implies.
public struct SolverConfiguration: Sendable, Equatable {
  public var method: SolverMethod
  /// Ignored by methods that take none (``SolverMethod/acceptsPreconditioner``).
  public var preconditioner: PreconditionerKind
  /// The stopping criterion; every verdict is judged by it (the true residual).
  public var stopping: StoppingCriterion
  /// ω of SOR, SSOR and the SSOR preconditioner (0 < ω < 2).
  public var omega: Double
  /// GMRES's restart length m (capped at n).
  public var restart: Int
  /// Keep the residual norm of every iteration.
  public var recordHistory: Bool
  /// When IC(0) cannot be built, use Jacobi; when Cholesky fails (not positive definite), use
  /// LU — what ``AutoChoice`` asks for, instead of failing.
  public var fallBack: Bool
  /// The sketch of `sketch-lsqr` and `iterative-sketch`.
  public var sketch: SketchingOperator.Distribution
  /// The sketch size d as a multiple of n (`nil`: 4 for `sketch-lsqr`, 12 for `iterative-sketch`).
  public var sketchFactor: Double?
  /// Seed of the sketches and of the row-action methods' sampling.
  public var seed: UInt64
  /// The Nyström preconditioner's rank (`nil`: adaptive) and the shift μ the matrix includes.
  public var nystromRank: Int?
  public var nystromShift: Double?
  /// The AMG's options (`--amg-theta`, `--amg-smoother`) for `amg-sa` and `--method amg`.
  public var multigrid: MultigridOptions

  public init(
    method: SolverMethod, preconditioner: PreconditionerKind = .none, stopping: StoppingCriterion = StoppingCriterion(),
    omega: Double = 1, restart: Int = 30, recordHistory: Bool = false, fallBack: Bool = false,
    sketch: SketchingOperator.Distribution = .sparseSign(), sketchFactor: Double? = nil, seed: UInt64 = 0,
    nystromRank: Int? = nil, nystromShift: Double? = nil, multigrid: MultigridOptions = .init()
  ) {
    self.method = method
    self.preconditioner = preconditioner
    self.stopping = stopping
    self.omega = omega
    self.restart = restart
    self.recordHistory = recordHistory
    self.fallBack = fallBack
    self.sketch = sketch
    self.sketchFactor = sketchFactor
    self.seed = seed
    self.nystromRank = nystromRank
    self.nystromShift = nystromShift
    self.multigrid = multigrid
  }
}
