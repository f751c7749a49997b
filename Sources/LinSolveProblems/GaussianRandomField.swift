#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import LinSolveCore

/// A stationary Gaussian random field on the periodic unit square with the Matérn-like
/// spectrum `(4π²|k|² + τ²)^(−α/2)` used for Darcy-flow datasets (Li et al.'s Fourier neural
/// operator data, and SKR, Wang et al. ICLR 2024: α = 2.5, τ = 7).
///
/// **The series.** SKR samples its field with an inverse FFT of independent complex normals
/// times `√2·σ·(4π²|k|² + τ²)^(−α/2)` on the wave numbers of the grid, `σ = τ^(α − 1)`, mean mode
/// removed (the `GaussianRF` class of its `exp_generate*.py`), and keeps the real part. That is
/// the real Fourier series
///
///     G(x, y) = Σ_{k ∈ ℤ², k ≠ 0} σ·λ_k·(a_k·cos 2π(k₁x + k₂y) + b_k·sin 2π(k₁x + k₂y)),
///     λ_k = (4π²|k|² + τ²)^(−α/2),   a_k, b_k ~ N(0, 1) independent,
///
/// whose covariance is `Σ_k σ²λ_k²·cos 2π k·(p − q)`. Here the series is truncated at
/// `|k₁|, |k₂| ≤ K` (``modes``, default 32: for α = 2.5, τ = 7 the omitted modes carry 5·10⁻⁵ of
/// the variance) and rewritten in the separable basis `{cos 2πk₁x, sin 2πk₁x} ⊗
/// {cos 2πk₂y, sin 2πk₂y}`, `k₁, k₂ ∈ 0…K`, which has exactly the same covariance when the four
/// products of a pair `(k₁, k₂)` with `k₁, k₂ > 0` get independent `N(0, 4σ²λ²)` coefficients and
/// the two of a pair with one zero index `N(0, 2σ²λ²)` (the four, resp. two, lattice points
/// `(±k₁, ±k₂)` folded together). No FFT is needed: with `T` the `(2K + 1) × M` table of the
/// 1-D basis functions at the grid points, the field on an `M × M` grid is `Tᵀ·Ξ·T` for the
/// `(2K + 1)²` coefficient matrix `Ξ`, i.e. `O(M²K + MK²)` flops (≈ 3·10⁶ for M = 202, K = 32).
///
/// **Grid.** ``sample(gridSize:using:)`` evaluates the field at `(i/M, j/M)`, `i, j = 0…M − 1`,
/// the points SKR's FFT produces; entry `i + j·M` holds `G(i/M, j/M)` (x fastest, the unknown
/// numbering of ``Diffusion`` and ``DarcySequence``). For a Darcy problem on an `N × N`
/// interior grid use `M = N + 2`, so that the Dirichlet boundary ring has coefficients too.
///
/// **Scale.** By default `σ = τ^(α − 1)` as in SKR (for α = 2.5, τ = 7 the pointwise standard
/// deviation is 0.185, so the 2.5 % and 97.5 % quantiles of `κ = exp(G)` differ by a factor of
/// about 2: SKR's Darcy coefficients have low contrast). Pass
/// `standardDeviation:` to rescale the series to a given pointwise standard deviation (e.g. 1 for
/// a contrast of ≈ e⁴ between the 2.5 % and 97.5 % quantiles of κ).
///
/// ```swift
/// let grf = GaussianRandomField()                    // α = 2.5, τ = 7, K = 32, SKR's σ
/// var rng = SeededGenerator(seed: 1)
/// let g = grf.sample(gridSize: 100, using: &rng)     // 100 × 100 values
/// let kappa = g.map { exp($0) }
/// ```
///
/// Reference: Z. Li et al., "Fourier neural operator for parametric partial differential
/// equations", ICLR 2021 (the `GaussianRF` sampler); H. Wang et al., "Accelerating data
/// generation for neural operators via Krylov subspace recycling", ICLR 2024, §5.
public struct GaussianRandomField: Sendable, Equatable {
  /// `α`, the smoothness exponent (default 2.5).
  public let alpha: Double
  /// `τ`, the inverse length scale (default 7).
  public let tau: Double
  /// `K`, the largest wave number kept per direction (default 32).
  public let modes: Int
  /// `σ`, the amplitude multiplying every term of the series.
  public let amplitude: Double

  /// - Parameters:
  ///   - alpha: `α > 0`.
  ///   - tau: `τ > 0`.
  ///   - modes: `K ≥ 1`.
  ///   - standardDeviation: the pointwise standard deviation of `G`; `nil` keeps SKR's
  ///     amplitude `σ = τ^(α − 1)`.
  public init(alpha: Double = 2.5, tau: Double = 7, modes: Int = 32, standardDeviation: Double? = nil) {
    precondition(alpha > 0 && alpha.isFinite, "alpha must be positive")
    precondition(tau > 0 && tau.isFinite, "tau must be positive")
    precondition(modes >= 1, "modes must be at least 1")
    self.alpha = alpha
    self.tau = tau
    self.modes = modes
    let skr = pow(tau, alpha - 1)
    if let standardDeviation {
      precondition(standardDeviation >= 0 && standardDeviation.isFinite, "standardDeviation must be ≥ 0")
      let unit = Self.unitVariance(alpha: alpha, tau: tau, modes: modes).squareRoot()
      amplitude = standardDeviation / unit
    } else {
      amplitude = skr
    }
  }

