#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A small, fast, seedable random number generator whose whole state is `Codable`:
/// xoshiro256** (Blackman & Vigna, *Scrambled linear pseudorandom number generators*,
/// ACM TOMS 2021), seeded by expanding a 64-bit seed with SplitMix64.
///
/// The same seed gives the same stream on every platform, and an encoded generator resumes
/// exactly where it stopped, which is what makes a saved ``ParameterTuner`` continue with
/// the same choices as one that never stopped. Not for cryptography.
///
/// Besides `next()` (the `RandomNumberGenerator` requirement, so `Int.random(in:using:)`
/// and `shuffled(using:)` work), it draws the distributions the tuners and the
/// *Learning to Relax* experiments need: uniform on [0, 1), an index from a weight vector,
/// standard normal, Gamma, Beta and radially truncated normal vectors. Every sampler is a
/// deterministic function of the generator's state.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Hashable {
  private var s0: UInt64
  private var s1: UInt64
  private var s2: UInt64
  private var s3: UInt64

  /// A generator whose state is the SplitMix64 expansion of `seed` (any value, 0 included).
  public init(seed: UInt64) {
    var x = seed
    func splitMix() -> UInt64 {
      x &+= 0x9E37_79B9_7F4A_7C15
      var z = x
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    s0 = splitMix()
    s1 = splitMix()
    s2 = splitMix()
    s3 = splitMix()
    // SplitMix64 outputs are a bijection of distinct inputs, so the four words cannot all be
    // zero (the one state xoshiro must avoid); keep the guard for decoded states anyway.
    if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
  }

  /// The next 64 random bits (xoshiro256**).
  public mutating func next() -> UInt64 {
    let result = rotate(s1 &* 5, 7) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = rotate(s3, 45)
    return result
  }

  @inline(__always)
  private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

  /// A uniform value in [0, 1) with 53 random bits.
  public mutating func uniform() -> Double {
    Double(next() >> 11) * 0x1.0p-53
  }

  /// A uniform value in the open interval (0, 1): safe for `log` and reciprocal powers.
  public mutating func uniformOpen() -> Double {
    (Double(next() >> 11) + 0.5) * 0x1.0p-53
  }

  /// An index `i` drawn with probability `weights[i] / Σ weights`.
  ///
  /// The weights are normalised first, as MATLAB's `randsample(…, true, w)` does, so they need
  /// not sum to 1. Negative or NaN weights count as 0. If no weight is positive (or the sum is
  /// not finite) the index is drawn uniformly, the fallback of the *Learning to Relax* code.
  ///
  /// - Precondition: `weights` is not empty.
  /// - Complexity: O(count); no allocation.
  public mutating func index(weights: [Double]) -> Int {
    precondition(!weights.isEmpty, "index(weights:) needs at least one weight")
    var total = 0.0
    for w in weights where w > 0 { total += w }
    guard total > 0, total.isFinite else { return Int(next() % UInt64(weights.count)) }
    let target = uniform() * total
    var cumulative = 0.0
    var lastPositive = 0
    for (i, w) in weights.enumerated() where w > 0 {
      cumulative += w
      lastPositive = i
      if target < cumulative { return i }
    }
    // Rounding left the target at or above the computed total.
    return lastPositive
  }

  /// A standard normal value (Marsaglia's polar method; the second value of each pair is
  /// discarded so the state stays four words).
  public mutating func normal() -> Double {
    while true {
      let u = 2 * uniform() - 1
      let v = 2 * uniform() - 1
      let s = u * u + v * v
      if s > 0, s < 1 { return u * (-2 * log(s) / s).squareRoot() }
    }
  }

  /// A normal value with the given mean and standard deviation.
  public mutating func normal(mean: Double, standardDeviation: Double) -> Double {
    mean + standardDeviation * normal()
  }

  /// A Gamma(`shape`, 1) value (Marsaglia & Tsang, ACM TOMS 2000); for `shape < 1`, the boost
  /// `Gamma(shape + 1) · U^(1/shape)`.
  ///
  /// - Precondition: `shape > 0` and finite.
  public mutating func gamma(shape: Double) -> Double {
    precondition(shape > 0 && shape.isFinite, "gamma(shape:) needs a positive finite shape, not \(shape)")
    if shape < 1 {
      return gamma(shape: shape + 1) * pow(uniformOpen(), 1 / shape)
    }
    let d = shape - 1.0 / 3.0
    let c = 1 / (9 * d).squareRoot()
    while true {
      let x = normal()
      var v = 1 + c * x
      if v <= 0 { continue }
      v = v * v * v
      let u = uniformOpen()
      let x2 = x * x
      if u < 1 - 0.0331 * x2 * x2 { return d * v }
      if log(u) < 0.5 * x2 + d * (1 - v + log(v)) { return d * v }
    }
  }

  /// A Beta(`alpha`, `beta`) value, `X / (X + Y)` with `X ~ Gamma(alpha)`, `Y ~ Gamma(beta)`.
  /// *Learning to Relax* draws its diagonal shifts as `−0.15 + 0.6 · Beta(0.5, 1.5)` (high
  /// variance) or `−0.15 + 0.6 · Beta(2, 6)` (low variance).
  ///
  /// - Precondition: both parameters positive and finite.
  public mutating func beta(_ alpha: Double, _ beta: Double) -> Double {
    while true {
      let x = gamma(shape: alpha)
      let y = gamma(shape: beta)
      let sum = x + y
      if sum > 0 { return x / sum }  // both underflowed to 0: draw again
    }
  }

  /// `count` independent standard normal values.
  public mutating func normalVector(count: Int) -> [Double] {
    (0..<count).map { _ in normal() }
  }

  /// A standard normal vector in ℝⁿ conditioned on `‖x‖₂ ≤ maxNorm`, by rejection (the
  /// right-hand sides of *Learning to Relax*, `utils/truncated_normal.m`, use
  /// `maxNorm = √n`, accepted about half the time).
  ///
  /// - Precondition: `count ≥ 0`, `maxNorm > 0`. A `maxNorm` far below `√count` makes the
  ///   rejection loop very long.
  public mutating func truncatedNormalVector(count: Int, maxNorm: Double) -> [Double] {
    precondition(count >= 0 && maxNorm > 0, "truncatedNormalVector needs count ≥ 0 and maxNorm > 0")
    var x = [Double](repeating: 0, count: count)
    while true {
      var squares = 0.0
      for i in 0..<count {
        x[i] = normal()
        squares += x[i] * x[i]
      }
      if squares.squareRoot() <= maxNorm { return x }
    }
  }
}

extension SeededGenerator: Codable {
  /// The state as four 16-digit hexadecimal words (exact in any JSON reader, unlike 64-bit
  /// integers, which some readers round through `Double`).
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode([s0, s1, s2, s3].map(Self.hex))
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let words = try container.decode([String].self)
    let parsed = words.compactMap { $0.count == 16 ? UInt64($0, radix: 16) : nil }
    guard parsed.count == 4, words.count == 4 else {
      throw DecodingError.dataCorruptedError(
        in: container, debugDescription: "a SeededGenerator state is four 16-digit hexadecimal words")
    }
    guard parsed.contains(where: { $0 != 0 }) else {
      throw DecodingError.dataCorruptedError(
        in: container, debugDescription: "the all-zero xoshiro256** state is invalid")
    }
    s0 = parsed[0]
    s1 = parsed[1]
    s2 = parsed[2]
    s3 = parsed[3]
  }

  private static func hex(_ word: UInt64) -> String {
    let digits = String(word, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
  }
}
