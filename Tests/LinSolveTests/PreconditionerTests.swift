import Testing
@testable import LinSolve

// MARK: - Helpers (file-private: other test files define their own)

/// `A·B` for dense row-major matrices.
private func denseProduct(_ a: [[Double]], _ b: [[Double]]) -> [[Double]] {
  let n = a.count, m = b.first?.count ?? 0, inner = b.count
  var c = [[Double]](repeating: [Double](repeating: 0, count: m), count: n)
  for i in 0..<n {
    for k in 0..<inner where a[i][k] != 0 {
      for j in 0..<m { c[i][j] += a[i][k] * b[k][j] }
    }
  }
  return c
}

/// `Aᵀ` for a dense row-major matrix.
private func denseTranspose(_ a: [[Double]]) -> [[Double]] {
  guard let columns = a.first?.count else { return [] }
  return (0..<columns).map { j in a.map { $0[j] } }
}

/// `‖x − y‖₂ / ‖y‖₂`.
private func relativeDifference(_ x: [Double], _ y: [Double]) -> Double {
  Vector.norm(zip(x, y).map { $0 - $1 }) / Vector.norm(y)
}

/// Kershaw's 4×4 SPD matrix (J. Comput. Phys. 26, 1978), on which IC(0) breaks down:
/// the last pivot is 3 − 4/3 − 4/0.6 = −5.
private func kershawMatrix() throws -> SparseMatrix {
  let d: [[Double]] = [[3, -2, 0, 2], [-2, 3, -2, 0], [0, -2, 3, -2], [2, 0, -2, 3]]
  var entries: [(row: Int, column: Int, value: Double)] = []
  for i in 0..<4 { for j in 0..<4 where d[i][j] != 0 { entries.append((i, j, d[i][j])) } }
  return try SparseMatrix(rows: 4, columns: 4, entries: entries)
}

/// The variable-coefficient diffusion matrix with coefficient 10⁴ on the square
/// [0.2, 0.6]² and 1 elsewhere.
///
/// The edges are placed so that no cell face, at (k + ½)·h, lies on them for any grid: a face
/// exactly on a jump is sampled once as x + h/2 and once as (x + h) − h/2, which can round to
/// different sides and make the matrix slightly nonsymmetric (it happens for x < 0.5, n = 20).
private func jumpDiffusion(_ n: Int) -> SparseMatrix {
  Diffusion.matrix2D(n) { x, y in (0.2...0.6).contains(x) && (0.2...0.6).contains(y) ? 1e4 : 1 }
}

/// A nonsymmetric tridiagonal matrix with a dominant diagonal.
private func tridiagonalNonsymmetric(_ n: Int, seed: UInt64) throws -> SparseMatrix {
  var rng = TestRandom(seed: seed)
  var entries: [(row: Int, column: Int, value: Double)] = []
  for i in 0..<n {
    entries.append((i, i, 4 + rng.next()))
    if i > 0 { entries.append((i, i - 1, -1 + 0.5 * rng.next())) }
    if i < n - 1 { entries.append((i, i + 1, -2 + 0.5 * rng.next())) }
  }
  return try SparseMatrix(rows: n, columns: n, entries: entries)
}

/// `z = M⁻¹ r` twice, into a NaN-filled and a zero-filled output: both must be identical
/// (apply must not read the old contents of `z`, and must be deterministic).
private func applyTwice(_ m: some Preconditioner, _ r: [Double]) -> ([Double], [Double]) {
  var z1 = [Double](repeating: .nan, count: r.count)
  var z2 = [Double](repeating: 0, count: r.count)
  r.withUnsafeBufferPointer { rp in
    z1.withUnsafeMutableBufferPointer { m.apply(rp, into: $0) }
    z2.withUnsafeMutableBufferPointer { m.apply(rp, into: $0) }
  }
  return (z1, z2)
}

// MARK: - Jacobi

