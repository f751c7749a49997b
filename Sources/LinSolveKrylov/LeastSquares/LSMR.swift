import LinSolveCore
import LinSolveDirect

/// LSMR (Fong & Saunders 2011) for `min ‖b − A x‖₂` with rectangular `A`, optionally
/// right-preconditioned by an upper-triangular `R`.
///
/// A standard implementation of the recurrences of SOL's `lsmr.m` / SciPy's `lsmr` without
/// damping: the same Golub–Kahan bidiagonalization as ``LSQR``, but each iterate minimises
/// `‖Āᵀr_k‖` over the Krylov space (MINRES on the normal equations), so `‖Āᵀr_k‖` decreases
/// monotonically and the solve can be stopped earlier and more safely than LSQR when only a
/// modest accuracy is wanted. Same stopping tests, preconditioning and warm start as ``LSQR``:
/// - least squares: `‖Āᵀr‖ / (‖Ā‖‖r‖) ≤ tolerance`;
/// - consistent systems: `‖r‖ ≤ max(rtol·‖b‖, atol) + tolerance·‖Ā‖‖y‖`;
/// with the estimates of `‖r‖`, `‖Āᵀr‖` (exact in exact arithmetic: `|ζ̄|`), `‖Ā‖_F` of the
/// recurrences and `‖y‖` the norm of the correction in the preconditioned variables.
/// The monitor and history see the estimate of `‖r_k‖`.
///
/// Reference: D. C.-L. Fong and M. A. Saunders, "LSMR: An iterative algorithm for sparse
/// least-squares problems", SIAM J. Sci. Comput. 33(5), 2950–2971, 2011.
///
/// ```swift
/// let result = try LSMR(tolerance: 1e-8).solve(a, b)
/// ```
///
/// Memory: two vectors of length m and six of length n (eight with `R`), allocated per solve.
public struct LSMR: Sendable, GolubKahanMethod {
  /// `rtol`/`atol` of the consistent-system test, `maxIterations`, time limit.
  public var stopping: StoppingCriterion
  /// The tolerance of `‖Āᵀr‖ / (‖Ā‖‖r‖)` (and the `‖Ā‖‖y‖` term of the consistent test).
  public var tolerance: Double
  /// `R`, applied on the right; `nil` for plain LSMR.
  public var preconditioner: UpperTriangularMatrix?
  /// Keep the estimate of `‖r_k‖` at every iteration.
  public var recordHistory: Bool

  public init(
    stopping: StoppingCriterion = StoppingCriterion(), tolerance: Double = 1e-10,
    preconditioner: UpperTriangularMatrix? = nil, recordHistory: Bool = false
  ) {
    self.stopping = stopping
    self.tolerance = tolerance
    self.preconditioner = preconditioner
    self.recordHistory = recordHistory
  }

  /// Solves `min ‖b − A x‖₂` from `x0` (zero when `nil`). The result's residual norms are
  /// `‖b − A x‖` recomputed from `x`; ``SolveResult/leastSquares`` holds `‖Aᵀr‖`, the
  /// operator-norm estimate, the stopping ratio and the timings.
  ///
  /// - Throws: ``LinSolveError`` for sizes that disagree, NaN/Inf in `b` or `x0`, an invalid
  ///   tolerance, or an `R` whose order is not `A.columns`. Non-convergence is a result.
  public func solve(
    _ a: some AdjointLinearOperator, _ b: [Double], x0: [Double]? = nil, monitor: SolveMonitor? = nil
  ) throws -> SolveResult {
    try scaledSolve(a, b, x0: x0, monitor: monitor)
  }

