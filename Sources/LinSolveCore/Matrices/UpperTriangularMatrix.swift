import CLAPACKE
import COpenBLAS

/// An upper-triangular `n × n` matrix `R`, used as a right preconditioner: ``LSQR`` and
/// ``LSMR`` with `R` solve `min ‖b − (A R⁻¹) y‖` and return `x = R⁻¹ y`.
///
/// In the sketching solvers `R` is the triangular factor of a QR factorization of a sketch
/// `S·A`, so that `A R⁻¹` has singular values in `[1/(1+ε), 1/(1−ε)]` with `ε ≈ √(n/d)`
/// (Rokhlin & Tygert 2008; Avron, Maymounkov & Toledo 2010). Products with `R⁻¹` and `R⁻ᵀ` are
/// triangular solves (`dtrsv`, O(n²)); `R` is never inverted.
public struct UpperTriangularMatrix: Sendable, Equatable {
  /// `n`.
  public let order: Int
  /// Column-major `n × n` entries; the strictly lower triangle is zero.
  public let values: [Double]

  /// The upper triangle of the first `min(rows, columns)` columns of `r` (the `R` that
  /// `dgeqrf` leaves in place).
  ///
  /// - Throws: ``LinSolveError/factorizationFailed(reason:)`` if a diagonal entry is zero or not
  ///   finite (the matrix sketched is rank-deficient, or contains NaN/Inf).
  public init(upperTriangleOf r: DenseMatrix) throws {
    let n = min(r.rows, r.columns)
    var v = [Double](repeating: 0, count: n * n)
    for j in 0..<n {
      for i in 0...j { v[i + j * n] = r.values[i + j * r.rows] }
    }
    for i in 0..<n where !(v[i + i * n] != 0 && v[i + i * n].isFinite) {
      throw LinSolveError.factorizationFailed(
        reason: "triangular factor has diagonal entry \(v[i + i * n]) in column \(i + 1) (rank-deficient or non-finite input)")
    }
    order = n
    values = v
  }

  /// `x ← R⁻¹·x` (`dtrsv`).
  public func solve(_ x: UnsafeMutableBufferPointer<Double>) {
    triangularSolve(x, transpose: false)
  }

  /// `x ← R⁻ᵀ·x` (`dtrsv`).
  public func solveTranspose(_ x: UnsafeMutableBufferPointer<Double>) {
    triangularSolve(x, transpose: true)
  }

  /// `x ← R⁻¹·x` on an array.
  public func solve(_ x: inout [Double]) {
    x.withUnsafeMutableBufferPointer { solve($0) }
  }

  /// `x ← R⁻ᵀ·x` on an array.
  public func solveTranspose(_ x: inout [Double]) {
    x.withUnsafeMutableBufferPointer { solveTranspose($0) }
  }

  /// `R·x` (`dtrmv`).
  public func multiply(_ x: [Double]) -> [Double] {
    precondition(x.count == order, "R·x: x has \(x.count) entries, R has order \(order)")
    var y = x
    guard order > 0 else { return y }
    values.withUnsafeBufferPointer { r in
      y.withUnsafeMutableBufferPointer { yp in
        cblas_dtrmv(CblasColMajor, CblasUpper, CblasNoTrans, CblasNonUnit, Int32(order), r.baseAddress, Int32(order), yp.baseAddress, 1)
      }
    }
    return y
  }

  /// `R` as a dense matrix.
  public var denseMatrix: DenseMatrix {
    // `values` has exactly order² entries.
    try! DenseMatrix(rows: order, columns: order, columnMajor: values)
  }

  /// An estimate of the 1-norm condition number `κ₁(R) = ‖R‖₁‖R⁻¹‖₁` (LAPACK `dtrcon`,
  /// O(n²)); within a factor of `n` of the 2-norm condition number, usually much closer.
  public func conditionEstimate() -> Double {
    guard order > 0 else { return 1 }
    var rcond = 0.0
    let info = values.withUnsafeBufferPointer { r in
      LAPACKE_dtrcon(
        LAPACK_COL_MAJOR, Int8(UInt8(ascii: "1")), Int8(UInt8(ascii: "U")), Int8(UInt8(ascii: "N")),
        Int32(order), r.baseAddress, Int32(order), &rcond)
    }
    return info == 0 && rcond > 0 ? 1 / rcond : .infinity
  }

  /// An estimate of `‖R‖₂` by `steps` power iterations on `RᵀR` from a fixed start.
  public func normEstimate(steps: Int = 10) -> Double {
    guard order > 0 else { return 0 }
    var z = (0..<order).map { 1 + 0.1 * Double($0 % 7) }
    var estimate = 0.0
    for _ in 0..<max(1, steps) {
      let nz = Vector.norm(z)
      guard nz > 0, nz.isFinite else { break }
      Vector.scal(1 / nz, &z)
      var rz = multiply(z)
      estimate = Vector.norm(rz)
      // z ← Rᵀ(Rz)
      values.withUnsafeBufferPointer { r in
        rz.withUnsafeMutableBufferPointer { p in
          cblas_dtrmv(CblasColMajor, CblasUpper, CblasTrans, CblasNonUnit, Int32(order), r.baseAddress, Int32(order), p.baseAddress, 1)
        }
      }
      z = rz
    }
    return estimate
  }

  private func triangularSolve(_ x: UnsafeMutableBufferPointer<Double>, transpose: Bool) {
    precondition(x.count == order, "R⁻¹x: x has \(x.count) entries, R has order \(order)")
    guard order > 0 else { return }
    values.withUnsafeBufferPointer { r in
      cblas_dtrsv(
        CblasColMajor, CblasUpper, transpose ? CblasTrans : CblasNoTrans, CblasNonUnit, Int32(order),
        r.baseAddress, Int32(order), x.baseAddress, 1)
    }
  }
}
