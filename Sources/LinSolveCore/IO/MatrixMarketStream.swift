#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// A stream (pipe, FIFO, /dev/stdin, character device) is parsed as it arrives: the reader's
// buffer is then a window of whole lines of a `MatrixMarketStream`, its `end` the end of the
// last complete line, and `skipToDataLine` — the only place the cursor crosses from one line
// to the next — asks for the next window when it reaches `end`. Every token and entry line
// therefore lies inside one window, and the scanning code is the same for both kinds of
// input. Bounds that depend on the file size (the dimension allowance) are checked at the end
// of a stream, before the matrix is allocated.

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
