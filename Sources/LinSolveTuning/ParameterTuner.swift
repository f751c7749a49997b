import LinSolveCore

/// Misuse of a tuner or a learner, and settings it cannot work with.
public enum TuningError: Error, Equatable, Sendable, CustomStringConvertible {
  /// `observe(cost:)` was called with no decision awaiting its cost.
  case noPendingDecision
  /// `next` was called again before the previous decision's cost was observed
  /// (call `discardPendingDecision()` to drop a decision whose solve failed).
  case decisionPending
  /// A contextual strategy was asked for a value without a context.
  case missingContext(strategy: String)
  /// The context is NaN or ±Inf.
  case invalidContext(Double)
  /// The cost is negative, NaN or ±Inf.
  case invalidCost(Double)
  /// The candidate values cannot form a grid (empty, not finite, unparsable text).
  case invalidGrid(String)
  /// A strategy setting is out of range (no bins, an empty context range, …).
  case invalidStrategy(String)

  public var description: String {
    switch self {
    case .noPendingDecision:
      return "observe(cost:) was called without a decision awaiting its cost (call next first)"
    case .decisionPending:
      return "next was called again before the previous decision's cost was observed"
    case let .missingContext(strategy):
      return "the \(strategy) strategy needs a context for every decision"
    case let .invalidContext(value):
      return "invalid context \(value): it must be finite"
    case let .invalidCost(value):
      return "invalid cost \(value): it must be finite and non-negative"
    case let .invalidGrid(reason):
      return "invalid parameter grid: \(reason)"
    case let .invalidStrategy(reason):
      return "invalid tuning strategy: \(reason)"
    }
  }

  /// The loss of a cost, `max(cost − baseline, 0)`, after checking the cost.
  static func loss(cost: Double, baseline: Double) throws -> Double {
    guard cost.isFinite, cost >= 0 else { throw TuningError.invalidCost(cost) }
    return max(cost - baseline, 0)
  }

  /// Checks a context range: finite ends, lower < upper.
  static func checkContextRange(_ range: ClosedRange<Double>) throws {
    guard range.lowerBound.isFinite, range.upperBound.isFinite, range.lowerBound < range.upperBound else {
      throw TuningError.invalidStrategy("the context range \(range) needs finite ends with lower < upper")
    }
  }
}

/// Chooses a solver parameter (SOR's ω, SSOR-PCG's ω, a restart length, …) for each system
/// of a sequence, learning from nothing but the cost of each solve: the "learning to relax"
/// loop of Khodak, Chow, Balcan and Talwalkar (*Learning to Relax: Setting Solver Parameters
/// Across a Sequence of Linear System Instances*, ICLR 2024).
///
/// A tuner knows nothing about matrices: it maps an optional scalar context to one of the
/// values of its ``grid`` (``next(context:)``), then learns from the cost of the solve that
/// used it (``observe(cost:)``). The strategies are
///
/// - ``Strategy/tsallisINF``: a multi-armed bandit (``TsallisINF``, Zimmert & Seldin 2021)
///   whose cumulative cost approaches that of the best fixed value in hindsight;
/// - ``Strategy/chebCB(features:range:)``: a contextual bandit (``ChebCB``) that learns each
///   value's cost as a smooth function of the context (a diagonal shift `c` of `A + cI`, a
///   time-step coefficient) and approaches the best value *per system*;
/// - ``Strategy/binnedTsallisINF(bins:range:)``: one Tsallis-INF per context bin
///   (``BinnedTsallisINF``), the paper's simpler contextual baseline;
/// - ``Strategy/fixed(_:)``: always the same value, for comparisons through the same code path.
///
/// ```swift
/// var tuner = try ParameterTuner(grid: .defaultOmega, strategy: .chebCB(range: -0.15...0.65), seed: 1)
/// for system in sequence {
///   let omega = try tuner.next(context: system.context)
///   let result = try SOR(omega: omega).solve(system.matrix, system.rhs)
///   try tuner.observe(cost: Double(result.iterations))
/// }
/// ```
///
/// **Costs.** With ``CostKind/iterations`` the loss of a solve is `cost − 1` (every solve
/// takes at least one iteration, so only the rest depends on the parameter), clamped at 0:
/// a solve that needs 0 iterations (a warm start that had already converged) has loss 0,
/// never a negative one. With ``CostKind/seconds`` the loss is the cost itself. Losses are
/// normalised by the learners (Tsallis-INF by the running mean loss, ChebCB by the largest
/// cost), so any positive unit works and no cap on the cost is needed.
///
/// **Saving and resuming.** A tuner is a value whose whole state (the learner's statistics,
/// the pending decision and the random generator's position) is `Codable`; a decoded tuner
/// makes exactly the choices the original would have made:
///
/// ```swift
/// let saved = try JSONEncoder().encode(tuner)
/// var resumed = try JSONDecoder().decode(ParameterTuner.self, from: saved)
/// ```
///
/// Decoding checks that the state is consistent with the grid and the strategy and throws
/// `DecodingError.dataCorrupted` otherwise.
///
/// **Cost of a decision.** O(d) for Tsallis-INF and O(d·m) + O(m³) for ChebCB (d arms,
/// m features): around a microsecond, negligible next to any solve; no allocation per
/// decision once the learner has made its first one.
public struct ParameterTuner: Sendable {
  /// How a learner is told to choose.
  public enum Strategy: Codable, Sendable, Equatable, CustomStringConvertible {
    /// ½-Tsallis-INF over the grid, no context (``TsallisINF``).
    case tsallisINF
    /// One Tsallis-INF per context bin; `bins` equal bins over `range` (``BinnedTsallisINF``).
    case binnedTsallisINF(bins: Int, range: ClosedRange<Double>)
    /// ChebCB with `features` Chebyshev polynomials of the context rescaled from `range` to
    /// [−1, 1] (``ChebCB``); the paper uses 6 features on `−0.15...0.65` for diagonal shifts.
    case chebCB(features: Int = 6, range: ClosedRange<Double>)
    /// Always `value` (which need not be in the grid).
    case fixed(Double)

