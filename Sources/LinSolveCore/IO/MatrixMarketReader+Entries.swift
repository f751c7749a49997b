// The Matrix Market reader's entry pass: coordinate entries into a `CoordinateBuilder`
// (expanded by symmetry, then CSR; only the rows in `keptRows` when it is set), array values
// into a `DenseMatrix`.

extension MatrixMarketReader {
  mutating func readCoordinate(_ h: MatrixMarketHeader) throws(MatrixMarketError)
    -> SparseMatrix
  {
    let declared = h.entries
    let rows = h.rows, columns = h.columns
    let symmetry = h.symmetry
    let hasValue = h.field != .pattern
    let integerValues = h.field == .integer
    let fields = hasValue ? "3 fields (row column value)" : "2 fields (row column)"
    var builder = CoordinateBuilder(rows: rows, columns: columns)
    // Reserve only what the file can hold (`capacity` ≤ bytes / 4), never the raw count; for
    // a stream, what the bytes read so far can hold, grown as entries arrive.
    let perEntry = symmetry == .general ? 1 : 2
    // Rows kept (`keptRows`, e.g. one MPI rank's block): an entry of another row is checked and
    // dropped, and room is reserved for the kept share only.
    let keptLower = keptRows?.lowerBound ?? 0
    let keptCount = UInt(bitPattern: keptRows?.count ?? rows)
    let keptShare = rows > 0 ? keptRows.map { min(1, Double($0.count) / Double(rows)) } ?? 1 : 1
    func room(_ entries: Int) -> Int { keptShare == 1 ? perEntry * entries : Int(Double(perEntry * entries) * keptShare) + 16 }
    @inline(__always) func kept(_ row: Int) -> Bool { UInt(bitPattern: row &- keptLower) < keptCount }
    var reserved = min(declared, capacity)
    builder.reserveCapacity(room(reserved))
    var count = 0
    while try skipToDataLine() {
      if count == declared {
        throw fail("more entries than the \(declaredText) declared on the size line")
      }
      if count == reserved {
        reserved = Self.grown(count, total: declared)
        builder.reserveCapacity(room(reserved))
      }
      // Row index (skipToDataLine stopped on a byte that is neither blank nor a newline).
      let i = try readIndex(limit: rows, what: "row")
      skipBlanks()
      if atLineEnd { throw fail("missing column index: an entry line holds \(fields)") }
      let j = try readIndex(limit: columns, what: "column")
      if i == j && symmetry == .skewSymmetric {
        throw fail(
          "diagonal entry (\(i + 1), \(j + 1)) in a skew-symmetric matrix, whose diagonal is zero")
      }
      var v = 1.0
      if hasValue {
        skipBlanks()
        if atLineEnd { throw fail("missing value: an entry line holds \(fields)") }
        v = try readValue(integer: integerValues)
      }
      try finishEntryLine(shape: "an entry line holds \(fields)")
      switch symmetry {
      case .general:
        if kept(i) { builder.appendUnchecked(row: i, column: j, value: v) }
      case .symmetric:
        if kept(i) { builder.appendUnchecked(row: i, column: j, value: v) }
        if i != j && kept(j) { builder.appendUnchecked(row: j, column: i, value: v) }
      case .skewSymmetric, .hermitian:
        if kept(i) { builder.appendUnchecked(row: i, column: j, value: v) }
        if kept(j) { builder.appendUnchecked(row: j, column: i, value: -v) }
      }
      count &+= 1
    }
    try finishStream()
    if count < declared { throw truncated(after: count, of: declared) }
    return builder.build()
  }

  /// After the last field of an entry line: skips blanks and the newline, or fails on an
  /// extra field (`shape`: what such a line holds, for the message; an autoclosure, so
  /// that the text is made only for an error).
  @inline(__always)
  private mutating func finishEntryLine(shape: @autoclosure () -> String)
    throws(MatrixMarketError)
  {
    skipBlanks()
    if p < end {
      if base[p] != Self.lineFeed {
        throw fail("extra field '\(token(at: p))': \(shape())")
      }
      p &+= 1
      line &+= 1
    }
  }

