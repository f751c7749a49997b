#if PETSc
import CPETSc

/// A vector laid out like the rows of a ``DistributedMatrix``: each rank holds its owned
/// entries (a PETSc `Vec`, owned by this object).
public final class DistributedVector {
  /// The PETSc vector.
  public let vec: Vec
  /// The global entries this rank holds.
  public let ownedRange: Range<Int>

  /// A vector compatible with `matrix` (collective), all zeros.
  public init(like matrix: DistributedMatrix) throws(PETScError) {
    var v: Vec?
    try check(MatCreateVecs(matrix.mat, &v, nil), "MatCreateVecs")
    guard let v else { throw PETScError(call: "MatCreateVecs", code: 0, reason: "no vector returned") }
    vec = v
    ownedRange = matrix.ownedRows
    try check(VecSet(v, 0), "VecSet")
  }

  deinit {
    var v: Vec? = vec
    _ = VecDestroy(&v)
  }

  /// Sets this rank's entries from the whole vector `values` (every rank passes the same).
  public func setOwned(from values: [Double]) throws(PETScError) {
    precondition(values.count >= ownedRange.upperBound, "the vector is shorter than the matrix")
    try withOwnedEntries { owned in
      for (k, i) in ownedRange.enumerated() { owned[k] = values[i] }
    }
  }

  /// Sets this rank's entries from `owned` (this rank's entries only, in order).
  public func setOwnedValues(_ owned: [Double]) throws(PETScError) {
    precondition(owned.count == ownedRange.count, "\(owned.count) values for \(ownedRange.count) owned entries")
    try withOwnedEntries { entries in
      for k in 0..<owned.count { entries[k] = owned[k] }
    }
  }

  /// Every entry set to `value` (collective).
  public func fill(_ value: Double) throws(PETScError) {
    try check(VecSet(vec, value), "VecSet")
  }

  /// The entries this rank holds.
  public var ownedValues: [Double] {
    get throws(PETScError) {
      var copy = [Double]()
      try withOwnedEntries { copy = Array($0) }
      return copy
    }
  }

  /// ‖v‖₂ (collective).
  public func norm() throws(PETScError) -> Double {
    var value: PetscReal = 0
    try check(VecNorm(vec, NORM_2, &value), "VecNorm")
    return value
  }

  /// `self = x − self` (collective): with `self = A y`, the residual `x − A y`.
  public func subtract(from x: DistributedVector) throws(PETScError) {
    try check(VecAYPX(vec, -1, x.vec), "VecAYPX")
  }

  /// Copies `other`'s entries into this vector.
  public func copy(from other: DistributedVector) throws(PETScError) {
    try check(VecCopy(other.vec, vec), "VecCopy")
  }

  /// The whole vector on rank 0 (`VecScatterCreateToZero`), `nil` on the other ranks
  /// (collective).
  public func gatheredOnRankZero(session: PETScSession) throws(PETScError) -> [Double]? {
    var scatter: VecScatter?, whole: Vec?
    try check(VecScatterCreateToZero(vec, &scatter, &whole), "VecScatterCreateToZero")
    defer {
      _ = VecScatterDestroy(&scatter)
      _ = VecDestroy(&whole)
    }
    try check(VecScatterBegin(scatter, vec, whole, INSERT_VALUES, SCATTER_FORWARD), "VecScatterBegin")
    try check(VecScatterEnd(scatter, vec, whole, INSERT_VALUES, SCATTER_FORWARD), "VecScatterEnd")
    guard session.isRoot else { return nil }
    var count: PetscInt = 0
    try check(VecGetLocalSize(whole, &count), "VecGetLocalSize")
    var pointer: UnsafePointer<PetscScalar>?
    try check(VecGetArrayRead(whole, &pointer), "VecGetArrayRead")
    let values = Array(UnsafeBufferPointer(start: pointer, count: Int(count)))
    try check(VecRestoreArrayRead(whole, &pointer), "VecRestoreArrayRead")
    return values
  }

  /// Calls `body` with this rank's entries, writable (`VecGetArray` … `VecRestoreArray`).
  private func withOwnedEntries(_ body: (inout UnsafeMutableBufferPointer<Double>) -> Void) throws(PETScError) {
    var pointer: UnsafeMutablePointer<PetscScalar>?
    try check(VecGetArray(vec, &pointer), "VecGetArray")
    var buffer = UnsafeMutableBufferPointer(start: pointer, count: ownedRange.count)
    body(&buffer)
    try check(VecRestoreArray(vec, &pointer), "VecRestoreArray")
  }
}
#endif
