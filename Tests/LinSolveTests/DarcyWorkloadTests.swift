import Foundation
import Testing
@testable import LinSolve

// The Darcy workloads of the recycling experiments: the spectral Gaussian random field and the
// two discretisations of −∇·(κ∇u) = f. Small grids only.

@Suite struct DarcyWorkloadTests {
  // MARK: Gaussian random field

  @Test func fieldIsDeterminedBySeed() {
    let grf = GaussianRandomField()
    let a = grf.sample(gridSize: 12, seed: 7)
    let b = grf.sample(gridSize: 12, seed: 7)
    let c = grf.sample(gridSize: 12, seed: 8)
    #expect(a == b)
    #expect(a != c)
    #expect(a.count == 144)
    #expect(a.allSatisfy { $0.isFinite })
    // The generator's stream continues: two draws from one generator differ.
    var rng = SeededGenerator(seed: 7)
    let first = grf.sample(gridSize: 12, using: &rng)
    let second = grf.sample(gridSize: 12, using: &rng)
    #expect(first == a)
    #expect(first != second)
  }

  @Test func fieldDoesNotDependOnTheGrid() {
    // One seed is one continuous field: the 8² grid's points are every other point of the 16² grid.
    let grf = GaussianRandomField(modes: 12)
    let coarse = grf.sample(gridSize: 8, seed: 3)
    let fine = grf.sample(gridSize: 16, seed: 3)
    var worst = 0.0
    for j in 0..<8 { for i in 0..<8 { worst = max(worst, abs(coarse[i + j * 8] - fine[2 * i + 2 * j * 16])) } }
    #expect(worst < 1e-12)
  }

  @Test func fieldHasZeroGridMeanAndTheStatedVariance() {
    let grf = GaussianRandomField(modes: 8)
    // With M > K every mode sums to 0 over the grid: the grid mean is 0 up to rounding.
    let g = grf.sample(gridSize: 20, seed: 1)
    #expect(abs(g.reduce(0, +) / 400) < 1e-12)
    // The pointwise variance over samples matches Σ σ²λ² (400 samples × 25 points, ±12 %).
    var rng = SeededGenerator(seed: 11)
    var sumSquares = 0.0
    var count = 0
    for _ in 0..<400 {
      let s = grf.sample(gridSize: 5, using: &rng)
      for v in s { sumSquares += v * v }
      count += s.count
    }
    let empirical = (sumSquares / Double(count)).squareRoot()
    let stated = grf.pointwiseStandardDeviation
    #expect(abs(empirical / stated - 1) < 0.12, "empirical std \(empirical), stated \(stated)")
    #expect(abs(grf.covariance(dx: 0, dy: 0) - stated * stated) < 1e-12 * stated * stated)
  }

