import Testing

@testable import LinSolve

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Helpers

/// A fresh temporary directory, removed (with its files) by `cleanUp`.
private struct TemporaryDirectory {
  let path: String

  init() {
    var template = Array("/tmp/linsolve-mm-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(made != nil, "mkdtemp failed")
    path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  func file(_ name: String) -> String { path + "/" + name }

  /// Names of the files in the directory (hidden ones included).
  func listing() -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafePointer(to: entry.pointee.d_name) {
        $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
  }

  func cleanUp() {
    for name in listing() { unlink(file(name)) }
    rmdir(path)
  }
}

private func writeFile(_ path: String, _ bytes: [UInt8]) {
  let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
  precondition(fd >= 0)
  bytes.withUnsafeBytes { _ = write(fd, $0.baseAddress, $0.count) }
  close(fd)
}

private func readFile(_ path: String) -> [UInt8] {
  let fd = open(path, O_RDONLY)
  guard fd >= 0 else { return [] }
  defer { close(fd) }
  var out: [UInt8] = []
  var buffer = [UInt8](repeating: 0, count: 4096)
  while true {
    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
    if n <= 0 { break }
    out.append(contentsOf: buffer[0..<n])
  }
  return out
}

private func sparse(_ text: String) throws -> SparseMatrix {
  guard case .sparse(let A) = try MatrixMarket.read(string: text) else {
    Issue.record("expected a sparse matrix")
    return SparseMatrix.identity(0)
  }
  return A
}

private func dense(_ text: String) throws -> DenseMatrix {
  guard case .dense(let D) = try MatrixMarket.read(string: text) else {
    Issue.record("expected a dense matrix")
    return DenseMatrix(rows: 0, columns: 0)
  }
  return D
}

/// Row-major rows of a dense matrix (for comparisons with `SparseMatrix.dense()`).
private func rows(_ D: DenseMatrix) -> [[Double]] {
  (0..<D.rows).map { i in (0..<D.columns).map { j in D[i, j] } }
}

/// Checks that reading `text` fails on `line` with a reason containing `fragment`.
private func expectFailure(
  _ text: String, line: Int, _ fragment: String,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let error = #expect(throws: MatrixMarketError.self, sourceLocation: sourceLocation) {
    try MatrixMarket.read(string: text, name: "bad.mtx")
  }
  guard let error else { return }
  #expect(error.file == "bad.mtx", sourceLocation: sourceLocation)
  #expect(error.line == line, "\(error)", sourceLocation: sourceLocation)
  #expect(error.reason.contains(fragment), "\(error)", sourceLocation: sourceLocation)
  #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
  #expect(error.description == "bad.mtx:\(line): \(error.reason)", sourceLocation: sourceLocation)
}

private let coordinateReal = "%%MatrixMarket matrix coordinate real general\n"

// MARK: - Round trips

@Suite("MatrixMarket round trips")
struct MatrixMarketRoundTripTests {
  /// Values that stress the number formatter and parser.
  static let awkward: [Double] = [
    0.1, 1.0 / 3.0, -2.5e-300, 1e300, .leastNonzeroMagnitude, -0.0, 1.0000000000000002,
    1.2345678901234568e20, 4, -1, 9007199254740992, 2.2250738585072014e-308, -1.7976931348623157e308, 6.02214076e23,
    0.000123, 1e22, 1e23, 8.98846567431158e307, 3.141592653589793, -7.5e-7,
  ]

  @Test func generalExactValues() throws {
    let n = Self.awkward.count
    var entries: [(row: Int, column: Int, value: Double)] = []
    for (k, v) in Self.awkward.enumerated() { entries.append((k, (k * 7) % n, v)) }
    let A = try SparseMatrix(rows: n, columns: n, entries: entries)
    let bytes = try MatrixMarket.encode(A, comment: "awkward values\nsecond line")
    let text = String(decoding: bytes, as: UTF8.self)
    #expect(text.hasPrefix("%%MatrixMarket matrix coordinate real general\n% awkward values\n% second line\n"))
    let B = try MatrixMarket.read(bytes: bytes)
    #expect(B == .sparse(A))
    // Bit-for-bit, including the sign of zero.
    if case .sparse(let C) = B {
      #expect(zip(A.values, C.values).allSatisfy { $0.bitPattern == $1.bitPattern })
    }
  }