  /// Reads a 1-based index at `p` and returns it 0-based, checking `1...limit`.
  @inline(__always)
  private mutating func readIndex(limit: Int, what: String) throws(MatrixMarketError) -> Int {
    let start = p
    guard let value = scanUnsigned() else {
      throw fail("invalid \(what) index '\(token(at: start))'")
    }
    guard value >= 1 && value <= limit else {
      let bounds = limit == 0 ? ": the matrix has no \(what)s" : " 1...\(limit)"
      throw fail("\(what) index \(text(start, p)) out of range\(bounds)")
    }
    return value &- 1
  }

  /// Scans decimal digits at `p` followed by a separator; `nil` if there are none or the
  /// token goes on with something else. Saturates above 10¹⁵ (far beyond any dimension).
  @inline(__always)
  mutating func scanUnsigned() -> Int? {
    let start = p
    var value = 0
    while p < end {
      let digit = base[p] &- 48
      if digit > 9 { break }
      if value < 100_000_000_000_000 { value = value &* 10 &+ Int(digit) }
      p &+= 1
    }
    guard p > start, atSeparator else { return nil }
    return value
  }

  /// The error for a file that ends after `count` of `declared` entries.
  private func truncated(after count: Int, of declared: Int) -> MatrixMarketError {
    let hint =
      declared > capacity
      ? " (the \(bytesAfterSize) bytes after the size line can hold at most \(capacity))" : ""
    return fail("file ends after \(count) of \(declaredText) entries\(hint)", line: lastLine)
  }

  // MARK: Array entries

  mutating func readArray(_ h: MatrixMarketHeader) throws(MatrixMarketError) -> DenseMatrix
  {
    let rows = h.rows, columns = h.columns
    let integerValues = h.field == .integer
    // The stored values, in file order; reserved only up to what the file can hold.
    var stored: [Double] = []
    var reserved = min(h.entries, capacity)
    stored.reserveCapacity(reserved)
    while stored.count < h.entries {
      guard try skipToDataLine() else {
        try finishStream()
        throw truncated(after: stored.count, of: h.entries)
      }
      if stored.count == reserved {
        reserved = Self.grown(stored.count, total: h.entries)
        stored.reserveCapacity(reserved)
      }
      let v = try readValue(integer: integerValues)
      try finishEntryLine(shape: "an array entry line holds one value")
      stored.append(v)
    }
    if try skipToDataLine() {
      throw fail("more entries than the \(h.entries) declared on the size line")
    }
    try finishStream()
    if h.symmetry == .general {
      return try dense(rows: rows, columns: columns, values: stored)
    }
    // Expand the lower triangle, stored column by column (strictly lower when skew), to
    // the full n×n matrix; n² ≤ 2·(values read) + n, so this is bounded by the file size.
    let n = rows
    let sign: Double = h.symmetry == .symmetric ? 1 : -1
    var values = [Double](repeating: 0, count: n * n)
    var k = 0
    for j in 0..<n {
      for i in (h.symmetry == .symmetric ? j : j + 1)..<n {
        values[i + j * n] = stored[k]
        if i != j { values[j + i * n] = sign * stored[k] }
        k += 1
      }
    }
    return try dense(rows: n, columns: n, values: values)
  }

  private func dense(rows: Int, columns: Int, values: [Double]) throws(MatrixMarketError)
    -> DenseMatrix
  {
    do {
      return try DenseMatrix(rows: rows, columns: columns, columnMajor: values)
    } catch {
      throw fail("internal error: \(error)")  // values.count == rows·columns by construction
    }
  }

  /// Room to reserve for the next entries when `count` entries are stored and the
  /// reservation is used up: double it (at least 4096), but never beyond the declared
  /// `total`, so that a right declaration gives an exact reservation and a wrong one costs
  /// at most twice what the input really holds.
  @inline(__always)
  private static func grown(_ count: Int, total: Int) -> Int {
    min(total, max(4096, count &* 2))
  }
}
