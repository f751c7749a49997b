// The Matrix Market parser: a single forward pass over the bytes of a file, a cursor over a
// raw byte buffer (a memory-mapped file, bytes in memory, or the window of a
// `MatrixMarketStream`). Nothing is split into Swift strings: tokens are scanned in place and
// strings are made only for error messages. The passes live beside this file: the header
// (`+Header`), the entries (`+Entries`), the numbers (`+Numbers`), the cursor (`+Cursor`).
//
// - Nothing is allocated from a size the header declares beyond what the bytes that follow
//   can hold, and the dimensions are bounded by the file size (see `readHeader`), so a few
//   hostile bytes cannot make the reader reserve gigabytes.
// - Indices are accumulated with saturation and compared with the declared bounds; no
//   arithmetic on input-derived numbers can trap. Errors (`MatrixMarketError`) are the only
//   way out.

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

  /// The bytes: the whole input, or the current window of a stream.
  var base: UnsafePointer<UInt8>
  /// End of the bytes in `base`: the input's end, or the end of the window's last whole line.
  var end: Int
  /// The stream the window belongs to (`nil` for an input in memory or mapped).
  let stream: MatrixMarketStream?
  let name: String
  let pow10: [Double]
  /// Offset of the next unread byte.
  var p = 0
  /// 1-based number of the line `p` is on.
  var line = 1
  /// The declared number of entries as written (for messages).
  var declaredText = ""
  /// Offset in the whole input of the first byte after the size line.
  var dataStart = 0
  /// Bytes an entry takes at least (4 for pattern, 6 for coordinate, 2 for array values).
  var bytesPerEntry = 6
  /// The dimensions still to be checked against the size of a stream, and the size line.
  var pendingAllowance: (rows: Int, columns: Int, line: Int)?
  /// The rows whose entries a coordinate read keeps (`nil`: all); every entry is checked.
  var keptRows: Range<Int>?

  init(base: UnsafePointer<UInt8>, count: Int, name: String, stream: MatrixMarketStream? = nil) {
    self.base = base
    self.end = count
    self.name = name
    self.stream = stream
    self.pow10 = Self.powersOfTen
  }

  /// Bytes of input seen so far: all of it for a buffer; for a stream, what has been read
  /// (all of it once `skipToDataLine` has returned `false`).
  var bytesSeen: Int { stream.map { $0.discarded + $0.filled } ?? end }
  /// Bytes after the size line (seen so far).
  var bytesAfterSize: Int { bytesSeen - dataStart }
  /// How many entries (values, for arrays) the bytes after the size line can hold at most;
  /// the last line may lack its newline, hence the + 1. An entry line holds k tokens of at
  /// least one byte, k − 1 separators and a newline.
  var capacity: Int { (bytesAfterSize + 1) / bytesPerEntry }

  // MARK: Entry points

  /// Parses a whole file; a coordinate matrix keeps the entries of `keptRows` only (all
  /// entries are still checked).
  static func parse(_ bytes: UnsafeRawBufferPointer, name: String, keptRows: Range<Int>? = nil)
    throws(MatrixMarketError) -> MatrixMarketParse
  {
    var reader = try makeReader(bytes, name: name)
    reader.keptRows = keptRows
    return try reader.readAll()
  }

  /// Parses a stream as it arrives (see ``MatrixMarketStream``): the banner is checked as
  /// soon as its first bytes are read, and no more than a window of whole lines is held
  /// besides the entries parsed so far.
  static func parse(_ stream: MatrixMarketStream, keptRows: Range<Int>? = nil) throws(MatrixMarketError)
    -> MatrixMarketParse
  {
    var reader = try makeReader(stream)
    reader.keptRows = keptRows
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

}