  @Test func symmetricWritesLowerTriangle() throws {
    let A = Poisson.matrix2D(5)
    let text = String(decoding: try MatrixMarket.encode(A, symmetry: .symmetric), as: UTF8.self)
    #expect(text.hasPrefix("%%MatrixMarket matrix coordinate real symmetric\n25 25 65\n"))
    #expect(try sparse(text) == A)
  }

  @Test func skewSymmetricRoundTrip() throws {
    let A = try SparseMatrix(
      rows: 3, columns: 3,
      entries: [(1, 0, 2.5), (0, 1, -2.5), (2, 0, -1), (0, 2, 1), (2, 1, 0.125), (1, 2, -0.125)])
    let text = String(decoding: try MatrixMarket.encode(A, symmetry: .skewSymmetric), as: UTF8.self)
    #expect(text.hasPrefix("%%MatrixMarket matrix coordinate real skew-symmetric\n3 3 3\n"))
    #expect(try sparse(text) == A)
  }

  @Test func writerChecksSymmetry() throws {
    let A = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 0, 1), (0, 1, 2), (1, 0, 3)])
    let error = #expect(throws: MatrixMarketError.self) {
      try MatrixMarket.encode(A, symmetry: .symmetric)
    }
    #expect(error?.line == 0)
    #expect(error?.reason.contains("a(1,2) = 2.0 but a(2,1) = 3.0") == true)
    // A missing mirror entry counts as 0.
    let B = try SparseMatrix(rows: 2, columns: 2, entries: [(1, 0, 3)])
    #expect(throws: MatrixMarketError.self) { try MatrixMarket.encode(B, symmetry: .symmetric) }
    // Skew-symmetric needs a zero diagonal and opposite mirrors.
    let C = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 0, 1), (0, 1, 2), (1, 0, -2)])
    #expect(throws: MatrixMarketError.self) { try MatrixMarket.encode(C, symmetry: .skewSymmetric) }
    let D = try SparseMatrix(rows: 2, columns: 3, entries: [(0, 0, 1)])
    #expect(throws: MatrixMarketError.self) { try MatrixMarket.encode(D, symmetry: .symmetric) }
    #expect(throws: MatrixMarketError.self) { try MatrixMarket.encode(A, symmetry: .hermitian) }
  }

  @Test func writerRejectsNonFiniteValues() throws {
    let A = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 0, 1), (1, 1, .nan)])
    let error = #expect(throws: MatrixMarketError.self) { try MatrixMarket.encode(A) }
    #expect(error?.reason.contains("non-finite value nan at (2, 2)") == true)
    #expect(throws: MatrixMarketError.self) { try MatrixMarket.encode(vector: [1, .infinity]) }
  }

  @Test func vectorRoundTrip() throws {
    let x = Self.awkward
    let bytes = try MatrixMarket.encode(vector: x, comment: "rhs")
    let text = String(decoding: bytes, as: UTF8.self)
    #expect(text.hasPrefix("%%MatrixMarket matrix array real general\n% rhs\n\(x.count) 1\n0.1\n"))
    let y = try MatrixMarket.readVector(string: text)
    #expect(y.map(\.bitPattern) == x.map(\.bitPattern))
    #expect(try MatrixMarket.readVector(string: String(decoding: try MatrixMarket.encode(vector: []), as: UTF8.self)) == [])
  }

  @Test func denseRoundTrip() throws {
    let D = try DenseMatrix(rows: 2, columns: 3, columnMajor: [1, 2, 3, 4.5, -5, 6e-7])
    let text = String(decoding: try MatrixMarket.encode(D), as: UTF8.self)
    #expect(text == "%%MatrixMarket matrix array real general\n2 3\n1\n2\n3\n4.5\n-5\n6e-07\n")
    #expect(try dense(text) == D)
    // readMatrix converts an array file to sparse, keeping the nonzeros.
    let E = try DenseMatrix(rows: 2, columns: 2, columnMajor: [1, 0, 0, 2])
    let A = try MatrixMarket.readMatrix(string: String(decoding: try MatrixMarket.encode(E), as: UTF8.self))
    #expect(A == SparseMatrix.diagonal([1, 2]))
  }

  @Test func filesRoundTripAndAreReplacedAtomically() throws {
    let dir = TemporaryDirectory()
    defer { dir.cleanUp() }
    let path = dir.file("A.mtx")
    let A = Poisson.matrix2D(4)
    try MatrixMarket.write(A, to: path, symmetry: .symmetric, comment: "Poisson 4×4")
    #expect(try MatrixMarket.read(path: path) == .sparse(A))
    #expect(try MatrixMarket.readMatrix(path: path) == A)
    let header = try MatrixMarket.readHeader(path: path)
    #expect(header == MatrixMarketHeader(format: .coordinate, field: .real, symmetry: .symmetric, rows: 16, columns: 16, entries: 40))

    // Replacing a file with a bigger and then a smaller one leaves exactly the new content.
    let B = Poisson.matrix1D(3)
    try MatrixMarket.write(B, to: path)
    #expect(try MatrixMarket.readMatrix(path: path) == B)
    #expect(readFile(path) == (try MatrixMarket.encode(B)))

    // A failed write (not symmetric) leaves the old file untouched and no temporary files.
    let C = try SparseMatrix(rows: 2, columns: 2, entries: [(0, 1, 1)])
    #expect(throws: MatrixMarketError.self) { try MatrixMarket.write(C, to: path, symmetry: .symmetric) }
    #expect(try MatrixMarket.readMatrix(path: path) == B)
    #expect(dir.listing() == ["A.mtx"])

    let x: [Double] = [1, 2.5, -3]
    try MatrixMarket.write(vector: x, to: dir.file("b.mtx"))
    #expect(try MatrixMarket.readVector(path: dir.file("b.mtx")) == x)
    let D = try DenseMatrix(rows: 2, columns: 2, columnMajor: [1, 2, 3, 4])
    try MatrixMarket.write(D, to: dir.file("D.mtx"))
    #expect(try MatrixMarket.read(path: dir.file("D.mtx")) == .dense(D))
    #expect(dir.listing() == ["A.mtx", "D.mtx", "b.mtx"])
  }

  @Test func fileErrorsHaveLineZero() throws {
    let dir = TemporaryDirectory()
    defer { dir.cleanUp() }
    let missing = dir.file("missing.mtx")
    let error = #expect(throws: MatrixMarketError.self) { try MatrixMarket.read(path: missing) }
    #expect(error == MatrixMarketError(file: missing, line: 0, reason: "cannot open: No such file or directory"))
    let directoryError = #expect(throws: MatrixMarketError.self) { try MatrixMarket.read(path: dir.path) }
    #expect(directoryError?.line == 0)
    // Writing into a directory that does not exist.
    let writeError = #expect(throws: MatrixMarketError.self) {
      try MatrixMarket.write(vector: [1], to: dir.file("no/such/dir/x.mtx"))
    }
    #expect(writeError?.line == 0)
    #expect(writeError?.reason.contains("cannot create a temporary file") == true)
    // Errors in a file name the path.
    let bad = dir.file("bad.mtx")
    writeFile(bad, Array((coordinateReal + "2 2 1\n3 1 1\n").utf8))
    let parseError = #expect(throws: MatrixMarketError.self) { try MatrixMarket.read(path: bad) }
    #expect(parseError?.description == "\(bad):3: row index 3 out of range 1...2")
  }

  @Test func hugeFileWithoutBannerIsRejectedAtOnce() throws {
    let dir = TemporaryDirectory()
    defer { dir.cleanUp() }
    // 2 GB of zero bytes (a sparse file: no disk space used).
    let path = dir.file("zeros.mtx")
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    #expect(fd >= 0)
    #expect(ftruncate(fd, 2 << 30) == 0)
    close(fd)
    let clock = ContinuousClock()
    let start = clock.now
    let error = #expect(throws: MatrixMarketError.self) { try MatrixMarket.read(path: path) }
    #expect(clock.now - start < .seconds(1))
    #expect(error?.line == 1)
    #expect(error?.reason.contains("not a Matrix Market file") == true)
  }

  @Test func nonRegularFilesAreRead() throws {
    // /dev/stdin-like inputs go through read(2); a pipe is simplest to fake with a FIFO.
    let dir = TemporaryDirectory()
    defer { dir.cleanUp() }
    let path = dir.file("pipe.mtx")
    #expect(mkfifo(path, 0o600) == 0)
    let text = Array((coordinateReal + "2 2 1\n2 1 3.5\n").utf8)
    let writer = TestThread { writeFile(path, text) }
    writer.start()
    let A = try MatrixMarket.readMatrix(path: path)
    writer.join()
    #expect(A.dense() == [[0, 0], [3.5, 0]])
  }
}

