import LinSolveCore

/// Which of a list of named strategies (arms) to run next, learned from their costs — the
/// learner behind a sequence portfolio. It knows no matrices: arms are names, costs are numbers
/// (wall-clock seconds in a portfolio).
///
/// The choice is ½-Tsallis-INF (Zimmert & Seldin, JMLR 2021; ``TsallisINF``), the learner
/// PCGBandit runs over preconditioner arms with wall-clock feedback (Khodak, Jung, Wynne, Chow,
/// Kolemen, *PCGBandit*, arXiv 2509.08765), with three additions for short sequences:
///
/// - **Dropped arms.** An arm that failed (``drop(_:because:)``) gets probability 0 from then
///   on; the others are renormalised.
/// - **Incumbent.** The arm to beat (``incumbent``): the first to complete a solve, replaced
///   only head to head — by an arm whose complete solve costs less than the incumbent's recent
///   cost (an exponential moving average with weight ``recencyWeight`` on the newest complete
///   solve). What a caller falls back to, and whose recent cost bounds an exploration.
/// - **Censored costs.** A solve stopped at its budget reports the time it spent plus what the
///   system then cost to finish (``observe(cost:censored:)``): the learner is charged the round's
///   real cost, but the arm's own mean (which defines the incumbent) only learns from complete
///   solves.
///
/// Losses are importance weighted, `K̂_i += ℓ/p_i`, and measured in units of the running mean
/// loss, as in ``TsallisINF``. A learner is deterministic: the same seed and the same costs give
/// the same choices, and it is `Codable` with its generator, so a saved learner resumes exactly.
///
/// Tsallis-INF needs many rounds to stop exploring (it samples every arm with probability
/// `≈ 1/√t`); on a sequence of tens of systems that is most of the sequence. The default
/// ``Policy/exploreThenCommit`` explores less: the opening arm twice (its first solve carries
/// its one-time set-up), each untried arm once (in ``explorationOrder``: a caller puts cheap
/// set-ups first, direct factorizations, whose symbolic analysis cannot be bounded, last), a
/// close runner-up once more, then the incumbent, re-checking the most promising other arm at
/// rounds 8, 16, 32, … — about `K + log₂ T` explorations in `T` rounds, each bounded by the
/// portfolio's budget. Drift is followed without trusting stale costs: when the incumbent's
/// recent cost rises past another arm's latest cost (by ``driftFactor``), that arm is measured
/// again and takes over if it is faster now.
public struct PortfolioLearner: Sendable, Equatable, Codable {
  /// How ``next()`` chooses.
  public enum Policy: String, Sendable, Codable, CaseIterable {
    /// ½-Tsallis-INF sampling (PCGBandit): for long sequences, adversarial costs.
    case tsallisINF = "tsallis"
    /// Try each arm once, then the incumbent with re-checks at doubling intervals.
    case exploreThenCommit = "explore-then-commit"
  }

  /// The choice rule.
  public let policy: Policy
  /// The order in which ``Policy/exploreThenCommit`` tries untried arms (a permutation of the arms).
  public let explorationOrder: [Int]
  /// Per arm: its first solve carries a one-time set-up, so it is measured again before it is
  /// judged (an arm without one — Jacobi, SSOR — is judged on its first solve).
  public let firstSolveCarriesSetUp: [Bool]
  /// Rounds in which each arm was chosen.
  public private(set) var choices: [Int]
  /// The largest censored cost each arm was charged (0: none), its estimate until it completes.
  public private(set) var censoredCosts: [Double]
  /// The arms' names, in order (the identity of a saved learner).
  public let arms: [String]
  /// The seed the generator started from.
  public let seed: UInt64
  /// Rounds completed.
  public private(set) var rounds = 0
  /// `K̂`: importance-weighted cumulative loss per arm.
  public private(set) var cumulativeLosses: [Double]
  /// Sum of all losses (the scale is their mean).
  public private(set) var lossSum = 0.0
  /// Complete (uncensored) solves per arm and their total cost.
  public private(set) var completedSolves: [Int]
  public private(set) var completedCost: [Double]
  /// The incumbent's moving average of complete costs; another arm's latest complete cost
  /// (meaningless before its first).
  public private(set) var recentCosts: [Double]
  /// Each arm's latest cost, complete or censored (0: none yet).
  public private(set) var latestCosts: [Double]
  /// The incumbent as last decided (``incumbent`` checks it is still active).
  private var leader: Int?
  /// The weight of the newest complete cost in ``recentCost(_:)``.
  public static let recencyWeight = 0.3
  /// Why each dropped arm was dropped (`nil`: active).
  public private(set) var dropReasons: [String?]
  /// The distribution of the last decision.
  public private(set) var probabilities: [Double]
  /// The arm awaiting its cost.
  public private(set) var pendingArm: Int?
  private var generator: SeededGenerator
  /// When not `nil`, every change to the learner is appended here as an ``Event``, so that
  /// another copy can ``apply(_:)`` it: how R MPI ranks pool one learner (each journals what its
  /// system taught it, every rank replays every journal in system order). Not saved.
  public var journal: [Event]?

