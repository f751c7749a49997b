import Foundation
import Testing
@testable import LinSolve
@testable import LinSolveMultigrid

/// The graph Laplacian of an `n × n` grid triangulated with randomly oriented diagonals — an
/// unstructured-like 2-D mesh — with unit edge weights: row sums 0, singular (constants), or
/// with `dirichlet` added to the diagonal of the first row to make it nonsingular.
private func triangulatedMeshLaplacian(_ n: Int, seed: UInt64, weights: ((Int, Int) -> Double)? = nil) throws -> SparseMatrix {
  var rng = TestRandom(seed: seed)
  var edges: [(Int, Int)] = []
  for y in 0..<n {
    for x in 0..<n {
      let i = y * n + x
      if x + 1 < n { edges.append((i, i + 1)) }
      if y + 1 < n { edges.append((i, i + n)) }
      if x + 1 < n && y + 1 < n { edges.append(rng.next() > 0 ? (i, i + n + 1) : (i + 1, i + n)) }
    }
  }
  var entries: [(row: Int, column: Int, value: Double)] = []
  var diagonal = [Double](repeating: 0, count: n * n)
  for (i, j) in edges {
    let w = weights?(i, j) ?? 1
    entries += [(i, j, -w), (j, i, -w)]
    diagonal[i] += w
    diagonal[j] += w
  }
  for i in 0..<(n * n) { entries.append((i, i, diagonal[i])) }
  return try SparseMatrix(rows: n * n, columns: n * n, entries: entries)
}

/// The 7-point operator of `−∇·(κ∇u)` on an `n³` grid with κ jumping by `contrast` between
/// the cells of a 4 × 4 × 4 checkerboard (harmonic face averages, Dirichlet boundary).
private func checkerboard3D(_ n: Int, contrast: Double) throws -> SparseMatrix {
  func kappa(_ x: Int, _ y: Int, _ z: Int) -> Double { ((x * 4 / n) + (y * 4 / n) + (z * 4 / n)) % 2 == 0 ? 1 : contrast }
  var builder = CoordinateBuilder(rows: n * n * n, columns: n * n * n)
  for z in 0..<n {
    for y in 0..<n {
      for x in 0..<n {
        let i = (z * n + y) * n + x, k = kappa(x, y, z)
        var d = 0.0
        for (dx, dy, dz) in [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)] {
          let (u, v, w) = (x + dx, y + dy, z + dz)
          guard (0..<n).contains(u), (0..<n).contains(v), (0..<n).contains(w) else {
            d += 2 * k
            continue
          }
          let kn = kappa(u, v, w), face = 2 * k * kn / (k + kn)
          try builder.append(row: i, column: (w * n + v) * n + u, value: -face)
          d += face
        }
        try builder.append(row: i, column: i, value: d)
      }
    }
  }
  return builder.build()
}

/// The geometric mean of `‖r_k‖/‖r_{k−1}‖` over `cycles` stationary AMG cycles
/// `x ← x + M⁻¹(b − Ax)` from 0, for a random `b` (projected off the constants when `singular`).
func convergenceFactor(_ a: SparseMatrix, _ amg: AlgebraicMultigrid, cycles: Int = 10, singular: Bool = false) -> Double {
  var rng = TestRandom(seed: 13)
  var b = rng.vector(a.rows)
  if singular {
    let mean = b.reduce(0, +) / Double(b.count)
    b = b.map { $0 - mean }
  }
  var x = [Double](repeating: 0, count: a.rows)
  var r = b
  for _ in 0..<cycles {
    let correction = amg.applied(to: r)
    for i in x.indices { x[i] += correction[i] }
    r = b
    a.multiply(x, into: &r, alpha: -1, beta: 1)
  }
  return pow(Vector.norm(r) / Vector.norm(b), 1 / Double(cycles))
}

