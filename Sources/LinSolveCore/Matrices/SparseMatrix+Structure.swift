// Structural checks that need no values: empty rows and columns.

extension SparseMatrix {
  /// The first row (0-based) that stores no entry, or `nil` when every row has one.
  ///
  /// An explicitly stored zero counts as an entry (this is about the structure).
  ///
  /// - Complexity: O(rows), one pass over ``rowPointers``; allocates nothing.
  public func firstEmptyRow() -> Int? {
    rowPointers.withUnsafeBufferPointer { rp in
      for i in 0..<rows where rp[i + 1] == rp[i] { return i }
      return nil
    }
  }

  /// The first column (0-based) that stores no entry, or `nil` when every column has one.
  ///
  /// - Complexity: O(nnz + columns): one pass over ``columnIndices`` marking a byte per
  ///   column (the only allocation, `columns` bytes).
  public func firstEmptyColumn() -> Int? {
    guard columns > 0 else { return nil }
    var seen = [Bool](repeating: false, count: columns)
    var missing = columns
    columnIndices.withUnsafeBufferPointer { cp in
      seen.withUnsafeMutableBufferPointer { s in
        for j in cp where !s[Int(j)] {
          s[Int(j)] = true
          missing -= 1
          if missing == 0 { break }
        }
      }
    }
    if missing == 0 { return nil }
    return seen.firstIndex(of: false)
  }

  /// Throws when the structure alone makes `A x = b` unsolvable or its solution not unique:
  /// for a square matrix an empty row (``LinSolveError/emptyRow(_:)``, reported first) or
  /// an empty column (``LinSolveError/emptyColumn(_:)``); for a tall matrix (m > n) an empty
  /// column only (rank deficient; empty rows of a least-squares problem are harmless).
  ///
  /// Cheap enough (O(nnz), `columns` bytes) to run before any workspace is allocated.
  public func checkStructuralRank() throws(LinSolveError) {
    if rows == columns, let i = firstEmptyRow() { throw LinSolveError.emptyRow(i) }
    if rows >= columns, let j = firstEmptyColumn() { throw LinSolveError.emptyColumn(j) }
  }
}