  /// One change to a learner, as ``journal`` records it and ``apply(_:)`` replays it.
  public enum Event: Sendable, Equatable, Codable {
    /// A decision (``next(excluding:)`` or ``force(_:)``): the arm, the distribution it was
    /// drawn from, and the generator after the draw.
    case chose(arm: Int, probabilities: [Double], generator: SeededGenerator)
    /// ``observe(cost:censored:)`` of the pending decision.
    case observed(cost: Double, censored: Bool)
    /// ``recordCompletion(of:cost:)``.
    case completed(arm: Int, cost: Double)
    /// ``drop(_:because:)``.
    case dropped(arm: Int, reason: String)
    /// ``discardPendingDecision()``.
    case discarded
  }

  /// A learner over the named arms.
  ///
  /// - Throws: ``TuningError/invalidStrategy(_:)`` for no arms or repeated names.
  ///
  /// - Parameters:
  ///   - explorationOrder: the order ``Policy/exploreThenCommit`` tries untried arms in
  ///     (`nil`: as listed).
  ///   - firstSolveCarriesSetUp: per arm, whether its first solve carries a one-time set-up (a
  ///     symbolic analysis, a multigrid hierarchy built rather than refreshed), so that it is
  ///     measured a second time before it is judged (`nil`: every arm).
  public init(
    arms: [String], seed: UInt64 = 1, policy: Policy = .exploreThenCommit, explorationOrder: [Int]? = nil,
    firstSolveCarriesSetUp: [Bool]? = nil
  ) throws {
    try TuningLimits.checkArms(arms.count, what: "the portfolio")
    guard Set(arms).count == arms.count else { throw TuningError.invalidStrategy("the portfolio's arm names repeat") }
    let order = explorationOrder ?? Array(arms.indices)
    guard order.sorted() == Array(arms.indices) else { throw TuningError.invalidStrategy("the exploration order is not a permutation of the arms") }
    let setUp = firstSolveCarriesSetUp ?? [Bool](repeating: true, count: arms.count)
    guard setUp.count == arms.count else { throw TuningError.invalidStrategy("\(setUp.count) set-up flags for \(arms.count) arms") }
    self.firstSolveCarriesSetUp = setUp
    self.arms = arms
    self.seed = seed
    self.policy = policy
    self.explorationOrder = order
    choices = [Int](repeating: 0, count: arms.count)
    censoredCosts = [Double](repeating: 0, count: arms.count)
    cumulativeLosses = [Double](repeating: 0, count: arms.count)
    completedSolves = [Int](repeating: 0, count: arms.count)
    completedCost = [Double](repeating: 0, count: arms.count)
    recentCosts = [Double](repeating: 0, count: arms.count)
    latestCosts = [Double](repeating: 0, count: arms.count)
    dropReasons = [String?](repeating: nil, count: arms.count)
    probabilities = [Double](repeating: 1 / Double(arms.count), count: arms.count)
    generator = SeededGenerator(seed: seed)
  }

