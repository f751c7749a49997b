import LinSolveCore
import LinSolveKrylov

/// Iterative sketching with momentum for tall least squares: one sketch, one QR of it, then a
/// preconditioned heavy-ball iteration on the normal equations, warm-started from
/// sketch-and-solve. Forward stable (Epperly 2024), unlike sketch-and-precondition LSQR.
///
/// 1. `S·A = QR` with one sparse sign sketch of `d = ⌈γn⌉` rows (γ = ``oversampling``,
///    default 12); `x₀ = R⁻¹Qᵀ(S·b)`.
/// 2. `x_{k+1} = x_k + α·R⁻¹R⁻ᵀAᵀ(b − A x_k) + β·(x_k − x_{k−1})`.
///
/// With ``Momentum/optimal`` (default), `β = n/d` and `α = (1 − β)²` (Ozaslan,
/// Pilanci & Arikan 2019; Lacotte & Pilanci 2021): the error contracts by about `√(n/d)` per
/// step, about 21–27 iterations at d = 12n for `κ = 10⁶` (research digest §6).
/// ``Momentum/none`` is the plain iteration (`α = 1, β = 0`; Epperly suggests
/// `d ≥ 20n`), ``Momentum/damped`` the optimal damping without momentum
/// (`α = (1 − r)²/(1 + r)`, `r = n/d`).
///
/// **Stopping** follows Epperly's code: stop when the change in the residual is at rounding
/// level, `‖r_k − r_{k−1}‖ ≤ u·(‖A‖‖x_k‖ + c·κ̂·‖r_k‖)` with `u` the unit roundoff,
/// `‖A‖ ≈ ‖R‖₂` (power iteration) and `κ̂` LAPACK's `dtrcon` estimate of `κ₁(R)`; `c` is
/// ``stopConstant``, 0.01 as in Epperly's MATLAB code. (The research digest quotes 0.04; we
/// measured that it stops one iteration earlier with a 5–10× larger backward error,
/// `‖Aᵀr‖/(‖A‖‖r‖) ≈ 4·10⁻¹²` instead of `≈ 8·10⁻¹³` on 20000×200, `κ = 10⁶`.) Also on
/// `‖r_k‖ ≤ max(rtol·‖b‖, atol)` (consistent systems; default `rtol = 10⁻¹⁵`), and at
/// ``StoppingCriterion/maxIterations`` (default 200) with ``StopReason/maxIterations``.
/// The monitor sees the true `‖r_k‖`, recomputed each step.
///
/// Each iteration costs one product with `A`, one with `Aᵀ` and two triangular solves.
///
/// References: E. N. Epperly, "Fast and forward stable randomized algorithms for linear
/// least-squares problems", SIAM J. Matrix Anal. Appl. 45(4), 2024 (arXiv 2311.04362; code
/// `Iterative-Sketching-Is-Stable/code/iterative_sketching.m`); M. Pilanci and
/// M. J. Wainwright, "Iterative Hessian sketch", JMLR 17(53), 2016; I. K. Ozaslan, M. Pilanci
/// and O. Arikan, "Iterative Hessian sketch with momentum", ICASSP 2019.
///
/// ```swift
/// let result = try IterativeSketching(seed: 7).solve(a, b)
/// print(result.iterations, result.leastSquares!.normalResidualNorm)
/// ```
public struct IterativeSketching: Sendable {
  /// Step size α and momentum β.
  public enum Momentum: Sendable, Equatable {
    /// `β = n/d`, `α = (1 − β)²` (default).
    case optimal
    /// `α = (1 − r)²/(1 + r)` with `r = n/d`, `β = 0`.
    case damped
    /// `α = 1`, `β = 0` (the plain iteration; use d ≥ 20n).
    case none
    /// Given `α` and `β`.
    case custom(alpha: Double, beta: Double)

    /// `(α, β)` for sketch dimension `d` and `n` columns.
    public func parameters(sketchRows d: Int, columns n: Int) -> (alpha: Double, beta: Double) {
      let r = Double(n) / Double(d)
      switch self {
      case .optimal: return ((1 - r) * (1 - r), r)
      case .damped: return ((1 - r) * (1 - r) / (1 + r), 0)
      case .none: return (1, 0)
      case let .custom(alpha, beta): return (alpha, beta)
      }
    }
  }

