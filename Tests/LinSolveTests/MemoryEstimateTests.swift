import Foundation
import Testing

@testable import LinSolve

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Estimates and the budget

@Suite("Memory estimates")
struct MemoryEstimateTests {
  @Test("Bytes print in binary units")
  func formatting() {
    #expect(MemoryBudget.format(bytes: 0) == "0 B")
    #expect(MemoryBudget.format(bytes: 512) == "512 B")
    #expect(MemoryBudget.format(bytes: 1024) == "1.0 KiB")
    #expect(MemoryBudget.format(bytes: 1536) == "1.5 KiB")
    #expect(MemoryBudget.format(bytes: 256 << 20) == "256 MiB")
    #expect(MemoryBudget.format(bytes: Int(17.3 * 1073741824)) == "17.3 GiB")
    #expect(MemoryBudget.format(bytes: (1 << 30) - 1) == "1.0 GiB")
    #expect(MemoryBudget.format(bytes: 1 << 51) == "2.0 PiB")
    #expect(MemoryBudget.format(bytes: Int.max) == "≥ 8.0 EiB")
  }

  @Test("Sizes parse with binary suffixes and percentages")
  func parsing() {
    #expect(MemoryBudget.parseSize("1048576") == 1 << 20)
    #expect(MemoryBudget.parseSize("1K") == 1024)
    #expect(MemoryBudget.parseSize("1k") == 1024)
    #expect(MemoryBudget.parseSize("1KiB") == 1024)
    #expect(MemoryBudget.parseSize("1KB") == 1024)
    #expect(MemoryBudget.parseSize("512M") == 512 << 20)
    #expect(MemoryBudget.parseSize("4G") == 4 << 30)
    #expect(MemoryBudget.parseSize("1.5G") == 3 << 29)
    #expect(MemoryBudget.parseSize("2T") == 2 << 40)
    #expect(MemoryBudget.parseSize(" 64B ") == 64)
    let half = MemoryBudget.parseSize("50%")
    #expect(half.map { abs($0 - MemoryBudget.physicalMemoryBytes / 2) <= 1 } == true)
    for bad in ["", "G", "12X", "-1", "1e3", "1.2.3", "iB", "4 G B", "101%", "%", "99999999999P"] {
      #expect(MemoryBudget.parseSize(bad) == nil, "\(bad)")
    }
  }

  @Test("The default limit is 3/4 of the machine's memory")
  func defaultLimit() {
    let physical = MemoryBudget.physicalMemoryBytes
    #expect(physical > 1 << 26)
    #expect(physical <= System.physicalMemoryBytes || System.physicalMemoryBytes <= 0)
    #expect(abs(MemoryBudget.defaultLimitBytes - physical / 4 * 3) <= 4)
    #expect(MemoryBudget.meminfoTotal() != nil)
  }

