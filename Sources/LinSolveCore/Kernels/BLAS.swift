import COpenBLAS

/// The BLAS layer: OpenBLAS's thread count and the few dense level-2/3 routines the library
/// calls (column-major, unit strides). With `LAPACK` it is the only place outside
/// `LinSolveCore`'s matrices and `LinSolveDirect`'s factorizations where the C libraries are
/// called: the other modules and the executables go through these wrappers.
///
/// OpenBLAS keeps its own thread pool, separate from ``Parallel/threads``. Idle OpenBLAS
/// threads spin for a while after each call; when Swift-threaded sparse loops run in between
/// (recycling solvers that call BLAS once per cycle), the two pools fight over the cores —
/// measured here: PCG went from 0.055 to 0.13 ms per iteration. Use 1 thread for sequences of
/// small dense calls inside iterative solves, and all cores for large dense work (`dgels`,
/// sketch QR, factorizations).
public enum BLAS {
  /// OpenBLAS threads (process-wide).
  public static var threads: Int {
    get { Int(openblas_get_num_threads()) }
    set { openblas_set_num_threads(Int32(max(1, newValue))) }
  }

  // MARK: On DenseMatrix

  /// `y ← A·x + β·y` (or `Aᵀ·x + β·y`) with `dgemv`; with `β = 0`, `y` is not read.
  package static func gemv(
    _ a: DenseMatrix, transpose: Bool, _ x: UnsafeBufferPointer<Double>, _ y: UnsafeMutableBufferPointer<Double>,
    beta: Double = 0
  ) {
    precondition(
      x.count == (transpose ? a.rows : a.columns) && y.count == (transpose ? a.columns : a.rows),
      "gemv: sizes do not match the matrix")
    guard let yp = y.baseAddress else { return }
    guard let xp = x.baseAddress, a.rows > 0, a.columns > 0 else {
      for i in 0..<y.count { yp[i] = beta == 0 ? 0 : beta * yp[i] }
      return
    }
    if beta == 0 { yp.update(repeating: 0, count: y.count) }  // BLAS may read y even when β = 0
    a.values.withUnsafeBufferPointer { av in
      cblas_dgemv(
        CblasColMajor, transpose ? CblasTrans : CblasNoTrans, Int32(a.rows), Int32(a.columns), 1,
        av.baseAddress!, Int32(a.rows), xp, 1, beta, yp, 1)
    }
  }

  /// `C = α·op(A)·op(B) + β·C` with `dgemm`.
  package static func gemm(
    _ a: DenseMatrix, transposeA: Bool, _ b: DenseMatrix, transposeB: Bool, alpha: Double = 1,
    beta: Double = 0, into c: inout DenseMatrix
  ) {
    let m = transposeA ? a.columns : a.rows, k = transposeA ? a.rows : a.columns
    let n = transposeB ? b.rows : b.columns
    precondition((transposeB ? b.columns : b.rows) == k && c.rows == m && c.columns == n, "gemm: sizes")
    guard m > 0, n > 0 else { return }
    if k == 0 {
      for i in 0..<c.values.count { c.values[i] *= beta }
      return
    }
    a.values.withUnsafeBufferPointer { av in
      b.values.withUnsafeBufferPointer { bv in
        c.values.withUnsafeMutableBufferPointer { cv in
          cblas_dgemm(
            CblasColMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, av.baseAddress, Int32(max(1, a.rows)), bv.baseAddress,
            Int32(max(1, b.rows)), beta, cv.baseAddress, Int32(max(1, c.rows)))
        }
      }
    }
  }

  /// The upper triangle of `C ← α·AᵀA + β·C` (`transpose`) or `α·AAᵀ + β·C` with `dsyrk`; the
  /// strict lower triangle of `C` is not touched.
  package static func syrkUpper(
    _ a: DenseMatrix, transpose: Bool, alpha: Double = 1, beta: Double = 0, into c: inout DenseMatrix
  ) {
    let n = transpose ? a.columns : a.rows, k = transpose ? a.rows : a.columns
    precondition(c.rows == n && c.columns == n, "syrk: sizes")
    guard n > 0 else { return }
    a.values.withUnsafeBufferPointer { av in
      c.values.withUnsafeMutableBufferPointer { cv in
        cblas_dsyrk(
          CblasColMajor, CblasUpper, transpose ? CblasTrans : CblasNoTrans, Int32(n), Int32(k), alpha,
          av.baseAddress, Int32(max(1, a.rows)), beta, cv.baseAddress, Int32(max(1, n)))
      }
    }
  }

  // MARK: On blocks (pointer and leading dimension)

  /// `y ← α·op(A)·x + β·y` with `dgemv` for a `rows × columns` block `A` with leading dimension
  /// `lda` (unit strides). The arguments go to BLAS as they are (BLAS may read `y` when `β = 0`).
  package static func gemv(
    transpose: Bool, rows: Int, columns: Int, alpha: Double = 1, _ a: UnsafePointer<Double>?, lda: Int,
    _ x: UnsafePointer<Double>?, beta: Double = 0, _ y: UnsafeMutablePointer<Double>?
  ) {
    cblas_dgemv(
      CblasColMajor, transpose ? CblasTrans : CblasNoTrans, Int32(rows), Int32(columns), alpha, a, Int32(lda), x, 1,
      beta, y, 1)
  }

  /// `y ← α·A·x + β·y` with `dsymv` for a symmetric `n × n` block `A` whose upper triangle is read
  /// (leading dimension `lda`, unit strides).
  package static func symvUpper(
    order n: Int, alpha: Double = 1, _ a: UnsafePointer<Double>?, lda: Int, _ x: UnsafePointer<Double>?,
    beta: Double = 0, _ y: UnsafeMutablePointer<Double>?
  ) {
    cblas_dsymv(CblasColMajor, CblasUpper, Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
  }

  /// `C ← α·op(A)·op(B) + β·C` (`dgemm`) with `op(A)` `m × k` and `op(B)` `k × n`, blocks given by
  /// pointer and leading dimension. Nothing happens when `m` or `n` is 0; with `k = 0`,
  /// `C ← β·C` (0 when `β = 0`) without calling BLAS.
  package static func gemm(
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

  /// `B ← B·R⁻¹` in place (`dtrsm`) for a `rows × columns` block `B` (leading dimension `ld`) and
  /// the upper triangular `columns × columns` `R` held column-major in `r` (leading dimension
  /// `columns`; its strict lower triangle is not read).
  package static func solveUpperRight(
    rows: Int, columns: Int, _ b: UnsafeMutablePointer<Double>, ld: Int, r: [Double]
  ) {
    guard rows > 0, columns > 0 else { return }
    precondition(r.count >= columns * columns, "solveUpperRight: R is too small")
    r.withUnsafeBufferPointer { rp in
      cblas_dtrsm(
        CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, Int32(rows), Int32(columns), 1,
        rp.baseAddress!, Int32(columns), b, Int32(ld))
    }
  }
}
