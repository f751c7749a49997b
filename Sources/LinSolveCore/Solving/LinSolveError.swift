/// Errors thrown by LinSolve for input that cannot be solved as given.
///
/// Non-convergence is *not* an error: an iterative solve that stops early returns a
/// ``SolveResult`` whose ``SolveResult/reason`` says why. Errors are for input that is
/// wrong before any iteration starts (sizes, structure, values) and for factorizations
/// that fail.
public enum LinSolveError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Two operands disagree in size, e.g. `A` is 100×100 and `b` has 99 entries.
  case dimensionMismatch(expected: Int, actual: Int, what: String)
  /// A square matrix was required.
  case notSquare(rows: Int, columns: Int)
  /// Row `row` (0-based) has a zero (or missing) diagonal entry, which a splitting
  /// method (Jacobi, SOR, IC(0), ILU(0)) divides by.
  case zeroDiagonal(row: Int)
  /// A value is NaN or ±Inf.
  case nonFinite(what: String)
  /// A CSR array is inconsistent (row pointers not monotone, a column out of range, …).
  case invalidStructure(String)
  /// A parameter is outside its valid range (ω ∉ (0, 2), rtol ≤ 0, …).
  case invalidParameter(name: String, reason: String)
  /// A direct factorization failed: not positive definite, singular, out of memory.
  case factorizationFailed(reason: String)
  /// A computation would need more memory than allowed: `estimatedBytes` (a
  /// ``MemoryEstimate``) is above `limitBytes` (``MemoryBudget/limitBytes`` or a
  /// `memoryLimitBytes` property). Thrown before anything large is allocated. `what` names
  /// what needs the memory, e.g. `"dense 100000×100000"`.
  case memoryLimitExceeded(estimatedBytes: Int, limitBytes: Int, what: String)
  /// Row `row` (0-based) of a square matrix stores no entry, so the matrix is singular
  /// whatever its values (see ``SparseMatrix/firstEmptyRow()``).
  case emptyRow(Int)
  /// Column `column` (0-based) stores no entry: a square matrix is singular, a tall one rank
  /// deficient (the least-squares solution is not unique). See ``SparseMatrix/firstEmptyColumn()``.
  case emptyColumn(Int)

  public var description: String {
    switch self {
    case let .dimensionMismatch(expected, actual, what):
      return "dimension mismatch: \(what) has size \(actual), expected \(expected)"
    case let .notSquare(rows, columns):
      return "matrix is not square (\(rows)×\(columns))"
    case let .zeroDiagonal(row):
      return "zero diagonal entry in row \(row + 1)"
    case let .nonFinite(what):
      return "\(what) contains NaN or Inf"
    case let .invalidStructure(message):
      return "invalid sparse structure: \(message)"
    case let .invalidParameter(name, reason):
      return "invalid \(name): \(reason)"
    case let .factorizationFailed(reason):
      return "factorization failed: \(reason)"
    case let .memoryLimitExceeded(estimated, limit, what):
      return "\(what.isEmpty ? "the computation" : what) needs ≈ \(MemoryBudget.format(bytes: estimated)), above the memory limit of \(MemoryBudget.format(bytes: limit))"
    case let .emptyRow(row):
      return "matrix is structurally singular: row \(row + 1) has no entries"
    case let .emptyColumn(column):
      return "matrix is structurally singular: column \(column + 1) has no entries"
    }
  }
}
