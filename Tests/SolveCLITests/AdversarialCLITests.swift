import Foundation
import Testing

/// Hostile and broken inputs: every one gets exit status 2 (bad input) or 1 (not converged)
/// with a single line on standard error — never a trap, a stack trace or a hang.
@Suite("solve CLI: adversarial input")
struct AdversarialCLITests {
  static let banner = "%%MatrixMarket matrix coordinate real general\n"

  static let badFiles: [(String, String)] = [
    ("empty", ""),
    ("banner only", banner),
    ("more entries declared", banner + "2 2 3\n1 1 1\n2 2 1\n"),
    ("fewer entries declared", banner + "2 2 1\n1 1 1\n2 2 1\n"),
    ("index 0", banner + "2 2 1\n0 1 1\n"),
    ("index > n", banner + "2 2 1\n3 1 1\n"),
    ("nan", banner + "1 1 1\n1 1 nan\n"),
    ("inf", banner + "1 1 1\n1 1 inf\n"),
    ("1e400", banner + "1 1 1\n1 1 1e400\n"),
    ("extra field", banner + "1 1 1\n1 1 1 1\n"),
    ("missing field", banner + "1 1 1\n1 1\n"),
    ("huge size", banner + "1000000000000 1000000000000 1\n1 1 1\n"),
    ("nnz beyond memory", banner + "1000 1000 999999999999999\n1 1 1\n"),
  ]

  @Test("Malformed matrix files exit 2 with one line", arguments: badFiles.map(\.0))
  func malformed(name: String) throws {
    let text = Self.badFiles.first { $0.0 == name }!.1
    let path = try CLI.file("bad.mtx", text)
    let run = try CLI.run([path, "--method", "cg"])
    #expect(run.status == 2, "\(name): \(run.stderr)")
    #expect(run.stderr.split(separator: "\n").count == 1, "\(name): \(run.stderr)")
    #expect(run.stderr.contains(path), "\(name)")
    #expect(!run.stderr.contains("Fatal error"))
  }

  @Test("A 2 GB file of zero bytes is rejected quickly")
  func zeros() throws {
    let url = try CLI.temporaryDirectory().appendingPathComponent("zeros.mtx")
    // A sparse file: 2 GiB of zeros without writing them.
    #expect(FileManager.default.createFile(atPath: url.path, contents: nil))
    let handle = try FileHandle(forWritingTo: url)
    try handle.truncate(atOffset: 2 << 30)
    try handle.close()
    let started = Date()
    let run = try CLI.run([url.path])
    #expect(run.status == 2)
    #expect(Date().timeIntervalSince(started) < 5)
    #expect(run.stderr.contains("\(url.path):1:"))
  }

  @Test("Windows line endings and pattern matrices are read")
  func crlfAndPattern() throws {
    let crlf = try CLI.file("crlf.mtx", "%%MatrixMarket matrix coordinate real symmetric\r\n2 2 2\r\n1 1 2\r\n2 2 3\r\n")
    #expect(try CLI.run([crlf]).status == 0)
    // A pattern matrix reads as ones: this one is singular, LU must say so.
    let pattern = try CLI.file("p.mtx", "%%MatrixMarket matrix coordinate pattern general\n2 2 4\n1 1\n1 2\n2 1\n2 2\n")
    let run = try CLI.run([pattern, "--method", "lu"])
    #expect(run.status == 2)
    #expect(run.stderr.contains("singular"), "\(run.stderr)")
  }

