// Products of a tall n × k block (column-major, leading dimension ld) with short vectors: the
// per-iteration work of deflation (μ = Cᵀz, p ← z + βp − W·μ, q ← q − C·ν with Cᵀq) and of
// Gram–Schmidt against a basis.
//
// They are Swift loops split by `Parallel`, not BLAS `dgemv`: they run once or twice per
// iteration between SpMVs and Swift-threaded vector updates, and OpenBLAS threads woken there
// keep spinning afterwards and compete with LinSolve's own (measured on the 2-core reference
// machine, n = 9604: a PCG iteration took 0.13 ms instead of 0.055 ms while OpenBLAS's two
// threads were busy-waiting).
//
// How they reach the memory bound (each column of the block read once per kernel):
// - four columns per sweep over a block of `blockRows` rows, two rows per SIMD2 operation (the
//   package is built for baseline x86-64, so SSE2 is the widest unit the compiler may use), two
//   pairs of rows per step so that eight independent accumulators hide the add latency;
// - the short vector's block (x, or the output being updated) stays in L1 while the k columns
//   stream past, so the block itself is the only stream from L2/L3/memory;
// - the work is n·k, not n: a block kernel is split across threads by the size of the block
//   (`Parallel.chunkCount(n·k)`), so at n = 40,000, k = 5 it runs on two threads even though a
//   vector update of the same n does not;
// - index arithmetic uses wrapping operators (no overflow traps in the inner loops).
//
// Chunk boundaries depend only on n, k and the thread count, and per-chunk partial sums are
// combined in chunk order, so the results are bit-for-bit reproducible for a thread count.

import LinSolveCore


