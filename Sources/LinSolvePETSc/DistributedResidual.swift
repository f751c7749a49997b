#if PETSc
import CPETSc
import LinSolveCore

extension DistributedMatrix {
  /// `‖b − A x‖₂` and its rounding bound `(k + 1)·u·‖ |b| + |A||x| ‖₂` (k the longest row, u
  /// the unit roundoff): LinSolve's ``ResidualCertificate``, computed across the ranks with
  /// three products (A x, |A||x|) and no entry of x gathered (collective).
  public func residualCertificate(x: DistributedVector, b: DistributedVector) throws(PETScError) -> ResidualCertificate {
    let r = try DistributedVector(like: self)
    try multiply(x, into: r)
    try r.subtract(from: b)
    let norm = try r.norm()
    let magnitude = try DistributedVector(like: self), absX = try DistributedVector(like: self)
    try absX.copy(from: x)
    try check(VecAbs(absX.vec), "VecAbs")
    try magnitudes().multiply(absX, into: magnitude)
    try absX.copy(from: b)
    try check(VecAbs(absX.vec), "VecAbs")
    try check(VecAXPY(magnitude.vec, 1, absX.vec), "VecAXPY")
    let bound = Double(longestRow + 1) * (Double.ulpOfOne / 2) * (try magnitude.norm())
    return ResidualCertificate(norm: norm, roundingBound: bound)
  }
}
#endif
