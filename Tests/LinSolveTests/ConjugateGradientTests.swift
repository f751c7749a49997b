import Testing
@testable import LinSolve

@Suite("Conjugate gradient")
struct ConjugateGradientTests {
  static let jump = Diffusion.matrix2D(24) { x, y in
    (x - 0.5) * (x - 0.5) + (y - 0.5) * (y - 0.5) < 0.1 ? 1e4 : 1
  }

  @Test("CG solves SPD systems to a true residual ≤ 10·rtol", arguments: [
    ("poisson1d", Poisson.matrix1D(100)), ("poisson2d", Poisson.matrix2D(32)),
    ("poisson3d", Poisson.matrix3D(10)), ("jump", jump),
  ])
  func solves(name: String, a: SparseMatrix) throws {
    var rng = TestRandom(seed: 11)
    let xTrue = rng.vector(a.rows)
    let b = a.applied(to: xTrue)
    let result = try ConjugateGradient(stopping: StoppingCriterion(rtol: 1e-8, maxIterations: 5000)).solve(a, b)
    #expect(result.converged, "\(name): \(result.reason)")
    #expect(result.trueResidualNorm / result.rhsNorm <= 1e-7, "\(name)")
    #expect(abs(result.trueResidualNorm - a.residualNorm(x: result.x, b: b)) <= 1e-12 * result.rhsNorm)
  }

  @Test("Starting from a given r₀ = b − A·x₀ saves one product and follows the same iteration")
  func initialResidual() throws {
    let a = Diffusion.matrix2D(20) { x, y in 1 + x * y }
    var rng = TestRandom(seed: 61)
    let b = rng.vector(a.rows), x0 = rng.vector(a.rows)
    let ax0 = a.applied(to: x0)
    let r0 = zip(b, ax0).map { $0 - $1 }
    for pc in [nil, try JacobiPreconditioner(a)] as [(any Preconditioner)?] {
      let cg = ConjugateGradient(preconditioner: pc)
      let plain = try cg.solve(a, b, x0: x0)
      let given = try cg.solve(a, b, x0: x0, initialResidual: r0)
      #expect(given.converged && given.iterations == plain.iterations)
      #expect(given.matvecs == plain.matvecs - 1)
      // Same iteration up to the rounding of ‖r₀‖² (summed in another order).
      let difference = Vector.norm(zip(given.x, plain.x).map { $0 - $1 }) / Vector.norm(plain.x)
      #expect(difference <= 1e-10)
      #expect(given.trueResidualNorm / given.rhsNorm <= 1e-7)
    }
    #expect(throws: LinSolveError.self) {
      try ConjugateGradient().solve(a, b, x0: x0, initialResidual: [1, 2, 3])
    }
  }

  @Test("b = 0 gives x = 0 in 0 iterations")
  func zeroRHS() throws {
    let result = try ConjugateGradient().solve(Poisson.matrix2D(8), [Double](repeating: 0, count: 64))
    #expect(result.converged && result.iterations == 0)
    #expect(result.x.allSatisfy { $0 == 0 })
  }

  @Test("Starting at the exact solution converges in ≤ 1 iteration")
  func exactStart() throws {
    let a = Poisson.matrix2D(8)
    let x = [Double](repeating: 1, count: 64)
    let result = try ConjugateGradient().solve(a, a.applied(to: x), x0: x)
    #expect(result.converged && result.iterations <= 1)
  }

  @Test("Scaling b by 1e±150 does not change the iteration count")
  func scaling() throws {
    let a = Poisson.matrix2D(16)
    var rng = TestRandom(seed: 3)
    let b = rng.vector(a.rows)
    let base = try ConjugateGradient().solve(a, b).iterations
    for s in [1e150, 1e-150] {
      let r = try ConjugateGradient().solve(a, b.map { $0 * s })
      #expect(r.converged && r.iterations == base, "scale \(s)")
    }
  }

  @Test("maxIterations = 1 calls the monitor exactly twice (k = 0, 1)")
  func monitorTwice() throws {
    var calls: [Int] = []
    let cg = ConjugateGradient(stopping: StoppingCriterion(maxIterations: 1))
    let result = try cg.solve(Poisson.matrix2D(8), [Double](repeating: 1, count: 64)) { k, _ in
      calls.append(k)
      return .continue
    }
    #expect(calls == [0, 1])
    #expect(result.reason == .maxIterations && result.iterations == 1)
  }

  @Test("The monitor can stop the solve; history has iterations + 1 entries")
  func monitorStopAndHistory() throws {
    let cg = ConjugateGradient(recordHistory: true)
    let result = try cg.solve(Poisson.matrix2D(16), [Double](repeating: 1, count: 256)) { k, _ in k == 3 ? .stop : .continue }
    #expect(result.reason == .cancelled && result.iterations == 3)
    #expect(result.residualHistory?.count == 4)
  }

  @Test("CG on an indefinite matrix reports indefinite")
  func indefinite() throws {
    let a = Poisson.matrix2D(8).shifted(by: -3)
    var rng = TestRandom(seed: 5)
    let result = try ConjugateGradient().solve(a, rng.vector(64))
    #expect(result.reason == .indefinite)
  }

  @Test("Bad input throws typed errors")
  func badInput() {
    let a = Poisson.matrix1D(4)
    #expect(throws: LinSolveError.nonFinite(what: "right-hand side b")) {
      _ = try ConjugateGradient().solve(a, [1, .nan, 1, 1])
    }
    #expect(throws: LinSolveError.dimensionMismatch(expected: 4, actual: 3, what: "right-hand side b")) {
      _ = try ConjugateGradient().solve(a, [1, 1, 1])
    }
    #expect(throws: LinSolveError.self) {
      _ = try ConjugateGradient(stopping: StoppingCriterion(rtol: 0)).solve(a, [1, 1, 1, 1])
    }
    let rect = try! SparseMatrix(rows: 2, columns: 3, entries: [(0, 0, 1)])
    #expect(throws: LinSolveError.notSquare(rows: 2, columns: 3)) { _ = try ConjugateGradient().solve(rect, [1, 1]) }
  }

  @Test("maxIterations = 0 returns the start with reason maxIterations")
  func zeroIterations() throws {
    let result = try ConjugateGradient(stopping: StoppingCriterion(maxIterations: 0)).solve(Poisson.matrix1D(4), [1, 1, 1, 1])
    #expect(result.reason == .maxIterations && result.iterations == 0)
  }

  @Test("A sequence of solves reuses the workspace (no reallocation)")
  func workspaceReuse() throws {
    let a = Poisson.matrix2D(20)
    let cg = ConjugateGradient()
    _ = try cg.solve(a, [Double](repeating: 1, count: 400))
    let after = cg.workspace.allocations
    for s in 2...5 { _ = try cg.solve(a, [Double](repeating: Double(s), count: 400)) }
    #expect(after == 1 && cg.workspace.allocations == 1)
  }

  @Test("A matrix-free operator works with CG")
  func matrixFree() throws {
    let n = 50
    let op = ClosureOperator(rows: n, columns: n) { x, y in
      for i in 0..<n { y[i] = 2 * x[i] - (i > 0 ? x[i - 1] : 0) - (i < n - 1 ? x[i + 1] : 0) }
    }
    let result = try ConjugateGradient().solve(op, [Double](repeating: 1, count: n))
    #expect(result.converged)
    #expect(Poisson.matrix1D(n).residualNorm(x: result.x, b: [Double](repeating: 1, count: n)) <= 1e-7)
  }
}
