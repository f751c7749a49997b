import Testing
@testable import LinSolve

/// A deterministic, "random-looking" vector (a 64-bit LCG mapped to [-1, 1]).
private func pseudoRandomVector(_ n: Int, seed: UInt64 = 42) -> [Double] {
  var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
  return (0..<n).map { _ in
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return Double(state >> 11) / Double(1 << 53) * 2 - 1
  }
}

private func relativeResidual(_ A: SparseMatrix, x: [Double], b: [Double]) -> Double {
  A.residualNorm(x: x, b: b) / Vector.norm(b)
}

private func relativeError(_ x: [Double], _ xTrue: [Double]) -> Double {
  var d = x
  Vector.axpy(-1, xTrue, &d)
  return Vector.norm(d) / Vector.norm(xTrue)
}

/// Diffusion with a 10⁴ jump: a = 10⁴ in the disc of radius 0.25 around the centre, 1 elsewhere.
private func jumpDiffusion(_ n: Int) -> SparseMatrix {
  Diffusion.matrix2D(n) { x, y in
    (x - 0.5) * (x - 0.5) + (y - 0.5) * (y - 0.5) < 0.0625 ? 1e4 : 1
  }
}

/// Extracts the `.factorizationFailed` reason, or nil for any other outcome.
private func failureReason(_ body: () throws -> Void) -> String? {
  do {
    try body()
    return nil
  } catch let LinSolveError.factorizationFailed(reason) {
    return reason
  } catch {
    return nil
  }
}

@Suite("DirectSolver: Cholesky (CHOLMOD)")
struct DirectSolverCholeskyTests {
  static let cases: [(String, SparseMatrix, Double)] = [
    ("Poisson 1-D n=100", Poisson.matrix1D(100), 1e-9),
    ("Poisson 2-D N=30", Poisson.matrix2D(30), 1e-11),
    ("Poisson 3-D N=10", Poisson.matrix3D(10), 1e-11),
    ("diffusion, 1e4 jump, N=40", jumpDiffusion(40), 1e-8),
  ]

  @Test("solves SPD systems to a true relative residual ≤ 1e-12", arguments: 0..<4)
  func solvesSPD(_ index: Int) throws {
    let (name, A, forwardTolerance) = Self.cases[index]
    let xTrue = pseudoRandomVector(A.rows, seed: UInt64(index + 1))
    let b = A.applied(to: xTrue)
    let chol = try CholeskyFactorization(A)
    #expect(chol.isFactorized)
    #expect(chol.rows == A.rows && chol.columns == A.columns)
    #expect(chol.symbolicAnalyses == 1 && chol.numericFactorizations == 1)
    #expect(chol.nonzerosInFactor >= (A.nonzeros + A.rows) / 2, "\(name)")
    #expect(chol.memoryEstimateBytes > 0)
    #expect(chol.ordering != nil)
    let x = try chol.solve(b)
    let residual = relativeResidual(A, x: x, b: b)
    #expect(residual <= 1e-12, "\(name): relative residual \(residual)")
    let error = relativeError(x, xTrue)
    #expect(error <= forwardTolerance, "\(name): forward error \(error)")
  }

  @Test("nnz(L) of a tridiagonal matrix is 2n − 1 (no fill)")
  func tridiagonalFill() throws {
    let chol = try CholeskyFactorization(Poisson.matrix1D(100))
    #expect(chol.nonzerosInFactor == 199)
    #expect(!chol.isSupernodal)
  }

  @Test("a 3-D problem takes the supernodal path and still solves accurately")
  func supernodal() throws {
    let A = Poisson.matrix3D(20)
    let chol = try CholeskyFactorization(A)
    #expect(chol.isSupernodal)
    let xTrue = pseudoRandomVector(A.rows)
    let b = A.applied(to: xTrue)
    let x = try chol.solve(b)
    #expect(relativeResidual(A, x: x, b: b) <= 1e-12)
  }

  @Test("buffer solve, array solve and LinearOperator.apply agree")
  func solveVariants() throws {
    let A = Poisson.matrix2D(20)
    let chol = try CholeskyFactorization(A)
    let b = pseudoRandomVector(A.rows, seed: 7)
    let x1 = try chol.solve(b)
    var x2 = [Double](repeating: 0, count: A.rows)
    try b.withUnsafeBufferPointer { bp in
      try x2.withUnsafeMutableBufferPointer { try chol.solve(bp, into: $0) }
    }
    let op: any LinearOperator = chol
    let x3 = op.applied(to: b)
    #expect(x1 == x2)
    #expect(x1 == x3)
    #expect(relativeResidual(A, x: x1, b: b) <= 1e-12)
  }

