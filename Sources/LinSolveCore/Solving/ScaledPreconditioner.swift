/// `c·M⁻¹` for a preconditioner `M⁻¹` set up for `A`: the preconditioner of `A/c`. Used when a
/// solve runs on a scaled copy of the matrix (see `VerifiedSolve`), so that `M⁻¹(tA)` stays
/// of the order of `(tA)⁻¹`; `c` is a power of two, so the scaling is exact.
package final class ScaledPreconditioner: Preconditioner {
  package let base: any Preconditioner
  package let factor: Double

  package init(_ base: any Preconditioner, by factor: Double) {
    self.base = base
    self.factor = factor
  }

  package func setUp(for a: SparseMatrix) throws { try base.setUp(for: a) }

  package func apply(_ r: UnsafeBufferPointer<Double>, into z: UnsafeMutableBufferPointer<Double>) {
    base.apply(r, into: z)
    Vector.scal(factor, z)
  }

  package func applyAndDot(_ r: UnsafeBufferPointer<Double>, into z: UnsafeMutableBufferPointer<Double>) -> Double {
    apply(r, into: z)
    return Vector.dot(r, UnsafeBufferPointer(z))
  }

  package var name: String { base.name }
}
