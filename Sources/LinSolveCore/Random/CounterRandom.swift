// Counter-based random numbers for the sketching code.
//
// A sketch must be regenerable: entry k of column j is a pure function of (seed, j, k), so the
// sketch does not depend on the order in which threads generate it, nor on how many threads
// there are (RandBLAS uses Philox from Random123 for the same reason). We use a SketchRNG-style
// hash of the triple instead of Philox: three rounds of the SketchRNG finaliser (Steele, Lea
// and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014), which passes
// BigCrush as a generator and is ample for sketching, where only low-order moments matter.

/// Pure functions of `(seed, stream, counter)` giving uniform bits, uniforms and Gaussians.
@usableFromInline
package enum CounterRandom {
  /// The SketchRNG output function (a bijective 64-bit mixer).
  @inlinable @inline(__always)
  static func mix(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A key for `stream` under `seed`: hashing it once per column keeps the inner loop at one mix.
  @inlinable @inline(__always)
  package static func streamKey(seed: UInt64, stream: UInt64) -> UInt64 {
    mix(mix(seed &+ 0x9E37_79B9_7F4A_7C15) ^ (stream &* 0xD1B5_4A32_D192_ED03))
  }

  /// 64 uniform bits for `counter` in the stream with key `key`.
  @inlinable @inline(__always)
  package static func bits(key: UInt64, counter: UInt64) -> UInt64 {
    mix(key &+ (counter &+ 1) &* 0x9E37_79B9_7F4A_7C15)
  }

  /// A uniform double in (0, 1) (never 0, so its logarithm is finite).
  @inlinable @inline(__always)
  package static func unit(_ bits: UInt64) -> Double {
    (Double(bits >> 11) + 0.5) * 0x1p-53
  }

  /// A uniform integer in `0..<bound` (multiply-high: bias below 2⁻³² for bounds under 2³²).
  @inlinable @inline(__always)
  package static func index(_ bits: UInt64, below bound: Int) -> Int {
    Int(bits.multipliedFullWidth(by: UInt64(bound)).high)
  }

  /// Two independent standard normals from counter `pair` (Box–Muller).
  @inlinable @inline(__always)
  static func gaussianPair(key: UInt64, pair: UInt64) -> (Double, Double) {
    let u1 = unit(bits(key: key, counter: 2 &* pair))
    let u2 = unit(bits(key: key, counter: 2 &* pair &+ 1))
    let radius = (-2 * log(u1)).squareRoot()
    let angle = 2 * Double.pi * u2
    return (radius * cos(angle), radius * sin(angle))
  }

  /// Fills `out` with entries `0..<out.count` of the Gaussian stream `stream` under `seed`.
  @inlinable
  package static func fillGaussian(_ out: UnsafeMutableBufferPointer<Double>, seed: UInt64, stream: UInt64, scale: Double = 1) {
    guard let p = out.baseAddress else { return }
    let key = streamKey(seed: seed, stream: stream)
    let n = out.count
    var i = 0
    while i + 1 < n {
      let (g0, g1) = gaussianPair(key: key, pair: UInt64(i / 2))
      p[i] = scale * g0
      p[i + 1] = scale * g1
      i += 2
    }
    if i < n { p[i] = scale * gaussianPair(key: key, pair: UInt64(i / 2)).0 }
  }
}

/// A sequential SketchRNG generator, for the sampling loops of Kaczmarz and sketch-and-project
/// (where the sequence of draws is inherently sequential). Seeded, so runs are reproducible.
@usableFromInline
package struct SketchRNG: RandomNumberGenerator {
  @usableFromInline var state: UInt64

  @inlinable package init(seed: UInt64) { state = CounterRandom.mix(seed ^ 0x5851_F42D_4C95_7F2D) }

  @inlinable @inline(__always)
  package mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    return CounterRandom.mix(state)
  }

  /// A uniform double in (0, 1).
  @inlinable @inline(__always)
  package mutating func unit() -> Double { CounterRandom.unit(next()) }

  /// A standard normal (Box–Muller, one of the pair kept for simplicity).
  @inlinable
  package mutating func gaussian() -> Double {
    let u1 = unit(), u2 = unit()
    return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
  }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
