import Foundation
import Testing
@testable import LinSolve
@testable import LinSolveMultigrid

@Suite("Classical (Ruge–Stüben) algebraic multigrid")
struct RugeStubenTests {
  @Test("Classical strength: only negative couplings of at least θ·max are strong; Sᵀ reverses S")
  func strength() throws {
    // Row 0: −4 (strong), −1 (weak at θ = 0.25), +2 (positive: never strong).
    let a = try SparseMatrix(rows: 4, columns: 4, entries: [
      (0, 0, 8), (0, 1, -4), (0, 2, -0.9), (0, 3, 2),
      (1, 0, -4), (1, 1, 5), (2, 0, -0.9), (2, 2, 3), (3, 0, 2), (3, 3, 4),
    ])
    let s = ClassicalStrengthOfConnection(theta: 0.25).graph(of: a)
    #expect(Array(s.neighbours[s.rowPointers[0]..<s.rowPointers[1]]) == [1])
    #expect(Array(s.neighbours[s.rowPointers[2]..<s.rowPointers[3]]) == [0])
    #expect(s.degree(of: 3) == 0)
    let st = s.transposed()
    #expect(Array(st.neighbours[st.rowPointers[0]..<st.rowPointers[1]]) == [1, 2])
    #expect(st.transposed() == s)
  }

