import Testing
@testable import LinSolve

/// Tests that change the process-wide ``Parallel/threads`` setting run one at a time, so no
/// other test in this suite sees the setting flip under it. (Other suites only read it, and
/// their checks hold for any thread count.)
@Suite("Threading", .serialized)
struct ThreadingTests {
  @Test("Threaded SpMV and dot are deterministic and match one thread")
  func threadedKernels() {
    let a = Poisson.matrix2D(300)  // n = 90,000: above the threading threshold
    var rng = TestRandom(seed: 7)
    let x = rng.vector(a.columns)
    let saved = Parallel.threads
    defer { Parallel.threads = saved }
    Parallel.threads = 1
    let y1 = a.applied(to: x)
    let d1 = Vector.dot(x, y1)
    Parallel.threads = 2
    let y2 = a.applied(to: x)
    let d2 = Vector.dot(x, y2)
    let d2again = Vector.dot(x, a.applied(to: x))
    #expect(y1 == y2)  // rows are independent: bit-identical
    #expect(d2 == d2again)  // same thread count: bit-identical
    #expect(abs(d1 - d2) <= 1e-12 * abs(d1))  // different thread count: equal within rounding
  }

  @Test("Threaded CG is deterministic for a given thread count and agrees across counts")
  func determinism() throws {
    let a = Poisson.matrix2D(260)  // above the threading threshold
    let b = [Double](repeating: 1, count: a.rows)
    let saved = Parallel.threads
    defer { Parallel.threads = saved }
    let cg = ConjugateGradient(stopping: StoppingCriterion(rtol: 1e-6))
    Parallel.threads = 2
    let r1 = try cg.solve(a, b), r2 = try cg.solve(a, b)
    #expect(r1.x == r2.x && r1.iterations == r2.iterations)
    Parallel.threads = 1
    let r3 = try cg.solve(a, b)
    #expect(abs(r3.iterations - r1.iterations) <= 2)
    let diff = zip(r1.x, r3.x).map { abs($0 - $1) }.max() ?? 0
    #expect(diff <= 1e-5 * (r1.x.map(abs).max() ?? 1))
  }

}

// MARK: - Sketching (appended by the sketching work; runs in the serialized suite above)

extension ThreadingTests {
  @Test("Sketches are bit-identical whatever Parallel.threads is (pattern, dense, CSR, Gaussian)")
  func sketchesIndependentOfThreads() throws {
    let saved = Parallel.threads
    defer { Parallel.threads = saved }
    let m = 70_000, n = 12, d = 48  // m above the threading thresholds
    var rng = TestRandom(seed: 77)
    let dense = try DenseMatrix(rows: m, columns: n, columnMajor: rng.vector(m * n))
    var entries: [(row: Int, column: Int, value: Double)] = []
    for i in 0..<m {
      for _ in 0..<3 { entries.append((i, Int((rng.next() + 1) * 0.5 * Double(n - 1)), rng.next())) }
    }
    let sparse = try SparseMatrix(rows: m, columns: n, entries: entries)
    func sketchAll(_ threads: Int) -> [DenseMatrix] {
      Parallel.threads = threads
      let s = SketchingOperator(rows: d, columns: m, seed: 2024)
      let g = SketchingOperator(rows: 8, columns: m, distribution: .gaussian, seed: 2024)
      let sx = s.applied(to: dense.column(0))
      return [
        s.apply(to: dense), s.apply(to: sparse), g.apply(to: sparse),
        try! DenseMatrix(rows: d, columns: 1, columnMajor: sx),
        try! DenseMatrix(rows: m, columns: 1, columnMajor: s.appliedTranspose(to: Array(sx))),
      ]
    }
    let one = sketchAll(1), two = sketchAll(2), three = sketchAll(3)
    #expect(one == two)
    #expect(one == three)
    Parallel.threads = 1
    let pattern1 = SketchingOperator(rows: d, columns: m, seed: 9).sparseMatrix()
    Parallel.threads = 2
    #expect(SketchingOperator(rows: d, columns: m, seed: 9).sparseMatrix() == pattern1)
  }
}

// MARK: - The worker pool behind Parallel