  /// Whether arm `i` may still be chosen.
  public func isActive(_ i: Int) -> Bool { dropReasons[i] == nil }

  /// The active arms.
  public var activeArms: [Int] { arms.indices.filter(isActive) }

  /// Mean cost of arm `i`'s complete solves, `nil` before its first.
  public func meanCost(_ i: Int) -> Double? {
    completedSolves[i] > 0 ? completedCost[i] / Double(completedSolves[i]) : nil
  }

  /// The moving average of arm `i`'s complete costs, `nil` before its first.
  public func recentCost(_ i: Int) -> Double? { completedSolves[i] > 0 ? recentCosts[i] : nil }

  /// The arm to beat: the first to complete a solve, replaced by an arm whose complete solve
  /// costs less than the incumbent's recent cost (a head-to-head comparison, so that arms
  /// measured on easier systems earlier in a drifting sequence do not take over on stale costs);
  /// when it is dropped, the active arm with the smallest recent cost. `nil` if no active arm has
  /// completed a solve.
  public var incumbent: Int? {
    if let leader, isActive(leader), completedSolves[leader] > 0 { return leader }
    return activeArms.compactMap { i in recentCost(i).map { (i, $0) } }.min { $0.1 < $1.1 }?.0
  }

  /// Counts a complete solve of `arm`. The incumbent's recent cost is a moving average, except
  /// that its second complete solve replaces its first (which carried the one-time set-up: a
  /// symbolic analysis, a multigrid hierarchy built rather than refreshed); another arm's is its
  /// latest complete cost. An arm beating the incumbent's recent cost becomes the incumbent.
  private mutating func complete(_ arm: Int, cost: Double) {
    let current = incumbent
    let averaged = arm == current && completedSolves[arm] >= 2
    recentCosts[arm] = averaged ? (1 - Self.recencyWeight) * recentCosts[arm] + Self.recencyWeight * cost : cost
    latestCosts[arm] = cost
    completedSolves[arm] += 1
    completedCost[arm] += cost
    if let current, current != arm {
      if cost < recentCosts[current] { leader = arm }
    } else {
      leader = arm
    }
  }

  /// Chooses the next arm among the active ones.
  ///
  /// - Throws: ``TuningError/decisionPending`` if the last decision has no cost yet,
  ///   ``TuningError/invalidStrategy(_:)`` when every arm has been dropped.
  public mutating func next() throws -> Int { try next(excluding: []) }

  /// Chooses the next arm among the active ones not in `excluded` (arms a caller cannot afford
  /// to try yet); all active arms if that leaves none.
  ///
  /// - Throws: as ``next()``.
  public mutating func next(excluding excluded: Set<Int>) throws -> Int {
    guard pendingArm == nil else { throw TuningError.decisionPending }
    guard !activeArms.isEmpty else { throw TuningError.invalidStrategy("every arm of the portfolio has been dropped") }
    let candidates = activeArms.filter { !excluded.contains($0) }
    let allowed = candidates.isEmpty ? activeArms : candidates
    let arm: Int
    switch policy {
    case .tsallisINF:
      updateProbabilities()
      var weights = probabilities
      for i in arms.indices where !allowed.contains(i) { weights[i] = 0 }
      arm = weights.contains { $0 > 0 } ? generator.index(weights: weights) : allowed[0]
    case .exploreThenCommit:
      arm = committedChoice(among: allowed)
      probabilities = arms.indices.map { $0 == arm ? 1 : 0 }
    }
    choices[arm] += 1
    pendingArm = arm
    journal?.append(.chose(arm: arm, probabilities: probabilities, generator: generator))
    return arm
  }

  /// Makes `arm` the pending decision without asking the policy (a caller that limits
  /// exploration runs the incumbent); its cost is then observed as any other round's, with
  /// probability 1.
  ///
  /// - Throws: as ``next()``, and ``TuningError/invalidStrategy(_:)`` for an inactive arm.
  public mutating func force(_ arm: Int) throws {
    guard pendingArm == nil else { throw TuningError.decisionPending }
    guard arms.indices.contains(arm), isActive(arm) else { throw TuningError.invalidStrategy("arm \(arm) is not active") }
    probabilities = arms.indices.map { $0 == arm ? 1 : 0 }
    choices[arm] += 1
    pendingArm = arm
    journal?.append(.chose(arm: arm, probabilities: probabilities, generator: generator))
  }

