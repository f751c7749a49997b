import LinSolveCore
import LinSolveDirect

/// The scaling of ``VerifiedSolve`` for the least-squares solvers (``LSQR``, ``LSMR``,
/// ``SketchPreconditionedLSQR``, ``IterativeSketching``): a right-hand side whose norm, or a
/// ``SparseMatrix`` or ``DenseMatrix`` whose largest entry, is outside `[2⁻⁴⁰⁰, 2⁴⁰⁰]` is
/// scaled by a power of two (exact) before the iteration, whose products of norms
/// (`‖A‖·‖x‖`, `‖Aᵀr‖`, sums of squares) would otherwise under- or overflow; `x`, the norms
/// (with the payload's ``LeastSquaresFigures/normalResidualNorm`` and
/// ``LeastSquaresFigures/operatorNormEstimate``) and the history are scaled back.
/// `min ‖b − Ax‖` and `min ‖s·b − (tA)·y‖` have the same solution with `x = t·y/s`, and every
/// stopping ratio of these methods is scale invariant.
package enum LeastSquaresScaling {
  /// Runs `attempt` on the (possibly) scaled problem `(tA, s·b, s·x₀/t)` with `atol·s`.
  package static func run<Matrix: AdjointLinearOperator>(
    _ a: Matrix, _ b: [Double], x0: [Double]?, stopping: StoppingCriterion, monitor: SolveMonitor?,
    _ attempt: (Matrix, [Double], [Double]?, StoppingCriterion, SolveMonitor?) throws -> SolveResult
  ) throws -> SolveResult {
    guard Vector.allFinite(b), x0.map(Vector.allFinite) ?? true, b.count == a.rows,
      x0.map({ $0.count == a.columns }) ?? true
    else { return try attempt(a, b, x0, stopping, monitor) }  // invalid input is the method's to reject
    let bNorm = Vector.norm(b)
    let s = VerifiedSolve.scale(for: bNorm)
    let (scaled, t) = Self.scaledMatrix(a)
    guard s != 1 || t != 1 else { return try attempt(a, b, x0, stopping, monitor) }
    var scaledX0 = x0
    if let x0 {
      scaledX0 = x0.map { $0 * s / t }
      if !Vector.allFinite(scaledX0!) { return try attempt(a, b, x0, stopping, monitor) }
    }
    var criterion = stopping
    criterion.atol = min(stopping.atol * s, .greatestFiniteMagnitude)
    let unscaledMonitor: SolveMonitor? = monitor.map { monitor in { k, r in monitor(k, r / s) } }
    var result = try attempt(scaled, s == 1 ? b : b.map { $0 * s }, scaledX0, criterion, unscaledMonitor)
    Vector.scal(t, &result.x)
    Vector.scal(1 / s, &result.x)
    result.residualNorm /= s
    result.trueResidualNorm /= s
    if var figures = result.leastSquares {
      figures.normalResidualNorm = figures.normalResidualNorm / t / s
      figures.operatorNormEstimate /= t
      result.leastSquares = figures
    }
    result.rhsNorm = bNorm
    result.residualHistory = result.residualHistory?.map { $0 / s }
    if result.converged && !Vector.allFinite(result.x) { result.reason = .nonFinite }
    return result
  }

  /// `t·A` and `t` for a sparse or dense `A` whose largest entry is outside the range, else
  /// `A` and 1 (other operators are not scaled).
  private static func scaledMatrix<Matrix: AdjointLinearOperator>(_ a: Matrix) -> (Matrix, Double) {
    if let sparse = a as? SparseMatrix, Vector.allFinite(sparse.values) {
      let t = VerifiedSolve.scale(for: sparse.values.reduce(0) { max($0, abs($1)) })
      if t != 1 { return (sparse.scaled(by: t) as! Matrix, t) }
    } else if var dense = a as? DenseMatrix, Vector.allFinite(dense.values) {
      let t = VerifiedSolve.scale(for: dense.values.reduce(0) { max($0, abs($1)) })
      if t != 1 {
        Vector.scal(t, &dense.values)
        return (dense as! Matrix, t)
      }
    }
    return (a, 1)
  }
}
