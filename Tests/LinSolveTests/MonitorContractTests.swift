import Testing
@testable import LinSolve

/// The monitor contract (``SolveMonitor``), one table over every iterative method: the
/// monitor sees `k = 0` (the initial residual), then `1, 2, …, iterations` in order, once
/// each; its last figure is the residual norm the result reports; `.stop` cancels the solve.
///
/// The row-action methods (Kaczmarz, sketch-and-project) know their residual only at checks,
/// so they run here with `checkInterval: 1` (with the default, one check per pass, the
/// monitor sees `k = 0, m, 2m, …`: the row updates done at each check).
@Suite("Monitor contract")
struct MonitorContractTests {
  /// What a solve reports, whatever its result type.
  struct Outcome {
    var iterations: Int
    var reason: StopReason
    var residualNorm: Double
  }

  struct Method: CustomStringConvertible, Sendable {
    var name: String
    /// Whether the result's residual norm is the figure the method tracks (and so must equal
    /// the monitor's last one); the least-squares methods report the recomputed `‖b − A x‖`,
    /// which must only agree with their estimate.
    var tracksReportedNorm = true
    var run: @Sendable (_ monitor: @escaping SolveMonitor) throws -> Outcome
    var description: String { name }
  }

  // MARK: Systems

  /// SPD: 2-D Poisson, 100 unknowns.
  static let spd = Poisson.matrix2D(10)
  /// Nonsymmetric: upwinded convection–diffusion, 100 unknowns.
  static let nonsymmetric = Diffusion.convectionDiffusion2D(10, beta: (x: 40, y: -20))
  static let squareRHS: [Double] = {
    var rng = TestRandom(seed: 41)
    return rng.vector(100)
  }()
  /// A second right-hand side, for the warm-up solve of the recycling methods.
  static let otherRHS: [Double] = {
    var rng = TestRandom(seed: 42)
    return rng.vector(100)
  }()
  /// Tall least-squares problem (inconsistent), 200 × 12.
  static let tall: (a: DenseMatrix, b: [Double]) = try! sketchTestProblem(
    rows: 200, columns: 12, condition: 1e3, noise: 1e-2, seed: 43)
  /// Tall consistent system `A x = b`, 150 × 8, well conditioned (for the row-action methods).
  static let consistent: (a: DenseMatrix, sparse: SparseMatrix, b: [Double]) = {
    let a = try! sketchTestMatrix(rows: 150, columns: 8, condition: 3, seed: 44)
    var entries: [(row: Int, column: Int, value: Double)] = []
    for j in 0..<a.columns { for i in 0..<a.rows { entries.append((i, j, a[i, j])) } }
    var rng = TestRandom(seed: 45)
    return (a, try! SparseMatrix(rows: a.rows, columns: a.columns, entries: entries), a.applied(to: rng.vector(8)))
  }()

  static func outcome(_ r: SolveResult) -> Outcome {
    Outcome(iterations: r.iterations, reason: r.reason, residualNorm: r.residualNorm)
  }

  // MARK: The table

  static let tight = StoppingCriterion(rtol: 1e-10, maxIterations: 2_000)
  static let rowAction = StoppingCriterion(rtol: 1e-6, maxIterations: 20_000)