  @Test("repeated solves allocate no further CHOLMOD memory", arguments: [false, true])
  func solveReusesWorkspace(supernodal: Bool) throws {
    let A = supernodal ? Poisson.matrix3D(20) : Poisson.matrix2D(20)
    let chol = try CholeskyFactorization(A)
    #expect(chol.isSupernodal == supernodal)
    let b = pseudoRandomVector(A.rows)
    var x = [Double](repeating: 0, count: A.rows)
    try b.withUnsafeBufferPointer { bp in
      try x.withUnsafeMutableBufferPointer { xp in
        try chol.solve(bp, into: xp)
        let after1 = chol.memoryEstimateBytes
        for _ in 0..<10 { try chol.solve(bp, into: xp) }
        #expect(chol.memoryEstimateBytes == after1)
      }
    }
  }

  @Test("refactoring the same pattern reuses the symbolic analysis")
  func symbolicReuse() throws {
    let A = Poisson.matrix2D(25)
    let chol = try CholeskyFactorization(A)
    let shifted = A.shifted(by: 0.5)
    #expect(shifted.rowPointers == A.rowPointers && shifted.columnIndices == A.columnIndices)
    try chol.factorize(shifted)
    #expect(chol.symbolicAnalyses == 1)
    #expect(chol.numericFactorizations == 2)
    let xTrue = pseudoRandomVector(A.rows, seed: 3)
    let b = shifted.applied(to: xTrue)
    let x = try chol.solve(b)
    #expect(relativeResidual(shifted, x: x, b: b) <= 1e-12)
    #expect(relativeError(x, xTrue) <= 1e-12)
    // The old matrix's solution would be visibly wrong for the shifted one.
    let xOld = try CholeskyFactorization(A).solve(b)
    #expect(relativeResidual(shifted, x: xOld, b: b) > 1e-3)
  }

  @Test("a different pattern triggers a new analysis")
  func newPattern() throws {
    let A = Poisson.matrix2D(10)
    let chol = try CholeskyFactorization(A)
    // Same size, two extra symmetric entries: still diagonally dominant, hence SPD.
    var builder = CoordinateBuilder(rows: A.rows, columns: A.columns)
    for i in 0..<A.rows {
      for k in A.rowPointers[i]..<A.rowPointers[i + 1] {
        builder.appendUnchecked(row: i, column: Int(A.columnIndices[k]), value: A.values[k])
      }
    }
    builder.appendUnchecked(row: 0, column: 55, value: -0.1)
    builder.appendUnchecked(row: 55, column: 0, value: -0.1)
    let B = builder.build()
    try chol.factorize(B)
    #expect(chol.symbolicAnalyses == 2 && chol.numericFactorizations == 2)
    let b = pseudoRandomVector(B.rows, seed: 11)
    #expect(relativeResidual(B, x: try chol.solve(b), b: b) <= 1e-12)
    // A different size, too.
    let C = Poisson.matrix2D(12)
    try chol.factorize(C)
    #expect(chol.symbolicAnalyses == 3 && chol.rows == 144)
    let c = pseudoRandomVector(C.rows, seed: 12)
    #expect(relativeResidual(C, x: try chol.solve(c), b: c) <= 1e-12)
    // And back to the first: analysed afresh (only the last pattern is remembered).
    try chol.factorize(A)
    #expect(chol.symbolicAnalyses == 4)
  }

  @Test("many solves with one factorization match fresh factorizations")
  func manySolves() throws {
    let A = jumpDiffusion(24)
    let chol = try CholeskyFactorization(A)
    for k in 0..<20 {
      // b = A·x_k: with a random b, x = A⁻¹b leans on the smallest eigenvalues and the
      // relative residual of even a backward-stable solve grows like ε·κ (κ ≈ 10⁷ here).
      let b = A.applied(to: pseudoRandomVector(A.rows, seed: UInt64(100 + k)))
      let x = try chol.solve(b)
      let fresh = try CholeskyFactorization(A).solve(b)
      #expect(relativeError(x, fresh) <= 1e-14, "right-hand side \(k)")
      #expect(relativeResidual(A, x: x, b: b) <= 1e-12)
    }
    #expect(chol.numericFactorizations == 1)
  }

