import LinSolveCore

// The block kernels the recycling solvers compose from Core's BLAS/LAPACK layer (``BLAS``,
// `LAPACK`): products of tall n×k blocks with short vectors and small matrices, Gram matrices,
// and the in-place recombination of a basis. Everything is column-major.
//
// The matrix–vector products (once or twice per iteration) are Swift loops (`BlockKernels`); BLAS
// (`dgemm`, `dtrsm`) and LAPACK are called once per solve or per restart cycle, from the
// caller's thread (never inside a `Parallel` loop). OpenBLAS's thread count is left as the
// process set it.

/// Block products, Gram matrices and basis recombination for ``RecycleSpace`` and the recycling
/// solvers.
enum DenseKernels {
  /// `y ← α·Aᵀx + β·y` for an `rows × cols` block `A` with leading dimension `lda`.
  /// Swift loops (``BlockKernels``), not BLAS: see `BlockKernels.swift` for why.
  @inline(__always)
  static func gemvT(
    rows: Int, cols: Int, _ a: UnsafePointer<Double>, lda: Int, _ x: UnsafePointer<Double>,
    into y: UnsafeMutablePointer<Double>, alpha: Double = 1, beta: Double = 0
  ) {
    guard cols > 0 else { return }
    if alpha == 1 && beta == 0 {
      BlockKernels.transposedProduct(a, ld: lda, rows: rows, cols: cols, x, into: y)
      return
    }
    withUnsafeTemporaryAllocation(of: Double.self, capacity: cols) { t in
      BlockKernels.transposedProduct(a, ld: lda, rows: rows, cols: cols, x, into: t.baseAddress!)
      for j in 0..<cols { y[j] = alpha * t[j] + (beta == 0 ? 0 : beta * y[j]) }
    }
  }

  /// `y ← α·A·x + β·y` (`β` is 0 or 1) for an `rows × cols` block `A` with leading dimension
  /// `lda`. Swift loops (``BlockKernels``), not BLAS: see `BlockKernels.swift` for why.
  @inline(__always)
  static func gemvN(
    rows: Int, cols: Int, _ a: UnsafePointer<Double>, lda: Int, _ x: UnsafePointer<Double>,
    into y: UnsafeMutablePointer<Double>, alpha: Double = 1, beta: Double = 0
  ) {
    precondition(beta == 0 || beta == 1, "gemvN: β must be 0 or 1")
    guard rows > 0 else { return }
    BlockKernels.product(a, ld: lda, rows: rows, cols: cols, x, into: y, alpha: alpha, accumulate: beta == 1)
  }

  /// `G = AᵀB` for two `rows × cols` blocks (leading dimension `rows`): a `colsA × colsB` matrix.
  static func gram(
    rows: Int, _ a: UnsafePointer<Double>, colsA: Int, _ b: UnsafePointer<Double>, colsB: Int
  ) -> [Double] {
    var g = [Double](repeating: 0, count: colsA * colsB)
    g.withUnsafeMutableBufferPointer { gp in
      BLAS.gemm(
        transposeA: true, transposeB: false, m: colsA, n: colsB, k: rows, a, lda: rows, b, ldb: rows,
        into: gp.baseAddress!, ldc: max(1, colsA))
    }
    return g
  }

  /// Rows per block in ``combineInPlace(rows:target:ld:inColumns:_:outColumns:extra:)``: the
  /// block of the target copied aside (rows × k doubles) stays in cache.
  static let blockRows = 4096

  /// `T[:, 0..<outColumns] ← T[:, 0..<inColumns]·S + Σ Eᵢ·Sᵢ`, in place, one block of rows at a
  /// time (each block of `T` is copied aside first), so no second n×k array is needed.
  ///
  /// - Parameters:
  ///   - target: `T`, `rows × max(inColumns, outColumns)` with leading dimension `ld`.
  ///   - s: `inColumns × outColumns`, column-major (ignored when `inColumns == 0`).
  ///   - extra: blocks `Eᵢ` (`rows × cols`, leading dimension `ld`) and their
  ///     `cols × outColumns` coefficients.
  static func combineInPlace(
    rows: Int, target: UnsafeMutablePointer<Double>, ld: Int, inColumns: Int, _ s: [Double],
    outColumns: Int, extra: [(block: UnsafePointer<Double>, ld: Int, cols: Int, coefficients: [Double])] = []
  ) {
    guard rows > 0, outColumns > 0 else { return }
    let bs = min(blockRows, rows)
    withUnsafeTemporaryAllocation(of: Double.self, capacity: max(1, bs * inColumns)) { scratch in
      let sp = scratch.baseAddress!
      var start = 0
      while start < rows {
        let count = min(bs, rows - start)
        // Copy T[start..<start+count, 0..<inColumns] aside.
        for j in 0..<inColumns {
          (sp + j * count).update(from: target + start + j * ld, count: count)
        }
        var beta = 0.0
        if inColumns > 0 {
          s.withUnsafeBufferPointer { sb in
            BLAS.gemm(
              transposeA: false, transposeB: false, m: count, n: outColumns, k: inColumns, sp, lda: count,
              sb.baseAddress!, ldb: inColumns, into: target + start, ldc: ld)
          }
          beta = 1
        }
        for e in extra where e.cols > 0 {
          e.coefficients.withUnsafeBufferPointer { cb in
            BLAS.gemm(
              transposeA: false, transposeB: false, m: count, n: outColumns, k: e.cols, e.block + start,
              lda: e.ld, cb.baseAddress!, ldb: e.cols, beta: beta, into: target + start, ldc: ld)
          }
          beta = 1
        }
        if beta == 0 {
          for j in 0..<outColumns { (target + start + j * ld).update(repeating: 0, count: count) }
        }
        start += count
      }
    }
  }
}

/// Seconds on a monotonic clock, for the statistics of the recycling solvers.
struct RecyclingStopwatch {
  private let clock = ContinuousClock()
  private var started: ContinuousClock.Instant
  init() { started = clock.now }
  /// Seconds since creation or the last ``lap()``, restarting the count.
  mutating func lap() -> Double {
    let now = clock.now
    let d = now - started
    started = now
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }
}
