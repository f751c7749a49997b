/// What a least-squares solve `min ‖b − A x‖₂` (``LSQR``, ``LSMR``,
/// ``SketchPreconditionedLSQR``, ``IterativeSketching``) reports beyond the fields of
/// ``SolveResult``: the payload ``SolveResult/leastSquares``.
///
/// A least-squares solution is judged by two numbers: the residual `‖r‖ = ‖b − A x‖`
/// (``SolveResult/residualNorm`` and ``SolveResult/trueResidualNorm``, both **recomputed from
/// `x`** after the solve) and the normal-equations residual `‖Aᵀr‖` (``normalResidualNorm``,
/// recomputed too; zero at the exact solution). Their ratio `‖Aᵀr‖ / (‖A‖‖r‖)` is the
/// backward-error proxy of the research digest (Blendenpik's and LSQR's stopping test); pass
/// the norm of `A` you trust to ``SolveResult/backwardErrorProxy(operatorNorm:)``.
public struct LeastSquaresFigures: Sendable, Equatable {
  /// Seconds spent in each phase of a solve (their ``total`` is ``SolveResult/seconds``).
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

  /// `‖Aᵀ(b − A x)‖₂`, recomputed from `x`.
  public var normalResidualNorm: Double
  /// The method's own estimate of the norm of the operator it iterated with: the Frobenius
  /// estimate of LSQR/LSMR (of `A R⁻¹` when preconditioned), or `‖R‖₂` for iterative sketching.
  public var operatorNormEstimate: Double
  /// The value of the method's stopping ratio when it stopped (for LSQR/LSMR the estimate of
  /// `‖Āᵀr‖ / (‖Ā‖‖r‖)`, `Ā` the iterated operator; for iterative sketching
  /// `‖r_k − r_{k−1}‖ / (u(‖R‖‖x‖ + c·κ̂‖r‖))`).
  public var stoppingRatio: Double
  /// Where the time went.
  public var timings: Timings
  /// An estimate of the condition number of the sketch's triangular factor `R` (≈ κ(A)),
  /// when the method has one.
  public var sketchConditionEstimate: Double?

  public init(
    normalResidualNorm: Double, operatorNormEstimate: Double, stoppingRatio: Double,
    timings: Timings = Timings(), sketchConditionEstimate: Double? = nil
  ) {
    self.normalResidualNorm = normalResidualNorm
    self.operatorNormEstimate = operatorNormEstimate
    self.stoppingRatio = stoppingRatio
    self.timings = timings
    self.sketchConditionEstimate = sketchConditionEstimate
  }
}

extension SolveResult {
  /// `‖Aᵀr‖ / (‖A‖‖r‖)` for a given `‖A‖` (e.g. `σ_max(A)` when known): the backward-error
  /// proxy of Meier, Nakatsukasa, Townsend & Webb (SIMAX 2024) and of the research digest.
  /// 0 when `r = 0` (a consistent system solved exactly); `nil` without a
  /// ``leastSquares`` payload.
  public func backwardErrorProxy(operatorNorm: Double) -> Double? {
    guard let leastSquares else { return nil }
    return residualNorm == 0 ? 0 : leastSquares.normalResidualNorm / (operatorNorm * residualNorm)
  }

  /// The result of a least-squares solve: `‖b − A x‖` (recomputed) is both the tracked and the
  /// true residual norm, and ``seconds`` is the total of the payload's timings.
  package init(
    leastSquaresX x: [Double], reason: StopReason, iterations: Int, residualNorm: Double, rhsNorm: Double,
    residualHistory: [Double]?, matvecs: Int, figures: LeastSquaresFigures
  ) {
    self.init(
      x: x, reason: reason, iterations: iterations, residualNorm: residualNorm, trueResidualNorm: residualNorm,
      rhsNorm: rhsNorm, residualHistory: residualHistory, seconds: figures.timings.total, matvecs: matvecs,
      leastSquares: figures)
  }

  /// Sets the payload's timings and ``seconds`` (their total) together.
  package mutating func setLeastSquaresTimings(_ timings: LeastSquaresFigures.Timings) {
    leastSquares?.timings = timings
    seconds = timings.total
  }

  /// Recomputes `‖b − A x‖` and `‖Aᵀ(b − A x)‖` (two products).
  package static func leastSquaresResiduals(_ pair: AdjointPair, x: [Double], b: [Double])
    -> (residual: Double, normal: Double)
  {
    var r = [Double](repeating: 0, count: pair.rows)
    var atr = [Double](repeating: 0, count: pair.columns)
    x.withUnsafeBufferPointer { xp in r.withUnsafeMutableBufferPointer { pair.forward(xp, $0) } }
    for i in 0..<r.count { r[i] = b[i] - r[i] }
    r.withUnsafeBufferPointer { rp in atr.withUnsafeMutableBufferPointer { pair.transpose(rp, $0) } }
    return (Vector.norm(r), Vector.norm(atr))
  }
}
