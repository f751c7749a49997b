import LinSolveCore

/// One system of a sequence as a sequence driver solved it: the result, judged by the true
/// residual, and what it cost — set-up (factorization, preconditioner, AMG refresh) plus solve.
public struct SequenceStep: Sendable {
  /// The strategy whose solve is ``result`` (for a portfolio: the one that finished the system).
  public var strategy: String
  /// The result, judged by the stopping criterion on the true residual.
  public var result: SolveResult
  /// Seconds of set-up and of the solve; for a portfolio, summed over every attempt.
  public var setupSeconds: Double
  public var solveSeconds: Double
  /// What the set-up decided or what went wrong (an IC(0) shift, a dropped arm, an aborted
  /// exploration).
  public var notes: [String]

  public init(strategy: String, result: SolveResult, setupSeconds: Double, solveSeconds: Double, notes: [String] = []) {
    self.strategy = strategy
    self.result = result
    self.setupSeconds = setupSeconds
    self.solveSeconds = solveSeconds
    self.notes = notes
  }

  /// Set-up plus solve: the system's share of a sequence's total (reading excluded).
  public var seconds: Double { setupSeconds + solveSeconds }
}
