import CLAPACKE

/// The LAPACK layer: thin wrappers over the LAPACK drivers the library calls (QR, symmetric
/// and generalized eigenproblems, Cholesky, SVD, least squares), so the solvers read as
/// mathematics; the BLAS side is ``BLAS``. All matrices are column-major; LAPACK's high-level
/// `LAPACKE_*` interface is used so that workspace queries happen (the minimal `lwork` makes
/// `dgeqrf` unblocked and several times slower; see the research digest §6, pitfall 1).
package enum LAPACK {
  private static let jobV = CChar(UInt8(ascii: "V"))
  private static let jobN = CChar(UInt8(ascii: "N"))
  private static let jobS = CChar(UInt8(ascii: "S"))
  private static let upper = CChar(UInt8(ascii: "U"))

  // MARK: QR

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

  /// Thin QR of an `m × n` block (`m ≥ n`, leading dimension `ld`) in place: on return the block
  /// holds `Q` (orthonormal columns) and the `n × n` upper triangular `R` is returned
  /// (column-major; `dgeqrf` + `dorgqr`). `nil` if LAPACK reports an error.
  package static func thinQR(rows m: Int, columns n: Int, _ a: UnsafeMutablePointer<Double>, ld: Int) -> [Double]? {
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

  // MARK: Symmetric and generalized eigenproblems

  /// Eigenvalues (ascending) and, in place, orthonormal eigenvectors of a symmetric matrix
  /// (`dsyev`, upper triangle read).
  package static func symmetricEigen(_ a: inout DenseMatrix) throws -> [Double] {
    let n = a.rows
    var w = [Double](repeating: 0, count: n)
    let info = a.values.withUnsafeMutableBufferPointer { av in
      w.withUnsafeMutableBufferPointer { wv in
        LAPACKE_dsyev(LAPACK_COL_MAJOR, jobV, upper, Int32(n), av.baseAddress, Int32(max(1, n)), wv.baseAddress)
      }
    }
    guard info == 0 else { throw LinSolveError.factorizationFailed(reason: "dsyev returned \(info)") }
    return w
  }

  /// The eigenvalues (ascending) of a symmetric matrix, without eigenvectors (`dsyev` on a copy,
  /// upper triangle read).
  package static func symmetricEigenvalues(_ a: DenseMatrix) throws -> [Double] {
    let n = a.rows
    var v = a.values
    var w = [Double](repeating: 0, count: n)
    let info = v.withUnsafeMutableBufferPointer { av in
      w.withUnsafeMutableBufferPointer { wv in
        LAPACKE_dsyev(LAPACK_COL_MAJOR, jobN, upper, Int32(n), av.baseAddress, Int32(max(1, n)), wv.baseAddress)
      }
    }
    guard info == 0 else { throw LinSolveError.factorizationFailed(reason: "dsyev returned \(info)") }
    return w
  }

  /// Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric `n × n` matrix held
  /// column-major in `a` (`dsyev`, upper triangle read). On return `a` holds the eigenvectors.
  /// `nil` if LAPACK reports an error.
  package static func symmetricEigen(_ a: inout [Double], order n: Int) -> [Double]? {
    guard n > 0 else { return [] }
    var w = [Double](repeating: 0, count: n)
    let info = a.withUnsafeMutableBufferPointer { ap in
      w.withUnsafeMutableBufferPointer { wp in
        LAPACKE_dsyev(LAPACK_COL_MAJOR, jobV, upper, Int32(n), ap.baseAddress!, Int32(n), wp.baseAddress!)
      }
    }
    return info == 0 ? w : nil
  }

  /// The symmetric-definite pencil `A y = θ B y` (`B` positive definite; `dsygv`, itype 1, upper
  /// triangles read): eigenvalues ascending; on return `a` holds eigenvectors with `YᵀBY = I`
  /// (and `b` its Cholesky factor). `nil` if LAPACK reports an error.
  package static func symmetricDefiniteEigen(_ a: inout [Double], _ b: inout [Double], order n: Int) -> [Double]? {
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
  /// `A z = θ B z` (`n × n`, column-major; `dggev`). A complex pair occupies two consecutive
  /// columns of the eigenvector matrix: real part, then imaginary part. `nil` if LAPACK reports
  /// an error.
  package static func generalEigen(
    _ a: [Double], _ b: [Double], order n: Int
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

  // MARK: Cholesky, SVD, least squares

  /// Cholesky `A = RᵀR` of a square matrix in place (`dpotrf`, upper triangle read and
  /// overwritten by `R`; the strict lower triangle is left as it was). `false` when `A` is not
  /// (numerically) positive definite.
  package static func choleskyUpper(_ a: inout DenseMatrix) -> Bool {
    precondition(a.rows == a.columns, "cholesky: the matrix must be square")
    let n = a.rows
    let info = a.values.withUnsafeMutableBufferPointer { av in
      LAPACKE_dpotrf(LAPACK_COL_MAJOR, upper, Int32(n), av.baseAddress, Int32(n))
    }
    return info == 0
  }

  /// Which singular vectors ``thinSVD(_:vectors:)`` returns.
  package enum SingularVectors: Sendable {
    /// `U` (`m × min(m, n)`).
    case left
    /// `Vᵀ` (`min(m, n) × n`).
    case rightTransposed
  }

  /// The thin SVD `A = U Σ Vᵀ` (`dgesvd`, `a` destroyed): the singular values (descending) and
  /// either `U` or `Vᵀ`.
  package static func thinSVD(
    _ a: inout DenseMatrix, vectors: SingularVectors
  ) throws -> (sigma: [Double], vectors: DenseMatrix) {
    let (m, n) = (a.rows, a.columns), p = min(m, n)
    var sigma = [Double](repeating: 0, count: p)
    var superb = [Double](repeating: 0, count: max(1, p))
    var dummy = [Double](repeating: 0, count: 1)
    var out = vectors == .left ? DenseMatrix(rows: m, columns: p) : DenseMatrix(rows: p, columns: n)
    let info = a.values.withUnsafeMutableBufferPointer { av in
      sigma.withUnsafeMutableBufferPointer { sv in
        out.values.withUnsafeMutableBufferPointer { ov in
          dummy.withUnsafeMutableBufferPointer { dv in
            superb.withUnsafeMutableBufferPointer { wv in
              switch vectors {
              case .left:
                LAPACKE_dgesvd(
                  LAPACK_COL_MAJOR, jobS, jobN, Int32(m), Int32(n), av.baseAddress, Int32(max(1, m)), sv.baseAddress,
                  ov.baseAddress, Int32(max(1, m)), dv.baseAddress, 1, wv.baseAddress)
              case .rightTransposed:
                LAPACKE_dgesvd(
                  LAPACK_COL_MAJOR, jobN, jobS, Int32(m), Int32(n), av.baseAddress, Int32(max(1, m)), sv.baseAddress,
                  dv.baseAddress, 1, ov.baseAddress, Int32(max(1, p)), wv.baseAddress)
              }
            }
          }
        }
      }
    }
    guard info == 0 else { throw LinSolveError.factorizationFailed(reason: "dgesvd returned \(info)") }
    return (sigma, out)
  }

  /// `min ‖b − A x‖₂` for a full-rank `rows × columns` `A` (`rows ≥ columns`) held column-major
  /// in `a` (overwritten by its QR) by `dgels`; `b` (`rows` entries) is overwritten, the
  /// solution in its first `columns` entries. Returns LAPACK's `info`: 0 on success, `i > 0`
  /// when `R(i, i) = 0` (rank deficient), `< 0` for an invalid argument.
  package static func leastSquares(rows: Int, columns: Int, _ a: inout [Double], _ b: inout [Double]) -> Int {
    precondition(a.count >= rows * columns && b.count >= rows, "leastSquares: sizes")
    let info = a.withUnsafeMutableBufferPointer { av in
      b.withUnsafeMutableBufferPointer { bv in
        LAPACKE_dgels(
          LAPACK_COL_MAJOR, jobN, Int32(rows), Int32(columns), 1, av.baseAddress, Int32(rows), bv.baseAddress,
          Int32(rows))
      }
    }
    return Int(info)
  }

  /// The reciprocal condition number `1/(‖R‖₁‖R⁻¹‖₁)` (estimated, LAPACK `dtrcon`) of the upper
  /// triangle `R` of the leading `order × order` block of the column-major `a` (leading
  /// dimension `ld`), as `dgels` and `dgeqrf` leave it; 0 when `R` is singular.
  package static func upperTriangularReciprocalCondition(order: Int, _ a: [Double], ld: Int) -> Double {
    precondition(order <= ld && a.count >= ld * order, "upperTriangularReciprocalCondition: sizes")
    guard order > 0 else { return 1 }
    var rcond = 0.0
    let info = a.withUnsafeBufferPointer { av in
      LAPACKE_dtrcon(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "1")), Int8(UInt8(ascii: "U")), Int8(UInt8(ascii: "N")),
                     Int32(order), av.baseAddress, Int32(ld), &rcond)
    }
    return info == 0 ? rcond : 0
  }
}
