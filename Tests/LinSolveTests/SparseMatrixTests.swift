import Testing
@testable import LinSolve

/// A deterministic pseudo-random sequence for test data (SplitMix64).
struct TestRandom {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> Double {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    z ^= z >> 31
    return Double(z >> 11) / Double(1 << 53) * 2 - 1
  }
  mutating func vector(_ n: Int) -> [Double] { (0..<n).map { _ in next() } }
}

/// Dense reference product.
func denseMultiply(_ a: [[Double]], _ x: [Double]) -> [Double] {
  a.map { row in zip(row, x).reduce(0) { $0 + $1.0 * $1.1 } }
}

@Suite("SparseMatrix")
struct SparseMatrixTests {
  @Test("COO to CSR sums duplicates and sorts columns")
  func cooDuplicates() throws {
    let a = try SparseMatrix(rows: 3, columns: 4, entries: [
      (2, 3, 1.0), (0, 2, 5.0), (0, 0, 1.0), (0, 2, -2.0), (2, 0, 4.0), (0, 1, 7.0), (2, 3, 0.5),
    ])
    #expect(a.rowPointers == [0, 3, 3, 5])
    #expect(a.columnIndices == [0, 1, 2, 0, 3])
    #expect(a.values == [1, 7, 3, 4, 1.5])
    #expect(a[0, 2] == 3)
    #expect(a[1, 1] == 0)
    #expect(a[2, 3] == 1.5)
  }

