import Foundation
import LinSolve
import Testing

/// Issue 13, class 5: memory from a 70-byte file. Structurally singular systems are reported
/// before any workspace is allocated, every method's memory estimate is checked against
/// `--memory-limit`, and streams are parsed as they arrive.
@Suite("solve CLI: memory limits, structure and streams")
struct MemoryCLITests {
  static let banner = "%%MatrixMarket matrix coordinate real general\n"

  /// Runs `solve` with `input` on its standard input.
  static func run(_ arguments: [String], stdin input: Data) throws -> CLIRun {
    let process = Process()
    process.executableURL = try CLI.executable()
    process.arguments = arguments
    process.currentDirectoryURL = CLI.root
    let inPipe = Pipe(), out = Pipe(), err = Pipe()
    process.standardInput = inPipe
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let writer = Thread {
      inPipe.fileHandleForWriting.write(input)
      try? inPipe.fileHandleForWriting.close()
    }
    writer.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CLIRun(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                  stderr: String(decoding: errData, as: UTF8.self))
  }

  // MARK: Structure

  @Test("A 16,777,216² header with one entry exits 2 at once, naming the empty row")
  func hugeHeader() throws {
    let path = try CLI.file("huge.mtx", Self.banner + "16777216 16777216 1\n1 1 1.0\n")
    let started = Date()
    let run = try CLI.run([path, "--method", "gmres"])
    #expect(Date().timeIntervalSince(started) < 3)
    #expect(run.status == 2, "\(run.stderr)")
    #expect(run.stderr.contains("\(path): matrix is structurally singular: 16777216×16777216 with 1 stored entry leaves at least 16777215 rows empty"), "\(run.stderr)")
    #expect(run.stderr.split(separator: "\n").filter { $0.contains("error") }.count == 1)
    // Also with the default method (auto resolves to GMRES + ILU(0) for this n).
    let auto = try CLI.run([path])
    #expect(auto.status == 2)
    #expect(auto.stderr.contains("rows empty"), "\(auto.stderr)")
    // A symmetric file's entry covers two rows: [[0, 1], [1, 0]] from one entry is solved.
    let symmetric = "%%MatrixMarket matrix coordinate real symmetric\n"
    let swap = try CLI.file("swap.mtx", symmetric + "2 2 1\n2 1 1.0\n")
    let solved = try CLI.run([swap, "--method", "lu"])
    #expect(solved.status == 0, "\(solved.stderr)")
    let short = try CLI.file("short.mtx", symmetric + "100000 100000 2\n2 1 1.0\n3 3 1.0\n")
    let refused = try CLI.run([short, "--method", "lu"])
    #expect(refused.status == 2)
    #expect(refused.stderr.contains("leaves at least 99996 rows empty"), "\(refused.stderr)")
  }

  @Test("An empty column of a square matrix is structurally singular")
  func emptyColumn() throws {
    let path = try CLI.file("col.mtx", Self.banner + "3 3 3\n1 1 1\n2 1 1\n3 3 1\n")
    for method in ["auto", "lu", "gmres", "bicgstab", "lsqr"] {
      let run = try CLI.run([path, "--method", method])
      #expect(run.status == 2, "\(method): \(run.stderr)")
      #expect(run.stderr.contains("matrix is structurally singular: column 2 has no entries"), "\(method): \(run.stderr)")
    }
  }

  @Test("A tall matrix with an empty column: an error for lapack and the sketches, a note for LSQR")
  func tallEmptyColumn() throws {
    var text = Self.banner + "6 3 5\n"
    for (i, j) in [(1, 1), (2, 3), (3, 1), (5, 3), (6, 1)] { text += "\(i) \(j) \(Double(i + j))\n" }
    let path = try CLI.file("tall.mtx", text)
    for method in ["lapack", "sketch-lsqr", "iterative-sketch"] {
      let run = try CLI.run([path, "--method", method])
      #expect(run.status == 2, "\(method): \(run.stderr)")
      #expect(run.stderr.contains("matrix is rank deficient: column 2 has no entries"), "\(method): \(run.stderr)")
    }
    for method in ["lsqr", "lsmr"] {
      let run = try CLI.run([path, "--method", method])
      #expect(run.status == 0, "\(method): \(run.stderr)")
      #expect(run.stderr.contains("column 2 has no entries"), "\(method): \(run.stderr)")
    }
  }