@Suite("Algebraic multigrid on hard and singular problems")
struct MultigridRobustnessTests {
  // Measured (AMG-SA, Gauss–Seidel 1/1, V-cycle): ρ 0.32, 0.28, 0.31, 0.76, 0.34 and PCG
  // 10, 9, 9, 33, 11 iterations; the bounds leave about 25 % margin.
  @Test("Convergence factor per V-cycle, and PCG iterations, stay below bounds across problem classes", arguments: [
    ("2-D Poisson 96²", 0.4, 14), ("3-D Poisson 20³", 0.35, 12), ("anisotropic ε = 0.001, θ = 0.25", 0.4, 12),
    ("3-D checkerboard κ contrast 10⁴", 0.85, 42), ("2-D mesh Laplacian + Dirichlet row", 0.42, 14),
  ])
  func factor(problem: String, bound: Double, iterations: Int) throws {
    let a: SparseMatrix
    var options = MultigridOptions()
    switch problem {
    case let p where p.hasPrefix("2-D Poisson"): a = Poisson.matrix2D(96)
    case let p where p.hasPrefix("3-D Poisson"): a = Poisson.matrix3D(20)
    case let p where p.hasPrefix("anisotropic"):
      a = try anisotropic2D(64, epsilon: 0.001)
      options.theta = 0.25
    case let p where p.hasPrefix("3-D checkerboard"): a = try checkerboard3D(20, contrast: 1e4)
    default:
      let mesh = try triangulatedMeshLaplacian(60, seed: 2)
      a = mesh.addingToDiagonal(at: 0, 1)
    }
    let amg = try SmoothedAggregationAMG(a, options: options)
    let rho = convergenceFactor(a, amg)
    #expect(rho <= bound, "\(problem): ρ = \(rho), \(amg.summary!)")
    var rng = TestRandom(seed: 17)
    let b = rng.vector(a.rows)
    let result = try ConjugateGradient(stopping: StoppingCriterion(rtol: 1e-8, maxIterations: 300), preconditioner: amg).solve(a, b)
    #expect(result.iterations <= iterations, "\(problem): \(result.iterations) PCG iterations")
    #expect(result.converged && a.residualNorm(x: result.x, b: b) <= 1e-8 * Vector.norm(b) * 1.01)
  }

  @Test("A singular graph Laplacian (pure Neumann) gets a pseudo-inverse on the coarsest level; PCG converges")
  func singularGraphLaplacian() throws {
    for (n, seed) in [(50, UInt64(3)), (90, 4)] {
      var rng = TestRandom(seed: seed)
      let a = try triangulatedMeshLaplacian(n, seed: seed) { _, _ in exp(rng.next()) }
      let amg = try SmoothedAggregationAMG(a)
      let summary = try #require(amg.summary)
      #expect(summary.coarseSolver == "pseudo-inverse", "\(summary)")
      var rhs = TestRandom(seed: 9)
      var b = rhs.vector(a.rows)
      let mean = b.reduce(0, +) / Double(b.count)
      b = b.map { $0 - mean }  // consistent: b ⊥ constants
      let result = try ConjugateGradient(stopping: StoppingCriterion(rtol: 1e-8, maxIterations: 200), preconditioner: amg).solve(a, b)
      #expect(result.converged, "n = \(n): \(result.reason.rawValue) after \(result.iterations)")
      #expect(result.iterations <= 30, "n = \(n): \(result.iterations)")
      #expect(a.residualNorm(x: result.x, b: b) <= 1e-8 * Vector.norm(b) * 1.01)
      #expect(convergenceFactor(a, amg, singular: true) <= 0.6)  // measured 0.49
    }
  }

