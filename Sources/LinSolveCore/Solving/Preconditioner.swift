/// An approximation `M ≈ A` applied as `z = M⁻¹ r` inside a Krylov method.
///
/// The life cycle follows Eigen's `compute`/`solve` and PETSc's `PCSetUp`/`PCApply`:
/// ``setUp(for:)`` does the expensive work once per matrix (and may reuse the symbolic part
/// across a sequence with the same sparsity pattern); ``apply(_:into:)`` is called once per
/// iteration and must not allocate.
///
/// Preconditioners are reference types because they hold factors and scratch space; one
/// object must not be applied from two threads at once.
public protocol Preconditioner: AnyObject {
  /// Prepares `M` for `A`. Throws for a matrix it cannot handle (e.g. a zero diagonal).
  func setUp(for a: SparseMatrix) throws
  /// Computes `z = M⁻¹ r`. `r` and `z` have the size of the matrix given to ``setUp(for:)``.
  func apply(_ r: UnsafeBufferPointer<Double>, into z: UnsafeMutableBufferPointer<Double>)
  /// Computes `z = M⁻¹ r` and returns `rᵀz` (PCG's ρ). The default applies, then takes the
  /// dot product; preconditioners that can accumulate `rᵀz` while writing `z` save that pass.
  func applyAndDot(_ r: UnsafeBufferPointer<Double>, into z: UnsafeMutableBufferPointer<Double>) -> Double
  /// A short name for reports (`jacobi`, `ssor(1.5)`, `ic0`, …).
  var name: String { get }
}

extension Preconditioner {
  public func applyAndDot(_ r: UnsafeBufferPointer<Double>, into z: UnsafeMutableBufferPointer<Double>) -> Double {
    apply(r, into: z)
    return Vector.dot(r, UnsafeBufferPointer(z))
  }

  /// Computes `M⁻¹ r` on arrays.
  public func applied(to r: [Double]) -> [Double] {
    var z = [Double](repeating: 0, count: r.count)
    r.withUnsafeBufferPointer { rp in z.withUnsafeMutableBufferPointer { apply(rp, into: $0) } }
    return z
  }
}
