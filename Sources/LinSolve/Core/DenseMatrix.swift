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
  /// `y = A·x`, column by column (BLAS `dgemv` is used where it matters, in Sketching).
  public func apply(_ x: UnsafeBufferPointer<Double>, into y: UnsafeMutableBufferPointer<Double>) {
    precondition(x.count == columns && y.count == rows, "dense apply: sizes do not match")
    for i in 0..<rows { y[i] = 0 }
    values.withUnsafeBufferPointer { a in
      for j in 0..<columns {
        let xj = x[j]
        if xj == 0 { continue }
        let base = j * rows
        for i in 0..<rows { y[i] += a[base + i] * xj }
      }
    }
  }
}