  static let methods: [Method] = [
    Method(name: "cg") { m in outcome(try ConjugateGradient(stopping: tight).solve(spd, squareRHS, monitor: m)) },
    Method(name: "pcg-jacobi") { m in
      outcome(try ConjugateGradient(stopping: tight, preconditioner: try JacobiPreconditioner(spd)).solve(spd, squareRHS, monitor: m))
    },
    Method(name: "pcg-ic0") { m in
      outcome(try ConjugateGradient(stopping: tight, preconditioner: try IncompleteCholesky(spd)).solve(spd, squareRHS, monitor: m))
    },
    Method(name: "minres") { m in outcome(try MINRES(stopping: tight).solve(spd, squareRHS, monitor: m)) },
    Method(name: "sor") { m in outcome(try SOR(omega: 1.5, stopping: tight).solve(spd, squareRHS, monitor: m)) },
    Method(name: "ssor") { m in
      outcome(try SOR(omega: 1.3, symmetric: true, stopping: tight).solve(spd, squareRHS, monitor: m))
    },
    // restart 8: several cycles, so the restarts' true-residual checks are crossed.
    Method(name: "gmres") { m in
      outcome(try GMRES(stopping: tight, restart: 8).solve(nonsymmetric, squareRHS, monitor: m))
    },
    Method(name: "gmres-ilu0") { m in
      outcome(try GMRES(stopping: tight, restart: 8, preconditioner: try IncompleteLU(nonsymmetric))
        .solve(nonsymmetric, squareRHS, monitor: m))
    },
    Method(name: "bicgstab") { m in outcome(try BiCGSTAB(stopping: tight).solve(nonsymmetric, squareRHS, monitor: m)) },
    Method(name: "lsqr", tracksReportedNorm: false) { m in
      outcome(try LSQR(stopping: tight, tolerance: 1e-12).solve(tall.a, tall.b, monitor: m))
    },
    Method(name: "lsmr", tracksReportedNorm: false) { m in
      outcome(try LSMR(stopping: tight, tolerance: 1e-12).solve(tall.a, tall.b, monitor: m))
    },
    Method(name: "sketch-lsqr", tracksReportedNorm: false) { m in
      outcome(try SketchPreconditionedLSQR(seed: 1, warmStart: false).solve(tall.a, tall.b, monitor: m))
    },
    Method(name: "iterative-sketching", tracksReportedNorm: false) { m in
      outcome(try IterativeSketching(seed: 1).solve(tall.a, tall.b, monitor: m))
    },
    Method(name: "kaczmarz-dense") { m in
      outcome(
        try RandomizedKaczmarz(seed: 1, stopping: rowAction, checkInterval: 1, stagnation: .disabled)
          .solve(consistent.a, consistent.b, monitor: m))
    },
    Method(name: "kaczmarz-sparse") { m in
      outcome(try RandomizedKaczmarz(seed: 2, stopping: rowAction, checkInterval: 1).solve(consistent.sparse, consistent.b, monitor: m))
    },
    Method(name: "sketch-project-gaussian") { m in
      outcome(
        try SketchAndProject(sketch: .gaussianVector, seed: 3, stopping: rowAction, checkInterval: 1)
          .solve(consistent.a, consistent.b, monitor: m))
    },
    Method(name: "sketch-project-block") { m in
      outcome(
        try SketchAndProject(sketch: .gaussianBlock(size: 3), seed: 4, stopping: rowAction, checkInterval: 1)
          .solve(consistent.sparse, consistent.b, monitor: m))
    },
    Method(name: "sketch-project-rows") { m in
      outcome(
        try SketchAndProject(sketch: .rows(blockSize: 2), seed: 5, stopping: rowAction, checkInterval: 1)
          .solve(consistent.a, consistent.b, monitor: m))
    },
    // The recycling methods: a warm-up solve fills the space, the monitored one deflates with it.
    Method(name: "deflated-cg") { m in
      let solver = DeflatedCG(stopping: tight, recycleDimension: 4, ritzDirections: 8)
      _ = try solver.solve(spd, otherRHS)
      return outcome(try solver.solve(spd, squareRHS, monitor: m))
    },
    Method(name: "gcrodr") { m in
      let solver = GCRODR(stopping: tight, restart: 10, recycleDimension: 4)
      _ = try solver.solve(nonsymmetric, otherRHS)
      return outcome(try solver.solve(nonsymmetric, squareRHS, monitor: m))
    },
    Method(name: "fischer-cg") { m in
      var fischer = FischerProjection(spd, capacity: 4)
      _ = try fischer.solve(otherRHS, using: ConjugateGradient(stopping: tight))
      return outcome(try fischer.solve(squareRHS, using: ConjugateGradient(stopping: tight), monitor: m))
    },
  ]

  // MARK: The checks

  @Test("k = 0, 1, …, iterations in order; the last figure is the reported residual; .stop at k = 2 cancels", arguments: methods)
  func contract(method: Method) throws {
    var seen: [Int] = []
    var last = Double.nan
    let result = try method.run { k, r in
      seen.append(k)
      last = r
      return .continue
    }
    #expect(result.iterations > 2, "\(method.name): the system must need more than 2 iterations")
    #expect(seen == Array(0...result.iterations), "\(method.name): monitor saw \(seen.prefix(8))… (\(seen.count) calls) for \(result.iterations) iterations")
    if method.tracksReportedNorm {
      #expect(last == result.residualNorm, "\(method.name): last figure \(last), result \(result.residualNorm)")
    } else {
      #expect(abs(last - result.residualNorm) <= 1e-6 * result.residualNorm, "\(method.name): last figure \(last), result \(result.residualNorm)")
    }

    var stopped: [Int] = []
    let cancelled = try method.run { k, _ in
      stopped.append(k)
      return k == 2 ? .stop : .continue
    }
    #expect(cancelled.reason == .cancelled, "\(method.name): \(cancelled.reason)")
    #expect(cancelled.iterations == 2, "\(method.name)")
    #expect(stopped == [0, 1, 2], "\(method.name): \(stopped)")
  }
}
