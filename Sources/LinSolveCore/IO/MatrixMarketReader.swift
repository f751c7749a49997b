// The Matrix Market parser: a single forward pass over the bytes of a file.
//
// Design notes
// - The input is a raw byte buffer (a memory-mapped file, or bytes in memory). Nothing is
//   split into Swift strings: tokens are scanned in place and strings are made only for
//   error messages.
// - A stream (pipe, FIFO, /dev/stdin, character device) is parsed as it arrives: the buffer
//   is then a window of whole lines of a `MatrixMarketStream` (1 MiB, more only for a longer
//   line), `end` is the end of its last complete line, and `skipToDataLine` — the only place
//   the cursor crosses from one line to the next — asks for the next window when it reaches
//   `end`. Every token and entry line therefore lies inside one window, and the scanning code
//   is the same for both kinds of input. Bounds that depend on the file size (the dimension
//   allowance) are checked at the end of a stream, before the matrix is allocated.
// - Nothing is allocated from a size the header declares beyond what the bytes that follow
//   can hold, and the dimensions are bounded by the file size (see `readHeader`), so a few
//   hostile bytes cannot make the reader reserve gigabytes.
// - Indices are accumulated with saturation and compared with the declared bounds; no
//   arithmetic on input-derived numbers can trap. Errors (`MatrixMarketError`) are the only
//   way out.
// - Values: plain decimal forms with at most 19 significant digits and a power of ten
//   within ±22 are converted exactly by Clinger's fast path (one multiplication or division
//   of two exactly representable doubles, hence correctly rounded); everything else that is
//   syntactically a decimal number goes to the standard library's correctly rounded,
//   locale-independent `Double(_: String)`.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a parse produces: the header, the line the size line is on, and the matrix.
struct MatrixMarketParse {
  var header: MatrixMarketHeader
  var sizeLine: Int
  var content: MatrixMarket.Content
}

/// Parses the bytes of a Matrix Market file.
///
/// Use ``parse(_:name:)`` or ``parseHeader(_:name:)``; the reader itself is a cursor
/// (`p`, `line`) over the buffer.
struct MatrixMarketReader {
  // MARK: Limits

  /// The banner line may be at most this long (it is scanned before anything else, so a
  /// huge file that is not Matrix Market is rejected after reading this much at most).
  static let maximumBannerLength = 1024

  /// Rows or columns that any file may declare, however short (2²⁴).
  ///
  /// A CSR matrix needs `rows + 1` row pointers whatever the number of entries, so the
  /// dimensions are an allocation the header asks for. They are accepted up to
  /// `max(2²⁴, 16 × file size in bytes)` (and never above `Int32.max`): a 60-byte file may
  /// not ask for 2·10⁹ row pointers (16 GB), while every file whose rows are not almost all
  /// empty passes.
  static let dimensionFloor = 1 << 24
  /// See ``dimensionFloor``.
  static let dimensionPerByte = 16

  // MARK: Bytes

  static let lineFeed: UInt8 = 10
  static let carriageReturn: UInt8 = 13
  static let space: UInt8 = 32
  static let tab: UInt8 = 9
  static let percent: UInt8 = 37