@Suite("Preconditioner: Jacobi")
struct JacobiPreconditionerTests {
  @Test("apply equals r ./ diag(A)")
  func applyDividesByDiagonal() throws {
    let a = jumpDiffusion(10)
    let m = try JacobiPreconditioner(a)
    #expect(m.name == "jacobi")
    #expect(m.dimension == 100)
    var rng = TestRandom(seed: 11)
    let r = rng.vector(a.rows)
    let z = m.applied(to: r)
    let d = a.diagonal()
    for i in 0..<a.rows {
      #expect(abs(z[i] - r[i] / d[i]) <= 2 * Double.ulpOfOne * abs(r[i] / d[i]))
    }
  }

  @Test("the threaded apply matches a serial loop")
  func threadedApply() throws {
    let a = Poisson.matrix2D(300)  // 90 000 rows: split across threads when there are 2
    let m = try JacobiPreconditioner(a)
    var rng = TestRandom(seed: 12)
    let r = rng.vector(a.rows)
    let (z1, z2) = applyTwice(m, r)
    #expect(z1 == z2)
    #expect(z1 == r.map { $0 * 0.25 })
  }

  @Test("a zero or missing diagonal throws zeroDiagonal with its row")
  func zeroDiagonal() throws {
    let stored = try SparseMatrix(rows: 3, columns: 3, entries: [(0, 0, 2), (1, 1, 0), (1, 0, 1), (2, 2, 1)])
    #expect(throws: LinSolveError.zeroDiagonal(row: 1)) { try JacobiPreconditioner(stored) }
    let missing = try SparseMatrix(rows: 3, columns: 3, entries: [(0, 0, 2), (1, 1, 3), (2, 1, 1)])
    #expect(throws: LinSolveError.zeroDiagonal(row: 2)) { try JacobiPreconditioner(missing) }
  }

  @Test("NaN on the diagonal and non-square matrices are rejected")
  func invalidInput() throws {
    let nan = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 0, .nan), (1, 1, 1)])
    #expect(throws: LinSolveError.nonFinite(what: "diagonal of A")) { try JacobiPreconditioner(nan) }
    let rectangular = try SparseMatrix(rows: 2, columns: 3, entries: [(0, 0, 1), (1, 1, 1)])
    #expect(throws: LinSolveError.notSquare(rows: 2, columns: 3)) { try JacobiPreconditioner(rectangular) }
  }
}

// MARK: - SSOR