  /// The sketch family (default sparse sign, ζ = 8).
  public var distribution: SketchingOperator.Distribution
  /// γ: the sketch has `d = ⌈γn⌉` rows (capped at m). Default 12.
  public var oversampling: Double
  /// The sketch's seed.
  public var seed: UInt64
  /// Step size and momentum.
  public var momentum: Momentum
  /// `c` in the stopping rule `‖r_k − r_{k−1}‖ ≤ u(‖A‖‖x‖ + c·κ̂‖r‖)`.
  public var stopConstant: Double
  /// `rtol`/`atol` for consistent systems, `maxIterations` (default 200), time limit.
  public var stopping: StoppingCriterion
  /// Keep `‖r_k‖` at every iteration.
  public var recordHistory: Bool

  public init(
    distribution: SketchingOperator.Distribution = .sparseSign(), oversampling: Double = 12, seed: UInt64 = 0,
    momentum: Momentum = .optimal, stopConstant: Double = 0.01,
    stopping: StoppingCriterion = StoppingCriterion(rtol: 1e-15, maxIterations: 200), recordHistory: Bool = false
  ) {
    self.distribution = distribution
    self.oversampling = oversampling
    self.seed = seed
    self.momentum = momentum
    self.stopConstant = stopConstant
    self.stopping = stopping
    self.recordHistory = recordHistory
  }

  /// Solves `min ‖b − A x‖₂` for a tall `A` with full column rank. The result's residual norms
  /// are `‖b − A x‖` recomputed from `x`; ``SolveResult/leastSquares`` holds `‖Aᵀr‖`, the
  /// stopping figures, `κ̂(R)` and the time of each phase.
  ///
  /// - Throws: ``LinSolveError`` for a wide `A`, sizes that disagree, NaN/Inf in `b`, invalid
  ///   parameters, or a rank-deficient sketch.
  public func solve(_ a: some SketchableMatrix, _ b: [Double], monitor: SolveMonitor? = nil) throws -> SolveResult {
    try LeastSquaresScaling.run(a, b, x0: nil, stopping: stopping, monitor: monitor) { a, b, _, stopping, monitor in
      var method = self
      method.stopping = stopping
      return try method.attempt(a, b, monitor: monitor)
    }
  }

  /// One solve (``LeastSquaresScaling`` scales around it).
  private func attempt(_ a: some SketchableMatrix, _ b: [Double], monitor: SolveMonitor?) throws -> SolveResult {
    _ = try SolverInput.validate(a, b, x0: nil, stopping: stopping, square: false)
    guard stopConstant.isFinite, stopConstant >= 0 else {
      throw LinSolveError.invalidParameter(name: "stopConstant", reason: "\(stopConstant) is negative or not finite")
    }
    let factorization = try SketchedFactorization(
      a, b, oversampling: oversampling, distribution: distribution, seed: seed)
    let iterationStart = ContinuousClock.now
    let m = a.rows, n = a.columns
    let d = MemoryEstimate.sketchRows(rows: m, columns: n, factor: oversampling)  // min(m, ⌈γn⌉), no overflow
    let (alpha, beta) = momentum.parameters(sketchRows: d, columns: n)
    let r = factorization.r
    let normA = r.normEstimate(steps: max(2, Int.bitWidth - n.leadingZeroBitCount))  // ≈ log₂ n steps
    let kappa = r.conditionEstimate()
    let pair = AdjointPair(a)
    let bNorm = Vector.norm(b)

    let x = ScratchVector(factorization.sketchAndSolve), xOld = ScratchVector(factorization.sketchAndSolve)
    let g = ScratchVector(count: n)
    var residual = ScratchVector(count: m), residualNew = ScratchVector(count: m)
    var matvecs = 0
    // r₀ = b − A x₀
    pair.forward(x.readOnly, residual.buffer)
    matvecs += 1
    var rNorm = IterativeSketching.residualFromProduct(b, residual.buffer)
    var tracker = ConvergenceTracker(criterion: stopping, rhsNorm: bNorm, monitor: monitor, recordHistory: recordHistory)
    var ratio = Double.infinity
    let u = Double.ulpOfOne / 2
    // Rounding floor: once the change is within 10³ of the threshold and has not shrunk for 3
    // iterations, the iterate is as accurate as rounding allows (small m, where the change
    // sits a few √m ulps above the threshold, would otherwise run to maxIterations).
    var smallestChange = Double.infinity, stalls = 0

    let reason: StopReason = {
      if let stop = tracker.start(residualNorm: rNorm) { return stop }
      while true {
        // g ← R⁻¹R⁻ᵀAᵀr
        pair.transpose(residual.readOnly, g.buffer)
        matvecs += 1
        r.solveTranspose(g.buffer)
        r.solve(g.buffer)
        // x ← x + αg + β(x − x_old), x_old ← previous x
        IterativeSketching.momentumStep(x: x.buffer, xOld: xOld.buffer, g: g.readOnly, alpha: alpha, beta: beta)
        // r_new ← b − A x;  ‖r_new − r‖, ‖r_new‖
        pair.forward(x.readOnly, residualNew.buffer)
        matvecs += 1
        let (change, newNorm) = IterativeSketching.residualAndChange(b, residualNew.buffer, previous: residual.readOnly)
        swap(&residual, &residualNew)
        rNorm = newNorm
        let xNorm = Vector.norm(x.readOnly)
        let threshold = u * (normA * xNorm + stopConstant * kappa * rNorm)
        ratio = threshold > 0 ? change / threshold : (change == 0 ? 0 : .infinity)
        let stop = tracker.step(residualNorm: rNorm)
        if change <= threshold { return .converged }
        if change < smallestChange { smallestChange = change; stalls = 0 } else { stalls += 1 }
        if stalls >= 3 && change <= 1e3 * threshold { return .converged }
        if let stop { return stop }
      }
    }()
    let xs = x.array
    // The residual is current; one more product for ‖Aᵀr‖.
    pair.transpose(residual.readOnly, g.buffer)
    matvecs += 1
    var result = SolveResult(
      leastSquaresX: xs, reason: reason, iterations: tracker.iteration, residualNorm: Vector.norm(residual.readOnly),
      rhsNorm: bNorm, residualHistory: tracker.history, matvecs: matvecs,
      figures: LeastSquaresFigures(
        normalResidualNorm: Vector.norm(g.readOnly), operatorNormEstimate: normA, stoppingRatio: ratio,
        sketchConditionEstimate: kappa))
    result.setLeastSquaresTimings(LeastSquaresFigures.Timings(
      sketch: factorization.sketchSeconds, factor: factorization.factorSeconds,
      iterate: LSKernels.seconds(since: iterationStart)))
    return result
  }