    /// Whether ``ParameterTuner/next(context:)`` needs a context.
    public var isContextual: Bool {
      switch self {
      case .binnedTsallisINF, .chebCB: return true
      case .tsallisINF, .fixed: return false
      }
    }

    public var description: String {
      switch self {
      case .tsallisINF: return "tsallis-inf"
      case let .binnedTsallisINF(bins, range): return "binned-tsallis-inf(bins: \(bins), range: \(range))"
      case let .chebCB(features, range): return "chebcb(features: \(features), range: \(range))"
      case let .fixed(value): return "fixed(\(value))"
      }
    }
  }

  /// What a cost measures, which fixes the offset subtracted before learning.
  public enum CostKind: String, Codable, Sendable, CaseIterable {
    /// Iteration counts: loss = max(cost − 1, 0).
    case iterations
    /// Wall-clock seconds (or any cost with no floor): loss = cost.
    case seconds

    /// The offset subtracted from a cost: 1 for iterations, 0 for seconds.
    public var baseline: Double { self == .iterations ? 1 : 0 }
  }

  /// The version of the encoded format.
  public let formatVersion = 1
  /// The candidate values.
  public let grid: ParameterGrid
  /// The learner.
  public let strategy: Strategy
  /// What the observed costs measure.
  public let costKind: CostKind
  /// The seed the random generator started from.
  public let seed: UInt64
  /// The random generator, at its current position.
  public private(set) var generator: SeededGenerator
  /// The Tsallis-INF learner, for ``Strategy/tsallisINF``.
  public private(set) var tsallisINF: TsallisINF?
  /// The binned learner, for ``Strategy/binnedTsallisINF(bins:range:)``.
  public private(set) var binnedTsallisINF: BinnedTsallisINF?
  /// The ChebCB learner, for ``Strategy/chebCB(features:range:)``.
  public private(set) var chebCB: ChebCB?
  /// Rounds completed (costs observed).
  public private(set) var rounds: Int
  /// The grid index of the last value chosen (`nil` before the first decision, or for a
  /// fixed value that is not a grid point).
  public private(set) var lastArm: Int?
  /// The last value chosen.
  public private(set) var lastValue: Double?
  /// The context of the last decision, as given.
  public private(set) var lastContext: Double?
  /// Whether a decision awaits its cost.
  public private(set) var isAwaitingCost: Bool

