import Foundation
import LinSolve
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Outputs that would destroy something (issue 13, class 2): an output that is an input or
/// another output is refused (exit 2, one line naming both paths, nothing touched); symlinks
/// are written through, devices and FIFOs written into.
@Suite("solve CLI: output safety")
struct OutputSafetyCLITests {
  /// A 2×2 SPD matrix; b = A·1 gives x = [1, 1].
  static let matrix = "%%MatrixMarket matrix coordinate real symmetric\n2 2 3\n1 1 4\n2 1 1\n2 2 3\n"
  static let vector = "%%MatrixMarket matrix array real general\n2 1\n5\n4\n"
  static let banner = "%%MatrixMarket matrix array real general"

  /// A temporary directory holding A.mtx, b.mtx and x0.mtx.
  struct Workspace {
    let dir: URL
    var a: String { path("A.mtx") }
    var b: String { path("b.mtx") }
    var x0: String { path("x0.mtx") }

    init() throws {
      dir = try CLI.temporaryDirectory()
      try OutputSafetyCLITests.matrix.write(toFile: path("A.mtx"), atomically: false, encoding: .utf8)
      try OutputSafetyCLITests.vector.write(toFile: path("b.mtx"), atomically: false, encoding: .utf8)
      try OutputSafetyCLITests.vector.write(toFile: path("x0.mtx"), atomically: false, encoding: .utf8)
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
    func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }
    func listing() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted() }
    func cleanUp() { try? FileManager.default.removeItem(at: dir) }
  }

  /// Exit 2 with one `solve: error:` line naming both paths.
  func expectRefused(_ run: CLIRun, _ first: String, _ second: String, _ comment: String = "") {
    #expect(run.status == 2, "\(comment): \(run.stderr)")
    let lines = run.stderr.split(separator: "\n")
    #expect(lines.count == 1, "\(run.stderr)")
    #expect(run.stderr.hasPrefix("solve: error: "), "\(run.stderr)")
    #expect(run.stderr.contains(first) && run.stderr.contains(second), "\(run.stderr)")
    #expect(run.stdout.isEmpty)
  }

  @Test("--output equal to the matrix is refused in every spelling; the matrix is unchanged")
  func outputIsMatrix() throws {
    let ws = try Workspace()
    defer { ws.cleanUp() }
    try FileManager.default.createDirectory(atPath: ws.path("sub"), withIntermediateDirectories: false)
    #expect(link(ws.a, ws.path("hard.mtx")) == 0)
    try FileManager.default.createSymbolicLink(atPath: ws.path("soft.mtx"), withDestinationPath: "A.mtx")
    let original = ws.bytes(ws.a)
    let spellings = [
      ws.a, ws.dir.path + "/./A.mtx", ws.dir.path + "/sub/../A.mtx", ws.path("hard.mtx"), ws.path("soft.mtx"),
    ]
    for output in spellings {
      let run = try CLI.run([ws.a, "--output", output])
      expectRefused(run, output, ws.a, "\(output)")
      #expect(run.stderr.contains("same file as the matrix"), "\(run.stderr)")
      #expect(ws.bytes(ws.a) == original, "\(output)")
    }
    // The matrix given through the symlink, the output by its real name.
    expectRefused(try CLI.run([ws.path("soft.mtx"), "--output", ws.a]), ws.a, ws.path("soft.mtx"))
    #expect(ws.bytes(ws.a) == original)
    #expect(ws.listing() == ["A.mtx", "b.mtx", "hard.mtx", "soft.mtx", "sub", "x0.mtx"])
  }

  @Test("--output equal to the right-hand side or --x0 is refused")
  func outputIsRhsOrX0() throws {
    let ws = try Workspace()
    defer { ws.cleanUp() }
    let original = ws.bytes(ws.b)
    let rhs = try CLI.run([ws.a, ws.b, "--output", ws.dir.path + "/./b.mtx"])
    expectRefused(rhs, "b.mtx", ws.b)
    #expect(rhs.stderr.contains("the right-hand side"))
    #expect(ws.bytes(ws.b) == original)

    let x0 = try CLI.run([ws.a, ws.b, "--method", "cg", "--x0", ws.x0, "--output", ws.x0])
    expectRefused(x0, ws.x0, "--x0")
    #expect(ws.bytes(ws.x0) == original)
  }

  @Test("--output and --history on one file, or --history on the matrix, are refused")
  func historyCollisions() throws {
    let ws = try Workspace()
    defer { ws.cleanUp() }
    let out = ws.path("x.mtx")
    let both = try CLI.run([ws.a, "--method", "cg", "--output", out, "--history", ws.dir.path + "/./x.mtx"])
    expectRefused(both, "--output \(out)", "--history \(ws.dir.path)/./x.mtx")
    #expect(!FileManager.default.fileExists(atPath: out))

    let original = ws.bytes(ws.a)
    let history = try CLI.run([ws.a, "--method", "cg", "--history", ws.a])
    expectRefused(history, "--history \(ws.a)", "the matrix \(ws.a)")
    #expect(ws.bytes(ws.a) == original)

    // Distinct files are fine, and the history goes through a symlink too.
    try FileManager.default.createSymbolicLink(atPath: ws.path("h-link.csv"), withDestinationPath: "h.csv")
    let fine = try CLI.run([ws.a, "--method", "cg", "--output", out, "--history", ws.path("h-link.csv")])
    #expect(fine.status == 0, "\(fine.stderr)")
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: ws.path("h-link.csv")) == "h.csv")
    #expect(try String(contentsOfFile: ws.path("h.csv"), encoding: .utf8).hasPrefix("iteration,residual\n"))
  }

  @Test("sequence --state equal to a matrix, a right-hand side or the context file is refused")
  func stateCollisions() throws {
    let ws = try Workspace()
    defer { ws.cleanUp() }
    var files: [String] = []
    for k in 0..<2 {
      let name = String(format: "shifted_%02d.mtx", k)
      try FileManager.default.copyItem(atPath: CLI.data("sequence/" + name), toPath: ws.path(name))
      files.append(ws.path(name))
    }
    let original = ws.bytes(files[1])
    let run = try CLI.run(["sequence"] + files + ["--tune", "omega", "--state", ws.dir.path + "/./shifted_01.mtx"])
    expectRefused(run, "--state", files[1])
    #expect(run.stderr.contains("the matrix"))
    #expect(ws.bytes(files[1]) == original)

    try "0.1 0.2\n".write(toFile: ws.path("c.txt"), atomically: false, encoding: .utf8)
    let context = try CLI.run(["sequence"] + files + ["--tune", "omega", "--context", ws.path("c.txt"), "--state", ws.path("c.txt")])
    expectRefused(context, "--state", "the --context file")
    #expect(try String(contentsOfFile: ws.path("c.txt"), encoding: .utf8) == "0.1 0.2\n")

    // A state file behind a symlink is saved through it.
    try FileManager.default.createSymbolicLink(atPath: ws.path("state-link.json"), withDestinationPath: "state.json")
    let saved = try CLI.run(["sequence"] + files + ["--tune", "omega", "--state", ws.path("state-link.json")])
    #expect(saved.status == 0, "\(saved.stderr)")
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: ws.path("state-link.json")) == "state.json")
    #expect(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: ws.path("state.json")))) is [String: Any])
  }

  @Test("A symlink at the output path survives and its target holds the solution")
  func symlinkWrittenThrough() throws {
    let ws = try Workspace()
    defer { ws.cleanUp() }
    try FileManager.default.createDirectory(atPath: ws.path("real"), withIntermediateDirectories: false)
    try "old\n".write(toFile: ws.path("real/x.mtx"), atomically: false, encoding: .utf8)
    try FileManager.default.createSymbolicLink(atPath: ws.path("x.mtx"), withDestinationPath: "real/x.mtx")
    let run = try CLI.run([ws.a, "--output", ws.path("x.mtx")])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: ws.path("x.mtx")) == "real/x.mtx")
    #expect(try MatrixMarket.readVector(path: ws.path("real/x.mtx")) == [1, 1])
    #expect(try FileManager.default.contentsOfDirectory(atPath: ws.path("real")) == ["x.mtx"])  // no temporary left

    // A dangling symlink: its target is created.
    try FileManager.default.createSymbolicLink(atPath: ws.path("y.mtx"), withDestinationPath: ws.path("real/y.mtx"))
    #expect(try CLI.run([ws.a, "--output", ws.path("y.mtx")]).status == 0)
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: ws.path("y.mtx")) == ws.path("real/y.mtx"))
    #expect(try MatrixMarket.readVector(path: ws.path("real/y.mtx")) == [1, 1])
  }

  @Test("--output /dev/null stays a character device; /dev/null for two outputs is allowed")
  func devNull() throws {
    let ws = try Workspace()
    defer { ws.cleanUp() }
    let run = try CLI.run([ws.a, "--method", "cg", "--output", "/dev/null", "--history", "/dev/null"])
    #expect(run.status == 0, "\(run.stderr)")
    var info = stat()
    #expect(lstat("/dev/null", &info) == 0)
    #expect(UInt32(info.st_mode) & 0o170000 == 0o020000, "/dev/null is no longer a character device")
  }

  @Test("--output /dev/stdout prints the solution on standard output")
  func devStdout() throws {
    let ws = try Workspace()
    defer { ws.cleanUp() }
    let run = try CLI.run([ws.a, "--output", "/dev/stdout"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout.hasPrefix(Self.banner + "\n"), "\(run.stdout)")
    #expect(run.stdout.contains("2 1\n1\n1\n"))
    #expect(run.stdout.contains("written to /dev/stdout"))  // the report follows the solution
  }

  @Test("A FIFO at the output path receives the solution")
  func fifo() throws {
    let ws = try Workspace()
    defer { ws.cleanUp() }
    let fifo = ws.path("x.fifo")
    #expect(mkfifo(fifo, 0o600) == 0)
    // A concurrent reader; it blocks in open(2) until solve opens the FIFO for writing.
    let reader = Process()
    reader.executableURL = URL(fileURLWithPath: "/bin/cat")
    reader.arguments = [fifo]
    let pipe = Pipe()
    reader.standardOutput = pipe
    try reader.run()
    let run = try CLI.run([ws.a, "--output", fifo])
    if run.status != 0 {  // solve never opened it: release the reader
      let fd = open(fifo, O_WRONLY | O_NONBLOCK)
      if fd >= 0 { close(fd) } else { reader.terminate() }
    }
    let received = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    reader.waitUntilExit()
    #expect(run.status == 0, "\(run.stderr)")
    #expect(received.hasPrefix(Self.banner + "\n") && received.hasSuffix("2 1\n1\n1\n"), "\(received)")
    var info = stat()
    #expect(lstat(fifo, &info) == 0 && UInt32(info.st_mode) & 0o170000 == 0o010000, "the FIFO was replaced")
  }
}
