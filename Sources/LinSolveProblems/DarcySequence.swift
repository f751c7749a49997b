#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import LinSolveCore
import LinSolveDirect

/// Sequences of Darcy-flow systems `−∇·(κ∇u) = f` on the unit square with zero Dirichlet
/// boundaries and `κ = exp(G)`, `G` a ``GaussianRandomField`` — the workload of SKR (Wang et al.,
/// ICLR 2024) and of the recycling experiments (`experiments recycle`).
///
/// **Grid.** `N × N` interior unknowns numbered `i = ix + iy·N` (x fastest); the coefficient is
/// sampled at the nodes of the `(N + 2) × (N + 2)` grid that includes the boundary ring
/// (``GaussianRandomField/sample(gridSize:using:)`` with `M = N + 2`, as SKR samples a 100 × 100
/// field for its 98² unknowns). Matrices are stencils without the `1/h²` factor (like
/// ``Poisson`` and ``Diffusion``) and right-hand sides carry `h²`, `h = 1/(N + 1)`; only the
/// ratio matters to a relative tolerance.
///
/// **Two discretisations** (``Discretization``):
/// - ``Discretization/finiteVolume``: the conservative 5-point scheme with harmonic means
///   `κ_f = 2κ_iκ_j/(κ_i + κ_j)` of the two node values on every face (boundary faces use the
///   ring node). Symmetric positive definite; the fair setting for CG, deflated CG and Cholesky.
/// - ``Discretization/skr``: SKR's `build_darcy` (`code_dracy/exp_generate_mpi_102_sort.py`),
///   reproduced index for index. With `C` the `(N + 2)²` coefficient grid (`C[r][c]` =
///   `κ[c + r·(N + 2)]`) and row `i = J + I·N` of the matrix:
///   `A[i, i] = 4·C[I+1][J+1]`, `A[i, i∓1] = −C[I+1][J+1∓1]`, `A[i, i+N] = −C[I+2][J+1]`, and
///   `A[i, i−N] = −C[q / N][q mod N + 1]` with `q = i − 2`. That is `K·diag(κ)` — `K` the constant
///   5-point Laplacian, every off-diagonal scaled by the coefficient of its *column's* node —
///   except that the `−N` diagonal is read two entries early from the flattened array (SciPy's
///   `diags` truncates the too-long diagonal `coef[:-2, 1:-1].flatten()[s-2:]`). The matrix is
///   nonsymmetric only by this construction: `K·diag(κ)` is similar to the SPD
///   `diag(κ)^½·K·diag(κ)^½`. `exactColumnScaling: true` builds `K·diag(κ)` without the offset.
///
/// **Generators.**
/// - ``independent(grid:count:seed:discretization:field:)``: i.i.d. samples (SKR's datasets),
///   `f = 1`.
/// - ``slowlyVarying(grid:count:seed:rate:field:)``: `κ_t = exp(cos(ωt)·G₁ + sin(ωt)·G₂)`,
///   `t = 0, 1, …`, ω = 0.05, one pair of fields; with unit-variance fields log κ_t has standard
///   deviation 1 at every t. Finite volumes, `f = 1`.
/// - ``fixedOperator(grid:count:seed:familyDimension:field:)``: one matrix (finite volumes) and
///   right-hand sides `f = Σ c_pq T_p(2x − 1)·T_q(2y − 1)` with `c_pq ~ U(−1, 1)`: Chebyshev
///   products spanning a family of dimension 30 by default (degrees `p ≤ 5`, `q ≤ 4`), a
///   stand-in for SKR's Poisson set, whose source and edge data are five degree-5 Chebyshev
///   series (30 coefficients).
///
/// Every system of a sequence has the same sparsity pattern (all 5-point neighbours inside the
/// grid are stored), so ``CholeskyFactorization`` and ``LUFactorization`` reuse one symbolic
/// analysis across it.
public struct DarcySequence: Sendable {
  /// How `−∇·(κ∇u)` becomes a matrix.
  public enum Discretization: String, Sendable, CaseIterable, Codable {
    /// Conservative finite volumes with harmonic face means: symmetric positive definite.
    case finiteVolume
    /// SKR's `build_darcy`: `A ≈ K·diag(κ)`, nonsymmetric.
    case skr
  }

