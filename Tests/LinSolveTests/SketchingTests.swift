import Testing
@testable import LinSolve

// MARK: - Helpers

/// A dense m×n matrix `U·diag(s)·Vᵀ` with orthonormal `U`, `V` and `s = logspace(0, −log₁₀κ, n)`.
func sketchTestMatrix(rows m: Int, columns n: Int, condition kappa: Double, seed: UInt64) throws -> DenseMatrix {
  var rng = TestRandom(seed: seed)
  var u = try DenseMatrix(rows: m, columns: n, columnMajor: rng.vector(m * n))
  var v = try DenseMatrix(rows: n, columns: n, columnMajor: rng.vector(n * n))
  let tu = try LAPACK.qr(&u)
  try LAPACK.formQ(&u, tau: tu)
  let tv = try LAPACK.qr(&v)
  try LAPACK.formQ(&v, tau: tv)
  let logKappa = log10(kappa)
  for j in 0..<n {
    let s = n == 1 ? 1 : pow10(-logKappa * Double(j) / Double(n - 1))
    for i in 0..<m { u[i, j] *= s }
  }
  var a = DenseMatrix(rows: m, columns: n)
  BLAS.gemm(u, transposeA: false, v, transposeB: true, into: &a)
  return a
}

private func log10(_ x: Double) -> Double { Glibc.log10(x) }
private func pow10(_ x: Double) -> Double { Glibc.pow(10, x) }

/// The least-squares solution by LAPACK `dgels` (Householder QR), the reference.
private func dgelsSolution(_ a: DenseMatrix, _ b: [Double]) throws -> [Double] {
  var values = a.values
  var rhs = b
  let info = LAPACK.leastSquares(rows: a.rows, columns: a.columns, &values, &rhs)
  #expect(info == 0)
  return Array(rhs[0..<a.columns])
}

/// `‖x − y‖ / ‖y‖`.
private func sketchRelativeDifference(_ x: [Double], _ y: [Double]) -> Double {
  var d = 0.0
  for i in 0..<x.count { d += (x[i] - y[i]) * (x[i] - y[i]) }
  return d.squareRoot() / Vector.norm(y)
}

/// A least-squares problem with a residual: `b = A x + noise`.
func sketchTestProblem(rows m: Int, columns n: Int, condition kappa: Double, noise: Double = 1e-3, seed: UInt64)
  throws -> (a: DenseMatrix, b: [Double])
{
  let a = try sketchTestMatrix(rows: m, columns: n, condition: kappa, seed: seed)
  var rng = TestRandom(seed: seed &+ 99)
  let x = rng.vector(n)
  var b = a.applied(to: x)
  let scale = noise * Vector.norm(b) / Double(m).squareRoot()
  for i in 0..<m { b[i] += scale * rng.next() }
  return (a, b)
}

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Tests

@Suite("Sketching")
struct SketchingTests {
  // MARK: Sketching operators

  @Test("Sparse sign sketch: ζ distinct rows per column, ±1/√ζ, reproducible from the seed")
  func sparseSignStructure() {
    let s = SketchingOperator(rows: 40, columns: 300, seed: 5)
    let t = SketchingOperator(rows: 40, columns: 300, seed: 5)
    let other = SketchingOperator(rows: 40, columns: 300, seed: 6)
    let matrix = s.sparseMatrix()
    #expect(matrix == t.sparseMatrix())
    #expect(matrix != other.sparseMatrix())
    #expect(matrix.nonzeros == 8 * 300)  // distinct rows: no entries merged
    let scale = 1 / 8.0.squareRoot()
    #expect(matrix.values.allSatisfy { abs(abs($0) - scale) < 1e-15 })
    // Both signs appear, about equally.
    let positive = matrix.values.filter { $0 > 0 }.count
    #expect(positive > 1000 && positive < 1400)
    // ζ is capped at d.
    #expect(SketchingOperator(rows: 3, columns: 10, seed: 1).sparseMatrix().nonzeros == 30)
  }