@Suite("Preconditioner: SSOR")
struct SSORPreconditionerTests {
  /// The dense `M` of SSOR for `ordering`.
  static func denseSSOR(_ a: SparseMatrix, omega: Double, ordering: SSORPreconditioner.Ordering) -> [[Double]] {
    let d = a.dense(), n = a.rows
    var lower = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)  // D + ωL
    var upper = lower  // D + ωU
    var inverseD = lower  // D⁻¹
    for i in 0..<n {
      for j in 0..<n {
        if j < i { lower[i][j] = omega * d[i][j] }
        if j > i { upper[i][j] = omega * d[i][j] }
      }
      lower[i][i] = d[i][i]
      upper[i][i] = d[i][i]
      inverseD[i][i] = 1 / d[i][i]
    }
    let product = ordering == .forwardBackward
      ? denseProduct(denseProduct(lower, inverseD), upper)
      : denseProduct(denseProduct(upper, inverseD), lower)
    let c = omega * (2 - omega)
    return product.map { $0.map { $0 / c } }
  }

  @Test(
    "apply solves M z = r with M from the formula",
    arguments: [SSORPreconditioner.Ordering.forwardBackward, .backwardForward], [0.3, 1.0, 1.5, 1.9])
  func matchesDenseFormula(ordering: SSORPreconditioner.Ordering, omega: Double) throws {
    let matrices = [
      Poisson.matrix2D(4),
      Diffusion.convectionDiffusion2D(4, beta: (x: 30, y: -10)),  // nonsymmetric
    ]
    for a in matrices {
      let m = try SSORPreconditioner(a, omega: omega, ordering: ordering)
      var rng = TestRandom(seed: 21)
      let r = rng.vector(a.rows)
      let z = m.applied(to: r)
      let mz = denseMultiply(Self.denseSSOR(a, omega: omega, ordering: ordering), z)
      #expect(relativeDifference(mz, r) <= 1e-13)
    }
  }

  @Test("backward–forward is forward–backward on the reversed numbering")
  func orderingsAreReversals() throws {
    // With P the reversal permutation, the strict lower part of PAP is P·U·P, so
    // M_bf(A) = P · M_fb(PAP) · P.
    for a in [Poisson.matrix2D(5), Diffusion.convectionDiffusion2D(5, beta: (x: 8, y: -3))] {
      let n = a.rows
      var entries: [(row: Int, column: Int, value: Double)] = []
      for i in 0..<n {
        for k in a.rowPointers[i]..<a.rowPointers[i + 1] {
          entries.append((n - 1 - i, n - 1 - Int(a.columnIndices[k]), a.values[k]))
        }
      }
      let reversed = try SparseMatrix(rows: n, columns: n, entries: entries)
      var rng = TestRandom(seed: 23)
      let r = rng.vector(n)
      let bf = try SSORPreconditioner(a, omega: 1.3, ordering: .backwardForward).applied(to: r)
      let fb = try SSORPreconditioner(reversed, omega: 1.3).applied(to: r.reversed())
      #expect(relativeDifference(bf, fb.reversed()) <= 1e-14)
    }
  }

  @Test("ω outside (0, 2) is rejected", arguments: [0.0, 2.0, 2.5, -1.0, .nan, .infinity])
  func invalidOmega(omega: Double) throws {
    let e1 = #expect(throws: LinSolveError.self) { try SSORPreconditioner(omega: omega) }
    if case .invalidParameter(let name, _)? = e1 { #expect(name == "omega") } else { Issue.record("wrong error \(String(describing: e1))") }
    let e2 = #expect(throws: LinSolveError.self) { try SSORPreconditioner(Poisson.matrix1D(4), omega: omega) }
    if case .invalidParameter(let name, _)? = e2 { #expect(name == "omega") } else { Issue.record("wrong error \(String(describing: e2))") }
    #expect(throws: LinSolveError.self) { try SSORPreconditioner.validate(omega: omega) }
  }

  @Test("changing omega after setUp equals a fresh preconditioner")
  func changeOmega() throws {
    let a = Poisson.matrix2D(12)
    var rng = TestRandom(seed: 22)
    let r = rng.vector(a.rows)
    for ordering in SSORPreconditioner.Ordering.allCases {
      let m = try SSORPreconditioner(a, omega: 1.0, ordering: ordering)
      let before = m.applied(to: r)
      for omega in [1.7, 0.4, 1.0] {
        m.omega = omega
        let fresh = try SSORPreconditioner(a, omega: omega, ordering: ordering)
        #expect(m.applied(to: r) == fresh.applied(to: r))
        #expect(m.name == fresh.name)
      }
      #expect(m.applied(to: r) == before)
    }
    #expect(try SSORPreconditioner(a, omega: 1.5).name == "ssor(1.5)")
  }

  @Test("ω = 1 is symmetric Gauss–Seidel; a zero diagonal throws")
  func gaussSeidelAndZeroDiagonal() throws {
    // 1-D Poisson, n = 2: (D+L) D⁻¹ (D+U) = [[2, −1], [−1, 2.5]].
    let m = try SSORPreconditioner(Poisson.matrix1D(2))
    let z = m.applied(to: [2, -1])
    #expect(abs(z[0] - 1) <= 1e-15 && abs(z[1]) <= 1e-15)
    let a = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 0, 1), (0, 1, 1), (1, 0, 1)])
    #expect(throws: LinSolveError.zeroDiagonal(row: 1)) { try SSORPreconditioner(a, omega: 1.2) }
  }
}

// MARK: - IC(0)

@Suite("Preconditioner: IC(0)")
struct IncompleteCholeskyTests {
  @Test("on a tridiagonal matrix IC(0) is the exact Cholesky factor")
  func exactOnTridiagonal() throws {
    let a = Poisson.matrix1D(50)
    let m = try IncompleteCholesky(a)
    #expect(m.shift == 0)
    #expect(m.name == "ic0")
    var rng = TestRandom(seed: 31)
    let r = rng.vector(a.rows)
    let z = m.applied(to: r)
    #expect(relativeDifference(a.applied(to: z), r) <= 1e-12)
  }