  /// `N`, the interior grid points per direction (`N²` unknowns).
  public let grid: Int
  /// The discretisation of every matrix.
  public let discretization: Discretization
  /// The systems, in generation order.
  public var systems: SystemSequence
  /// `κ` on the `(N + 2)²` grid for each system (the feature SKR orders samples by). For
  /// ``fixedOperator(grid:count:seed:familyDimension:field:)`` every entry is the same field.
  public var coefficients: [[Double]]

  /// Number of systems.
  public var count: Int { systems.count }
  /// `N²`.
  public var unknowns: Int { grid * grid }

  public init(grid: Int, discretization: Discretization, systems: SystemSequence, coefficients: [[Double]]) {
    precondition(coefficients.count == systems.count, "one coefficient field per system")
    self.grid = grid
    self.discretization = discretization
    self.systems = systems
    self.coefficients = coefficients
  }

  // MARK: Generators

  /// `count` independent samples `κ = exp(G)`, `f = 1` (SKR's Darcy datasets).
  ///
  /// - Parameters:
  ///   - grid: `N ≥ 2`.
  ///   - seed: fields are drawn one after another from `SeededGenerator(seed:)`, so the first
  ///     `T` systems do not depend on `count`.
  ///   - field: the law of `G` (default α = 2.5, τ = 7 with SKR's amplitude).
  public static func independent(
    grid n: Int, count: Int, seed: UInt64, discretization: Discretization = .finiteVolume,
    field: GaussianRandomField = GaussianRandomField()
  ) -> DarcySequence {
    checkGrid(n, count)
    var generator = SeededGenerator(seed: seed)
    let b = unitSource(grid: n)
    var systems: [LinearSystem] = []
    var kappas: [[Double]] = []
    for t in 0..<count {
      let kappa = field.sample(gridSize: n + 2, using: &generator).map { exp($0) }
      systems.append(
        LinearSystem(matrix: matrix(discretization, coefficient: kappa, grid: n), rhs: b, name: "sample \(t)"))
      kappas.append(kappa)
    }
    return DarcySequence(grid: n, discretization: discretization, systems: SystemSequence(systems), coefficients: kappas)
  }

  /// A slowly varying coefficient `κ_t = exp(cos(ωt)·G₁ + sin(ωt)·G₂)`, `t = 0 … count − 1`,
  /// finite volumes, `f = 1`. ``LinearSystem/context`` holds `t`.
  ///
  /// - Parameters:
  ///   - rate: `ω` (default 0.05: 40 steps turn the pair by 2 radians).
  ///   - field: the law of `G₁` and `G₂` (default: α = 2.5, τ = 7 scaled to unit pointwise
  ///     standard deviation, so `std(log κ_t) = 1` for every `t`).
  public static func slowlyVarying(
    grid n: Int, count: Int, seed: UInt64, rate: Double = 0.05,
    field: GaussianRandomField = GaussianRandomField(standardDeviation: 1)
  ) -> DarcySequence {
    checkGrid(n, count)
    var generator = SeededGenerator(seed: seed)
    let g1 = field.sample(gridSize: n + 2, using: &generator)
    let g2 = field.sample(gridSize: n + 2, using: &generator)
    let b = unitSource(grid: n)
    var systems: [LinearSystem] = []
    var kappas: [[Double]] = []
    for t in 0..<count {
      let c = cos(rate * Double(t)), s = sin(rate * Double(t))
      var kappa = [Double](repeating: 0, count: g1.count)
      for i in 0..<kappa.count { kappa[i] = exp(c * g1[i] + s * g2[i]) }
      systems.append(
        LinearSystem(
          matrix: finiteVolumeMatrix(coefficient: kappa, grid: n), rhs: b, context: Double(t), name: "t = \(t)"))
      kappas.append(kappa)
    }
    return DarcySequence(grid: n, discretization: .finiteVolume, systems: SystemSequence(systems), coefficients: kappas)
  }

