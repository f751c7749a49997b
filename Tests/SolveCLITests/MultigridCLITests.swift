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
