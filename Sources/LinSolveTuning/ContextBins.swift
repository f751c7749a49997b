/// A context range cut into equal bins, for learners that keep one state per bin (a sequence
/// portfolio's per-context learners; ``BinnedTsallisINF`` bins its ω learners the same way).
///
/// The bin centres are `a + (b − a)(j + ½)/m` for the range `[a, b]` and `m` bins; a context goes
/// to the nearest centre (the lower one on a tie), so contexts outside the range fall in the first
/// or last bin (*Learning to Relax*, Khodak et al., ICLR 2024, "Tsallis-INF-CB").
public struct ContextBins: Sendable, Equatable, Codable {
  /// The context range `[a, b]`.
  public let range: ClosedRange<Double>
  /// The number of bins.
  public let count: Int

  /// - Throws: ``TuningError/invalidStrategy(_:)`` unless `1 ≤ count ≤` ``TuningLimits/maximumBins``
  ///   and the range has finite ends with `a < b`.
  public init(range: ClosedRange<Double>, count: Int) throws {
    guard count >= 1 else { throw TuningError.invalidStrategy("the number of bins \(count) is not at least 1") }
    guard count <= TuningLimits.maximumBins else {
      throw TuningError.invalidStrategy("\(count) bins are more than the limit of \(TuningLimits.maximumBins)")
    }
    try TuningError.checkContextRange(range)
    self.range = range
    self.count = count
  }

  /// The bin centres.
  public var centres: [Double] {
    let width = range.upperBound - range.lowerBound
    return (0..<count).map { range.lowerBound + width * (Double($0) + 0.5) / Double(count) }
  }

  /// The bin whose centre is nearest to `context` (the first on a tie; NaN: the first bin).
  public func bin(for context: Double) -> Int {
    guard !context.isNaN else { return 0 }
    let width = range.upperBound - range.lowerBound
    let position = (context - range.lowerBound) / width * Double(count) - 0.5
    // Nearest centre, ties to the lower one: ⌈position − ½⌉ clamped to the bins.
    let nearest = (position - 0.5).rounded(.up)
    return Int(min(max(nearest, 0), Double(count - 1)))
  }

  private enum CodingKeys: String, CodingKey { case lower, upper, count }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let lower = try c.decode(Double.self, forKey: .lower), upper = try c.decode(Double.self, forKey: .upper)
    guard lower < upper else {
      throw DecodingError.dataCorruptedError(forKey: .upper, in: c, debugDescription: "the context range \(lower):\(upper) is empty")
    }
    try self.init(range: lower...upper, count: c.decode(Int.self, forKey: .count))
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(range.lowerBound, forKey: .lower)
    try c.encode(range.upperBound, forKey: .upper)
    try c.encode(count, forKey: .count)
  }
}
