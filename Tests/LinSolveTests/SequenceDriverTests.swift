import Testing
import Foundation

@testable import LinSolve

/// The library drivers the CLI calls: `PreparedSolver` for every method, `AutoChoice` and
/// `solve(A, b)`, the ω-tuned and recycling sequence solvers.
@Suite("Drivers: prepared solvers, auto, sequences")
struct SequenceDriverTests {
  static let poisson = Poisson.matrix2D(12)

  @Test("PreparedSolver solves with every square method, judged by the true residual", arguments: [
    (SolverMethod.cg, PreconditionerKind.none), (.pcg, .jacobi), (.pcg, .ic0), (.sor, .none), (.ssor, .none),
    (.gmres, .ilu0), (.minres, .none), (.bicgstab, .jacobi), (.cholesky, .none), (.lu, .none),
    (.pcg, .amgSA), (.amg, .none),
  ])
  func everyMethod(method: SolverMethod, preconditioner: PreconditionerKind) throws {
    let a = Self.poisson
    let b = a.applied(to: [Double](repeating: 1, count: a.columns))
    let configuration = SolverConfiguration(
      method: method, preconditioner: preconditioner, stopping: StoppingCriterion(rtol: 1e-10), omega: 1.5)
    let solver = PreparedSolver(configuration)
    try solver.setUp(for: a)
    let outcome = try solver.solve(a, b)
    #expect(outcome.result.converged, "\(method): \(outcome.result.reason)")
    #expect(a.residualNorm(x: outcome.result.x, b: b) <= 1e-10 * Vector.norm(b) * (1 + 1e-9))
  }

  @Test("auto picks by shape and solve(A, b) follows it")
  func auto() throws {
    let a = Self.poisson
    let choice = AutoChoice.choose(for: a)
    #expect(choice.method == .cholesky)
    #expect(choice.why.contains("symmetric with a positive diagonal"))
    let b = [Double](repeating: 1, count: a.rows)
    let solution = try solve(a, b)
    #expect(solution.outcome.result.converged)
    #expect(solution.method == .cholesky)
    // Large SPD-like: AMG for 2-D stencils, IC(0) for moderate 3-D ones.
    let large2D = AutoChoice.choose(for: Poisson.matrix2D(100))
    #expect(large2D.method == .pcg && large2D.preconditioner == .amgSA, "\(large2D)")
    let large3D = AutoChoice.choose(for: Poisson.matrix3D(24))
    #expect(large3D.method == .pcg && large3D.preconditioner == .ic0, "\(large3D)")
    #expect(large3D.why.contains("3-D-like"))
    // Mass-dominated (a 3-D backward-Euler step I + s·P): PCG + Jacobi, within its Gershgorin bound.
    var step = Poisson.matrix3D(24)
    for k in step.values.indices { step.values[k] *= 5 }
    for p in step.diagonalPositions() { step.values[p!] += 1 }
    let massDominated = AutoChoice.choose(for: step)
    #expect(massDominated.method == .pcg && massDominated.preconditioner == .jacobi, "\(massDominated)")
    let bound = try #require(AutoChoice.jacobiConditionBound(step))
    #expect(abs(bound - 61) < 1e-9, "(1 + 30/31)/(1 − 30/31) = 61: \(bound)")
    #expect(AutoChoice.jacobiConditionBound(Poisson.matrix3D(24)) == nil, "a Laplacian is not strictly dominant")
    let jacobi = try solve(step, [Double](repeating: 1, count: step.rows))
    #expect(jacobi.outcome.result.converged)
    #expect(Double(jacobi.outcome.result.iterations) <= 0.5 * bound.squareRoot() * log(2 / 1e-8) + 5)
    // Nonsymmetric M-matrix (convection–diffusion): GMRES + Ruge–Stüben AMG; signs mixed: ILU(0).
    let nonsymmetric = AutoChoice.choose(for: Diffusion.convectionDiffusion2D(80, beta: (x: 20, y: 10)))
    #expect(nonsymmetric.method == .gmres && nonsymmetric.preconditioner == .amg, "\(nonsymmetric)")
    var mixed = Diffusion.convectionDiffusion2D(80, beta: (x: 20, y: 10))
    for k in mixed.values.indices where mixed.values[k] < 0 && k % 2 == 0 { mixed.values[k] = -mixed.values[k] }
    #expect(AutoChoice.choose(for: mixed).preconditioner == .ilu0, "\(AutoChoice.choose(for: mixed))")
    // Anisotropic: Ruge–Stüben; not an M-matrix (Poisson², 13 points, positive couplings): IC(0).
    let anisotropic = AutoChoice.choose(for: try anisotropic2D(80, epsilon: 0.001))
    #expect(anisotropic.preconditioner == .amg && anisotropic.why.contains("anisotropic"), "\(anisotropic)")
    let squared = Poisson.matrix2D(80).multiplied(by: Poisson.matrix2D(80))
    let biharmonic = AutoChoice.choose(for: squared)
    #expect(biharmonic.preconditioner == .ic0 && biharmonic.why.contains("not an M-matrix"), "\(biharmonic)")
    let profile = CouplingProfile(squared)
    #expect(abs(profile.positiveFraction - 8.0 / 12) < 0.02 && profile.weakFraction < 0.01, "\(profile)")
    let solved = try solve(Diffusion.convectionDiffusion2D(80, beta: (x: 20, y: 10)), [Double](repeating: 1, count: 6_400))
    #expect(solved.outcome.result.converged && solved.outcome.result.iterations <= 15, "\(solved.outcome.result.iterations)")
    let tall = try SparseMatrix(rows: 6, columns: 2, entries: (0..<6).flatMap { [($0, 0, 1.0), ($0, 1, Double($0))] })
    #expect(AutoChoice.choose(for: tall).method == .lapack)  // tiny: dense QR
    let ls = try solve(tall, [1, 2, 2, 4, 5, 5])
    #expect(ls.outcome.result.converged, "\(ls.outcome.result.reason)")
    #expect(ls.outcome.backwardError.map { $0 <= 1e-8 } == true)
  }