/// A minimal joinable thread (the tests avoid Foundation).
private final class TestThread: @unchecked Sendable {
  private var handle = pthread_t()
  private let body: () -> Void
  init(_ body: @escaping () -> Void) { self.body = body }
  func start() {
    let box = Unmanaged.passRetained(self).toOpaque()
    pthread_create(&handle, nil, { raw in
      let me = Unmanaged<TestThread>.fromOpaque(raw!).takeRetainedValue()
      me.body()
      return nil
    }, box)
  }
  func join() { pthread_join(handle, nil) }
}

// MARK: - Supported variants

@Suite("MatrixMarket variants")
struct MatrixMarketVariantTests {
  struct Case: Sendable, CustomTestStringConvertible {
    let name: String
    let text: String
    let expected: [[Double]]
    var testDescription: String { name }
  }

  static let cases: [Case] = [
    Case(name: "coordinate real general", text: """
      %%MatrixMarket matrix coordinate real general
      2 3 3
      1 1 1.5
      2 3 -2e1
      1 2 .25
      """, expected: [[1.5, 0.25, 0], [0, 0, -20]]),
    Case(name: "coordinate real symmetric", text: """
      %%MatrixMarket matrix coordinate real symmetric
      3 3 4
      1 1 4
      2 1 -1
      3 2 -1.5
      3 3 4
      """, expected: [[4, -1, 0], [-1, 0, -1.5], [0, -1.5, 4]]),
    Case(name: "coordinate real skew-symmetric", text: """
      %%MatrixMarket matrix coordinate real skew-symmetric
      3 3 2
      2 1 5
      3 1 -0.5
      """, expected: [[0, -5, 0.5], [5, 0, 0], [-0.5, 0, 0]]),
    Case(name: "coordinate integer general", text: """
      %%MatrixMarket matrix coordinate integer general
      2 2 2
      1 2 -7
      2 1 +3
      """, expected: [[0, -7], [3, 0]]),
    Case(name: "coordinate integer symmetric", text: """
      %%MatrixMarket matrix coordinate integer symmetric
      2 2 2
      1 1 2
      2 1 9
      """, expected: [[2, 9], [9, 0]]),
    Case(name: "coordinate integer skew-symmetric", text: """
      %%MatrixMarket matrix coordinate integer skew-symmetric
      2 2 1
      2 1 4
      """, expected: [[0, -4], [4, 0]]),
    Case(name: "coordinate pattern general", text: """
      %%MatrixMarket matrix coordinate pattern general
      2 3 2
      1 3
      2 1
      """, expected: [[0, 0, 1], [1, 0, 0]]),
    Case(name: "coordinate pattern symmetric", text: """
      %%MatrixMarket matrix coordinate pattern symmetric
      3 3 3
      1 1
      3 1
      3 2
      """, expected: [[1, 0, 1], [0, 0, 1], [1, 1, 0]]),
    Case(name: "array real general", text: """
      %%MatrixMarket matrix array real general
      2 3
      1
      2
      3
      4
      5
      6.5
      """, expected: [[1, 3, 5], [2, 4, 6.5]]),
    Case(name: "array real symmetric", text: """
      %%MatrixMarket matrix array real symmetric
      3 3
      1
      2
      3
      4
      5
      6
      """, expected: [[1, 2, 3], [2, 4, 5], [3, 5, 6]]),
    Case(name: "array real skew-symmetric", text: """
      %%MatrixMarket matrix array real skew-symmetric
      3 3
      1
      2
      3
      """, expected: [[0, -1, -2], [1, 0, -3], [2, 3, 0]]),
    Case(name: "array integer general", text: """
      %%MatrixMarket matrix array integer general
      1 2
      -4
      8
      """, expected: [[-4, 8]]),
    Case(name: "array integer symmetric", text: """
      %%MatrixMarket matrix array integer symmetric
      2 2
      1
      2
      3
      """, expected: [[1, 2], [2, 3]]),
    Case(name: "array integer skew-symmetric", text: """
      %%MatrixMarket matrix array integer skew-symmetric
      2 2
      7
      """, expected: [[0, -7], [7, 0]]),
    Case(name: "empty matrix", text: """
      %%MatrixMarket matrix coordinate real general
      0 0 0
      """, expected: []),
  ]

