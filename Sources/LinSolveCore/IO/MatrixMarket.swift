/// Reading and writing Matrix Market files (`.mtx`).
///
/// **Reading** accepts the `coordinate` format (fields `real`, `integer`, `pattern`) and the
/// `array` format (`real`, `integer`), each `general`, `symmetric` or `skew-symmetric`:
///
/// - Symmetric and skew-symmetric files are expanded to the full matrix: an entry
///   `(i, j, v)` off the diagonal also gives `(j, i, v)`, or `(j, i, −v)` when skew. (As in
///   SciPy, an entry above the diagonal is mirrored too.) A diagonal entry in a skew-symmetric
///   file is an error. `array` symmetric files hold the lower triangle column by column
///   (`n(n+1)/2` values), skew-symmetric ones the strictly lower triangle (`n(n−1)/2`).
/// - `pattern` entries have the value 1.
/// - **Duplicate entries are summed** (the Matrix Market and SciPy convention, applied by
///   ``CoordinateBuilder``); entries summing to zero stay as explicit zeros.
/// - Words of the banner are matched in any case; comment lines (`%…`) and blank lines may
///   appear anywhere after the banner; CRLF line endings, leading and trailing blanks and a
///   UTF-8 byte order mark are accepted.
/// - `complex` and `hermitian` files are rejected (LinSolve is real).
///
/// Every malformed input gives a ``MatrixMarketError`` naming the file, the line and the
/// reason (`A.mtx:12: row index 0 out of range 1...4`); no input makes the reader trap or
/// allocate more than the file justifies. Indices are checked against the size line, the
/// number of entries against the declared count, and values must be finite decimals
/// (`nan`, `inf` and overflowing values such as `1e400` are errors). Nothing is reserved
/// from a declared count beyond what the bytes after the size line can hold (an entry line
/// takes at least 6 bytes, 4 for `pattern`, an array value 2): a file declaring more entries
/// than it can hold is read until it ends, then rejected with
/// `file ends after K of N entries (the B bytes after the size line can hold at most M)`.
/// Rows and columns are limited to `Int32.max`, and to `max(2²⁴, 16 × file size in bytes)`
/// (a CSR matrix holds a row pointer per row, even an empty one, so a 60-byte file may not
/// ask for 2·10⁹ of them).
///
/// Regular files are memory-mapped (`mmap`) and parsed in place; pipes, FIFOs and devices
/// (`/dev/stdin`) are parsed as they arrive, one window of whole lines (1 MiB) at a time, so
/// reading a stream holds the entries parsed so far and not the text. Either way a file that
/// does not start with `%%MatrixMarket` is rejected after its first bytes. (For a stream the
/// dimension bound, which depends on the input's size, is checked at its end, before the
/// matrix is allocated; ``readHeader(path:)`` of a stream does not check it. A mapped file
/// that another process truncates while it is read can raise `SIGBUS`; this is the usual
/// caveat of `mmap`.)
///
/// **Writing** produces `coordinate real general|symmetric|skew-symmetric` for sparse
/// matrices (symmetric files hold the lower triangle, after checking that the matrix really
/// is symmetric) and `array real general` for vectors and dense matrices. Values are
/// printed in shortest round-trip form, so reading a written file gives back the same
/// doubles exactly. Files are replaced atomically (temporary file, `fsync`, `rename`), so a
/// failed write never leaves a truncated file behind. Write failures are thrown as
/// ``MatrixMarketError`` with line 0.
public enum MatrixMarket {
  /// What a file holds: a sparse matrix (`coordinate`) or a dense one (`array`).
  public enum Content: Sendable, Equatable {
    case sparse(SparseMatrix)
    case dense(DenseMatrix)

    /// Number of rows.
    public var rows: Int {
      switch self {
      case .sparse(let A): return A.rows
      case .dense(let D): return D.rows
      }
    }

    /// Number of columns.
    public var columns: Int {
      switch self {
      case .sparse(let A): return A.columns
      case .dense(let D): return D.columns
      }
    }

    /// The content as a sparse matrix; a dense matrix keeps its nonzero entries only.
    public var sparseMatrix: SparseMatrix {
      switch self {
      case .sparse(let A): return A
      case .dense(let D): return MatrixMarket.sparse(from: D)
      }
    }
  }

  // MARK: Reading

  /// Reads a Matrix Market file.
  ///
  /// - Throws: ``MatrixMarketError``: line 0 when the file cannot be opened or read,
  ///   otherwise the line of the problem.
  public static func read(path: String) throws(MatrixMarketError) -> Content {
    try parse(path: path).content
  }

