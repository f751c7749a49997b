import Foundation
import Testing

@Suite("solve CLI")
struct SolveCLITests {
  @Test("cholesky --json on the bundled Poisson matrix reports a true residual ≤ 1e-12")
  func choleskyJSON() throws {
    let run = try CLI.run([CLI.data("poisson2d_32.mtx"), "--method", "cholesky", "--json"])
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    for key in ["method", "reason", "converged", "iterations", "relativeResidual", "seconds", "rows", "nonzeros",
                "readSeconds", "setupSeconds", "solveSeconds", "threads"] {
      #expect(json[key] != nil, "missing \(key)")
    }
    #expect(json["method"] as? String == "cholesky")
    #expect(json["reason"] as? String == "converged")
    #expect(json["converged"] as? Bool == true)
    #expect(json["rows"] as? Int == 1024)
    #expect(json["nonzeros"] as? Int == 4992)
    #expect(json["rhs"] as? String == "A·1")
    let residual = try #require(json["relativeResidual"] as? Double)
    #expect(residual <= 1e-12)
  }

  @Test("lu on the nonsymmetric matrix with an output file")
  func luOutput() throws {
    let out = try CLI.temporaryDirectory().appendingPathComponent("x.mtx").path
    let run = try CLI.run([CLI.data("convdiff_20.mtx"), "--method", "lu", "--output", out])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stderr.contains("b = A·1"))
    #expect(run.stdout.contains("converged"))
    let written = try String(contentsOfFile: out, encoding: .utf8)
    #expect(written.lowercased().hasPrefix("%%matrixmarket matrix array real general"))
    // b = A·1, so the solution is all ones.
    let values = written.split(separator: "\n").filter { !$0.hasPrefix("%") }.dropFirst().compactMap { Double($0) }
    #expect(values.count == 400)
    #expect(values.allSatisfy { abs($0 - 1) < 1e-10 })
  }

  @Test("auto picks Cholesky for an SPD matrix and LU for a nonsymmetric one")
  func autoChoice() throws {
    let spd = try CLI.run([CLI.data("fem_spd.mtx"), "--json"])
    #expect(try spd.json()["method"] as? String == "cholesky")
    let nonsymmetric = try CLI.run([CLI.data("convdiff_20.mtx"), "--json"])
    #expect(try nonsymmetric.json()["method"] as? String == "lu")
  }

  @Test("A right-hand side file is used")
  func rhsFile() throws {
    let run = try CLI.run([CLI.data("poisson2d_32.mtx"), CLI.data("rhs_poisson2d_32.mtx"), "--json"])
    #expect(run.status == 0)
    #expect(try run.json()["rhs"] as? String == CLI.data("rhs_poisson2d_32.mtx"))
  }

  @Test("Bad input exits 2 with one line naming the file and line", arguments: [
    ("%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n0 2 1\n", "4"),
    ("%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 1\n2 2 1\n", "4"),
    ("%%MatrixMarket matrix coordinate complex general\n2 2 1\n1 1 1 0\n", "1"),
    ("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 nan\n", "3"),
    ("%%MatrixMarket matrix coordinate real general\n1000000000000 1000000000000 1\n1 1 1\n", "2"),
    ("not a matrix market file\n", "1"),
  ])
  func badFiles(text: String, line: String) throws {
    let path = try CLI.file("bad.mtx", text)
    let run = try CLI.run([path, "--method", "lu"])
    #expect(run.status == 2)
    let lines = run.stderr.split(separator: "\n")
    #expect(lines.count == 1, "expected one line, got: \(run.stderr)")
    #expect(run.stderr.contains("\(path):\(line):"), "\(run.stderr)")
    #expect(run.stdout.isEmpty)
  }

  @Test("A missing file, a wrong-length b, a non-square A and an unknown method exit 2")
  func otherBadInput() throws {
    let missing = try CLI.run(["/nonexistent/A.mtx"])
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("/nonexistent/A.mtx"))

    let shortB = try CLI.file("b.mtx", "%%MatrixMarket matrix array real general\n3 1\n1\n2\n3\n")
    let wrongLength = try CLI.run([CLI.data("poisson2d_32.mtx"), shortB])
    #expect(wrongLength.status == 2)
    #expect(wrongLength.stderr.contains("3 entries"))

    let rect = try CLI.file("r.mtx", "%%MatrixMarket matrix coordinate real general\n2 3 1\n1 1 1\n")
    let nonSquare = try CLI.run([rect])
    #expect(nonSquare.status == 2)
    #expect(nonSquare.stderr.contains("2×3"))

    let unknown = try CLI.run([CLI.data("poisson2d_32.mtx"), "--method", "magic"])
    #expect(unknown.status == 2)
    #expect(unknown.stderr.split(separator: "\n").count == 1)
  }

  @Test("Cholesky on an indefinite matrix exits 2 saying so")
  func indefinite() throws {
    let path = try CLI.file("indef.mtx", "%%MatrixMarket matrix coordinate real symmetric\n2 2 3\n1 1 1\n2 1 2\n2 2 1\n")
    let run = try CLI.run([path, "--method", "cholesky"])
    #expect(run.status == 2)
    #expect(run.stderr.contains("positive definite"), "\(run.stderr)")
  }

  @Test("--help exits 0 and lists the methods")
  func help() throws {
    let run = try CLI.run(["system", "--help"])
    #expect(run.status == 0)
    #expect(run.stdout.contains("cholesky"))
  }
}
