import Testing
@testable import LinSolve

// Tests for GMRES(m), MINRES and BiCGSTAB: convergence on model problems with a known
// solution, preconditioned runs, and the properties every iterative method shares.

/// Jacobi for the tests: `z = r ./ diag(A)` (times `sign`; `sign = −1` gives an indefinite `M`).
private final class TestJacobi: Preconditioner {
  private var inverseDiagonal: [Double] = []
  private let sign: Double
  init(_ a: SparseMatrix, sign: Double = 1) throws {
    self.sign = sign
    try setUp(for: a)
  }
  func setUp(for a: SparseMatrix) throws {
    inverseDiagonal = a.diagonal().map { sign / $0 }
  }
  func apply(_ r: UnsafeBufferPointer<Double>, into z: UnsafeMutableBufferPointer<Double>) {
    for i in 0..<r.count { z[i] = r[i] * inverseDiagonal[i] }
  }
  var name: String { "test-jacobi" }
}

/// The three methods under test, for the cross-method property tests.
enum KrylovMethodUnderTest: String, CaseIterable, Sendable {
  case gmres, minres, bicgstab

  func solver(
    stopping: StoppingCriterion = StoppingCriterion(), recordHistory: Bool = false,
    workspace: Workspace = Workspace()
  ) -> any IterativeSolver {
    switch self {
    case .gmres:
      return GMRES(stopping: stopping, recordHistory: recordHistory, workspace: workspace)
    case .minres:
      return MINRES(stopping: stopping, recordHistory: recordHistory, workspace: workspace)
    case .bicgstab:
      return BiCGSTAB(stopping: stopping, recordHistory: recordHistory, workspace: workspace)
    }
  }
}

private let krylovRtol = 1e-8

/// `x_true` from ``TestRandom`` and `b = A x_true`.
private func knownSolution(_ a: SparseMatrix, seed: UInt64 = 7) -> (x: [Double], b: [Double]) {
  var rng = TestRandom(seed: seed)
  let x = rng.vector(a.rows)
  return (x, a.applied(to: x))
}

/// Converged, with a true relative residual ≤ 10·rtol that matches a recomputation.
private func expectSolved(
  _ result: SolveResult, _ a: SparseMatrix, _ b: [Double], _ label: String,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(result.converged, "\(label): \(result.reason) after \(result.iterations)", sourceLocation: sourceLocation)
  #expect(
    result.trueResidualNorm / result.rhsNorm <= 10 * krylovRtol,
    "\(label): relative residual \(result.trueResidualNorm / result.rhsNorm)", sourceLocation: sourceLocation)
  #expect(
    abs(result.trueResidualNorm - a.residualNorm(x: result.x, b: b)) <= 1e-12 * result.rhsNorm,
    sourceLocation: sourceLocation)
}

/// The symmetric model problem the property tests run every method on.
private let propertyMatrix = Poisson.matrix2D(16)

@Suite("Krylov methods: GMRES, MINRES, BiCGSTAB")
struct KrylovMethodTests {
  static let convectionDiffusion = Diffusion.convectionDiffusion2D(32, beta: (60, 30))
  static let jump = Diffusion.matrix2D(32) { x, y in
    (x - 0.5) * (x - 0.5) + (y - 0.5) * (y - 0.5) < 0.1 ? 1e4 : 1
  }
  static let indefinite = Poisson.matrix2D(16).shifted(by: -1.0)
  /// The model problems, by name (names, not matrices, are the test arguments so that the
  /// test log stays readable).
  static let models = ["convection-diffusion 32² β=(60,30)", "poisson2d 32", "poisson3d 10"]
  static func model(_ name: String) -> SparseMatrix {
    switch name {
    case "poisson2d 32": return Poisson.matrix2D(32)
    case "poisson3d 10": return Poisson.matrix3D(10)
    default: return convectionDiffusion
    }
  }

  // MARK: Convergence on model problems

  @Test("GMRES(30) solves the model problems", arguments: models)
  func gmresModels(name: String) throws {
    let a = Self.model(name)
    let (_, b) = knownSolution(a)
    let result = try GMRES(stopping: StoppingCriterion(rtol: krylovRtol), restart: 30).solve(a, b)
    expectSolved(result, a, b, "GMRES(30) \(name)")
    // Observed: 140, 151, 43 iterations; the bounds catch regressions, not rounding.
    #expect(result.iterations <= ["poisson2d 32": 300, "poisson3d 10": 90][name, default: 280])
  }

