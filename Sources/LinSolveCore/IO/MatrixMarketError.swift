/// Why a Matrix Market file could not be read or written, and where.
///
/// Every failure of ``MatrixMarket`` — a malformed file, a file that cannot be opened, a
/// matrix that cannot be written as asked, a failed write — is reported as this one type, so
/// the functions use typed throws (`throws(MatrixMarketError)`).
///
/// ```
/// A.mtx:7: row index 0 out of range 1...4
/// ```
public struct MatrixMarketError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file name (the path as given, or the `name:` passed to an in-memory reader).
  public var file: String
  /// The 1-based line the problem is on; `0` when it is not tied to a line (the file cannot
  /// be opened, a write failed, the matrix given to a writer is not symmetric, …).
  public var line: Int
  /// What is wrong, in one line of plain text (no trailing period).
  public var reason: String

  public init(file: String, line: Int, reason: String) {
    self.file = file
    self.line = line
    self.reason = reason
  }

  /// `file:line: reason`, or `file: reason` when no line applies (`line` 0, e.g. writing), on
  /// one line: what the `solve` CLI prints on standard error.
  public var description: String { line > 0 ? "\(file):\(line): \(reason)" : "\(file): \(reason)" }
}