  @Test("Sketch products agree with the explicit matrix (dense, CSR, vector, transpose)", arguments: [
    SketchingOperator.Distribution.sparseSign(), .sparseSign(nonzerosPerColumn: 2), .gaussian,
  ])
  func sketchProducts(_ distribution: SketchingOperator.Distribution) throws {
    let m = 257, n = 13, d = 31
    var rng = TestRandom(seed: 17)
    let a = try DenseMatrix(rows: m, columns: n, columnMajor: rng.vector(m * n))
    let s = SketchingOperator(rows: d, columns: m, distribution: distribution, seed: 99)
    let explicit = s.denseMatrix()
    var reference = DenseMatrix(rows: d, columns: n)
    BLAS.gemm(explicit, transposeA: false, a, transposeB: false, into: &reference)
    let sa = s.apply(to: a)
    for k in 0..<reference.values.count { #expect(abs(sa.values[k] - reference.values[k]) < 1e-12) }

    // A sparse matrix with some empty rows and columns.
    var entries: [(row: Int, column: Int, value: Double)] = []
    for i in 0..<m where i % 5 != 0 {
      for j in 0..<n where abs(rng.next()) < 0.4 { entries.append((i, j, rng.next())) }
    }
    let sparse = try SparseMatrix(rows: m, columns: n, entries: entries)
    let denseOfSparse = try DenseMatrix(rows: m, columns: n, columnMajor: (0..<(m * n)).map { sparse[$0 % m, $0 / m] })
    var reference2 = DenseMatrix(rows: d, columns: n)
    BLAS.gemm(explicit, transposeA: false, denseOfSparse, transposeB: false, into: &reference2)
    let ssa = s.apply(to: sparse)
    for k in 0..<reference2.values.count { #expect(abs(ssa.values[k] - reference2.values[k]) < 1e-12) }

    let x = rng.vector(m)
    let sx = s.applied(to: x), ex = explicit.applied(to: x)
    for i in 0..<d { #expect(abs(sx[i] - ex[i]) < 1e-12) }
    let y = rng.vector(d)
    let sty = s.appliedTranspose(to: y)
    for j in 0..<m {
      var e = 0.0
      for i in 0..<d { e += explicit[i, j] * y[i] }
      #expect(abs(sty[j] - e) < 1e-12)
    }
  }

  @Test("E‖Sx‖² ≈ ‖x‖² over seeds", arguments: [
    SketchingOperator.Distribution.sparseSign(), .gaussian,
  ])
  func isometryInExpectation(_ distribution: SketchingOperator.Distribution) {
    let m = 500, d = 50, trials = 400
    var rng = TestRandom(seed: 3)
    let x = rng.vector(m)
    let xx = Vector.dot(x, x)
    var sum = 0.0, sumSquares = 0.0
    for seed in 0..<trials {
      let s = SketchingOperator(rows: d, columns: m, distribution: distribution, seed: UInt64(seed))
      let sx = s.applied(to: x)
      let ratio = Vector.dot(sx, sx) / xx
      sum += ratio
      sumSquares += ratio * ratio
    }
    let mean = sum / Double(trials)
    let variance = sumSquares / Double(trials) - mean * mean
    // Var(‖Sx‖²/‖x‖²) ≈ 2/d for both families, so the mean's standard error is ≈ √(2/d/trials) ≈ 0.01.
    #expect(abs(mean - 1) < 0.05)
    #expect(variance < 4.0 / Double(d))
  }

  // MARK: Least squares

  @Test("LSQR and LSMR agree with dgels on a small problem")
  func lsqrLsmrMatchDgels() throws {
    let (a, b) = try sketchTestProblem(rows: 300, columns: 20, condition: 1e3, seed: 1)
    let reference = try dgelsSolution(a, b)
    let lsqr = try LSQR(stopping: StoppingCriterion(rtol: 1e-15, maxIterations: 500), tolerance: 1e-15).solve(a, b)
    #expect(lsqr.converged)
    #expect(sketchRelativeDifference(lsqr.x, reference) < 1e-10)
    let lsmr = try LSMR(stopping: StoppingCriterion(rtol: 1e-15, maxIterations: 500), tolerance: 1e-15).solve(a, b)
    #expect(lsmr.converged)
    #expect(sketchRelativeDifference(lsmr.x, reference) < 1e-10)
    // Sparse input gives the same answer.
    var entries: [(row: Int, column: Int, value: Double)] = []
    for j in 0..<a.columns { for i in 0..<a.rows { entries.append((i, j, a[i, j])) } }
    let sparse = try SparseMatrix(rows: a.rows, columns: a.columns, entries: entries)
    let sparseResult = try LSQR(stopping: StoppingCriterion(rtol: 1e-15, maxIterations: 500), tolerance: 1e-15).solve(sparse, b)
    #expect(sketchRelativeDifference(sparseResult.x, reference) < 1e-10)
  }

  @Test("LSQR with the triangular factor of A as right preconditioner converges in a few steps")
  func preconditionedLSQR() throws {
    let (a, b) = try sketchTestProblem(rows: 200, columns: 15, condition: 1e6, seed: 2)
    var qr = a
    _ = try LAPACK.qr(&qr)
    let r = try UpperTriangularMatrix(upperTriangleOf: qr)
    let reference = try dgelsSolution(a, b)
    let pre = try LSQR(stopping: StoppingCriterion(rtol: 1e-15), tolerance: 1e-15, preconditioner: r).solve(a, b)
    #expect(pre.converged && pre.iterations <= 4)
    #expect(sketchRelativeDifference(pre.x, reference) < 1e-9)
    let preLSMR = try LSMR(stopping: StoppingCriterion(rtol: 1e-15), tolerance: 1e-15, preconditioner: r).solve(a, b)
    #expect(preLSMR.converged && preLSMR.iterations <= 4)
    #expect(sketchRelativeDifference(preLSMR.x, reference) < 1e-9)
  }

  @Test("LSQR on a consistent system stops on ‖r‖/‖b‖")
  func consistentLSQR() throws {
    let a = try sketchTestMatrix(rows: 120, columns: 10, condition: 10, seed: 4)
    var rng = TestRandom(seed: 8)
    let xTrue = rng.vector(10)
    let b = a.applied(to: xTrue)
    let result = try LSQR(stopping: StoppingCriterion(rtol: 1e-12), tolerance: 1e-14).solve(a, b)
    #expect(result.converged)
    #expect(result.residualNorm <= 1e-11 * Vector.norm(b))
    #expect(sketchRelativeDifference(result.x, xTrue) < 1e-10)
  }

  @Test("Sketch-preconditioned LSQR and iterative sketching agree with dgels (dense and sparse sketches)")
  func sketchSolversMatchDgels() throws {
    let (a, b) = try sketchTestProblem(rows: 2000, columns: 40, condition: 1e4, seed: 3)
    let reference = try dgelsSolution(a, b)
    for distribution in [SketchingOperator.Distribution.sparseSign(), .gaussian] {
      let sap = try SketchPreconditionedLSQR(distribution: distribution, seed: 11).solve(a, b)
      #expect(sap.converged)
      #expect(sap.iterations < 60)
      #expect(sketchRelativeDifference(sap.x, reference) < 1e-10)
      let iterative = try IterativeSketching(distribution: distribution, seed: 11).solve(a, b)
      #expect(iterative.converged)
      #expect(iterative.iterations < 60)
      #expect(sketchRelativeDifference(iterative.x, reference) < 1e-10)
    }
  }

  @Test("Cold and warm starts both converge; the warm start is at least as accurate")
  func coldAndWarmStart() throws {
    let (a, b) = try sketchTestProblem(rows: 3000, columns: 30, condition: 1e6, seed: 5)
    let reference = try dgelsSolution(a, b)
    let warm = try SketchPreconditionedLSQR(seed: 3).solve(a, b)
    let cold = try SketchPreconditionedLSQR(seed: 3, warmStart: false).solve(a, b)
    #expect(warm.converged && cold.converged)
    #expect(warm.iterations <= cold.iterations)
    #expect(sketchRelativeDifference(warm.x, reference) < 1e-8)
    #expect(sketchRelativeDifference(cold.x, reference) < 1e-6)
    let normA = 1.0  // σ_max of the test matrix
    #expect(try #require(warm.backwardErrorProxy(operatorNorm: normA)) < 1e-10)
    let coldFigures = try #require(cold.leastSquares), warmFigures = try #require(warm.leastSquares)
    #expect(coldFigures.timings.total >= 0 && warmFigures.timings.sketch >= 0 && warmFigures.timings.factor >= 0)
    #expect(warm.seconds == warmFigures.timings.total && warmFigures.sketchConditionEstimate != nil)
    // One result contract: the tracked and true residual norms are both ‖b − A x‖, recomputed.
    #expect(warm.trueResidualNorm == warm.residualNorm)
  }

  @Test("Iterative sketching momentum variants converge")
  func iterativeSketchingVariants() throws {
    let (a, b) = try sketchTestProblem(rows: 1500, columns: 25, condition: 1e3, seed: 6)
    let reference = try dgelsSolution(a, b)
    let plain = try IterativeSketching(oversampling: 20, seed: 1, momentum: .none).solve(a, b)
    let damped = try IterativeSketching(oversampling: 8, seed: 1, momentum: .damped).solve(a, b)
    let optimal = try IterativeSketching(oversampling: 4, seed: 1).solve(a, b)
    for r in [plain, damped, optimal] {
      #expect(sketchRelativeDifference(r.x, reference) < 1e-9)
    }
    #expect(optimal.converged)
  }

  @Test("Least-squares monitors: called at k = 0 and after every iteration (maxIterations = 1 ⇒ two calls)")
  func leastSquaresMonitorContract() throws {
    let (a, b) = try sketchTestProblem(rows: 400, columns: 10, condition: 1e2, seed: 7)
    let one = StoppingCriterion(rtol: 1e-15, maxIterations: 1)
    var calls: [Int] = []
    let monitor: SolveMonitor = { k, _ in
      calls.append(k)
      return .continue
    }
    let results = [
      try LSQR(stopping: one, tolerance: 1e-15).solve(a, b, monitor: monitor),
      try LSMR(stopping: one, tolerance: 1e-15).solve(a, b, monitor: monitor),
      try SketchPreconditionedLSQR(tolerance: 1e-15, stopping: one).solve(a, b, monitor: monitor),
      try IterativeSketching(stopping: one).solve(a, b, monitor: monitor),
    ]
    #expect(calls == [0, 1, 0, 1, 0, 1, 0, 1])
    for r in results { #expect(r.reason == .maxIterations && r.iterations == 1) }
    // A monitor that stops at once cancels the solve before any iteration.
    let cancelled = try LSQR().solve(a, b) { _, _ in .stop }
    #expect(cancelled.reason == .cancelled && cancelled.iterations == 0)
  }

  @Test("LSQR/LSMR edge cases: b = 0, an underdetermined system (minimum-norm solution), bad input")
  func leastSquaresEdgeCases() throws {
    let (a, _) = try sketchTestProblem(rows: 50, columns: 8, condition: 10, seed: 8)
    let zero = try LSQR().solve(a, [Double](repeating: 0, count: 50))
    #expect(zero.converged && zero.iterations == 0 && zero.x.allSatisfy { $0 == 0 })
    // Wide: A is 8×50 (the transpose); from x₀ = 0 LSQR/LSMR converge to x = Aᵀ(AAᵀ)⁻¹b.
    let wide = try DenseMatrix(rows: 8, columns: 50, columnMajor: (0..<400).map { a[$0 / 8, $0 % 8] })
    var rng = TestRandom(seed: 9)
    let b = rng.vector(8)
    let lsqr = try LSQR(stopping: StoppingCriterion(rtol: 1e-13), tolerance: 1e-14).solve(wide, b)
    let lsmr = try LSMR(stopping: StoppingCriterion(rtol: 1e-13), tolerance: 1e-14).solve(wide, b)
    #expect(lsqr.converged && lsmr.converged)
    // The minimum-norm solution lies in the row space of the wide matrix, range(a): projecting
    // x onto range(a) (least squares with a) gives x back.
    for r in [lsqr, lsmr] {
      #expect(r.relativeResidual < 1e-12)
      let y = try dgelsSolution(a, r.x)
      let back = a.applied(to: y)
      #expect(sketchRelativeDifference(back, r.x) < 1e-10)
    }
    #expect(throws: LinSolveError.self) { _ = try LSQR(tolerance: 2).solve(a, [Double](repeating: 1, count: 50)) }
    #expect(throws: LinSolveError.self) { _ = try LSQR().solve(a, [1, 2, 3]) }
    #expect(throws: LinSolveError.self) { _ = try SketchPreconditionedLSQR().solve(wide, b) }
    #expect(throws: LinSolveError.self) { _ = try IterativeSketching(oversampling: 0.5).solve(a, [Double](repeating: 1, count: 50)) }
  }

  // MARK: Row-action methods

  @Test("Randomized Kaczmarz converges on a consistent tall system (CSR and dense agree)")
  func kaczmarzConsistent() throws {
    let m = 600, n = 30
    var rng = TestRandom(seed: 21)
    let dense = try DenseMatrix(rows: m, columns: n, columnMajor: rng.vector(m * n))
    let sparse = try sketchSparseCopy(dense)
    let xTrue = rng.vector(n)
    let b = dense.applied(to: xTrue)
    let rk = RandomizedKaczmarz(seed: 4, recordHistory: true)
    let result = try rk.solve(sparse, b)
    #expect(result.converged)
    #expect(result.relativeResidual <= 1e-8)
    #expect(sketchRelativeDifference(result.x, xTrue) < 1e-6)
    #expect(result.iterations % m == 0 && result.iterations <= 40 * m)  // checked once per pass
    #expect(result.residualHistory?.count == result.iterations / m + 1)
    let denseResult = try rk.solve(dense, b)
    #expect(denseResult.converged && denseResult.iterations == result.iterations)
    #expect(sketchRelativeDifference(denseResult.x, result.x) < 1e-10)
    // Uniform sampling also converges here (rows have similar norms).
    #expect(try RandomizedKaczmarz(sampling: .uniform, seed: 4).solve(sparse, b).converged)
  }

  @Test("Randomized Kaczmarz reports stagnation on an inconsistent system")
  func kaczmarzInconsistent() throws {
    let m = 400, n = 20
    var rng = TestRandom(seed: 22)
    let a = try DenseMatrix(rows: m, columns: n, columnMajor: rng.vector(m * n))
    var b = a.applied(to: rng.vector(n))
    for i in 0..<m { b[i] += 0.1 * rng.next() }
    let result = try RandomizedKaczmarz(seed: 2).solve(try sketchSparseCopy(a), b)
    #expect(result.reason == .stagnation)
    // It ends in a ball around the least-squares solution: residual within a small factor.
    let ls = try dgelsSolution(a, b)
    var r = a.applied(to: ls)
    for i in 0..<m { r[i] = b[i] - r[i] }
    #expect(result.trueResidualNorm < 2 * Vector.norm(r))
    #expect(result.trueResidualNorm >= Vector.norm(r) * (1 - 1e-12))
  }

  @Test("Sketch-and-project solves a small SPD system with every sketch", arguments: [
    SketchAndProject.Sketch.gaussianVector, .rows(), .rows(blockSize: 5), .gaussianBlock(size: 5),
  ])
  func sketchAndProjectSPD(_ sketch: SketchAndProject.Sketch) throws {
    let n = 30
    var seedRandom = TestRandom(seed: 31)
    var q = try DenseMatrix(rows: n, columns: n, columnMajor: seedRandom.vector(n * n))
    let tau = try LAPACK.qr(&q)
    try LAPACK.formQ(&q, tau: tau)
    var a = DenseMatrix(rows: n, columns: n)
    var ql = q
    for j in 0..<n {
      let lambda: Double = 1 + 2 * Double(j) / Double(n - 1)  // Λ ∈ [1, 3]
      for i in 0..<n { ql[i, j] *= lambda }
    }
    BLAS.gemm(ql, transposeA: false, q, transposeB: true, into: &a)
    var rng = TestRandom(seed: 32)
    let xTrue = rng.vector(n)
    let b = a.applied(to: xTrue)
    let result = try SketchAndProject(sketch: sketch, seed: 9).solve(a, b)
    #expect(result.converged)
    #expect(result.relativeResidual <= 1e-8)
    #expect(sketchRelativeDifference(result.x, xTrue) < 1e-6)
    // The same on the CSR copy (row sketches read the CSR rows).
    let sparse = try SketchAndProject(sketch: sketch, seed: 9).solve(try sketchSparseCopy(a), b)
    #expect(sparse.converged)
  }

  @Test("Sketch-and-project solves a small KKT system", arguments: [
    SketchAndProject.Sketch.gaussianVector, .rows(), .gaussianBlock(size: 6),
  ])
  func sketchAndProjectKKT(_ sketch: SketchAndProject.Sketch) throws {
    // K = [[H, Gᵀ], [G, 0]], H = I + 0.1·diag, G random 4×16: symmetric indefinite.
    let n = 16, m = 4, size = n + m
    var rng = TestRandom(seed: 41)
    var entries: [(row: Int, column: Int, value: Double)] = []
    for i in 0..<n { entries.append((i, i, 1 + 0.1 * Double(i % 5))) }
    for i in 0..<m {
      for j in 0..<n {
        let g = rng.next()
        entries.append((n + i, j, g))
        entries.append((j, n + i, g))
      }
    }
    let k = try SparseMatrix(rows: size, columns: size, entries: entries)
    let zTrue = rng.vector(size)
    let rhs = k.applied(to: zTrue)
    let result = try SketchAndProject(sketch: sketch, seed: 5, stopping: StoppingCriterion(rtol: 1e-6, maxIterations: 500_000))
      .solve(k, rhs)
    #expect(result.converged)
    #expect(result.relativeResidual <= 1e-6)
    // MINRES, the method to prefer here, needs at most `size` iterations.
    let minres = try MINRES(stopping: StoppingCriterion(rtol: 1e-6)).solve(k, rhs)
    #expect(minres.converged && minres.iterations <= size)
  }

  @Test("Sketch-and-project rejects row sketches without row access")
  func rowSketchNeedsRows() {
    let op = SketchingOperator(rows: 5, columns: 5, seed: 1)
    #expect(throws: LinSolveError.self) {
      _ = try SketchAndProject(sketch: .rows()).solve(op, [1, 2, 3, 4, 5])
    }
  }

  // MARK: Nyström

  @Test("Nyström preconditioner is exact when ℓ ≥ rank(A): PCG on A + μI in ≤ 3 iterations")
  func nystromLowRank() throws {
    let n = 200, r = 10, mu = 1e-3
    var rng = TestRandom(seed: 51)
    let v = try DenseMatrix(rows: n, columns: r, columnMajor: rng.vector(n * r))
    var a = DenseMatrix(rows: n, columns: n)
    BLAS.gemm(v, transposeA: false, v, transposeB: true, into: &a)
    let system = sketchShifted(a, mu)
    let b = rng.vector(n)
    let fixed = try NystromPreconditioner(operator: a, shift: mu, rank: 20)
    #expect(fixed.rank == 20)
    let pcg = try ConjugateGradient(stopping: StoppingCriterion(rtol: 1e-10), preconditioner: fixed).solve(system, b)
    #expect(pcg.converged && pcg.iterations <= 3)
    let cg = try ConjugateGradient(stopping: StoppingCriterion(rtol: 1e-10)).solve(system, b)
    #expect(cg.iterations > 5 * pcg.iterations)
    // Adaptive rank: doubling from 4 stops once ‖A − Â‖ ≤ μ/5, at the first ℓ ≥ r.
    let adaptive = try NystromPreconditioner(operator: a, shift: mu, initialRank: 4)
    #expect(adaptive.rank == 16)
    #expect((adaptive.errorEstimate ?? 1) <= mu / 5)
    let pcg2 = try ConjugateGradient(stopping: StoppingCriterion(rtol: 1e-10), preconditioner: adaptive).solve(system, b)
    #expect(pcg2.converged && pcg2.iterations <= 3)
    // Set-up from a SparseMatrix, and from the shifted system matrix.
    let sparse = try sketchSparseCopy(a)
    let fromSparse = try NystromPreconditioner(shift: mu, rank: 12)
    try fromSparse.setUp(for: sparse)
    let fromShifted = try NystromPreconditioner(shift: mu, rank: 12, matrixIncludesShift: true)
    try fromShifted.setUp(for: sparse.shifted(by: mu))
    for pc in [fromSparse, fromShifted] {
      let result = try ConjugateGradient(stopping: StoppingCriterion(rtol: 1e-10), preconditioner: pc).solve(system, b)
      #expect(result.converged && result.iterations <= 3)
    }
  }

  @Test("Nyström preconditioner cuts CG iterations on an RBF kernel matrix (n = 500, μ = 1e-3)")
  func nystromKernel() throws {
    let n = 500, dimension = 5, mu = 1e-3, bandwidth = 3.0
    var rng = TestRandom(seed: 61)
    let points = rng.vector(n * dimension).map { 2 * $0 }
    var k = DenseMatrix(rows: n, columns: n)
    for j in 0..<n {
      for i in 0..<n {
        var d2 = 0.0
        for t in 0..<dimension {
          let d = points[i * dimension + t] - points[j * dimension + t]
          d2 += d * d
        }
        k[i, j] = Glibc.exp(-d2 / (2 * bandwidth * bandwidth))
      }
    }
    let system = sketchShifted(k, mu)
    let b = rng.vector(n)
    let stopping = StoppingCriterion(rtol: 1e-8, maxIterations: 5000)
    let cg = try ConjugateGradient(stopping: stopping).solve(system, b)
    // Adaptive doubling from 16, capped at 64 (far below the rank μ/5 accuracy would need).
    let nystrom = try NystromPreconditioner(operator: k, shift: mu, maxRank: 64, seed: 3)
    let pcg = try ConjugateGradient(stopping: stopping, preconditioner: nystrom).solve(system, b)
    #expect(cg.converged && pcg.converged)
    #expect(pcg.iterations * 3 < cg.iterations)
    #expect(nystrom.rank == 64)
  }
}

// MARK: - More helpers

/// A CSR copy of a dense matrix (zeros dropped).
func sketchSparseCopy(_ a: DenseMatrix) throws -> SparseMatrix {
  var entries: [(row: Int, column: Int, value: Double)] = []
  for j in 0..<a.columns { for i in 0..<a.rows where a[i, j] != 0 { entries.append((i, j, a[i, j])) } }
  return try SparseMatrix(rows: a.rows, columns: a.columns, entries: entries)
}

/// `A + μI` as an operator.
private func sketchShifted(_ a: DenseMatrix, _ mu: Double) -> ClosureOperator {
  ClosureOperator(rows: a.rows, columns: a.columns) { x, y in
    BLAS.gemv(a, transpose: false, x, y)
    for i in 0..<y.count { y[i] += mu * x[i] }
  }
}