  @Test("COO rejects an index out of range")
  func cooOutOfRange() {
    #expect(throws: LinSolveError.self) {
      _ = try SparseMatrix(rows: 2, columns: 2, entries: [(2, 0, 1.0)])
    }
    #expect(throws: LinSolveError.self) {
      _ = try SparseMatrix(rows: 2, columns: 2, entries: [(0, -1, 1.0)])
    }
  }

  @Test("CSR validation rejects unsorted, repeated and out-of-range columns")
  func csrValidation() {
    #expect(throws: LinSolveError.self) {
      _ = try SparseMatrix(rows: 1, columns: 3, rowPointers: [0, 2], columnIndices: [2, 1], values: [1, 1])
    }
    #expect(throws: LinSolveError.self) {
      _ = try SparseMatrix(rows: 1, columns: 3, rowPointers: [0, 2], columnIndices: [1, 1], values: [1, 1])
    }
    #expect(throws: LinSolveError.self) {
      _ = try SparseMatrix(rows: 1, columns: 3, rowPointers: [0, 1], columnIndices: [3], values: [1])
    }
    #expect(throws: LinSolveError.self) {
      _ = try SparseMatrix(rows: 2, columns: 3, rowPointers: [0, 1], columnIndices: [0], values: [1])
    }
  }

  @Test("SpMV matches a dense reference", arguments: [(7, 5, 0.4), (50, 50, 0.1), (1, 9, 0.9), (9, 1, 0.9)])
  func spmvDense(rows: Int, columns: Int, density: Double) throws {
    var rng = TestRandom(seed: UInt64(rows * 1000 + columns))
    var entries: [(row: Int, column: Int, value: Double)] = []
    for i in 0..<rows {
      for j in 0..<columns where abs(rng.next()) < density { entries.append((i, j, rng.next())) }
    }
    let a = try SparseMatrix(rows: rows, columns: columns, entries: entries)
    let x = rng.vector(columns)
    let expected = denseMultiply(a.dense(), x)
    let y = a.applied(to: x)
    for i in 0..<rows { #expect(abs(y[i] - expected[i]) <= 1e-14 * (1 + abs(expected[i]))) }

    // y ← 2Ax − 3y
    var z = rng.vector(rows)
    let z0 = z
    a.multiply(x, into: &z, alpha: 2, beta: -3)
    for i in 0..<rows { #expect(abs(z[i] - (2 * expected[i] - 3 * z0[i])) <= 1e-13 * (1 + abs(z[i]))) }
  }

  @Test("SpMV with beta = 0 does not read y")
  func spmvIgnoresY() {
    let a = Poisson.matrix1D(4)
    var y = [Double](repeating: .nan, count: 4)
    a.multiply([1, 1, 1, 1], into: &y)
    #expect(y == [1, 0, 0, 1])
  }

  @Test("Transpose, diagonal and symmetry")
  func transposeDiagonalSymmetry() throws {
    let a = try SparseMatrix(rows: 2, columns: 3, entries: [(0, 0, 1), (0, 2, 2), (1, 1, 3)])
    let t = a.transposed()
    #expect(t.rows == 3 && t.columns == 2)
    #expect(t.dense() == [[1, 0], [0, 3], [2, 0]])
    #expect(t.transposed() == a)
    #expect(a.diagonal() == [1, 3])
    #expect(!a.isSymmetric())
    #expect(Poisson.matrix2D(5).isSymmetric())
    #expect(!Diffusion.convectionDiffusion2D(5, beta: (10, 5)).isSymmetric())
    // Same values, one extra explicit zero: still symmetric.
    let padded = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 0, 1), (0, 1, 0), (1, 1, 1)])
    #expect(padded.isSymmetric())
  }

  @Test("DenseMatrix.apply (dgemv) equals the column sums and ignores the old y", arguments: [(7, 5), (1, 1), (300, 40), (4, 0)])
  func denseApply(rows: Int, columns: Int) throws {
    var rng = TestRandom(seed: UInt64(rows * 100 + columns))
    let values = rng.vector(rows * columns)
    let a = try DenseMatrix(rows: rows, columns: columns, columnMajor: values)
    let x = rng.vector(columns)
    var expected = [Double](repeating: 0, count: rows)
    for j in 0..<columns { for i in 0..<rows { expected[i] += values[j * rows + i] * x[j] } }
    var y = [Double](repeating: .nan, count: rows)
    x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { a.apply(xp, into: $0) } }
    for i in 0..<rows { #expect(abs(y[i] - expected[i]) <= 1e-13 * Double(columns + 1), "row \(i)") }
  }

  @Test("isSymmetric agrees with the dense definition on random patterns and perturbations")
  func symmetryMatchesDense() throws {
    var rng = TestRandom(seed: 31)
    for trial in 0..<200 {
      let n = 1 + trial % 9
      var dense = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
      var stored = Set<[Int]>()
      for _ in 0..<(2 * n) {
        let i = Int((rng.next() + 1) * 0.5 * Double(n)) % n, j = Int((rng.next() + 1) * 0.5 * Double(n)) % n
        let v = (rng.next() * 4).rounded()  // small integers, zeros included (explicit zeros)
        dense[i][j] = v
        dense[j][i] = v
        stored.insert([i, j])
        stored.insert([j, i])
      }
      // Break symmetry on some trials: a changed value, a lone entry, or a NaN.
      if trial % 4 == 1, let e = stored.first(where: { $0[0] != $0[1] }) { dense[e[0]][e[1]] += 1 }
      if trial % 4 == 2 {
        let i = trial % n, j = (trial / 3) % n
        dense[i][j] += 1
        stored.insert([i, j])
      }
      if trial % 4 == 3, let e = stored.first(where: { $0[0] != $0[1] }) {
        dense[e[0]][e[1]] = .nan
        if trial % 8 == 7 { stored.insert([trial % n, (trial + 1) % n]) }  // and an asymmetric pattern
      }
      let entries = stored.map { (row: $0[0], column: $0[1], value: dense[$0[0]][$0[1]]) }
      let a = try SparseMatrix(rows: n, columns: n, entries: entries)
      // a_ij = a_ji for i ≠ j (a NaN off the diagonal is never symmetric)
      let expected = (0..<n).allSatisfy { i in (0..<n).allSatisfy { j in i == j || dense[i][j] == dense[j][i] } }
      #expect(a.isSymmetric() == expected, "trial \(trial): \(dense)")
    }
  }

  @Test("Poisson matrices have the stencil structure", arguments: [1, 2, 3])
  func poissonStructure(dimension: Int) {
    let n = 6
    let a = dimension == 1 ? Poisson.matrix1D(n) : dimension == 2 ? Poisson.matrix2D(n) : Poisson.matrix3D(n)
    let unknowns = Int(pow(Double(n), Double(dimension)))
    #expect(a.rows == unknowns)
    // nnz = unknowns + 2·dimension·n^(d−1)·(n−1)
    #expect(a.nonzeros == unknowns + 2 * dimension * unknowns / n * (n - 1))
    #expect(a.diagonal().allSatisfy { $0 == 2 * Double(dimension) })
    #expect(a.isSymmetric())
    // Row sums are zero in the interior and positive next to the boundary.
    let rowSums = a.applied(to: [Double](repeating: 1, count: unknowns))
    #expect(rowSums.allSatisfy { $0 >= 0 })
    #expect(rowSums.contains(0) == (n > 2))
  }

  @Test("Diffusion with a constant coefficient equals Poisson")
  func diffusionConstant() {
    #expect(Diffusion.matrix2D(7) { _, _ in 1 } == Poisson.matrix2D(7))
  }

  @Test("Diffusion is exactly symmetric with a jump on a cell face")
  func diffusionJumpOnFace() {
    for n in [19, 20, 21, 40] {
      #expect(Diffusion.matrix2D(n) { x, _ in x < 0.5 ? 1e4 : 1 }.isSymmetric(), "n = \(n)")
    }
  }

  @Test("shifted(by:) adds to the diagonal and inserts missing entries")
  func shifted() throws {
    let a = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 1, 1), (1, 1, 2)])
    #expect(a.shifted(by: 3).dense() == [[3, 1], [0, 5]])
  }

  @Test("Vector kernels")
  func vectorKernels() {
    var y = [1.0, 2, 3]
    Vector.axpy(2, [1, 1, 1], &y)
    #expect(y == [3, 4, 5])
    Vector.scal(0.5, &y)
    #expect(y == [1.5, 2, 2.5])
    #expect(Vector.dot([1, 2, 3], [4, 5, 6]) == 32)
    #expect(Vector.norm([3, 4]) == 5)
    #expect(abs(Vector.norm([3e200, 4e200]) - 5e200) <= 1e186)
    #expect(abs(Vector.norm([3e-200, 4e-200]) - 5e-200) <= 1e-214)
    #expect(Vector.norm([Double]()) == 0)
    #expect(Vector.allFinite([1, 2]))
    #expect(!Vector.allFinite([1, .nan]))
    #expect(!Vector.allFinite([.infinity, 2]))
  }

  @Test("Stopping criterion validation")
  func stoppingValidation() throws {
    try StoppingCriterion().validate()
    #expect(throws: LinSolveError.self) { try StoppingCriterion(rtol: 0).validate() }
    #expect(throws: LinSolveError.self) { try StoppingCriterion(rtol: 1.5).validate() }
    #expect(throws: LinSolveError.self) { try StoppingCriterion(rtol: -1).validate() }
    #expect(throws: LinSolveError.self) { try StoppingCriterion(maxIterations: -1).validate() }
    try StoppingCriterion(rtol: 0, atol: 1e-10).validate()
    #expect(StoppingCriterion(rtol: 1e-6, atol: 1e-3).threshold(rhsNorm: 10, initialResidualNorm: 1) == 1e-3)
    #expect(StoppingCriterion(rtol: 1e-2, baseline: .initialResidual).threshold(rhsNorm: 10, initialResidualNorm: 1) == 1e-2)
  }
}

#if canImport(Glibc)
import Glibc
#endif
