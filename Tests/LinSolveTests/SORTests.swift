import Testing
@testable import LinSolve

@Suite("SOR and SSOR")
struct SORTests {
  /// Young's optimal ω for A = Poisson2D(10) + c·I (Jacobi radius 3.83797/(4 + c)).
  static func youngOmega(shift c: Double) -> Double {
    let rho = 4 * cos(Double.pi / 11) / (4 + c)
    return 2 / (1 + (1 - rho * rho).squareRoot())
  }

  /// Iteration counts of forward SOR on the 10×10 Laplacian (+ c·I), b = 1, x₀ = 0, rtol 1e-8:
  /// the deterministic figures of *Learning to Relax* (research digest §6.1).
  @Test("SOR iteration counts match the Learning-to-Relax reference", arguments: [
    (0.0, 1.0, 223), (0.0, -1.0, 41), (-0.15, 1.0, 2927), (-0.15, -1.0, 147),
    (0.0, 1.2, 145), (0.0, 1.8, 89), (0.45, 1.0, 64), (0.45, -1.0, 23),
  ])
  func referenceCounts(shift: Double, omega: Double, expected: Int) throws {
    let a = Poisson.matrix2D(10).shifted(by: shift)
    let w = omega > 0 ? omega : Self.youngOmega(shift: shift)
    let sor = SOR(omega: w, stopping: StoppingCriterion(rtol: 1e-8, maxIterations: 10_000))
    let result = try sor.solve(a, [Double](repeating: 1, count: 100))
    #expect(result.converged)
    #expect(result.iterations == expected, "ω = \(w)")
    #expect(a.residualNorm(x: result.x, b: [Double](repeating: 1, count: 100)) <= 1e-8 * 10)
  }

  @Test("SSOR converges and needs fewer sweeps than SOR at ω = 1 on a 1-D problem")
  func ssor() throws {
    let a = Poisson.matrix1D(30)
    let b = [Double](repeating: 1, count: 30)
    let gs = try SOR(omega: 1).solve(a, b)
    let sgs = try SOR(omega: 1, symmetric: true).solve(a, b)
    #expect(gs.converged && sgs.converged)
    #expect(sgs.iterations < gs.iterations)
    #expect(sgs.trueResidualNorm <= 1e-8 * Vector.norm(b))
  }

  @Test("ω outside (0, 2) is rejected", arguments: [0.0, 2.0, 2.5, -1.0, Double.nan])
  func badOmega(omega: Double) {
    #expect(throws: LinSolveError.self) { _ = try SOR(omega: omega).solve(Poisson.matrix1D(4), [1, 1, 1, 1]) }
  }

  @Test("A zero diagonal is reported with its row")
  func zeroDiagonal() throws {
    let a = try SparseMatrix(rows: 3, columns: 3, entries: [(0, 0, 1), (1, 0, 1), (1, 2, 1), (2, 2, 1)])
    #expect(throws: LinSolveError.zeroDiagonal(row: 1)) { _ = try SOR().solve(a, [1, 1, 1]) }
  }

  @Test("The step API exposes each sweep's residual and lets ω change")
  func stepAPI() throws {
    let a = Poisson.matrix2D(10)
    var it = try SORIteration(matrix: a, b: [Double](repeating: 1, count: 100), omega: 1)
    let r0 = it.residualNorm
    let r1 = it.sweep()
    #expect(r1 < r0)
    #expect(abs(r1 - a.residualNorm(x: it.x, b: it.b)) <= 1e-12 * r0)
    try it.setOmega(1.5)
    it.sweep()
    #expect(it.sweeps == 2 && it.omega == 1.5)
    #expect(throws: LinSolveError.self) { try it.setOmega(2) }
  }
}

#if canImport(Glibc)
import Glibc
#endif