  /// One finite-volume matrix (`κ = exp(G)`, one sample) and `count` right-hand sides from a
  /// `familyDimension`-dimensional family of Chebyshev-product sources with `U(−1, 1)`
  /// coefficients (see the type's documentation). All systems share one ``SparseMatrix`` value
  /// (the same storage), so a solver can tell in O(1) that `A` did not change.
  ///
  /// - Parameters:
  ///   - familyDimension: `d ≥ 1`: the basis is `T_p(2x − 1)·T_q(2y − 1)` for the first `d`
  ///     pairs `(p, q)` with `p ≤ 5`, `q ≤ 4` in the order `q` slowest (30 pairs), continued
  ///     with higher degrees when `d > 30`.
  ///   - field: the law of `G` (default: unit pointwise standard deviation).
  public static func fixedOperator(
    grid n: Int, count: Int, seed: UInt64, familyDimension: Int = 30,
    field: GaussianRandomField = GaussianRandomField(standardDeviation: 1)
  ) -> DarcySequence {
    checkGrid(n, count)
    precondition(familyDimension >= 1, "familyDimension must be at least 1")
    var generator = SeededGenerator(seed: seed)
    let kappa = field.sample(gridSize: n + 2, using: &generator).map { exp($0) }
    let a = finiteVolumeMatrix(coefficient: kappa, grid: n)
    let basis = chebyshevFamily(grid: n, dimension: familyDimension)
    var systems: [LinearSystem] = []
    for t in 0..<count {
      var b = [Double](repeating: 0, count: n * n)
      for phi in basis {
        let c = 2 * generator.uniform() - 1
        for i in 0..<b.count { b[i] += c * phi[i] }
      }
      systems.append(LinearSystem(matrix: a, rhs: b, name: "rhs \(t)"))
    }
    return DarcySequence(
      grid: n, discretization: .finiteVolume, systems: SystemSequence(systems),
      coefficients: [[Double]](repeating: kappa, count: count))
  }

  // MARK: Matrices and right-hand sides

  /// The matrix of `discretization` for the coefficient `κ` on the `(N + 2)²` grid.
  public static func matrix(
    _ discretization: Discretization, coefficient kappa: [Double], grid n: Int
  ) -> SparseMatrix {
    switch discretization {
    case .finiteVolume: finiteVolumeMatrix(coefficient: kappa, grid: n)
    case .skr: skrMatrix(coefficient: kappa, grid: n)
    }
  }

  /// The symmetric positive definite finite-volume matrix: on each face the harmonic mean
  /// `2κ_iκ_j/(κ_i + κ_j)` of the node values on both sides (the boundary ring's value on a
  /// boundary face); the diagonal is the sum of the four face values. Computed so that
  /// `A[i, j] == A[j, i]` exactly.
  ///
  /// - Parameter kappa: `(N + 2)²` positive values, entry `(ix + 1) + (iy + 1)·(N + 2)` at unknown
  ///   `ix + iy·N`.
  public static func finiteVolumeMatrix(coefficient kappa: [Double], grid n: Int) -> SparseMatrix {
    let m = n + 2
    precondition(n >= 1 && kappa.count == m * m, "κ must have (N + 2)² = \(m * m) entries")
    @inline(__always) func face(_ a: Double, _ b: Double) -> Double { 2 * (a * b) / (a + b) }
    return stencil(grid: n) { ix, iy in
      let c = kappa[(ix + 1) + (iy + 1) * m]
      let west = face(c, kappa[ix + (iy + 1) * m]), east = face(c, kappa[(ix + 2) + (iy + 1) * m])
      let south = face(c, kappa[(ix + 1) + iy * m]), north = face(c, kappa[(ix + 1) + (iy + 2) * m])
      return (south: -south, west: -west, center: west + east + south + north, east: -east, north: -north)
    }
  }