  @Test("The pseudo-inverse is A⁺: A·A⁺·b = b for b in the range, and A⁺·1 = 0 for the null space")
  func pseudoInverse() throws {
    let a = try triangulatedMeshLaplacian(8, seed: 5)
    let p = try DensePseudoInverse(a, symmetric: true)
    #expect(p.nullity == 1)
    var rhs = TestRandom(seed: 1)
    var b = rhs.vector(a.rows)
    let mean = b.reduce(0, +) / Double(b.count)
    b = b.map { $0 - mean }
    var x = [Double](repeating: 0, count: a.rows)
    b.withUnsafeBufferPointer { bp in x.withUnsafeMutableBufferPointer { p.solve(bp, into: $0) } }
    #expect(a.residualNorm(x: x, b: b) <= 1e-10 * Vector.norm(b))
    #expect(abs(x.reduce(0, +)) <= 1e-10 * Vector.norm(x) * Double(a.rows))  // minimum norm: ⊥ constants
    let ones = [Double](repeating: 1, count: a.rows)
    var z = ones
    ones.withUnsafeBufferPointer { bp in z.withUnsafeMutableBufferPointer { p.solve(bp, into: $0) } }
    #expect(Vector.norm(z) <= 1e-8)
    // Nonsymmetric path (SVD): a nonsingular nonsymmetric matrix gets its inverse.
    let m = try SparseMatrix(rows: 3, columns: 3, entries: [(0, 0, 2), (0, 1, 1), (1, 1, 3), (2, 0, -1), (2, 2, 1)])
    let q = try DensePseudoInverse(m, symmetric: false)
    #expect(q.nullity == 0)
    let c: [Double] = [1, 2, 3]
    var y = [Double](repeating: 0, count: 3)
    c.withUnsafeBufferPointer { cp in y.withUnsafeMutableBufferPointer { q.solve(cp, into: $0) } }
    #expect(m.residualNorm(x: y, b: c) <= 1e-12 * Vector.norm(c))
  }

  @Test("graphDimension: ≈ 1 for a path, ≈ 2 for 2-D grids and meshes (any stencil), ≈ 3 for 3-D; nil when too small or disconnected")
  func graphDimension() throws {
    #expect(abs(try #require(Poisson.matrix1D(2_000).graphDimension()) - 1) <= 0.15)
    #expect(abs(try #require(Poisson.matrix2D(120).graphDimension()) - 2) <= 0.35)
    #expect(abs(try #require(try triangulatedMeshLaplacian(120, seed: 1).graphDimension()) - 2) <= 0.35)
    let nine = Poisson.matrix2D(120).multiplied(by: Poisson.matrix2D(120))  // 13-point: a wider 2-D stencil
    #expect(abs(try #require(nine.graphDimension()) - 2) <= 0.35)
    #expect(abs(try #require(Poisson.matrix3D(40).graphDimension()) - 3) <= 0.5)
    #expect(Poisson.matrix2D(5).graphDimension() == nil)
    let disconnected = SparseMatrix.identity(1_000)
    #expect(disconnected.graphDimension() == nil)
    // auto: the 2-D mesh goes to AMG, the 3-D grid of the same order to IC(0).
    let mesh = try triangulatedMeshLaplacian(100, seed: 7).addingToDiagonal(at: 0, 1)
    #expect(AutoChoice.choose(for: mesh).preconditioner == .amgSA, "\(AutoChoice.choose(for: mesh))")
    #expect(AutoChoice.choose(for: Poisson.matrix3D(22)).preconditioner == .ic0)
  }
}

private extension SparseMatrix {
  /// `A` with `value` added to the diagonal entry of `row` (stored).
  func addingToDiagonal(at row: Int, _ value: Double) -> SparseMatrix {
    var copy = self
    for k in rowPointers[row]..<rowPointers[row + 1] where Int(columnIndices[k]) == row { copy.values[k] += value }
    return copy
  }
}

/// The 5-point operator of `−ε u_xx − u_yy` on an `n × n` grid (anisotropic diffusion).
func anisotropic2D(_ n: Int, epsilon: Double) throws -> SparseMatrix {
  var builder = CoordinateBuilder(rows: n * n, columns: n * n)
  for y in 0..<n {
    for x in 0..<n {
      let i = y * n + x
      try builder.append(row: i, column: i, value: 2 * epsilon + 2)
      if x > 0 { try builder.append(row: i, column: i - 1, value: -epsilon) }
      if x < n - 1 { try builder.append(row: i, column: i + 1, value: -epsilon) }
      if y > 0 { try builder.append(row: i, column: i - n, value: -1) }
      if y < n - 1 { try builder.append(row: i, column: i + n, value: -1) }
    }
  }
  return builder.build()
}