  @Test("The ω-tuned solver learns across a sequence and matches a fixed-ω solve for its choices")
  func tuned() throws {
    var sequence = OmegaTunedSolver(method: .sor, tuner: try ParameterTuner(seed: 4), stopping: StoppingCriterion(rtol: 1e-8))
    let a = Self.poisson
    let b = [Double](repeating: 1, count: a.rows)
    for round in 1...6 {
      let step = try sequence.solve(a, b)
      #expect(step.result.converged)
      #expect(sequence.tuner.rounds == round)
      let fixed = try OmegaTunedSolver.solve(a, b, method: .sor, omega: step.omega, stopping: StoppingCriterion(rtol: 1e-8))
      #expect(fixed.iterations == step.result.iterations)
      #expect(step.cost == Double(step.result.iterations))
    }
  }

  @Test("The recycling solver carries a space: fewer iterations than independent solves")
  func recycling() throws {
    let systems = (0..<5).map { t in
      let shifted = Self.poisson.shifted(by: 0.01 * Double(t))
      return LinearSystem(matrix: shifted, rhs: [Double](repeating: 1, count: shifted.rows))
    }
    func total(_ k: Int) throws -> Int {
      let recycler = try RecyclingSequenceSolver(method: .cg, recycleDimension: k, preconditioner: .jacobi,
                                                 stopping: StoppingCriterion(rtol: 1e-10))
      return try systems.reduce(0) { sum, system in
        let result = try recycler.solve(system)
        #expect(result.converged)
        return sum + result.iterations
      }
    }
    #expect(try total(8) < total(0))
    #expect(throws: LinSolveError.self) { try RecyclingSequenceSolver(method: .cg, recycleDimension: 2, preconditioner: .nystrom) }
  }
}

