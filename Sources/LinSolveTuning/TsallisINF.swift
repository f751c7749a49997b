import LinSolveCore

/// The ½-Tsallis-INF multi-armed bandit: which of `arms` values to use next, from the costs
/// of the values tried so far and nothing else.
///
/// This is the anytime ½-Tsallis-INF of Zimmert & Seldin (*Tsallis-INF: An optimal algorithm
/// for stochastic and adversarial bandits*, JMLR 2021) as configured by Khodak, Chow, Balcan
/// and Talwalkar (*Learning to Relax: Setting Solver Parameters Across a Sequence of Linear
/// System Instances*, ICLR 2024; `learners/TsallisINF.m` of their code), who use it to pick
/// SOR's ω with regret sublinear in the number of systems against the best fixed ω:
///
/// - round t (1-based) plays arm i with probability `p_i = 4 (η_t (L̂_i − x))⁻²`,
///   `η_t = 2/√t`, where `L̂_i = K̂_i / scale` and the normaliser `x < min L̂` makes `Σ p = 1`;
/// - after the solve, the loss `ℓ = max(cost − baseline, 0)` updates only the arm played:
///   `K̂_i += ℓ / p_i` (importance weighting, an unbiased estimate of the cumulative loss);
/// - `scale` is the running mean of all losses so far, so losses are measured in units of
///   a typical solve and no bound on the cost (such as the iteration cap) is needed.
///
/// The baseline is 1 for iteration counts (every solve costs at least one iteration, so
/// `cost − 1` is what ω can change) and 0 for seconds. A solve with cost below the baseline
/// (0 iterations: a warm start that had already converged) gives loss 0, never a negative
/// loss; if every loss so far is 0, the scale is taken as 1.
///
/// **Normaliser.** The authors run 20 Newton steps from `x = −1` on `Σ p(x) = 1`, which can
/// step past the pole at `min L̂` (their code then falls back to a uniform draw). Here Newton
/// starts at `x₀ = min L̂ − 2/η`, where the smallest loss alone has `p = 1`, so `Σ p ≥ 1`:
/// on this increasing convex function Newton's iterates then decrease monotonically to the
/// root and every `η (L̂_i − x)` stays positive. The losses are shifted by their minimum so
/// the root keeps full precision when they grow large. It stops when `|Σ p − 1| < 1e-12`
/// (typically 5–10 steps) and `p` is normalised so it sums to 1 exactly.
///
/// - Complexity: O(arms) per ``next(using:)`` (times the Newton steps) and O(1) per
///   ``observe(cost:)``; no allocation after initialisation.
public struct TsallisINF: Sendable, Equatable {
  /// The number of arms `d`.
  public let arms: Int
  /// Subtracted from each cost to form the loss (1 for iterations, 0 for seconds).
  public let baseline: Double
  /// Rounds completed (costs observed).
  public private(set) var rounds: Int
  /// `K̂`: the importance-weighted cumulative loss of each arm, in cost units.
  public private(set) var cumulativeLosses: [Double]
  /// The sum of all losses observed (the scale is their mean).
  public private(set) var lossSum: Double
  /// The distribution of the last decision (all `1/d` before the first one).
  public private(set) var probabilities: [Double]
  /// The arm of the decision awaiting its cost, if any.
  public private(set) var pendingArm: Int?
  /// The arm of the last decision.
  public private(set) var lastArm: Int?

  /// A learner over `arms` arms with no history.
  ///
  /// - Throws: ``TuningError/invalidStrategy(_:)`` unless `arms ≥ 1` and `baseline` is finite.
  public init(arms: Int, baseline: Double = 1) throws {
    try TuningLimits.checkArms(arms, what: "Tsallis-INF")
    guard baseline.isFinite else { throw TuningError.invalidStrategy("the cost baseline \(baseline) is not finite") }
    self.arms = arms
    self.baseline = baseline
    rounds = 0
    cumulativeLosses = [Double](repeating: 0, count: arms)
    lossSum = 0
    probabilities = [Double](repeating: 1 / Double(arms), count: arms)
  }

  /// `η_t = 2/√t` for the coming round `t = rounds + 1`.
  public var learningRate: Double { 2 / Double(rounds + 1).squareRoot() }

  /// The running mean of the losses (1 before any positive loss, the guard for `scale = 0`).
  public var lossScale: Double {
    rounds > 0 && lossSum > 0 ? lossSum / Double(rounds) : 1
  }

  /// Chooses the arm for the coming round.
  ///
  /// - Throws: ``TuningError/decisionPending`` if the previous decision has no cost yet.
  public mutating func next(using generator: inout SeededGenerator) throws -> Int {
    guard pendingArm == nil else { throw TuningError.decisionPending }
    updateProbabilities()
    let arm = generator.index(weights: probabilities)
    pendingArm = arm
    lastArm = arm
    return arm
  }

  /// Learns from the cost of the pending decision.
  ///
  /// - Throws: ``TuningError/noPendingDecision`` without a pending decision,
  ///   ``TuningError/invalidCost(_:)`` for a negative, NaN or infinite cost.
  public mutating func observe(cost: Double) throws {
    guard let arm = pendingArm else { throw TuningError.noPendingDecision }
    try observe(arm: arm, probability: probabilities[arm], cost: cost)
    pendingArm = nil
  }

