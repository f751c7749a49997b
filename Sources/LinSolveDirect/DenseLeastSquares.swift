import LinSolveCore

/// Dense least squares `min ‖b − A x‖₂` by Householder QR (LAPACKE `dgels`): the reference the
/// sketching solvers are measured against.
///
/// - Complexity: O(m n²) flops and m·n doubles of memory (a dense copy of `A`): fine up to
///   about 10⁵ × 10³; use ``SketchPreconditionedLSQR`` or ``LSQR`` beyond.
///
/// **Memory.** Both entry points estimate what they allocate
/// (``MemoryEstimate/denseLeastSquares(rows:columns:)``: 8·m·n bytes and a little more) and
/// throw ``LinSolveError/memoryLimitExceeded(estimatedBytes:limitBytes:what:)`` above
/// `memoryLimitBytes` (default ``MemoryBudget/limitBytes``) before allocating it.
public enum DenseLeastSquares {
  /// The least-squares solution of the overdetermined (or square) full-rank system `A x ≈ b`.
  ///
  /// - Throws: ``LinSolveError/dimensionMismatch(expected:actual:what:)`` when `b` does not have
  ///   `A.rows` entries or `A` is wide; ``LinSolveError/factorizationFailed(reason:)`` when `A`
  ///   is rank deficient (a zero diagonal in R);
  ///   ``LinSolveError/memoryLimitExceeded(estimatedBytes:limitBytes:what:)`` when the copy
  ///   of `A` and the workspace exceed `memoryLimitBytes`.
  public static func solve(
    _ a: DenseMatrix, _ b: [Double], memoryLimitBytes: Int = MemoryBudget.limitBytes
  ) throws -> [Double] {
    guard b.count == a.rows else {
      throw LinSolveError.dimensionMismatch(expected: a.rows, actual: b.count, what: "right-hand side b")
    }
    guard a.rows >= a.columns else {
      throw LinSolveError.dimensionMismatch(expected: a.columns, actual: a.rows, what: "rows of A (least squares needs m ≥ n)")
    }
    guard Vector.allFinite(a.values), Vector.allFinite(b) else { throw LinSolveError.nonFinite(what: "A or b") }
    if a.columns == 0 { return [] }
    try MemoryBudget.check(.denseLeastSquares(rows: a.rows, columns: a.columns), limit: memoryLimitBytes)
    var values = a.values
    return try factorAndSolve(&values, rows: a.rows, columns: a.columns, b)
  }

  /// Below this reciprocal condition number of `R` (≈ 1/κ(A)), `A` counts as numerically rank
  /// deficient: the QR solution would be dominated by rounding (`n·ε`, the tolerance MATLAB's
  /// `rank` and NumPy's `matrix_rank` use on singular values).
  static func rankTolerance(columns: Int) -> Double { Double(max(columns, 1)) * Double.ulpOfOne }

  /// `dgels` on the column-major `values` (overwritten by the factorization), then the check
  /// that `R` is numerically nonsingular (`dtrcon`): `dgels` itself only stops at an exact zero
  /// on `R`'s diagonal, and a nearly rank-deficient `A` would otherwise return a huge,
  /// meaningless `x` as if it were the answer.
  private static func factorAndSolve(_ values: inout [Double], rows: Int, columns: Int, _ b: [Double]) throws -> [Double] {
    var rhs = b
    let info = LAPACK.leastSquares(rows: rows, columns: columns, &values, &rhs)
    if info > 0 {
      throw LinSolveError.factorizationFailed(reason: "A is rank deficient (R(\(info),\(info)) = 0)")
    }
    guard info == 0 else { throw LinSolveError.factorizationFailed(reason: "dgels argument \(-info) is invalid") }
    let rcond = LAPACK.upperTriangularReciprocalCondition(order: columns, values, ld: rows)
    guard rcond >= rankTolerance(columns: columns) else {
      throw LinSolveError.factorizationFailed(
        reason: "A is numerically rank deficient (1/cond(R) ≈ \(rcond) < \(rankTolerance(columns: columns))); use lsqr or lsmr for a minimum-norm-like solution")
    }
    return Array(rhs[0..<columns])
  }

  /// The least-squares solution for a sparse `A` (converted to dense).
  ///
  /// Checked before the dense copy is made: the memory estimate (the dense matrix, which
  /// `dgels` then factors in place) against `memoryLimitBytes`, and the structure — an empty
  /// column makes `A` rank deficient, reported as ``LinSolveError/factorizationFailed(reason:)``
  /// `"A is rank deficient (column j has no entries)"` without the O(m n²) factorization.
  ///
  /// - Throws: as the dense variant.
  public static func solve(
    _ a: SparseMatrix, _ b: [Double], memoryLimitBytes: Int = MemoryBudget.limitBytes
  ) throws -> [Double] {
    guard b.count == a.rows else {
      throw LinSolveError.dimensionMismatch(expected: a.rows, actual: b.count, what: "right-hand side b")
    }
    guard a.rows >= a.columns else {
      throw LinSolveError.dimensionMismatch(expected: a.columns, actual: a.rows, what: "rows of A (least squares needs m ≥ n)")
    }
    guard a.allFinite, Vector.allFinite(b) else { throw LinSolveError.nonFinite(what: "A or b") }
    if a.columns == 0 { return [] }
    try MemoryBudget.check(.denseLeastSquares(rows: a.rows, columns: a.columns), limit: memoryLimitBytes)
    if let j = a.firstEmptyColumn() {
      throw LinSolveError.factorizationFailed(reason: "A is rank deficient (column \(j + 1) has no entries)")
    }
    var values = a.denseMatrix().values  // uniquely referenced: dgels factors it in place
    return try factorAndSolve(&values, rows: a.rows, columns: a.columns, b)
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
