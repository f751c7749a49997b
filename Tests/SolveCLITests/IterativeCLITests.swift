import Foundation
import Testing

@Suite("solve CLI: iterative methods")
struct IterativeCLITests {
  @Test("pcg + ic0 converges with a true relative residual ≤ 1e-8", arguments: ["jacobi", "ssor", "ic0", "cholesky", "none"])
  func pcg(preconditioner: String) throws {
    let run = try CLI.run([CLI.data("poisson2d_32.mtx"), "--method", "pcg", "--preconditioner", preconditioner, "--json"])
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    #expect(json["converged"] as? Bool == true)
    #expect(try #require(json["relativeResidual"] as? Double) <= 1e-8)
    #expect((json["iterations"] as? Int ?? 0) > 0)
    for key in ["solveSeconds", "setupSeconds", "readSeconds", "threads"] { #expect(json[key] != nil) }
  }

  @Test("Each iterative method solves the matrix it applies to", arguments: [
    ("poisson2d_32.mtx", "cg"), ("poisson2d_32.mtx", "sor"), ("poisson2d_32.mtx", "ssor"),
    ("poisson2d_32.mtx", "minres"), ("convdiff_20.mtx", "gmres"), ("convdiff_20.mtx", "bicgstab"),
  ])
  func methods(file: String, method: String) throws {
    let run = try CLI.run([CLI.data(file), "--method", method, "--omega", "1.8", "--rtol", "1e-8", "--json"])
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    #expect(json["method"] as? String == method)
    #expect(try #require(json["relativeResidual"] as? Double) <= 1e-7)
  }

  @Test("Non-convergence exits 1, still writes the solution, and says why in one line")
  func notConverged() throws {
    let out = try CLI.temporaryDirectory().appendingPathComponent("x.mtx").path
    let run = try CLI.run([CLI.data("poisson2d_32.mtx"), "--method", "cg", "--max-iterations", "3", "--output", out])
    #expect(run.status == 1)
    #expect(run.stderr.contains("maxIterations after 3 iterations"))
    #expect(FileManager.default.fileExists(atPath: out))
  }

  @Test("--monitor prints k = 0 … iterations; --history writes a CSV")
  func monitorAndHistory() throws {
    let csv = try CLI.temporaryDirectory().appendingPathComponent("h.csv").path
    let run = try CLI.run([CLI.data("poisson2d_32.mtx"), "--method", "cg", "--max-iterations", "5",
                           "--monitor", "--history", csv])
    #expect(run.status == 1)
    let monitorLines = run.stdout.split(separator: "\n").filter { $0.contains("residual norm") }
    #expect(monitorLines.count == 6)
    let history = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
    #expect(history.first == "iteration,residual")
    #expect(history.count == 7)
  }

  @Test("--view explains what auto chose, on standard output")
  func view() throws {
    let run = try CLI.run([CLI.data("convdiff_20.mtx"), "--view"])
    #expect(run.status == 0)
    #expect(run.stdout.contains("auto: n = 400 ≤ 5000 and not symmetric"))
  }

  @Test("Invalid parameters exit 2 with one line", arguments: [
    ["--method", "sor", "--omega", "2.5"], ["--rtol", "0"], ["--rtol", "2"], ["--max-iterations", "-1"],
    ["--method", "gmres", "--restart", "0"], ["--method", "sor", "--preconditioner", "jacobi"],
  ])
  func invalid(arguments: [String]) throws {
    let run = try CLI.run([CLI.data("poisson2d_32.mtx")] + arguments)
    #expect(run.status == 2, "\(arguments): \(run.stderr)")
    #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
  }

  @Test("An x0 of the wrong length is rejected")
  func badX0() throws {
    let x0 = try CLI.file("x0.mtx", "%%MatrixMarket matrix array real general\n2 1\n1\n1\n")
    let run = try CLI.run([CLI.data("poisson2d_32.mtx"), "--method", "cg", "--x0", x0])
    #expect(run.status == 2)
    #expect(run.stderr.contains("initial guess has 2 entries"))
  }
}
