// Matrix Market output: formatting into a byte buffer, and writing files (OutputFile.swift).
//
// Values are printed in Swift's shortest round-trip form (`Double.description`, e.g. `0.1`,
// `1.0000000000000002`, `1e-05`), or as plain integers when they are integers below 2⁵³, so
// reading a written file gives back exactly the same doubles.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A byte sink for Matrix Market text: collects bytes in memory, or streams them to a file
/// descriptor in chunks of about 1 MiB.
struct MatrixMarketWriter {
  private(set) var bytes: [UInt8] = []
  private let fd: Int32
  /// `errno` of the first failed `write(2)`, 0 if none.
  private(set) var errorNumber: Int32 = 0

  static let chunk = 1 << 20

  /// A writer that keeps everything in ``bytes``.
  init() { fd = -1 }

  /// A writer that streams to `fd` (call ``flush()`` at the end).
  init(fd: Int32) {
    self.fd = fd
    bytes.reserveCapacity(Self.chunk + 4096)
  }

  mutating func append(_ text: String) {
    var text = text
    text.withUTF8 { bytes.append(contentsOf: $0) }
  }

  /// Appends a non-negative integer in decimal.
  mutating func append(integer: Int) {
    var n = integer
    if n < 10 {
      bytes.append(UInt8(truncatingIfNeeded: 48 + n))
      return
    }
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
      var k = 20
      while n > 0 {
        k -= 1
        digits[k] = UInt8(truncatingIfNeeded: 48 + n % 10)
        n /= 10
      }
      bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[k..<20]))
    }
  }

  /// Appends a finite value so that reading it back gives the same double.
  mutating func append(value v: Double) {
    if v == 0 {
      if v.sign == .minus { bytes.append(45) }
      bytes.append(48)
    } else if v.rounded() == v && abs(v) < 9_007_199_254_740_992 {  // an integer below 2⁵³
      if v < 0 { bytes.append(45) }
      append(integer: Int(abs(v)))
    } else {
      append(v.description)
    }
  }

  /// Ends a line, flushing to the file when a chunk is full.
  mutating func newline() {
    bytes.append(10)
    if fd >= 0 && bytes.count >= Self.chunk { flush() }
  }

  /// Writes the buffered bytes to the file descriptor (no-op in memory).
  mutating func flush() {
    guard fd >= 0 else { return }
    if errorNumber == 0 {
      errorNumber = bytes.withUnsafeBytes { OutputFile.writeAll(fd, $0) }
    }
    bytes.removeAll(keepingCapacity: true)
  }

  // MARK: Content

  /// Writes the banner and the comment lines.
  mutating func header(_ banner: String, comment: String?) {
    append(banner)
    newline()
    guard let comment else { return }
    // "\r\n" is one Character in Swift; `isNewline` covers it, "\n" and "\r".
    for text in comment.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
      append(text.isEmpty ? "%" : "% " + text)
      newline()
    }
  }

  /// Coordinate format: all entries (`general`), those with `j ≤ i` (`symmetric`), or those
  /// with `j < i` (`skew-symmetric`). The matrix must have been checked by ``check(_:symmetry:)``.
  mutating func coordinate(
    _ A: SparseMatrix, symmetry: MatrixMarketHeader.Symmetry, comment: String?
  ) {
    header(
      "%%MatrixMarket matrix coordinate real \(symmetry.rawValue)", comment: comment)
    var count = 0
    for i in 0..<A.rows {
      for k in A.rowPointers[i]..<A.rowPointers[i + 1] where Self.keeps(
        i, Int(A.columnIndices[k]), symmetry)
      {
        count += 1
      }
    }
    append(integer: A.rows)
    append(" ")
    append(integer: A.columns)
    append(" ")
    append(integer: count)
    newline()
    for i in 0..<A.rows {
      for k in A.rowPointers[i]..<A.rowPointers[i + 1] {
        let j = Int(A.columnIndices[k])
        guard Self.keeps(i, j, symmetry) else { continue }
        append(integer: i + 1)
        bytes.append(32)
        append(integer: j + 1)
        bytes.append(32)
        append(value: A.values[k])
        newline()
      }
    }
  }

  @inline(__always)
  static func keeps(_ i: Int, _ j: Int, _ symmetry: MatrixMarketHeader.Symmetry) -> Bool {
    switch symmetry {
    case .general: return true
    case .symmetric: return j <= i
    case .skewSymmetric, .hermitian: return j < i
    }
  }

  /// Array format, real general: `values` column by column.
  package mutating func array(rows: Int, columns: Int, values: [Double], comment: String?) {
    header("%%MatrixMarket matrix array real general", comment: comment)
    append(integer: rows)
    append(" ")
    append(integer: columns)
    newline()
    for v in values {
      append(value: v)
      newline()
    }
  }

  // MARK: Checks

  /// Throws unless `A` can be written with `symmetry`: finite values, and `A = Aᵀ`
  /// (`symmetric`) or `A = −Aᵀ` (`skew-symmetric`), exactly, missing entries counting as 0.
  static func check(_ A: SparseMatrix, symmetry: MatrixMarketHeader.Symmetry, file: String)
    throws(MatrixMarketError)
  {
    func fail(_ reason: String) -> MatrixMarketError {
      MatrixMarketError(file: file, line: 0, reason: reason)
    }
    for i in 0..<A.rows {
      for k in A.rowPointers[i]..<A.rowPointers[i + 1] where !A.values[k].isFinite {
        throw fail(
          "cannot write the non-finite value \(A.values[k]) at (\(i + 1), \(A.columnIndices[k] + 1))")
      }
    }
    let sign: Double
    switch symmetry {
    case .general: return
    case .hermitian: throw fail("cannot write a hermitian matrix: complex matrices are not supported")
    case .symmetric: sign = 1
    case .skewSymmetric: sign = -1
    }
    guard A.rows == A.columns else {
      throw fail("cannot write a \(A.rows)×\(A.columns) matrix as \(symmetry.rawValue): it is not square")
    }
    // Compare row i of A with row i of Aᵀ (column i of A), merging the sorted columns.
    let T = A.transposed()
    for i in 0..<A.rows {
      var a = A.rowPointers[i], t = T.rowPointers[i]
      let aEnd = A.rowPointers[i + 1], tEnd = T.rowPointers[i + 1]
      while a < aEnd || t < tEnd {
        let ja = a < aEnd ? Int(A.columnIndices[a]) : Int.max
        let jt = t < tEnd ? Int(T.columnIndices[t]) : Int.max
        let j = min(ja, jt)
        let aij = ja == j ? A.values[a] : 0  // a_ij
        let aji = jt == j ? T.values[t] : 0  // (Aᵀ)_ij = a_ji
        if aij != sign * aji {
          throw fail(
            "cannot write as \(symmetry.rawValue): a(\(i + 1),\(j + 1)) = \(aij) but a(\(j + 1),\(i + 1)) = \(aji)")
        }
        if ja == j { a += 1 }
        if jt == j { t += 1 }
      }
    }
  }

  static func checkFinite(_ values: [Double], file: String, what: String) throws(MatrixMarketError) {
    if let k = values.firstIndex(where: { !$0.isFinite }) {
      throw MatrixMarketError(
        file: file, line: 0, reason: "cannot write the non-finite value \(values[k]) at \(what) \(k + 1)")
    }
  }

  // MARK: Files

  /// Writes a file by the rules of ``OutputFile``: a regular file (or a new name) is
  /// replaced atomically — the bytes go to a new temporary file in the directory of the
  /// target (symlinks at `path` followed, so a link survives and points to the new content),
  /// which is flushed to disk (`fsync`) and then renamed over the target; a failure at any
  /// step removes the temporary file and leaves the target as it was, and an existing file
  /// is replaced only by a complete one (and keeps its permission bits). An existing device,
  /// FIFO or `/dev/stdout` is opened `O_WRONLY` and written into directly instead.
  static func writeAtomically(
    to path: String, _ produce: (inout MatrixMarketWriter) -> Void
  ) throws(MatrixMarketError) {
    do throws(OutputFileError) {
      try OutputFile.write(to: path) { fd in
        var writer = MatrixMarketWriter(fd: fd)
        produce(&writer)
        writer.flush()
        return writer.errorNumber
      }
    } catch {
      throw MatrixMarketError(file: path, line: 0, reason: error.reason)
    }
  }
}
