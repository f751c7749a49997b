import LinSolveCore
import LinSolveDirect

/// LSQR (Paige & Saunders 1982) for `min ‖b − A x‖₂` with rectangular `A` (any shape and
/// rank), optionally right-preconditioned by an upper-triangular `R`.
///
/// A standard implementation of the recurrences of SOL's `lsqr.m` / SciPy's `lsqr` (without
/// damping and without the condition-number test): Golub–Kahan bidiagonalization of
/// `Ā = A R⁻¹` (or `A`), one Givens rotation per step, and the solution updated through one
/// direction vector. Mathematically it is CG on the normal equations `ĀᵀĀ y = Āᵀb`, but
/// stabler. The points to know:
/// - **Stopping.** The solve stops with ``StopReason/converged`` on either of the Paige–Saunders
///   tests, computed from the recurrence's estimates of `‖r‖`, `‖Āᵀr‖`, `‖Ā‖_F` and `‖y‖`:
///   - least squares: `‖Āᵀr‖ / (‖Ā‖‖r‖) ≤ tolerance` (Blendenpik's test; SciPy's `atol`);
///   - consistent systems: `‖r‖ ≤ max(rtol·‖b‖, atol) + tolerance·‖Ā‖‖y‖` (SciPy's `btol`
///     test, with ``StoppingCriterion/rtol`` as `btol`; `rtol·‖r₀‖` with the
///     ``StoppingCriterion/Baseline/initialResidual`` baseline), so a system with an exact
///     solution stops when its residual is small even though the ratio above need not be.
///   With `R`, `‖Ā‖` and `‖Āᵀr‖` are those of `A R⁻¹`: the test is on the preconditioned
///   problem, as in Blendenpik. ``StoppingCriterion/maxIterations`` and the time limit apply.
/// - **Right preconditioning**: the iteration runs on `A R⁻¹`, and `x = R⁻¹ y` is updated in
///   x-space directly (`R⁻¹v` is formed once per step for the product with `A` and reused).
///   The residual `r = b − A x` is the same with and without `R`.
/// - **Warm start**: from `x₀`, LSQR runs on the residual `r₀ = b − A x₀` and adds the
///   correction, so `‖y‖` in the consistent test is the norm of the correction.
/// - The monitor and ``SolveResult/residualHistory`` see the estimate of `‖r_k‖`
///   (monotonically non-increasing).
///
/// References: C. C. Paige and M. A. Saunders, "LSQR: An algorithm for sparse linear equations
/// and sparse least squares", ACM TOMS 8(1), 43–71, 1982; H. Avron, P. Maymounkov and
/// S. Toledo, "Blendenpik: Supercharging LAPACK's least-squares solver", SISC 32(3), 2010.
///
/// ```swift
/// let result = try LSQR(tolerance: 1e-12).solve(a, b)   // a: SparseMatrix or DenseMatrix
/// print(result.iterations, result.leastSquares!.normalResidualNorm)
/// ```
///
/// Memory: two vectors of length m and three of length n (five with `R`), allocated per solve.
/// A ``SparseMatrix`` is transposed once per solve so that `Aᵀu` is a threaded SpMV.
public struct LSQR: Sendable, GolubKahanMethod {
  /// `rtol`/`atol` of the consistent-system test, `maxIterations`, time limit.
  public var stopping: StoppingCriterion
  /// The tolerance of `‖Āᵀr‖ / (‖Ā‖‖r‖)` (and the `‖Ā‖‖y‖` term of the consistent test).
  public var tolerance: Double
  /// `R`, applied on the right; `nil` for plain LSQR.
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