  /// The cost ``Policy/exploreThenCommit`` expects of arm `i`: the incumbent's recent cost;
  /// another arm's latest cost, complete or censored; `nil` for an untried arm.
  public func estimatedCost(_ i: Int) -> Double? {
    if i == incumbent { return recentCost(i) }
    if latestCosts[i] > 0 { return latestCosts[i] }
    return recentCost(i) ?? (censoredCosts[i] > 0 ? censoredCosts[i] : nil)
  }

  /// An arm measured once (its set-up included) within this multiple of the incumbent's recent
  /// cost is measured again before the incumbent is kept (``Policy/exploreThenCommit``).
  public static let confirmationFactor = 1.5
  /// An arm whose latest cost is below the incumbent's recent cost by this factor is measured
  /// again (the incumbent has slowed down as the sequence drifted).
  public static let driftFactor = 1.25

  /// ``Policy/exploreThenCommit``'s choice, in this order:
  /// 1. the incumbent while it has one complete solve carrying its set-up (measured again before
  ///    any arm is compared with it);
  /// 2. an untried arm (in ``explorationOrder``);
  /// 3. an arm with a one-time set-up, explored once and measured within ``confirmationFactor``
  ///    of the incumbent (its second solve, without the set-up, may beat the incumbent);
  /// 4. an arm whose latest cost is below the incumbent's recent cost by ``driftFactor`` (the
  ///    incumbent slowed down: the arm is measured again, and takes over if it is faster now);
  /// 5. at rounds 8, 16, 32, … the other arm with the smallest estimate;
  /// 6. the incumbent.
  private func committedChoice(among active: [Int]) -> Int {
    func estimate(_ i: Int) -> Double { estimatedCost(i) ?? .infinity }
    let leader = incumbent.flatMap { active.contains($0) ? $0 : nil }
      ?? active.min { (estimate($0), $0) < (estimate($1), $1) }!
    if completedSolves[leader] == 1 && firstSolveCarriesSetUp[leader] { return leader }
    let untried = Set(active.filter { choices[$0] == 0 && estimatedCost($0) == nil })
    if let fresh = explorationOrder.first(where: untried.contains) { return fresh }
    let others = active.filter { $0 != leader }.sorted { (estimate($0), $0) < (estimate($1), $1) }
    if completedSolves[leader] > 0 {
      let reference = recentCosts[leader]
      if let close = others.first(where: {
        firstSolveCarriesSetUp[$0] && choices[$0] == 1 && completedSolves[$0] == 1
          && latestCosts[$0] <= Self.confirmationFactor * reference
      }) {
        return close
      }
      if let faster = others.first, estimate(faster) * Self.driftFactor < reference { return faster }
    }
    let round = rounds + 1
    if round >= 8 && round & (round - 1) == 0, let challenger = others.first { return challenger }
    return leader
  }

  /// Learns the cost of the pending round. `censored`: the arm was stopped at its budget, so
  /// `cost` (the round's whole cost) does not count towards the arm's mean.
  ///
  /// - Throws: ``TuningError/noPendingDecision`` or ``TuningError/invalidCost(_:)``.
  public mutating func observe(cost: Double, censored: Bool = false) throws {
    guard let arm = pendingArm else { throw TuningError.noPendingDecision }
    try TuningLimits.checkRoundAvailable(rounds)
    let loss = try TuningError.loss(cost: cost, baseline: 0)
    cumulativeLosses[arm] += loss / max(probabilities[arm], 1e-12)
    lossSum += loss
    rounds += 1
    if censored {
      censoredCosts[arm] = max(censoredCosts[arm], cost)
      latestCosts[arm] = cost
    } else {
      complete(arm, cost: cost)
    }
    pendingArm = nil
    journal?.append(.observed(cost: cost, censored: censored))
  }