/// Tall-block × short-vector kernels for the recycling solvers.
package enum BlockKernels {
  /// Rows per block: 8 KiB of the short vector stays in L1 while the columns stream past.
  static let blockRows = 1024

  /// The number of chunks (threads) a kernel over an `n × k` block is split into.
  @inline(__always)
  package static func chunkCount(rows n: Int, cols k: Int) -> Int {
    guard n >= 2 * blockRows else { return 1 }
    return min(Parallel.chunkCount(n &* k), n / blockRows)
  }

  // MARK: SIMD helpers

  @inline(__always)
  static func load(_ p: UnsafePointer<Double>, _ i: Int) -> SIMD2<Double> {
    UnsafeRawPointer(p + i).loadUnaligned(as: SIMD2<Double>.self)
  }

  @inline(__always)
  static func load(_ p: UnsafeMutablePointer<Double>, _ i: Int) -> SIMD2<Double> {
    UnsafeRawPointer(p + i).loadUnaligned(as: SIMD2<Double>.self)
  }

  @inline(__always)
  static func store(_ v: SIMD2<Double>, _ p: UnsafeMutablePointer<Double>, _ i: Int) {
    UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD2<Double>.self)
  }

  // MARK: Inner loops over one block of rows

  /// `y[j] += Σ_{i ∈ lo..<hi} a[i, j]·x[i]` for all `k` columns: four at a time.
  @inline(__always)
  static func accumulateTransposed(
    _ a: UnsafePointer<Double>, ld: Int, cols k: Int, _ x: UnsafePointer<Double>, _ lo: Int, _ hi: Int,
    into y: UnsafeMutablePointer<Double>
  ) {
    var j = 0
    while j &+ 4 <= k {
      let a0 = a + j &* ld, a1 = a0 + ld, a2 = a1 + ld, a3 = a2 + ld
      var s0 = SIMD2<Double>(), s1 = s0, s2 = s0, s3 = s0
      var t0 = s0, t1 = s0, t2 = s0, t3 = s0
      var i = lo
      while i &+ 4 <= hi {
        let x0 = load(x, i), x1 = load(x, i &+ 2)
        s0 += load(a0, i) * x0
        s1 += load(a1, i) * x0
        s2 += load(a2, i) * x0
        s3 += load(a3, i) * x0
        t0 += load(a0, i &+ 2) * x1
        t1 += load(a1, i &+ 2) * x1
        t2 += load(a2, i &+ 2) * x1
        t3 += load(a3, i &+ 2) * x1
        i &+= 4
      }
      s0 += t0
      s1 += t1
      s2 += t2
      s3 += t3
      var r0 = s0.sum(), r1 = s1.sum(), r2 = s2.sum(), r3 = s3.sum()
      while i < hi {
        let xi = x[i]
        r0 += a0[i] * xi
        r1 += a1[i] * xi
        r2 += a2[i] * xi
        r3 += a3[i] * xi
        i &+= 1
      }
      y[j] += r0
      y[j &+ 1] += r1
      y[j &+ 2] += r2
      y[j &+ 3] += r3
      j &+= 4
    }
    while j < k {
      let a0 = a + j &* ld
      var s0 = SIMD2<Double>(), t0 = s0
      var i = lo
      while i &+ 4 <= hi {
        s0 += load(a0, i) * load(x, i)
        t0 += load(a0, i &+ 2) * load(x, i &+ 2)
        i &+= 4
      }
      var r0 = (s0 + t0).sum()
      while i < hi {
        r0 += a0[i] * x[i]
        i &+= 1
      }
      y[j] += r0
      j &+= 1
    }
  }

  /// `out[i] += Σ_j a[i, j]·c[j]` for `i ∈ lo..<hi`: four columns per sweep over `out`.
  @inline(__always)
  static func accumulateProduct(
    _ a: UnsafePointer<Double>, ld: Int, cols k: Int, _ c: UnsafePointer<Double>, _ lo: Int, _ hi: Int,
    into out: UnsafeMutablePointer<Double>
  ) {
    var j = 0
    while j &+ 4 <= k {
      let a0 = a + j &* ld, a1 = a0 + ld, a2 = a1 + ld, a3 = a2 + ld
      let c0 = c[j], c1 = c[j &+ 1], c2 = c[j &+ 2], c3 = c[j &+ 3]
      let v0 = SIMD2(repeating: c0), v1 = SIMD2(repeating: c1), v2 = SIMD2(repeating: c2)
      let v3 = SIMD2(repeating: c3)
      var i = lo
      while i &+ 2 <= hi {
        let o = load(out, i) + ((load(a0, i) * v0 + load(a1, i) * v1) + (load(a2, i) * v2 + load(a3, i) * v3))
        store(o, out, i)
        i &+= 2
      }
      if i < hi { out[i] += (a0[i] * c0 + a1[i] * c1) + (a2[i] * c2 + a3[i] * c3) }
      j &+= 4
    }
    if k &- j >= 2 {
      let a0 = a + j &* ld, a1 = a0 + ld
      let c0 = c[j], c1 = c[j &+ 1]
      let v0 = SIMD2(repeating: c0), v1 = SIMD2(repeating: c1)
      var i = lo
      while i &+ 2 <= hi {
        store(load(out, i) + (load(a0, i) * v0 + load(a1, i) * v1), out, i)
        i &+= 2
      }
      if i < hi { out[i] += a0[i] * c0 + a1[i] * c1 }
      j &+= 2
    }
    if j < k {
      let a0 = a + j &* ld
      let c0 = c[j]
      let v0 = SIMD2(repeating: c0)
      var i = lo
      while i &+ 2 <= hi {
        store(load(out, i) + load(a0, i) * v0, out, i)
        i &+= 2
      }
      if i < hi { out[i] += a0[i] * c0 }
    }
  }

  /// Runs `body(range, chunk)` over the chunks of `0..<n` for an `n × k` block.
  @inline(__always)
  static func forEachChunk(rows n: Int, cols k: Int, _ body: (Range<Int>, Int) -> Void) {
    let chunks = chunkCount(rows: n, cols: k)
    if chunks == 1 {
      body(0..<n, 0)
      return
    }
    Parallel.run(chunks) { c in body(Parallel.chunk(c, of: chunks, count: n), c) }
  }

  // MARK: Kernels

  /// `y ← Aᵀx` for `A` `rows × cols` (leading dimension `ld`); `y` has `cols` entries.
  package static func transposedProduct(
    _ a: UnsafePointer<Double>, ld: Int, rows n: Int, cols k: Int, _ x: UnsafePointer<Double>,
    into y: UnsafeMutablePointer<Double>
  ) {
    guard k > 0 else { return }
    let chunks = chunkCount(rows: n, cols: k)
    withUnsafeTemporaryAllocation(of: Double.self, capacity: chunks * k) { partial in
      let partial = partial.baseAddress!
      forEachChunk(rows: n, cols: k) { range, c in
        let target = partial + c &* k
        target.update(repeating: 0, count: k)
        var start = range.lowerBound
        while start < range.upperBound {
          let end = min(start &+ blockRows, range.upperBound)
          accumulateTransposed(a, ld: ld, cols: k, x, start, end, into: target)
          start = end
        }
      }
      // Fixed summation order: results do not depend on timing.
      for j in 0..<k {
        var s = 0.0
        for c in 0..<chunks { s += partial[c &* k &+ j] }
        y[j] = s
      }
    }
  }

  /// `y ← α·A·c + β·y` for `A` `rows × cols` (leading dimension `ld`), `β ∈ {0, 1}`.
  package static func product(
    _ a: UnsafePointer<Double>, ld: Int, rows n: Int, cols k: Int, _ c: UnsafePointer<Double>,
    into y: UnsafeMutablePointer<Double>, alpha: Double = 1, accumulate: Bool = false
  ) {
    withUnsafeTemporaryAllocation(of: Double.self, capacity: max(k, 1)) { scaled in
      let scaled = scaled.baseAddress!
      for j in 0..<k { scaled[j] = alpha * c[j] }
      forEachChunk(rows: n, cols: k) { range, _ in
        var start = range.lowerBound
        while start < range.upperBound {
          let end = min(start &+ blockRows, range.upperBound)
          if !accumulate { (y + start).update(repeating: 0, count: end &- start) }
          accumulateProduct(a, ld: ld, cols: k, scaled, start, end, into: y)
          start = end
        }
      }
    }
  }

  /// `out ← x + β·y − A·c` in one pass (the deflated CG direction `p ← z + βp − W·μ`);
  /// `out` may be `y`.
  package static func deflatedUpdate(
    _ x: UnsafePointer<Double>, beta: Double, _ y: UnsafePointer<Double>, _ a: UnsafePointer<Double>, ld: Int,
    rows n: Int, cols k: Int, _ c: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>
  ) {
    withUnsafeTemporaryAllocation(of: Double.self, capacity: max(k, 1)) { negated in
      let negated = negated.baseAddress!
      for j in 0..<k { negated[j] = -c[j] }
      forEachChunk(rows: n, cols: k) { range, _ in
        let b = SIMD2(repeating: beta)
        var start = range.lowerBound
        while start < range.upperBound {
          let end = min(start &+ blockRows, range.upperBound)
          var i = start
          while i &+ 2 <= end {
            store(load(x, i) + b * load(y, i), out, i)
            i &+= 2
          }
          if i < end { out[i] = x[i] + beta * y[i] }
          accumulateProduct(a, ld: ld, cols: k, negated, start, end, into: out)
          start = end
        }
      }
    }
  }
}
