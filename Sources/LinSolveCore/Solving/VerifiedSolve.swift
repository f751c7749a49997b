/// What keeps an iterative method's verdict honest at the edges of the floating-point range
/// and of its own recursion, shared by CG, MINRES, GMRES, BiCGSTAB and SOR.
///
/// - **Scaling.** A right-hand side whose norm is outside `[2⁻⁴⁰⁰, 2⁴⁰⁰]` (e.g. entries of
///   1e-200 or 1e200) would under- or overflow the methods' sums of squares (`rᵀr` of 1e-200
///   is 0, so CG would stop at once with `x = 0`). The solve then runs on `s·b` and `s·x₀` with
///   `s` a power of two (exact), and `x`, the residual norms, the monitor's figures and the
///   history are scaled back by `1/s`. Likewise a ``SparseMatrix`` whose largest entry is outside
///   that range is replaced by `t·A` (a scaled copy, `t` a power of two) and `x` by `t·y`. This
///   is LAPACK's `dnrm2` idea applied to the system; ordinary systems take neither path.
/// - **Restarts.** When the method's recursion met the tolerance but the recomputed true
///   residual did not (``StopReason/inaccurate``, from ``SolveResult/confirmVerdict(threshold:roundingBound:)``),
///   the method restarts from its `x` — residual replacement, as PETSc's and hypre's
///   true-residual checks do — with a tolerance ten times tighter each time (so a residual just
///   above the threshold is driven below it), at most ``maximumRestarts`` times, within the
///   iteration budget. The verdict stays the one of the caller's threshold. The monitor sees one
///   continuous count; restarts add their iterations and products.
package enum VerifiedSolve {
  /// Restarts after an inaccurate finish (each restart is a fresh solve from the last `x`).
  static let maximumRestarts = 2

  /// `‖b‖` outside `[lowest, highest]` is scaled to about 1.
  static let lowest = 0x1p-400
  static let highest = 0x1p400

  /// One attempt of the method: the scaled matrix `t·A` to use instead of the caller's (`nil`:
  /// the caller's) and `t` (a preconditioner set up for `A` is scaled by `1/t`), the (scaled)
  /// `b`, starting guess, criterion and monitor, and whether this is the first attempt on the
  /// unscaled system (where a caller's initial residual still applies).
  package typealias Attempt = (
    _ scaledMatrix: SparseMatrix?, _ matrixScale: Double, _ b: [Double], _ x0: [Double]?, _ stopping: StoppingCriterion,
    _ monitor: SolveMonitor?, _ original: Bool
  ) throws -> SolveResult

  /// The power of two that brings `value` to about 1, or 1 when it is 0 or inside the range.
  package static func scale(for value: Double) -> Double {
    guard value > 0, value.isFinite, value < lowest || value > highest else { return 1 }
    // 2^-e, kept finite for subnormal values (e < -1022): 2^1000 brings those inside the range.
    return Double(sign: .plus, exponent: min(-value.exponent, 1000), significand: 1)
  }

  /// Runs `attempt` on `A x = b` with scaling and restarts; see the type's documentation.
  package static func run(
    _ a: some LinearOperator, _ b: [Double], x0: [Double]?, stopping: StoppingCriterion, monitor: SolveMonitor?,
    _ attempt: Attempt
  ) throws -> SolveResult {
    // Invalid input (NaN, sizes) is the attempt's to reject, unscaled.
    let sparse = a as? SparseMatrix
    guard Vector.allFinite(b), x0.map(Vector.allFinite) ?? true, sparse.map({ Vector.allFinite($0.values) }) ?? true,
      b.count == a.rows, x0.map({ $0.count == a.columns }) ?? true
    else {
      return try attempt(nil, 1, b, x0, stopping, monitor, true)
    }
    let bNorm = Vector.norm(b)
    let scale = Self.scale(for: bNorm)
    let matrixScale = sparse.map { Self.scale(for: $0.values.reduce(0) { max($0, abs($1)) }) } ?? 1
    let scaledMatrix = matrixScale == 1 ? nil : sparse!.scaled(by: matrixScale)
    // A x = b  ⇔  (tA)·y = s·b with x = t·y/s; x₀ becomes s·x₀/t.
    var scaledX0 = x0
    if scale != 1 || matrixScale != 1, let x0 {
      scaledX0 = x0.map { $0 * scale / matrixScale }
      if !Vector.allFinite(scaledX0!) { return try attempt(nil, 1, b, x0, stopping, monitor, true) }  // a wild x₀
    }
    let scaledB = scale == 1 ? b : b.map { $0 * scale }
    var criterion = stopping
    criterion.atol = min(stopping.atol * scale, .greatestFiniteMagnitude)

    let threshold = criterion.threshold(rhsNorm: Vector.norm(scaledB), initialResidualNorm: 0)
    var total: SolveResult?
    var attempts = 0
    while true {
      let done = total?.iterations ?? 0
      var step = criterion
      var tightening = 1.0
      for _ in 0..<attempts { tightening *= 0.1 }
      step.rtol *= tightening
      step.atol *= tightening
      step.maxIterations = max(0, stopping.maxIterations - done)
      if let limit = stopping.timeLimit, let total { step.timeLimit = max(limit - total.seconds, 1e-9) }
      let offset = done
      let restart = total != nil
      let scaledMonitor: SolveMonitor? = monitor.map { monitor in
        { k, r in (restart && k == 0) ? .continue : monitor(k + offset, r / scale) }
      }
      var result = try attempt(
        scaledMatrix, matrixScale, scaledB, total?.x ?? scaledX0, step, scaledMonitor, !restart && scale == 1 && matrixScale == 1)
      if restart && (result.reason == .converged || result.reason == .inaccurate) {
        // Judged by the caller's threshold, not the tightened one.
        result.reason = result.trueResidualNorm + result.residualRoundingBound <= threshold ? .converged : .inaccurate
      }
      total = total.map { merged($0, result) } ?? result
      attempts += 1
      guard result.reason == .inaccurate, attempts <= maximumRestarts, stopping.baseline == .rightHandSide,
        total!.iterations < stopping.maxIterations
      else { break }
    }
    guard scale != 1 || matrixScale != 1, var result = total else { return total! }
    let inverse = 1 / scale
    Vector.scal(matrixScale, &result.x)
    Vector.scal(inverse, &result.x)
    result.residualNorm *= inverse
    result.trueResidualNorm *= inverse
    result.rhsNorm = bNorm
    result.residualHistory = result.residualHistory?.map { $0 * inverse }
    if result.converged && !Vector.allFinite(result.x) { result.reason = .nonFinite }
    return result
  }

  /// The right-hand-side scaling alone, for methods that keep state across solves which a
  /// scaled matrix would invalidate (the recycled spaces of ``DeflatedCG`` and ``GCRODR``):
  /// `attempt` runs on `s·b`, `s·x₀` with `atol·s`, and `x`, the norms and the history are
  /// scaled back by `1/s`.
  package static func scalingRightHandSide(
    _ b: [Double], x0: [Double]?, stopping: StoppingCriterion, monitor: SolveMonitor?,
    _ attempt: (_ b: [Double], _ x0: [Double]?, _ stopping: StoppingCriterion, _ monitor: SolveMonitor?) throws -> SolveResult
  ) throws -> SolveResult {
    let s = Vector.allFinite(b) ? scale(for: Vector.norm(b)) : 1
    guard s != 1, x0.map({ Vector.allFinite($0.map { $0 * s }) }) ?? true else {
      return try attempt(b, x0, stopping, monitor)
    }
    var criterion = stopping
    criterion.atol = min(stopping.atol * s, .greatestFiniteMagnitude)
    let unscaled: SolveMonitor? = monitor.map { monitor in { k, r in monitor(k, r / s) } }
    var result = try attempt(b.map { $0 * s }, x0?.map { $0 * s }, criterion, unscaled)
    Vector.scal(1 / s, &result.x)
    result.residualNorm /= s
    result.trueResidualNorm /= s
    result.rhsNorm /= s
    result.residualHistory = result.residualHistory?.map { $0 / s }
    return result
  }

  /// `first` followed by `next`, a restart from `first.x`.
  private static func merged(_ first: SolveResult, _ next: SolveResult) -> SolveResult {
    var result = next
    result.iterations += first.iterations
    result.matvecs += first.matvecs
    result.seconds += first.seconds
    if let before = first.residualHistory, let after = next.residualHistory {
      result.residualHistory = before + after.dropFirst()
    }
    return result
  }
}