  @Test("BiCGSTAB solves the model problems", arguments: models)
  func bicgstabModels(name: String) throws {
    let a = Self.model(name)
    let (_, b) = knownSolution(a)
    let result = try BiCGSTAB(stopping: StoppingCriterion(rtol: krylovRtol)).solve(a, b)
    expectSolved(result, a, b, "BiCGSTAB \(name)")
    // Observed: 50, 73, 30 iterations (two products with A each).
    #expect(result.iterations <= ["poisson2d 32": 150, "poisson3d 10": 60][name, default: 100])
    #expect(result.matvecs <= 2 * result.iterations + 2)
  }

  @Test("GMRES(2) on 1-D Poisson (n = 200) runs into maxIterations = 300")
  func gmresTinyRestart() throws {
    let a = Poisson.matrix1D(200)
    let (_, b) = knownSolution(a)
    let gmres = GMRES(stopping: StoppingCriterion(rtol: krylovRtol, maxIterations: 300), restart: 2)
    let result = try gmres.solve(a, b)
    #expect(!result.converged)
    #expect(result.reason == .maxIterations)
    #expect(result.iterations == 300)
    // It still made progress: every cycle reduces the residual of an SPD system.
    #expect(result.trueResidualNorm < result.rhsNorm)
  }

  @Test("MINRES solves SPD 2-D Poisson")
  func minresSPD() throws {
    let a = Poisson.matrix2D(32)
    let (_, b) = knownSolution(a)
    let result = try MINRES(stopping: StoppingCriterion(rtol: krylovRtol)).solve(a, b)
    expectSolved(result, a, b, "MINRES poisson2d 32")
    #expect(result.iterations <= 200)  // observed 91; CG takes about as many
  }

  @Test("MINRES solves the symmetric indefinite Poisson2D(16) − I, where CG is not applicable")
  func minresIndefinite() throws {
    let a = Self.indefinite
    // Indefinite: for the all-ones vector xᵀ(A − I)x = 4·16 − 256 < 0, while e₀ᵀ(A − I)e₀ = 3 > 0.
    let ones = [Double](repeating: 1, count: a.rows)
    #expect(Vector.dot(ones, a.applied(to: ones)) < 0)
    #expect(a[0, 0] > 0)

    let (xTrue, b) = knownSolution(a)
    let result = try MINRES(stopping: StoppingCriterion(rtol: krylovRtol)).solve(a, b)
    expectSolved(result, a, b, "MINRES poisson2d 16 − I")
    let error = zip(result.x, xTrue).map { abs($0 - $1) }.max() ?? 0
    #expect(error < 1e-5)
    // Residual norms are non-increasing (MINRES minimises ‖r‖ over growing spaces).
    let history = try MINRES(stopping: StoppingCriterion(rtol: krylovRtol), recordHistory: true)
      .solve(a, b).residualHistory ?? []
    #expect(zip(history, history.dropFirst()).allSatisfy { $1 <= $0 * (1 + 1e-12) })
    #expect(result.iterations <= 200)  // observed 97
  }

