// ChebCB's saved state (the CLI's `--state`): every field but the scratch vectors, checked
// for consistency when decoded.

extension ChebCB: Codable {
  private enum CodingKeys: String, CodingKey {
    case arms, features, range, baseline, lipschitzFromObservedRange
    case rounds, learningRate, scale, coefficients, probabilities, pendingArm, lastArm, lastContext, counts
    case gram, moments, lossSquares, maxCost, minCost
    case sumPredictionSquares, sumPredictionCosts, sumCostSquares, boundedResidual
    case pendingFeatures, pendingPrediction
  }

  /// Decodes a learner and checks that its arrays have the sizes its settings imply.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    try self.init(
      arms: c.decode(Int.self, forKey: .arms), features: c.decode(Int.self, forKey: .features),
      range: c.decode(ClosedRange<Double>.self, forKey: .range), baseline: c.decode(Double.self, forKey: .baseline),
      lipschitzFromObservedRange: c.decode(Bool.self, forKey: .lipschitzFromObservedRange))
    let d = arms, m = features
    func array<T: Decodable>(_ key: CodingKeys, _ type: [T].Type, count: Int) throws -> [T] {
      let value = try c.decode(type, forKey: key)
      guard value.count == count else {
        throw DecodingError.dataCorruptedError(
          forKey: key, in: c, debugDescription: "expected \(count) entries, found \(value.count)")
      }
      return value
    }
    rounds = try c.decode(Int.self, forKey: .rounds)
    learningRate = try c.decode(Double.self, forKey: .learningRate)
    scale = try c.decode(Double.self, forKey: .scale)
    coefficients = try array(.coefficients, [Double].self, count: d * m)
    probabilities = try array(.probabilities, [Double].self, count: d)
    pendingArm = try c.decodeIfPresent(Int.self, forKey: .pendingArm)
    lastArm = try c.decodeIfPresent(Int.self, forKey: .lastArm)
    lastContext = try c.decodeIfPresent(Double.self, forKey: .lastContext)
    counts = try array(.counts, [Int].self, count: d)
    gram = try array(.gram, [Double].self, count: d * m * m)
    moments = try array(.moments, [Double].self, count: d * m)
    lossSquares = try array(.lossSquares, [Double].self, count: d)
    maxCost = try c.decode(Double.self, forKey: .maxCost)
    minCost = try c.decode(Double.self, forKey: .minCost)
    sumPredictionSquares = try c.decode(Double.self, forKey: .sumPredictionSquares)
    sumPredictionCosts = try c.decode(Double.self, forKey: .sumPredictionCosts)
    sumCostSquares = try c.decode(Double.self, forKey: .sumCostSquares)
    boundedResidual = try c.decode(Double.self, forKey: .boundedResidual)
    pendingFeatures = try array(.pendingFeatures, [Double].self, count: m)
    pendingPrediction = try c.decode(Double.self, forKey: .pendingPrediction)
    let consistent =
      TuningLimits.isValidRounds(rounds) && counts.allSatisfy { (0...rounds).contains($0) }
      && counts.reduce(0, { $0 + $1 }) == rounds  // no overflow: d ≤ maximumArms counts ≤ 2⁴⁸
      && learningRate >= 0 && scale >= 0 && (pendingArm.map { (0..<d).contains($0) } ?? true)
      && (lastArm.map { (0..<d).contains($0) } ?? true)
    guard consistent else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: "inconsistent ChebCB state"))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(arms, forKey: .arms)
    try c.encode(features, forKey: .features)
    try c.encode(range, forKey: .range)
    try c.encode(baseline, forKey: .baseline)
    try c.encode(lipschitzFromObservedRange, forKey: .lipschitzFromObservedRange)
    try c.encode(rounds, forKey: .rounds)
    try c.encode(learningRate, forKey: .learningRate)
    try c.encode(scale, forKey: .scale)
    try c.encode(coefficients, forKey: .coefficients)
    try c.encode(probabilities, forKey: .probabilities)
    try c.encodeIfPresent(pendingArm, forKey: .pendingArm)
    try c.encodeIfPresent(lastArm, forKey: .lastArm)
    try c.encodeIfPresent(lastContext, forKey: .lastContext)
    try c.encode(counts, forKey: .counts)
    try c.encode(gram, forKey: .gram)
    try c.encode(moments, forKey: .moments)
    try c.encode(lossSquares, forKey: .lossSquares)
    try c.encode(maxCost, forKey: .maxCost)
    try c.encode(minCost, forKey: .minCost)
    try c.encode(sumPredictionSquares, forKey: .sumPredictionSquares)
    try c.encode(sumPredictionCosts, forKey: .sumPredictionCosts)
    try c.encode(sumCostSquares, forKey: .sumCostSquares)
    try c.encode(boundedResidual, forKey: .boundedResidual)
    try c.encode(pendingFeatures, forKey: .pendingFeatures)
    try c.encode(pendingPrediction, forKey: .pendingPrediction)
  }
}