  @Test("L Lᵀ equals A on the pattern of A (2-D Poisson and jump diffusion)")
  func matchesOnPattern() throws {
    for a in [Poisson.matrix2D(8), jumpDiffusion(7)] {
      let m = try IncompleteCholesky(a)
      #expect(m.shift == 0)
      let l = m.lowerFactor.dense()
      let llt = denseProduct(l, denseTranspose(l))
      let scale = a.values.map(abs).max()!
      for i in 0..<a.rows {
        for k in a.rowPointers[i]..<a.rowPointers[i + 1] {
          let j = Int(a.columnIndices[k])
          #expect(abs(llt[i][j] - a.values[k]) <= 1e-13 * scale, "entry (\(i), \(j))")
        }
      }
      // L is lower triangular with the pattern of tril(A).
      #expect(m.lowerFactor.nonzeros == (a.nonzeros + a.rows) / 2)
    }
  }

  @Test("Kershaw's SPD matrix breaks IC(0); the Manteuffel shift repairs it")
  func shiftOnKershaw() throws {
    let a = try kershawMatrix()
    let m = try IncompleteCholesky(a)
    #expect(m.shift > 0)
    #expect(m.shift <= IncompleteCholesky.maximumShift)
    #expect(m.numericFactorizations > 1)
    let z = m.applied(to: [1, 2, 3, 4])
    #expect(z.allSatisfy { $0.isFinite })
    let result = try ConjugateGradient(preconditioner: m).solve(a, [1, 2, 3, 4])
    #expect(result.converged)
    #expect(result.trueResidualNorm / result.rhsNorm <= 1e-7)
  }

  @Test("an indefinite matrix (2-D Poisson − 3I) needs a shift and still applies finitely")
  func shiftOnIndefinite() throws {
    let a = Poisson.matrix2D(10).shifted(by: -3)
    let m = try IncompleteCholesky(a)
    #expect(m.shift > 0)
    var rng = TestRandom(seed: 32)
    let z = m.applied(to: rng.vector(a.rows))
    #expect(z.allSatisfy { $0.isFinite })
    // Shifting again with the same pattern reuses the analysis, and the shift is reset when
    // it is not needed.
    try m.setUp(for: Poisson.matrix2D(10).shifted(by: 0))
    #expect(m.shift == 0)
    #expect(m.symbolicSetups == 1)
  }

  @Test("a second setUp with the same pattern skips the symbolic phase")
  func symbolicReuse() throws {
    let a = Poisson.matrix2D(9)
    let m = IncompleteCholesky()
    try m.setUp(for: a)
    #expect(m.symbolicSetups == 1)
    var rng = TestRandom(seed: 33)
    let r = rng.vector(a.rows)
    let z = m.applied(to: r)
    try m.setUp(for: a.scaled(by: 4))  // same pattern, L scales by 2, M⁻¹ by 1/4
    #expect(m.symbolicSetups == 1)
    let z4 = m.applied(to: r)
    #expect(relativeDifference(z4.map { 4 * $0 }, z) <= 1e-14)
    try m.setUp(for: Poisson.matrix2D(7))
    #expect(m.symbolicSetups == 2)
    #expect(m.dimension == 49)
    try m.setUp(for: Poisson.matrix2D(7))
    #expect(m.symbolicSetups == 2)
  }

  @Test("nonsymmetric, non-positive-diagonal and missing-diagonal matrices are rejected")
  func invalidInput() throws {
    let e = #expect(throws: LinSolveError.self) {
      try IncompleteCholesky(Diffusion.convectionDiffusion2D(4, beta: (x: 10, y: 0)))
    }
    if case .invalidParameter? = e {} else { Issue.record("wrong error \(String(describing: e))") }
    #expect(throws: LinSolveError.self) { try IncompleteCholesky(Poisson.matrix1D(5).scaled(by: -1)) }
    let missing = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 0, 1), (0, 1, 1), (1, 0, 1)])
    #expect(throws: LinSolveError.zeroDiagonal(row: 1)) { try IncompleteCholesky(missing) }
    // Structurally nonsymmetric: symmetric when the unmatched entry is an explicit zero.
    let padded = try SparseMatrix(rows: 3, columns: 3, entries: [
      (0, 0, 2), (1, 1, 2), (2, 2, 2), (0, 1, -1), (1, 0, -1), (0, 2, 0),
    ])
    let m = try IncompleteCholesky(padded)
    #expect(m.lowerFactor.nonzeros == 4)
    let lopsided = try SparseMatrix(rows: 3, columns: 3, entries: [
      (0, 0, 2), (1, 1, 2), (2, 2, 2), (0, 1, -1), (1, 0, -1), (2, 0, 0.5),
    ])
    #expect(throws: LinSolveError.self) { try m.setUp(for: lopsided) }
  }
}

