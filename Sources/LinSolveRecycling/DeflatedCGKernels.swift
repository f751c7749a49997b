// The three passes of one iteration of deflated CG in its fused form (``DeflatedCG``, for a
// ``SparseMatrix`` with no preconditioner or a diagonal one):
//
//   A. q ← A·p̃ − C·ν,  t ← Cᵀ(s ∘ q),  pᵀq      (the SpMV, the only pass over the block C)
//   B. x̃ ← x̃ + α·p̃,  r ← r − α·q,  rᵀr, rᵀ(s ∘ r)
//   C. p̃ ← s ∘ r + β·p̃                             (z = s ∘ r is never stored)
//
// with `s` the inverse diagonal of the preconditioner (`nil`: none). All three are split into
// the same chunks of rows (`passChunkCount(rows:cols:)`, which counts the work of pass A: the
// SpMV and the vector updates, about 8 entries per row, plus the k of the block), so each
// thread keeps the same rows from pass to pass and the pool's workers stay awake between them.
// Partial sums are combined in chunk order.

import LinSolveCore


package extension BlockKernels {
  /// The chunks of the three passes for `n` rows and a block of `k` columns.
  @inline(__always)
  static func passChunkCount(rows n: Int, cols k: Int) -> Int {
    guard n >= 2 * blockRows else { return 1 }
    return min(Parallel.chunkCount(n &* (k &+ 8)), n / blockRows)
  }

  /// Runs `body(range, chunk)` over the chunks of the passes.
  @inline(__always)
  private static func forEachPassChunk(rows n: Int, cols k: Int, _ body: (Range<Int>, Int) -> Void) {
    let chunks = passChunkCount(rows: n, cols: k)
    if chunks == 1 {
      body(0..<n, 0)
      return
    }
    Parallel.run(chunks) { c in body(Parallel.chunk(c, of: chunks, count: n), c) }
  }

  /// Pass A: `q ← A·p − C·ν` (or, with `matrix` `nil`, `q ← q − C·ν` for a `q` that already
  /// holds `A·p`), `t ← Cᵀ(s ∘ q)` and returns `pᵀq`.
  ///
  /// - Parameters:
  ///   - c: `C`, `rows × cols` with leading dimension `ld`.
  ///   - nu: `ν`, `cols` entries.
  ///   - s: a diagonal scaling (`nil`: the identity); with the inverse diagonal of a Jacobi
  ///     preconditioner, `t = CᵀM⁻¹q`.
  ///   - t: `cols` entries.
  ///   - matrix: `A` (square, `rows` rows), or `nil` when `q` holds `A·p` already.
  static func deflatedProduct(
    _ q: UnsafeMutablePointer<Double>, _ c: UnsafePointer<Double>, ld: Int, rows n: Int, cols k: Int,
    _ nu: UnsafePointer<Double>, scale s: UnsafePointer<Double>?, _ p: UnsafePointer<Double>,
    into t: UnsafeMutablePointer<Double>, matrix a: SparseMatrix? = nil
  ) -> Double {
    guard let a else {
      return deflatedPass(q, c, ld: ld, rows: n, cols: k, nu, scale: s, p, into: t, csr: nil)
    }
    precondition(a.rows == n && a.columns == n, "deflatedProduct: matrix size")
    return a.rowPointers.withUnsafeBufferPointer { rp in
      a.columnIndices.withUnsafeBufferPointer { cp in
        a.values.withUnsafeBufferPointer { vp in
          guard let cpp = cp.baseAddress, let vpp = vp.baseAddress else {
            // No stored entries: A·p = 0.
            q.update(repeating: 0, count: n)
            return deflatedPass(q, c, ld: ld, rows: n, cols: k, nu, scale: s, p, into: t, csr: nil)
          }
          return deflatedPass(
            q, c, ld: ld, rows: n, cols: k, nu, scale: s, p, into: t, csr: (rp.baseAddress!, cpp, vpp))
        }
      }
    }
  }

  @inline(__always)
  private static func deflatedPass(
    _ q: UnsafeMutablePointer<Double>, _ c: UnsafePointer<Double>, ld: Int, rows n: Int, cols k: Int,
    _ nu: UnsafePointer<Double>, scale s: UnsafePointer<Double>?, _ p: UnsafePointer<Double>,
    into t: UnsafeMutablePointer<Double>,
    csr: (UnsafePointer<Int>, UnsafePointer<Int32>, UnsafePointer<Double>)?
  ) -> Double {
    let chunks = passChunkCount(rows: n, cols: k)
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: chunks * (k + 1) + max(k, 1)) { buffer in
      let partial = buffer.baseAddress!
      let negated = partial + chunks &* (k &+ 1)
      for j in 0..<k { negated[j] = -nu[j] }
      forEachPassChunk(rows: n, cols: k) { range, chunk in
        let target = partial + chunk &* (k &+ 1)
        target.update(repeating: 0, count: k &+ 1)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: blockRows) { scratch in
          let w = scratch.baseAddress!
          var pq = SIMD2<Double>()
          var start = range.lowerBound
          while start < range.upperBound {
            let end = min(start &+ blockRows, range.upperBound)
            if let csr { rowProducts(csr.0, csr.1, csr.2, p, start, end, into: q) }
            accumulateProduct(c, ld: ld, cols: k, negated, start, end, into: q)
            let count = end &- start
            var i = 0
            if let s {
              while i &+ 2 <= count {
                let qi = load(q, start &+ i)
                pq += load(p, start &+ i) * qi
                store(qi * load(s, start &+ i), w, i)
                i &+= 2
              }
              if i < count {
                pq[0] += p[start &+ i] * q[start &+ i]
                w[i] = q[start &+ i] * s[start &+ i]
              }
            } else {
              while i &+ 2 <= count {
                pq += load(p, start &+ i) * load(q, start &+ i)
                i &+= 2
              }
              if i < count { pq[0] += p[start &+ i] * q[start &+ i] }
            }
            let source = s == nil ? UnsafePointer(q + start) : UnsafePointer(w)
            accumulateTransposed(c + start, ld: ld, cols: k, source, 0, count, into: target)
            start = end
          }
          target[k] = pq.sum()
        }
      }
      var pq = 0.0
      for j in 0...k {
        var sum = 0.0
        for chunk in 0..<chunks { sum += partial[chunk &* (k &+ 1) &+ j] }
        if j < k { t[j] = sum } else { pq = sum }
      }
      return pq
    }
  }

  /// `q[i] = (A·p)[i]` for `i ∈ start..<end`, A in CSR.
  @inline(__always)
  private static func rowProducts(
    _ rp: UnsafePointer<Int>, _ cp: UnsafePointer<Int32>, _ vp: UnsafePointer<Double>, _ p: UnsafePointer<Double>,
    _ start: Int, _ end: Int, into q: UnsafeMutablePointer<Double>
  ) {
    for i in start..<end { q[i] = SparseMatrix.rowDot(i, rp, cp, vp, p) }
  }

  /// Pass B: `x ← x + α·p`, `r ← r − α·q`; returns `(rᵀr, rᵀ(s ∘ r))` for the new `r` (the
  /// second is `rᵀr` when `s` is `nil`). Split like an `n × k` block kernel.
  static func deflatedSolutionUpdate(
    alpha: Double, _ p: UnsafePointer<Double>, _ q: UnsafePointer<Double>, x: UnsafeMutablePointer<Double>,
    r: UnsafeMutablePointer<Double>, scale s: UnsafePointer<Double>?, rows n: Int, cols k: Int
  ) -> (rr: Double, rz: Double) {
    let chunks = passChunkCount(rows: n, cols: k)
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * chunks) { partial in
      let partial = partial.baseAddress!
      forEachPassChunk(rows: n, cols: k) { range, chunk in
        let a = SIMD2(repeating: alpha)
        var rr = SIMD2<Double>(), rz = SIMD2<Double>()
        var i = range.lowerBound
        let end = range.upperBound
        while i &+ 2 <= end {
          store(load(x, i) + a * load(p, i), x, i)
          let ri = load(r, i) - a * load(q, i)
          store(ri, r, i)
          rr += ri * ri
          if let s { rz += ri * ri * load(s, i) }
          i &+= 2
        }
        if i < end {
          x[i] += alpha * p[i]
          let ri = r[i] - alpha * q[i]
          r[i] = ri
          rr[0] += ri * ri
          if let s { rz[0] += ri * ri * s[i] }
        }
        partial[2 &* chunk] = rr.sum()
        partial[2 &* chunk &+ 1] = s == nil ? rr.sum() : rz.sum()
      }
      var rr = 0.0, rz = 0.0
      for chunk in 0..<chunks {
        rr += partial[2 &* chunk]
        rz += partial[2 &* chunk &+ 1]
      }
      return (rr, rz)
    }
  }

  /// Pass C: `out ← s ∘ r + β·p` (`r + β·p` when `s` is `nil`); `out` may be `p`.
  static func deflatedDirection(
    _ r: UnsafePointer<Double>, scale s: UnsafePointer<Double>?, beta: Double, _ p: UnsafePointer<Double>,
    into out: UnsafeMutablePointer<Double>, rows n: Int, cols k: Int
  ) {
    forEachPassChunk(rows: n, cols: k) { range, _ in
      let b = SIMD2(repeating: beta)
      var i = range.lowerBound
      let end = range.upperBound
      if let s {
        while i &+ 2 <= end {
          store(load(r, i) * load(s, i) + b * load(p, i), out, i)
          i &+= 2
        }
        if i < end { out[i] = r[i] * s[i] + beta * p[i] }
      } else {
        while i &+ 2 <= end {
          store(load(r, i) + b * load(p, i), out, i)
          i &+= 2
        }
        if i < end { out[i] = r[i] + beta * p[i] }
      }
    }
  }
}
