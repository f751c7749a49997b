import CLAPACKE
import COpenBLAS

/// Thin wrappers over the BLAS and LAPACK calls the sketching code makes, so the solvers read
/// as mathematics. All matrices are column-major; LAPACK's high-level `LAPACKE_*` interface is
/// used so that workspace queries happen (the minimal `lwork` makes `dgeqrf` unblocked and
/// several times slower; see the research digest §6, pitfall 1).
package enum SketchLAPACK {
  /// `y ← A·x + β·y` (or `Aᵀ·x + β·y`) with `dgemv`.
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

  /// Householder QR of `a` in place (`dgeqrf`): `R` in the upper triangle, the reflectors below
  /// it; returns the reflector scalars τ.
  package static func qr(_ a: inout DenseMatrix) throws -> [Double] {
    var tau = [Double](repeating: 0, count: min(a.rows, a.columns))
    let (m, n) = (a.rows, a.columns)
    let info = a.values.withUnsafeMutableBufferPointer { av in
      tau.withUnsafeMutableBufferPointer { tv in
        LAPACKE_dgeqrf(LAPACK_COL_MAJOR, Int32(m), Int32(n), av.baseAddress, Int32(max(1, m)), tv.baseAddress)
      }
    }
    guard info == 0 else { throw LinSolveError.factorizationFailed(reason: "dgeqrf returned \(info)") }
    return tau
  }

  /// `c ← Qᵀ·c` for the `Q` of ``qr(_:)`` (`dormqr`); `c` has `qr.rows` entries.
  package static func applyQTranspose(_ qr: DenseMatrix, tau: [Double], to c: inout [Double]) throws {
    let info = qr.values.withUnsafeBufferPointer { av in
      tau.withUnsafeBufferPointer { tv in
        c.withUnsafeMutableBufferPointer { cv in
          LAPACKE_dormqr(
            LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), Int8(UInt8(ascii: "T")), Int32(qr.rows), 1,
            Int32(tau.count), av.baseAddress, Int32(max(1, qr.rows)), tv.baseAddress, cv.baseAddress,
            Int32(max(1, qr.rows)))
        }
      }
    }
    guard info == 0 else { throw LinSolveError.factorizationFailed(reason: "dormqr returned \(info)") }
  }

  /// The explicit `Q` (`m × k`, orthonormal columns) of ``qr(_:)`` (`dorgqr`).
  package static func formQ(_ qr: inout DenseMatrix, tau: [Double]) throws {
    let (m, k) = (qr.rows, qr.columns)
    let info = qr.values.withUnsafeMutableBufferPointer { av in
      tau.withUnsafeBufferPointer { tv in
        LAPACKE_dorgqr(LAPACK_COL_MAJOR, Int32(m), Int32(k), Int32(k), av.baseAddress, Int32(max(1, m)), tv.baseAddress)
      }
    }
    guard info == 0 else { throw LinSolveError.factorizationFailed(reason: "dorgqr returned \(info)") }
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

  /// Eigenvalues (ascending) and, in place, orthonormal eigenvectors of a symmetric matrix (`dsyev`).
  package static func symmetricEigen(_ a: inout DenseMatrix) throws -> [Double] {
    let n = a.rows
    var w = [Double](repeating: 0, count: n)
    let info = a.values.withUnsafeMutableBufferPointer { av in
      w.withUnsafeMutableBufferPointer { wv in
        LAPACKE_dsyev(
          LAPACK_COL_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "U")), Int32(n), av.baseAddress,
          Int32(max(1, n)), wv.baseAddress)
      }
    }
    guard info == 0 else { throw LinSolveError.factorizationFailed(reason: "dsyev returned \(info)") }
    return w
  }
}