  /// Records a complete solve by `arm` that was not the learner's choice (the incumbent
  /// finishing a system after an aborted exploration): it updates the arm's mean only.
  public mutating func recordCompletion(of arm: Int, cost: Double) throws {
    guard arms.indices.contains(arm) else { throw TuningError.invalidStrategy("no arm \(arm)") }
    guard cost.isFinite, cost >= 0 else { throw TuningError.invalidCost(cost) }
    complete(arm, cost: cost)
    journal?.append(.completed(arm: arm, cost: cost))
  }

  /// Removes `arm` from the choice for good (it failed), discarding a pending decision for it.
  public mutating func drop(_ arm: Int, because reason: String) {
    guard arms.indices.contains(arm) else { return }
    dropReasons[arm] = reason
    if pendingArm == arm { pendingArm = nil }
    if leader == arm { leader = nil }
    journal?.append(.dropped(arm: arm, reason: reason))
  }

  /// Forgets the pending decision without learning from it.
  public mutating func discardPendingDecision() {
    pendingArm = nil
    journal?.append(.discarded)
  }

  /// Replays a change journaled by a copy of this learner (``journal``): applied in order to a
  /// learner in the state the copy started from, a journal leaves it in the copy's state.
  ///
  /// - Throws: what the replayed call throws (``TuningError/decisionPending``,
  ///   ``TuningError/noPendingDecision``, an invalid cost), and
  ///   ``TuningError/invalidStrategy(_:)`` for an event about an arm this learner lacks.
  public mutating func apply(_ event: Event) throws {
    switch event {
    case let .chose(arm, probabilities, generator):
      guard pendingArm == nil else { throw TuningError.decisionPending }
      guard arms.indices.contains(arm), probabilities.count == arms.count else {
        throw TuningError.invalidStrategy("a decision for arm \(arm) of \(probabilities.count) does not fit \(arms.count) arms")
      }
      self.probabilities = probabilities
      self.generator = generator
      choices[arm] += 1
      pendingArm = arm
      journal?.append(event)
    case let .observed(cost, censored): try observe(cost: cost, censored: censored)
    case let .completed(arm, cost): try recordCompletion(of: arm, cost: cost)
    case let .dropped(arm, reason): drop(arm, because: reason)
    case .discarded: discardPendingDecision()
    }
  }

  /// Makes `count` decisions and forgets them, as if the systems before this one in a batch
  /// (solved at the same time by other processes from the same learner) had been decided
  /// here: explore-then-commit then moves on to the next untried arm, Tsallis-INF to the next
  /// draw. Not journaled; the pooled learner learns the real decisions from their journals.
  public mutating func skipDecisions(_ count: Int) {
    let journaling = journal
    journal = nil
    defer { journal = journaling }
    for _ in 0..<max(count, 0) {
      guard (try? next()) != nil else { return }
      pendingArm = nil
    }
  }

  /// Tsallis-INF's distribution over the active arms (``TsallisINF/normalise``), zero elsewhere.
  mutating func updateProbabilities() {
    let active = activeArms
    let eta = 2 / Double(rounds + 1).squareRoot()
    let scale = rounds > 0 && lossSum > 0 ? lossSum / Double(rounds) : 1
    let k = active.map { cumulativeLosses[$0] }
    var p = [Double](repeating: 0, count: active.count)
    k.withUnsafeBufferPointer { k in
      p.withUnsafeMutableBufferPointer { p in _ = TsallisINF.normalise(cumulativeLosses: k, scale: scale, eta: eta, into: p) }
    }
    probabilities = [Double](repeating: 0, count: arms.count)
    for (j, i) in active.enumerated() { probabilities[i] = p[j] }
  }

  private enum CodingKeys: String, CodingKey {
    case arms, seed, rounds, cumulativeLosses, lossSum, completedSolves, completedCost, recentCosts, dropReasons, probabilities
    case pendingArm, generator, policy, explorationOrder, choices, censoredCosts, latestCosts, leader, firstSolveCarriesSetUp
  }