  /// Exact powers of ten 10⁰ … 10²² (all exactly representable in binary64).
  static let powersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
  ]

  /// The bytes: the whole input, or the current window of a stream.
  private var base: UnsafePointer<UInt8>
  /// End of the bytes in `base`: the input's end, or the end of the window's last whole line.
  private var end: Int
  /// The stream the window belongs to (`nil` for an input in memory or mapped).
  private let stream: MatrixMarketStream?
  private let name: String
  private let pow10: [Double]
  /// Offset of the next unread byte.
  private var p = 0
  /// 1-based number of the line `p` is on.
  private var line = 1
  /// The declared number of entries as written (for messages).
  private var declaredText = ""
  /// Offset in the whole input of the first byte after the size line.
  private var dataStart = 0
  /// Bytes an entry takes at least (4 for pattern, 6 for coordinate, 2 for array values).
  private var bytesPerEntry = 6
  /// The dimensions still to be checked against the size of a stream, and the size line.
  private var pendingAllowance: (rows: Int, columns: Int, line: Int)?

  private init(base: UnsafePointer<UInt8>, count: Int, name: String, stream: MatrixMarketStream? = nil) {
    self.base = base
    self.end = count
    self.name = name
    self.stream = stream
    self.pow10 = Self.powersOfTen
  }

  /// Bytes of input seen so far: all of it for a buffer; for a stream, what has been read
  /// (all of it once `skipToDataLine` has returned `false`).
  private var bytesSeen: Int { stream.map { $0.discarded + $0.filled } ?? end }
  /// Bytes after the size line (seen so far).
  private var bytesAfterSize: Int { bytesSeen - dataStart }
  /// How many entries (values, for arrays) the bytes after the size line can hold at most;
  /// the last line may lack its newline, hence the + 1. An entry line holds k tokens of at
  /// least one byte, k − 1 separators and a newline.
  private var capacity: Int { (bytesAfterSize + 1) / bytesPerEntry }

  // MARK: Entry points

  /// Parses a whole file.
  static func parse(_ bytes: UnsafeRawBufferPointer, name: String) throws(MatrixMarketError)
    -> MatrixMarketParse
  {
    var reader = try makeReader(bytes, name: name)
    return try reader.readAll()
  }

  /// Parses a stream as it arrives (see ``MatrixMarketStream``): the banner is checked as
  /// soon as its first bytes are read, and no more than a window of whole lines is held
  /// besides the entries parsed so far.
  static func parse(_ stream: MatrixMarketStream) throws(MatrixMarketError) -> MatrixMarketParse {
    var reader = try makeReader(stream)
    return try reader.readAll()
  }

  /// Parses the banner and the size line of a stream only (reading no further). The
  /// dimension allowance, which needs the size of the whole input, is not checked.
  static func parseHeader(_ stream: MatrixMarketStream) throws(MatrixMarketError)
    -> (header: MatrixMarketHeader, sizeLine: Int)
  {
    var reader = try makeReader(stream)
    return try reader.readHeader()
  }

  private mutating func readAll() throws(MatrixMarketError) -> MatrixMarketParse {
    let (header, sizeLine) = try readHeader()
    let content: MatrixMarket.Content
    switch header.format {
    case .coordinate: content = .sparse(try readCoordinate(header))
    case .array: content = .dense(try readArray(header))
    }
    return MatrixMarketParse(header: header, sizeLine: sizeLine, content: content)
  }

  private static func makeReader(_ stream: MatrixMarketStream) throws(MatrixMarketError)
    -> MatrixMarketReader
  {
    let count = try stream.start()
    if count == 0 {
      throw MatrixMarketError(
        file: stream.name, line: 1, reason: "empty file: expected a %%MatrixMarket banner")
    }
    return MatrixMarketReader(
      base: UnsafePointer(stream.buffer), count: count, name: stream.name, stream: stream)
  }

  /// Parses the banner and the size line only (checked as for a full parse).
  static func parseHeader(_ bytes: UnsafeRawBufferPointer, name: String) throws(MatrixMarketError)
    -> (header: MatrixMarketHeader, sizeLine: Int)
  {
    var reader = try makeReader(bytes, name: name)
    return try reader.readHeader()
  }

  private static func makeReader(_ bytes: UnsafeRawBufferPointer, name: String)
    throws(MatrixMarketError) -> MatrixMarketReader
  {
    guard let raw = bytes.baseAddress, bytes.count > 0 else {
      throw MatrixMarketError(
        file: name, line: 1, reason: "empty file: expected a %%MatrixMarket banner")
    }
    try checkBannerStart(bytes, name: name)
    return MatrixMarketReader(
      base: raw.assumingMemoryBound(to: UInt8.self), count: bytes.count, name: name)
  }

  /// Checks that `prefix` (the start of a file, possibly only its first bytes) can begin a
  /// Matrix Market file: an optional UTF-8 byte order mark, optional blanks, then
  /// `%%MatrixMarket` in any case. Looks at no more than ``maximumBannerLength`` bytes, so a
  /// large file that is something else is rejected at once.
  static func checkBannerStart(_ prefix: UnsafeRawBufferPointer, name: String)
    throws(MatrixMarketError)
  {
    let expected = Array("%%matrixmarket".utf8)
    var q = 0
    let n = min(prefix.count, maximumBannerLength)
    if n >= 3 && prefix[0] == 0xEF && prefix[1] == 0xBB && prefix[2] == 0xBF { q = 3 }
    while q < n && (prefix[q] == space || prefix[q] == tab) { q += 1 }
    var k = 0
    while k < expected.count && q + k < n {
      if lowercased(prefix[q + k]) != expected[k] {
        throw MatrixMarketError(
          file: name, line: 1,
          reason: "not a Matrix Market file: line 1 must start with %%MatrixMarket")
      }
      k += 1
    }
  }

  // MARK: Header

  private mutating func readHeader() throws(MatrixMarketError) -> (MatrixMarketHeader, Int) {
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
  private mutating func finishStream() throws(MatrixMarketError) {
    if let pending = pendingAllowance {
      pendingAllowance = nil
      try checkAllowance(rows: pending.rows, columns: pending.columns, sizeLine: pending.line)
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

  // MARK: Coordinate entries

  private mutating func readCoordinate(_ h: MatrixMarketHeader) throws(MatrixMarketError)
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
    var reserved = min(declared, capacity)
    builder.reserveCapacity(perEntry * reserved)
    var count = 0
    while try skipToDataLine() {
      if count == declared {
        throw fail("more entries than the \(declaredText) declared on the size line")
      }
      if count == reserved {
        reserved = Self.grown(count, total: declared)
        builder.reserveCapacity(perEntry * reserved)
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
      skipBlanks()
      if p < end {
        if base[p] != Self.lineFeed {
          throw fail("extra field '\(token(at: p))': an entry line holds \(fields)")
        }
        p &+= 1
        line &+= 1
      }
      switch symmetry {
      case .general:
        builder.appendUnchecked(row: i, column: j, value: v)
      case .symmetric:
        builder.appendUnchecked(row: i, column: j, value: v)
        if i != j { builder.appendUnchecked(row: j, column: i, value: v) }
      case .skewSymmetric, .hermitian:
        builder.appendUnchecked(row: i, column: j, value: v)
        builder.appendUnchecked(row: j, column: i, value: -v)
      }
      count &+= 1
    }
    try finishStream()
    if count < declared { throw truncated(after: count, of: declared) }
    return builder.build()
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
  private mutating func scanUnsigned() -> Int? {
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

  private mutating func readArray(_ h: MatrixMarketHeader) throws(MatrixMarketError) -> DenseMatrix
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
      skipBlanks()
      if p < end {
        if base[p] != Self.lineFeed {
          throw fail("extra field '\(token(at: p))': an array entry line holds one value")
        }
        p &+= 1
        line &+= 1
      }
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

  // MARK: Values

  /// Reads a number at `p` (a real, or an integer when `integer`), followed by a separator.
  @inline(__always)
  private mutating func readValue(integer: Bool) throws(MatrixMarketError) -> Double {
    let start = p
    var negative = false
    if p < end && (base[p] == 45 || base[p] == 43) {  // - +
      negative = base[p] == 45
      p &+= 1
    }
    var mantissa: UInt64 = 0
    var kept = 0  // significant digits in `mantissa`
    var digits = 0  // all digits of the significand
    var exponent = 0
    var exact = true
    while p < end {
      let digit = base[p] &- 48
      if digit > 9 { break }
      digits &+= 1
      if kept < 19 {
        mantissa = mantissa &* 10 &+ UInt64(digit)
        if mantissa != 0 { kept &+= 1 }
      } else {
        exact = false
      }
      p &+= 1
    }
    if !integer {
      if p < end && base[p] == 46 {  // .
        p &+= 1
        while p < end {
          let digit = base[p] &- 48
          if digit > 9 { break }
          digits &+= 1
          if kept < 19 {
            mantissa = mantissa &* 10 &+ UInt64(digit)
            if mantissa != 0 { kept &+= 1 }
            exponent &-= 1
          } else {
            exact = false
          }
          p &+= 1
        }
      }
      if digits > 0 && p < end && base[p] | 0x20 == 101 {  // e E
        p &+= 1
        var negativeExponent = false
        if p < end && (base[p] == 45 || base[p] == 43) {
          negativeExponent = base[p] == 45
          p &+= 1
        }
        let exponentStart = p
        var e = 0
        while p < end {
          let digit = base[p] &- 48
          if digit > 9 { break }
          if e < 1_000_000 { e = e &* 10 &+ Int(digit) }
          p &+= 1
        }
        if p == exponentStart { return try invalidNumber(start, integer: integer) }
        exponent = negativeExponent ? exponent &- e : exponent &+ e
      }
    }
    guard digits > 0, atSeparator else { return try invalidNumber(start, integer: integer) }
    if mantissa == 0 { return negative ? -0.0 : 0.0 }
    if exact && mantissa <= 1 << 53 && exponent >= -22 && exponent <= 22 {
      let m = Double(mantissa)
      let magnitude = exponent < 0 ? m / pow10[-exponent] : m * pow10[exponent]
      return negative ? -magnitude : magnitude
    }
    return try slowNumber(start)
  }

  /// Converts a syntactically valid decimal token the fast path cannot do exactly.
  private func slowNumber(_ start: Int) throws(MatrixMarketError) -> Double {
    let text = String(decoding: UnsafeBufferPointer(start: base + start, count: p - start), as: UTF8.self)
    guard let value = Double(text) else { throw fail("invalid number '\(token(at: start))'") }
    guard value.isFinite else { throw fail("non-finite value '\(token(at: start))'") }
    return value
  }

  /// The error for a token that is not a number: non-finite spellings get their own reason.
  private func invalidNumber(_ start: Int, integer: Bool) throws(MatrixMarketError) -> Double {
    let word = token(at: start).lowercased()
    let unsigned = word.hasPrefix("-") || word.hasPrefix("+") ? String(word.dropFirst()) : word
    if unsigned == "nan" || unsigned == "inf" || unsigned == "infinity" || unsigned.hasPrefix("nan(") {
      throw fail("non-finite value '\(token(at: start))'")
    }
    throw fail("invalid \(integer ? "integer" : "number") '\(token(at: start))'")
  }

  // MARK: Cursor

  @inline(__always)
  private func isBlank(_ b: UInt8) -> Bool {
    b == Self.space || b == Self.tab || b == Self.carriageReturn
  }

  /// Whether `p` is at the end of a token: a blank, a newline or the end of the input.
  @inline(__always)
  private var atSeparator: Bool {
    p == end || isBlank(base[p]) || base[p] == Self.lineFeed
  }

  /// Whether `p` is at a newline or the end of the input.
  @inline(__always)
  private var atLineEnd: Bool { p == end || base[p] == Self.lineFeed }

  @inline(__always)
  private mutating func skipBlanks() {
    while p < end && isBlank(base[p]) { p &+= 1 }
  }

  /// Moves past the next newline (or to the end).
  private mutating func skipLine() {
    if p >= end { return }
    if let hit = memchr(base + p, Int32(Self.lineFeed), end - p) {
      p = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit)) + 1
      line += 1
    } else {
      p = end
    }
  }

  /// Skips blank and comment lines; returns with `p` on the first byte of data of the next
  /// line that has any, or `false` at the end of the input. For a stream, reaching the end of
  /// the window reads the next one.
  @inline(__always)
  private mutating func skipToDataLine() throws(MatrixMarketError) -> Bool {
    while true {
      skipBlanks()
      if p == end {
        if try nextWindow() { continue }
        return false
      }
      let b = base[p]
      if b == Self.lineFeed {
        p &+= 1
        line &+= 1
      } else if b == Self.percent {
        skipLine()
      } else {
        return true
      }
    }
  }

  /// Moves to the next window of a stream (`p` at its start); `false` at the end of the
  /// input (and always for an input in memory).
  @inline(never)
  private mutating func nextWindow() throws(MatrixMarketError) -> Bool {
    guard let stream, let next = try stream.next(consumed: end) else { return false }
    base = UnsafePointer(stream.buffer)
    end = next
    p = 0
    return true
  }

  /// Whether the last byte of the input is a newline.
  private var endsWithLineFeed: Bool {
    if let stream { return stream.lastByte == Self.lineFeed }
    return end > 0 && base[end - 1] == Self.lineFeed
  }

  /// The number of the last line of the input (for errors at its end).
  private var lastLine: Int {
    max(1, endsWithLineFeed ? line - 1 : line)
  }

  private func fail(_ reason: String, line: Int? = nil) -> MatrixMarketError {
    MatrixMarketError(file: name, line: line ?? self.line, reason: reason)
  }

  /// The token starting at `start` (up to a blank or newline), quoted safely for a message.
  private func token(at start: Int) -> String {
    var stop = start
    while stop < end && !isBlank(base[stop]) && base[stop] != Self.lineFeed { stop += 1 }
    return text(start, stop)
  }

  /// Bytes `start..<stop` as printable text: at most 40 bytes, control and non-ASCII bytes
  /// escaped as `\xNN`, so the message stays on one line.
  private func text(_ start: Int, _ stop: Int) -> String {
    var out = ""
    for q in start..<min(stop, start + 40) {
      let b = base[q]
      if b >= 32 && b < 127 {
        out.unicodeScalars.append(Unicode.Scalar(b))
      } else {
        let hex = String(b, radix: 16, uppercase: true)
        out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
      }
    }
    if stop - start > 40 { out += "…" }
    return out
  }

  @inline(__always)
  static func lowercased(_ b: UInt8) -> UInt8 {
    b >= 65 && b <= 90 ? b | 0x20 : b
  }
}

// MARK: - Streams

/// A window of whole lines over a file descriptor that is read as it arrives (a pipe, a
/// FIFO, a character device): what ``MatrixMarketReader`` parses when the input cannot be
/// memory-mapped.
///
/// The buffer holds ``chunkSize`` bytes (1 MiB) and grows only when a single line is longer.
/// ``start()`` reads until the banner line is complete, checking its first bytes on every
/// read so that a large input that is not Matrix Market is rejected at once; ``next(consumed:)``
/// drops the lines the reader has consumed, keeps the partial last line and reads until at
/// least one more line is complete. So a stream is parsed with O(longest line + 1 MiB) bytes
/// of input held, however long it is.
package final class MatrixMarketStream {
  /// Bytes per read (and the initial size of the buffer).
  package static let chunkSize = 1 << 20

  let fd: Int32
  let name: String
  /// The window: bytes `0..<filled` are valid.
  package private(set) var buffer: UnsafeMutablePointer<UInt8>
  private var size: Int
  /// Valid bytes in `buffer`.
  private(set) var filled = 0
  /// Bytes of the input before `buffer[0]` (already parsed and dropped).
  private(set) var discarded = 0
  /// Whether `read(2)` has returned 0.
  private(set) var atEnd = false
  /// The last byte read (`lastByte == \n`: the input ends with a newline).
  private(set) var lastByte: UInt8 = 0

  init(fd: Int32, name: String) {
    self.fd = fd
    self.name = name
    self.size = Self.chunkSize
    self.buffer = .allocate(capacity: Self.chunkSize)
  }

  deinit { buffer.deallocate() }

  /// Reads the start of the input: until its first line is complete, longer than a banner
  /// may be, or the input ends. The banner start is checked after every read. Returns the
  /// end of the window (the end of the last whole line, or of the bytes read when there is
  /// none yet); 0 for an empty input.
  func start() throws(MatrixMarketError) -> Int {
    while true {
      let before = filled
      let got = try readMore()
      if filled > 0 {
        try MatrixMarketReader.checkBannerStart(
          UnsafeRawBufferPointer(start: buffer, count: min(filled, MatrixMarketReader.maximumBannerLength)),
          name: name)
      }
      if got > 0, let lineEnd = lastLineEnd(from: before) { return lineEnd }
      // No newline yet: the banner is unfinished (or too long: 3 bytes for a byte order mark).
      if atEnd || filled > MatrixMarketReader.maximumBannerLength + 3 { return filled }
    }
  }

  /// Drops the first `consumed` bytes of the window (whole lines the reader has parsed),
  /// keeps the rest (a partial line) at the start of the buffer and reads until at least one
  /// more line is complete. Returns the new end of the window — the end of its last whole
  /// line, or of the input at its end — or `nil` when the input is exhausted.
  func next(consumed: Int) throws(MatrixMarketError) -> Int? {
    let keep = filled - consumed
    if keep > 0 && consumed > 0 { memmove(buffer, buffer + consumed, keep) }
    discarded += consumed
    filled = keep
    while true {
      if atEnd { return filled > 0 ? filled : nil }
      let before = filled
      if try readMore() > 0, let lineEnd = lastLineEnd(from: before) { return lineEnd }
    }
  }

  /// One `read(2)` into the free part of the buffer (grown first when it is full); the number
  /// of bytes read, 0 at the end of the input.
  private func readMore() throws(MatrixMarketError) -> Int {
    if filled == size {
      // A line longer than the buffer: double it.
      let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: size * 2)
      bigger.update(from: buffer, count: filled)
      buffer.deallocate()
      buffer = bigger
      size *= 2
    }
    while true {
      let got = read(fd, buffer + filled, min(size - filled, Self.chunkSize))
      if got < 0 {
        if errno == EINTR { continue }
        throw MatrixMarketError(file: name, line: 0, reason: "cannot read: \(MatrixMarketFile.errorText())")
      }
      if got == 0 {
        atEnd = true
      } else {
        lastByte = buffer[filled + got - 1]
        filled += got
      }
      return got
    }
  }

  /// One past the last newline in `buffer[from..<filled]`, if there is one.
  private func lastLineEnd(from: Int) -> Int? {
    var q = filled
    while q > from {
      q -= 1
      if buffer[q] == MatrixMarketReader.lineFeed { return q + 1 }
    }
    return nil
  }
}

// MARK: - Files

enum MatrixMarketFile {
  /// Parses the file at `path`: memory-mapped when it is a regular file, streamed otherwise
  /// (pipes, FIFOs, character devices such as `/dev/stdin`) or when `mmap` fails.
  static func parse(path: String) throws(MatrixMarketError) -> MatrixMarketParse {
    try withInput(
      path: path,
      mapped: { (bytes) throws(MatrixMarketError) in try MatrixMarketReader.parse(bytes, name: path) },
      streamed: { (stream) throws(MatrixMarketError) in try MatrixMarketReader.parse(stream) })
  }

  /// Parses the banner and the size line of the file at `path` only; a stream is read no
  /// further than the size line.
  static func parseHeader(path: String) throws(MatrixMarketError)
    -> (header: MatrixMarketHeader, sizeLine: Int)
  {
    try withInput(
      path: path,
      mapped: { (bytes) throws(MatrixMarketError) in try MatrixMarketReader.parseHeader(bytes, name: path) },
      streamed: { (stream) throws(MatrixMarketError) in try MatrixMarketReader.parseHeader(stream) })
  }

  /// Opens `path` and calls `mapped` with the bytes of a regular file mapped into memory, or
  /// `streamed` with a ``MatrixMarketStream`` over anything else (or when `mmap` fails).
  static func withInput<R>(
    path: String,
    mapped: (UnsafeRawBufferPointer) throws(MatrixMarketError) -> R,
    streamed: (MatrixMarketStream) throws(MatrixMarketError) -> R
  ) throws(MatrixMarketError) -> R {
    func fail(_ reason: String) -> MatrixMarketError {
      MatrixMarketError(file: path, line: 0, reason: reason)
    }
    if path.isEmpty { throw fail("cannot open: empty path") }
    if path.utf8.contains(0) { throw fail("cannot open: the path contains a NUL byte") }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw fail("cannot open: \(errorText())") }
    defer { close(fd) }
    var info = stat()
    if fstat(fd, &info) != 0 { throw fail("cannot open: \(errorText())") }
    let kind = UInt32(info.st_mode) & 0o170000
    if kind == 0o040000 { throw fail("cannot read: is a directory") }
    if kind == 0o100000 && info.st_size > 0 && UInt64(info.st_size) <= UInt64(Int.max) {
      let size = Int(info.st_size)
      if let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0),
        map != UnsafeMutableRawPointer(bitPattern: -1)
      {
        defer { munmap(map, size) }
        _ = madvise(map, size, MADV_SEQUENTIAL)
        return try mapped(UnsafeRawBufferPointer(start: map, count: size))
      }
    }
    // Everything else is read with read(2) as it arrives.
    let stream = MatrixMarketStream(fd: fd, name: path)
    return try streamed(stream)
  }

  /// `body` over the bytes of an array, keeping the typed error (`withUnsafeBytes` rethrows
  /// untyped).
  static func withBytes<R>(
    of array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(MatrixMarketError) -> R
  ) throws(MatrixMarketError) -> R {
    let result = array.withUnsafeBytes { bytes in
      Result { () throws(MatrixMarketError) -> R in try body(bytes) }
    }
    return try result.get()
  }

  /// `body` over the UTF-8 bytes of a string, keeping the typed error.
  static func withBytes<R>(
    of string: String, _ body: (UnsafeRawBufferPointer) throws(MatrixMarketError) -> R
  ) throws(MatrixMarketError) -> R {
    var text = string
    let result = text.withUTF8 { utf8 in
      Result { () throws(MatrixMarketError) -> R in try body(UnsafeRawBufferPointer(utf8)) }
    }
    return try result.get()
  }

  /// `strerror(errno)` as a Swift string.
  static func errorText(_ number: Int32 = errno) -> String {
    guard let message = strerror(number) else { return "error \(number)" }
    return String(cString: message)
  }
}
