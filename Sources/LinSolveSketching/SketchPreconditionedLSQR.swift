import LinSolveCore
import LinSolveKrylov

/// Sketch-and-precondition least squares (Blendenpik / LSRN style): LSQR on `A R⁻¹`, where
/// `R` comes from a QR factorization of a sketch `S·A`, warm-started from the sketch-and-solve
/// solution.
///
/// For a tall `A` (`m ≥ n`):
/// 1. sketch: `S·A` and `S·b` with a ``SketchingOperator`` of `d = ⌈γn⌉` rows (γ =
///    ``oversampling``, default 4; sparse sign with ζ = 8 by default);
/// 2. factor: `S·A = QR` (LAPACK `dgeqrf`, through LAPACKE's high-level interface so the
///    workspace query happens); `A R⁻¹` then has singular values in `[1/(1+ε), 1/(1−ε)]`,
///    `ε ≈ √(n/d)`, whatever `κ(A)` is;
/// 3. warm start (``warmStart``, default on): `x₀ = R⁻¹Qᵀ(S·b)`, the sketch-and-solve solution;
/// 4. iterate: ``LSQR`` on `A R⁻¹` from `x₀`, stopping when `‖(AR⁻¹)ᵀr‖ / (‖AR⁻¹‖‖r‖) ≤`
///    ``tolerance`` (Blendenpik's test), or on the consistent-system test of ``LSQR``.
///
/// Convergence is fast and predictable: each iteration reduces the error by about `1/√γ`, so
/// about 40 iterations reach `10⁻¹⁴` at γ = 4 (research digest §3, §6). **The warm start
/// matters**: from `x₀ = 0` the method is not backward stable for ill-conditioned `A` (Meier,
/// Nakatsukasa, Townsend & Webb 2024) and loses about three digits of backward error at
/// `κ = 10⁶`: on the digest's 10⁵×1000 problem we measured `‖Aᵀr‖/(‖A‖‖r‖) = 1.2·10⁻⁹` cold
/// (52 iterations) against `1.2·10⁻¹²` warm (42 iterations; `dgels`: `1.2·10⁻¹²`). Even
/// warm-started it is not always backward stable for `κ` near `1/u`; ``IterativeSketching``
/// is forward stable.
///
/// The result's ``SolveResult/leastSquares`` payload reports `‖Aᵀr‖`, the time of each phase
/// in ``LeastSquaresFigures/timings`` and an estimate of `κ(R) ≈ κ(A)` in
/// ``LeastSquaresFigures/sketchConditionEstimate``.
///
/// References: H. Avron, P. Maymounkov and S. Toledo, "Blendenpik: Supercharging LAPACK's
/// least-squares solver", SISC 32(3), 1217–1236, 2010; X. Meng, M. A. Saunders and
/// M. W. Mahoney, "LSRN: A parallel iterative solver for strongly over- or underdetermined
/// systems", SISC 36(2), 2014; M. Meier, Y. Nakatsukasa, A. Townsend and M. Webb, "Are
/// sketch-and-precondition least squares solvers numerically stable?", SIMAX 45(2), 2024.
///
/// ```swift
/// let solver = SketchPreconditionedLSQR(seed: 123)
/// let result = try solver.solve(a, b)        // a: DenseMatrix or SparseMatrix, m ≥ n
/// let timings = result.leastSquares!.timings
/// print(result.iterations, timings.sketch, timings.factor, timings.iterate)
/// ```
public struct SketchPreconditionedLSQR: Sendable {
  /// The sketch family (default sparse sign, ζ = 8).
  public var distribution: SketchingOperator.Distribution
  /// γ: the sketch has `d = ⌈γn⌉` rows (capped at m). Default 4.
  public var oversampling: Double
  /// The sketch's seed: the same seed gives the same result (for a given thread count of the
  /// iteration's dot products).
  public var seed: UInt64
  /// Start LSQR from the sketch-and-solve solution (default) rather than from 0.
  public var warmStart: Bool
  /// The tolerance of `‖(AR⁻¹)ᵀr‖ / (‖AR⁻¹‖‖r‖)` (default `1e-14`).
  public var tolerance: Double
  /// The consistent-system test's `rtol`/`atol`, `maxIterations` (default 1000), time limit.
  public var stopping: StoppingCriterion
  /// Keep LSQR's estimate of `‖r_k‖` at every iteration.
  public var recordHistory: Bool

  public init(
    distribution: SketchingOperator.Distribution = .sparseSign(), oversampling: Double = 4, seed: UInt64 = 0,
    warmStart: Bool = true, tolerance: Double = 1e-14,
    stopping: StoppingCriterion = StoppingCriterion(rtol: 1e-14, maxIterations: 1000), recordHistory: Bool = false
  ) {
    self.distribution = distribution
    self.oversampling = oversampling
    self.seed = seed
    self.warmStart = warmStart
    self.tolerance = tolerance
    self.stopping = stopping
    self.recordHistory = recordHistory
  }

  /// Solves `min ‖b − A x‖₂` for a tall `A` with full column rank. The result's residual norms
  /// are `‖b − A x‖` recomputed from `x`; ``SolveResult/leastSquares`` holds `‖Aᵀr‖`, the
  /// stopping figures, `κ̂(R)` and the time of each phase.
  ///
  /// - Throws: ``LinSolveError`` for a wide `A`, sizes that disagree, NaN/Inf in `b`, invalid
  ///   parameters, or a rank-deficient sketch (`R` with a zero diagonal entry).
  public func solve(_ a: some SketchableMatrix, _ b: [Double], monitor: SolveMonitor? = nil) throws -> SolveResult {
    try LeastSquaresScaling.run(a, b, x0: nil, stopping: stopping, monitor: monitor) { a, b, _, stopping, monitor in
      var method = self
      method.stopping = stopping
      return try method.attempt(a, b, monitor: monitor)
    }
  }

  /// One solve (``LeastSquaresScaling`` scales around it).
  private func attempt(_ a: some SketchableMatrix, _ b: [Double], monitor: SolveMonitor?) throws -> SolveResult {
    _ = try LeastSquaresInput.validate(a, b, x0: nil, stopping: stopping, tolerance: tolerance)
    let factorization = try SketchedFactorization(
      a, b, oversampling: oversampling, distribution: distribution, seed: seed)
    let iterationStart = ContinuousClock.now
    let x0 = warmStart ? factorization.sketchAndSolve : [Double](repeating: 0, count: a.columns)
    let lsqr = LSQR(stopping: stopping, tolerance: tolerance, preconditioner: factorization.r, recordHistory: recordHistory)
    var result = lsqr.run(AdjointPair(a), b, x0: x0, monitor: monitor)
    result.setLeastSquaresTimings(LeastSquaresFigures.Timings(
      sketch: factorization.sketchSeconds, factor: factorization.factorSeconds,
      iterate: LSKernels.seconds(since: iterationStart)))
    result.leastSquares?.sketchConditionEstimate = factorization.r.conditionEstimate()
    return result
  }
}
