import Foundation
import LinSolve
import Testing

/// What a new user meets first (issue 17): help, version, error lines, JSON errors, the
/// divergence test, threads, --view and monitors for every method.
@Suite("solve CLI: help, version, errors, monitors")
struct UsabilityCLITests {
  @Test("solve --help, -h and help show the solve options and the sequence subcommand")
  func help() throws {
    for arguments in [["--help"], ["-h"], ["help"], []] {
      let run = try CLI.run(arguments)
      #expect(run.status == 0, "\(arguments): \(run.stderr)")
      for option in ["--method", "--rtol", "--atol", "--dtol", "--max-iterations", "--threads", "--monitor", "--json",
                     "--view", "solve sequence", "cholesky", "lsqr"] {
        #expect(run.stdout.contains(option), "\(arguments): help lacks \(option)")
      }
      #expect(!run.stdout.contains("Error"), "\(arguments): \(run.stdout)")
    }
    let sequence = try CLI.run(["sequence", "--help"])
    #expect(sequence.status == 0)
    #expect(sequence.stdout.contains("--tune"))
  }

  @Test("--version prints the library's version, the one in --json and CHANGELOG.md")
  func version() throws {
    let run = try CLI.run(["--version"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == LinSolve.version)
    #expect(LinSolve.version.split(separator: ".").count == 3 && LinSolve.version.split(separator: ".").allSatisfy { Int($0) != nil })
    let json = try CLI.run([CLI.data("poisson2d_32.mtx"), "--json"])
    #expect(try json.json()["version"] as? String == LinSolve.version)
    let changelog = try String(contentsOf: CLI.root.appendingPathComponent("CHANGELOG.md"), encoding: .utf8)
    let newest = changelog.split(separator: "\n").first { $0.hasPrefix("## [") && !$0.hasPrefix("## [Unreleased]") }
    #expect(newest?.hasPrefix("## [\(LinSolve.version)]") == true, "CHANGELOG's newest release: \(newest ?? "none")")
  }

  @Test("One 'error:' prefix; --method foo lists the methods; --rtol -1 is an invalid value")
  func errorLines() throws {
    let unknown = try CLI.run([CLI.data("poisson2d_32.mtx"), "--method", "foo"])
    #expect(unknown.status == 2)
    #expect(unknown.stderr.hasPrefix("solve: error: "), "\(unknown.stderr)")
    #expect(!unknown.stderr.contains("Error:"), "\(unknown.stderr)")
    #expect(unknown.stderr.split(separator: "\n").count == 1, "\(unknown.stderr)")
    for method in ["cg", "gmres", "cholesky", "lsqr", "kaczmarz", "sketch-project"] {
      #expect(unknown.stderr.contains(method), "\(unknown.stderr) lacks \(method)")
    }
    let negative = try CLI.run([CLI.data("poisson2d_32.mtx"), "--rtol", "-1"])
    #expect(negative.status == 2)
    #expect(negative.stderr.contains("--rtol -1"), "\(negative.stderr)")
    #expect(!negative.stderr.contains("Missing value"), "\(negative.stderr)")
    let missing = try CLI.run(["--method", "cg"])
    #expect(missing.status == 2)
    #expect(missing.stderr == "solve: error: Missing expected argument '<matrix>'\n", "\(missing.stderr)")
  }

  @Test("--json: every error is {error, file, line} on standard output, exit 2", arguments: [
    (["--method", "foo"], nil as String?, nil as Int?),
    (["--rtol", "-1"], nil, nil),
    (["--threads", "0"], nil, nil),
  ])
  func jsonErrors(extra: [String], file: String?, line: Int?) throws {
    let run = try CLI.run([CLI.data("poisson2d_32.mtx"), "--json"] + extra)
    #expect(run.status == 2)
    let json = try run.json()
    #expect((json["error"] as? String)?.isEmpty == false, "\(run.stdout)")
    #expect(json.keys.sorted() == ["error", "file", "line"])
    #expect(json["file"] is NSNull && json["line"] is NSNull)
  }

  @Test("solve sequence: version in its JSON, negative values read as values, JSON errors")
  func sequence() throws {
    let matrices = (0..<2).map { CLI.data("sequence/shifted_0\($0).mtx") }
    let run = try CLI.run(["sequence"] + matrices + ["--json"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(try run.json()["version"] as? String == LinSolve.version)
    let negative = try CLI.run(["sequence"] + matrices + ["--rtol", "-1", "--json"])
    #expect(negative.status == 2)
    #expect(try negative.json()["error"] as? String == "--rtol -1.0 is not in (0, 1]", "\(negative.stdout)")
  }

  @Test("--json: a malformed file's error names the file and the line")
  func jsonFileError() throws {
    let path = try CLI.file("bad.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n0 2 1\n")
    let run = try CLI.run([path, "--json"])
    #expect(run.status == 2)
    let json = try run.json()
    #expect(json["file"] as? String == path)
    #expect(json["line"] as? Int == 4)
    #expect((json["error"] as? String)?.contains("row index") == true, "\(run.stdout)")
    let missing = try CLI.run(["/nonexistent/A.mtx", "--json"])
    #expect(try missing.json()["file"] as? String == "/nonexistent/A.mtx")
  }

  @Test("--dtol: CG on a nonsymmetric matrix warns and stops with diverged; SOR on an indefinite one too")
  func divergence() throws {
    let cg = try CLI.run([CLI.data("convdiff_20.mtx"), "--method", "cg", "--dtol", "100", "--json"])
    #expect(cg.status == 1)
    #expect(cg.stderr.contains("warning") && cg.stderr.contains("not symmetric"), "\(cg.stderr)")
    let json = try cg.json()
    #expect(json["reason"] as? String == "diverged")
    #expect(try #require(json["iterations"] as? Int) < 1_000)
    #expect(json["dtol"] as? Double == 100)
    // Symmetric 2×2 indefinite: [[1, 2], [2, 1]].
    let indefinite = try CLI.file("indef.mtx", "%%MatrixMarket matrix coordinate real symmetric\n2 2 3\n1 1 1\n2 1 2\n2 2 1\n")
    let sor = try CLI.run([indefinite, "--method", "sor", "--json"])
    #expect(sor.status == 1)
    #expect(try sor.json()["reason"] as? String == "diverged")
    #expect(try #require(sor.json()["iterations"] as? Int) < 100)
    let bad = try CLI.run([indefinite, "--method", "sor", "--dtol", "0.5"])
    #expect(bad.status == 2)
  }

  @Test("--threads is honoured (--view, JSON) and 0 or negative is refused; so is a bad LINSOLVE_NUM_THREADS")
  func threads() throws {
    let one = try CLI.run([CLI.data("poisson2d_32.mtx"), "--method", "cg", "--threads", "1", "--view"])
    #expect(one.status == 0, "\(one.stderr)")
    #expect(one.stdout.contains("threads         1"), "\(one.stdout)")
    for setting in ["rtol", "atol", "dtol", "max iterations", "time limit"] {
      #expect(one.stdout.contains("  \(setting) "), "--view lacks \(setting): \(one.stdout)")
    }
    let json = try CLI.run([CLI.data("poisson2d_32.mtx"), "--method", "cg", "--threads", "1", "--json"])
    #expect(try json.json()["threads"] as? Int == 1)
    for bad in ["0", "-2", "1000"] {
      let run = try CLI.run([CLI.data("poisson2d_32.mtx"), "--threads", bad])
      #expect(run.status == 2, "--threads \(bad)")
      #expect(run.stderr.contains("--threads"), "\(run.stderr)")
    }
    let environment = try CLI.run([CLI.data("poisson2d_32.mtx"), "--method", "cg", "--json"], environment: ["LINSOLVE_NUM_THREADS": "1"])
    #expect(try environment.json()["threads"] as? Int == 1)
    let badEnvironment = try CLI.run([CLI.data("poisson2d_32.mtx")], environment: ["LINSOLVE_NUM_THREADS": "zero"])
    #expect(badEnvironment.status == 2)
    #expect(badEnvironment.stderr.contains("LINSOLVE_NUM_THREADS"))
  }

  @Test("--monitor and --history for every kind of method; with --json the monitor goes to stderr",
        arguments: ["lsqr", "lsmr", "kaczmarz", "sketch-lsqr", "iterative-sketch", "lapack"])
  func leastSquaresMonitor(method: String) throws {
    let (a, b, _) = try LeastSquaresCLITests.tallProblem()
    let system = method == "kaczmarz" ? [a] : [a, b]  // Kaczmarz needs a consistent system: b = A·1
    let csv = try CLI.temporaryDirectory().appendingPathComponent("h.csv").path
    let text = try CLI.run(system + ["--method", method, "--monitor", "--history", csv])
    #expect(text.status == 0, "\(method): \(text.stderr)")
    let lines = text.stdout.split(separator: "\n").filter { $0.contains("residual norm") }
    #expect(!lines.isEmpty, "\(method): no monitor lines")
    let history = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
    #expect(history.first == "iteration,residual")
    #expect(history.count == lines.count + 1, "\(method): \(history.count - 1) rows for \(lines.count) lines")
    let json = try CLI.run(system + ["--method", method, "--monitor", "--json"])
    #expect(json.status == 0)
    #expect(json.stderr.contains("residual norm"), "\(method): \(json.stderr)")
    #expect(try json.json()["method"] != nil)
  }

  @Test("A direct solve's monitor has one line per phase: analyse, factorize, solve")
  func directMonitor() throws {
    let cholesky = try CLI.run([CLI.data("poisson2d_32.mtx"), "--method", "cholesky", "--monitor"])
    #expect(cholesky.status == 0)
    for phase in ["phase analyse", "phase factorize", "phase solve"] {
      #expect(cholesky.stdout.contains(phase), "\(cholesky.stdout)")
    }
    let lu = try CLI.run([CLI.data("convdiff_20.mtx"), "--method", "lu", "--monitor"])
    #expect(lu.stdout.contains("phase analyse and factorize") && lu.stdout.contains("phase solve"), "\(lu.stdout)")
  }

  @Test("Least-squares JSON has the keys every method's JSON has", arguments: ["lsqr", "lapack", "sketch-lsqr"])
  func oneSchema(method: String) throws {
    let (a, b, _) = try LeastSquaresCLITests.tallProblem()
    let ls = try CLI.run([a, b, "--method", method, "--json"]).json()
    let cg = try CLI.run([CLI.data("poisson2d_32.mtx"), "--method", "cg", "--json"]).json()
    #expect(ls.keys.sorted() == cg.keys.sorted())
    for key in ["rtol", "maxIterations", "preconditioner", "atol", "dtol", "version"] {
      #expect(ls[key] != nil, "\(method) lacks \(key)")
    }
    #expect(ls["rtol"] as? Double == 1e-8)
    if method != "lapack" {
      #expect(ls["maxIterations"] as? Int != nil)
      #expect(ls["preconditioner"] as? String != nil)
    }
  }
}