  @Test("one factorization shared by concurrent tasks")
  func concurrentSolves() async throws {
    let A = Poisson.matrix2D(30)
    let chol = try CholeskyFactorization(A)
    let residuals = await withTaskGroup(of: Double.self) { group in
      for k in 0..<8 {
        group.addTask {
          let b = pseudoRandomVector(A.rows, seed: UInt64(k))
          guard let x = try? chol.solve(b) else { return .infinity }
          return relativeResidual(A, x: x, b: b)
        }
      }
      var all: [Double] = []
      for await r in group { all.append(r) }
      return all
    }
    #expect(residuals.count == 8 && residuals.allSatisfy { $0 <= 1e-12 })
  }

  @Test("indefinite matrices are rejected as not positive definite (simplicial and supernodal)")
  func indefinite() throws {
    // Shifts of −10 make the diagonal negative (fails at the first pivot). Shifts of −1 keep
    // it positive, so the failure comes mid-factorization: 2-D N=20 is factored simplicially
    // (where CHOLMOD's default LDLᵀ would accept it silently), 3-D N=20 supernodally.
    #expect(!(try CholeskyFactorization(Poisson.matrix2D(20))).isSupernodal)
    #expect(try CholeskyFactorization(Poisson.matrix3D(20)).isSupernodal)
    for A in [Poisson.matrix1D(50).shifted(by: -3), Poisson.matrix2D(20).shifted(by: -10),
              Poisson.matrix2D(20).shifted(by: -1), Poisson.matrix3D(20).shifted(by: -1)]
    {
      let chol = CholeskyFactorization()
      let reason = failureReason { try chol.factorize(A) }
      #expect(reason?.contains("not positive definite") == true, "\(reason ?? "no error")")
      #expect(!chol.isFactorized)
      #expect(throws: LinSolveError.self) { _ = try chol.solve([Double](repeating: 1, count: A.rows)) }
    }
  }

  @Test("after a failed factorization the analysis is reused and a good matrix factors")
  func recoverAfterFailure() throws {
    let A = Poisson.matrix3D(16)
    let chol = CholeskyFactorization()
    #expect(failureReason { try chol.factorize(A.shifted(by: -8)) } != nil)
    try chol.factorize(A)
    #expect(chol.symbolicAnalyses == 1 && chol.numericFactorizations == 2)
    let b = pseudoRandomVector(A.rows)
    #expect(relativeResidual(A, x: try chol.solve(b), b: b) <= 1e-12)
  }

  @Test("a nonsymmetric matrix is rejected")
  func nonsymmetric() throws {
    let A = Diffusion.convectionDiffusion2D(10, beta: (20, 5))
    #expect(!A.isSymmetric())
    let reason = failureReason { _ = try CholeskyFactorization(A) }
    #expect(reason?.contains("not symmetric") == true)
  }

  @Test("input errors: not square, NaN, wrong b, no factorization")
  func inputErrors() throws {
    let rect = try SparseMatrix(rows: 2, columns: 3, entries: [(0, 0, 1), (1, 1, 1)])
    #expect(throws: LinSolveError.notSquare(rows: 2, columns: 3)) { _ = try CholeskyFactorization(rect) }
    var bad = Poisson.matrix1D(5)
    bad.values[3] = .nan
    #expect(throws: LinSolveError.nonFinite(what: "matrix")) { _ = try CholeskyFactorization(bad) }
    let chol = CholeskyFactorization()
    #expect(throws: LinSolveError.invalidParameter(name: "factorization", reason: "factorize(_:) has not succeeded")) {
      _ = try chol.solve([1, 2])
    }
    try chol.factorize(Poisson.matrix1D(5))
    #expect(throws: LinSolveError.dimensionMismatch(expected: 5, actual: 4, what: "b")) {
      _ = try chol.solve([1, 2, 3, 4])
    }
    var x = [Double](repeating: 0, count: 6)
    let b = [Double](repeating: 1, count: 5)
    #expect(throws: LinSolveError.dimensionMismatch(expected: 5, actual: 6, what: "x")) {
      try b.withUnsafeBufferPointer { bp in
        try x.withUnsafeMutableBufferPointer { try chol.solve(bp, into: $0) }
      }
    }
  }

  @Test("the empty system")
  func empty() throws {
    let chol = try CholeskyFactorization(SparseMatrix.identity(0))
    #expect(try chol.solve([]) == [])
  }
}