  @Test("RS splitting of 1-D Poisson alternates C and F; every F point with a strong neighbour has a strong C neighbour")
  func splitting() throws {
    let a = Poisson.matrix1D(31)
    let s = ClassicalStrengthOfConnection().graph(of: a)
    let split = CoarseFineSplitting.rugeStuben(strength: s, dependents: s.transposed())
    for i in 1..<31 { #expect(split.isCoarse[i] != split.isCoarse[i - 1], "points \(i - 1), \(i)") }
    for matrix in [Poisson.matrix2D(40), Poisson.matrix3D(12), try anisotropic2D(30, epsilon: 0.01)] {
      let s = ClassicalStrengthOfConnection().graph(of: matrix)
      let split = CoarseFineSplitting.rugeStuben(strength: s, dependents: s.transposed())
      #expect(split.coarseCount > 0 && split.coarseCount < matrix.rows)
      for i in 0..<matrix.rows where !split.isCoarse[i] && s.degree(of: i) > 0 {
        let neighbours = s.neighbours[s.rowPointers[i]..<s.rowPointers[i + 1]]
        #expect(neighbours.contains { split.isCoarse[Int($0)] }, "F point \(i) has no strong C neighbour")
      }
    }
  }

  @Test("Classical interpolation reproduces constants on rows with zero row sum, C rows are identity rows")
  func interpolation() throws {
    // Interior rows of a Neumann-like Laplacian have zero row sums: P·1 = 1 there.
    let a = Poisson.matrix2D(20)
    let d = a.diagonal()
    let s = ClassicalStrengthOfConnection().graph(of: a)
    let split = CoarseFineSplitting.rugeStuben(strength: s, dependents: s.transposed())
    for limit in [0, 4, 2] {
      let p = ClassicalInterpolation(maxEntries: limit).prolongator(for: a, diagonal: d, strength: s, splitting: split)
      #expect(p.rows == a.rows && p.columns == split.coarseCount)
      let ones = [Double](repeating: 1, count: p.columns)
      var pc = [Double](repeating: 0, count: p.rows)
      p.multiply(ones, into: &pc)
      for y in 1..<19 {
        for x in 1..<19 {
          let i = y * 20 + x
          var rowSum = 0.0
          for k in a.rowPointers[i]..<a.rowPointers[i + 1] { rowSum += a.values[k] }
          guard rowSum == 0 else { continue }
          #expect(abs(pc[i] - 1) <= 1e-12, "row \(i), limit \(limit): P·1 = \(pc[i])")
        }
      }
      for i in 0..<a.rows where split.isCoarse[i] {
        #expect(p.rowPointers[i + 1] - p.rowPointers[i] == 1 && p.values[p.rowPointers[i]] == 1)
      }
      if limit > 0 { for i in 0..<p.rows { #expect(p.rowPointers[i + 1] - p.rowPointers[i] <= limit) } }
    }
  }

  // Measured: ρ 0.18, 0.24, 0.19, 0.19 and PCG 7, 8, 7, 8 iterations (operator complexity 2.2, 3.2, 2.6, 2.3).
  @Test("Convergence factor per V-cycle and PCG iterations stay below bounds", arguments: [
    ("2-D Poisson 128²", 0.25, 9), ("3-D Poisson 24³", 0.3, 10), ("anisotropic ε = 0.001", 0.25, 9),
    ("2-D diffusion, jumping κ", 0.25, 10),
  ])
  func factor(problem: String, bound: Double, iterations: Int) throws {
    let a: SparseMatrix
    switch problem {
    case let p where p.hasPrefix("2-D Poisson"): a = Poisson.matrix2D(128)
    case let p where p.hasPrefix("3-D Poisson"): a = Poisson.matrix3D(24)
    case let p where p.hasPrefix("anisotropic"): a = try anisotropic2D(64, epsilon: 0.001)
    default: a = Diffusion.matrix2D(96, coefficient: { x, y in (x < 0.5) == (y < 0.5) ? 1 : 1e4 })
    }
    let amg = try RugeStubenAMG(a)
    let rho = convergenceFactor(a, amg)
    #expect(rho <= bound, "\(problem): ρ = \(rho), \(amg.summary!)")
    var rng = TestRandom(seed: 17)
    let b = rng.vector(a.rows)
    let result = try ConjugateGradient(stopping: StoppingCriterion(rtol: 1e-8, maxIterations: 300), preconditioner: amg).solve(a, b)
    #expect(result.iterations <= iterations, "\(problem): \(result.iterations) PCG iterations, \(amg.summary!)")
    #expect(result.converged && a.residualNorm(x: result.x, b: b) <= 1e-8 * Vector.norm(b) * 1.01)
  }

  @Test("Refresh on identical values equals a full set-up; a new pattern rebuilds")
  func refreshEqualsRebuild() throws {
    let a = Poisson.matrix2D(40)
    let built = try RugeStubenAMG(a)
    let refreshed = try RugeStubenAMG(a)
    try refreshed.refresh(for: a)
    #expect(refreshed.refreshes == 1 && refreshed.builds == 1)
    var rng = TestRandom(seed: 5)
    let r = rng.vector(a.rows)
    #expect(built.applied(to: r) == refreshed.applied(to: r))
    let shifted = a.shifted(by: 0.05)
    try refreshed.refresh(for: shifted)
    let result = try ConjugateGradient(stopping: StoppingCriterion(rtol: 1e-8), preconditioner: refreshed).solve(shifted, r)
    #expect(result.converged && result.iterations <= 12, "\(result.iterations)")
    try refreshed.refresh(for: Poisson.matrix2D(30))
    #expect(refreshed.builds == 2)
  }

  @Test("Nonsymmetric convection–diffusion: GMRES + RS AMG converges fast; smoothed aggregation refuses it")
  func nonsymmetric() throws {
    let a = Diffusion.convectionDiffusion2D(64, beta: (x: 20, y: 10))
    #expect(!a.isSymmetric(tolerance: 1e-12))
    var rng = TestRandom(seed: 8)
    let b = rng.vector(a.rows)
    let amg = try RugeStubenAMG(a)
    let stopping = StoppingCriterion(rtol: 1e-8, maxIterations: 400)
    let result = try GMRES(stopping: stopping, restart: 30, preconditioner: amg).solve(a, b)
    #expect(result.converged && a.residualNorm(x: result.x, b: b) <= 1e-8 * Vector.norm(b) * 1.01)
    let plain = try GMRES(stopping: stopping, restart: 30).solve(a, b)
    #expect(result.iterations * 5 <= plain.iterations, "GMRES + amg \(result.iterations), GMRES \(plain.iterations)")
    #expect(throws: LinSolveError.self) { try SmoothedAggregationAMG(a) }
  }

  @Test("Bad input: zero or negative diagonal, non-square, NaN — clear errors, nothing built")
  func badInput() throws {
    let zero = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 0, 1), (0, 1, -1), (1, 0, -1)])
    #expect(throws: LinSolveError.zeroDiagonal(row: 1)) { try RugeStubenAMG(zero) }
    let negative = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 0, 1), (1, 1, -2)])
    #expect(throws: LinSolveError.self) { try RugeStubenAMG(negative) }
    let rectangular = try SparseMatrix(rows: 2, columns: 3, entries: [(0, 0, 1), (1, 1, 1)])
    #expect(throws: LinSolveError.notSquare(rows: 2, columns: 3)) { try RugeStubenAMG(rectangular) }
    let nan = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 0, .nan), (1, 1, 1)])
    #expect(throws: LinSolveError.self) { try RugeStubenAMG(nan) }
    // A diagonal matrix cannot be coarsened: one level, solved directly; still exact.
    let diagonal = try SparseMatrix(rows: 3, columns: 3, entries: [(0, 0, 2), (1, 1, 3), (2, 2, 4)])
    let amg = try RugeStubenAMG(diagonal)
    #expect(amg.summary?.levels.count == 1)
    #expect(zip(amg.applied(to: [2, 3, 4]), [1.0, 1, 1]).allSatisfy { abs($0 - $1) <= 1e-14 })
  }

  @Test("Cycle complexity: the entries a cycle reads over nnz(A); ≤ 10 SpMV-equivalents for both AMGs on 2-D Poisson")
  func cycleComplexity() throws {
    let levels: [MultigridHierarchySummary.Level] = [.init(rows: 100, nonzeros: 500, transferNonzeros: 200), .init(rows: 25, nonzeros: 100)]
    #expect(MultigridHierarchySummary(levels: levels, coarseSolver: "cholesky").cycleComplexity == 3.6)  // (3·500 + 200 + 100)/500
    #expect(MultigridHierarchySummary(levels: levels, coarseSolver: "cholesky", coarseVisits: 2).cycleComplexity == 3.8)
    let a = Poisson.matrix2D(96)
    for amg in [try RugeStubenAMG(a) as AlgebraicMultigrid, try SmoothedAggregationAMG(a)] {
      let summary = try #require(amg.summary)
      #expect(summary.cycleComplexity > 3 * summary.operatorComplexity && summary.cycleComplexity <= 10, "\(amg.name): \(summary)")
    }
  }

  // Measured on 2-D Poisson 96² (ρ per V(1,1)-cycle and PCG iterations, RS / SA): Gauss–Seidel
  // 0.17 / 0.32 (7 / 10), Jacobi 0.16 / 0.44 (7 / 12), l1-Jacobi 0.31 / 0.56 (10 / 17),
  // Chebyshev 0.05 / 0.20 (5 / 8).
  @Test("Every smoother gives a convergent, symmetric cycle: PCG converges with both AMGs", arguments: MultigridSmoother.allCases)
  func smoothers(smoother: MultigridSmoother) throws {
    let a = Poisson.matrix2D(96)
    var rng = TestRandom(seed: 3)
    let b = rng.vector(a.rows)
    for amg in [try RugeStubenAMG(a, options: .init(smoother: smoother)) as AlgebraicMultigrid,
                try SmoothedAggregationAMG(a, options: .init(smoother: smoother))] {
      let rho = convergenceFactor(a, amg)
      #expect(rho < 0.7, "\(amg.name) + \(smoother.rawValue): ρ = \(rho)")
      // Symmetric: ⟨M⁻¹u, v⟩ = ⟨u, M⁻¹v⟩.
      let u = rng.vector(a.rows), v = rng.vector(a.rows)
      let left = Vector.dot(amg.applied(to: u), v), right = Vector.dot(u, amg.applied(to: v))
      #expect(abs(left - right) <= 1e-10 * max(abs(left), 1), "\(amg.name) + \(smoother.rawValue): \(left) vs \(right)")
      let result = try ConjugateGradient(stopping: StoppingCriterion(rtol: 1e-8, maxIterations: 200), preconditioner: amg).solve(a, b)
      #expect(result.converged && result.iterations <= 21, "\(amg.name) + \(smoother.rawValue): \(result.iterations)")
    }
  }

  @Test("Spectral radius of D⁻¹A by 10 Lanczos steps: within 2 % below the exact value on Poisson 1-D/2-D (15 power steps: 3.5 % on 2-D)")
  func spectralRadius() throws {
    for n in [50, 400] {
      let exact = 1 - cos(Double(n) * Double.pi / Double(n + 1))  // D⁻¹A = A/2 for the 1-D Laplacian
      let estimate = SpectralRadiusEstimate.jacobi(Poisson.matrix1D(n), diagonal: [Double](repeating: 2, count: n))
      #expect(estimate <= exact * (1 + 1e-12) && estimate >= 0.98 * exact, "n = \(n): \(estimate) vs \(exact)")
    }
    let a = Poisson.matrix2D(60)
    let exact2D = 1 - cos(60 * Double.pi / 61)  // (λ_max of the 1-D factor, twice) / 4
    let estimate2D = SpectralRadiusEstimate.jacobi(a, diagonal: a.diagonal())
    #expect(estimate2D <= exact2D * (1 + 1e-12) && estimate2D >= 0.98 * exact2D, "\(estimate2D) vs \(exact2D)")
    // A diagonal matrix: D⁻¹A = I, found in one step (invariant subspace).
    let identityLike = try SparseMatrix(rows: 3, columns: 3, entries: [(0, 0, 2), (1, 1, 5), (2, 2, 7)])
    #expect(abs(SpectralRadiusEstimate.jacobi(identityLike, diagonal: [2, 5, 7]) - 1) < 1e-12)
  }
}
