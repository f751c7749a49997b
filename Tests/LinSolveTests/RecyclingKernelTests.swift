import Testing
@testable import LinSolve

// The vectorised, threaded block kernels of the recycling solvers against naive loops, on sizes
// that hit every remainder (columns not a multiple of 4, odd rows, a partial last block of
// rows) and sizes large enough to be split across threads (n ≥ 2·1024 and n·k ≥ 2·Parallel.minimumChunk).

/// (rows, columns): small odd shapes, one block + 1, and shapes split into two chunks.
private let shapes: [(n: Int, k: Int)] = [
  (1, 1), (3, 3), (7, 4), (5, 5), (2, 20), (1025, 1), (1025, 3), (1027, 5), (999, 20),
  (70_001, 1), (30_001, 3), (20_001, 4), (13_111, 5), (4_099, 20),
]

/// Relative agreement to `tolerance` (scaled by the larger magnitude, at least `scale`).
private func expectClose(
  _ x: [Double], _ y: [Double], scale: Double, tolerance: Double = 1e-12, _ label: String,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(x.count == y.count, "\(label): sizes", sourceLocation: sourceLocation)
  var worst = 0.0
  for i in 0..<min(x.count, y.count) { worst = max(worst, abs(x[i] - y[i])) }
  #expect(worst <= tolerance * scale, "\(label): max difference \(worst) (scale \(scale))", sourceLocation: sourceLocation)
}

/// A block of `k` columns of length `n` with leading dimension `ld ≥ n` (the padding holds
/// values that must not be read into the results).
private struct Block {
  let n: Int, k: Int, ld: Int
  var values: [Double]
  init(n: Int, k: Int, ld: Int, _ rng: inout TestRandom) {
    self.n = n
    self.k = k
    self.ld = ld
    values = (0..<(ld * k)).map { i in i % ld < n ? rng.next() : .nan }
  }
  subscript(i: Int, j: Int) -> Double { values[i + j * ld] }
}

@Suite("Recycling: block kernels")
struct RecyclingKernelTests {
  @Test("transposedProduct, product and deflatedUpdate match naive loops", arguments: shapes.indices)
  func tallProducts(shape: Int) {
    let (n, k) = shapes[shape]
    var rng = TestRandom(seed: UInt64(17 + shape))
    let ld = n + (shape % 2 == 0 ? 0 : 3)
    let a = Block(n: n, k: k, ld: ld, &rng)
    let x = rng.vector(n), y0 = rng.vector(n), z = rng.vector(n), c = rng.vector(k)
    let beta = 0.37, alpha = -1.3
    let scale = Double(n)

    // y = Aᵀx
    var reference = [Double](repeating: 0, count: k)
    for j in 0..<k { for i in 0..<n { reference[j] += a[i, j] * x[i] } }
    var out = [Double](repeating: .nan, count: k)
    a.values.withUnsafeBufferPointer { ap in
      BlockKernels.transposedProduct(ap.baseAddress!, ld: ld, rows: n, cols: k, x, into: &out)
    }
    expectClose(out, reference, scale: scale, "Aᵀx n=\(n) k=\(k)")

    // y = α·A·c (+ y)
    for accumulate in [false, true] {
      var expected = accumulate ? y0 : [Double](repeating: 0, count: n)
      for i in 0..<n { for j in 0..<k { expected[i] += alpha * a[i, j] * c[j] } }
      var y = accumulate ? y0 : [Double](repeating: .nan, count: n)
      a.values.withUnsafeBufferPointer { ap in
        BlockKernels.product(ap.baseAddress!, ld: ld, rows: n, cols: k, c, into: &y, alpha: alpha, accumulate: accumulate)
      }
      expectClose(y, expected, scale: Double(k), "αAc n=\(n) k=\(k) accumulate=\(accumulate)")
    }

    // out = z + β·y − A·c, into a separate vector and in place (out = y)
    var expected = [Double](repeating: 0, count: n)
    for i in 0..<n {
      expected[i] = z[i] + beta * y0[i]
      for j in 0..<k { expected[i] -= a[i, j] * c[j] }
    }
    var separate = [Double](repeating: .nan, count: n)
    var inPlace = y0
    a.values.withUnsafeBufferPointer { ap in
      BlockKernels.deflatedUpdate(z, beta: beta, y0, ap.baseAddress!, ld: ld, rows: n, cols: k, c, into: &separate)
      inPlace.withUnsafeMutableBufferPointer { yp in
        BlockKernels.deflatedUpdate(
          z, beta: beta, UnsafePointer(yp.baseAddress!), ap.baseAddress!, ld: ld, rows: n, cols: k, c,
          into: yp.baseAddress!)
      }
    }
    expectClose(separate, expected, scale: Double(k), "z + βy − Ac n=\(n) k=\(k)")
    expectClose(inPlace, expected, scale: Double(k), "z + βy − Ac in place n=\(n) k=\(k)")
  }