@Suite("DirectSolver: the monitor of a direct solve")
struct DirectSolverMonitorTests {
  @Test("k = 0 for the first solution, then once per refinement step; the last call is the result's residual")
  func monitor() throws {
    let a = Poisson.matrix2D(20)
    let b = a.applied(to: [Double](repeating: 1, count: a.columns))
    let factor = try CholeskyFactorization(a)
    for rtol in [1e-8, 1e-17] {  // 1e-17 is out of reach: refinement is tried
      var calls: [(Int, Double)] = []
      let result = try factor.solve(a, b, stopping: StoppingCriterion(rtol: rtol)) { k, r in
        calls.append((k, r))
        return .continue
      }
      #expect(calls.map(\.0) == Array(0...result.iterations), "rtol \(rtol)")
      #expect(rtol > 1e-10 ? result.iterations == 0 : result.iterations > 0)
      #expect(calls.allSatisfy { $0.1.isFinite && $0.1 >= 0 })
    }
  }
}

@Suite("DirectSolver: LU (UMFPACK)")
struct DirectSolverLUTests {
  @Test("convection–diffusion (nonsymmetric): true relative residual ≤ 1e-12")
  func convectionDiffusion() throws {
    for (n, beta) in [(30, (x: 40.0, y: 10.0)), (50, (x: -200.0, y: 75.0))] {
      let A = Diffusion.convectionDiffusion2D(n, beta: beta)
      #expect(!A.isSymmetric())
      let xTrue = pseudoRandomVector(A.rows, seed: UInt64(n))
      let b = A.applied(to: xTrue)
      let lu = try LUFactorization(A)
      #expect(lu.isFactorized && lu.rows == A.rows)
      #expect(lu.nonzerosInL >= A.rows && lu.nonzerosInU >= A.rows)
      #expect(lu.nonzerosInFactors == lu.nonzerosInL + lu.nonzerosInU)
      #expect(lu.reciprocalConditionEstimate > 0 && lu.memoryEstimateBytes > 0)
      let x = try lu.solve(b)
      #expect(relativeResidual(A, x: x, b: b) <= 1e-12)
      #expect(relativeError(x, xTrue) <= 1e-10)
    }
  }

  @Test("Poisson 2-D and 3-D")
  func poisson() throws {
    for A in [Poisson.matrix2D(30), Poisson.matrix3D(10), jumpDiffusion(30)] {
      let xTrue = pseudoRandomVector(A.rows, seed: 5)
      let b = A.applied(to: xTrue)
      let x = try LUFactorization(A).solve(b)
      #expect(relativeResidual(A, x: x, b: b) <= 1e-12)
    }
  }