  /// The iteration on an already validated problem (shared with ``SketchPreconditionedLSQR``).
  package func run(_ pair: AdjointPair, _ b: [Double], x0: [Double], monitor: SolveMonitor?) -> SolveResult {
    let n = pair.columns
    let bNorm = Vector.norm(b)
    let x = ScratchVector(x0)
    let w = ScratchVector(count: n)  // x-space direction R⁻¹w
    let (r0, matvecs) = pair.initialResidual(b, x0: x)
    let gk = GolubKahan(pair, preconditioner: preconditioner)
    gk.start(residual: r0.readOnly)
    var tracker = ConvergenceTracker(criterion: stopping, rhsNorm: bNorm, monitor: monitor, recordHistory: recordHistory)

    var anorm = 0.0, xxnorm = 0.0, z = 0.0
    var cs2 = -1.0, sn2 = 0.0
    var rhobar = gk.alpha, phibar = gk.beta
    var rnorm = gk.beta
    var ratio = gk.beta > 0 ? gk.alpha / gk.beta : 0
    for i in 0..<n { w.buffer[i] = gk.p[i] }

    let reason: StopReason = {
      if let stop = tracker.start(residualNorm: rnorm) { return stop }
      if gk.alpha * gk.beta == 0 { return .converged }  // x₀ already solves the normal equations
      let consistentBase = tracker.threshold  // max(rtol·‖b‖, atol), or rtol·‖r₀‖ by the baseline
      while true {
        gk.step()
        let alpha = gk.alpha, beta = gk.beta
        anorm = (anorm * anorm + alpha * alpha + beta * beta).squareRoot()
        // Rotation eliminating β from the lower bidiagonal matrix.
        let (cs, sn, rho) = LSKernels.symOrtho(rhobar, beta)
        let theta = sn * alpha
        rhobar = -cs * alpha
        let phi = cs * phibar
        phibar = sn * phibar
        let tau = sn * phi
        // x ← x + (φ/ρ) w;  w ← R⁻¹v + (−θ/ρ) w
        LSKernels.updateSolutionAndDirection(x: x.buffer, d: w.buffer, p: gk.p, s: phi / rho, t: -theta / rho)
        // ‖y‖ estimate (Paige–Saunders): a second rotation on the upper bidiagonal factor.
        let delta = sn2 * rho
        let gambar = -cs2 * rho
        let rhs = phi - delta * z
        let zbar = rhs / gambar
        let xnorm = (xxnorm + zbar * zbar).squareRoot()
        let gamma = (gambar * gambar + theta * theta).squareRoot()
        cs2 = gambar / gamma
        sn2 = theta / gamma
        z = rhs / gamma
        xxnorm += z * z

        rnorm = phibar
        let arnorm = alpha * abs(tau)
        ratio = anorm * rnorm > 0 ? arnorm / (anorm * rnorm) : 0
        let leastSquaresMet = ratio <= tolerance || 1 + ratio <= 1
        let consistentMet = rnorm <= consistentBase + tolerance * anorm * xnorm
        let stop = tracker.step(residualNorm: rnorm)
        if leastSquaresMet || consistentMet { return .converged }
        if let stop { return stop }
      }
    }()
    let xs = x.array
    let (res, normal) = SolveResult.leastSquaresResiduals(pair, x: xs, b: b)
    return SolveResult(
      leastSquaresX: xs, reason: reason, iterations: tracker.iteration, residualNorm: res, rhsNorm: bNorm,
      residualHistory: tracker.history, matvecs: matvecs + gk.matvecs + 2,
      figures: LeastSquaresFigures(normalResidualNorm: normal, operatorNormEstimate: anorm, stoppingRatio: ratio))
  }
}

/// Input checks shared by the least-squares solvers.
package enum LeastSquaresInput {
  package static func validate(
    _ a: some LinearOperator, _ b: [Double], x0: [Double]?, stopping: StoppingCriterion, tolerance: Double,
    preconditioner: UpperTriangularMatrix? = nil
  ) throws -> [Double] {
    guard tolerance.isFinite, tolerance >= 0, tolerance < 1 else {
      throw LinSolveError.invalidParameter(name: "tolerance", reason: "\(tolerance) is not in [0, 1)")
    }
    if let r = preconditioner, r.order != a.columns {
      throw LinSolveError.dimensionMismatch(expected: a.columns, actual: r.order, what: "triangular preconditioner R")
    }
    return try SolverInput.validate(a, b, x0: x0, stopping: stopping, square: false)
  }
}
