/// The banner and size line of a Matrix Market file: what kind of matrix it holds and how big.
///
/// ```
/// %%MatrixMarket matrix coordinate real symmetric     ← banner: format, field, symmetry
/// % comments …
/// 1000000 1000000 2998000                              ← size line: rows, columns, entries
/// ```
///
/// The format is described in Boisvert, Pozo and Remington, *The Matrix Market Exchange
/// Formats: Initial Design* (NIST IR 5935, 1996).
public struct MatrixMarketHeader: Sendable, Equatable, CustomStringConvertible {
  /// How the entries are stored.
  public enum Format: String, Sendable, CaseIterable {
    /// One `row column [value]` line per stored entry (sparse).
    case coordinate
    /// Every value, one per line, column by column (dense).
    case array
  }

  /// The type of the values.
  public enum Field: String, Sendable, CaseIterable {
    /// Floating-point values.
    case real
    /// Integer values (read as `Double`).
    case integer
    /// No values: every stored entry is 1 (coordinate format only).
    case pattern
    /// Pairs `re im`. Recognized in the banner, not supported by LinSolve.
    case complex
  }

  /// Which part of the matrix is stored.
  public enum Symmetry: String, Sendable, CaseIterable {
    /// Every entry is stored.
    case general
    /// `a_ji = a_ij`: only the lower triangle (with the diagonal) is stored.
    case symmetric
    /// `a_ji = −a_ij`: only the strictly lower triangle is stored (the diagonal is zero).
    case skewSymmetric = "skew-symmetric"
    /// `a_ji = conj(a_ij)`: complex only, not supported by LinSolve.
    case hermitian
  }

  /// Storage format.
  public var format: Format
  /// Value type.
  public var field: Field
  /// Symmetry of the stored matrix.
  public var symmetry: Symmetry
  /// Number of rows.
  public var rows: Int
  /// Number of columns.
  public var columns: Int
  /// Number of entries stored in the file: the third number of a coordinate size line, or
  /// the number of values an array file holds (`rows·columns` for general, `n(n+1)/2` for
  /// symmetric, `n(n−1)/2` for skew-symmetric).
  public var entries: Int

  public init(
    format: Format, field: Field, symmetry: Symmetry, rows: Int, columns: Int, entries: Int
  ) {
    self.format = format
    self.field = field
    self.symmetry = symmetry
    self.rows = rows
    self.columns = columns
    self.entries = entries
  }

  /// The banner line, e.g. `%%MatrixMarket matrix coordinate real general`.
  public var banner: String {
    "%%MatrixMarket matrix \(format.rawValue) \(field.rawValue) \(symmetry.rawValue)"
  }

  /// The size line, e.g. `4 4 10` (coordinate) or `4 1` (array).
  public var sizeLine: String {
    format == .coordinate ? "\(rows) \(columns) \(entries)" : "\(rows) \(columns)"
  }

  /// `banner` and `size line`, separated by a newline.
  public var description: String { banner + "\n" + sizeLine }
}
