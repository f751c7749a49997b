import LinSolveCore

/// The discretised-context baseline of *Learning to Relax* (Khodak et al., ICLR 2024;
/// "Tsallis-INF-CB", `learners/TsallisINFCB.m`): the context range is cut into `bins` equal
/// bins and each bin runs its own ``TsallisINF`` over the same arms.
///
/// The bin centres are `a + (b − a) · linspace(0.5/m, 1 − 0.5/m, m)` for the range `[a, b]`
/// and `m` bins; a context goes to the nearest centre (the lower one on a tie), so contexts
/// outside the range fall in the first or last bin. The paper's settings are 5 bins on
/// `[−0.15, 0.65]` for diagonal shifts and 6 bins on the observed range of a heat equation's
/// diffusion coefficient. It learns one ω per bin, where ``ChebCB`` learns a smooth curve.
public struct BinnedTsallisINF: Sendable, Equatable {
  /// The context range `[a, b]`.
  public let range: ClosedRange<Double>
  /// The bin centres.
  public let centres: [Double]
  /// One learner per bin.
  public private(set) var bins: [TsallisINF]
  /// The bin of the decision awaiting its cost.
  public private(set) var pendingBin: Int?
  /// The bin of the last decision.
  public private(set) var lastBin: Int?

  /// `bins` independent learners over `arms` arms.
  ///
  /// - Throws: ``TuningError/invalidStrategy(_:)`` unless `bins ≥ 1`, `arms ≥ 1` and the
  ///   range has finite ends with `a < b`.
  public init(arms: Int, bins: Int, range: ClosedRange<Double>, baseline: Double = 1) throws {
    guard bins >= 1 else { throw TuningError.invalidStrategy("the number of bins \(bins) is not at least 1") }
    guard bins <= TuningLimits.maximumBins else {
      throw TuningError.invalidStrategy("\(bins) bins are more than the limit of \(TuningLimits.maximumBins)")
    }
    try TuningLimits.checkArms(arms, what: "Tsallis-INF-CB")
    guard arms * bins <= TuningLimits.maximumBinnedArms else {
      throw TuningError.invalidStrategy("\(bins) bins × \(arms) arms are more than the limit of \(TuningLimits.maximumBinnedArms)")
    }
    try TuningError.checkContextRange(range)
    let m = Double(bins)
    let width = range.upperBound - range.lowerBound
    // linspace(0.5/m, 1 − 0.5/m, m) = (j + 0.5)/m.
    centres = (0..<bins).map { range.lowerBound + width * (Double($0) + 0.5) / m }
    self.range = range
    self.bins = try [TsallisINF](repeating: TsallisINF(arms: arms, baseline: baseline), count: bins)
  }

  /// The number of arms.
  public var arms: Int { bins[0].arms }

  /// The bin whose centre is nearest to `context` (the first one on a tie).
  public func bin(for context: Double) -> Int {
    var best = 0
    for j in centres.indices where abs(centres[j] - context) < abs(centres[best] - context) { best = j }
    return best
  }

  /// The distribution of the last decision (of its bin).
  public var probabilities: [Double] { bins[lastBin ?? 0].probabilities }

  /// Chooses an arm for a system with the given context.
  ///
  /// - Throws: ``TuningError/decisionPending``; ``TuningError/invalidContext(_:)`` for NaN or ±Inf.
  public mutating func next(context: Double, using generator: inout SeededGenerator) throws -> Int {
    guard pendingBin == nil else { throw TuningError.decisionPending }
    guard context.isFinite else { throw TuningError.invalidContext(context) }
    let j = bin(for: context)
    let arm = try bins[j].next(using: &generator)
    pendingBin = j
    lastBin = j
    return arm
  }

  /// Passes the cost of the pending decision to its bin's learner.
  ///
  /// - Throws: ``TuningError/noPendingDecision``, ``TuningError/invalidCost(_:)``.
  public mutating func observe(cost: Double) throws {
    guard let j = pendingBin else { throw TuningError.noPendingDecision }
    try bins[j].observe(cost: cost)
    pendingBin = nil
  }

  /// Learns from the cost of an earlier decision no longer pending (bin `bin`, `arm` played
  /// with `probability`): ``TsallisINF/observe(arm:probability:cost:)`` of that bin.
  package mutating func observe(bin: Int, arm: Int, probability: Double, cost: Double) throws {
    try bins[bin].observe(arm: arm, probability: probability, cost: cost)
  }

  /// Forgets the pending decision without learning from it.
  public mutating func discardPendingDecision() {
    if let j = pendingBin { bins[j].discardPendingDecision() }
    pendingBin = nil
  }
}

extension BinnedTsallisINF: Codable {
  private enum CodingKeys: String, CodingKey {
    case range, centres, bins, pendingBin, lastBin
  }

  /// Decodes a learner and checks that its bins are consistent with each other.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let range = try c.decode(ClosedRange<Double>.self, forKey: .range)
    let bins = try c.decode([TsallisINF].self, forKey: .bins)
    guard let first = bins.first, bins.allSatisfy({ $0.arms == first.arms && $0.baseline == first.baseline }) else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: "inconsistent Tsallis-INF-CB bins"))
    }
    try self.init(arms: first.arms, bins: bins.count, range: range, baseline: first.baseline)
    self.bins = bins
    pendingBin = try c.decodeIfPresent(Int.self, forKey: .pendingBin)
    lastBin = try c.decodeIfPresent(Int.self, forKey: .lastBin)
    let pendingOK = pendingBin.map { bins.indices.contains($0) && bins[$0].pendingArm != nil } ?? true
    let othersIdle = bins.indices.allSatisfy { $0 == pendingBin || bins[$0].pendingArm == nil }
    guard pendingOK, othersIdle, lastBin.map(bins.indices.contains) ?? true else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: "inconsistent Tsallis-INF-CB pending state"))
    }
  }
}