  /// Decodes a learner and checks that its arrays and counters agree with its arms.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    try self.init(
      arms: c.decode([String].self, forKey: .arms), seed: c.decode(UInt64.self, forKey: .seed),
      policy: c.decode(Policy.self, forKey: .policy), explorationOrder: c.decode([Int].self, forKey: .explorationOrder),
      firstSolveCarriesSetUp: c.decodeIfPresent([Bool].self, forKey: .firstSolveCarriesSetUp))
    choices = try c.decode([Int].self, forKey: .choices)
    censoredCosts = try c.decode([Double].self, forKey: .censoredCosts)
    rounds = try c.decode(Int.self, forKey: .rounds)
    cumulativeLosses = try c.decode([Double].self, forKey: .cumulativeLosses)
    lossSum = try c.decode(Double.self, forKey: .lossSum)
    completedSolves = try c.decode([Int].self, forKey: .completedSolves)
    completedCost = try c.decode([Double].self, forKey: .completedCost)
    recentCosts = try c.decode([Double].self, forKey: .recentCosts)
    // States saved before these two were kept: every arm's latest cost was its recent one.
    latestCosts = try c.decodeIfPresent([Double].self, forKey: .latestCosts) ?? recentCosts
    leader = try c.decodeIfPresent(Int.self, forKey: .leader)
    dropReasons = try c.decode([String?].self, forKey: .dropReasons)
    probabilities = try c.decode([Double].self, forKey: .probabilities)
    pendingArm = try c.decodeIfPresent(Int.self, forKey: .pendingArm)
    generator = try c.decode(SeededGenerator.self, forKey: .generator)
    let d = arms.count
    let consistent =
      TuningLimits.isValidRounds(rounds) && [cumulativeLosses.count, completedSolves.count, completedCost.count, recentCosts.count,
                                             dropReasons.count, probabilities.count, choices.count, censoredCosts.count,
                                             latestCosts.count].allSatisfy { $0 == d }
      && choices.allSatisfy { $0 >= 0 } && censoredCosts.allSatisfy { $0 >= 0 && $0.isFinite }
      && cumulativeLosses.allSatisfy { $0 >= 0 && $0.isFinite } && lossSum >= 0 && lossSum.isFinite
      && completedSolves.allSatisfy { $0 >= 0 } && completedCost.allSatisfy { $0 >= 0 && $0.isFinite }
      && recentCosts.allSatisfy { $0 >= 0 && $0.isFinite } && latestCosts.allSatisfy { $0 >= 0 && $0.isFinite }
      && (leader.map { (0..<d).contains($0) } ?? true)
      && probabilities.allSatisfy { $0 >= 0 && $0.isFinite } && (pendingArm.map { (0..<d).contains($0) } ?? true)
    guard consistent else {
      throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "inconsistent portfolio learner state"))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(arms, forKey: .arms)
    try c.encode(seed, forKey: .seed)
    try c.encode(rounds, forKey: .rounds)
    try c.encode(cumulativeLosses, forKey: .cumulativeLosses)
    try c.encode(lossSum, forKey: .lossSum)
    try c.encode(completedSolves, forKey: .completedSolves)
    try c.encode(completedCost, forKey: .completedCost)
    try c.encode(recentCosts, forKey: .recentCosts)
    try c.encode(dropReasons, forKey: .dropReasons)
    try c.encode(probabilities, forKey: .probabilities)
    try c.encodeIfPresent(pendingArm, forKey: .pendingArm)
    try c.encode(generator, forKey: .generator)
    try c.encode(policy, forKey: .policy)
    try c.encode(explorationOrder, forKey: .explorationOrder)
    try c.encode(choices, forKey: .choices)
    try c.encode(censoredCosts, forKey: .censoredCosts)
    try c.encode(latestCosts, forKey: .latestCosts)
    try c.encode(firstSolveCarriesSetUp, forKey: .firstSolveCarriesSetUp)
    try c.encodeIfPresent(leader, forKey: .leader)
  }
}