  /// `r ← b − r` and returns `‖r‖`.
  private static func residualFromProduct(_ b: [Double], _ r: UnsafeMutableBufferPointer<Double>) -> Double {
    b.withUnsafeBufferPointer { bp in
      guard let bp = bp.baseAddress, let rp = r.baseAddress else { return 0 }
      return Parallel.sum(r.count) { range in
        var s = 0.0
        for i in range {
          let ri = bp[i] - rp[i]
          rp[i] = ri
          s += ri * ri
        }
        return s
      }.squareRoot()
    }
  }

  /// `r ← b − r`; returns `(‖r − previous‖, ‖r‖)`, one pass.
  private static func residualAndChange(
    _ b: [Double], _ r: UnsafeMutableBufferPointer<Double>, previous: UnsafeBufferPointer<Double>
  ) -> (change: Double, norm: Double) {
    b.withUnsafeBufferPointer { bp in
      guard let bp = bp.baseAddress, let rp = r.baseAddress, let pp = previous.baseAddress else { return (0, 0) }
      // Two sums in one pass: pack them as (change², norm²) per chunk.
      let chunks = Parallel.chunkCount(r.count)
      return withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * chunks) { partial in
        let out = UncheckedSendable(partial.baseAddress!)
        SketchThreads.run(chunks) { c in
          var change = 0.0, norm = 0.0
          for i in Parallel.chunk(c, of: chunks, count: r.count) {
            let ri = bp[i] - rp[i]
            rp[i] = ri
            let delta = ri - pp[i]
            change += delta * delta
            norm += ri * ri
          }
          out.value[2 * c] = change
          out.value[2 * c + 1] = norm
        }
        var change = 0.0, norm = 0.0
        for c in 0..<chunks {
          change += partial[2 * c]
          norm += partial[2 * c + 1]
        }
        return (change.squareRoot(), norm.squareRoot())
      }
    }
  }

  /// `x_new = x + αg + β(x − x_old)`; `x_old ← x`; `x ← x_new`.
  private static func momentumStep(
    x: UnsafeMutableBufferPointer<Double>, xOld: UnsafeMutableBufferPointer<Double>, g: UnsafeBufferPointer<Double>,
    alpha: Double, beta: Double
  ) {
    for i in 0..<x.count {
      let xi = x[i]
      x[i] = xi + alpha * g[i] + beta * (xi - xOld[i])
      xOld[i] = xi
    }
  }
}
