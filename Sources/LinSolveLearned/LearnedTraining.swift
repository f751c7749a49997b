import LinSolveCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How a ``LearnedFactorModel`` is trained.
public struct LearnedTrainingOptions: Sendable, Equatable, Codable {
  /// Hidden units of a new network.
  public var hidden: Int
  /// Adam steps, each on the whole training set.
  public var steps: Int
  /// Adam's step size.
  public var learningRate: Double
  /// Seed of the initial weights.
  public var seed: UInt64

  public init(hidden: Int = 8, steps: Int = 100, learningRate: Double = 0.02, seed: UInt64 = 1) {
    self.hidden = hidden
    self.steps = steps
    self.learningRate = learningRate
    self.seed = seed
  }

  /// - Throws: ``LinSolveError/invalidParameter(name:reason:)`` for a value out of range.
  public func validate() throws {
    guard hidden >= 1 && hidden <= 256 else { throw LinSolveError.invalidParameter(name: "hidden", reason: "\(hidden) is not in 1…256") }
    guard steps >= 0 else { throw LinSolveError.invalidParameter(name: "steps", reason: "\(steps) is negative") }
    guard learningRate > 0 && learningRate.isFinite else {
      throw LinSolveError.invalidParameter(name: "learningRate", reason: "\(learningRate) is not positive")
    }
  }
}

/// What a training run did.
public struct LearnedTrainingReport: Sendable, Equatable, Codable {
  /// Systems (samples) trained on.
  public var systems: Int
  /// Adam steps taken.
  public var steps: Int
  /// The loss of the initial and of the returned network.
  public var initialLoss: Double
  public var finalLoss: Double
  /// Wall-clock seconds of the training.
  public var seconds: Double
}

/// Trains a ``LearnedFactorModel`` on solved systems with Adam (Kingma & Ba, ICLR 2015) and
/// the hand-derived gradient of ``FactorLoss`` (checked against finite differences by the
/// tests), deterministically for a seed.
///
/// Full-batch: each step evaluates the loss and its gradient on every sample. The network
/// returned is the one with the lowest loss seen, so training never returns a network worse
/// (on the training set) than the one it started from.
public enum LearnedTraining {
  /// A new network (``LearnedTrainingOptions/hidden``, ``LearnedTrainingOptions/seed``)
  /// trained on `set`.
  ///
  /// - Throws: ``LearnedModelError/notTrained(_:)`` for an empty set; invalid options.
  public static func train(
    on set: LearnedTrainingSet, options: LearnedTrainingOptions = LearnedTrainingOptions()
  ) throws -> (model: LearnedFactorModel, report: LearnedTrainingReport) {
    try options.validate()
    return try train(LearnedFactorModel(hidden: options.hidden, seed: options.seed), on: set, options: options)
  }

  /// `model` trained further on `set` (its ``LearnedFactorModel/pattern`` becomes the set's).
  ///
  /// - Throws: ``LearnedModelError/notTrained(_:)`` for an empty set;
  ///   ``LearnedModelError/patternMismatch(expected:found:)`` when `model` was trained on
  ///   another pattern; invalid options.
  public static func train(
    _ model: LearnedFactorModel, on set: LearnedTrainingSet, options: LearnedTrainingOptions
  ) throws -> (model: LearnedFactorModel, report: LearnedTrainingReport) {
    try options.validate()
    guard let signature = set.signature else { throw LearnedModelError.notTrained("no solved systems to train on") }
    try model.check(signature)
    let start = ContinuousClock.now
    var current = model
    current.pattern = signature
    let count = current.parameters.count
    var first = [Double](repeating: 0, count: count), second = first
    let beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8
    var best = current
    var (loss, gradient) = set.lossAndGradient(current)
    let initialLoss = loss
    var bestLoss = loss
    var steps = 0
    for step in 1...max(options.steps, 1) where options.steps > 0 {
      guard gradient.allSatisfy(\.isFinite) else { break }
      let c1 = 1 - pow(beta1, Double(step)), c2 = 1 - pow(beta2, Double(step))
      for k in 0..<count {
        first[k] = beta1 * first[k] + (1 - beta1) * gradient[k]
        second[k] = beta2 * second[k] + (1 - beta2) * gradient[k] * gradient[k]
        current.parameters[k] -= options.learningRate * (first[k] / c1) / ((second[k] / c2).squareRoot() + epsilon)
      }
      steps = step
      (loss, gradient) = set.lossAndGradient(current, gradient: step < options.steps)
      if loss.isFinite && loss < bestLoss {
        bestLoss = loss
        best = current
      }
    }
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    return (
      best,
      LearnedTrainingReport(systems: set.count, steps: steps, initialLoss: initialLoss, finalLoss: bestLoss, seconds: seconds)
    )
  }
}
