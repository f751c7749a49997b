import LinSolveCore
import LinSolveDirect

/// The exact solve on the coarsest level of a hierarchy: CHOLMOD's Cholesky factorization, or
/// UMFPACK's LU when the coarse matrix is not (numerically) positive definite.
enum CoarseSolver {
  case cholesky(CholeskyFactorization)
  case lu(LUFactorization)

  /// Factorizes `a`: Cholesky first, LU if that fails.
  ///
  /// - Throws: ``LinSolveError/factorizationFailed(reason:)`` when LU fails too (a singular
  ///   coarse matrix).
  init(_ a: SparseMatrix) throws {
    do {
      self = .cholesky(try CholeskyFactorization(a))
    } catch {
      self = .lu(try LUFactorization(a))
    }
  }

  /// `x = A_c⁻¹ b`; allocation-free after the first solve (the factorizations keep their
  /// solve workspace).
  func solve(_ b: UnsafeBufferPointer<Double>, into x: UnsafeMutableBufferPointer<Double>) {
    switch self {
    case let .cholesky(f): f.apply(b, into: x)
    case let .lu(f): f.apply(b, into: x)
    }
  }

  /// `cholesky` or `lu`.
  var name: String {
    switch self {
    case .cholesky: return "cholesky"
    case .lu: return "lu"
    }
  }
}
