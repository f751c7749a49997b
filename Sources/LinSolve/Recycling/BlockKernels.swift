import Dispatch

// Products of a tall n × k block (column-major, leading dimension ld) with short vectors: the
// per-iteration work of deflation (μ = Cᵀz, p ← p − W·μ) and of Gram–Schmidt against a basis.
//
// They are Swift loops split by `Parallel`, not BLAS `dgemv`: they run once or twice per
// iteration between SpMVs and Swift-threaded vector updates, and OpenBLAS threads woken there
// keep spinning afterwards and compete with LinSolve's own (measured on the 2-core reference
// machine, n = 9604: a PCG iteration took 0.13 ms instead of 0.055 ms while OpenBLAS's two
// threads were busy-waiting). Memory traffic is the bound either way: one pass over the block.

/// Tall-block × short-vector kernels for the recycling solvers.
enum BlockKernels {
  /// Rows per block: a block of `x` (or `y`) stays in L1 while the k columns stream past.
  static let blockRows = 1024

  /// `y ← Aᵀx` for `A` `rows × cols` (leading dimension `ld`); `y` has `cols` entries.
  static func transposedProduct(
    _ a: UnsafePointer<Double>, ld: Int, rows n: Int, cols k: Int, _ x: UnsafePointer<Double>,
    into y: UnsafeMutablePointer<Double>
  ) {
    guard k > 0 else { return }
    let chunks = Parallel.chunkCount(n)
    if chunks == 1 {
      y.update(repeating: 0, count: k)
      accumulateTransposed(a, ld: ld, range: 0..<n, cols: k, x, into: y)
      return
    }
    withUnsafeTemporaryAllocation(of: Double.self, capacity: chunks * k) { partial in
      Parallel.run(chunks) { c in
        let target = partial.baseAddress! + c * k
        target.update(repeating: 0, count: k)
        accumulateTransposed(a, ld: ld, range: Parallel.chunk(c, of: chunks, count: n), cols: k, x, into: target)
      }
      // Fixed summation order: results do not depend on timing.
      for j in 0..<k {
        var s = 0.0
        for c in 0..<chunks { s += partial[c * k + j] }
        y[j] = s
      }
    }
  }

  /// `y[j] += Σ_{i ∈ range} a[i, j]·x[i]`, by blocks of rows.
  @inline(__always)
  private static func accumulateTransposed(
    _ a: UnsafePointer<Double>, ld: Int, range: Range<Int>, cols k: Int, _ x: UnsafePointer<Double>,
    into y: UnsafeMutablePointer<Double>
  ) {
    var start = range.lowerBound
    while start < range.upperBound {
      let end = min(start + blockRows, range.upperBound)
      for j in 0..<k {
        let column = a + j * ld
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var i = start
        while i + 4 <= end {
          s0 += column[i] * x[i]
          s1 += column[i + 1] * x[i + 1]
          s2 += column[i + 2] * x[i + 2]
          s3 += column[i + 3] * x[i + 3]
          i += 4
        }
        while i < end {
          s0 += column[i] * x[i]
          i += 1
        }
        y[j] += (s0 + s1) + (s2 + s3)
      }
      start = end
    }
  }

  /// `y ← α·A·c + β·y` for `A` `rows × cols` (leading dimension `ld`), `β ∈ {0, 1}`.
  static func product(
    _ a: UnsafePointer<Double>, ld: Int, rows n: Int, cols k: Int, _ c: UnsafePointer<Double>,
    into y: UnsafeMutablePointer<Double>, alpha: Double = 1, accumulate: Bool = false
  ) {
    let shared = UncheckedSendable((a, c, y))
    Parallel.forEachChunk(n) { range in
      let (a, c, y) = shared.value
      var start = range.lowerBound
      while start < range.upperBound {
        let end = min(start + blockRows, range.upperBound)
        if !accumulate { for i in start..<end { y[i] = 0 } }
        var j = 0
        // Two columns per sweep over the block of y.
        while j + 2 <= k {
          let c0 = alpha * c[j], c1 = alpha * c[j + 1]
          let a0 = a + j * ld, a1 = a + (j + 1) * ld
          for i in start..<end { y[i] += c0 * a0[i] + c1 * a1[i] }
          j += 2
        }
        if j < k {
          let c0 = alpha * c[j]
          let a0 = a + j * ld
          for i in start..<end { y[i] += c0 * a0[i] }
        }
        start = end
      }
    }
  }

  /// `out ← x + β·y − A·c` in one pass (the deflated CG direction `p ← z + βp − W·μ`);
  /// `out` may be `y`.
  static func deflatedUpdate(
    _ x: UnsafePointer<Double>, beta: Double, _ y: UnsafePointer<Double>, _ a: UnsafePointer<Double>, ld: Int,
    rows n: Int, cols k: Int, _ c: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>
  ) {
    let shared = UncheckedSendable((x, y, a, c, out))
    Parallel.forEachChunk(n) { range in
      let (x, y, a, c, out) = shared.value
      var start = range.lowerBound
      while start < range.upperBound {
        let end = min(start + blockRows, range.upperBound)
        for i in start..<end { out[i] = x[i] + beta * y[i] }
        var j = 0
        while j + 2 <= k {
          let c0 = c[j], c1 = c[j + 1]
          let a0 = a + j * ld, a1 = a + (j + 1) * ld
          for i in start..<end { out[i] -= c0 * a0[i] + c1 * a1[i] }
          j += 2
        }
        if j < k {
          let c0 = c[j]
          let a0 = a + j * ld
          for i in start..<end { out[i] -= c0 * a0[i] }
        }
        start = end
      }
    }
  }
}
