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
    }
  }
}