  @Test("Structural problems: all-zero row, zero diagonal, indefinite, NaN in b")
  func structural() throws {
    let zeroRow = try CLI.file("zr.mtx", Self.banner + "3 3 3\n1 1 1\n3 3 1\n1 3 1\n")
    for method in ["jacobi", "ic0"] {
      let run = try CLI.run([zeroRow, "--method", "pcg", "--preconditioner", method])
      #expect(run.status == 2, "\(method): \(run.stderr)")
      #expect(run.stderr.contains("row 2"), "\(method): \(run.stderr)")
    }
    let sor = try CLI.run([zeroRow, "--method", "sor"])
    #expect(sor.status == 2)
    #expect(sor.stderr.contains("row 2"), "\(sor.stderr)")

    // Symmetric, positive diagonal, indefinite (eigenvalues 3 and −1).
    let indefinite = try CLI.file("i.mtx", "%%MatrixMarket matrix coordinate real symmetric\n2 2 3\n1 1 1\n2 1 2\n2 2 1\n")
    // b = [1, 0] (b = A·1 would be an eigenvector, which CG solves in one step).
    let b10 = try CLI.file("b10.mtx", "%%MatrixMarket matrix array real general\n2 1\n1\n0\n")
    let cg = try CLI.run([indefinite, b10, "--method", "cg"])
    #expect(cg.status == 1)
    #expect(cg.stderr.contains("indefinite"))
    let chol = try CLI.run([indefinite, "--method", "cholesky"])
    #expect(chol.status == 2)
    #expect(chol.stderr.contains("not positive definite"))

    let nanB = try CLI.file("b.mtx", "%%MatrixMarket matrix array real general\n2 1\n1\nnan\n")
    let run = try CLI.run([indefinite, nanB])
    #expect(run.status == 2)
    #expect(run.stderr.contains("b.mtx:4:"))
  }

  @Test("A failed run never touches an existing output file")
  func outputPreserved() throws {
    let out = try CLI.file("x.mtx", "precious\n")
    let bad = try CLI.file("bad.mtx", Self.banner + "2 2 1\n0 1 1\n")
    #expect(try CLI.run([bad, "--output", out]).status == 2)
    #expect(try String(contentsOfFile: out, encoding: .utf8) == "precious\n")
    // A complete solve replaces it.
    #expect(try CLI.run([CLI.data("fem_spd.mtx"), "--output", out]).status == 0)
    #expect(try String(contentsOfFile: out, encoding: .utf8).hasPrefix("%%MatrixMarket"))
  }

  @Test("Ctrl-C stops a long solve cleanly, writes the iterate, says at which iteration and exits 130")
  func interrupt() throws {
    let out = try CLI.temporaryDirectory().appendingPathComponent("x.mtx").path
    let process = Process()
    process.executableURL = try CLI.executable()
    process.arguments = [CLI.data("poisson2d_32.mtx"), CLI.data("rhs_poisson2d_32.mtx"), "--method", "sor", "--max-iterations", "100000000",
                         "--rtol", "1e-300", "--atol", "1e-300", "--output", out, "--monitor"]
    let err = Pipe(), output = Pipe()
    process.standardError = err
    process.standardOutput = output
    try process.run()
    // Interrupt only once the solve is iterating (its handler is installed by then): a fixed
    // sleep could fire during a cold start and kill the process before the handler exists.
    var seen = Data()
    while !String(decoding: seen, as: UTF8.self).contains("residual norm") {
      let chunk = output.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      seen.append(chunk)
    }
    process.interrupt()  // SIGINT, as Ctrl-C
    _ = output.fileHandleForReading.readDataToEndOfFile()
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 130, "\(stderr)")
    #expect(stderr.contains("interrupted at iteration"), "\(stderr)")
    #expect(FileManager.default.fileExists(atPath: out))
  }

  @Test("--time-limit stops a long solve with reason timeLimit, exit 1")
  func timeLimit() throws {
    let run = try CLI.run([CLI.data("poisson2d_32.mtx"), CLI.data("rhs_poisson2d_32.mtx"), "--method", "sor", "--max-iterations", "100000000",
                           "--rtol", "1e-300", "--atol", "1e-300", "--time-limit", "0.3", "--json"])
    #expect(run.status == 1)
    #expect(try run.json()["reason"] as? String == "timeLimit")
  }
}
