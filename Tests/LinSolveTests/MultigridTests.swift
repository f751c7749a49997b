import Testing
import Foundation
@testable import LinSolve
@testable import LinSolveMultigrid

// MARK: - Helpers (file-private: other test files define their own)

/// A random `rows × columns` sparse matrix with about `density` of its entries stored; rows in
/// `emptyRows` store nothing.
private func randomSparse(
  rows: Int, columns: Int, density: Double, seed: UInt64, emptyRows: Set<Int> = []
) throws -> SparseMatrix {
  var rng = TestRandom(seed: seed)
  var entries: [(row: Int, column: Int, value: Double)] = []
  for i in 0..<rows where !emptyRows.contains(i) {
    for j in 0..<columns where (rng.next() + 1) / 2 < density { entries.append((i, j, rng.next())) }
  }
  return try SparseMatrix(rows: rows, columns: columns, entries: entries)
}

/// `A·B` for dense row-major matrices.
private func denseProduct(_ a: [[Double]], _ b: [[Double]], columns: Int) -> [[Double]] {
  var c = [[Double]](repeating: [Double](repeating: 0, count: columns), count: a.count)
  for i in a.indices {
    for k in b.indices where a[i][k] != 0 {
      for j in 0..<columns { c[i][j] += a[i][k] * b[k][j] }
    }
  }
  return c
}