  /// Reads Matrix Market text from memory; `name` is the file name used in errors.
  public static func read(bytes: UnsafeRawBufferPointer, name: String = "<memory>")
    throws(MatrixMarketError) -> Content
  {
    try MatrixMarketReader.parse(bytes, name: name).content
  }

  /// Reads Matrix Market text from memory; `name` is the file name used in errors.
  public static func read(bytes: [UInt8], name: String = "<memory>") throws(MatrixMarketError)
    -> Content
  {
    try MatrixMarketFile.withBytes(of: bytes) { (buffer) throws(MatrixMarketError) in
      try read(bytes: buffer, name: name)
    }
  }

  /// Reads Matrix Market text from a string; `name` is the file name used in errors.
  public static func read(string: String, name: String = "<memory>") throws(MatrixMarketError)
    -> Content
  {
    try MatrixMarketFile.withBytes(of: string) { (bytes) throws(MatrixMarketError) in
      try read(bytes: bytes, name: name)
    }
  }

  /// Reads only the banner and the size line of a file (checked as for a full read).
  public static func readHeader(path: String) throws(MatrixMarketError) -> MatrixMarketHeader {
    try MatrixMarketFile.parseHeader(path: path).header
  }

  /// Reads only the banner and the size line of Matrix Market text.
  public static func readHeader(string: String, name: String = "<memory>")
    throws(MatrixMarketError) -> MatrixMarketHeader
  {
    try MatrixMarketFile.withBytes(of: string) { (bytes) throws(MatrixMarketError) in
      try MatrixMarketReader.parseHeader(bytes, name: name).header
    }
  }

  /// Reads a matrix as a ``SparseMatrix``; an `array` file is converted (nonzeros kept).
  public static func readMatrix(path: String) throws(MatrixMarketError) -> SparseMatrix {
    try read(path: path).sparseMatrix
  }

  /// Reads the entries of `rows` only (e.g. one MPI rank's block of rows): a matrix of the
  /// file's dimensions whose other rows are empty. Every entry is parsed and checked as by
  /// ``readMatrix(path:)`` (the same errors, with their lines), but only those in `rows`, after a
  /// symmetric file is expanded, are kept: memory is O(n + the entries of `rows`). An `array`
  /// file is read whole, then its other rows are dropped.
  public static func readMatrix(path: String, rows: Range<Int>) throws(MatrixMarketError) -> SparseMatrix {
    let parsed = try MatrixMarketFile.parse(path: path, keptRows: rows)
    guard case .dense = parsed.content else { return parsed.content.sparseMatrix }
    let whole = parsed.content.sparseMatrix
    var rowPointers = [Int](repeating: 0, count: whole.rows + 1)
    var columnIndices: [Int32] = [], values: [Double] = []
    for i in 0 ..< whole.rows {
      if rows.contains(i) {
        columnIndices += whole.columnIndices[whole.rowPointers[i] ..< whole.rowPointers[i + 1]]
        values += whole.values[whole.rowPointers[i] ..< whole.rowPointers[i + 1]]
      }
      rowPointers[i + 1] = values.count
    }
    return SparseMatrix(
      uncheckedRows: whole.rows, columns: whole.columns, rowPointers: rowPointers, columnIndices: columnIndices,
      values: values)
  }

  /// Reads Matrix Market text as a ``SparseMatrix``; an `array` file is converted.
  public static func readMatrix(string: String, name: String = "<memory>")
    throws(MatrixMarketError) -> SparseMatrix
  {
    try read(string: string, name: name).sparseMatrix
  }

  /// Reads a vector: an `array` file of shape n×1 or 1×n, or a `coordinate` file of shape
  /// n×1 or 1×n whose missing entries are 0 (duplicates summed).
  ///
  /// - Throws: ``MatrixMarketError`` on the size line if the file holds a matrix with more
  ///   than one row and more than one column.
  public static func readVector(path: String) throws(MatrixMarketError) -> [Double] {
    try vector(from: parse(path: path), name: path)
  }

  /// Reads a vector from Matrix Market text (see ``readVector(path:)``).
  public static func readVector(string: String, name: String = "<memory>")
    throws(MatrixMarketError) -> [Double]
  {
    let parsed = try MatrixMarketFile.withBytes(of: string) { (bytes) throws(MatrixMarketError) in
      try MatrixMarketReader.parse(bytes, name: name)
    }
    return try vector(from: parsed, name: name)
  }

  // MARK: Writing