  @Test("a hand-written nonsymmetric 3×3 with a known solution (checks A vs Aᵀ)")
  func small() throws {
    // [2 1 0; 0 3 1; 1 0 4] · [1, 2, 3] = [4, 9, 13];  Aᵀx = b would give a different x.
    let A = try SparseMatrix(
      rows: 3, columns: 3,
      entries: [(0, 0, 2), (0, 1, 1), (1, 1, 3), (1, 2, 1), (2, 0, 1), (2, 2, 4)])
    #expect(!A.isSymmetric())
    let lu = try LUFactorization(A)
    let x = try lu.solve([4, 9, 13])
    for (xi, ei) in zip(x, [1.0, 2, 3]) { #expect(abs(xi - ei) <= 1e-14) }
    #expect(relativeResidual(A, x: x, b: [4, 9, 13]) <= 1e-15)
    let op: any LinearOperator = lu
    #expect(op.applied(to: [4, 9, 13]) == x)
  }

  @Test("refactoring the same pattern reuses the symbolic analysis")
  func symbolicReuse() throws {
    let A = Diffusion.convectionDiffusion2D(20, beta: (30, -10))
    let lu = try LUFactorization(A)
    let shifted = A.shifted(by: 0.5)
    try lu.factorize(shifted)
    #expect(lu.symbolicAnalyses == 1 && lu.numericFactorizations == 2)
    let xTrue = pseudoRandomVector(A.rows, seed: 9)
    let b = shifted.applied(to: xTrue)
    let x = try lu.solve(b)
    #expect(relativeResidual(shifted, x: x, b: b) <= 1e-12)
    try lu.factorize(Diffusion.convectionDiffusion2D(21, beta: (30, -10)))
    #expect(lu.symbolicAnalyses == 2 && lu.numericFactorizations == 3 && lu.rows == 441)
  }

  @Test("many solves with one factorization match fresh factorizations")
  func manySolves() throws {
    let A = Diffusion.convectionDiffusion2D(24, beta: (100, 30))
    let lu = try LUFactorization(A)
    for k in 0..<20 {
      let b = pseudoRandomVector(A.rows, seed: UInt64(200 + k))
      var x = [Double](repeating: 0, count: A.rows)
      try b.withUnsafeBufferPointer { bp in
        try x.withUnsafeMutableBufferPointer { try lu.solve(bp, into: $0) }
      }
      let fresh = try LUFactorization(A).solve(b)
      #expect(relativeError(x, fresh) <= 1e-14, "right-hand side \(k)")
      #expect(relativeResidual(A, x: x, b: b) <= 1e-12)
    }
    #expect(lu.numericFactorizations == 1)
  }

  @Test("singular matrices are rejected")
  func singular() throws {
    let ones = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 0, 1), (0, 1, 1), (1, 0, 1), (1, 1, 1)])
    let zeroRow = try SparseMatrix(rows: 3, columns: 3, entries: [(0, 0, 2), (0, 2, 1), (2, 1, 1), (2, 2, 3)])
    let zeroColumn = zeroRow.transposed()
    for A in [ones, zeroRow, zeroColumn, SparseMatrix.diagonal([1, 0, 2])] {
      let lu = LUFactorization()
      let reason = failureReason { try lu.factorize(A) }
      #expect(reason == "matrix is singular", "\(reason ?? "no error")")
      #expect(!lu.isFactorized)
    }
    // The same object then factors a good matrix of the same pattern.
    let lu = LUFactorization()
    #expect(failureReason { try lu.factorize(ones) } != nil)
    let good = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 0, 2), (0, 1, 1), (1, 0, 1), (1, 1, 1)])
    try lu.factorize(good)
    #expect(lu.symbolicAnalyses == 1)
    let x = try lu.solve([3, 2])
    #expect(abs(x[0] - 1) <= 1e-15 && abs(x[1] - 1) <= 1e-15)
  }

  @Test("input errors: not square, NaN, wrong b, no factorization")
  func inputErrors() throws {
    let rect = try SparseMatrix(rows: 3, columns: 2, entries: [(0, 0, 1), (1, 1, 1)])
    #expect(throws: LinSolveError.notSquare(rows: 3, columns: 2)) { _ = try LUFactorization(rect) }
    var bad = Diffusion.convectionDiffusion2D(4, beta: (1, 1))
    bad.values[0] = .infinity
    #expect(throws: LinSolveError.nonFinite(what: "matrix")) { _ = try LUFactorization(bad) }
    let lu = LUFactorization()
    #expect(throws: LinSolveError.invalidParameter(name: "factorization", reason: "factorize(_:) has not succeeded")) {
      _ = try lu.solve([1])
    }
    try lu.factorize(Poisson.matrix1D(4))
    #expect(throws: LinSolveError.dimensionMismatch(expected: 4, actual: 5, what: "b")) {
      _ = try lu.solve([1, 2, 3, 4, 5])
    }
  }

  @Test("the empty system")
  func empty() throws {
    let lu = try LUFactorization(SparseMatrix.identity(0))
    #expect(try lu.solve([]) == [])
  }
}

@Suite("Cholesky memory estimate")
struct CholeskyMemoryTests {
  @Test("analyze estimates the factor and a following factorize reuses the analysis")
  func analyzeThenFactorize() throws {
    let a = Poisson.matrix2D(40)
    let chol = CholeskyFactorization()
    let estimate = try chol.analyze(a)
    #expect(estimate.nonzeros >= a.nonzeros / 2 + a.rows / 2)  // at least the lower triangle of A
    #expect(estimate.bytes >= estimate.nonzeros * 12)
    #expect(estimate.flops > 0)
    try chol.factorize(a)
    #expect(chol.symbolicAnalyses == 1 && chol.numericFactorizations == 1)
    #expect(chol.nonzerosInFactor == estimate.nonzeros)
  }

  @Test("A factor larger than the memory limit is refused before the numeric phase")
  func refused() throws {
    let chol = CholeskyFactorization()
    chol.memoryLimitBytes = 1 << 10
    #expect {
      try chol.factorize(Poisson.matrix2D(40))
    } throws: { error in
      guard case LinSolveError.factorizationFailed(let reason) = error else { return false }
      return reason.contains("more than the limit")
    }
    #expect(chol.numericFactorizations == 0)
    #expect(!chol.isFactorized)
  }
}