  /// SKR's `build_darcy` matrix (see the type's documentation for the index formula), or, with
  /// `exactColumnScaling`, `K·diag(κ)` exactly (`A[i, j] = −κ_j` for each neighbour `j`,
  /// `A[i, i] = 4κ_i`).
  public static func skrMatrix(coefficient kappa: [Double], grid n: Int, exactColumnScaling: Bool = false) -> SparseMatrix {
    let m = n + 2
    precondition(n >= 1 && kappa.count == m * m, "κ must have (N + 2)² = \(m * m) entries")
    // C[r][c] = kappa[c + r·m]; row i = J + I·n ↔ (ix, iy) = (J, I).
    @inline(__always) func c(_ r: Int, _ col: Int) -> Double { kappa[col + r * m] }
    return stencil(grid: n) { ix, iy in
      let i = ix + iy * n
      let south: Double
      if exactColumnScaling {
        south = c(iy, ix + 1)
      } else {
        let q = i - 2  // only used when iy > 0, so q ≥ n − 2 ≥ 0
        south = q >= 0 ? c(q / n, q % n + 1) : 0
      }
      return (
        south: -south, west: -c(iy + 1, ix), center: 4 * c(iy + 1, ix + 1), east: -c(iy + 1, ix + 2),
        north: -c(iy + 2, ix + 1)
      )
    }
  }

  /// `b = h²·1`, `h = 1/(N + 1)`: the source `f = 1`.
  public static func unitSource(grid n: Int) -> [Double] {
    let h = 1 / Double(n + 1)
    return [Double](repeating: h * h, count: n * n)
  }

  /// The right-hand sides `h²·T_p(2x − 1)·T_q(2y − 1)` at the interior nodes `((ix + 1)h,
  /// (iy + 1)h)` for the first `dimension` degree pairs (see
  /// ``fixedOperator(grid:count:seed:familyDimension:field:)``).
  public static func chebyshevFamily(grid n: Int, dimension: Int) -> [[Double]] {
    let h = 1 / Double(n + 1)
    var pairs: [(Int, Int)] = []
    for q in 0...4 { for p in 0...5 { pairs.append((p, q)) } }
    var degree = 6
    while pairs.count < dimension {
      for q in 0...degree { pairs.append((degree, q)) }
      for p in 0..<degree { pairs.append((p, degree)) }
      degree += 1
    }
    func chebyshev(_ k: Int, _ t: Double) -> Double { cos(Double(k) * acos(max(-1, min(1, t)))) }
    return pairs.prefix(dimension).map { p, q in
      var phi = [Double](repeating: 0, count: n * n)
      for iy in 0..<n {
        let ty = chebyshev(q, 2 * Double(iy + 1) * h - 1)
        for ix in 0..<n { phi[ix + iy * n] = h * h * chebyshev(p, 2 * Double(ix + 1) * h - 1) * ty }
      }
      return phi
    }
  }

  // MARK: Private

  private static func checkGrid(_ n: Int, _ count: Int) {
    precondition(n >= 2, "grid must be at least 2")
    precondition(count >= 0, "count must be non-negative")
  }

  /// A 5-point matrix on the `n × n` grid built row by row in CSR (columns `i − n, i − 1, i,
  /// i + 1, i + n`, those inside the grid), from the five coefficients of each row.
  private static func stencil(
    grid n: Int,
    _ row: (Int, Int) -> (south: Double, west: Double, center: Double, east: Double, north: Double)
  ) -> SparseMatrix {
    let size = n * n
    var pointers = [Int](repeating: 0, count: size + 1)
    var columns: [Int32] = []
    var values: [Double] = []
    columns.reserveCapacity(5 * size)
    values.reserveCapacity(5 * size)
    for iy in 0..<n {
      for ix in 0..<n {
        let i = ix + iy * n
        let r = row(ix, iy)
        if iy > 0 {
          columns.append(Int32(i - n))
          values.append(r.south)
        }
        if ix > 0 {
          columns.append(Int32(i - 1))
          values.append(r.west)
        }
        columns.append(Int32(i))
        values.append(r.center)
        if ix < n - 1 {
          columns.append(Int32(i + 1))
          values.append(r.east)
        }
        if iy < n - 1 {
          columns.append(Int32(i + n))
          values.append(r.north)
        }
        pointers[i + 1] = values.count
      }
    }
    return SparseMatrix(uncheckedRows: size, columns: size, rowPointers: pointers, columnIndices: columns, values: values)
  }
}
