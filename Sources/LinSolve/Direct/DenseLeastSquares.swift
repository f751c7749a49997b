import CLAPACKE

/// Dense least squares `min ‖b − A x‖₂` by Householder QR (LAPACKE `dgels`): the reference the
/// sketching solvers are measured against.
///
/// - Complexity: O(m n²) flops and m·n doubles of memory (a dense copy of `A`): fine up to
///   about 10⁵ × 10³; use ``SketchPreconditionedLSQR`` or ``LSQR`` beyond.
public enum DenseLeastSquares {
  /// The least-squares solution of the overdetermined (or square) full-rank system `A x ≈ b`.
  ///
  /// - Throws: ``LinSolveError/dimensionMismatch(expected:actual:what:)`` when `b` does not have
  ///   `A.rows` entries or `A` is wide; ``LinSolveError/factorizationFailed(reason:)`` when `A`
  ///   is rank deficient (a zero diagonal in R).
  public static func solve(_ a: DenseMatrix, _ b: [Double]) throws -> [Double] {
    guard b.count == a.rows else {
      throw LinSolveError.dimensionMismatch(expected: a.rows, actual: b.count, what: "right-hand side b")
    }
    guard a.rows >= a.columns else {
      throw LinSolveError.dimensionMismatch(expected: a.columns, actual: a.rows, what: "rows of A (least squares needs m ≥ n)")
    }
    guard Vector.allFinite(a.values), Vector.allFinite(b) else { throw LinSolveError.nonFinite(what: "A or b") }
    if a.columns == 0 { return [] }
    var values = a.values
    var rhs = b
    let info = LAPACKE_dgels(
      LAPACK_COL_MAJOR, Int8(UInt8(ascii: "N")), Int32(a.rows), Int32(a.columns), 1,
      &values, Int32(a.rows), &rhs, Int32(a.rows))
    if info > 0 {
      throw LinSolveError.factorizationFailed(reason: "A is rank deficient (R(\(info),\(info)) = 0)")
    }
    guard info == 0 else { throw LinSolveError.factorizationFailed(reason: "dgels argument \(-info) is invalid") }
    return Array(rhs[0..<a.columns])
  }

  /// The least-squares solution for a sparse `A` (converted to dense).
  public static func solve(_ a: SparseMatrix, _ b: [Double]) throws -> [Double] {
    try solve(a.denseMatrix(), b)
  }
}

extension SparseMatrix {
  /// The matrix as a column-major ``DenseMatrix`` (m·n doubles).
  public func denseMatrix() -> DenseMatrix {
    var d = DenseMatrix(rows: rows, columns: columns)
    for i in 0..<rows {
      for k in rowPointers[i]..<rowPointers[i + 1] { d[i, Int(columnIndices[k])] = values[k] }
    }
    return d
  }
}