  @Test(arguments: cases)
  func reads(_ c: Case) throws {
    let content = try MatrixMarket.read(string: c.text)
    switch content {
    case .sparse(let A): #expect(A.dense() == c.expected)
    case .dense(let D): #expect(rows(D) == c.expected)
    }
    #expect(content.sparseMatrix.dense() == c.expected)
    // The header is reported as written.
    let header = try MatrixMarket.readHeader(string: c.text)
    #expect(c.text.lowercased().hasPrefix(header.banner.lowercased()))
    // Written back (general, real) and read again: the same matrix.
    let again = try MatrixMarket.readMatrix(
      string: String(decoding: try MatrixMarket.encode(content.sparseMatrix), as: UTF8.self))
    #expect(again.dense() == c.expected)
  }

  @Test func symmetricUpperTriangleEntriesAreMirroredToo() throws {
    // As in SciPy: an entry above the diagonal of a symmetric file is mirrored as well.
    let A = try sparse("%%MatrixMarket matrix coordinate real symmetric\n2 2 1\n1 2 3\n")
    #expect(A.dense() == [[0, 3], [3, 0]])
    let S = try sparse("%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n1 2 3\n")
    #expect(S.dense() == [[0, 3], [-3, 0]])
  }

  @Test func duplicatesAreSummed() throws {
    let A = try sparse(coordinateReal + "2 2 4\n1 1 1\n2 2 5\n1 1 2.5\n1 1 -0.5\n")
    #expect(A.dense() == [[3, 0], [0, 5]])
    #expect(A.nonzeros == 2)
    // In a symmetric file a duplicate off-diagonal entry is summed on both sides.
    let S = try sparse("%%MatrixMarket matrix coordinate real symmetric\n2 2 2\n2 1 1\n2 1 2\n")
    #expect(S.dense() == [[0, 3], [3, 0]])
    // Duplicates in a coordinate vector are summed as well.
    #expect(try MatrixMarket.readVector(string: coordinateReal + "3 1 2\n2 1 1\n2 1 1\n") == [0, 2, 0])
  }

