#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Opening a Matrix Market file: memory-mapped when regular, streamed otherwise.

enum MatrixMarketFile {
  /// Parses the file at `path`: memory-mapped when it is a regular file, streamed otherwise
  /// (pipes, FIFOs, character devices such as `/dev/stdin`) or when `mmap` fails. A
  /// coordinate matrix keeps the entries of `keptRows` only (`nil`: all).
  static func parse(path: String, keptRows: Range<Int>? = nil) throws(MatrixMarketError) -> MatrixMarketParse {
    try withInput(
      path: path,
      mapped: { (bytes) throws(MatrixMarketError) in try MatrixMarketReader.parse(bytes, name: path, keptRows: keptRows) },
      streamed: { (stream) throws(MatrixMarketError) in try MatrixMarketReader.parse(stream, keptRows: keptRows) })
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