  @Test("The fused deflated CG passes match naive loops, with and without a matrix and a scaling", arguments: shapes.indices)
  func fusedPasses(shape: Int) throws {
    let (n, k) = shapes[shape]
    var rng = TestRandom(seed: UInt64(101 + shape))
    let c = Block(n: n, k: k, ld: n, &rng)
    // A random sparse matrix with up to 5 entries per row (a 1-D stencil plus far couplings).
    var entries: [(row: Int, column: Int, value: Double)] = []
    for i in 0..<n {
      for d in [0, 1, -1, 7, -13] where (0..<n).contains(i + d) { entries.append((i, i + d, rng.next())) }
    }
    let matrix = try SparseMatrix(rows: n, columns: n, entries: entries)
    let p = rng.vector(n), q0 = rng.vector(n), nu = rng.vector(k)
    let s = (0..<n).map { _ in 0.5 + abs(rng.next()) }

    for useMatrix in [false, true] {
      for scaled in [false, true] {
        let label = "n=\(n) k=\(k) matrix=\(useMatrix) scaled=\(scaled)"
        // Reference: q = (A·p or q0) − C·ν, t = Cᵀ(s∘q), pᵀq.
        var q = useMatrix ? matrix.applied(to: p) : q0
        for i in 0..<n { for j in 0..<k { q[i] -= c[i, j] * nu[j] } }
        var t = [Double](repeating: 0, count: k)
        for j in 0..<k { for i in 0..<n { t[j] += c[i, j] * (scaled ? s[i] : 1) * q[i] } }
        let pq = zip(p, q).reduce(0) { $0 + $1.0 * $1.1 }

        var qOut = useMatrix ? [Double](repeating: .nan, count: n) : q0
        var tOut = [Double](repeating: .nan, count: k)
        let pqOut = c.values.withUnsafeBufferPointer { cp in
          s.withUnsafeBufferPointer { sp in
            qOut.withUnsafeMutableBufferPointer { qp in
              BlockKernels.deflatedProduct(
                qp.baseAddress!, cp.baseAddress!, ld: n, rows: n, cols: k, nu, scale: scaled ? sp.baseAddress! : nil, p,
                into: &tOut, matrix: useMatrix ? matrix : nil)
            }
          }
        }
        expectClose(qOut, q, scale: Double(k + 5), "q \(label)")
        expectClose(tOut, t, scale: Double(n * k), "t \(label)")
        expectClose([pqOut], [pq], scale: Double(n * k), "pᵀq \(label)")
      }
    }

    // Pass B: x += αp, r −= αq with rᵀr and rᵀ(s∘r); pass C: out = s∘r + βp (also in place).
    let alpha = 0.61, beta = -0.27
    let x0 = rng.vector(n), r0 = rng.vector(n)
    for scaled in [false, true] {
      var x = x0, r = r0
      let (rr, rz) = s.withUnsafeBufferPointer { sp in
        BlockKernels.deflatedSolutionUpdate(
          alpha: alpha, p, q0, x: &x, r: &r, scale: scaled ? sp.baseAddress! : nil, rows: n, cols: k)
      }
      let xExpected = (0..<n).map { x0[$0] + alpha * p[$0] }
      let rExpected = (0..<n).map { r0[$0] - alpha * q0[$0] }
      expectClose(x, xExpected, scale: 1, "x n=\(n) k=\(k)")
      expectClose(r, rExpected, scale: 1, "r n=\(n) k=\(k)")
      let rrExpected = rExpected.reduce(0) { $0 + $1 * $1 }
      let rzExpected = (0..<n).reduce(0.0) { $0 + rExpected[$1] * rExpected[$1] * (scaled ? s[$1] : 1) }
      expectClose([rr, rz], [rrExpected, rzExpected], scale: Double(n), "rᵀr, rᵀz n=\(n) k=\(k) scaled=\(scaled)")

      let dExpected = (0..<n).map { r0[$0] * (scaled ? s[$0] : 1) + beta * p[$0] }
      var d = [Double](repeating: .nan, count: n)
      var inPlace = p
      s.withUnsafeBufferPointer { sp in
        let scale = scaled ? sp.baseAddress! : nil
        BlockKernels.deflatedDirection(r0, scale: scale, beta: beta, p, into: &d, rows: n, cols: k)
        inPlace.withUnsafeMutableBufferPointer { pp in
          BlockKernels.deflatedDirection(
            r0, scale: scale, beta: beta, UnsafePointer(pp.baseAddress!), into: pp.baseAddress!, rows: n, cols: k)
        }
      }
      expectClose(d, dExpected, scale: 1, "direction n=\(n) k=\(k) scaled=\(scaled)")
      expectClose(inPlace, dExpected, scale: 1, "direction in place n=\(n) k=\(k) scaled=\(scaled)")
    }
  }

  @Test("Kernels on fewer than two blocks of rows, or on fewer than 2·Parallel.minimumChunk entries, stay on one thread")
  func chunking() {
    // (Whether larger ones are split depends on Parallel.threads, which other suites change.)
    #expect(BlockKernels.chunkCount(rows: 2_047, cols: 100) == 1)
    #expect(BlockKernels.chunkCount(rows: 2 * Parallel.minimumChunk - 1, cols: 1) == 1)
  }
}
