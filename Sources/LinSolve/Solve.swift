import LinSolveCore
import LinSolveSequences

/// A solution by ``solve(_:_:stopping:)``: the judged result and what `auto` chose.
public struct AutoSolution: Sendable {
  /// The result; `converged` only if the true residual meets the criterion.
  public var outcome: SolveOutcome
  /// The method and preconditioner chosen, and the rule that chose them.
  public var choice: AutoChoice
  /// The method and preconditioner actually used, after a fallback (e.g. `lu`, `jacobi`).
  public var method: SolverMethod
  public var preconditioner: String
  /// What the set-up decided (fallbacks, shifts).
  public var notes: [String]
}

/// Solves `A x = b` (least squares for a tall `A`) with the method `AutoChoice` picks for
/// `a`, the way `solve --method auto` does:
///
/// ```swift
/// let solution = try solve(a, b)
/// print(solution.choice.why, solution.outcome.result.converged)
/// ```
///
/// - Throws: `LinSolveError` for input that cannot be solved (sizes, NaN, a factorization
///   that fails); non-convergence is a result.
public func solve(_ a: SparseMatrix, _ b: [Double], stopping: StoppingCriterion = StoppingCriterion()) throws
  -> AutoSolution
{
  let choice = AutoChoice.choose(for: a)
  let solver = PreparedSolver(choice.configuration(stopping: stopping))
  try solver.setUp(for: a)
  let outcome = try solver.solve(a, b)
  return AutoSolution(
    outcome: outcome, choice: choice, method: solver.method, preconditioner: solver.preconditionerName,
    notes: solver.notes)
}