  @Test("Per-method estimates follow the documented vector counts")
  func perMethod() {
    let n = 1000
    #expect(MemoryEstimate.conjugateGradient(n: n, preconditioned: false).bytes == 4 * n * 8)
    #expect(MemoryEstimate.conjugateGradient(n: n, preconditioned: true).bytes == 5 * n * 8)
    #expect(MemoryEstimate.gmres(n: n, restart: 30).bytes >= 33 * n * 8)
    #expect(MemoryEstimate.gmres(n: n, restart: 30).bytes < 36 * n * 8)
    #expect(MemoryEstimate.biCGSTAB(n: n).bytes == 8 * n * 8)
    #expect(MemoryEstimate.minres(n: n).bytes == 7 * n * 8)
    #expect(MemoryEstimate.sor(n: n).bytes <= 3 * n * 8)
    #expect(MemoryEstimate.jacobi(n: n).bytes == n * 8)
    #expect(MemoryEstimate.incompleteFactorization(n: n, nonzeros: 5 * n).bytes >= 5 * n * 12)
    #expect(MemoryEstimate.denseLeastSquares(rows: 10_000, columns: 100).bytes >= 10_000 * 100 * 8)
    #expect(MemoryEstimate.denseLeastSquares(rows: 10_000, columns: 100).bytes < 11_000 * 100 * 8)
    // d = ⌈4·100⌉ = 400 rows of the sketch.
    #expect(MemoryEstimate.sketchRows(rows: 10_000, columns: 100, factor: 4) == 400)
    #expect(MemoryEstimate.sketchRows(rows: 300, columns: 100, factor: 4) == 300)
    #expect(MemoryEstimate.sketching(rows: 10_000, columns: 100, nonzeros: 50_000, factor: 4).bytes >= 400 * 100 * 8)
    #expect(MemoryEstimate.nystrom(n: n, rank: 50).bytes == 3 * n * 50 * 8)
    let lsqr = MemoryEstimate.lsqr(rows: 5000, columns: 100, nonzeros: 20_000)
    #expect(lsqr.bytes >= 20_000 * 12)  // the transposed copy
    #expect(MemoryEstimate.deflatedCG(n: n, k: 20).bytes >= 3 * n * 20 * 8)
    #expect(MemoryEstimate.gcrodr(n: n, restart: 40, k: 20).bytes >= (41 + 4 * 20) * n * 8)
    #expect(MemoryEstimate.sparseMatrix(rows: 10, nonzeros: 30).bytes == 11 * 8 + 30 * 12)
  }

  @Test("Huge dimensions saturate instead of trapping, and the message names the estimate")
  func saturation() {
    let huge = MemoryEstimate.denseLeastSquares(rows: 16_777_216, columns: 16_777_216)
    #expect(huge.bytes >= 1 << 51)
    #expect(huge.description.hasPrefix("≈ 2.0 PiB (dense 16777216×16777216"), "\(huge)")
    #expect(MemoryEstimate.gmres(n: Int.max / 2, restart: Int.max).bytes == Int.max)
    #expect(MemoryEstimate.sketching(rows: Int.max, columns: Int.max, nonzeros: Int.max, factor: 1e300).bytes == Int.max)
    #expect(MemoryEstimate.nystrom(n: Int.max, rank: Int.max).bytes == Int.max)
    #expect(MemoryEstimate.add(Int.max, 1) == Int.max)
    #expect(MemoryEstimate.multiply(-5, 3) == 0)
    // Terms under 10 % of the total are left out of `what`.
    let e = MemoryEstimate(label: "big", bytes: 1000) + MemoryEstimate(label: "small", bytes: 10)
    #expect(e.what == "big")
    #expect(e.bytes == 1010)
  }

  @Test("check throws memoryLimitExceeded with the estimate in the message")
  func check() throws {
    let e = MemoryEstimate.vectors(3, length: 1 << 20, label: "3 vectors")
    try MemoryBudget.check(e, limit: 24 << 20)
    let error = #expect(throws: LinSolveError.self) { try MemoryBudget.check(e, limit: 1 << 20) }
    #expect(error == .memoryLimitExceeded(estimatedBytes: 24 << 20, limitBytes: 1 << 20, what: "3 vectors"))
    #expect(error?.description == "3 vectors needs ≈ 24.0 MiB, above the memory limit of 1.0 MiB")
  }

