import LinSolveCore

/// What a learned model remembers of the matrices it was trained on: the order, the number of
/// stored entries and a 64-bit FNV-1a hash of the sparsity pattern (row pointers and column
/// indices). A model is applied only to matrices with the same signature
/// (``LearnedModelError/patternMismatch(expected:found:)``).
public struct PatternSignature: Sendable, Hashable, Codable, CustomStringConvertible {
  /// The order `n`.
  public var rows: Int
  /// The stored entries of `A` (both triangles).
  public var nonzeros: Int
  /// FNV-1a over the row pointers and column indices, as 16 hexadecimal digits.
  public var hash: String

  public init(rows: Int, nonzeros: Int, hash: String) {
    self.rows = rows
    self.nonzeros = nonzeros
    self.hash = hash
  }

  /// The signature of `a`'s pattern (the values do not enter).
  ///
  /// - Complexity: O(n + nnz).
  public init(of a: SparseMatrix) {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    @inline(__always) func mix(_ v: UInt64) {
      var v = v
      for _ in 0..<8 {
        h = (h ^ (v & 0xff)) &* 0x100_0000_01b3
        v >>= 8
      }
    }
    for p in a.rowPointers { mix(UInt64(bitPattern: Int64(p))) }
    for c in a.columnIndices { mix(UInt64(UInt32(bitPattern: c))) }
    let hex = String(h, radix: 16)
    self.init(rows: a.rows, nonzeros: a.nonzeros, hash: String(repeating: "0", count: 16 - hex.count) + hex)
  }

  public var description: String { "n = \(rows), nnz = \(nonzeros), pattern \(hash)" }
}
