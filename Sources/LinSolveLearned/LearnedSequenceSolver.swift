import LinSolveCore
import LinSolveKrylov

/// One system of a sequence as ``LearnedSequenceSolver`` solved it.
public struct LearnedSequenceStep: Sendable {
  /// `ic0` (a training system) or `learned`.
  public var preconditioner: String
  /// The PCG result, judged by the criterion on the true residual.
  public var result: SolveResult
  /// Seconds of the preconditioner's set-up (IC(0), plus the network for `learned`) and of PCG.
  public var setupSeconds: Double
  public var solveSeconds: Double
  /// Seconds spent training after this system (only on the last training system).
  public var trainingSeconds: Double

  /// Set-up, solve and training.
  public var seconds: Double { setupSeconds + solveSeconds + trainingSeconds }
}

/// Solves a sequence with PCG and a preconditioner learned from the systems already solved:
/// the first `K` systems are solved with IC(0) and become the training set
/// (``LearnedTrainingSet``); after the `K`-th, a ``LearnedFactorModel`` is trained
/// (``LearnedTraining``) and every later system is solved with its factor
/// (``LearnedPreconditioner``). Given a model (loaded from a file), every system is solved
/// with it and nothing is trained. No online training: the model is fixed once trained.
///
/// This is the sequence setting of Li et al., *Learning Preconditioner for Conjugate Gradient
/// PDE Solvers* (ICML 2023): the solved systems of a family train the preconditioner of the
/// next ones. `solve sequence --preconditioner learned --train K` runs it.
///
/// ```swift
/// let driver = try LearnedSequenceSolver(trainingSystems: 4)
/// for system in sequence { let step = try driver.solve(system.matrix, system.rhs) }
/// ```
public final class LearnedSequenceSolver {
  /// `K`: systems solved with IC(0) before training.
  public let trainingSystems: Int
  public let options: LearnedTrainingOptions
  public let stopping: StoppingCriterion
  /// The model in use: `nil` until trained (or given).
  public private(set) var model: LearnedFactorModel?
  /// What training did, once it ran.
  public private(set) var trainingReport: LearnedTrainingReport?
  /// Systems solved so far.
  public private(set) var solved = 0
  private var trainingSet = LearnedTrainingSet()
  private let incompleteCholesky = IncompleteCholesky()
  private var learned: LearnedPreconditioner?

  /// - Parameters:
  ///   - trainingSystems: `K ≥ 1`.
  ///   - model: a trained model to use from the first system (no training).
  /// - Throws: ``LinSolveError/invalidParameter(name:reason:)`` for `K < 1`, invalid options
  ///   or criterion.
  public init(
    trainingSystems: Int, model: LearnedFactorModel? = nil, options: LearnedTrainingOptions = LearnedTrainingOptions(),
    stopping: StoppingCriterion = StoppingCriterion()
  ) throws {
    guard trainingSystems >= 1 else {
      throw LinSolveError.invalidParameter(name: "trainingSystems", reason: "\(trainingSystems) is not ≥ 1")
    }
    try options.validate()
    try stopping.validate()
    self.trainingSystems = trainingSystems
    self.options = options
    self.stopping = stopping
    self.model = model
    learned = model.map { LearnedPreconditioner(model: $0) }
  }

  /// Solves the next system: with IC(0) while training data is collected (then trains after the
  /// `K`-th), else with the learned factor.
  ///
  /// - Throws: IC(0)'s set-up errors; ``LearnedModelError/patternMismatch(expected:found:)`` for
  ///   a matrix of another pattern than the model's or the training systems'; invalid input.
  ///   Non-convergence is in the result.
  public func solve(_ a: SparseMatrix, _ b: [Double], x0: [Double]? = nil) throws -> LearnedSequenceStep {
    let start = ContinuousClock.now
    let preconditioner: any Preconditioner
    if let learned {
      try learned.setUp(for: a)
      preconditioner = learned
    } else {
      if let signature = trainingSet.signature {
        let found = PatternSignature(of: a)
        if found != signature { throw LearnedModelError.patternMismatch(expected: signature, found: found) }
      }
      try incompleteCholesky.setUp(for: a)
      preconditioner = incompleteCholesky
    }
    let setup = Self.seconds(since: start)
    let result = try ConjugateGradient(stopping: stopping, preconditioner: preconditioner).solve(a, b, x0: x0)
      .judged(by: stopping, a: a, b: b)
    solved += 1
    var training = 0.0
    if learned == nil {
      // Only solutions that met the tolerance (by the true residual) are training targets.
      if result.converged { try trainingSet.append(a, solution: result.x, rhs: b) }
      if solved >= trainingSystems && trainingSet.count > 0 {
        let (trained, report) = try LearnedTraining.train(on: trainingSet, options: options)
        model = trained
        trainingReport = report
        learned = LearnedPreconditioner(model: trained)
        training = report.seconds
        trainingSet = LearnedTrainingSet()  // the data is no longer needed
      }
    }
    return LearnedSequenceStep(
      preconditioner: preconditioner.name, result: result, setupSeconds: setup, solveSeconds: result.seconds,
      trainingSeconds: training)
  }

  private static func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }
}
