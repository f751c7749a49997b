import COpenBLAS

/// A dense real matrix in column-major order, the layout BLAS and LAPACK expect.
///
/// Used for Matrix Market `array` files, for recycle spaces (n×k bases) and sketches.
public struct DenseMatrix: Sendable, Equatable {
  /// Number of rows.
  public let rows: Int
  /// Number of columns.
  public let columns: Int
  /// The entries, column by column: entry (i, j) is `values[i + j * rows]`.
  public var values: [Double]

  /// A `rows × columns` matrix filled with `value`.
  public init(rows: Int, columns: Int, repeating value: Double = 0) {
    precondition(rows >= 0 && columns >= 0, "negative dimensions")
    self.rows = rows
    self.columns = columns
    self.values = [Double](repeating: value, count: rows * columns)
  }

  /// A matrix from column-major values.
  public init(rows: Int, columns: Int, columnMajor values: [Double]) throws {
    guard values.count == rows * columns else {
      throw LinSolveError.dimensionMismatch(
        expected: rows * columns, actual: values.count, what: "dense matrix values")
    }
    self.rows = rows
    self.columns = columns
    self.values = values
  }

  /// Entry (`row`, `column`).
  @inlinable
  public subscript(row: Int, column: Int) -> Double {
    get { values[row + column * rows] }
    set { values[row + column * rows] = newValue }
  }

  /// Column `j` as a new array.
  public func column(_ j: Int) -> [Double] {
    Array(values[(j * rows)..<((j + 1) * rows)])
  }
}

extension DenseMatrix: LinearOperator {
  /// `y = A·x` with BLAS `dgemv` (OpenBLAS, ``BLAS/threads``); `y` is not read.
  public func apply(_ x: UnsafeBufferPointer<Double>, into y: UnsafeMutableBufferPointer<Double>) {
    precondition(x.count == columns && y.count == rows, "dense apply: sizes do not match")
    guard let yp = y.baseAddress else { return }
    yp.update(repeating: 0, count: rows)  // β = 0 must not propagate a NaN already in y
    guard columns > 0 else { return }
    precondition(rows <= Int(Int32.max) && columns <= Int(Int32.max), "dense apply: beyond 32-bit BLAS")
    values.withUnsafeBufferPointer { a in
      cblas_dgemv(
        CblasColMajor, CblasNoTrans, Int32(rows), Int32(columns), 1, a.baseAddress, Int32(max(1, rows)),
        x.baseAddress, 1, 0, yp, 1)
    }
  }
}