  /// Learns from the cost of a decision made earlier and no longer pending: `arm`, played with
  /// `probability` (its probability when it was chosen). With the pending arm and its current
  /// probability this is ``observe(cost:)``; ``ParameterTuner/observe(_:cost:)`` uses it for
  /// decisions whose costs arrive in a batch.
  package mutating func observe(arm: Int, probability: Double, cost: Double) throws {
    try TuningLimits.checkRoundAvailable(rounds)
    let loss = try TuningError.loss(cost: cost, baseline: baseline)
    cumulativeLosses[arm] += loss / probability
    lossSum += loss
    rounds += 1
  }

  /// Forgets the pending decision without learning from it (e.g. the solve failed).
  public mutating func discardPendingDecision() { pendingArm = nil }

  /// Sets ``probabilities`` for the coming round by the Newton normalisation.
  mutating func updateProbabilities() {
    let eta = learningRate
    let scale = lossScale
    cumulativeLosses.withUnsafeBufferPointer { k in
      probabilities.withUnsafeMutableBufferPointer { p in
        _ = Self.normalise(cumulativeLosses: k, scale: scale, eta: eta, into: p)
      }
    }
  }

  /// Solves `Σ_i 4 (η (k_i/scale − x))⁻² = 1` for `x` by Newton's method and writes the
  /// normalised `p`. Returns the number of Newton steps.
  ///
  /// The losses are shifted by their minimum first (`δ_i = (k_i − k_min)/scale`,
  /// `y = x − k_min/scale`), so the root is found to full relative precision however large
  /// the cumulative losses grow.
  @discardableResult
  package static func normalise(
    cumulativeLosses k: UnsafeBufferPointer<Double>, scale: Double, eta: Double,
    into p: UnsafeMutableBufferPointer<Double>
  ) -> Int {
    let d = k.count
    var minimum = Double.infinity
    for i in 0..<d { minimum = min(minimum, k[i]) }
    // The arm with the smallest loss has p = 1 at y = −2/η, so Σp ≥ 1: start right of the root.
    var y = -2 / eta
    var steps = 0
    while true {
      var sum = 0.0
      var sum32 = 0.0
      for i in 0..<d {
        let u = eta * ((k[i] - minimum) / scale - y)
        let q = 4 / (u * u)
        p[i] = q
        sum += q
        sum32 += q * q.squareRoot()
      }
      if abs(sum - 1) < 1e-12 || steps == 100 || !sum.isFinite { break }
      // y ← y − (Σp − 1) / (η Σp^{3/2});  dp_i/dy = η p_i^{3/2}.
      var next = y - (sum - 1) / (eta * sum32)
      // Monotone from the right in exact arithmetic; never let rounding cross the pole at 0.
      if !(next < 0) { next = 0.5 * y }
      if next == y { break }  // converged to rounding
      y = next
      steps += 1
    }
    var total = 0.0
    for i in 0..<d { total += p[i] }
    if total > 0, total.isFinite {
      for i in 0..<d { p[i] /= total }
    } else {
      for i in 0..<d { p[i] = 1 / Double(d) }
    }
    return steps
  }
}

extension TsallisINF: Codable {
  private enum CodingKeys: String, CodingKey {
    case arms, baseline, rounds, cumulativeLosses, lossSum, probabilities, pendingArm, lastArm
  }

  /// Decodes a learner and checks that its arrays and counters are consistent.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    // The arrays first: the arm count is checked against them before it sizes anything.
    let losses = try c.decode([Double].self, forKey: .cumulativeLosses)
    let probabilities = try c.decode([Double].self, forKey: .probabilities)
    let arms = try c.decode(Int.self, forKey: .arms)
    guard arms == losses.count, arms == probabilities.count else {
      throw DecodingError.dataCorruptedError(
        forKey: .arms, in: c, debugDescription: "\(arms) arms, but \(losses.count) losses and \(probabilities.count) probabilities")
    }
    try self.init(arms: arms, baseline: c.decode(Double.self, forKey: .baseline))
    rounds = try c.decode(Int.self, forKey: .rounds)
    cumulativeLosses = losses
    lossSum = try c.decode(Double.self, forKey: .lossSum)
    self.probabilities = probabilities
    pendingArm = try c.decodeIfPresent(Int.self, forKey: .pendingArm)
    lastArm = try c.decodeIfPresent(Int.self, forKey: .lastArm)
    let consistent =
      TuningLimits.isValidRounds(rounds) && cumulativeLosses.count == arms && probabilities.count == arms
      && cumulativeLosses.allSatisfy { $0 >= 0 && $0.isFinite } && lossSum >= 0 && lossSum.isFinite
      && probabilities.allSatisfy { $0 >= 0 && $0.isFinite }
      && (pendingArm.map { (0..<arms).contains($0) } ?? true) && (lastArm.map { (0..<arms).contains($0) } ?? true)
    guard consistent else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: "inconsistent Tsallis-INF state"))
    }
  }
}
