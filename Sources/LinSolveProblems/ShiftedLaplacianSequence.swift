#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import LinSolveCore
import LinSolveDirect

/// The random sequence of shifted Laplacians of *Learning to Relax* (Khodak, Chow, Balcan,
/// Talwalkar, ICLR 2024; `scripts/learning.m`, `scripts/contextual.m`):
///
///     A_t = A + c_t·I,   A = Poisson.matrix2D(m)   (m = 10: n = 100, diagonal 4),
///     c_t = −0.15 + 0.6·Beta(α, β),   b_t ~ N(0, I) conditioned on ‖b_t‖ ≤ √n,
///
/// with `(α, β) = (0.5, 1.5)` for the high-variance and `(2, 6)` for the low-variance
/// distribution. Both have mean 0 and support `[−0.15, 0.45]`, so every `A_t` is symmetric
/// positive definite (`λ_min(A) = 8 sin²(π/22) ≈ 0.162` for m = 10). Each system carries its
/// shift `c_t` as ``LinearSystem/context`` and no initial guess (`x₀ = 0`).
///
/// **Other sizes.** On a finer grid the same shift would make `A + cI` indefinite
/// (`λ_min(A) ≈ 2π²/(m+1)²`), so for `m ≠ 10` the shift is scaled like the discretisation:
/// the matrix is `A + c_t·((11)/(m+1))²·I`, the same operator `−Δ + σ` (σ = 121·c_t) on a
/// finer mesh. `λ_min(A)·(m+1)²` grows with m toward 2π², so the scaled `A_t` stay SPD with
/// a relative margin at least that of m = 10. The context stays `c_t ∈ [−0.15, 0.45]`, so
/// learners keep the paper's context range. ``shiftScale`` is that factor (1 for m = 10).
///
/// **Draws.** One ``SeededGenerator`` per sequence; each system draws `c_t` (Gamma-ratio
/// Beta) and then `b_t` (polar-method normals, rejection on the norm), in the order of the
/// authors' loop. Equal seeds give equal sequences; the stream differs from MATLAB's, so
/// only the distribution matches the paper.
///
/// ```swift
/// for system in ShiftedLaplacianSequence(variance: .high, count: 5000, seed: 1) {
///   let result = try SOR(omega: 1.8).solve(system.matrix, system.rhs)
/// }
/// ```
public struct ShiftedLaplacianSequence: Sequence, IteratorProtocol, Sendable {
  /// The distribution of the shifts.
  public enum Variance: String, Sendable, CaseIterable, Codable {
    /// `c = −0.15 + 0.6·Beta(0.5, 1.5)`: mass near −0.15 (hard systems) and a long tail.
    case high
    /// `c = −0.15 + 0.6·Beta(2, 6)`: concentrated around 0.
    case low

    /// The Beta parameters `(α, β)`.
    public var betaParameters: (alpha: Double, beta: Double) {
      switch self {
      case .high: return (0.5, 1.5)
      case .low: return (2, 6)
      }
    }
  }

  /// The support of the shifts, `[−0.15, 0.45]`.
  public static let shiftRange: ClosedRange<Double> = -0.15...0.45
  /// The context range the paper's contextual learners use, `[−0.15, 0.65]` (ChebCB with 6
  /// features, Tsallis-INF-CB with 5 bins).
  public static let learnerContextRange: ClosedRange<Double> = -0.15...0.65
  /// The grid size of the paper's sequence (n = 100).
  public static let referenceGridSize = 10

  /// Interior points per direction `m` (n = m²).
  public let gridSize: Int
  /// The shift distribution.
  public let variance: Variance
  /// The number of systems, or `nil` for an endless sequence.
  public let count: Int?
  /// The seed of the sequence.
  public let seed: UInt64
  /// `A`, the 5-point Laplacian on the m × m grid (no h² scaling).
  public let base: SparseMatrix
  /// The factor applied to the context to get the matrix shift: `((10+1)/(m+1))²`.
  public let shiftScale: Double
  /// The positions of the diagonal entries of ``base`` in its value array.
  private let diagonal: [Int]
  private var generator: SeededGenerator
  /// Systems produced so far.
  public private(set) var produced = 0

  /// A sequence of `count` systems (endless when `nil`) drawn from `seed`.
  ///
  /// - Precondition: `gridSize ≥ 1`, `count ≥ 0` when given.
  public init(gridSize: Int = referenceGridSize, variance: Variance = .high, count: Int? = nil, seed: UInt64 = 0) {
    precondition(gridSize >= 1, "ShiftedLaplacianSequence needs gridSize ≥ 1, not \(gridSize)")
    precondition((count ?? 0) >= 0, "ShiftedLaplacianSequence needs count ≥ 0")
    self.gridSize = gridSize
    self.variance = variance
    self.count = count
    self.seed = seed
    base = Poisson.matrix2D(gridSize)
    diagonal = base.diagonalPositions().map { $0! }
    let ratio = Double(Self.referenceGridSize + 1) / Double(gridSize + 1)
    shiftScale = ratio * ratio
    generator = SeededGenerator(seed: seed)
  }

  /// The order `n = m²` of the systems.
  public var dimension: Int { base.rows }

  /// Draws the next system: `(A + c·shiftScale·I, b)` with context `c`.
  public mutating func next() -> LinearSystem? {
    if let count, produced >= count { return nil }
    let (a, b) = variance.betaParameters
    let c = -0.15 + 0.6 * generator.beta(a, b)
    let rhs = generator.truncatedNormalVector(count: dimension, maxNorm: Double(dimension).squareRoot())
    produced += 1
    return LinearSystem(matrix: matrix(shift: c), rhs: rhs, context: c, name: "t = \(produced)")
  }

  /// `A + c·shiftScale·I` for a context `c` (the base matrix with its diagonal shifted; the
  /// sparsity pattern is that of ``base`` for every `c`).
  public func matrix(shift c: Double) -> SparseMatrix {
    var m = base
    let s = c * shiftScale
    for p in diagonal { m.values[p] += s }
    return m
  }

  /// The Jacobi spectral radius `ρ(I − D⁻¹A_t)` of the system with context `c`, exactly:
  /// `4 cos(π/(m+1)) / (4 + c·shiftScale)` (the Laplacian's Jacobi matrix has eigenvalues
  /// `(cos(jπ/(m+1)) + cos(kπ/(m+1)))/2`, and the shift only rescales the diagonal).
  public func jacobiSpectralRadius(shift c: Double) -> Double {
    4 * cos(Double.pi / Double(gridSize + 1)) / (4 + c * shiftScale)
  }

  /// Young's optimal SOR parameter for the system with context `c`:
  /// `ω* = 1 + (ρ/(1 + √(1 − ρ²)))² = 2/(1 + √(1 − ρ²))`, exact for this consistently ordered
  /// matrix.
  public func youngOmega(shift c: Double) -> Double {
    Self.youngOmega(jacobiSpectralRadius: jacobiSpectralRadius(shift: c))
  }

  /// Young's formula `1 + (ρ/(1 + √(1 − ρ²)))²` for a Jacobi spectral radius `ρ ∈ [0, 1)`.
  public static func youngOmega(jacobiSpectralRadius rho: Double) -> Double {
    let q = rho / (1 + (1 - rho * rho).squareRoot())
    return 1 + q * q
  }
}
