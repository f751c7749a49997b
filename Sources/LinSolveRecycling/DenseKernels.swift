import CLAPACKE
import COpenBLAS
import LinSolveCore

// Thin wrappers over the BLAS and LAPACK calls the recycling solvers make: products of tall
// n×k blocks with short vectors and small matrices, and the small dense eigenproblems and QR
// factorisations that choose and normalise a recycle space. Everything is column-major.
//
// The matrix–vector products (once or twice per iteration) are Swift loops (`BlockKernels`); BLAS
// (`dgemm`, `dtrsm`) and LAPACK are called once per solve or per restart cycle, from the
// caller's thread (never inside a `Parallel` loop). OpenBLAS's thread count is left as the
// process set it.

/// Dense level-2/3 kernels and LAPACK drivers for ``RecycleSpace`` and the recycling solvers.
enum DenseKernels {
  // MARK: BLAS

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

  /// `C ← α·op(A)·op(B) + β·C` with `op(A)` `m × k` and `op(B)` `k × n`.
  static func gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double = 1,
    _ a: UnsafePointer<Double>, lda: Int, _ b: UnsafePointer<Double>, ldb: Int, beta: Double = 0,
    into c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    guard m > 0, n > 0 else { return }
    if k == 0 {
      for j in 0..<n { for i in 0..<m { c[i + j * ldc] = beta == 0 ? 0 : beta * c[i + j * ldc] } }
      return
    }
    cblas_dgemm(
      CblasColMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
      Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }

  /// `G = AᵀB` for two `rows × cols` blocks (leading dimension `rows`): a `colsA × colsB` matrix.
  static func gram(
    rows: Int, _ a: UnsafePointer<Double>, colsA: Int, _ b: UnsafePointer<Double>, colsB: Int
  ) -> [Double] {
    var g = [Double](repeating: 0, count: colsA * colsB)
    g.withUnsafeMutableBufferPointer { gp in
      gemm(
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
            gemm(
              transposeA: false, transposeB: false, m: count, n: outColumns, k: inColumns, sp, lda: count,
              sb.baseAddress!, ldb: inColumns, into: target + start, ldc: ld)
          }
          beta = 1
        }
        for e in extra where e.cols > 0 {
          e.coefficients.withUnsafeBufferPointer { cb in
            gemm(
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

  /// `B ← B·R⁻¹` for an upper triangular `k × k` `R` (BLAS `dtrsm`), in place.
  static func solveUpperRight(
    rows: Int, cols: Int, _ b: UnsafeMutablePointer<Double>, ld: Int, r: [Double]
  ) {
    guard rows > 0, cols > 0 else { return }
    r.withUnsafeBufferPointer { rp in
      cblas_dtrsm(
        CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, Int32(rows), Int32(cols), 1,
        rp.baseAddress!, Int32(cols), b, Int32(ld))
    }
  }

  // MARK: LAPACK

  private static let jobV = CChar(UInt8(ascii: "V"))
  private static let jobN = CChar(UInt8(ascii: "N"))
  private static let upper = CChar(UInt8(ascii: "U"))

  /// Thin QR of an `m × n` block (`m ≥ n`) in place: on return the block holds `Q` (orthonormal
  /// columns) and the `n × n` upper triangular `R` is returned (LAPACK `dgeqrf` + `dorgqr`).
  /// `nil` if LAPACK reports an error.
  static func qr(rows m: Int, cols n: Int, _ a: UnsafeMutablePointer<Double>, ld: Int) -> [Double]? {
    guard n > 0 else { return [] }
    precondition(m >= n, "qr: more columns than rows")
    var tau = [Double](repeating: 0, count: n)
    let info1 = tau.withUnsafeMutableBufferPointer {
      LAPACKE_dgeqrf(LAPACK_COL_MAJOR, Int32(m), Int32(n), a, Int32(ld), $0.baseAddress!)
    }
    guard info1 == 0 else { return nil }
    var r = [Double](repeating: 0, count: n * n)
    for j in 0..<n { for i in 0...j { r[i + j * n] = a[i + j * ld] } }
    let info2 = tau.withUnsafeBufferPointer {
      LAPACKE_dorgqr(LAPACK_COL_MAJOR, Int32(m), Int32(n), Int32(n), a, Int32(ld), $0.baseAddress!)
    }
    guard info2 == 0 else { return nil }
    return r
  }

  /// Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric `n × n` matrix
  /// (LAPACK `dsyev`, upper triangle read). On return `a` holds the eigenvectors.
  static func symmetricEigen(_ a: inout [Double], n: Int) -> [Double]? {
    guard n > 0 else { return [] }
    var w = [Double](repeating: 0, count: n)
    let info = a.withUnsafeMutableBufferPointer { ap in
      w.withUnsafeMutableBufferPointer { wp in
        LAPACKE_dsyev(LAPACK_COL_MAJOR, jobV, upper, Int32(n), ap.baseAddress!, Int32(n), wp.baseAddress!)
      }
    }
    return info == 0 ? w : nil
  }

  /// The symmetric-definite pencil `A y = θ B y` (`B` positive definite; LAPACK `dsygv`,
  /// itype 1): eigenvalues ascending; on return `a` holds eigenvectors with `YᵀBY = I`.
  static func symmetricDefiniteEigen(_ a: inout [Double], _ b: inout [Double], n: Int) -> [Double]? {
    guard n > 0 else { return [] }
    var w = [Double](repeating: 0, count: n)
    let info = a.withUnsafeMutableBufferPointer { ap in
      b.withUnsafeMutableBufferPointer { bp in
        w.withUnsafeMutableBufferPointer { wp in
          LAPACKE_dsygv(
            LAPACK_COL_MAJOR, 1, jobV, upper, Int32(n), ap.baseAddress!, Int32(n), bp.baseAddress!,
            Int32(n), wp.baseAddress!)
        }
      }
    }
    return info == 0 ? w : nil
  }

  /// The eigenvalues `(αr + i·αi)/β` and right eigenvectors of a general real pencil
  /// `A z = θ B z` (LAPACK `dggev`). A complex pair occupies two consecutive columns of the
  /// eigenvector matrix: real part, then imaginary part.
  static func generalEigen(
    _ a: [Double], _ b: [Double], n: Int
  ) -> (alphaReal: [Double], alphaImaginary: [Double], beta: [Double], vectors: [Double])? {
    guard n > 0 else { return ([], [], [], []) }
    var a = a, b = b
    var ar = [Double](repeating: 0, count: n), ai = ar, be = ar
    var vr = [Double](repeating: 0, count: n * n)
    var vl = [Double](repeating: 0, count: 1)
    let info = a.withUnsafeMutableBufferPointer { ap in
      b.withUnsafeMutableBufferPointer { bp in
        ar.withUnsafeMutableBufferPointer { arp in
          ai.withUnsafeMutableBufferPointer { aip in
            be.withUnsafeMutableBufferPointer { bep in
              vl.withUnsafeMutableBufferPointer { vlp in
                vr.withUnsafeMutableBufferPointer { vrp in
                  LAPACKE_dggev(
                    LAPACK_COL_MAJOR, jobN, jobV, Int32(n), ap.baseAddress!, Int32(n), bp.baseAddress!,
                    Int32(n), arp.baseAddress!, aip.baseAddress!, bep.baseAddress!, vlp.baseAddress!, 1,
                    vrp.baseAddress!, Int32(n))
                }
              }
            }
          }
        }
      }
    }
    return info == 0 ? (ar, ai, be, vr) : nil
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
