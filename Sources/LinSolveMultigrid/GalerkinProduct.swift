import LinSolveCore

/// The Galerkin coarse operator `A_c = Pᵀ·A·P` (the variational choice of every AMG: with
/// restriction `R = Pᵀ` the coarse correction is the A-orthogonal projection onto the range
/// of `P`; Vaněk, Mandel, Brezina 1996, §2).
public enum GalerkinProduct {
  /// `Pᵀ·(A·P)` by two sparse products, given `R = Pᵀ`. For a `symmetric` `A` the result is
  /// made exactly symmetric (`(A_c + A_cᵀ)/2`, a rounding-level change) so the V-cycle stays a
  /// symmetric operator and the coarsest Cholesky factorization sees a symmetric matrix; a
  /// nonsymmetric `A` gives its nonsymmetric `PᵀAP` as computed.
  public static func coarseOperator(
    _ a: SparseMatrix, prolongator p: SparseMatrix, restriction r: SparseMatrix, symmetric: Bool
  ) -> SparseMatrix {
    let ac = r.multiplied(by: a.multiplied(by: p))
    guard symmetric else { return ac }
    let act = ac.transposed()
    guard act.rowPointers == ac.rowPointers, act.columnIndices == ac.columnIndices else { return ac }
    var values = ac.values
    for k in values.indices { values[k] = 0.5 * (values[k] + act.values[k]) }
    return SparseMatrix(
      uncheckedRows: ac.rows, columns: ac.columns, rowPointers: ac.rowPointers,
      columnIndices: ac.columnIndices, values: values)
  }
}
