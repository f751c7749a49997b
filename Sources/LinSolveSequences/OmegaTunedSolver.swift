import LinSolveCore
import LinSolveKrylov
import LinSolveTuning

/// Solves related systems one after another with SOR's (or SSOR-PCG's) relaxation parameter ω
/// chosen for each by a bandit from the costs of the systems before it — *Learning to Relax*
/// (Khodak, Chow, Balcan, Talwalkar, ICLR 2024). The learner sees only each solve's cost
/// (iterations or seconds, ``ParameterTuner/CostKind``) and, for the contextual strategies, a
/// scalar context per system.
///
/// ```swift
/// var sequence = OmegaTunedSolver(method: .sor, tuner: try ParameterTuner(seed: 1))
/// for system in systems { let step = try sequence.solve(system.matrix, system.rhs); print(step.omega) }
/// ```
public struct OmegaTunedSolver: Sendable {
  /// The method whose ω is learned.
  public enum Method: String, Sendable, CaseIterable, Codable {
    case sor, ssor
    /// CG preconditioned by SSOR(ω).
    case ssorPCG = "ssor-pcg"
  }

  /// One system's solve.
  public struct Step: Sendable {
    /// The result, judged by the true residual.
    public var result: SolveResult
    /// The ω the learner chose.
    public var omega: Double
    /// The cost the learner was given.
    public var cost: Double
  }

  public var method: Method
  /// The learner (with its grid, strategy, cost kind and state); save it to resume later.
  public var tuner: ParameterTuner
  public var stopping: StoppingCriterion

  public init(method: Method, tuner: ParameterTuner, stopping: StoppingCriterion = StoppingCriterion()) {
    self.method = method
    self.tuner = tuner
    self.stopping = stopping
  }

  /// Chooses ω for `A x = b`, solves, and lets the learner observe the cost.
  ///
  /// - Throws: ``TuningError`` from the learner (a contextual learner without `context`, an
  ///   invalid cost), or the solver's errors — then the decision is discarded and the learner
  ///   is as it was.
  public mutating func solve(_ a: SparseMatrix, _ b: [Double], context: Double? = nil) throws -> Step {
    let omega = try tuner.next(context: context)
    let result: SolveResult
    do {
      result = try Self.solve(a, b, method: method, omega: omega, stopping: stopping).judged(by: stopping, a: a, b: b)
    } catch {
      tuner.discardPendingDecision()
      throw error
    }
    let cost = tuner.costKind == .iterations ? Double(result.iterations) : result.seconds
    try tuner.observe(cost: cost)
    return Step(result: result, omega: omega, cost: cost)
  }

  /// One solve with a fixed ω (what the learner's choice runs; also the untuned baseline).
  public static func solve(
    _ a: SparseMatrix, _ b: [Double], method: Method, omega: Double, stopping: StoppingCriterion
  ) throws -> SolveResult {
    switch method {
    case .sor: return try SOR(omega: omega, stopping: stopping).solve(a, b)
    case .ssor: return try SOR(omega: omega, symmetric: true, stopping: stopping).solve(a, b)
    case .ssorPCG:
      let m = try SSORPreconditioner(a, omega: omega)
      return try ConjugateGradient(stopping: stopping, preconditioner: m).solve(a, b)
    }
  }
}