  /// `λ_k = (4π²(k₁² + k₂²) + τ²)^(−α/2)`.
  public func eigenvalueRoot(_ k1: Int, _ k2: Int) -> Double {
    Self.lambda(k1, k2, alpha: alpha, tau: tau)
  }

  /// The pointwise standard deviation of `G` (the same at every point: the field is stationary),
  /// `σ·(Σ_{0 < |k|∞ ≤ K} λ_k²)^½`.
  public var pointwiseStandardDeviation: Double {
    amplitude * Self.unitVariance(alpha: alpha, tau: tau, modes: modes).squareRoot()
  }

  /// The covariance `E[G(p)G(q)]` for a displacement `(dx, dy) = p − q` (periodic in both).
  public func covariance(dx: Double, dy: Double) -> Double {
    var sum = 0.0
    for k2 in -modes...modes {
      for k1 in -modes...modes where k1 != 0 || k2 != 0 {
        let l = eigenvalueRoot(k1, k2)
        sum += l * l * cos(2 * Double.pi * (Double(k1) * dx + Double(k2) * dy))
      }
    }
    return amplitude * amplitude * sum
  }

  /// One sample on the `M × M` grid of points `(i/M, j/M)`; entry `i + j·M` is `G(i/M, j/M)`.
  ///
  /// Draws `4·((K + 1)² − 1)` standard normals from `generator` in a fixed order (the sine
  /// coefficients of a zero wave number are drawn and discarded), so a seed determines the
  /// sample whatever the grid size: two grids of one seed see the same continuous field.
  ///
  /// - Complexity: `O(M²K + MK²)` flops and `O(MK + K²)` extra memory.
  public func sample(gridSize m: Int, using generator: inout SeededGenerator) -> [Double] {
    precondition(m >= 1, "gridSize must be positive")
    let kk = modes
    let p = 2 * kk + 1  // basis functions per direction: cos 0…K, then sin 1…K
    // Ξ (p × p, row = x basis function, column = y basis function), row-major.
    var xi = [Double](repeating: 0, count: p * p)
    // Index of cos k / sin k in the 1-D table.
    func cosIndex(_ k: Int) -> Int { k }
    func sinIndex(_ k: Int) -> Int { kk + k }  // k ≥ 1
    for k2 in 0...kk {
      for k1 in 0...kk where k1 != 0 || k2 != 0 {
        let cc = generator.normal(), cs = generator.normal(), sc = generator.normal(), ss = generator.normal()
        let weight = (k1 > 0 && k2 > 0 ? 2.0 : 2.0.squareRoot()) * amplitude * eigenvalueRoot(k1, k2)
        xi[cosIndex(k1) * p + cosIndex(k2)] = weight * cc
        if k2 > 0 { xi[cosIndex(k1) * p + sinIndex(k2)] = weight * cs }
        if k1 > 0 { xi[sinIndex(k1) * p + cosIndex(k2)] = weight * sc }
        if k1 > 0 && k2 > 0 { xi[sinIndex(k1) * p + sinIndex(k2)] = weight * ss }
      }
    }
    // T (p × m, row-major): the 1-D basis at the points i/M.
    var table = [Double](repeating: 0, count: p * m)
    for i in 0..<m {
      let x = Double(i) / Double(m)
      table[i] = 1
      for k in 1...kk {
        let angle = 2 * Double.pi * Double(k) * x
        table[cosIndex(k) * m + i] = cos(angle)
        table[sinIndex(k) * m + i] = sin(angle)
      }
    }
    // Y = Ξ·T (p × m): Y[a][j] = Σ_b Ξ[a][b]·T[b][j].
    var y = [Double](repeating: 0, count: p * m)
    for a in 0..<p {
      for b in 0..<p {
        let v = xi[a * p + b]
        if v == 0 { continue }
        for j in 0..<m { y[a * m + j] += v * table[b * m + j] }
      }
    }
    // G[i + j·m] = Σ_a T[a][i]·Y[a][j].
    var g = [Double](repeating: 0, count: m * m)
    g.withUnsafeMutableBufferPointer { gp in
      table.withUnsafeBufferPointer { tp in
        y.withUnsafeBufferPointer { yp in
          for j in 0..<m {
            let row = gp.baseAddress! + j * m
            for a in 0..<p {
              let coefficient = yp[a * m + j]
              let t = tp.baseAddress! + a * m
              for i in 0..<m { row[i] += t[i] * coefficient }
            }
          }
        }
      }
    }
    return g
  }

  /// One sample from a fresh generator seeded with `seed`.
  public func sample(gridSize m: Int, seed: UInt64) -> [Double] {
    var generator = SeededGenerator(seed: seed)
    return sample(gridSize: m, using: &generator)
  }

  private static func lambda(_ k1: Int, _ k2: Int, alpha: Double, tau: Double) -> Double {
    let s = 4 * Double.pi * Double.pi * Double(k1 * k1 + k2 * k2) + tau * tau
    return pow(s, -alpha / 2)
  }

  /// `Σ_{0 < |k|∞ ≤ K} λ_k²` (over the whole lattice square, both signs).
  private static func unitVariance(alpha: Double, tau: Double, modes: Int) -> Double {
    var sum = 0.0
    for k2 in -modes...modes {
      for k1 in -modes...modes where k1 != 0 || k2 != 0 {
        let l = lambda(k1, k2, alpha: alpha, tau: tau)
        sum += l * l
      }
    }
    return sum
  }
}
