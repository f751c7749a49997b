/// What every iterative method in LinSolve offers: settings as stored properties and a
/// `solve` that returns a ``SolveResult`` with a ``StopReason``.
///
/// Non-convergence is reported in the result, not thrown; errors are thrown only for input
/// that cannot be iterated on (sizes, NaN/Inf in `b` or `x₀`, invalid parameters).
public protocol IterativeSolver {
  /// When to stop.
  var stopping: StoppingCriterion { get set }
  /// Keep every residual norm in ``SolveResult/residualHistory``.
  var recordHistory: Bool { get set }
  /// Solves `A x = b` from `x0` (zero when `nil`).
  func solve(_ a: some LinearOperator, _ b: [Double], x0: [Double]?, monitor: SolveMonitor?) throws -> SolveResult
  /// Solves `A x = b` from `x0` whose residual `r0 = b − A·x0` the caller already has (from
  /// stored products, as ``FischerProjection`` does): a method that starts from `r0` saves one
  /// product. The default ignores `r0` and calls ``solve(_:_:x0:monitor:)``.
  func solve(
    _ a: some LinearOperator, _ b: [Double], x0: [Double], initialResidual r0: [Double], monitor: SolveMonitor?
  ) throws -> SolveResult
}

extension IterativeSolver {
  public func solve(
    _ a: some LinearOperator, _ b: [Double], x0: [Double], initialResidual r0: [Double], monitor: SolveMonitor?
  ) throws -> SolveResult {
    try solve(a, b, x0: x0, monitor: monitor)
  }
}

/// Input checks shared by the iterative methods.
package enum SolverInput {
  /// Checks sizes and values of `A`, `b`, `x₀` and the criterion; returns the starting guess.
  package static func validate(
    _ a: some LinearOperator, _ b: [Double], x0: [Double]?, stopping: StoppingCriterion, square: Bool = true
  ) throws -> [Double] {
    try stopping.validate()
    if square && a.rows != a.columns { throw LinSolveError.notSquare(rows: a.rows, columns: a.columns) }
    guard b.count == a.rows else {
      throw LinSolveError.dimensionMismatch(expected: a.rows, actual: b.count, what: "right-hand side b")
    }
    guard Vector.allFinite(b) else { throw LinSolveError.nonFinite(what: "right-hand side b") }
    if let x0 {
      guard x0.count == a.columns else {
        throw LinSolveError.dimensionMismatch(expected: a.columns, actual: x0.count, what: "initial guess x0")
      }
      guard Vector.allFinite(x0) else { throw LinSolveError.nonFinite(what: "initial guess x0") }
      return x0
    }
    return [Double](repeating: 0, count: a.columns)
  }

  /// Checks that a sparse matrix has finite values.
  package static func validateValues(_ a: SparseMatrix) throws {
    guard Vector.allFinite(a.values) else { throw LinSolveError.nonFinite(what: "matrix A") }
  }
}
