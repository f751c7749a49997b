/// A ``LinearOperator`` that can also apply its transpose: what least-squares methods
/// (``LSQR``, ``LSMR``, the sketching solvers) and sketch-and-project need.
///
/// ``SparseMatrix``, ``DenseMatrix`` and ``SketchingOperator`` conform. As for
/// ``LinearOperator/apply(_:into:)``, implementations must not allocate.
public protocol AdjointLinearOperator: LinearOperator {
  /// Computes `y = Aᵀ·x`. `x` has ``LinearOperator/rows`` entries, `y` has
  /// ``LinearOperator/columns``; they must not alias.
  func applyTranspose(_ x: UnsafeBufferPointer<Double>, into y: UnsafeMutableBufferPointer<Double>)
}

extension AdjointLinearOperator {
  /// Returns `Aᵀ·x` as a new array.
  public func appliedTranspose(to x: [Double]) -> [Double] {
    precondition(x.count == rows, "x has \(x.count) entries, operator has \(rows) rows")
    var y = [Double](repeating: 0, count: columns)
    x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { applyTranspose(xp, into: $0) } }
    return y
  }
}

extension SparseMatrix: AdjointLinearOperator {
  /// `y = Aᵀ·x` by scattering the rows of `A`, on one thread (a threaded scatter would need a
  /// partial `y` per thread). The least-squares solvers instead form ``transposed()`` once per
  /// solve and apply it as a threaded SpMV.
  ///
  /// - Complexity: O(nnz + columns).
  public func applyTranspose(_ x: UnsafeBufferPointer<Double>, into y: UnsafeMutableBufferPointer<Double>) {
    precondition(x.count == rows && y.count == columns, "Aᵀx: sizes do not match the matrix")
    guard let yp = y.baseAddress else { return }
    yp.update(repeating: 0, count: columns)
    guard let xp = x.baseAddress else { return }
    rowPointers.withUnsafeBufferPointer { rp in
      columnIndices.withUnsafeBufferPointer { cp in
        values.withUnsafeBufferPointer { vp in
          guard let cp = cp.baseAddress, let vp = vp.baseAddress else { return }
          for i in 0..<rows {
            let xi = xp[i]
            if xi == 0 { continue }
            for k in rp[i]..<rp[i + 1] { yp[Int(cp[k])] += vp[k] * xi }
          }
        }
      }
    }
  }
}

extension DenseMatrix: AdjointLinearOperator {
  /// `y = Aᵀ·x` with BLAS `dgemv` (OpenBLAS threads).
  public func applyTranspose(_ x: UnsafeBufferPointer<Double>, into y: UnsafeMutableBufferPointer<Double>) {
    precondition(x.count == rows && y.count == columns, "Aᵀx: sizes do not match the matrix")
    BLAS.gemv(self, transpose: true, x, y)
  }
}

/// `A` and `Aᵀ` as closures chosen once per solve for speed: a CSR matrix is transposed once
/// (so `Aᵀx` is a threaded SpMV instead of a one-thread scatter) and a dense matrix uses
/// `dgemv` both ways. Everything else goes through the protocol (and a scratch vector for the
/// update forms).
package struct AdjointPair {
  /// `y ← op(A)·x + β·y` (with `β = 0`, `y` is not read).
  package typealias Update = (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>, Double) -> Void
  package let rows: Int
  package let columns: Int
  /// `y ← A·x + β·y`.
  package let forwardUpdate: Update
  /// `y ← Aᵀ·x + β·y`.
  package let transposeUpdate: Update

  package init(_ a: some AdjointLinearOperator) {
    rows = a.rows
    columns = a.columns
    if let s = a as? SparseMatrix {
      let t = s.transposed()
      forwardUpdate = { x, y, beta in s.multiply(x, into: y, alpha: 1, beta: beta) }
      transposeUpdate = { x, y, beta in t.multiply(x, into: y, alpha: 1, beta: beta) }
    } else if let d = a as? DenseMatrix {
      forwardUpdate = { x, y, beta in BLAS.gemv(d, transpose: false, x, y, beta: beta) }
      transposeUpdate = { x, y, beta in BLAS.gemv(d, transpose: true, x, y, beta: beta) }
    } else {
      let forwardScratch = ScratchVector(count: a.rows), transposeScratch = ScratchVector(count: a.columns)
      forwardUpdate = { x, y, beta in
        if beta == 0 { return a.apply(x, into: y) }
        a.apply(x, into: forwardScratch.buffer)
        for i in 0..<y.count { y[i] = forwardScratch.buffer[i] + beta * y[i] }
      }
      transposeUpdate = { x, y, beta in
        if beta == 0 { return a.applyTranspose(x, into: y) }
        a.applyTranspose(x, into: transposeScratch.buffer)
        for i in 0..<y.count { y[i] = transposeScratch.buffer[i] + beta * y[i] }
      }
    }
  }

  /// `y = A·x`.
  package func forward(_ x: UnsafeBufferPointer<Double>, _ y: UnsafeMutableBufferPointer<Double>) {
    forwardUpdate(x, y, 0)
  }

  /// `r₀ = b − A·x₀` and the products it took (none when `x₀ = 0`).
  package func initialResidual(_ b: [Double], x0: ScratchVector) -> (residual: ScratchVector, matvecs: Int) {
    let r = ScratchVector(b)
    guard x0.readOnly.contains(where: { $0 != 0 }) else { return (r, 0) }
    forward(x0.readOnly, r.buffer)
    for i in 0..<rows { r.buffer[i] = b[i] - r.buffer[i] }
    return (r, 1)
  }

  /// `r = A·x − b` into `r`; returns `‖r‖₂` (the row-action methods' residual check).
  package func misfitNorm(_ x: UnsafeBufferPointer<Double>, _ b: [Double], into r: UnsafeMutableBufferPointer<Double>) -> Double {
    forward(x, r)
    for i in 0..<rows { r[i] -= b[i] }
    return Vector.norm(UnsafeBufferPointer(r))
  }

  /// `y = Aᵀ·x`.
  package func transpose(_ x: UnsafeBufferPointer<Double>, _ y: UnsafeMutableBufferPointer<Double>) {
    transposeUpdate(x, y, 0)
  }
}

/// A heap vector owned by a class (freed in `deinit`), for scratch space captured by closures
/// and for the solvers' iteration vectors.
package final class ScratchVector {
  package let buffer: UnsafeMutableBufferPointer<Double>

  package init(count: Int, repeating value: Double = 0) {
    buffer = .allocate(capacity: count)
    buffer.initialize(repeating: value)
  }

  package convenience init(_ values: [Double]) {
    self.init(count: values.count)
    for i in 0..<values.count { buffer[i] = values[i] }
  }

  deinit { buffer.deallocate() }

  package var readOnly: UnsafeBufferPointer<Double> { UnsafeBufferPointer(buffer) }
  package var array: [Double] { Array(buffer) }
}