  /// Writes a sparse matrix in coordinate format, atomically.
  ///
  /// - Parameters:
  ///   - symmetry: `.general` writes every stored entry; `.symmetric` writes the lower
  ///     triangle and `.skewSymmetric` the strictly lower one, after checking that
  ///     `A = Aᵀ` (resp. `A = −Aᵀ`) exactly.
  ///   - comment: written after the banner as `%` lines (may hold several lines).
  /// - Throws: ``MatrixMarketError`` (line 0) if `A` has a non-finite value, is not
  ///   symmetric as claimed, `symmetry` is `.hermitian`, or the file cannot be written.
  public static func write(
    _ A: SparseMatrix, to path: String, symmetry: MatrixMarketHeader.Symmetry = .general,
    comment: String? = nil
  ) throws(MatrixMarketError) {
    try MatrixMarketWriter.check(A, symmetry: symmetry, file: path)
    try MatrixMarketWriter.writeAtomically(to: path) {
      $0.coordinate(A, symmetry: symmetry, comment: comment)
    }
  }

  /// Writes a vector as an n×1 `array real general` file, atomically.
  public static func write(vector: [Double], to path: String, comment: String? = nil)
    throws(MatrixMarketError)
  {
    try MatrixMarketWriter.checkFinite(vector, file: path, what: "entry")
    try MatrixMarketWriter.writeAtomically(to: path) {
      $0.array(rows: vector.count, columns: 1, values: vector, comment: comment)
    }
  }

  /// Writes a dense matrix as an `array real general` file (column by column), atomically.
  public static func write(_ A: DenseMatrix, to path: String, comment: String? = nil)
    throws(MatrixMarketError)
  {
    try MatrixMarketWriter.checkFinite(A.values, file: path, what: "column-major position")
    try MatrixMarketWriter.writeAtomically(to: path) {
      $0.array(rows: A.rows, columns: A.columns, values: A.values, comment: comment)
    }
  }

  /// The bytes ``write(_:to:symmetry:comment:)`` would write.
  public static func encode(
    _ A: SparseMatrix, symmetry: MatrixMarketHeader.Symmetry = .general, comment: String? = nil
  ) throws(MatrixMarketError) -> [UInt8] {
    try MatrixMarketWriter.check(A, symmetry: symmetry, file: "<memory>")
    var writer = MatrixMarketWriter()
    writer.coordinate(A, symmetry: symmetry, comment: comment)
    return writer.bytes
  }

  /// The bytes ``write(vector:to:comment:)`` would write.
  public static func encode(vector: [Double], comment: String? = nil) throws(MatrixMarketError)
    -> [UInt8]
  {
    try MatrixMarketWriter.checkFinite(vector, file: "<memory>", what: "entry")
    var writer = MatrixMarketWriter()
    writer.array(rows: vector.count, columns: 1, values: vector, comment: comment)
    return writer.bytes
  }

  /// The bytes ``write(_:to:comment:)`` would write for a dense matrix.
  public static func encode(_ A: DenseMatrix, comment: String? = nil) throws(MatrixMarketError)
    -> [UInt8]
  {
    try MatrixMarketWriter.checkFinite(A.values, file: "<memory>", what: "column-major position")
    var writer = MatrixMarketWriter()
    writer.array(rows: A.rows, columns: A.columns, values: A.values, comment: comment)
    return writer.bytes
  }

  // MARK: Helpers

  static func parse(path: String) throws(MatrixMarketError) -> MatrixMarketParse {
    try MatrixMarketFile.parse(path: path)
  }

  static func vector(from parsed: MatrixMarketParse, name: String) throws(MatrixMarketError)
    -> [Double]
  {
    let h = parsed.header
    guard h.rows <= 1 || h.columns <= 1 else {
      throw MatrixMarketError(
        file: name, line: parsed.sizeLine,
        reason: "expected a vector (n×1 or 1×n), found a \(h.rows)×\(h.columns) matrix")
    }
    switch parsed.content {
    case .dense(let D):
      return D.values
    case .sparse(let A):
      var x = [Double](repeating: 0, count: A.rows * A.columns)
      for i in 0..<A.rows {
        for k in A.rowPointers[i]..<A.rowPointers[i + 1] {
          x[i + Int(A.columnIndices[k])] = A.values[k]  // one of i, column is 0
        }
      }
      return x
    }
  }

  /// The nonzero entries of a dense matrix, in CSR.
  static func sparse(from D: DenseMatrix) -> SparseMatrix {
    var pointers = [Int](repeating: 0, count: D.rows + 1)
    var columns: [Int32] = []
    var values: [Double] = []
    for i in 0..<D.rows {
      for j in 0..<D.columns {
        let v = D.values[i + j * D.rows]
        if v != 0 {
          columns.append(Int32(truncatingIfNeeded: j))
          values.append(v)
        }
      }
      pointers[i + 1] = values.count
    }
    return SparseMatrix(
      uncheckedRows: D.rows, columns: D.columns, rowPointers: pointers, columnIndices: columns,
      values: values)
  }
}