  // MARK: Memory

  @Test("A huge rectangular matrix with --method lapack exits 2 naming the dense estimate")
  func hugeLapack() throws {
    // 16,777,216 × 65,536 with one entry per column: 8 TiB dense, from a 1 MB file.
    let n = 65_536
    var text = Self.banner + "16777216 \(n) \(n)\n"
    text.reserveCapacity(n * 20)
    for j in 1...n { text += "\(j) \(j) 1\n" }
    let path = try CLI.file("wide.mtx", text)
    let run = try CLI.run([path, "--method", "lapack"])
    #expect(run.status == 2, "\(run.stderr)")
    #expect(run.stderr.contains("\(path): --method lapack needs ≈ 8.0 TiB (dense 16777216×65536)"), "\(run.stderr)")
    #expect(run.stderr.contains("above the memory limit of"), "\(run.stderr)")
    #expect(run.stderr.contains("3/4 of"), "\(run.stderr)")  // the default limit says what it is

    // The 16,777,216² rectangular-looking case: rank deficient before any dense allocation.
    let one = try CLI.file("one.mtx", Self.banner + "16777216 16777215 1\n1 1 1\n")
    let deficient = try CLI.run([one, "--method", "lapack"])
    #expect(deficient.status == 2)
    #expect(deficient.stderr.contains("column 2 has no entries"), "\(deficient.stderr)")
  }

  @Test("--memory-limit 1K refuses every method, naming the estimate",
        arguments: ["cg", "pcg", "gmres", "minres", "bicgstab", "sor", "cholesky", "lu", "auto"])
  func tinyLimitSquare(method: String) throws {
    let run = try CLI.run([CLI.data("poisson2d_32.mtx"), "--method", method, "--memory-limit", "1K"])
    #expect(run.status == 2, "\(method): \(run.stderr)")
    #expect(run.stderr.contains("--method \(method)"), "\(method): \(run.stderr)")
    #expect(run.stderr.contains("needs ≈ "), "\(method): \(run.stderr)")
    #expect(run.stderr.contains("KiB"), "\(method): \(run.stderr)")
    #expect(run.stderr.contains("above the memory limit of 1.0 KiB (--memory-limit)"), "\(method): \(run.stderr)")
  }

  @Test("--memory-limit 1K refuses the least-squares methods on a tall matrix",
        arguments: ["lsqr", "lsmr", "lapack", "sketch-lsqr", "iterative-sketch", "kaczmarz"])
  func tinyLimitTall(method: String) throws {
    let (a, b, _) = try LeastSquaresCLITests.tallProblem()
    let run = try CLI.run([a, b, "--method", method, "--memory-limit", "1K"])
    #expect(run.status == 2, "\(method): \(run.stderr)")
    #expect(run.stderr.contains("needs ≈ "), "\(method): \(run.stderr)")
    #expect(run.stderr.contains("above the memory limit of 1.0 KiB"), "\(method): \(run.stderr)")
  }

  @Test("Cholesky and LU check their factor estimate against --memory-limit after the analysis")
  func factorLimit() throws {
    // 128² Poisson: the pre-check's lower bounds (≈ 3.2 MiB) pass 5 MiB; the factors do not
    // (Cholesky: nnz(L) = 381,322, ≈ 5.5 MiB; LU: nnz(L+U) ≈ 746,260, ≈ 10.6 MiB).
    let dir = try CLI.temporaryDirectory()
    let path = dir.appendingPathComponent("p128.mtx").path
    try MatrixMarket.write(Poisson.matrix2D(128), to: path, symmetry: .symmetric)
    let cholesky = try CLI.run([path, "--method", "cholesky", "--memory-limit", "5M"])
    #expect(cholesky.status == 2, "\(cholesky.stderr)")
    #expect(cholesky.stderr.contains("Cholesky factor needs about"), "\(cholesky.stderr)")
    #expect(cholesky.stderr.contains("limit of 5 MiB"), "\(cholesky.stderr)")
    let lu = try CLI.run([path, "--method", "lu", "--memory-limit", "5M"])
    #expect(lu.status == 2, "\(lu.stderr)")
    #expect(lu.stderr.contains("LU factors, nnz(L+U)"), "\(lu.stderr)")
    #expect(lu.stderr.contains("above the memory limit of 5.0 MiB"), "\(lu.stderr)")
    // And pass with room to spare.
    #expect(try CLI.run([path, "--method", "cholesky", "--memory-limit", "64M"]).status == 0)
    #expect(try CLI.run([path, "--method", "lu", "--memory-limit", "64M"]).status == 0)
  }