  @Test func skrAmplitudeAndRescaling() {
    // SKR's σ = τ^(α−1); with α = 2.5, τ = 7 (K = 32) the pointwise standard deviation is 0.185.
    let skr = GaussianRandomField()
    #expect(abs(skr.amplitude - pow(7, 1.5)) < 1e-12)
    #expect(abs(skr.pointwiseStandardDeviation - 0.18523) < 1e-4)
    let unit = GaussianRandomField(standardDeviation: 1)
    #expect(abs(unit.pointwiseStandardDeviation - 1) < 1e-12)
    // Rescaling multiplies every sample by the same factor.
    let a = skr.sample(gridSize: 6, seed: 5), b = unit.sample(gridSize: 6, seed: 5)
    let factor = 1 / skr.pointwiseStandardDeviation
    for (x, y) in zip(a, b) { #expect(abs(x * factor - y) < 1e-12 * max(1, abs(y))) }
  }

  @Test func fieldIsSmooth() {
    // E[(G(x + h) − G(x))²] = 2(C(0) − C(h)): compare with the average over a 48² sample grid
    // (4 samples), and check that neighbours are strongly correlated at this resolution.
    let grf = GaussianRandomField(modes: 16, standardDeviation: 1)
    let m = 48
    let h = 1 / Double(m)
    let theory = 2 * (grf.covariance(dx: 0, dy: 0) - grf.covariance(dx: h, dy: 0))
    var rng = SeededGenerator(seed: 2)
    var sum = 0.0
    var count = 0
    for _ in 0..<4 {
      let g = grf.sample(gridSize: m, using: &rng)
      for j in 0..<m {
        for i in 0..<m {
          let d = g[(i + 1) % m + j * m] - g[i + j * m]
          let e = g[i + ((j + 1) % m) * m] - g[i + j * m]
          sum += d * d + e * e
          count += 2
        }
      }
    }
    let empirical = sum / Double(count)
    #expect(theory < 0.05, "neighbour increments \(theory) against variance 1")
    #expect(abs(empirical / theory - 1) < 0.35, "empirical \(empirical), theory \(theory)")
  }

  // MARK: Operators

  @Test func finiteVolumeOperatorIsSPDAndReducesToPoisson() throws {
    let n = 9
    let ones = [Double](repeating: 1, count: (n + 2) * (n + 2))
    #expect(DarcySequence.finiteVolumeMatrix(coefficient: ones, grid: n) == Poisson.matrix2D(n))
    let samples = DarcySequence.independent(grid: n, count: 3, seed: 4, discretization: .finiteVolume,
                                           field: GaussianRandomField(standardDeviation: 1.5))
    for system in samples.systems {
      let a = system.matrix
      #expect(a.isSymmetric(tolerance: 0))
      #expect(a.rowPointers == samples.systems[0].matrix.rowPointers)
      #expect(a.columnIndices == samples.systems[0].matrix.columnIndices)
      // Weakly diagonally dominant with positive diagonal, and Cholesky succeeds: SPD.
      let dense = a.dense()
      for i in 0..<a.rows {
        #expect(dense[i][i] > 0)
        #expect(dense[i].reduce(0, +) >= -1e-12 * dense[i][i])
      }
      let x = try CholeskyFactorization(a).solve(system.rhs)
      #expect(a.residualNorm(x: x, b: system.rhs) <= 1e-10 * Vector.norm(system.rhs))
    }
    #expect(samples.systems[0].matrix != samples.systems[1].matrix)
    #expect(samples.coefficients[0].count == (n + 2) * (n + 2))
  }

  @Test func skrOperatorIsColumnScaledLaplacianWithTheOffset() {
    let n = 8, m = n + 2
    var rng = SeededGenerator(seed: 9)
    let kappa = GaussianRandomField().sample(gridSize: m, using: &rng).map { exp($0) }
    let a = DarcySequence.skrMatrix(coefficient: kappa, grid: n)
    let exact = DarcySequence.skrMatrix(coefficient: kappa, grid: n, exactColumnScaling: true)
    #expect(!a.isSymmetric(tolerance: 1e-6))
    // K·diag(κ): entry (i, j) = K_ij·κ_j.
    let k = Poisson.matrix2D(n).dense()
    let e = exact.dense(), d = a.dense()
    func node(_ j: Int) -> Double { kappa[(j % n + 1) + (j / n + 1) * m] }
    var differenceSquares = 0.0, normSquares = 0.0
    for i in 0..<n * n {
      for j in 0..<n * n {
        #expect(abs(e[i][j] - k[i][j] * node(j)) < 1e-14)
        normSquares += d[i][j] * d[i][j]
        if j == i - n {
          // The −N diagonal reads C[q / N][q mod N + 1], q = i − 2.
          let q = i - 2
          #expect(d[i][j] == -kappa[(q % n + 1) + (q / n) * m])
          differenceSquares += (d[i][j] - e[i][j]) * (d[i][j] - e[i][j])
        } else {
          #expect(d[i][j] == e[i][j])
        }
      }
    }
    // The offset is a small perturbation for a smooth field (≈ 7 % at N = 8, where two nodes are
    // a quarter of the correlation length; 0.8 % at N = 98).
    #expect((differenceSquares / normSquares).squareRoot() < 0.1)
    // Same pattern as the finite-volume matrix, and the same for every sample.
    let fv = DarcySequence.finiteVolumeMatrix(coefficient: kappa, grid: n)
    #expect(a.rowPointers == fv.rowPointers && a.columnIndices == fv.columnIndices)
    // Constant κ: both variants are 4·… the Laplacian stencil.
    let ones = [Double](repeating: 1, count: m * m)
    #expect(DarcySequence.skrMatrix(coefficient: ones, grid: n) == Poisson.matrix2D(n))
  }

  @Test func skrSequenceIsSolvedByGMRES() throws {
    let seq = DarcySequence.independent(grid: 10, count: 2, seed: 1, discretization: .skr)
    #expect(seq.discretization == .skr)
    for system in seq.systems {
      let result = try GMRES(stopping: .init(rtol: 1e-8), restart: 40).solve(system.matrix, system.rhs)
      #expect(result.converged)
      #expect(result.trueResidualNorm <= 1e-7 * result.rhsNorm)
    }
  }

  // MARK: Sequences

  @Test func slowlyVaryingCoefficientTurnsSlowly() {
    let seq = DarcySequence.slowlyVarying(grid: 8, count: 5, seed: 3)
    #expect(seq.count == 5)
    #expect(seq.systems[2].context == 2)
    var rng = SeededGenerator(seed: 3)
    let g1 = GaussianRandomField(standardDeviation: 1).sample(gridSize: 10, using: &rng)
    for (k, g) in zip(seq.coefficients[0], g1) { #expect(abs(log(k) - g) < 1e-12) }
    for t in 1..<5 {
      #expect(seq.systems[t].matrix.isSymmetric(tolerance: 0))
      let previous = seq.coefficients[t - 1].map { log($0) }, current = seq.coefficients[t].map { log($0) }
      let step = SystemOrdering.distance(previous, current) / Vector.norm(current)
      #expect(step < 0.1, "log κ moved by \(step) between steps")
    }
  }

  @Test func fixedOperatorRightHandSidesSpanTheFamily() {
    let n = 7
    let seq = DarcySequence.fixedOperator(grid: n, count: 6, seed: 2, familyDimension: 3)
    let a = seq.systems[0].matrix
    for system in seq.systems {
      #expect(system.matrix == a)
      #expect(system.matrix.values.withUnsafeBufferPointer { $0.baseAddress }
        == a.values.withUnsafeBufferPointer { $0.baseAddress })
    }
    // b₃, b₄, b₅ lie in span{b₀, b₁, b₂} (normal equations, 3 × 3).
    let basis = (0..<3).map { seq.systems[$0].rhs }
    var g = [[Double]](repeating: [Double](repeating: 0, count: 3), count: 3)
    for i in 0..<3 { for j in 0..<3 { g[i][j] = Vector.dot(basis[i], basis[j]) } }
    for t in 3..<6 {
      let b = seq.systems[t].rhs
      let rhs = (0..<3).map { Vector.dot(basis[$0], b) }
      let c = solve3(g, rhs)
      var r = b
      for i in 0..<3 { for k in 0..<r.count { r[k] -= c[i] * basis[i][k] } }
      #expect(Vector.norm(r) <= 1e-9 * Vector.norm(b))
    }
    // The default family has dimension 30 and distinct members.
    let family = DarcySequence.chebyshevFamily(grid: n, dimension: 30)
    #expect(family.count == 30)
    #expect(Set(family.map { $0.map { ($0 * 1e9).rounded() } }).count == 30)
    #expect(DarcySequence.chebyshevFamily(grid: n, dimension: 40).count == 40)
  }

  @Test func unitSourceCarriesTheMeshWidth() {
    let b = DarcySequence.unitSource(grid: 9)
    #expect(b.count == 81)
    #expect(abs(b[0] - 0.01) < 1e-15)
  }

  /// Cramer's rule for a 3 × 3 system.
  private func solve3(_ a: [[Double]], _ b: [Double]) -> [Double] {
    func det(_ m: [[Double]]) -> Double {
      m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    }
    let d = det(a)
    return (0..<3).map { col in
      var m = a
      for row in 0..<3 { m[row][col] = b[row] }
      return det(m) / d
    }
  }
}
