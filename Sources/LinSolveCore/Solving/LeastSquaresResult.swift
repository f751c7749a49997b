/// The outcome of a least-squares solve `min ‖b − A x‖₂` (``LSQR``, ``LSMR``,
/// ``SketchPreconditionedLSQR``, ``IterativeSketching``).
///
/// Beside the solution it reports the two numbers that say how good a least-squares solution
/// is: the residual `‖r‖ = ‖b − A x‖` and the normal-equations residual `‖Aᵀr‖` (zero at the
/// exact solution), both **recomputed from `x`** after the solve. Their ratio
/// `‖Aᵀr‖ / (‖A‖‖r‖)` is the backward-error proxy of the research digest (Blendenpik's and
/// LSQR's stopping test); pass the norm of `A` you trust to ``backwardErrorProxy(operatorNorm:)``.
public struct LeastSquaresResult: Sendable {
  /// Seconds spent in each phase of a solve.
  public struct Timings: Sendable, Equatable {
    /// Sketching `S·A` and `S·b` (0 for an unsketched method).
    public var sketch: Double
    /// Factoring the sketch (`dgeqrf`) and forming the warm start.
    public var factor: Double
    /// The iteration, including the final residual recomputation.
    public var iterate: Double

    public init(sketch: Double = 0, factor: Double = 0, iterate: Double = 0) {
      self.sketch = sketch
      self.factor = factor
      self.iterate = iterate
    }

    /// The whole solve.
    public var total: Double { sketch + factor + iterate }
  }

  /// The computed solution (the last iterate when not converged).
  public var x: [Double]
  /// Why the solve stopped.
  public var reason: StopReason
  /// Iterations performed (0 if the start already met the tolerance).
  public var iterations: Int
  /// `‖b − A x‖₂`, recomputed.
  public var residualNorm: Double
  /// `‖Aᵀ(b − A x)‖₂`, recomputed.
  public var normalResidualNorm: Double
  /// `‖b‖₂`.
  public var rhsNorm: Double
  /// The method's own estimate of the norm of the operator it iterated with: the Frobenius
  /// estimate of LSQR/LSMR (of `A R⁻¹` when preconditioned), or `‖R‖₂` for iterative sketching.
  public var operatorNormEstimate: Double
  /// The value of the method's stopping ratio when it stopped (for LSQR/LSMR the estimate of
  /// `‖Āᵀr‖ / (‖Ā‖‖r‖)`, `Ā` the iterated operator; for iterative sketching
  /// `‖r_k − r_{k−1}‖ / (u(‖R‖‖x‖ + c·κ̂‖r‖))`).
  public var stoppingRatio: Double
  /// The residual norms the method tracked at k = 0, 1, …, when asked for.
  public var residualHistory: [Double]?
  /// Products with `A` plus products with `Aᵀ` (sketching not included).
  public var matvecs: Int
  /// Where the time went.
  public var timings: Timings
  /// An estimate of the condition number of the sketch's triangular factor `R` (≈ κ(A)),
  /// when the method has one.
  public var sketchConditionEstimate: Double?

  public init(
    x: [Double], reason: StopReason, iterations: Int, residualNorm: Double, normalResidualNorm: Double,
    rhsNorm: Double, operatorNormEstimate: Double, stoppingRatio: Double, residualHistory: [Double]? = nil,
    matvecs: Int = 0, timings: Timings = Timings(), sketchConditionEstimate: Double? = nil
  ) {
    self.x = x
    self.reason = reason
    self.iterations = iterations
    self.residualNorm = residualNorm
    self.normalResidualNorm = normalResidualNorm
    self.rhsNorm = rhsNorm
    self.operatorNormEstimate = operatorNormEstimate
    self.stoppingRatio = stoppingRatio
    self.residualHistory = residualHistory
    self.matvecs = matvecs
    self.timings = timings
    self.sketchConditionEstimate = sketchConditionEstimate
  }

  /// Whether the solve met its tolerance.
  public var converged: Bool { reason.isConverged }

  /// `‖b − A x‖ / ‖b‖` (or the absolute norm when `b = 0`).
  public var relativeResidual: Double {
    rhsNorm > 0 ? residualNorm / rhsNorm : residualNorm
  }

  /// `‖Aᵀr‖ / (‖A‖‖r‖)` for a given `‖A‖` (e.g. `σ_max(A)` when known): the backward-error
  /// proxy of Meier, Nakatsukasa, Townsend & Webb (SIMAX 2024) and of the research digest.
  /// Returns 0 when `r = 0` (a consistent system solved exactly).
  public func backwardErrorProxy(operatorNorm: Double) -> Double {
    residualNorm == 0 ? 0 : normalResidualNorm / (operatorNorm * residualNorm)
  }

  /// The same solve as a ``SolveResult`` (for code that reports any solver uniformly; the
  /// tracked and true residual norms are both `‖b − A x‖`).
  public var solveResult: SolveResult {
    SolveResult(
      x: x, reason: reason, iterations: iterations, residualNorm: residualNorm,
      trueResidualNorm: residualNorm, rhsNorm: rhsNorm, residualHistory: residualHistory,
      seconds: timings.total, matvecs: matvecs)
  }
}

extension LeastSquaresResult {
  /// Recomputes `‖b − A x‖` and `‖Aᵀ(b − A x)‖` (two products).
  package static func residuals(_ pair: AdjointPair, x: [Double], b: [Double]) -> (residual: Double, normal: Double) {
    var r = [Double](repeating: 0, count: pair.rows)
    var atr = [Double](repeating: 0, count: pair.columns)
    x.withUnsafeBufferPointer { xp in r.withUnsafeMutableBufferPointer { pair.forward(xp, $0) } }
    for i in 0..<r.count { r[i] = b[i] - r[i] }
    r.withUnsafeBufferPointer { rp in atr.withUnsafeMutableBufferPointer { pair.transpose(rp, $0) } }
    return (Vector.norm(r), Vector.norm(atr))
  }
}
