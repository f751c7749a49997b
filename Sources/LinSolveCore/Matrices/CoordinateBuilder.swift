/// Collects `(row, column, value)` triplets (COO form) and compresses them into a
/// ``SparseMatrix``.
///
/// Duplicates are summed (the Matrix Market and SciPy convention); columns end up sorted
/// within each row. Building is two counting passes, O(nnz + rows), plus a sort of each
/// row's entries when they were not appended in order.
public struct CoordinateBuilder: Sendable {
  public let rows: Int
  public let columns: Int
  @usableFromInline var rowIndex: [Int32] = []
  @usableFromInline var columnIndex: [Int32] = []
  @usableFromInline package var value: [Double] = []

  /// Creates an empty builder for a `rows × columns` matrix.
  public init(rows: Int, columns: Int) {
    precondition(rows >= 0 && columns >= 0 && rows <= Int(Int32.max) && columns <= Int(Int32.max),
                 "dimensions \(rows)×\(columns) out of range")
    self.rows = rows
    self.columns = columns
  }

  /// Number of triplets appended so far (duplicates counted separately).
  public var count: Int { value.count }

  /// Reserves room for `n` triplets.
  public mutating func reserveCapacity(_ n: Int) {
    rowIndex.reserveCapacity(n)
    columnIndex.reserveCapacity(n)
    value.reserveCapacity(n)
  }

  /// Appends one entry (0-based indices).
  ///
  /// - Throws: ``LinSolveError/invalidStructure(_:)`` if the index is out of range.
  @inlinable
  public mutating func append(row: Int, column: Int, value v: Double) throws {
    guard row >= 0, row < rows, column >= 0, column < columns else {
      throw LinSolveError.invalidStructure("entry (\(row), \(column)) outside \(rows)×\(columns)")
    }
    appendUnchecked(row: row, column: column, value: v)
  }

  /// Appends one entry whose indices the caller has checked.
  @inlinable
  public mutating func appendUnchecked(row: Int, column: Int, value v: Double) {
    rowIndex.append(Int32(truncatingIfNeeded: row))
    columnIndex.append(Int32(truncatingIfNeeded: column))
    value.append(v)
  }

  /// Compresses the triplets into CSR, summing duplicates and sorting columns.
  ///
  /// Entries that sum to zero are kept as explicit zeros (the structure is what was given).
  public func build() -> SparseMatrix {
    let nnz = value.count
    // Counting sort by row.
    var pointers = [Int](repeating: 0, count: rows + 1)
    for r in rowIndex { pointers[Int(r) + 1] += 1 }
    for i in 0..<rows { pointers[i + 1] += pointers[i] }
    var next = pointers
    var cols = [Int32](repeating: 0, count: nnz)
    var vals = [Double](repeating: 0, count: nnz)
    for k in 0..<nnz {
      let r = Int(rowIndex[k])
      let dest = next[r]
      cols[dest] = columnIndex[k]
      vals[dest] = value[k]
      next[r] = dest + 1
    }
    // Sort each row by column (stable insertion sort for short rows), then merge duplicates.
    var out = 0
    var newPointers = [Int](repeating: 0, count: rows + 1)
    var order: [Int] = []
    for i in 0..<rows {
      let start = pointers[i], end = pointers[i + 1]
      var sorted = true
      if end - start > 1 {
        for k in (start + 1)..<end where cols[k] < cols[k - 1] {
          sorted = false
          break
        }
      }
      if !sorted {
        order.removeAll(keepingCapacity: true)
        order.append(contentsOf: start..<end)
        order.sort { cols[$0] < cols[$1] || (cols[$0] == cols[$1] && $0 < $1) }
        let c = order.map { cols[$0] }
        let v = order.map { vals[$0] }
        for (o, k) in (start..<end).enumerated() {
          cols[k] = c[o]
          vals[k] = v[o]
        }
      }
      var k = start
      while k < end {
        let c = cols[k]
        var sum = vals[k]
        k += 1
        while k < end && cols[k] == c {
          sum += vals[k]
          k += 1
        }
        cols[out] = c
        vals[out] = sum
        out += 1
      }
      newPointers[i + 1] = out
    }
    cols.removeLast(nnz - out)
    vals.removeLast(nnz - out)
    return SparseMatrix(
      uncheckedRows: rows, columns: columns, rowPointers: newPointers, columnIndices: cols,
      values: vals)
  }
}