  /// A tuner with no history.
  ///
  /// - Parameters:
  ///   - grid: the candidate values (default: ω ∈ linspace(1.0, 1.95, 20)).
  ///   - strategy: the learner (default Tsallis-INF).
  ///   - cost: what the costs passed to ``observe(cost:)`` measure.
  ///   - seed: the random generator's seed; equal seeds give equal choices for equal costs.
  /// - Throws: ``TuningError/invalidStrategy(_:)`` for strategy settings out of range
  ///   (bins < 1, features ∉ 1…12, an empty or infinite range, a non-finite fixed value).
  public init(
    grid: ParameterGrid = .defaultOmega, strategy: Strategy = .tsallisINF, cost: CostKind = .iterations,
    seed: UInt64 = 0
  ) throws {
    self.grid = grid
    self.strategy = strategy
    self.costKind = cost
    self.seed = seed
    generator = SeededGenerator(seed: seed)
    rounds = 0
    isAwaitingCost = false
    switch strategy {
    case .tsallisINF:
      tsallisINF = try TsallisINF(arms: grid.count, baseline: cost.baseline)
    case let .binnedTsallisINF(bins, range):
      binnedTsallisINF = try BinnedTsallisINF(arms: grid.count, bins: bins, range: range, baseline: cost.baseline)
    case let .chebCB(features, range):
      chebCB = try ChebCB(arms: grid.count, features: features, range: range, baseline: cost.baseline)
    case let .fixed(value):
      guard value.isFinite else { throw TuningError.invalidStrategy("the fixed value \(value) is not finite") }
    }
  }

  /// The distribution over the grid of the last decision (before the first decision, the
  /// uniform one). For ``Strategy/fixed(_:)``: one-hot on the value's grid point, or empty if
  /// the value is not a grid point.
  public var probabilities: [Double] {
    switch strategy {
    case .tsallisINF: return tsallisINF!.probabilities
    case .binnedTsallisINF: return binnedTsallisINF!.probabilities
    case .chebCB: return chebCB!.probabilities
    case let .fixed(value):
      guard let arm = grid.index(of: value) else { return [] }
      var p = [Double](repeating: 0, count: grid.count)
      p[arm] = 1
      return p
    }
  }

  /// Chooses the value for the next solve.
  ///
  /// - Parameter context: the system's scalar feature, required by the contextual strategies
  ///   and ignored by the others. ChebCB clamps it into its range; the binned learner puts it
  ///   in the nearest bin.
  /// - Returns: a value of the grid (or the fixed value).
  /// - Throws: ``TuningError/decisionPending`` if the previous value's cost was not observed;
  ///   ``TuningError/missingContext(strategy:)``; ``TuningError/invalidContext(_:)`` for a
  ///   NaN or infinite context.
  public mutating func next(context: Double? = nil) throws -> Double {
    guard !isAwaitingCost else { throw TuningError.decisionPending }
    if let c = context, !c.isFinite { throw TuningError.invalidContext(c) }
    let arm: Int?
    switch strategy {
    case .tsallisINF:
      arm = try tsallisINF!.next(using: &generator)
    case .binnedTsallisINF:
      guard let c = context else { throw TuningError.missingContext(strategy: strategy.description) }
      arm = try binnedTsallisINF!.next(context: c, using: &generator)
    case .chebCB:
      guard let c = context else { throw TuningError.missingContext(strategy: strategy.description) }
      arm = try chebCB!.next(context: c, using: &generator)
    case let .fixed(value):
      arm = grid.index(of: value)
      lastValue = value
    }
    if let arm { lastValue = grid[arm] }
    lastArm = arm
    lastContext = context
    isAwaitingCost = true
    return lastValue!
  }

  /// Learns from the cost of the solve that used the last value.
  ///
  /// - Parameter cost: iterations or seconds (see ``CostKind``), finite and ≥ 0. Costs below
  ///   the baseline (0 iterations) count as loss 0.
  /// - Throws: ``TuningError/noPendingDecision`` without a preceding ``next(context:)``;
  ///   ``TuningError/invalidCost(_:)`` (the decision then stays pending).
  public mutating func observe(cost: Double) throws {
    guard isAwaitingCost else { throw TuningError.noPendingDecision }
    try TuningLimits.checkRoundAvailable(rounds)
    switch strategy {
    case .tsallisINF: try tsallisINF!.observe(cost: cost)
    case .binnedTsallisINF: try binnedTsallisINF!.observe(cost: cost)
    case .chebCB: try chebCB!.observe(cost: cost)
    case .fixed: _ = try TuningError.loss(cost: cost, baseline: costKind.baseline)
    }
    rounds += 1
    isAwaitingCost = false
  }