extension ThreadingTests {
  @Test("Parallel.run runs every chunk exactly once, loop after loop, for 2 to 32 chunks and 1 to 4 threads")
  func everyChunkOnce() {
    let saved = Parallel.threads
    defer { Parallel.threads = saved }
    // 4 → 2 parks two workers, 3 wakes one of them again.
    for threads in [4, 2, 3, 1] {
      Parallel.threads = threads
      for chunks in [2, 3, 4, 7, 32] {
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: chunks)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0)
        let loops = 1_000
        for _ in 0..<loops { Parallel.run(chunks) { c in counts[c] += 1 } }
        #expect(counts.allSatisfy { $0 == loops }, "threads = \(threads), chunks = \(chunks)")
      }
    }
  }

  @Test("A loop inside a chunk, and loops from several threads at once, run all their chunks")
  func nestedAndConcurrentLoops() async {
    let saved = Parallel.threads
    defer { Parallel.threads = saved }
    Parallel.threads = 2
    let x = (0..<200_000).map { Double($0 % 97) - 48.5 }
    let expected = x.withUnsafeBufferPointer { Vector.dot($0, $0) }
    // Nested: the inner loops run on whichever thread runs the outer chunk.
    let inner = UnsafeMutableBufferPointer<Double>.allocate(capacity: 2)
    defer { inner.deallocate() }
    Parallel.run(2) { c in inner[c] = x.withUnsafeBufferPointer { Vector.dot($0, $0) } }
    #expect(inner[0] == expected && inner[1] == expected)
    // Concurrent: one caller gets the pool, the others run their chunks alone; the chunks,
    // and so the sums, are the same either way.
    let sums = await withTaskGroup(of: [Double].self) { group in
      for _ in 0..<4 {
        group.addTask { (0..<200).map { _ in x.withUnsafeBufferPointer { Vector.dot($0, $0) } } }
      }
      var all: [Double] = []
      for await s in group { all += s }
      return all
    }
    #expect(sums.count == 800 && sums.allSatisfy { $0 == expected })
  }
}

// MARK: - Hybrid Gauss–Seidel in the multigrid cycle

extension ThreadingTests {
  @Test("AMG-SA on 2 threads: hybrid Gauss–Seidel keeps the V-cycle symmetric and deterministic, and PCG converges as on 1")
  func hybridGaussSeidel() throws {
    let saved = Parallel.threads
    defer { Parallel.threads = saved }
    let a = Poisson.matrix2D(200)  // n = 40,000: two blocks on the finest level
    var rng = TestRandom(seed: 21)
    let x = rng.vector(a.rows), y = rng.vector(a.rows)
    Parallel.threads = 2
    let amg = try SmoothedAggregationAMG(a)
    let mx = amg.applied(to: x), my = amg.applied(to: y)
    #expect(amg.applied(to: x) == mx)  // same blocks, same order: bit-identical
    let left = Vector.dot(y, mx), right = Vector.dot(x, my)
    #expect(abs(left - right) <= 1e-10 * abs(left))  // the backward sweep is the forward one's adjoint
    #expect(Vector.dot(x, mx) > 0)
    let cg = ConjugateGradient(stopping: StoppingCriterion(rtol: 1e-8), preconditioner: amg)
    let two = try cg.solve(a, x)
    Parallel.threads = 1
    let serial = try SmoothedAggregationAMG(a)
    #expect(serial.applied(to: x) != mx)  // one block: plain Gauss–Seidel, a different smoother
    let one = try ConjugateGradient(stopping: StoppingCriterion(rtol: 1e-8), preconditioner: serial).solve(a, x)
    #expect(two.converged && one.converged)
    #expect(a.residualNorm(x: two.x, b: x) <= 1e-8 * Vector.norm(x) * 1.01)
    #expect(abs(two.iterations - one.iterations) <= 2, "2 threads \(two.iterations), 1 thread \(one.iterations)")
  }
}

extension ThreadingTests {
  @Test("SpGEMM on 1, 2 and 3 threads gives bit-identical products, equal to the serial row-by-row sum")
  func threadedSpGEMM() throws {
    let saved = Parallel.threads
    defer { Parallel.threads = saved }
    let a = Poisson.matrix2D(150)  // 112,000 nonzeros: split across threads
    var rng = TestRandom(seed: 3)
    var entries: [(row: Int, column: Int, value: Double)] = []
    for i in 0..<a.rows { entries.append((i, i / 7, rng.next())) }
    for _ in 0..<5_000 { entries.append((Int((rng.next() + 1) * 0.5 * Double(a.rows - 1)), Int((rng.next() + 1) * 0.5 * 3_000), rng.next())) }
    let p = try SparseMatrix(rows: a.rows, columns: a.rows / 7 + 1, entries: entries.map { ($0.row, min($0.column, a.rows / 7), $0.value) })
    Parallel.threads = 1
    let one = a.multiplied(by: p)
    Parallel.threads = 2
    let two = a.multiplied(by: p)
    Parallel.threads = 3
    #expect(a.multiplied(by: p) == one)
    #expect(two == one)
    // Spot-check rows against y = A·(P·e_j) for a few columns j.
    for j in [0, 100, 2_000] {
      var e = [Double](repeating: 0, count: p.columns)
      e[j] = 1
      let expected = a.applied(to: p.applied(to: e)), got = one.applied(to: e)
      for i in 0..<a.rows { #expect(abs(got[i] - expected[i]) <= 1e-12 * max(1, abs(expected[i]))) }
    }
  }
}
