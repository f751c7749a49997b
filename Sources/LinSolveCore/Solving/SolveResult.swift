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
  /// The method's own test was met, but the true residual `‖b − A·x‖`, recomputed from `x`,
  /// was not: the answer is not as accurate as asked (see ``SolveResult/confirmVerdict(threshold:)``).
  case inaccurate
  /// The residual grew past ``StoppingCriterion/dtol`` times the initial one (PETSc's
  /// `KSP_DIVERGED_DTOL`): the method does not converge on this matrix.
  case diverged
  /// A direct factorization found the matrix singular to working precision (its reciprocal
  /// condition estimate is below machine epsilon) and the solution misses the tolerance.
  case singular

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
  /// Matrix–vector products with `A` (plus those with `Aᵀ`, for a least-squares solve).
  public var matvecs: Int
  /// What a least-squares solve (``LSQR``, ``LSMR``, ``SketchPreconditionedLSQR``,
  /// ``IterativeSketching``) reports beyond these fields: `‖Aᵀr‖`, its stopping figures and the
  /// time of each phase; `nil` for other methods.
  public var leastSquares: LeastSquaresFigures?
  /// The rounding bound of ``trueResidualNorm`` the verdict used (``ResidualCertificate``).
  var residualRoundingBound = 0.0

  public init(
    x: [Double], reason: StopReason, iterations: Int, residualNorm: Double,
    trueResidualNorm: Double, rhsNorm: Double, residualHistory: [Double]? = nil,
    seconds: Double = 0, matvecs: Int = 0, leastSquares: LeastSquaresFigures? = nil
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
    self.leastSquares = leastSquares
  }

  /// Whether the solve reached its tolerance.
  public var converged: Bool { reason.isConverged }

  /// `‖b − A·x‖ / ‖b‖` (or the absolute norm when `b = 0`).
  public var relativeResidual: Double {
    rhsNorm > 0 ? trueResidualNorm / rhsNorm : trueResidualNorm
  }

  /// The verdict rule: a solve is ``StopReason/converged`` only if the true residual
  /// ``trueResidualNorm`` (recomputed from ``x``) meets `threshold` — never on the strength of
  /// the method's recursion alone. A `converged` whose true residual misses it becomes
  /// ``StopReason/inaccurate``; a non-finite true residual or solution becomes
  /// ``StopReason/nonFinite``. Other reasons are kept.
  ///
  /// - Parameters:
  ///   - threshold: the residual norm the criterion allows, e.g.
  ///     ``StoppingCriterion/threshold(rhsNorm:initialResidualNorm:)``.
  ///   - roundingBound: a bound on the rounding error of the recomputed residual
  ///     (``ResidualCertificate/roundingBound``), added to it before the comparison.
  public mutating func confirmVerdict(threshold: Double, roundingBound: Double = 0) {
    residualRoundingBound = roundingBound
    guard reason == .converged else { return }
    if !trueResidualNorm.isFinite || !Vector.allFinite(x) {
      reason = .nonFinite
    } else if !(trueResidualNorm + roundingBound <= threshold) {
      reason = .inaccurate
    }
  }
}