// MARK: - ILU(0)

@Suite("Preconditioner: ILU(0)")
struct IncompleteLUTests {
  @Test("on a nonsymmetric tridiagonal matrix ILU(0) is the exact LU")
  func exactOnTridiagonal() throws {
    let a = try tridiagonalNonsymmetric(60, seed: 41)
    #expect(!a.isSymmetric())
    let m = try IncompleteLU(a)
    #expect(m.name == "ilu0")
    var rng = TestRandom(seed: 42)
    let r = rng.vector(a.rows)
    let z = m.applied(to: r)
    #expect(relativeDifference(a.applied(to: z), r) <= 1e-12)
  }

  @Test("L U equals A on the pattern of A (convection–diffusion)")
  func matchesOnPattern() throws {
    let a = Diffusion.convectionDiffusion2D(8, beta: (x: 40, y: -15))
    let m = try IncompleteLU(a)
    let (lower, upper) = m.lowerAndUpperFactors
    let lu = denseProduct(lower.dense(), upper.dense())
    let scale = a.values.map(abs).max()!
    for i in 0..<a.rows {
      for k in a.rowPointers[i]..<a.rowPointers[i + 1] {
        let j = Int(a.columnIndices[k])
        #expect(abs(lu[i][j] - a.values[k]) <= 1e-13 * scale, "entry (\(i), \(j))")
      }
    }
    #expect(lower.nonzeros + upper.nonzeros == a.nonzeros + a.rows)
    // The factors are what apply uses: z = U⁻¹ L⁻¹ r  ⇔  L U z = r.
    var rng = TestRandom(seed: 43)
    let r = rng.vector(a.rows)
    let z = m.applied(to: r)
    #expect(relativeDifference(lower.applied(to: upper.applied(to: z)), r) <= 1e-13)
  }

  @Test("a zero pivot throws factorizationFailed")
  func zeroPivot() throws {
    // [[1, 1], [1, 1]]: u_22 = 1 − 1·1 = 0.
    let singular = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 0, 1), (0, 1, 1), (1, 0, 1), (1, 1, 1)])
    #expect(throws: LinSolveError.factorizationFailed(reason: "zero pivot in row 2")) { try IncompleteLU(singular) }
    let zeroFirst = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 1)])
    #expect(throws: LinSolveError.factorizationFailed(reason: "zero pivot in row 1")) { try IncompleteLU(zeroFirst) }
    let missing = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 0, 1), (0, 1, 1), (1, 0, 1)])
    #expect(throws: LinSolveError.zeroDiagonal(row: 1)) { try IncompleteLU(missing) }
  }

  @Test("a second setUp with the same pattern skips the symbolic phase")
  func symbolicReuse() throws {
    let a = Diffusion.convectionDiffusion2D(6, beta: (x: 3, y: 4))
    let m = try IncompleteLU(a)
    #expect(m.symbolicSetups == 1)
    var rng = TestRandom(seed: 44)
    let r = rng.vector(a.rows)
    let z = m.applied(to: r)
    try m.setUp(for: a.scaled(by: 2))
    #expect(m.symbolicSetups == 1)
    #expect(relativeDifference(m.applied(to: r).map { 2 * $0 }, z) <= 1e-14)
    try m.setUp(for: Diffusion.convectionDiffusion2D(5, beta: (x: 3, y: 4)))
    #expect(m.symbolicSetups == 2)
  }
}

// MARK: - All preconditioners

@Suite("Preconditioner: PCG and determinism")
struct PreconditionedCGTests {
  /// The preconditioners under test, set up for `a`.
  static func all(_ a: SparseMatrix) throws -> [any Preconditioner] {
    [
      try JacobiPreconditioner(a),
      try SSORPreconditioner(a, omega: 1.5),
      try SSORPreconditioner(a, omega: 1.5, ordering: .backwardForward),
      try IncompleteCholesky(a),
      try IncompleteLU(a),
    ]
  }