  @Test("Dense least squares refuses above its limit before densifying")
  func denseLeastSquares() throws {
    let a = try SparseMatrix(rows: 3, columns: 2, entries: [(0, 0, 1), (1, 1, 2), (2, 0, 1)])
    let x = try DenseLeastSquares.solve(a, [1, 2, 1])
    #expect(abs(x[0] - 1) < 1e-12 && abs(x[1] - 1) < 1e-12)
    #expect {
      try DenseLeastSquares.solve(a, [1, 2, 1], memoryLimitBytes: 16)
    } throws: { error in
      guard case LinSolveError.memoryLimitExceeded(let bytes, 16, let what) = error else { return false }
      return bytes >= 48 && what.contains("dense 3×2")
    }
    // A 3·10⁶ × 3·10⁶ sparse matrix: 72 TB dense, refused at once.
    let n = 3_000_000
    let big = SparseMatrix.identity(n)
    let clock = ContinuousClock(), start = clock.now
    #expect(throws: LinSolveError.self) {
      try DenseLeastSquares.solve(big, [Double](repeating: 1, count: n))
    }
    #expect(clock.now - start < .seconds(5))
    // An empty column: rank deficient, without the factorization.
    let deficient = try SparseMatrix(rows: 3, columns: 2, entries: [(0, 0, 1), (2, 0, 1)])
    #expect(throws: LinSolveError.factorizationFailed(reason: "A is rank deficient (column 2 has no entries)")) {
      try DenseLeastSquares.solve(deficient, [1, 1, 1])
    }
  }

  @Test("LU checks its factor estimate against its limit before the numeric phase")
  func luLimit() throws {
    let a = Diffusion.convectionDiffusion2D(20, beta: (50, 10))
    let estimate = try LUFactorization.memoryEstimate(for: a)
    #expect(estimate.bytes >= a.nonzeros * 12)
    let lu = try LUFactorization(a)
    #expect(lu.memoryLimitBytes == MemoryBudget.limitBytes)
    #expect(estimate.bytes >= lu.memoryEstimateBytes)  // an upper bound on the numeric object
    let refused = LUFactorization()
    refused.memoryLimitBytes = 1 << 10
    let error = #expect(throws: LinSolveError.self) { try refused.factorize(a) }
    guard case .memoryLimitExceeded(let bytes, let limit, let what)? = error else {
      Issue.record("expected memoryLimitExceeded, got \(String(describing: error))")
      return
    }
    #expect(bytes == estimate.bytes && limit == 1 << 10)
    #expect(what.contains("LU"))
    #expect(refused.numericFactorizations == 0 && refused.symbolicAnalyses == 1)
    #expect(!refused.isFactorized)
    // Raising the limit reuses the analysis.
    refused.memoryLimitBytes = Int.max
    try refused.factorize(a)
    #expect(refused.symbolicAnalyses == 1 && refused.numericFactorizations == 1)
  }
}

// MARK: - Empty rows and columns

@Suite("Structural rank checks")
struct StructuralRankTests {
  @Test("First empty row and column")
  func emptyRowsAndColumns() throws {
    let full = Poisson.matrix2D(5)
    #expect(full.firstEmptyRow() == nil && full.firstEmptyColumn() == nil)
    try full.checkStructuralRank()

    // Row 2 and column 3 (1-based) are empty.
    let a = try SparseMatrix(rows: 3, columns: 3, entries: [(0, 0, 1), (2, 0, 1), (0, 1, 1), (2, 2, 0)])
    #expect(a.firstEmptyRow() == 1)
    #expect(a.firstEmptyColumn() == nil)  // an explicit zero is an entry
    let b = try SparseMatrix(rows: 3, columns: 3, entries: [(0, 0, 1), (1, 0, 1), (2, 2, 1)])
    #expect(b.firstEmptyRow() == nil && b.firstEmptyColumn() == 1)
    #expect(throws: LinSolveError.emptyRow(1)) { try a.checkStructuralRank() }
    #expect(throws: LinSolveError.emptyColumn(1)) { try b.checkStructuralRank() }
    #expect(LinSolveError.emptyRow(4).description == "matrix is structurally singular: row 5 has no entries")
    #expect(LinSolveError.emptyColumn(0).description == "matrix is structurally singular: column 1 has no entries")

    // Tall: empty rows are harmless, an empty column is rank deficiency.
    let tall = try SparseMatrix(rows: 4, columns: 2, entries: [(0, 0, 1), (3, 1, 1)])
    try tall.checkStructuralRank()
    let deficient = try SparseMatrix(rows: 4, columns: 2, entries: [(0, 0, 1), (3, 0, 1)])
    #expect(throws: LinSolveError.emptyColumn(1)) { try deficient.checkStructuralRank() }

    // Degenerate shapes.
    let empty = SparseMatrix.identity(0)
    #expect(empty.firstEmptyRow() == nil && empty.firstEmptyColumn() == nil)
    try empty.checkStructuralRank()
    let zero = try SparseMatrix(rows: 2, columns: 2, entries: [])
    #expect(zero.firstEmptyRow() == 0 && zero.firstEmptyColumn() == 0)
  }

