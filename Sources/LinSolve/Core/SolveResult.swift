/// Why a solve stopped. Modelled on PETSc's `KSPConvergedReason`, as an enum.
public enum StopReason: String, Sendable, Codable, CaseIterable {
  /// The residual met the ``StoppingCriterion``.
  case converged
  /// ``StoppingCriterion/maxIterations`` was reached first.
  case maxIterations
  /// A scalar the method divides by vanished (e.g. BiCGSTAB's ρ = 0).
  case breakdown
  /// CG met a direction with `pᵀAp ≤ 0`: the matrix (or preconditioner) is not positive definite.
  case indefinite
  /// The residual stopped decreasing.
  case stagnation
  /// A NaN or Inf appeared in the iteration.
  case nonFinite
  /// The monitor callback asked to stop.
  case cancelled
  /// ``StoppingCriterion/timeLimit`` passed.
  case timeLimit

  /// Whether the solve reached its tolerance.
  public var isConverged: Bool { self == .converged }
}

/// The outcome of a solve: the solution and how it was reached.
public struct SolveResult: Sendable {
  /// The computed solution (or the last iterate when not converged).
  public var x: [Double]
  /// Why the solve stopped.
  public var reason: StopReason
  /// Iterations performed (0 for a direct solve or an already-converged start).
  public var iterations: Int
  /// The residual norm the method tracked at the end (recursive for Krylov methods).
  public var residualNorm: Double
  /// `‖b − A·x‖`, recomputed from `x` after the solve.
  public var trueResidualNorm: Double
  /// `‖b‖`, for relative figures.
  public var rhsNorm: Double
  /// Residual norms at k = 0, 1, …, when asked for.
  public var residualHistory: [Double]?
  /// Seconds spent in the iteration (or factorization + solve for a direct method).
  public var seconds: Double
  /// Matrix–vector products with `A`.
  public var matvecs: Int

  public init(
    x: [Double], reason: StopReason, iterations: Int, residualNorm: Double,
    trueResidualNorm: Double, rhsNorm: Double, residualHistory: [Double]? = nil,
    seconds: Double = 0, matvecs: Int = 0
  ) {
    self.x = x
    self.reason = reason
    self.iterations = iterations
    self.residualNorm = residualNorm
    self.trueResidualNorm = trueResidualNorm
    self.rhsNorm = rhsNorm
    self.residualHistory = residualHistory
    self.seconds = seconds
    self.matvecs = matvecs
  }

  /// Whether the solve reached its tolerance.
  public var converged: Bool { reason.isConverged }

  /// `‖b − A·x‖ / ‖b‖` (or the absolute norm when `b = 0`).
  public var relativeResidual: Double {
    rhsNorm > 0 ? trueResidualNorm / rhsNorm : trueResidualNorm
  }
}
