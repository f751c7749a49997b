import Foundation
import LinSolve
import Testing

@Suite("solve CLI: least squares and sketching")
struct LeastSquaresCLITests {
  /// A tall, full-rank, inconsistent problem written to a temporary folder.
  static func tallProblem() throws -> (a: String, b: String, x: [Double]) {
    let m = 600, n = 40
    var entries: [(row: Int, column: Int, value: Double)] = []
    var state: UInt64 = 12345
    func next() -> Double {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Double(state >> 11) / Double(1 << 53) - 0.5
    }
    for i in 0..<m {
      entries.append((i, i % n, 2 + next()))
      entries.append((i, (7 * i + 3) % n, next()))
    }
    let a = try SparseMatrix(rows: m, columns: n, entries: entries)
    let b = (0..<m).map { _ in next() }
    let dir = try CLI.temporaryDirectory()
    let aPath = dir.appendingPathComponent("tall.mtx").path, bPath = dir.appendingPathComponent("b.mtx").path
    try MatrixMarket.write(a, to: aPath)
    try MatrixMarket.write(vector: b, to: bPath)
    return (aPath, bPath, try DenseLeastSquares.solve(a, b))
  }

  @Test("Every least-squares method matches dgels on a tall system",
        arguments: ["auto", "lapack", "lsqr", "lsmr", "sketch-lsqr", "iterative-sketch"])
  func tall(method: String) throws {
    let (a, b, reference) = try Self.tallProblem()
    let out = try CLI.temporaryDirectory().appendingPathComponent("x.mtx").path
    let run = try CLI.run([a, b, "--method", method, "--output", out, "--json"])
    #expect(run.status == 0, "\(method): \(run.stderr)")
    let json = try run.json()
    #expect(try #require(json["backwardError"] as? Double) <= 1e-9, "\(method)")
    let x = try MatrixMarket.readVector(path: out)
    let error = Vector.norm(zip(x, reference).map { $0 - $1 }) / Vector.norm(reference)
    #expect(error <= 1e-8, "\(method): forward error \(error)")
  }

  @Test("A rectangular matrix given to a square method exits 2 and names the alternatives")
  func rectangularToCG() throws {
    let (a, b, _) = try Self.tallProblem()
    let run = try CLI.run([a, b, "--method", "cg"])
    #expect(run.status == 2)
    #expect(run.stderr.contains("lsqr"))
  }

  @Test("Kaczmarz solves a consistent tall system; the seed makes it reproducible")
  func kaczmarz() throws {
    let (a, _, _) = try Self.tallProblem()
    let first = try CLI.run([a, "--method", "kaczmarz", "--seed", "5", "--json"])
    let second = try CLI.run([a, "--method", "kaczmarz", "--seed", "5", "--json"])
    #expect(first.status == 0, "\(first.stderr)")
    #expect(try #require(first.json()["relativeResidual"] as? Double) <= 1e-7)
    #expect(try first.json()["iterations"] as? Int == second.json()["iterations"] as? Int)
  }

  @Test("--preconditioner nystrom needs --shift, and works with CG")
  func nystrom() throws {
    let missing = try CLI.run([CLI.data("fem_spd.mtx"), "--method", "cg", "--preconditioner", "nystrom"])
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("--shift"))
    let run = try CLI.run([CLI.data("fem_spd.mtx"), "--method", "cg", "--preconditioner", "nystrom",
                           "--shift", "0.001", "--rank", "32", "--json"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(try run.json()["preconditioner"] as? String == "nystrom(32)")
  }
}