  @Test("The 16,777,216² one-entry matrix is found singular in one pass")
  func hugeHeader() throws {
    let text = "%%MatrixMarket matrix coordinate real general\n16777216 16777216 1\n1 1 1.0\n"
    let a = try MatrixMarket.readMatrix(string: text)
    let clock = ContinuousClock(), start = clock.now
    #expect(a.firstEmptyRow() == 1)
    #expect(a.firstEmptyColumn() == 1)
    #expect(clock.now - start < .seconds(2))
  }
}

// MARK: - Streams

/// Writes `bytes` into a pipe from another thread, in pieces of `piece` bytes, and calls
/// `body` with a path that reads the pipe (`/dev/fd/N`); closes everything afterwards.
private func throughPipe<T>(_ bytes: [UInt8], piece: Int = 4093, _ body: (String) throws -> T) rethrows -> T {
  signal(SIGPIPE, SIG_IGN)  // the reader may stop early; the writer then gets EPIPE
  var fds: [Int32] = [0, 0]
  precondition(pipe(&fds) == 0)
  let (readEnd, writeEnd) = (fds[0], fds[1])
  let done = DispatchSemaphore(value: 0)
  Thread.detachNewThread {
    var offset = 0
    while offset < bytes.count {
      let count = min(piece, bytes.count - offset)
      let wrote = bytes.withUnsafeBytes { write(writeEnd, $0.baseAddress! + offset, count) }
      if wrote <= 0 { break }
      offset += wrote
    }
    close(writeEnd)
    done.signal()
  }
  defer {
    close(readEnd)
    done.wait()
  }
  return try body("/dev/fd/\(readEnd)")
}

@Suite("Matrix Market streams")
struct MatrixMarketStreamTests {
  /// A general coordinate file of `n` rows with a tridiagonal pattern and varied values.
  static func tridiagonal(_ n: Int, crlf: Bool = false, finalNewline: Bool = true) -> String {
    let nl = crlf ? "\r\n" : "\n"
    var lines = ["%%MatrixMarket matrix coordinate real general", "% a comment", "\(n) \(n) \(3 * n - 2)"]
    for i in 1...n {
      if i > 1 { lines.append("\(i) \(i - 1) -1.25e-3") }
      lines.append("\(i) \(i) \(Double(i) * 0.5 + 2)")
      if i < n { lines.append("  \(i)\t\(i + 1) -\(i % 7).75  ") }
    }
    return lines.joined(separator: nl) + (finalNewline ? nl : "")
  }

  @Test("A stream of many windows parses like the same text in memory", arguments: [false, true])
  func manyWindows(crlf: Bool) throws {
    let text = Self.tridiagonal(120_000, crlf: crlf, finalNewline: !crlf)  // ≈ 5 MB
    #expect(text.utf8.count > 4 * MatrixMarketStream.chunkSize)
    let expected = try MatrixMarket.readMatrix(string: text)
    let streamed = try throughPipe(Array(text.utf8), piece: 65_537) { try MatrixMarket.readMatrix(path: $0) }
    #expect(streamed == expected)
    let header = try throughPipe(Array(text.utf8)) { try MatrixMarket.readHeader(path: $0) }
    #expect(header.rows == 120_000 && header.entries == 3 * 120_000 - 2)
  }

