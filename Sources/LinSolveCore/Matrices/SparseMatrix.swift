/// A real sparse matrix in compressed sparse row (CSR) form.
///
/// Row `i` holds the entries `values[rowPointers[i] ..< rowPointers[i + 1]]` in the columns
/// `columnIndices[…]` (0-based), sorted ascending and without duplicates. Build one from
/// triplets with ``init(rows:columns:entries:)`` or ``CoordinateBuilder``, or read one with
/// ``MatrixMarket``.
///
/// Column indices are `Int32`: on a 5-point Laplacian SpMV moves 12 bytes per nonzero instead
/// of 16 with `Int`, and SpMV is bound by memory traffic (see `docs/ARCHITECTURE.md` for the
/// measurement). Row pointers are `Int`, so the number of nonzeros is not limited to 2³¹.
/// The dimensions are limited to `Int32.max`.
public struct SparseMatrix: Sendable, Equatable {
  /// Number of rows.
  public let rows: Int
  /// Number of columns.
  public let columns: Int
  /// `rows + 1` offsets into ``columnIndices`` and ``values``.
  public internal(set) var rowPointers: [Int]
  /// Column of each stored entry (0-based), ascending within a row.
  public internal(set) var columnIndices: [Int32]
  /// Value of each stored entry.
  public package(set) var values: [Double]

  /// Number of stored entries.
  public var nonzeros: Int { values.count }

  /// Creates a matrix from CSR arrays, checking them.
  ///
  /// - Throws: ``LinSolveError/invalidStructure(_:)`` if the arrays are inconsistent (row
  ///   pointers not starting at 0 or not non-decreasing, columns out of range, unsorted or
  ///   repeated columns in a row).
  public init(
    rows: Int, columns: Int, rowPointers: [Int], columnIndices: [Int32], values: [Double]
  ) throws {
    guard rows >= 0, columns >= 0, rows <= Int(Int32.max), columns <= Int(Int32.max) else {
      throw LinSolveError.invalidStructure("dimensions \(rows)×\(columns) out of range")
    }
    guard rowPointers.count == rows + 1 else {
      throw LinSolveError.invalidStructure("rowPointers has \(rowPointers.count) entries, expected \(rows + 1)")
    }
    guard rowPointers[0] == 0, rowPointers[rows] == values.count,
      columnIndices.count == values.count
    else {
      throw LinSolveError.invalidStructure("rowPointers, columnIndices and values disagree on the number of entries")
    }
    for i in 0..<rows {
      let start = rowPointers[i], end = rowPointers[i + 1]
      guard start <= end else {
        throw LinSolveError.invalidStructure("rowPointers decrease at row \(i)")
      }
      var previous: Int32 = -1
      for k in start..<end {
        let j = columnIndices[k]
        guard j > previous, Int(j) < columns else {
          throw LinSolveError.invalidStructure("row \(i): column \(j) out of range, unsorted or repeated")
        }
        previous = j
      }
    }
    self.init(
      uncheckedRows: rows, columns: columns, rowPointers: rowPointers,
      columnIndices: columnIndices, values: values)
  }

  /// Creates a matrix from CSR arrays that the caller guarantees are valid.
  @usableFromInline
  package init(
    uncheckedRows rows: Int, columns: Int, rowPointers: [Int], columnIndices: [Int32],
    values: [Double]
  ) {
    self.rows = rows
    self.columns = columns
    self.rowPointers = rowPointers
    self.columnIndices = columnIndices
    self.values = values
  }

  /// Creates a matrix from `(row, column, value)` triplets (0-based). Duplicates are summed.
  ///
  /// - Throws: ``LinSolveError/invalidStructure(_:)`` for an index out of range.
  public init(rows: Int, columns: Int, entries: [(row: Int, column: Int, value: Double)]) throws {
    var builder = CoordinateBuilder(rows: rows, columns: columns)
    builder.reserveCapacity(entries.count)
    for e in entries { try builder.append(row: e.row, column: e.column, value: e.value) }
    self = builder.build()
  }

  /// The `n × n` identity.
  public static func identity(_ n: Int) -> SparseMatrix {
    SparseMatrix(
      uncheckedRows: n, columns: n, rowPointers: Array(0...n),
      columnIndices: (0..<n).map { Int32($0) }, values: [Double](repeating: 1, count: n))
  }

  /// A diagonal matrix with the given diagonal.
  public static func diagonal(_ d: [Double]) -> SparseMatrix {
    SparseMatrix(
      uncheckedRows: d.count, columns: d.count, rowPointers: Array(0...d.count),
      columnIndices: (0..<d.count).map { Int32($0) }, values: d)
  }

  /// The entry at (`row`, `column`), 0 if it is not stored.
  ///
  /// - Complexity: O(log k) for k entries in the row.
  public subscript(row: Int, column: Int) -> Double {
    precondition(row >= 0 && row < rows && column >= 0 && column < columns, "index out of range")
    var lo = rowPointers[row], hi = rowPointers[row + 1]
    let c = Int32(column)
    while lo < hi {
      let mid = (lo + hi) / 2
      if columnIndices[mid] < c { lo = mid + 1 } else { hi = mid }
    }
    return lo < rowPointers[row + 1] && columnIndices[lo] == c ? values[lo] : 0
  }

  /// Whether every stored value is finite.
  public var allFinite: Bool { values.allSatisfy { $0.isFinite } }
}