  @Test func windowsLineEndings() throws {
    let text = "%%MatrixMarket matrix coordinate real general\r\n% comment\r\n2 2 2\r\n1 1 1.5\r\n\r\n2 2 -3\r\n"
    #expect(try sparse(text).dense() == [[1.5, 0], [0, -3]])
    let vector = "%%MatrixMarket matrix array real general\r\n2 1\r\n1\r\n2\r\n"
    #expect(try MatrixMarket.readVector(string: vector) == [1, 2])
  }

  @Test func commentsBlankLinesAndBlanksAnywhere() throws {
    let text = """
      \u{FEFF}  %%matrixmarket   MATRIX Coordinate REAL General\t
      % a comment
      %% another

      \t 3 3 3 \t
      % between entries
      1\t1  2.0\t

      % and again
        2 2 3e0
      %
      3   3 4.
      % trailing comment

      """
    #expect(try sparse(text).dense() == [[2, 0, 0], [0, 3, 0], [0, 0, 4]])
    // No newline at the end of the last entry.
    #expect(try sparse(coordinateReal + "1 1 1\n1 1 7").dense() == [[7]])
  }

  @Test func numberForms() throws {
    let forms: [(String, Double)] = [
      ("1", 1), ("-1", -1), ("+2", 2), ("1.", 1), (".5", 0.5), ("-.5", -0.5), ("1e3", 1000),
      ("1E3", 1000), ("1e+3", 1000), ("2.5e-3", 0.0025), ("0.1", 0.1), ("-0", -0.0),
      ("00012", 12), ("1.7976931348623157e308", .greatestFiniteMagnitude),
      ("4.9e-324", .leastNonzeroMagnitude), ("1e-400", 0), ("123456789012345678901234567890", 1.2345678901234568e29),
      ("0.30000000000000004", 0.30000000000000004), ("9007199254740993", 9007199254740992),
      ("1e22", 1e22), ("1e23", 1e23), ("0.000000000000000000000000001", 1e-27),
    ]
    for (text, value) in forms {
      let A = try sparse(coordinateReal + "1 1 1\n1 1 \(text)\n")
      #expect(A.values.first?.bitPattern == value.bitPattern, "\(text)")
    }
  }

