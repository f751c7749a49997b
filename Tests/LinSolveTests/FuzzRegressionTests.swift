import Foundation
import Testing
@testable import LinSolve

/// Every input the fuzzer ever crashed on (and the hand-made bad seeds) must now either parse
/// into a valid matrix with finite values or throw a `MatrixMarketError` — never trap.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("FuzzRegressions")

  static var files: [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
  }

  @Test("The regression folder is not empty")
  func folderHasFiles() {
    #expect(Self.files.count >= 5)
  }

  @Test("Each regression input parses cleanly or fails with a line-numbered error", arguments: files)
  func regression(file: String) throws {
    let path = Self.folder.appendingPathComponent(file).path
    do {
      let a = try MatrixMarket.readMatrix(path: path)
      #expect(a.allFinite)
      _ = try SparseMatrix(rows: a.rows, columns: a.columns, rowPointers: a.rowPointers,
                           columnIndices: a.columnIndices, values: a.values)
    } catch let error as MatrixMarketError {
      #expect(error.line >= 1, "\(error)")
      #expect(error.description.hasPrefix(path + ":"))
      #expect(!error.description.contains("\n"))
    }
  }
}
