/// The verdict rule, for a caller who holds `A`: a solve is ``StopReason/converged`` only if
/// the true residual of the `x` it returned meets the user's criterion — for every method,
/// iterative, direct, least squares or row action, whatever the method's own test said.
extension SolveResult {
  /// This result judged by `criterion` on the system `a x = b`.
  ///
  /// Recomputes `r = b − A x` with its rounding bound (``ResidualCertificate``) and sets
  /// ``trueResidualNorm``. A `converged` result stays so only if the exact residual is certainly
  /// at most `max(rtol·‖b‖, atol)` — or, for `leastSquares`, if the backward error
  /// ``SparseMatrix/leastSquaresBackwardError(x:b:)`` `‖Aᵀr‖ / (‖A‖_F‖r‖)` is at most `rtol`;
  /// otherwise it becomes ``StopReason/inaccurate`` (or ``StopReason/nonFinite``). Other
  /// reasons are kept.
  public func judged(by criterion: StoppingCriterion, a: SparseMatrix, b: [Double], leastSquares: Bool = false) -> SolveResult {
    var result = self
    let certificate = a.residualCertificate(x: x, b: b)
    result.trueResidualNorm = certificate.norm
    result.rhsNorm = Vector.norm(b)
    guard result.reason == .converged else { return result }
    let threshold = criterion.threshold(rhsNorm: result.rhsNorm, initialResidualNorm: result.rhsNorm)
    if leastSquares && !certificate.meets(threshold) && certificate.norm.isFinite
      && a.leastSquaresBackwardError(x: x, b: b) <= criterion.rtol
    {
      return result
    }
    result.confirmVerdict(threshold: threshold, roundingBound: certificate.roundingBound)
    return result
  }
}

extension SparseMatrix {
  /// `‖Aᵀr‖ / (‖A‖_F ‖r‖)` with `r = b − A x`: 0 at an exact least-squares solution (or when
  /// `r = 0`). Since `‖A‖_F ≥ ‖A‖₂` this slightly understates the usual `‖A‖₂`-based figure
  /// (Meier, Nakatsukasa, Townsend & Webb, SIMAX 2024). Two products and a transpose.
  public func leastSquaresBackwardError(x: [Double], b: [Double]) -> Double {
    var r = b
    multiply(x, into: &r, alpha: -1, beta: 1)
    let rNorm = Vector.norm(r), aNorm = frobeniusNorm
    guard rNorm > 0 else { return 0 }
    guard rNorm.isFinite, aNorm > 0 else { return rNorm.isFinite ? 0 : .nan }  // A = 0: every x is a solution
    // Aᵀ(r / (‖r‖‖A‖_F)): scaled first, so neither Aᵀr nor the product of the norms overflows.
    Vector.scal(1 / rNorm, &r)
    Vector.scal(1 / aNorm, &r)
    return Vector.norm(transposed().applied(to: r))
  }
}