@Suite("Multigrid reuse across a sequence")
struct MultigridReuseTests {
  @Test("refresh on identical values equals a full set-up; on new values it keeps the prolongators and converges")
  func refreshEqualsRebuild() throws {
    let a = Poisson.matrix2D(40)
    let built = try SmoothedAggregationAMG(a)
    let refreshed = try SmoothedAggregationAMG(a)
    try refreshed.refresh(for: a)
    #expect(refreshed.refreshes == 1 && refreshed.builds == 1)
    var g = SeededGenerator(seed: 3)
    let r = (0..<a.rows).map { _ in Double.random(in: -1...1, using: &g) }
    var z1 = [Double](repeating: 0, count: a.rows), z2 = z1
    r.withUnsafeBufferPointer { rp in
      z1.withUnsafeMutableBufferPointer { built.apply(rp, into: $0) }
      z2.withUnsafeMutableBufferPointer { refreshed.apply(rp, into: $0) }
    }
    #expect(z1 == z2)
    // New values, same pattern: refreshed, still a good preconditioner.
    let shifted = a.shifted(by: 0.05)
    try refreshed.refresh(for: shifted)
    #expect(refreshed.refreshes == 2 && refreshed.builds == 1)
    let result = try ConjugateGradient(stopping: StoppingCriterion(rtol: 1e-8), preconditioner: refreshed).solve(shifted, r)
    #expect(result.converged && result.iterations <= 20, "\(result.iterations)")
    // Another pattern: a full set-up.
    try refreshed.refresh(for: Poisson.matrix2D(30))
    #expect(refreshed.builds == 2)
  }

  @Test("PreparedSolver refreshes AMG across a sequence and rebuilds when iterations grow")
  func preparedSolverReuse() throws {
    let base = Poisson.matrix2D(48)
    let solver = PreparedSolver(SolverConfiguration(method: .pcg, preconditioner: .amgSA, stopping: StoppingCriterion(rtol: 1e-8)))
    let b = [Double](repeating: 1, count: base.rows)
    var notes: [String] = []
    for t in 0..<4 {
      let a = base.shifted(by: 0.01 * Double(t))
      try solver.setUp(for: a)
      notes += solver.notes
      let outcome = try solver.solve(a, b)
      #expect(outcome.result.converged)
    }
    #expect(notes.first?.contains("built") == true, "\(notes)")
    #expect(notes.dropFirst().allSatisfy { $0.contains("refreshed") }, "\(notes)")
    // A factor below 1 forces a rebuild at the next set-up.
    solver.multigridRebuildFactor = 0.5
    try solver.setUp(for: base)
    #expect(solver.notes.contains { $0.contains("rebuilt") }, "\(solver.notes)")
  }
}

@Suite("AMG as a solver")
struct MultigridIterationTests {
  @Test("The stationary AMG iteration converges by the true residual in a bounded number of cycles")
  func stationary() throws {
    for n in [32, 64] {
      let a = Poisson.matrix2D(n)
      var g = SeededGenerator(seed: 9)
      let b = (0..<a.rows).map { _ in Double.random(in: -1...1, using: &g) }
      let amg = try SmoothedAggregationAMG(a)
      let result = try MultigridIteration(multigrid: amg, stopping: StoppingCriterion(rtol: 1e-8)).solve(a, b)
      #expect(result.converged, "\(n): \(result.reason)")
      #expect(result.iterations <= 30, "\(n): \(result.iterations) cycles")
      #expect(a.residualNorm(x: result.x, b: b) <= 1e-8 * Vector.norm(b) * (1 + 1e-9))
    }
    let other = Poisson.matrix2D(10)
    #expect(throws: LinSolveError.self) {
      try MultigridIteration(multigrid: try SmoothedAggregationAMG(Poisson.matrix2D(12))).solve(other, [Double](repeating: 1, count: other.rows))
    }
  }
}


