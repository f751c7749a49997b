import Foundation
import Testing

@Suite("solve CLI: algebraic multigrid")
struct MultigridCLITests {
  @Test("pcg + amg-sa converges in far fewer iterations than pcg + jacobi")
  func amgSA() throws {
    let amg = try CLI.run([CLI.data("poisson2d_32.mtx"), "--method", "pcg", "--preconditioner", "amg-sa", "--json"])
    #expect(amg.status == 0, "\(amg.stderr)")
    let amgJSON = try amg.json()
    #expect(amgJSON["converged"] as? Bool == true)
    #expect(try #require(amgJSON["relativeResidual"] as? Double) <= 1e-8)
    #expect(amgJSON["preconditioner"] as? String == "amg-sa")
    let jacobi = try CLI.run([CLI.data("poisson2d_32.mtx"), "--method", "pcg", "--preconditioner", "jacobi", "--json"])
    #expect(jacobi.status == 0, "\(jacobi.stderr)")
    let amgIterations = try #require(amgJSON["iterations"] as? Int)
    let jacobiIterations = try #require(try jacobi.json()["iterations"] as? Int)
    #expect(amgIterations > 0)
    #expect(amgIterations * 4 <= jacobiIterations, "amg-sa \(amgIterations), jacobi \(jacobiIterations)")
  }
}

@Suite("solve CLI: classical AMG")
struct RugeStubenCLITests {
  @Test("pcg + amg (Ruge–Stüben) converges; --view names it; gmres + amg solves a nonsymmetric matrix")
  func classical() throws {
    let run = try CLI.run([CLI.data("poisson2d_32.mtx"), "--method", "pcg", "--preconditioner", "amg", "--json", "--view"])
    #expect(run.status == 0, "\(run.stderr)")
    let json = try run.json()
    #expect(json["converged"] as? Bool == true && json["preconditioner"] as? String == "amg")
    #expect(try #require(json["iterations"] as? Int) <= 10)
    #expect(run.stderr.contains("θ default") && run.stderr.contains("operator complexity"), "\(run.stderr)")
    let stationary = try CLI.run([CLI.data("poisson2d_32.mtx"), "--method", "amg", "--preconditioner", "amg", "--json"])
    #expect(stationary.status == 0, "\(stationary.stderr)")
    let stationaryJSON = try stationary.json()
    #expect(stationaryJSON["preconditioner"] as? String == "amg" && stationaryJSON["converged"] as? Bool == true)
    let refused = try CLI.run([CLI.data("poisson2d_32.mtx"), "--method", "amg", "--preconditioner", "ic0"])
    #expect(refused.status == 2 && refused.stderr.contains("amg takes amg or amg-sa"), "\(refused.stderr)")
    let gmres = try CLI.run([CLI.data("convdiff_20.mtx"), "--method", "gmres", "--preconditioner", "amg", "--json"])
    #expect(gmres.status == 0, "\(gmres.stderr)")
    #expect(try gmres.json()["converged"] as? Bool == true)
  }
}

@Suite("solve sequence with a fixed strategy and AMG reuse")
struct MultigridSequenceCLITests {
  @Test("--method cg --preconditioner amg-sa solves every system, building once and refreshing after")
  func fixedStrategyReuse() throws {
    let files = (0..<8).map { CLI.data(String(format: "sequence/shifted_%02d.mtx", $0)) }
    let run = try CLI.run(["sequence"] + files + ["--method", "cg", "--preconditioner", "amg-sa"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stderr.components(separatedBy: "built").count == 2, "\(run.stderr)")
    #expect(run.stderr.components(separatedBy: "refreshed").count == 8, "\(run.stderr)")
    let json = try CLI.run(["sequence"] + files + ["--method", "cg", "--preconditioner", "amg-sa", "--json"]).json()
    let systems = try #require(json["systems"] as? [[String: Any]])
    #expect(systems.count == 8)
    #expect(systems.allSatisfy { $0["reason"] as? String == "converged" })
    let refused = try CLI.run(["sequence"] + files + ["--recycle", "2", "--preconditioner", "amg-sa"])
    #expect(refused.status == 2, "\(refused.stderr)")
  }
}

@Suite("solve --method amg and the AMG options")
struct MultigridOptionsCLITests {
  @Test("--method amg converges; --view prints the hierarchy; --amg-cycle w; a bad --amg-theta or --amg-cycle exits 2")
  func options() throws {
    let matrix = CLI.data("poisson2d_32.mtx")
    let amg = try CLI.run([matrix, "--method", "amg", "--json"])
    #expect(amg.status == 0, "\(amg.stderr)")
    let iterations = try #require(try amg.json()["iterations"] as? Int)
    #expect(iterations > 0 && iterations <= 30)
    let view = try CLI.run([matrix, "--method", "pcg", "--preconditioner", "amg-sa", "--amg-theta", "0.1", "--amg-smoother", "jacobi", "--view"])
    #expect(view.status == 0, "\(view.stderr)")
    #expect(view.stdout.contains("AMG hierarchy") && view.stdout.contains("operator complexity"), "\(view.stdout)")
    #expect(view.stdout.contains("θ 0.1, jacobi 1/1, V-cycle"), "\(view.stdout)")
    let w = try CLI.run([matrix, "--method", "pcg", "--preconditioner", "amg-sa", "--amg-cycle", "w", "--view", "--json"])
    #expect(w.status == 0, "\(w.stderr)")
    #expect(w.stderr.contains("W-cycle"), "\(w.stderr)")
    let wJSON = try w.json()
    #expect(wJSON["converged"] as? Bool == true)
    #expect(try #require(wJSON["iterations"] as? Int) <= iterations)
    let badCycle = try CLI.run([matrix, "--method", "amg", "--amg-cycle", "f"])
    #expect(badCycle.status == 2 && badCycle.stderr.contains("--amg-cycle"), "\(badCycle.stderr)")
    let bad = try CLI.run([matrix, "--method", "amg", "--amg-theta", "2"])
    #expect(bad.status == 2)
    #expect(bad.stderr.contains("--amg-theta"), "\(bad.stderr)")
  }
}