  @Test func vectors() throws {
    #expect(try MatrixMarket.readVector(string: "%%MatrixMarket matrix array real general\n1 3\n1\n2\n3\n") == [1, 2, 3])
    // Coordinate n×1 and 1×n: missing entries are 0.
    #expect(try MatrixMarket.readVector(string: coordinateReal + "4 1 2\n4 1 1\n2 1 -1\n") == [0, -1, 0, 1])
    #expect(try MatrixMarket.readVector(string: coordinateReal + "1 3 1\n1 2 5\n") == [0, 5, 0])
    let error = #expect(throws: MatrixMarketError.self) {
      try MatrixMarket.readVector(string: "%%MatrixMarket matrix array real general\n% c\n2 2\n1\n2\n3\n4\n", name: "b.mtx")
    }
    #expect(error == MatrixMarketError(file: "b.mtx", line: 3, reason: "expected a vector (n×1 or 1×n), found a 2×2 matrix"))
  }
}

// MARK: - Bad files

@Suite("MatrixMarket bad files")
struct MatrixMarketBadFileTests {
  @Test func emptyFile() {
    expectFailure("", line: 1, "empty file")
  }

  @Test func bannerOnly() {
    expectFailure(coordinateReal, line: 1, "file ends before the size line")
    expectFailure(coordinateReal + "% only comments\n\n", line: 3, "file ends before the size line")
  }

  @Test func wrongBanner() {
    expectFailure("hello world\n1 1 1\n1 1 1\n", line: 1, "not a Matrix Market file")
    expectFailure("%MatrixMarket matrix coordinate real general\n", line: 1, "not a Matrix Market file")
    expectFailure("%%MatrixMarketmatrix coordinate real general\n", line: 1, "not a Matrix Market file")
    expectFailure("%%MatrixMarket vector coordinate real general\n1 1 1\n", line: 1, "unsupported object 'vector'")
    expectFailure("%%MatrixMarket matrix coordinate real\n1 1 1\n", line: 1, "banner is incomplete")
    expectFailure("%%MatrixMarket matrix coordinate real general extra\n", line: 1, "extra word 'extra'")
    expectFailure("%%MatrixMarket matrix sparse real general\n", line: 1, "unknown format 'sparse'")
    expectFailure("%%MatrixMarket matrix coordinate double general\n", line: 1, "unknown field 'double'")
    expectFailure("%%MatrixMarket matrix coordinate real lower\n", line: 1, "unknown symmetry 'lower'")
    expectFailure("%%MatrixMarket matrix array pattern general\n", line: 1, "pattern field is only allowed in coordinate")
    expectFailure("%%MatrixMarket matrix coordinate pattern skew-symmetric\n", line: 1, "skew-symmetric pattern")
    expectFailure("%%MatrixMarket matrix coordinate real general" + String(repeating: " ", count: 2000) + "\n", line: 1, "longer than 1024 bytes")
    expectFailure("\0\0\0\0", line: 1, "not a Matrix Market file")
  }

  @Test func complexField() {
    expectFailure("%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n", line: 1, "complex matrices are not supported")
  }

  @Test func hermitian() {
    expectFailure("%%MatrixMarket matrix coordinate real hermitian\n1 1 1\n1 1 1\n", line: 1, "complex matrices are not supported")
  }

  @Test func truncatedEntries() {
    expectFailure(coordinateReal + "3 3 3\n1 1 1\n2 2 2\n", line: 4, "file ends after 2 of 3 entries")
    expectFailure(coordinateReal + "3 3 3\n1 1 1\n2 2 2", line: 4, "file ends after 2 of 3 entries")
    expectFailure(coordinateReal + "3 3 3\n1 1 1\n% c\n\n", line: 5, "file ends after 1 of 3 entries")
  }

  @Test func tooManyEntries() {
    expectFailure(coordinateReal + "3 3 2\n1 1 1\n2 2 2\n% ok\n3 3 3\n", line: 6, "more entries than the 2 declared")
  }

  @Test func indexZero() {
    expectFailure(coordinateReal + "3 3 1\n0 1 1\n", line: 3, "row index 0 out of range 1...3")
    expectFailure(coordinateReal + "3 3 1\n1 0 1\n", line: 3, "column index 0 out of range 1...3")
  }

  @Test func indexBeyondSize() {
    expectFailure(coordinateReal + "3 4 1\n4 1 1\n", line: 3, "row index 4 out of range 1...3")
    expectFailure(coordinateReal + "3 4 2\n1 1 1\n1 5 1\n", line: 4, "column index 5 out of range 1...4")
    expectFailure(coordinateReal + "3 4 1\n99999999999999999999999999 1 1\n", line: 3, "row index 99999999999999999999999999 out of range")
    expectFailure(coordinateReal + "3 4 1\n-1 1 1\n", line: 3, "invalid row index '-1'")
    expectFailure(coordinateReal + "3 4 1\n1x 1 1\n", line: 3, "invalid row index '1x'")
    expectFailure(coordinateReal + "0 0 1\n1 1 1\n", line: 3, "the matrix has no rows")
  }