  /// Drops the decision awaiting its cost without learning from it (for a solve that failed
  /// or was cancelled), so ``next(context:)`` can be called again.
  public mutating func discardPendingDecision() {
    tsallisINF?.discardPendingDecision()
    binnedTsallisINF?.discardPendingDecision()
    chebCB?.discardPendingDecision()
    isAwaitingCost = false
  }

  // MARK: - Batched feedback

  /// A choice whose cost is observed later, after other choices: what a tuner hands out when
  /// several systems are solved at once (one per MPI rank) before any of their costs is known.
  /// It carries what the learner needs to learn from it later — the arm, and the arm's
  /// probability (Tsallis-INF) or prediction (ChebCB) when it was chosen.
  public struct Decision: Sendable, Equatable, Codable {
    /// The value chosen (a grid point, or the fixed value).
    public let value: Double
    /// Its grid index (`nil` for a fixed value off the grid).
    public let arm: Int?
    /// The context given (for ChebCB: clamped into its range).
    public let context: Double?
    /// The arm's probability when chosen (Tsallis-INF and binned).
    let probability: Double?
    /// The bin of a binned decision.
    let bin: Int?
    /// ChebCB's predicted loss of the arm when chosen.
    let prediction: Double?
  }

  /// Chooses a value as ``next(context:)`` does, but leaves no decision pending: the cost of
  /// the returned decision is given later to ``observe(_:cost:)``, and more decisions can be
  /// made first. A round of batched feedback is `decide` for each of its systems in order,
  /// then `observe` of each decision in the same order.
  ///
  /// Decisions made between two observations come from the same learner state (only the
  /// random generator moves on), so with a batch of R systems the choices are those of a
  /// learner told the costs R systems late. With batches of one, `decide` then `observe` is
  /// exactly ``next(context:)`` then ``observe(cost:)``: the same choices, the same state.
  ///
  /// - Throws: what ``next(context:)`` throws (``TuningError/decisionPending`` if a
  ///   ``next(context:)`` still awaits its cost).
  public mutating func decide(context: Double? = nil) throws -> Decision {
    let value = try next(context: context)
    let decision: Decision
    switch strategy {
    case .tsallisINF:
      let arm = tsallisINF!.pendingArm!
      decision = Decision(
        value: value, arm: arm, context: context, probability: tsallisINF!.probabilities[arm], bin: nil, prediction: nil)
    case .binnedTsallisINF:
      let bin = binnedTsallisINF!.pendingBin!
      let arm = binnedTsallisINF!.bins[bin].pendingArm!
      decision = Decision(
        value: value, arm: arm, context: context, probability: binnedTsallisINF!.bins[bin].probabilities[arm], bin: bin,
        prediction: nil)
    case .chebCB:
      decision = Decision(
        value: value, arm: chebCB!.pendingArm!, context: chebCB!.lastContext, probability: nil, bin: nil,
        prediction: chebCB!.pendingArmPrediction)
    case .fixed:
      decision = Decision(value: value, arm: lastArm, context: context, probability: nil, bin: nil, prediction: nil)
    }
    discardPendingDecision()
    return decision
  }

