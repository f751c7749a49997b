/// A sparse direct factorization: `factorize(A)` once, then `solve(b)` for many `b`.
///
/// ``CholeskyFactorization`` (CHOLMOD) and ``LUFactorization`` (UMFPACK) conform. As a
/// ``LinearOperator`` a factorization applies `A⁻¹`, so it can serve as an exact
/// preconditioner (``DirectPreconditioner``).
public protocol DirectSolver: LinearOperator {
  /// Factorizes `A`, reusing the symbolic analysis when the sparsity pattern is unchanged.
  func factorize(_ a: SparseMatrix) throws
  /// Returns `x = A⁻¹ b`.
  func solve(_ b: [Double]) throws -> [Double]
}

extension CholeskyFactorization: DirectSolver {}
extension LUFactorization: DirectSolver {}
