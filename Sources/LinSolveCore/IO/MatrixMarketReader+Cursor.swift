#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The Matrix Market reader's cursor: blanks, lines, windows of a stream, and error messages.

extension MatrixMarketReader {
  @inline(__always)
  func isBlank(_ b: UInt8) -> Bool {
    b == Self.space || b == Self.tab || b == Self.carriageReturn
  }

  /// Whether `p` is at the end of a token: a blank, a newline or the end of the input.
  @inline(__always)
  var atSeparator: Bool {
    p == end || isBlank(base[p]) || base[p] == Self.lineFeed
  }

  /// Whether `p` is at a newline or the end of the input.
  @inline(__always)
  var atLineEnd: Bool { p == end || base[p] == Self.lineFeed }

  @inline(__always)
  mutating func skipBlanks() {
    while p < end && isBlank(base[p]) { p &+= 1 }
  }

  /// Moves past the next newline (or to the end).
  mutating func skipLine() {
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
  mutating func skipToDataLine() throws(MatrixMarketError) -> Bool {
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
  var lastLine: Int {
    max(1, endsWithLineFeed ? line - 1 : line)
  }

  func fail(_ reason: String, line: Int? = nil) -> MatrixMarketError {
    MatrixMarketError(file: name, line: line ?? self.line, reason: reason)
  }

  /// The token starting at `start` (up to a blank or newline), quoted safely for a message.
  func token(at start: Int) -> String {
    var stop = start
    while stop < end && !isBlank(base[stop]) && base[stop] != Self.lineFeed { stop += 1 }
    return text(start, stop)
  }

  /// Bytes `start..<stop` as printable text: at most 40 bytes, control and non-ASCII bytes
  /// escaped as `\xNN`, so the message stays on one line.
  func text(_ start: Int, _ stop: Int) -> String {
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