  @Test(arguments: ["nan", "NaN", "-nan", "inf", "-inf", "+Inf", "infinity", "-Infinity", "1e400", "-1.5e309"])
  func nonFiniteValue(_ value: String) {
    expectFailure(coordinateReal + "2 2 2\n1 1 1\n2 2 \(value)\n", line: 4, "non-finite value '\(value)'")
    expectFailure("%%MatrixMarket matrix array real general\n2 1\n1\n\(value)\n", line: 4, "non-finite value")
  }

  @Test func extraField() {
    expectFailure(coordinateReal + "2 2 1\n1 1 1 7\n", line: 3, "extra field '7'")
    expectFailure("%%MatrixMarket matrix coordinate pattern general\n2 2 1\n1 1 1\n", line: 3, "extra field '1'")
    expectFailure("%%MatrixMarket matrix array real general\n2 1\n1\n2 3\n", line: 4, "extra field '3'")
    expectFailure(coordinateReal + "2 2 1 4\n", line: 2, "extra field '4' on the size line")
  }

  @Test func missingField() {
    expectFailure(coordinateReal + "2 2 1\n1 1\n", line: 3, "missing value")
    expectFailure(coordinateReal + "2 2 1\n1   \t\n", line: 3, "missing column index")
    expectFailure("%%MatrixMarket matrix coordinate pattern general\n2 2 1\n1\n", line: 3, "missing column index")
    expectFailure(coordinateReal + "% c\n2 2\n", line: 3, "size line holds 2 numbers, expected 3")
    expectFailure("%%MatrixMarket matrix array real general\n2\n", line: 2, "size line holds 1 numbers, expected 2")
  }

  @Test func enormousDimensions() {
    expectFailure(coordinateReal + "1000000000000 1000000000000 1\n1 1 1\n", line: 2, "1000000000000 rows exceed the largest supported dimension 2147483647")
    expectFailure(coordinateReal + "5 2147483648 1\n1 1 1\n", line: 2, "2147483648 columns exceed")
    expectFailure(coordinateReal + "99999999999999999999999 1 0\n", line: 2, "99999999999999999999999 rows exceed")
    // Below Int32.max but out of proportion to a tiny file (would need 16 GB of row pointers).
    expectFailure(coordinateReal + "2000000000 2000000000 1\n1 1 1\n", line: 2, "out of proportion to the file size")
    expectFailure("%%MatrixMarket matrix array real general\n2000000000 2000000000\n1\n", line: 2, "out of proportion")
  }

  @Test func declaredEntriesBeyondFileSize() {
    // Nothing is reserved from the declared count (10¹⁵ entries would need 16 PB); the
    // parse stops at the end and says how little the file can hold.
    expectFailure(coordinateReal + "3 3 999999999999999\n1 1 1\n", line: 3, "file ends after 1 of 999999999999999 entries (the 6 bytes after the size line can hold at most 1)")
    expectFailure(coordinateReal + "%\n3 3 99999999999999999999\n", line: 3, "file ends after 0 of 99999999999999999999 entries")
    expectFailure("%%MatrixMarket matrix array real general\n1000 1000\n1\n", line: 3, "file ends after 1 of 1000000 entries (the 2 bytes after the size line can hold at most 1)")
    expectFailure("%%MatrixMarket matrix array real symmetric\n1000 1000\n1\n", line: 3, "file ends after 1 of 500500 entries")
    expectFailure("%%MatrixMarket matrix array real general\n2000000 2000000\n1\n", line: 3, "file ends after 1 of 4000000000000 entries")
    // Exactly at the bound is fine: "1 1 1\n" per entry, last newline optional.
    #expect(throws: Never.self) { try MatrixMarket.read(string: coordinateReal + "1 1 2\n1 1 1\n1 1 1") }
    #expect(throws: Never.self) { try MatrixMarket.read(string: "%%MatrixMarket matrix coordinate pattern general\n1 1 2\n1 1\n1 1") }
  }

  @Test func arrayWithTooFewValues() {
    expectFailure("%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n", line: 5, "file ends after 3 of 4 entries")
    expectFailure("%%MatrixMarket matrix array real symmetric\n2 2\n1\n2\n", line: 4, "file ends after 2 of 3 entries")
  }

