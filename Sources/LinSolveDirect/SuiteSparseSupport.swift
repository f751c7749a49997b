// Shared plumbing for the SuiteSparse-backed factorizations (CHOLMOD, UMFPACK):
// input checks, 32-bit index conversion, and status-code → message mapping.

import CSuiteSparse
import LinSolveCore

/// Helpers shared by ``CholeskyFactorization`` and ``LUFactorization``.
///
/// Both classes use SuiteSparse's 32-bit integer interfaces (`cholmod_*`, `umfpack_di_*`):
/// ``SparseMatrix/columnIndices`` are already `Int32`, so the matrix is handed over with no
/// per-nonzero copy — only the `n + 1` row pointers are narrowed to `Int32`. The price is a
/// limit of `Int32.max` stored entries in `A` (and in the factors), far above what fits in
/// memory on the machines this package targets.
enum SuiteSparseSupport {
  /// Throws unless `A` is square and all its values are finite.
  static func checkSquareAndFinite(_ A: SparseMatrix) throws(LinSolveError) {
    guard A.rows == A.columns else {
      throw LinSolveError.notSquare(rows: A.rows, columns: A.columns)
    }
    guard A.allFinite else { throw LinSolveError.nonFinite(what: "matrix") }
  }

  /// `A.rowPointers` narrowed to `Int32` (the CSC column pointers of `Aᵀ`).
  ///
  /// - Throws: ``LinSolveError/invalidParameter(name:reason:)`` when `A` has more than
  ///   `Int32.max` stored entries, beyond the 32-bit SuiteSparse interface.
  static func int32Pointers(_ A: SparseMatrix) throws(LinSolveError) -> [Int32] {
    guard A.nonzeros <= Int(Int32.max) else {
      throw LinSolveError.invalidParameter(
        name: "matrix",
        reason: "\(A.nonzeros) stored entries exceed the 32-bit SuiteSparse interface (at most \(Int32.max))")
    }
    return A.rowPointers.map { Int32(truncatingIfNeeded: $0) }
  }

  /// Whether `A` has exactly the given sparsity pattern (same dimension, same CSR arrays).
  ///
  /// Swift's array `==` returns at once when both arrays share storage (the common case of
  /// refactoring a matrix whose values were replaced in place); otherwise it is one O(nnz) pass.
  static func hasPattern(_ A: SparseMatrix, rowPointers: [Int], columnIndices: [Int32]) -> Bool {
    A.rowPointers == rowPointers && A.columnIndices == columnIndices
  }

  /// Throws when `b` and `x` do not match a factorization of order `n`.
  static func checkSolveSizes(n: Int, b: Int, x: Int) throws(LinSolveError) {
    guard b == n else { throw LinSolveError.dimensionMismatch(expected: n, actual: b, what: "b") }
    guard x == n else { throw LinSolveError.dimensionMismatch(expected: n, actual: x, what: "x") }
  }

  /// The error thrown by `solve` before a successful `factorize`.
  static let notFactorized = LinSolveError.invalidParameter(
    name: "factorization", reason: "factorize(_:) has not succeeded")

  // MARK: CHOLMOD

  /// A human-readable reason for a CHOLMOD failure status (`cholmod_common.status < 0`).
  static func cholmodMessage(_ status: Int32) -> String {
    switch status {
    case CHOLMOD_OUT_OF_MEMORY:
      return "out of memory (CHOLMOD could not allocate the factor or its workspace)"
    case CHOLMOD_TOO_LARGE:
      return "problem too large for CHOLMOD's 32-bit integer interface (integer overflow)"
    case CHOLMOD_INVALID:
      return "CHOLMOD rejected its input as invalid"
    case CHOLMOD_NOT_INSTALLED:
      return "the CHOLMOD method needed is not installed in this SuiteSparse build"
    case CHOLMOD_GPU_PROBLEM:
      return "CHOLMOD GPU error"
    default:
      return "CHOLMOD failed with status \(status)"
    }
  }

