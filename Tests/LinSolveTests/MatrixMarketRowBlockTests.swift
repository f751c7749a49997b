import Foundation
import Testing
import LinSolve

/// ``MatrixMarket/readMatrix(path:rows:)``: one rank's block of rows, every entry still checked.
@Suite("Matrix Market: reading a block of rows")
struct MatrixMarketRowBlockTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  static func write(_ text: String) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rowblock-\(UUID().uuidString).mtx")
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
  }

  /// The rows of `block` equal the whole matrix's; the other rows are empty.
  static func expectBlock(_ block: SparseMatrix, of whole: SparseMatrix, rows: Range<Int>) {
    #expect(block.rows == whole.rows && block.columns == whole.columns)
    for i in 0 ..< whole.rows {
      let b = block.rowPointers[i] ..< block.rowPointers[i + 1], w = whole.rowPointers[i] ..< whole.rowPointers[i + 1]
      if rows.contains(i) {
        #expect(Array(block.columnIndices[b]) == Array(whole.columnIndices[w]) && Array(block.values[b]) == Array(whole.values[w]))
      } else {
        #expect(b.isEmpty)
      }
    }
  }

  @Test("Symmetric and general coordinate files: each block has the whole matrix's rows (symmetry expanded)",
        arguments: ["Data/poisson2d_32.mtx", "Data/fem_spd.mtx", "Data/convdiff_20.mtx"])
  func blocks(file: String) throws {
    let path = Self.root.appendingPathComponent(file).path
    let whole = try MatrixMarket.readMatrix(path: path)
    let n = whole.rows
    for rows in [0 ..< n / 3, n / 3 ..< 2 * n / 3 + 1, 2 * n / 3 + 1 ..< n, 0 ..< n, 5 ..< 5] {
      let block = try MatrixMarket.readMatrix(path: path, rows: rows)
      Self.expectBlock(block, of: whole, rows: rows)
    }
  }

  @Test("An array file is read whole, its other rows dropped")
  func array() throws {
    let path = try Self.write("%%MatrixMarket matrix array real general\n3 2\n1\n0\n3\n4\n5\n0\n")
    let whole = try MatrixMarket.readMatrix(path: path)
    Self.expectBlock(try MatrixMarket.readMatrix(path: path, rows: 1 ..< 3), of: whole, rows: 1 ..< 3)
  }

  @Test("A malformed entry in a row outside the block is still an error, with its line")
  func errorsOutsideTheBlock() throws {
    let path = try Self.write("%%MatrixMarket matrix coordinate real general\n3 3 3\n1 1 1\n2 2 1\n3 x 1\n")
    #expect(throws: MatrixMarketError.self) { try MatrixMarket.readMatrix(path: path, rows: 0 ..< 1) }
    do {
      _ = try MatrixMarket.readMatrix(path: path, rows: 0 ..< 1)
    } catch {
      #expect(error.line == 5)
    }
  }
}
