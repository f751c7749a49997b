// The Matrix Market reader's header pass: the banner, the size line and the checks on the
// declared dimensions.

extension MatrixMarketReader {
  mutating func readHeader() throws(MatrixMarketError) -> (MatrixMarketHeader, Int) {
    let (format, field, symmetry) = try readBanner()
    guard try skipToDataLine() else {
      throw fail("file ends before the size line", line: lastLine)
    }
    let sizeLine = line
    let names = format == .coordinate ? ["rows", "columns", "entries"] : ["rows", "columns"]
    let layout = format == .coordinate ? "rows columns entries" : "rows columns"
    var numbers: [Int] = []
    var texts: [String] = []
    for k in 0..<names.count {
      skipBlanks()
      if atLineEnd {
        throw fail("the size line holds \(k) numbers, expected \(names.count) (\(layout))")
      }
      let start = p
      guard let value = scanUnsigned() else {
        throw fail("invalid number of \(names[k]) '\(token(at: start))' on the size line")
      }
      numbers.append(value)
      texts.append(text(start, p))
    }
    skipBlanks()
    if !atLineEnd {
      throw fail(
        "extra field '\(token(at: p))' on the size line: expected \(names.count) numbers (\(layout))")
    }
    skipLine()
    let rows = numbers[0], columns = numbers[1]
    for k in 0..<2 where numbers[k] > Int(Int32.max) {
      throw fail(
        "\(texts[k]) \(names[k]) exceed the largest supported dimension \(Int32.max)",
        line: sizeLine)
    }
    if symmetry != .general && rows != columns {
      throw fail(
        "a \(symmetry.rawValue) matrix must be square, but the size line says \(rows)×\(columns)",
        line: sizeLine)
    }
    if stream == nil {
      try checkAllowance(rows: rows, columns: columns, sizeLine: sizeLine)
    } else {
      // Nothing is allocated from the dimensions before the end of the input, where the
      // size of the whole stream is known: checked then (`finishStream`).
      pendingAllowance = (rows, columns, sizeLine)
    }
    // Bytes left for the entries: at most `capacity` entries fit (see there). A larger
    // declared count is not an error yet (the parse will stop at a malformed line or report
    // "file ends after K of N entries", the more useful message for a truncated file), but
    // nothing is reserved beyond what fits.
    dataStart = (stream?.discarded ?? 0) + p
    let entries: Int
    switch format {
    case .coordinate:
      entries = numbers[2]
      declaredText = texts[2]
      bytesPerEntry = field == .pattern ? 4 : 6
    case .array:
      let stored: (partialValue: Int, overflow: Bool)
      switch symmetry {
      case .general: stored = rows.multipliedReportingOverflow(by: columns)
      case .symmetric: stored = Self.triangle(rows, diagonal: true)
      case .skewSymmetric, .hermitian: stored = Self.triangle(rows, diagonal: false)
      }
      // Cannot overflow (both factors ≤ Int32.max); checked all the same.
      if stored.overflow {
        throw fail("the array \(rows)×\(columns) has too many values", line: sizeLine)
      }
      entries = stored.partialValue
      declaredText = String(entries)
      bytesPerEntry = 2
    }
    let header = MatrixMarketHeader(
      format: format, field: field, symmetry: symmetry, rows: rows, columns: columns,
      entries: entries)
    return (header, sizeLine)
  }

  /// Dimensions are accepted up to `max(2²⁴, 16 × input size)` (see ``dimensionFloor``).
  private func checkAllowance(rows: Int, columns: Int, sizeLine: Int) throws(MatrixMarketError) {
    let size = bytesSeen
    let (perByte, overflow) = size.multipliedReportingOverflow(by: Self.dimensionPerByte)
    let allowance = overflow ? Int.max : max(Self.dimensionFloor, perByte)
    if max(rows, columns) > allowance {
      throw fail(
        "\(rows)×\(columns) is out of proportion to the file size (\(size) bytes): "
          + "at most \(allowance) rows or columns are accepted from it", line: sizeLine)
    }
  }

  /// At the end of a stream (whose size is now known), the checks deferred from the header.
  mutating func finishStream() throws(MatrixMarketError) {
    if let pending = pendingAllowance {
      pendingAllowance = nil
      try checkAllowance(rows: pending.rows, columns: pending.columns, sizeLine: pending.line)
    }
  }

  /// `n(n+1)/2` (with the diagonal) or `n(n−1)/2` (without), reporting overflow.
  static func triangle(_ n: Int, diagonal: Bool) -> (partialValue: Int, overflow: Bool) {
    let other = diagonal ? n + 1 : n - 1
    return n % 2 == 0
      ? (n / 2).multipliedReportingOverflow(by: other)
      : n.multipliedReportingOverflow(by: other / 2)
  }

  private mutating func readBanner() throws(MatrixMarketError) -> (
    MatrixMarketHeader.Format, MatrixMarketHeader.Field, MatrixMarketHeader.Symmetry
  ) {
    if end >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF { p = 3 }
    let limit = min(end, p + Self.maximumBannerLength)
    var stop = p
    while stop < limit && base[stop] != Self.lineFeed { stop += 1 }
    if stop == limit && limit < end {
      throw fail("the banner line is longer than \(Self.maximumBannerLength) bytes")
    }
    var words: [String] = []
    while true {
      while p < stop && isBlank(base[p]) { p += 1 }
      if p == stop { break }
      let start = p
      while p < stop && !isBlank(base[p]) { p += 1 }
      words.append(String(decoding: UnsafeBufferPointer(start: base + start, count: p - start).map(Self.lowercased), as: UTF8.self))
    }
    let usage = "%%MatrixMarket matrix coordinate|array real|integer|pattern general|symmetric|skew-symmetric"
    guard words.first == "%%matrixmarket" else {
      throw fail("not a Matrix Market file: line 1 must start with %%MatrixMarket")
    }
    guard words.count >= 2 else { throw fail("the banner is incomplete; expected \(usage)") }
    guard words[1] == "matrix" else {
      throw fail("unsupported object '\(words[1])': only 'matrix' is supported")
    }
    guard words.count >= 5 else { throw fail("the banner is incomplete; expected \(usage)") }
    guard words.count == 5 else {
      throw fail("extra word '\(words[5])' in the banner; expected \(usage)")
    }
    guard let format = MatrixMarketHeader.Format(rawValue: words[2]) else {
      throw fail("unknown format '\(words[2])': expected coordinate or array")
    }
    guard let field = MatrixMarketHeader.Field(rawValue: words[3]) else {
      throw fail("unknown field '\(words[3])': expected real, integer or pattern")
    }
    if field == .complex {
      throw fail("complex matrices are not supported (field 'complex')")
    }
    guard let symmetry = MatrixMarketHeader.Symmetry(rawValue: words[4]) else {
      throw fail("unknown symmetry '\(words[4])': expected general, symmetric or skew-symmetric")
    }
    if symmetry == .hermitian {
      throw fail("complex matrices are not supported (symmetry 'hermitian' is complex)")
    }
    if field == .pattern && format == .array {
      throw fail("the pattern field is only allowed in coordinate format")
    }
    if field == .pattern && symmetry == .skewSymmetric {
      throw fail("a skew-symmetric pattern matrix is not meaningful (pattern entries are all 1)")
    }
    skipLine()
    return (format, field, symmetry)
  }
}