  /// The name of a CHOLMOD ordering method (`cholmod_factor.ordering`).
  static func cholmodOrderingName(_ ordering: Int32) -> String {
    switch ordering {
    case CHOLMOD_NATURAL: return "natural"
    case CHOLMOD_GIVEN: return "given"
    case CHOLMOD_AMD: return "AMD"
    case CHOLMOD_METIS: return "METIS"
    case CHOLMOD_NESDIS: return "NESDIS"
    case CHOLMOD_COLAMD: return "COLAMD"
    case CHOLMOD_POSTORDERED: return "postordered"
    default: return "unknown (\(ordering))"
    }
  }

  // MARK: UMFPACK

  /// A human-readable reason for an UMFPACK status other than `UMFPACK_OK`.
  static func umfpackMessage(_ status: Int32) -> String {
    switch status {
    case UMFPACK_WARNING_singular_matrix:
      return "matrix is singular"
    case UMFPACK_WARNING_determinant_underflow, UMFPACK_WARNING_determinant_overflow:
      return "determinant under- or overflow (UMFPACK warning \(status))"
    case UMFPACK_ERROR_out_of_memory:
      return "out of memory (UMFPACK could not allocate the factors or their workspace)"
    case UMFPACK_ERROR_invalid_matrix:
      return "UMFPACK rejected the matrix as invalid"
    case UMFPACK_ERROR_n_nonpositive:
      return "UMFPACK needs a matrix with at least one row"
    case UMFPACK_ERROR_different_pattern:
      return "UMFPACK: the pattern changed between symbolic and numeric factorization"
    case UMFPACK_ERROR_ordering_failed:
      return "UMFPACK: the fill-reducing ordering failed"
    case UMFPACK_ERROR_invalid_Symbolic_object, UMFPACK_ERROR_invalid_Numeric_object:
      return "UMFPACK: invalid Symbolic/Numeric object (internal error)"
    case UMFPACK_ERROR_argument_missing, UMFPACK_ERROR_invalid_system:
      return "UMFPACK: invalid call (internal error, status \(status))"
    case UMFPACK_ERROR_internal_error:
      return "UMFPACK internal error"
    default:
      return "UMFPACK failed with status \(status)"
    }
  }
}

/// What ``CholeskyFactorization`` and ``LUFactorization`` keep under their lock: the order of
/// the factorized matrix and the unchecked solve.
protocol FactorizationState: ~Copyable {
  var n: Int { get }
  var isFactorized: Bool { get }
  /// `x = A⁻¹b`; sizes and ``isFactorized`` already checked by the caller.
  mutating func solve(
    _ b: UnsafeBufferPointer<Double>, into x: UnsafeMutableBufferPointer<Double>
  ) throws(LinSolveError)
}

extension FactorizationState where Self: ~Copyable {
  /// `x = A⁻¹b`, throwing before a successful factorization or on a size mismatch.
  mutating func checkedSolve(
    _ b: UnsafeBufferPointer<Double>, into x: UnsafeMutableBufferPointer<Double>
  ) throws(LinSolveError) {
    guard isFactorized else { throw SuiteSparseSupport.notFactorized }
    try SuiteSparseSupport.checkSolveSizes(n: n, b: b.count, x: x.count)
    try solve(b, into: x)
  }

  /// `y = A⁻¹x` for the ``LinearOperator`` conformance of the type named `what`: a missing
  /// factorization or a size mismatch is a precondition failure; a failure inside the solve
  /// fills `y` with NaN, so that an iterative method stops on a non-finite value.
  mutating func apply(_ x: UnsafeBufferPointer<Double>, into y: UnsafeMutableBufferPointer<Double>, what: String) {
    precondition(isFactorized, "\(what).apply: factorize(_:) has not succeeded")
    precondition(x.count == n && y.count == n, "\(what).apply: sizes \(x.count), \(y.count) do not match order \(n)")
    do {
      try solve(x, into: y)
    } catch {
      for i in y.indices { y[i] = .nan }
    }
  }
}