  @Test func arrayWithTooManyValues() {
    expectFailure("%%MatrixMarket matrix array real general\n2 1\n1\n2\n3\n", line: 5, "more entries than the 2 declared")
  }

  @Test(arguments: ["1.2.3", "abc", "1e", "1e+", "--1", "0x10", "1,5", ".", "-", "1.5x", "e5", "1e5.5"])
  func garbageNumber(_ value: String) {
    expectFailure(coordinateReal + "2 2 1\n1 1 \(value)\n", line: 3, "invalid number '\(value)'")
  }

  @Test func integerFieldNeedsIntegers() {
    expectFailure("%%MatrixMarket matrix coordinate integer general\n2 2 1\n1 1 1.5\n", line: 3, "invalid integer '1.5'")
    expectFailure("%%MatrixMarket matrix array integer general\n1 1\n1e3\n", line: 3, "invalid integer '1e3'")
  }

  @Test func badSizeLine() {
    expectFailure(coordinateReal + "3 x 3\n", line: 2, "invalid number of columns 'x'")
    expectFailure(coordinateReal + "-3 3 3\n", line: 2, "invalid number of rows '-3'")
    expectFailure(coordinateReal + "3 3 2.5\n", line: 2, "invalid number of entries '2.5'")
    expectFailure("%%MatrixMarket matrix coordinate real symmetric\n3 4 1\n1 1 1\n", line: 2, "must be square")
  }

  @Test func skewSymmetricDiagonal() {
    expectFailure("%%MatrixMarket matrix coordinate real skew-symmetric\n3 3 2\n2 1 1\n2 2 1\n", line: 4, "diagonal entry (2, 2)")
  }

  @Test func messagesStayOnOneLine() {
    let error = #expect(throws: MatrixMarketError.self) {
      try MatrixMarket.read(string: coordinateReal + "2 2 1\n1 1 \u{7}\u{1B}[31m\u{00E9}\n", name: "x")
    }
    #expect(error?.reason == "invalid number '\\x07\\x1B[31m\\xC3\\xA9'")
  }
}

// MARK: - Robustness

@Suite("MatrixMarket robustness")
struct MatrixMarketRobustnessTests {
  static let seedFiles: [String] = [
    "%%MatrixMarket matrix coordinate real symmetric\n% c\n4 4 5\n1 1 4\n2 1 -1.5e-3\n3 2 7\n4 4 1\n4 3 2\n",
    "%%MatrixMarket matrix array real skew-symmetric\n3 3\n1\n2\n3\n",
    "%%MatrixMarket matrix coordinate pattern general\n3 2 2\n1 1\n3 2\n",
    "%%MatrixMarket matrix array integer symmetric\n2 2\n1\n-2\n3\n",
  ]

  /// Every prefix of a valid file is read or rejected, never a crash.
  @Test func everyTruncation() {
    for text in Self.seedFiles {
      let bytes = Array(text.utf8)
      for n in 0...bytes.count {
        _ = try? MatrixMarket.read(bytes: Array(bytes[0..<n]))
      }
    }
  }

  /// Random byte edits (a deterministic generator) are read or rejected, never a crash.
  @Test func randomMutations() {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int(truncatingIfNeeded: state >> 33)
    }
    let alphabet = Array("0123456789 \t\r\n%.-+eEnaif9x\u{0}".utf8)
    var accepted = 0
    for round in 0..<20_000 {
      var bytes = Array(Self.seedFiles[round % Self.seedFiles.count].utf8)
      for _ in 0..<(1 + next() % 4) {
        let at = next() % bytes.count
        switch next() % 3 {
        case 0: bytes[at] = alphabet[next() % alphabet.count]
        case 1: bytes.insert(alphabet[next() % alphabet.count], at: at)
        default: if bytes.count > 1 { bytes.remove(at: at) }
        }
      }
      if let content = try? MatrixMarket.read(bytes: bytes) {
        accepted += 1
        // Whatever is accepted is a consistent matrix with finite values.
        let A = content.sparseMatrix
        #expect(A.allFinite)
        #expect((try? SparseMatrix(rows: A.rows, columns: A.columns, rowPointers: A.rowPointers, columnIndices: A.columnIndices, values: A.values)) != nil)
      }
    }
    #expect(accepted > 0)
  }
}
