import LinSolveCore
import LinSolveDirect

/// Solves the systems of a sequence one after another with one ``SequenceStrategy``, reusing
/// what the strategy allows: one ``PreparedSolver`` is set up again for each matrix, so CHOLMOD
/// and UMFPACK refactor numerically on the kept symbolic analysis while the sparsity pattern is
/// unchanged (``symbolicAnalyses`` stays at 1) and an AMG hierarchy is refreshed; with
/// ``SequenceStrategy/warmStart`` an iterative method starts from the previous solution.
///
/// This is the fixed-strategy baseline of a sequence portfolio (Khodak et al., *PCGBandit*,
/// arXiv 2509.08765, compare every fixed preconditioner over the sequence) and what
/// `solve sequence --method M --preconditioner P` runs.
///
/// ```swift
/// let driver = try FixedStrategySequenceSolver(strategy: SequenceStrategy(method: .cholesky))
/// for system in sequence { let step = try driver.solve(system); print(step.seconds) }
/// ```
public final class FixedStrategySequenceSolver {
  public let strategy: SequenceStrategy
  public let stopping: StoppingCriterion
  /// The prepared solver kept across the systems (its factorizations, preconditioner, AMG).
  public let prepared: PreparedSolver
  /// The last solution with a finite value, the warm start of the next system.
  public var previousSolution: [Double]?

  /// - Parameter fallBack: let Cholesky fall back to LU and IC(0) to Jacobi
  ///   (``SolverConfiguration/fallBack``) instead of failing.
  /// - Throws: ``LinSolveError/invalidParameter(name:reason:)`` for a strategy that cannot
  ///   run over a sequence (``SequenceStrategy/validate()``) or an invalid criterion.
  public init(strategy: SequenceStrategy, stopping: StoppingCriterion = StoppingCriterion(), fallBack: Bool = false) throws {
    try strategy.validate()
    try stopping.validate()
    self.strategy = strategy
    self.stopping = stopping
    prepared = PreparedSolver(strategy.configuration(stopping: stopping, fallBack: fallBack))
    // Rebuild policy: any solve after a build counts as grown, so the next set-up rebuilds.
    if strategy.rebuildsMultigrid { prepared.multigridRebuildFactor = 0 }
  }

  /// Symbolic analyses of the kept factorization (`nil` for iterative strategies).
  public var symbolicAnalyses: Int? { prepared.symbolicAnalyses }
  /// Numeric factorizations of the kept factorization (`nil` for iterative strategies).
  public var numericFactorizations: Int? { prepared.numericFactorizations }

  /// Sets the solver up for the system's matrix and solves it.
  ///
  /// - Parameters:
  ///   - initialGuess: overrides the start (``LinearSystem/initialGuess``, else the previous
  ///     solution with warm start, else zero).
  ///   - monitor: called every iteration (``SolveMonitor``); returning `.stop` ends the solve.
  ///   - beforeFactorizing: sees CHOLMOD's estimate of the factor before the numeric
  ///     factorization; an error it throws ends the solve there
  ///     (``PreparedSolver/setUp(for:beforeFactorizing:)``).
  /// - Throws: the set-up's errors (a factorization that fails or runs out of memory, IC(0)
  ///   breakdown without fallback) and invalid input. Non-convergence is in the result.
  public func solve(
    _ system: LinearSystem, initialGuess: [Double]? = nil, monitor: SolveMonitor? = nil,
    beforeFactorizing: ((CholeskyFactorization.FactorEstimate) throws -> Void)? = nil
  ) throws -> SequenceStep {
    let a = system.matrix
    try prepared.setUp(for: a, beforeFactorizing: beforeFactorizing)
    let setup = prepared.setupSeconds
    let candidates = [initialGuess, system.initialGuess, strategy.warmStart ? previousSolution : nil]
    let x0 = candidates.lazy.compactMap { $0 }.first { $0.count == a.columns && Vector.allFinite($0) }
    let outcome = try prepared.solve(a, system.rhs, x0: prepared.method.isDirect ? nil : x0, monitor: monitor)
    if outcome.result.x.count == a.columns && Vector.allFinite(outcome.result.x) { previousSolution = outcome.result.x }
    var name = strategy.name
    if prepared.method != strategy.method { name += "→" + prepared.method.rawValue }
    return SequenceStep(
      strategy: name, result: outcome.result, setupSeconds: setup + outcome.setupSeconds,
      solveSeconds: outcome.solveSeconds, notes: prepared.notes)
  }
}
