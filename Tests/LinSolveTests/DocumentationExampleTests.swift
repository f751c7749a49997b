import Foundation
import Testing
import LinSolve

/// The code of the DocC articles (Sources/LinSolve/LinSolve.docc), compiled and run on small
/// problems so that the documentation stays true to the API.
@Suite("DocC article examples")
struct DocumentationExampleTests {
  @Test("LinSolve.md and GettingStarted.md")
  func gettingStarted() throws {
    let a = Poisson.matrix2D(16)
    let b = a.applied(to: [Double](repeating: 1, count: a.columns))
    let solution = try solve(a, b)
    #expect(solution.outcome.result.converged, "\(solution.choice.why)")

    let cholesky = try CholeskyFactorization(a)
    let x = try cholesky.solve(b)
    #expect(a.residualNorm(x: x, b: b) / Vector.norm(b) < 1e-12)

    let stopping = StoppingCriterion(rtol: 1e-10, maxIterations: 500)
    let pcg = ConjugateGradient(stopping: stopping, preconditioner: try IncompleteCholesky(a))
    var calls = 0
    let result = try pcg.solve(a, b) { _, _ in
      calls += 1
      return .continue
    }
    #expect(result.reason == .converged && calls == result.iterations + 1)

    let solver = PreparedSolver(SolverConfiguration(method: .gmres, preconditioner: .ilu0, restart: 30))
    try solver.setUp(for: a)
    let outcome = try solver.solve(a, b)
    #expect(outcome.result.converged)
    #expect(!LinSolve.version.isEmpty)
  }

  @Test("SequencesAndTuning.md")
  func sequences() throws {
    let systems = ShiftedLaplacianSequence(gridSize: 10, count: 20, seed: 1)
    var sequence = OmegaTunedSolver(method: .sor, tuner: try ParameterTuner(seed: 1))
    var solved = 0
    for system in systems {
      let step = try sequence.solve(system.matrix, system.rhs)
      #expect(step.omega >= 1 && step.omega <= 1.95)
      solved += step.result.converged ? 1 : 0
    }
    #expect(solved == 20)
    #expect(ParameterGrid.defaultOmega.count == 20)
  }

  @Test("Recycling.md")
  func recycling() throws {
    let darcy = DarcySequence.slowlyVarying(grid: 16, count: 4, seed: 3)
    let recycler = try RecyclingSequenceSolver(method: .cg, recycleDimension: 4, preconditioner: .jacobi)
    for i in SystemOrdering.greedyNearestNeighbor(darcy.systems) {
      let result = try recycler.solve(darcy.systems[i])
      #expect(result.converged, "\(recycler.name)")
    }
  }

  @Test("Sketching.md")
  func sketching() throws {
    var entries: [(row: Int, column: Int, value: Double)] = []
    for i in 0..<400 { entries.append((i, i % 20, 2 + Double(i % 7) / 7)); entries.append((i, (3 * i + 1) % 20, 0.5)) }
    let a = try SparseMatrix(rows: 400, columns: 20, entries: entries)
    let b = (0..<400).map { Double($0 % 11) - 5 }
    let solver = SketchPreconditionedLSQR(seed: 123)
    let result = try solver.solve(a, b)
    let figures = try #require(result.leastSquares)
    #expect(figures.timings.sketch >= 0 && figures.timings.factor >= 0 && figures.timings.iterate >= 0)
    #expect(result.iterations > 0)
  }

  @Test("Multigrid.md")
  func multigrid() throws {
    let a = Poisson.matrix2D(48)
    let b = a.applied(to: [Double](repeating: 1, count: a.columns))
    let amg = try SmoothedAggregationAMG(a)
    #expect(amg.summary != nil)
    let result = try ConjugateGradient(preconditioner: amg).solve(a, b)
    #expect(result.converged && result.iterations < 30)
  }
}