  @Test("Errors deep in a stream name the right line")
  func errorLine() throws {
    var lines = Self.tridiagonal(100_000).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    lines[250_000] = "7 x 1.0"  // line 250,001
    let text = lines.joined(separator: "\n")
    let inMemory = #expect(throws: MatrixMarketError.self) { try MatrixMarket.read(string: text, name: "A") }
    let streamed = #expect(throws: MatrixMarketError.self) {
      try throughPipe(Array(text.utf8), piece: 10_007) { try MatrixMarket.read(path: $0) }
    }
    #expect(inMemory?.line == 250_001)
    #expect(streamed?.line == 250_001)
    #expect(streamed?.reason == inMemory?.reason)
    // A truncated stream says how many entries it held, on its last line.
    let truncated = String(Self.tridiagonal(1000).dropLast(40))
    let a = #expect(throws: MatrixMarketError.self) { try MatrixMarket.read(string: truncated) }
    let b = #expect(throws: MatrixMarketError.self) { try throughPipe(Array(truncated.utf8)) { try MatrixMarket.read(path: $0) } }
    #expect(a?.line == b?.line && a?.reason == b?.reason, "\(String(describing: a)) vs \(String(describing: b))")
  }

  @Test("A stream that is not Matrix Market is rejected after its first bytes")
  func badBanner() throws {
    let junk = [UInt8](repeating: UInt8(ascii: "x"), count: 64 << 20)  // 64 MB that is never read whole
    let clock = ContinuousClock(), start = clock.now
    let error = #expect(throws: MatrixMarketError.self) { try throughPipe(junk) { try MatrixMarket.read(path: $0) } }
    #expect(error?.line == 1)
    #expect(error?.reason.contains("not a Matrix Market file") == true)
    #expect(clock.now - start < .seconds(2))
    // A banner line longer than the limit, and an empty stream.
    let long = Array(("%%MatrixMarket matrix coordinate real general" + String(repeating: " ", count: 2000) + "\n1 1 1\n1 1 1\n").utf8)
    let tooLong = #expect(throws: MatrixMarketError.self) { try throughPipe(long, piece: 100) { try MatrixMarket.read(path: $0) } }
    #expect(tooLong?.reason.contains("longer than") == true)
    let empty = #expect(throws: MatrixMarketError.self) { try throughPipe([]) { try MatrixMarket.read(path: $0) } }
    #expect(empty?.reason.contains("empty file") == true)
  }

  @Test("Long lines, arrays, symmetric files and bounds through a stream")
  func variants() throws {
    // A comment line of 3 MiB (longer than a window) before the size line.
    let comment = "%" + String(repeating: "c", count: 3 << 20)
    let text = "%%MatrixMarket matrix coordinate real symmetric\n\(comment)\n3 3 4\n1 1 2\n2 1 -1\n2 2 2\n3 3 1"
    let a = try throughPipe(Array(text.utf8), piece: 1 << 16) { try MatrixMarket.readMatrix(path: $0) }
    #expect(a == (try MatrixMarket.readMatrix(string: text)))
    #expect(a.nonzeros == 5)
    let array = "%%MatrixMarket matrix array real general\n3 1\n1\n2.5\n-3\n"
    #expect(try throughPipe(Array(array.utf8), piece: 3) { try MatrixMarket.readVector(path: $0) } == [1, 2.5, -3])
    // The dimension bound of a small stream is checked at its end, on the size line.
    let huge = "%%MatrixMarket matrix coordinate real general\n1000000000 1000000000 1\n1 1 1\n"
    let error = #expect(throws: MatrixMarketError.self) { try throughPipe(Array(huge.utf8)) { try MatrixMarket.read(path: $0) } }
    #expect(error?.line == 2)
    #expect(error?.reason.contains("out of proportion") == true)
    // A count far beyond what the stream holds reserves nothing from it.
    let lying = "%%MatrixMarket matrix coordinate real general\n2 2 999999999999999\n1 1 1\n"
    let short = #expect(throws: MatrixMarketError.self) { try throughPipe(Array(lying.utf8)) { try MatrixMarket.read(path: $0) } }
    #expect(short?.reason.hasPrefix("file ends after 1 of 999999999999999 entries") == true, "\(String(describing: short))")
  }
}