/// PCG + AMG-SA on `a` with a fixed random right-hand side; checks convergence by the true
/// residual and returns the iteration count and the hierarchy.
private func pcgWithAMG(
  _ a: SparseMatrix, options: SmoothedAggregationAMG.Options = .init(), seed: UInt64 = 7
) throws -> (iterations: Int, summary: MultigridHierarchySummary) {
  var rng = TestRandom(seed: seed)
  let b = rng.vector(a.rows)
  let amg = try SmoothedAggregationAMG(a, options: options)
  let result = try ConjugateGradient(stopping: StoppingCriterion(rtol: 1e-8, maxIterations: 500), preconditioner: amg)
    .solve(a, b)
  #expect(result.converged, "\(result.reason) after \(result.iterations)")
  #expect(a.residualNorm(x: result.x, b: b) <= 1e-8 * Vector.norm(b) * 1.01)
  return (result.iterations, try #require(amg.summary))
}

@Suite("Algebraic multigrid (smoothed aggregation)")
struct MultigridTests {
  // MARK: SpGEMM

  @Test("SpGEMM equals the dense product (square, rectangular, empty rows and columns)", arguments: [
    (1, 1, 1), (5, 7, 3), (30, 20, 40), (40, 40, 40), (3, 50, 2), (60, 1, 25), (0, 4, 3), (4, 0, 3),
  ])
  func spgemm(m: Int, k: Int, n: Int) throws {
    for (trial, density) in [0.05, 0.2, 0.6].enumerated() {
      let seed = UInt64(m * 10_000 + k * 100 + n + trial * 7)
      let a = try randomSparse(rows: m, columns: k, density: density, seed: seed, emptyRows: [0, m / 2])
      let b = try randomSparse(rows: k, columns: n, density: density, seed: seed &+ 99, emptyRows: [k - 1])
      let c = a.multiplied(by: b)
      #expect(c.rows == m && c.columns == n)
      // Sorted, no duplicates, consistent: the checked initializer accepts the arrays.
      _ = try SparseMatrix(
        rows: c.rows, columns: c.columns, rowPointers: c.rowPointers, columnIndices: c.columnIndices, values: c.values)
      let expected = denseProduct(a.dense(), b.dense(), columns: n)
      let got = c.dense()
      for i in 0..<m {
        for j in 0..<n { #expect(abs(got[i][j] - expected[i][j]) <= 1e-12 * max(1, abs(expected[i][j]))) }
      }
    }
  }

  @Test("The Galerkin product of a nonsymmetric matrix is its PᵀAP, not symmetrized")
  func galerkinNonsymmetric() throws {
    let a = try randomSparse(rows: 30, columns: 30, density: 0.2, seed: 41)
    let p = try randomSparse(rows: 30, columns: 8, density: 0.3, seed: 42)
    let ac = GalerkinProduct.coarseOperator(a, prolongator: p, restriction: p.transposed(), symmetric: false)
    let pd = p.dense(), ad = a.dense(), acd = ac.dense()
    var asymmetry = 0.0
    for i in 0..<8 {
      for j in 0..<8 {
        var s = 0.0
        for k in 0..<30 { for l in 0..<30 { s += pd[k][i] * ad[k][l] * pd[l][j] } }
        #expect(abs(acd[i][j] - s) <= 1e-12 * max(1, abs(s)))
        asymmetry = max(asymmetry, abs(acd[i][j] - acd[j][i]))
      }
    }
    #expect(asymmetry > 1e-3)
  }

  @Test("SpGEMM with the identity returns the matrix")
  func spgemmIdentity() throws {
    let a = try randomSparse(rows: 25, columns: 25, density: 0.3, seed: 3)
    #expect(SparseMatrix.identity(25).multiplied(by: a) == a)
    #expect(a.multiplied(by: SparseMatrix.identity(25)) == a)
  }

  // MARK: Setup pieces

  @Test("Standard aggregation assigns every connected node to exactly one aggregate", arguments: [7, 20, 33])
  func aggregation(n: Int) throws {
    for a in [Poisson.matrix2D(n), Poisson.matrix1D(n * n), try anisotropic2D(n, epsilon: 0.01)] {
      for theta in [0.0, 0.25] {
        let graph = StrengthOfConnection(theta: theta).graph(of: a, diagonal: a.diagonal())
        let aggregation = StandardAggregation.aggregate(graph)
        #expect(aggregation.count > 0 && aggregation.count < a.rows)
        var sizes = [Int](repeating: 0, count: aggregation.count)
        for i in 0..<a.rows {
          let assigned = try #require(aggregation.aggregateOf[i], "node \(i) unassigned")
          sizes[Int(assigned)] += 1
        }
        #expect(sizes.allSatisfy { $0 > 0 })
        #expect(sizes.reduce(0, +) == a.rows)
        for (agg, root) in aggregation.roots.enumerated() { #expect(aggregation.aggregateOf[root] == Int32(agg)) }
      }
    }
  }

  @Test("Isolated nodes (no strong neighbours) belong to no aggregate")
  func isolatedNodes() throws {
    // A 1-D Laplacian on 0..<10 and 3 decoupled nodes 10, 11, 12.
    var builder = CoordinateBuilder(rows: 13, columns: 13)
    for i in 0..<10 {
      try builder.append(row: i, column: i, value: 2)
      if i > 0 { try builder.append(row: i, column: i - 1, value: -1) }
      if i < 9 { try builder.append(row: i, column: i + 1, value: -1) }
    }
    for i in 10..<13 { try builder.append(row: i, column: i, value: 3) }
    let a = builder.build()
    let aggregation = StandardAggregation.aggregate(StrengthOfConnection().graph(of: a, diagonal: a.diagonal()))
    #expect((0..<10).allSatisfy { aggregation.aggregateOf[$0] != nil })
    #expect((10..<13).allSatisfy { aggregation.aggregateOf[$0] == nil })
    // And the preconditioner still works (PCG converges).
    let options = SmoothedAggregationAMG.Options(maxCoarse: 2)
    _ = try pcgWithAMG(a, options: options)
  }

  @Test("Strength θ drops weak connections: only the strong direction of an anisotropic operator")
  func strength() throws {
    let a = try anisotropic2D(10, epsilon: 0.01)
    let graph = StrengthOfConnection(theta: 0.25).graph(of: a, diagonal: a.diagonal())
    // |−ε| = 0.01 < 0.25·2.02: weak; |−1| ≥ 0.25·2.02: strong. So only ±n neighbours remain.
    for i in 0..<a.rows {
      for k in graph.rowPointers[i]..<graph.rowPointers[i + 1] { #expect(abs(Int(graph.neighbours[k]) - i) == 10) }
    }
    #expect(StrengthOfConnection().graph(of: a, diagonal: a.diagonal()).neighbours.count == a.nonzeros - a.rows)
  }

  @Test("The tentative prolongator has orthonormal columns and reproduces the candidate")
  func tentative() throws {
    let a = Poisson.matrix2D(12)
    let aggregation = StandardAggregation.aggregate(StrengthOfConnection().graph(of: a, diagonal: a.diagonal()))
    let t = TentativeProlongator(aggregation: aggregation, candidate: [Double](repeating: 1, count: a.rows))
    let gram = t.matrix.transposed().multiplied(by: t.matrix)
    // TᵀT = I: disjoint aggregates leave only the diagonal, and each column has norm 1.
    #expect(gram.nonzeros == aggregation.count)
    #expect(gram.diagonal().allSatisfy { abs($0 - 1) < 1e-14 })
    var reproduced = [Double](repeating: 0, count: a.rows)
    t.matrix.multiply(t.coarseCandidate, into: &reproduced)
    #expect(reproduced.allSatisfy { abs($0 - 1) < 1e-14 })
  }

  @Test("The hierarchy coarsens at every level, with complexities in range, and its coarse operators are symmetric")
  func galerkin() throws {
    let a = Poisson.matrix2D(12)
    let aggregation = StandardAggregation.aggregate(StrengthOfConnection().graph(of: a, diagonal: a.diagonal()))
    let t = TentativeProlongator(aggregation: aggregation, candidate: [Double](repeating: 1, count: a.rows))
    let d = a.diagonal()
    let p = SmoothedProlongator.smooth(t.matrix, with: a, diagonal: d, omega: SmoothedProlongator.omega(a, diagonal: d))
    let ac = GalerkinProduct.coarseOperator(a, prolongator: p, restriction: p.transposed(), symmetric: true)
    #expect(ac.rows == aggregation.count && ac.isSymmetric())
    #expect(ac.diagonal().allSatisfy { $0 > 0 })
    // Against the dense PᵀAP.
    let pd = p.dense(), ad = a.dense(), acd = ac.dense()
    for i in 0..<ac.rows {
      for j in 0..<ac.columns {
        var s = 0.0
        for k in 0..<a.rows where pd[k][i] != 0 {
          for l in 0..<a.rows where pd[l][j] != 0 { s += pd[k][i] * ad[k][l] * pd[l][j] }
        }
        #expect(abs(acd[i][j] - s) <= 1e-12)
      }
    }
    let amg = try SmoothedAggregationAMG(Poisson.matrix2D(40), options: .init(maxCoarse: 50))
    let summary = try #require(amg.summary)
    #expect(summary.levels.count >= 3)
    #expect(summary.levels[0].rows == 1600)
    for l in 1..<summary.levels.count { #expect(summary.levels[l].rows < summary.levels[l - 1].rows) }
    #expect(summary.operatorComplexity > 1 && summary.operatorComplexity < 2)
    #expect(summary.gridComplexity > 1 && summary.gridComplexity < 1.5)
    #expect(summary.coarseSolver == "cholesky")
    #expect(summary.description.contains("operator complexity"))
  }

  // MARK: The preconditioner

  @Test("The V-cycle is a symmetric operator (xᵀM⁻¹y = yᵀM⁻¹x) and ignores what z held", arguments: [
    MultigridSmoother.gaussSeidel, .jacobi,
  ])
  func symmetric(smoother: MultigridSmoother) throws {
    let a = Poisson.matrix2D(30)
    let amg = try SmoothedAggregationAMG(a, options: .init(maxCoarse: 40, smoother: smoother))
    var rng = TestRandom(seed: 11)
    let x = rng.vector(a.rows), y = rng.vector(a.rows)
    let mx = amg.applied(to: x), my = amg.applied(to: y)
    let left = Vector.dot(y, mx), right = Vector.dot(x, my)
    #expect(abs(left - right) <= 1e-10 * abs(left))
    #expect(Vector.dot(x, mx) > 0)
    var z = [Double](repeating: .nan, count: a.rows)
    x.withUnsafeBufferPointer { xp in z.withUnsafeMutableBufferPointer { amg.apply(xp, into: $0) } }
    #expect(z == mx)
  }

  @Test("PCG + AMG-SA on 2-D Poisson: ≤ 20 iterations, growing at most 1.5× from n = 32 to 128")
  func poisson2D() throws {
    var iterations: [Int] = []
    for n in [32, 64, 128] {
      let (k, summary) = try pcgWithAMG(Poisson.matrix2D(n))
      #expect(k <= 20, "n = \(n): \(k) iterations")
      #expect(summary.operatorComplexity < 2)
      iterations.append(k)
    }
    #expect(Double(iterations[2]) <= 1.5 * Double(iterations[0]), "\(iterations)")
  }

  @Test("PCG + AMG-SA on 3-D Poisson converges in ≤ 20 iterations")
  func poisson3D() throws {
    let (k, summary) = try pcgWithAMG(Poisson.matrix3D(24))
    #expect(k <= 20, "\(k) iterations")
    #expect(summary.levels.count >= 2)
  }

  @Test("PCG + AMG-SA on anisotropic diffusion (ε = 0.01) converges", arguments: [0.0, 0.25])
  func anisotropic(theta: Double) throws {
    let (k, _) = try pcgWithAMG(try anisotropic2D(64, epsilon: 0.01), options: .init(theta: theta))
    #expect(k <= 60, "θ = \(theta): \(k) iterations")
  }

  @Test("PCG + AMG-SA with the Jacobi smoother converges")
  func jacobiSmoother() throws {
    let (k, _) = try pcgWithAMG(Poisson.matrix2D(64), options: .init(smoother: .jacobi))
    #expect(k <= 20, "\(k) iterations")
  }

  @Test("The stationary iteration x ← x + M⁻¹(b − Ax) reduces the residual by ≤ 0.5 per cycle on 2-D Poisson 64")
  func convergenceFactor() throws {
    let a = Poisson.matrix2D(64)
    let amg = try SmoothedAggregationAMG(a)
    var rng = TestRandom(seed: 5)
    let b = rng.vector(a.rows)
    var x = [Double](repeating: 0, count: a.rows)
    var previous = Vector.norm(b)
    var factors: [Double] = []
    for _ in 0..<25 {
      var r = b
      a.multiply(x, into: &r, alpha: -1, beta: 1)
      let norm = Vector.norm(r)
      factors.append(norm / previous)
      previous = norm
      let correction = amg.applied(to: r)
      for i in x.indices { x[i] += correction[i] }
    }
    // The first ratio is 1 (x = 0); the rest are the cycle's contraction.
    for factor in factors.dropFirst() { #expect(factor <= 0.5, "\(factors)") }
  }

  @Test("A W-cycle contracts at least as fast as a V-cycle, and PCG + AMG-SA with it needs no more iterations")
  func wCycle() throws {
    let a = try anisotropic2D(64, epsilon: 0.05)
    func factor(_ cycle: MultigridCycle) throws -> Double {
      let amg = try SmoothedAggregationAMG(a, options: .init(maxCoarse: 20, cycle: cycle))
      var rng = TestRandom(seed: 9)
      let b = rng.vector(a.rows)
      var x = [Double](repeating: 0, count: a.rows)
      var r = b
      for _ in 0..<8 {
        let correction = amg.applied(to: r)
        for i in x.indices { x[i] += correction[i] }
        r = b
        a.multiply(x, into: &r, alpha: -1, beta: 1)
      }
      return pow(Vector.norm(r) / Vector.norm(b), 1.0 / 8)
    }
    let v = try factor(.v), w = try factor(.w)
    #expect(w < 1 && w <= v * 1.001, "W \(w), V \(v)")
    let (kV, _) = try pcgWithAMG(a, options: .init(maxCoarse: 20))
    let (kW, summary) = try pcgWithAMG(a, options: .init(maxCoarse: 20, cycle: .w))
    #expect(summary.levels.count >= 3)
    #expect(kW <= kV, "W \(kW), V \(kV)")
  }

  @Test("A matrix small enough is solved directly on one level")
  func oneLevel() throws {
    let a = Poisson.matrix2D(10)
    let amg = try SmoothedAggregationAMG(a)
    #expect(amg.summary?.levels.count == 1)
    let b = [Double](repeating: 1, count: a.rows)
    #expect(a.residualNorm(x: amg.applied(to: b), b: b) <= 1e-12 * Vector.norm(b))
  }

  @Test("setUp refuses a zero or negative diagonal, a nonsymmetric, non-square or non-finite matrix")
  func refusals() throws {
    let zeroDiagonal = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 0, 1), (0, 1, 1), (1, 0, 1)])
    #expect(throws: LinSolveError.zeroDiagonal(row: 1)) { try SmoothedAggregationAMG(zeroDiagonal) }
    let negative = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 0, 1), (1, 1, -2)])
    #expect(throws: LinSolveError.self) { try SmoothedAggregationAMG(negative) }
    let nonsymmetric = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 0, 2), (0, 1, -1), (1, 1, 2)])
    do {
      _ = try SmoothedAggregationAMG(nonsymmetric)
      Issue.record("a nonsymmetric matrix was accepted")
    } catch let LinSolveError.invalidParameter(_, reason) {
      #expect(reason.contains("symmetric"))
    }
    let rectangular = try SparseMatrix(rows: 2, columns: 3, entries: [(0, 0, 1), (1, 1, 1)])
    #expect(throws: LinSolveError.notSquare(rows: 2, columns: 3)) { try SmoothedAggregationAMG(rectangular) }
    let nan = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 0, 1), (1, 1, .nan)])
    #expect(throws: LinSolveError.nonFinite(what: "the matrix")) { try SmoothedAggregationAMG(nan) }
    #expect(throws: LinSolveError.self) { try SmoothedAggregationAMG(options: .init(theta: -1)) }
  }

  @Test("PreparedSolver: pcg + amg-sa solves and notes the hierarchy; recycling refuses amg-sa")
  func prepared() throws {
    let a = Poisson.matrix2D(40)
    let b = [Double](repeating: 1, count: a.rows)
    let solver = PreparedSolver(SolverConfiguration(method: .pcg, preconditioner: .amgSA))
    try solver.setUp(for: a)
    let result = try solver.solve(a, b).result
    #expect(result.converged)
    #expect(solver.preconditionerName == "amg-sa")
    #expect(solver.notes.contains { $0.contains("operator complexity") })
    #expect(throws: LinSolveError.self) {
      try RecyclingSequenceSolver(method: .cg, recycleDimension: 4, preconditioner: .amgSA)
    }
  }
}