  package func run(_ pair: AdjointPair, _ b: [Double], x0: [Double], monitor: SolveMonitor?) -> SolveResult {
    let n = pair.columns
    let bNorm = Vector.norm(b)
    let x = ScratchVector(x0)
    let (r0, matvecs) = pair.initialResidual(b, x0: x)
    let gk = GolubKahan(pair, preconditioner: preconditioner)
    gk.start(residual: r0.readOnly)
    // Directions h, h̄ in x-space (R⁻¹h, R⁻¹h̄) and in y-space (for ‖y‖), and the correction y.
    let hx = ScratchVector(count: n), hbarx = ScratchVector(count: n)
    let hy = ScratchVector(count: n), hbary = ScratchVector(count: n), y = ScratchVector(count: n)
    for i in 0..<n {
      hx.buffer[i] = gk.p[i]
      hy.buffer[i] = gk.v.buffer[i]
    }
    var tracker = ConvergenceTracker(criterion: stopping, rhsNorm: bNorm, monitor: monitor, recordHistory: recordHistory)

    var zetabar = gk.alpha * gk.beta, alphabar = gk.alpha
    var rho = 1.0, rhobar = 1.0, cbar = 1.0, sbar = 0.0
    var betadd = gk.beta, betad = 0.0, rhodold = 1.0, tautildeold = 0.0, thetatilde = 0.0, zeta = 0.0
    var normA2 = gk.alpha * gk.alpha
    var normA = normA2.squareRoot()
    var normr = gk.beta
    var ratio = gk.beta > 0 ? gk.alpha / gk.beta : 0

    let reason: StopReason = {
      if let stop = tracker.start(residualNorm: normr) { return stop }
      if zetabar == 0 { return .converged }  // x₀ already solves the normal equations
      let consistentBase = tracker.threshold  // max(rtol·‖b‖, atol), or rtol·‖r₀‖ by the baseline
      while true {
        gk.step()
        let alpha = gk.alpha, beta = gk.beta
        // Rotation P_k (no damping: α̂ = ᾱ).
        let rhoold = rho
        let (c, s, rhoNew) = LSKernels.symOrtho(alphabar, beta)
        rho = rhoNew
        let thetanew = s * alpha
        alphabar = c * alpha
        // Rotation P̄_k.
        let rhobarold = rhobar, zetaold = zeta
        let thetabar = sbar * rho
        let (cb, sb, rb) = LSKernels.symOrtho(cbar * rho, thetanew)
        cbar = cb
        sbar = sb
        rhobar = rb
        zeta = cbar * zetabar
        zetabar = -sbar * zetabar
        // h̄ ← h − (θ̄ρ/(ρ_old ρ̄_old)) h̄;  x ← x + (ζ/(ρρ̄)) h̄;  h ← v − (θ_new/ρ) h
        let hbarFactor = -(thetabar * rho / (rhoold * rhobarold))
        let step = zeta / (rho * rhobar)
        let hFactor = -(thetanew / rho)
        LSMR.updateDirections(h: hx.buffer, hbar: hbarx.buffer, x: x.buffer, next: gk.p, hbarFactor, step, hFactor)
        LSMR.updateDirections(h: hy.buffer, hbar: hbary.buffer, x: y.buffer, next: gk.v.readOnly, hbarFactor, step, hFactor)
        // ‖r‖ estimate.
        let betaacute = betadd
        let betahat = c * betaacute
        betadd = -s * betaacute
        let thetatildeold = thetatilde
        let (ctildeold, stildeold, rhotildeold) = LSKernels.symOrtho(rhodold, thetabar)
        thetatilde = stildeold * rhobar
        rhodold = ctildeold * rhobar
        betad = -stildeold * betad + ctildeold * betahat
        tautildeold = (zetaold - thetatildeold * tautildeold) / rhotildeold
        let taud = (zeta - thetatilde * tautildeold) / rhodold
        normr = ((betad - taud) * (betad - taud) + betadd * betadd).squareRoot()
        // ‖Ā‖ estimate.
        normA2 += beta * beta
        normA = normA2.squareRoot()
        normA2 += alpha * alpha

        let normar = abs(zetabar)
        let normy = Vector.norm(y.readOnly)
        ratio = normA * normr > 0 ? normar / (normA * normr) : 0
        let leastSquaresMet = ratio <= tolerance || 1 + ratio <= 1
        let consistentMet = normr <= consistentBase + tolerance * normA * normy
        let stop = tracker.step(residualNorm: normr)
        if leastSquaresMet || consistentMet { return .converged }
        if let stop { return stop }
      }
    }()
    let xs = x.array
    let (res, normal) = SolveResult.leastSquaresResiduals(pair, x: xs, b: b)
    return SolveResult(
      leastSquaresX: xs, reason: reason, iterations: tracker.iteration, residualNorm: res, rhsNorm: bNorm,
      residualHistory: tracker.history, matvecs: matvecs + gk.matvecs + 2,
      figures: LeastSquaresFigures(normalResidualNorm: normal, operatorNormEstimate: normA, stoppingRatio: ratio))
  }

  /// `h̄ ← h + f̄·h̄;  x ← x + s·h̄;  h ← next + f·h`, one pass.
  private static func updateDirections(
    h: UnsafeMutableBufferPointer<Double>, hbar: UnsafeMutableBufferPointer<Double>,
    x: UnsafeMutableBufferPointer<Double>, next: UnsafeBufferPointer<Double>,
    _ hbarFactor: Double, _ step: Double, _ hFactor: Double
  ) {
    guard let hp = h.baseAddress, let hb = hbar.baseAddress, let xp = x.baseAddress, let np = next.baseAddress else {
      return
    }
    Parallel.forEachChunk(h.count) { range in
      for i in range {
        let hi = hp[i]
        let hbi = hi + hbarFactor * hb[i]
        hb[i] = hbi
        xp[i] += step * hbi
        hp[i] = np[i] + hFactor * hi
      }
    }
  }
}