@Suite("auto for least squares")
struct AutoLeastSquaresTests {
  /// An `m × n` sparse matrix: `I` on top of random entries, columns scaled from 1 to 10⁻⁴.
  static func illConditioned(rows m: Int, columns n: Int, seed: UInt64) throws -> SparseMatrix {
    var rng = TestRandom(seed: seed)
    var entries: [(row: Int, column: Int, value: Double)] = []
    func scale(_ j: Int) -> Double { pow(10, -4 * Double(j) / Double(max(n - 1, 1))) }
    for j in 0..<n { entries.append((j, j, scale(j))) }
    for _ in 0..<(3 * m) {
      let i = Int((rng.next() + 1) * 0.5 * Double(m - 1)), j = Int((rng.next() + 1) * 0.5 * Double(n - 1))
      entries.append((i, j, rng.next() * scale(j)))
    }
    return try SparseMatrix(rows: m, columns: n, entries: entries)
  }

  @Test("The rule: dense QR while cheap or too square to sketch, sketch-LSQR for tall large, LSQR otherwise")
  func rule() throws {
    func shape(_ m: Int, _ n: Int) throws -> AutoChoice {
      // Only the shape matters to the rule: one entry per column.
      try AutoChoice.choose(for: SparseMatrix(rows: m, columns: n, entries: (0..<n).map { ($0, $0, 1.0) }))
    }
    #expect(try shape(1_000, 300).method == .lapack)
    #expect(try shape(3_000, 1_500).method == .lapack)  // m < 4n: not sketchable; 4.5e6 entries
    #expect(try shape(100_000, 500).method == .sketchLSQR)
    #expect(try shape(20_000, 10_000).method == .lsqr)  // m < 4n and 2e8 entries
    #expect(try shape(100_000, 20).method == .lapack)
    #expect(try shape(10_000_000, 40).method == .lsqr)  // 3.2e10 flops, n < 50
    #expect(try shape(1_000, 300).why.contains("dense QR"))
  }

  @Test("auto on an ill-conditioned 1000 × 300 system solves by dense QR to the dgels answer, with no iterations")
  func illConditionedSmall() throws {
    let a = try Self.illConditioned(rows: 1_000, columns: 300, seed: 8)
    var rng = TestRandom(seed: 9)
    let b = rng.vector(a.rows)
    let solution = try solve(a, b)
    #expect(solution.method == .lapack)
    #expect(solution.outcome.result.converged && solution.outcome.result.iterations == 0)
    let reference = try DenseLeastSquares.solve(a, b)
    #expect(solution.outcome.result.x == reference)
    #expect(try #require(solution.outcome.backwardError) <= 1e-12)
  }

  @Test("Dense QR refuses a numerically rank-deficient matrix; auto then falls back to LSQR with a note")
  func rankDeficient() throws {
    // Column 3 = column 0 + column 1 up to 1e-15: numerically rank deficient, but no exact zero in R.
    var rng = TestRandom(seed: 4)
    var entries: [(row: Int, column: Int, value: Double)] = []
    for i in 0..<200 {
      let u = rng.next(), v = rng.next()
      entries += [(i, 0, u), (i, 1, v), (i, 2, rng.next()), (i, 3, u + v + 1e-15 * rng.next())]
    }
    let a = try SparseMatrix(rows: 200, columns: 4, entries: entries)
    let b = rng.vector(200)
    do {
      _ = try DenseLeastSquares.solve(a, b)
      Issue.record("a numerically rank-deficient matrix was accepted")
    } catch let LinSolveError.factorizationFailed(reason) {
      #expect(reason.contains("numerically rank deficient"), "\(reason)")
    }
    let solver = PreparedSolver(AutoChoice.choose(for: a).configuration(stopping: StoppingCriterion(rtol: 1e-8)))
    try solver.setUp(for: a)
    let outcome = try solver.solve(a, b)
    #expect(solver.method == .lsqr)
    #expect(solver.notes.contains { $0.contains("dense QR failed") })
    #expect(outcome.result.x.allSatisfy { $0.isFinite })
    #expect(Vector.norm(outcome.result.x) < 1e3)  // LSQR from 0 stays near the minimum-norm solution
  }
}