  /// Learns from the cost of a decision made by ``decide(context:)`` of this tuner (or of
  /// an identical copy: every MPI rank keeps one and feeds it every rank's decision in
  /// system order, so all stay equal).
  ///
  /// - Throws: ``TuningError/decisionPending`` while a ``next(context:)`` awaits its cost;
  ///   ``TuningError/invalidCost(_:)``; ``TuningError/noPendingDecision`` for a decision
  ///   this learner cannot have made (another strategy's, an arm off the grid).
  public mutating func observe(_ decision: Decision, cost: Double) throws {
    guard !isAwaitingCost else { throw TuningError.decisionPending }
    try TuningLimits.checkRoundAvailable(rounds)
    let onGrid = decision.arm.map { (0..<grid.count).contains($0) } ?? false
    switch strategy {
    case .tsallisINF:
      guard onGrid, let p = decision.probability, p > 0, decision.bin == nil else { throw TuningError.noPendingDecision }
      try tsallisINF!.observe(arm: decision.arm!, probability: p, cost: cost)
    case .binnedTsallisINF:
      guard onGrid, let p = decision.probability, p > 0, let bin = decision.bin,
        binnedTsallisINF!.bins.indices.contains(bin)
      else { throw TuningError.noPendingDecision }
      try binnedTsallisINF!.observe(bin: bin, arm: decision.arm!, probability: p, cost: cost)
    case .chebCB:
      guard onGrid, let c = decision.context, let y = decision.prediction else { throw TuningError.noPendingDecision }
      try chebCB!.observe(arm: decision.arm!, context: c, prediction: y, cost: cost)
    case .fixed:
      _ = try TuningError.loss(cost: cost, baseline: costKind.baseline)
    }
    rounds += 1
  }
}

extension ParameterTuner: Codable {
  private enum CodingKeys: String, CodingKey {
    case formatVersion, grid, strategy, costKind, seed, generator, tsallisINF, binnedTsallisINF, chebCB
    case rounds, lastArm, lastValue, lastContext, isAwaitingCost
  }

  /// Decodes a tuner and checks that its learner matches its grid, strategy and cost kind.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let version = try c.decode(Int.self, forKey: .formatVersion)
    guard version == 1 else {
      throw DecodingError.dataCorruptedError(
        forKey: .formatVersion, in: c, debugDescription: "unsupported ParameterTuner format version \(version)")
    }
    let grid = try c.decode(ParameterGrid.self, forKey: .grid)
    let strategy = try c.decode(Strategy.self, forKey: .strategy)
    let costKind = try c.decode(CostKind.self, forKey: .costKind)
    try self.init(grid: grid, strategy: strategy, cost: costKind, seed: c.decode(UInt64.self, forKey: .seed))
    generator = try c.decode(SeededGenerator.self, forKey: .generator)
    tsallisINF = try c.decodeIfPresent(TsallisINF.self, forKey: .tsallisINF)
    binnedTsallisINF = try c.decodeIfPresent(BinnedTsallisINF.self, forKey: .binnedTsallisINF)
    chebCB = try c.decodeIfPresent(ChebCB.self, forKey: .chebCB)
    rounds = try c.decode(Int.self, forKey: .rounds)
    lastArm = try c.decodeIfPresent(Int.self, forKey: .lastArm)
    lastValue = try c.decodeIfPresent(Double.self, forKey: .lastValue)
    lastContext = try c.decodeIfPresent(Double.self, forKey: .lastContext)
    isAwaitingCost = try c.decode(Bool.self, forKey: .isAwaitingCost)

    guard isConsistent else {
      throw DecodingError.dataCorrupted(
        .init(
          codingPath: decoder.codingPath,
          debugDescription: "the learner state does not match the tuner's grid, strategy or cost kind"))
    }
  }

  /// Whether exactly the strategy's learner is present, built for this grid and cost kind, and
  /// pending exactly when the tuner is.
  private var isConsistent: Bool {
    let d = grid.count, baseline = costKind.baseline
    let learners = [tsallisINF != nil, binnedTsallisINF != nil, chebCB != nil].filter { $0 }.count
    let matches: Bool
    let pending: Bool
    switch strategy {
    case .tsallisINF:
      guard let l = tsallisINF else { return false }
      matches = l.arms == d && l.baseline == baseline
      pending = l.pendingArm != nil
    case let .binnedTsallisINF(bins, range):
      guard let l = binnedTsallisINF else { return false }
      matches = l.arms == d && l.bins.count == bins && l.range == range && l.bins[0].baseline == baseline
      pending = l.pendingBin != nil
    case let .chebCB(features, range):
      guard let l = chebCB else { return false }
      matches = l.arms == d && l.features == features && l.range == range && l.baseline == baseline
      pending = l.pendingArm != nil
    case .fixed:
      matches = learners == 0
      pending = isAwaitingCost
    }
    return matches && learners <= 1 && pending == isAwaitingCost && TuningLimits.isValidRounds(rounds)
      && (lastArm.map { (0..<d).contains($0) } ?? true)
  }
}