  @Test("Under the default limit (and generous explicit ones) solves still work")
  func normalSolves() throws {
    let poisson = CLI.data("poisson2d_32.mtx"), rhs = CLI.data("rhs_poisson2d_32.mtx")
    for arguments in [[poisson, rhs], [poisson, "--method", "cg"], [CLI.data("convdiff_20.mtx"), "--method", "gmres"],
                      [poisson, "--method", "pcg", "--memory-limit", "1G"],
                      [poisson, "--method", "cholesky", "--memory-limit", "50%"],
                      [poisson, "--method", "lu", "--memory-limit", "none"]] {
      let run = try CLI.run(arguments + ["--json"])
      #expect(run.status == 0, "\(arguments): \(run.stderr)")
      #expect(try run.json()["converged"] as? Bool == true, "\(arguments)")
    }
    let (a, b, _) = try LeastSquaresCLITests.tallProblem()
    #expect(try CLI.run([a, b, "--method", "lsqr"]).status == 0)
  }

  @Test("A malformed --memory-limit is rejected with the syntax", arguments: ["12X", "-1G", "G", "200%", "1.2.3M"])
  func badLimit(value: String) throws {
    let run = try CLI.run([CLI.data("poisson2d_32.mtx"), "--memory-limit=\(value)"])
    #expect(run.status == 2)
    #expect(run.stderr.contains("--memory-limit"), "\(run.stderr)")
    #expect(run.stderr.contains("512M"), "\(run.stderr)")
  }

  @Test("--help documents --memory-limit")
  func help() throws {
    let run = try CLI.run(["system", "--help"])
    #expect(run.stdout.contains("--memory-limit <size>"))
    #expect(run.stdout.contains("512M"))
  }

  // MARK: Streams

  @Test("A matrix on standard input (/dev/stdin) is parsed as it arrives")
  func standardInput() throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: CLI.data("poisson2d_32.mtx")))
    let run = try Self.run(["/dev/stdin", CLI.data("rhs_poisson2d_32.mtx"), "--method", "cg", "--json"], stdin: data)
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    #expect(json["rows"] as? Int == 1024)
    #expect(json["nonzeros"] as? Int == 4992)
    #expect(json["converged"] as? Bool == true)
    // A bad line is named by its number, as for a file.
    let bad = Data((Self.banner + "2 2 2\n1 1 1\n% comment\n2 0 1\n").utf8)
    let error = try Self.run(["/dev/stdin"], stdin: bad)
    #expect(error.status == 2)
    #expect(error.stderr.contains("/dev/stdin:5: column index 0 out of range 1...2"), "\(error.stderr)")
  }

  @Test("A matrix written into a FIFO is parsed as it arrives")
  func fifo() throws {
    let dir = try CLI.temporaryDirectory()
    let path = dir.appendingPathComponent("A.fifo").path
    #expect(mkfifo(path, 0o600) == 0)
    let data = try Data(contentsOf: URL(fileURLWithPath: CLI.data("convdiff_20.mtx")))
    let writer = Thread {
      if let handle = FileHandle(forWritingAtPath: path) {  // blocks until solve opens it
        handle.write(data)
        try? handle.close()
      }
    }
    writer.start()
    let run = try CLI.run([path, "--method", "gmres", "--json"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(try run.json()["rows"] as? Int == 400)
  }
}