  static func solve(_ a: SparseMatrix, _ b: [Double], _ m: (any Preconditioner)?) throws -> SolveResult {
    try ConjugateGradient(stopping: StoppingCriterion(rtol: 1e-8), preconditioner: m).solve(a, b)
  }

  @Test("PCG converges in fewer iterations than CG on 2-D Poisson", arguments: [32, 64])
  func fewerIterationsOnPoisson(n: Int) throws {
    let a = Poisson.matrix2D(n)
    var rng = TestRandom(seed: 51)
    let b = rng.vector(a.rows)
    let plain = try Self.solve(a, b, nil)
    #expect(plain.converged)
    var report = "Poisson 2-D N=\(n): cg \(plain.iterations)"
    for m in try Self.all(a) {
      let result = try Self.solve(a, b, m)
      report += ", \(m.name) \(result.iterations)"
      #expect(result.converged, "\(m.name)")
      #expect(result.trueResidualNorm / result.rhsNorm <= 1e-7, "\(m.name)")
      if m is JacobiPreconditioner {
        // Constant diagonal: Jacobi only rescales, the iterates are the same.
        #expect(abs(result.iterations - plain.iterations) <= 1, "\(m.name)")
      } else {
        #expect(result.iterations < plain.iterations, "\(m.name)")
      }
    }
    print(report)
  }

  @Test("PCG beats CG on diffusion with a 10⁴ coefficient jump", arguments: [32, 64])
  func fewerIterationsOnJump(n: Int) throws {
    let a = jumpDiffusion(n)
    var rng = TestRandom(seed: 52)
    let b = rng.vector(a.rows)
    let plain = try Self.solve(a, b, nil)
    var report = "jump diffusion N=\(n): cg \(plain.iterations) (\(plain.reason))"
    for m in try Self.all(a) {
      let result = try Self.solve(a, b, m)
      report += ", \(m.name) \(result.iterations)"
      #expect(result.converged, "\(m.name)")
      #expect(result.trueResidualNorm / result.rhsNorm <= 1e-7, "\(m.name)")
      #expect(result.iterations < plain.iterations, "\(m.name)")
    }
    print(report)
  }

  @Test("repeated apply is bit-identical and ignores the old contents of z")
  func deterministicApply() throws {
    let a = jumpDiffusion(20)
    var rng = TestRandom(seed: 53)
    let r = rng.vector(a.rows)
    for m in try Self.all(a) {
      let (z1, z2) = applyTwice(m, r)
      #expect(z1 == z2, "\(m.name)")
      #expect(z1.allSatisfy { $0.isFinite }, "\(m.name)")
    }
  }

  @Test("applyAndDot gives the z of apply and rᵀz (fused in Jacobi and IC(0), threaded sizes too)")
  func applyAndDot() throws {
    for a in [jumpDiffusion(20), Diffusion.matrix2D(300) { x, _ in 1 + x }] {  // n = 400 and 90,000
      var rng = TestRandom(seed: 55)
      let r = rng.vector(a.rows)
      for m in try Self.all(a) {
        let z = m.applied(to: r)
        var fused = [Double](repeating: .nan, count: r.count)
        let rz = r.withUnsafeBufferPointer { rp in fused.withUnsafeMutableBufferPointer { m.applyAndDot(rp, into: $0) } }
        #expect(fused == z, "\(m.name)")
        let dot = Vector.dot(r, z)
        #expect(abs(rz - dot) <= 1e-12 * abs(dot), "\(m.name): \(rz) vs \(dot)")
      }
    }
  }

  @Test("ILU(0) and IC(0) agree on a symmetric M-matrix")
  func iluEqualsIC() throws {
    let a = jumpDiffusion(9)
    var rng = TestRandom(seed: 54)
    let r = rng.vector(a.rows)
    let zi = try IncompleteLU(a).applied(to: r)
    let zc = try IncompleteCholesky(a).applied(to: r)
    #expect(relativeDifference(zi, zc) <= 1e-12)
  }
}
