import LinSolveCore

extension DirectSolver {
  /// Solves `A x = b` with the factorization of `a` and judges the answer by its true residual,
  /// as every iterative method is judged: ``StopReason/converged`` only if
  /// `‖b − A x‖ ≤ max(rtol·‖b‖, atol)` (`stopping`'s threshold) holds for the exact residual of
  /// the computed `x` (the computed one plus its rounding bound, ``ResidualCertificate``).
  ///
  /// When the first solution misses the threshold, up to `refinementSteps` steps of iterative
  /// refinement (`x ← x + A⁻¹(b − A x)`, one product and one solve each; Wilkinson 1963,
  /// Higham, *Accuracy and Stability*, ch. 12) are taken while they reduce the residual. What
  /// still misses it is ``StopReason/singular`` when the factorization's reciprocal condition
  /// estimate is below machine epsilon (UMFPACK's `min|u_ii| / max|u_ii|`) or when the residual's
  /// rounding bound alone reaches `‖b‖` (`x` is so large that `κ(A) ≳ 1/(k·u)`), otherwise
  /// ``StopReason/inaccurate``; a NaN or Inf in `x` is ``StopReason/nonFinite``. Iterations
  /// count the refinement steps; matvecs the residual products.
  ///
  /// - Parameters:
  ///   - a: the matrix this solver has factorized.
  ///   - stopping: the criterion (`rtol`, `atol`; the baseline is `‖b‖`).
  ///   - refinementSteps: at most this many refinement steps (0 for none).
  ///   - monitor: the ``SolveMonitor`` contract for a direct solve: called at `k = 0` with
  ///     `‖b − A x‖` of the first solution, then after each refinement step `k = 1, 2, …`
  ///     (its answer is ignored: there is nothing left to stop).
  /// - Throws: as ``solve(_:into:)``.
  public func solve(
    _ a: SparseMatrix, _ b: [Double], stopping: StoppingCriterion, refinementSteps: Int = 2,
    monitor: SolveMonitor? = nil
  ) throws -> SolveResult {
    let clock = ContinuousClock()
    let started = clock.now
    try stopping.validate()
    guard a.rows == rows, b.count == rows else {
      throw LinSolveError.dimensionMismatch(expected: rows, actual: a.rows == rows ? b.count : a.rows, what: "system")
    }
    let bNorm = Vector.norm(b)
    let threshold = stopping.threshold(rhsNorm: bNorm, initialResidualNorm: bNorm)
    var x = try solve(b)
    var r = b
    var certificate = a.residualCertificate(of: x, b: b, into: &r)
    var matvecs = 1, steps = 0
    _ = monitor?(0, certificate.norm)
    var correction = [Double](repeating: 0, count: rows)
    while steps < refinementSteps && certificate.norm.isFinite && !certificate.meets(threshold) {
      try r.withUnsafeBufferPointer { rp in
        try correction.withUnsafeMutableBufferPointer { try solve(rp, into: $0) }
      }
      var candidate = x
      Vector.axpy(1, correction, &candidate)
      var next = r
      let refined = a.residualCertificate(of: candidate, b: b, into: &next)
      matvecs += 1
      steps += 1
      _ = monitor?(steps, refined.norm)
      // Refinement stopped helping: keep the better x.
      guard refined.upperBound < certificate.upperBound else { break }
      (x, r, certificate) = (candidate, next, refined)
    }
    let residual = certificate.norm
    var reason = StopReason.converged
    if !residual.isFinite || !Vector.allFinite(x) {
      reason = .nonFinite
    } else if !certificate.meets(threshold) {
      // Singular to working precision: a tiny pivot ratio, or an x so large that the rounding
      // error of b − A x alone is as large as b (then κ(A) ≳ 1/(k·u)).
      let rcond = (self as? LUFactorization)?.reciprocalConditionEstimate ?? 1
      reason = rcond < Double.ulpOfOne || certificate.roundingBound >= bNorm ? .singular : .inaccurate
    }
    let elapsed = clock.now - started
    return SolveResult(
      x: x, reason: reason, iterations: steps, residualNorm: residual, trueResidualNorm: residual, rhsNorm: bNorm,
      seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
      matvecs: matvecs)
  }
}

extension SparseMatrix {
  /// `r = b − A x` into `r` and its ``ResidualCertificate``.
  fileprivate func residualCertificate(of x: [Double], b: [Double], into r: inout [Double]) -> ResidualCertificate {
    b.withUnsafeBufferPointer { bp in
      x.withUnsafeBufferPointer { xp in r.withUnsafeMutableBufferPointer { residualCertificate(x: xp, b: bp, into: $0) } }
    }
  }
}