  @Test("MINRES agrees with a dense reference on a small indefinite system")
  func minresDenseReference() throws {
    // A 2×2 block: eigenvalues ±√5, so the system is indefinite; x = A⁻¹ b by Cramer's rule.
    let a = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 0, 1), (0, 1, 2), (1, 0, 2), (1, 1, -1)])
    let b = [3.0, -4.0]
    let det = 1.0 * -1.0 - 2.0 * 2.0
    let expected = [(b[0] * -1.0 - 2.0 * b[1]) / det, (1.0 * b[1] - 2.0 * b[0]) / det]
    let result = try MINRES().solve(a, b)
    #expect(result.converged && result.iterations <= 2)
    #expect(abs(result.x[0] - expected[0]) < 1e-12 && abs(result.x[1] - expected[1]) < 1e-12)
  }

  @Test("MINRES and full GMRES minimise the same residual on symmetric matrices", arguments: ["spd", "indefinite"])
  func minresMatchesFullGMRES(kind: String) throws {
    // In exact arithmetic both give min ‖b − A x‖ over the same Krylov space. GMRES
    // reorthogonalises; MINRES's short recurrences lose orthogonality later on, which delays
    // convergence (on Poisson2D(16) − I: 97 vs 92 iterations), so only the early history is
    // compared.
    let a = kind == "spd" ? propertyMatrix : Self.indefinite
    let (_, b) = knownSolution(a)
    let minres = try MINRES(recordHistory: true).solve(a, b).residualHistory ?? []
    let gmres = try GMRES(restart: a.rows, recordHistory: true).solve(a, b).residualHistory ?? []
    #expect(minres.count > 40 && gmres.count > 40)
    for k in 0..<40 {
      #expect(abs(minres[k] - gmres[k]) <= 1e-10 * gmres[k], "k = \(k)")
    }
  }

  // MARK: Preconditioned runs

  @Test("GMRES and BiCGSTAB with Jacobi on convection–diffusion")
  func preconditionedNonsymmetric() throws {
    let a = Self.convectionDiffusion
    let (_, b) = knownSolution(a)
    let m = try TestJacobi(a)
    let stopping = StoppingCriterion(rtol: krylovRtol)
    let gmres = try GMRES(stopping: stopping, preconditioner: m).solve(a, b)
    expectSolved(gmres, a, b, "GMRES(30)+Jacobi")
    let bicgstab = try BiCGSTAB(stopping: stopping, preconditioner: m).solve(a, b)
    expectSolved(bicgstab, a, b, "BiCGSTAB+Jacobi")
    #expect(gmres.iterations <= 280 && bicgstab.iterations <= 100)  // observed 140 and 50
  }

  @Test("MINRES with Jacobi on the jump-coefficient diffusion matrix beats plain MINRES")
  func preconditionedMINRES() throws {
    let a = Self.jump
    let (_, b) = knownSolution(a)
    let stopping = StoppingCriterion(rtol: krylovRtol)
    let plain = try MINRES(stopping: stopping).solve(a, b)
    expectSolved(plain, a, b, "MINRES jump")
    let jacobi = try MINRES(stopping: stopping, preconditioner: try TestJacobi(a)).solve(a, b)
    expectSolved(jacobi, a, b, "MINRES+Jacobi jump")
    #expect(jacobi.iterations < plain.iterations)
    // Observed: 766 plain, 75 with Jacobi. With M the stopping test is in the M⁻¹-norm
    // relative to ‖b‖_{M⁻¹}; the 2-norm relative residual still lands below 10·rtol here.
    #expect(jacobi.iterations <= 150)
  }

  @Test("Right preconditioning: GMRES and BiCGSTAB track the true residual")
  func rightPreconditionedResidual() throws {
    let a = Self.jump
    let (_, b) = knownSolution(a)
    let m = try TestJacobi(a)
    for solver in [
      GMRES(stopping: StoppingCriterion(rtol: krylovRtol), restart: 40, preconditioner: m) as any IterativeSolver,
      BiCGSTAB(stopping: StoppingCriterion(rtol: krylovRtol), preconditioner: m),
    ] {
      let result = try solver.solve(a, b, x0: nil, monitor: nil)
      expectSolved(result, a, b, "\(type(of: solver))+Jacobi jump")
      #expect(result.trueResidualNorm <= 10 * max(result.residualNorm, krylovRtol * result.rhsNorm))
    }
  }

  // MARK: Properties shared by the three methods

  @Test("b = 0 gives x = 0 in 0 iterations", arguments: KrylovMethodUnderTest.allCases)
  func zeroRHS(method: KrylovMethodUnderTest) throws {
    let result = try method.solver().solve(
      propertyMatrix, [Double](repeating: 0, count: propertyMatrix.rows), x0: nil, monitor: nil)
    #expect(result.reason == .converged && result.iterations == 0)
    #expect(result.x.allSatisfy { $0 == 0 })
  }

  @Test("Starting at the exact solution takes ≤ 1 iteration", arguments: KrylovMethodUnderTest.allCases)
  func exactStart(method: KrylovMethodUnderTest) throws {
    let (x, b) = knownSolution(propertyMatrix)
    let result = try method.solver().solve(propertyMatrix, b, x0: x, monitor: nil)
    #expect(result.converged && result.iterations <= 1)
  }

  @Test("A warm start converges to the same tolerance", arguments: KrylovMethodUnderTest.allCases)
  func warmStart(method: KrylovMethodUnderTest) throws {
    let a = propertyMatrix
    let (x, b) = knownSolution(a)
    let x0 = x.enumerated().map { $1 + 1e-3 * Double($0 % 7) }
    let result = try method.solver().solve(a, b, x0: x0, monitor: nil)
    expectSolved(result, a, b, "\(method) warm start")
  }

  @Test("Scaling b by 1e±150 keeps the iteration count", arguments: KrylovMethodUnderTest.allCases)
  func scaling(method: KrylovMethodUnderTest) throws {
    let a = propertyMatrix
    let (_, b) = knownSolution(a)
    let base = try method.solver().solve(a, b, x0: nil, monitor: nil)
    #expect(base.converged)
    for s in [1e150, 1e-150] {
      let scaled = b.map { $0 * s }
      let result = try method.solver().solve(a, scaled, x0: nil, monitor: nil)
      #expect(result.converged, "\(method) scale \(s): \(result.reason)")
      // 1e±150 is not a power of 2, so b·s is rounded and the iterates differ in the last
      // bits; BiCGSTAB's residual is not monotone, so a norm near the threshold may cross it
      // one iteration earlier or later. GMRES and MINRES are monotone and scale-free.
      let slack = method == .bicgstab ? 1 : 0
      #expect(abs(result.iterations - base.iterations) <= slack, "\(method) scale \(s): \(result.iterations) vs \(base.iterations)")
      #expect(result.trueResidualNorm / result.rhsNorm <= 10 * krylovRtol, "\(method) scale \(s)")
    }
  }

  @Test("maxIterations = 1 calls the monitor exactly twice (k = 0, 1)", arguments: KrylovMethodUnderTest.allCases)
  func monitorTwice(method: KrylovMethodUnderTest) throws {
    var calls: [Int] = []
    let (_, b) = knownSolution(propertyMatrix)
    let result = try method.solver(stopping: StoppingCriterion(maxIterations: 1)).solve(
      propertyMatrix, b, x0: nil
    ) { k, _ in
      calls.append(k)
      return .continue
    }
    #expect(calls == [0, 1])
    #expect(result.reason == .maxIterations && result.iterations == 1)
  }

  @Test("residualHistory has iterations + 1 entries", arguments: KrylovMethodUnderTest.allCases)
  func history(method: KrylovMethodUnderTest) throws {
    let (_, b) = knownSolution(propertyMatrix)
    var seen: [Double] = []
    let result = try method.solver(recordHistory: true).solve(propertyMatrix, b, x0: nil) { _, r in
      seen.append(r)
      return .continue
    }
    #expect(result.converged)
    #expect(result.residualHistory?.count == result.iterations + 1)
    #expect(result.residualHistory == seen)
    #expect(result.residualHistory?.last == result.residualNorm)
  }

  @Test("The monitor stopping at k = 3 cancels after 3 iterations", arguments: KrylovMethodUnderTest.allCases)
  func cancel(method: KrylovMethodUnderTest) throws {
    let (_, b) = knownSolution(propertyMatrix)
    let result = try method.solver().solve(propertyMatrix, b, x0: nil) { k, _ in k == 3 ? .stop : .continue }
    #expect(result.reason == .cancelled && result.iterations == 3)
    // The iterate returned is the one after iteration 3, not x₀.
    #expect(result.trueResidualNorm < result.rhsNorm)
  }

  @Test("NaN in b throws nonFinite; a wrong-length b throws dimensionMismatch", arguments: KrylovMethodUnderTest.allCases)
  func invalidInput(method: KrylovMethodUnderTest) throws {
    let n = propertyMatrix.rows
    var b = [Double](repeating: 1, count: n)
    b[5] = .nan
    #expect(throws: LinSolveError.nonFinite(what: "right-hand side b")) {
      _ = try method.solver().solve(propertyMatrix, b, x0: nil, monitor: nil)
    }
    #expect(throws: LinSolveError.dimensionMismatch(expected: n, actual: n - 1, what: "right-hand side b")) {
      _ = try method.solver().solve(propertyMatrix, [Double](repeating: 1, count: n - 1), x0: nil, monitor: nil)
    }
  }

  @Test("A second solve of the same size allocates no workspace", arguments: KrylovMethodUnderTest.allCases)
  func workspaceReuse(method: KrylovMethodUnderTest) throws {
    let workspace = Workspace()
    let solver = method.solver(workspace: workspace)
    let (_, b) = knownSolution(propertyMatrix)
    _ = try solver.solve(propertyMatrix, b, x0: nil, monitor: nil)
    let after = workspace.allocations
    #expect(after == 1)
    let second = try solver.solve(propertyMatrix, b.map { -$0 }, x0: nil, monitor: nil)
    #expect(second.converged)
    #expect(workspace.allocations == after)
  }

  @Test("A matrix-free operator gives the same iterations as the CSR matrix", arguments: KrylovMethodUnderTest.allCases)
  func matrixFree(method: KrylovMethodUnderTest) throws {
    let a = propertyMatrix
    let op = ClosureOperator(rows: a.rows, columns: a.columns) { x, y in a.apply(x, into: y) }
    let (_, b) = knownSolution(a)
    let csr = try method.solver().solve(a, b, x0: nil, monitor: nil)
    let free = try method.solver().solve(op, b, x0: nil, monitor: nil)
    #expect(free.converged && free.iterations == csr.iterations)
  }

  @Test("Large system: fused and unfused products give the same BiCGSTAB/GMRES/MINRES history")
  func largeParallelPaths() throws {
    // 65 536 unknowns: long enough for the kernels to split into chunks (when > 1 thread).
    let a = Poisson.matrix2D(256)
    let op = ClosureOperator(rows: a.rows, columns: a.columns) { x, y in a.apply(x, into: y) }
    let (_, b) = knownSolution(a)
    for method in KrylovMethodUnderTest.allCases {
      let stopping = StoppingCriterion(maxIterations: 8)
      let csr = try method.solver(stopping: stopping, recordHistory: true).solve(a, b, x0: nil, monitor: nil)
      let free = try method.solver(stopping: stopping, recordHistory: true).solve(op, b, x0: nil, monitor: nil)
      #expect(csr.iterations == 8 && csr.residualHistory == free.residualHistory, "\(method)")
      #expect(csr.residualNorm < csr.rhsNorm)
      #expect(abs(csr.residualNorm - csr.trueResidualNorm) <= 1e-8 * csr.rhsNorm, "\(method)")
    }
  }

  @Test("Kernels match plain loops, on vectors long enough to run in parallel")
  func kernels() {
    let n = 100_003
    var rng = TestRandom(seed: 21)
    let x = rng.vector(n), z = rng.vector(n)
    var y = rng.vector(n)
    let y0 = y
    let alpha = 0.375
    var plainY = y0
    var plainDot = 0.0
    for i in 0..<n { plainY[i] += alpha * x[i]; plainDot += z[i] * plainY[i] }
    let fused = x.withUnsafeBufferPointer { xp in
      z.withUnsafeBufferPointer { zp in
        y.withUnsafeMutableBufferPointer { KrylovKernels.axpyDot(alpha, xp, $0, dot: zp) }
      }
    }
    #expect(y == plainY)
    #expect(abs(fused - plainDot) <= 1e-12 * abs(plainDot) + 1e-9)

    let (xy, yy) = x.withUnsafeBufferPointer { xp in
      y0.withUnsafeBufferPointer { KrylovKernels.dotAndSquares(xp, $0) }
    }
    #expect(abs(xy - Vector.dot(x, y0)) <= 1e-12 * Double(n))
    #expect(abs(yy - Vector.dot(y0, y0)) <= 1e-12 * yy)

    // combine: out = Σ c_i v_i, and x + Σ c_i v_i
    let basis = (0..<5).map { _ in UnsafeMutableBufferPointer<Double>.allocate(capacity: n) }
    defer { basis.forEach { $0.deallocate() } }
    for v in basis { for i in 0..<n { v[i] = rng.next() } }
    let c = [0.5, -1.0, 2.0, 0.25, 3.0]
    var out = [Double](repeating: .nan, count: n)
    out.withUnsafeMutableBufferPointer { KrylovKernels.combine(basis, c, count: 4, into: $0, accumulate: false) }
    var maxError = 0.0
    for i in stride(from: 0, to: n, by: 997) {
      let expected = (0..<4).reduce(0.0) { $0 + c[$1] * basis[$1][i] }
      maxError = max(maxError, abs(out[i] - expected))
    }
    #expect(maxError <= 1e-14)

    // Scale-safe helpers.
    let tiny = x.map { $0 * 1e-200 }, huge = x.map { $0 * 1e200 }
    let normX = Vector.norm(x)
    for (v, s) in [(tiny, 1e-200), (huge, 1e200)] {
      let squares = Vector.dot(v, v)  // underflows to 0 / overflows to inf
      let norm = v.withUnsafeBufferPointer { KrylovKernels.norm(squares: squares, $0) }
      #expect(abs(norm / s - normX) <= 1e-13 * normX)
      // vᵀz and vᵀv with z = O(1) and v = O(s): each vector gets its own scale.
      let scaled = v.withUnsafeBufferPointer { vp in z.withUnsafeBufferPointer { KrylovKernels.scaledDots(vp, $0) } }
      #expect(abs(scaled.xx.squareRoot() * (scaled.xScale / s) - normX) <= 1e-13 * normX)
      let xz = Vector.dot(x, z)
      #expect(abs(scaled.xy * (scaled.xScale / s) * scaled.yScale - xz) <= 1e-12 * normX * Vector.norm(z))
    }
    #expect(KrylovKernels.hypot(3e300, 4e300) == 5e300)
    #expect(KrylovKernels.hypot(3e-300, 4e-300) == 5e-300)
    #expect(KrylovKernels.hypot(0, 0) == 0)
  }

  // MARK: Method-specific edge cases

  @Test("GMRES rejects restart < 1")
  func gmresRestartValidation() {
    #expect(throws: LinSolveError.self) {
      _ = try GMRES(restart: 0).solve(propertyMatrix, [Double](repeating: 1, count: propertyMatrix.rows))
    }
  }

  @Test("GMRES(1) stagnates on a rotation, where Ab ⊥ b")
  func gmresStagnation() throws {
    let a = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 1, 1), (1, 0, -1)])
    let result = try GMRES(restart: 1).solve(a, [1, 0])
    #expect(result.reason == .stagnation && result.iterations == 1)
    // Full GMRES solves it in 2 steps.
    let full = try GMRES(restart: 2).solve(a, [1, 0])
    #expect(full.converged && full.iterations == 2)
    #expect(abs(full.x[0]) < 1e-14 && abs(full.x[1] - 1) < 1e-14)
  }

  @Test("GMRES: happy breakdown on a diagonal matrix with 3 distinct eigenvalues")
  func gmresHappyBreakdown() throws {
    let d = (0..<60).map { Double(1 + $0 % 3) }
    let a = SparseMatrix.diagonal(d)
    let b = [Double](repeating: 1, count: 60)
    let result = try GMRES(stopping: StoppingCriterion(rtol: 1e-14)).solve(a, b)
    #expect(result.converged && result.iterations <= 3)
    #expect(result.trueResidualNorm <= 1e-13 * result.rhsNorm)
  }

  @Test("BiCGSTAB reports breakdown when r̂ᵀAp = 0")
  func bicgstabBreakdown() throws {
    let a = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 1, 1), (1, 0, -1)])
    let result = try BiCGSTAB().solve(a, [1, 0])
    #expect(result.reason == .breakdown)
  }

  @Test("MINRES stops with .indefinite for an indefinite preconditioner")
  func minresIndefinitePreconditioner() throws {
    let a = propertyMatrix
    let (_, b) = knownSolution(a)
    var calls: [Int] = []
    let result = try MINRES(preconditioner: try TestJacobi(a, sign: -1), recordHistory: true)
      .solve(a, b) { k, _ in
        calls.append(k)
        return .continue
      }
    #expect(result.reason == .indefinite && result.iterations == 0)
    #expect(calls == [0] && result.residualHistory?.count == 1)
  }
}
