import ArgumentParser
import Foundation
import LinSolve

/// `experiments poisson`: iterations, time and true residual of every method on 2-D and 3-D
/// Poisson problems of growing size, and the growth rates (log-log slopes of iterations
/// against N). Theory: ≈ 1 for CG and optimal-ω SOR, ≈ 2 for Gauss–Seidel, ≈ 0.5 for
/// IC(0)-PCG and SSOR-PCG at the best ω, 0 for Cholesky.
struct PoissonExperiment: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "poisson",
    abstract: "Methods on 2-D and 3-D Poisson: iterations and seconds against N.")

  @Option(name: .customLong("sizes-2d"), help: "2-D grid sizes N (n = N²).")
  var sizes2D: String = "32,64,128,256,512"

  @Option(name: .customLong("sizes-3d"), help: "3-D grid sizes N (n = N³).")
  var sizes3D: String = "16,32,64"

  @Option(help: "Relative tolerance.")
  var rtol: Double = 1e-8

  @Option(help: "Iteration cap for the stationary methods (Gauss–Seidel needs ≈ 1.9·N² sweeps).")
  var stationaryCap: Int = 40_000

  @Option(help: "2-D size at which residual histories are recorded.")
  var historySize: Int = 256

  @Option(help: "Output folder.")
  var output: String = "results"

  func run() throws {
    let grids2D = try parse(sizes2D), grids3D = try parse(sizes3D)
    var rows: [[String]] = []
    var histories: [[String]] = []
    var points: [String: [(Double, Double)]] = [:]
    say("Poisson experiment: rtol \(rtol), b = A·1, x0 = 0, threads \(Parallel.threads)")
    say("dim     N         n  " + pad("method", 22) + "    iters    seconds    rel.res  reason")
    for (dimension, grids) in [(2, grids2D), (3, grids3D)] {
      for size in grids {
        let a = dimension == 2 ? Poisson.matrix2D(size) : Poisson.matrix3D(size)
        let b = a.applied(to: [Double](repeating: 1, count: a.rows))
        let record = dimension == 2 && size == historySize
        for method in PoissonMethod.all(size: size) {
          if let predicted = method.expectedSweeps?(size), predicted > Double(stationaryCap) {
            say(String(format: "%-4d %5d %9d  ", dimension, size, a.rows) + pad(method.name, 22)
                  + String(format: "  skipped: needs ≈ %.0f sweeps > --stationary-cap %d", predicted, stationaryCap))
            continue
          }
          let run = try method.run(a, b, rtol: rtol, stationaryCap: stationaryCap, recordHistory: record)
          let relative = run.result.trueResidualNorm / run.result.rhsNorm
          rows.append(["\(dimension)", "\(size)", "\(a.rows)", method.name, method.omega.map { "\($0)" } ?? "", "\(run.result.iterations)",
                       "\(run.seconds)", "\(run.setupSeconds)", "\(relative)", run.result.reason.rawValue])
          say(String(format: "%-4d %5d %9d  ", dimension, size, a.rows) + pad(method.name, 22)
                + String(format: " %8d %10.4f %10.2e  ", run.result.iterations, run.seconds, relative)
                + run.result.reason.rawValue)
          if run.result.converged && method.iterative {
            points["\(dimension)d:\(method.name)", default: []].append((Double(size), Double(run.result.iterations)))
          }
          if record, let h = run.result.residualHistory {
            histories += h.enumerated().map { [method.name, "\(size)", "\($0.offset)", "\($0.element / run.result.rhsNorm)"] }
          }
        }
      }
    }
    try writeCSV("\(output)/poisson.csv",
                 header: ["dimension", "N", "n", "method", "omega", "iterations", "seconds", "setup_seconds", "relative_residual", "reason"],
                 rows: rows)
    try writeCSV("\(output)/poisson_history.csv", header: ["method", "N", "iteration", "relative_residual"], rows: histories)

    say("\nGrowth of iterations with N (log-log slope over the converged sizes):")
    var slopeRows: [[String]] = []
    for key in points.keys.sorted() {
      let p = points[key]!
      guard let slope = logLogSlope(p.map(\.0), p.map(\.1)) else { continue }
      slopeRows.append([key, String(format: "%.3f", slope), "\(p.count)"])
      say("  " + pad(key, 28) + String(format: " slope %.2f  (%d sizes)", slope, p.count))
    }
    try writeCSV("\(output)/poisson_slopes.csv", header: ["series", "slope", "sizes"], rows: slopeRows)
    say("\nWrote \(output)/poisson.csv, \(output)/poisson_history.csv, \(output)/poisson_slopes.csv")
  }

  private func parse(_ list: String) throws -> [Int] {
    try list.split(separator: ",").map {
      guard let v = Int($0.trimmingCharacters(in: .whitespaces)), v > 0 else {
        throw ValidationError("bad size '\($0)' in '\(list)'")
      }
      return v
    }
  }
}

/// One method of the Poisson experiment.
struct PoissonMethod {
  var name: String
  var iterative = true
  /// The relaxation parameter, for the methods that have one.
  var omega: Double?
  /// A prediction of the iterations needed at grid size N (to skip hopeless runs).
  var expectedSweeps: ((Int) -> Double)?
  var body: (SparseMatrix, [Double], StoppingCriterion, Bool) throws -> (SolveResult, Double)

  struct Run {
    var result: SolveResult
    var seconds: Double
    var setupSeconds: Double
  }

  func run(_ a: SparseMatrix, _ b: [Double], rtol: Double, stationaryCap: Int, recordHistory: Bool) throws -> Run {
    let stationary = name.hasPrefix("SOR")
    let stopping = StoppingCriterion(rtol: rtol, maxIterations: stationary ? stationaryCap : 100_000)
    let ((result, setup), total) = try timed { try body(a, b, stopping, recordHistory) }
    return Run(result: result, seconds: total, setupSeconds: setup)
  }

  /// Young's optimal ω for the Poisson matrix on an N-point grid: 2/(1 + sin πh), h = 1/(N+1).
  static func youngOmega(_ size: Int) -> Double { 2 / (1 + sin(Double.pi / Double(size + 1))) }

  /// The methods compared; `size` sets the optimal ω.
  static func all(size: Int) -> [PoissonMethod] {
    let omega = youngOmega(size)
    // SSOR-PCG's best ω on Poisson ≈ 2/(1 + √(2 sin(πh/2)))-ish; we take the value that minimises
    // the SSOR condition bound, 2/(1 + 2 sin(πh/2)) (Axelsson 1994), close to the measured best.
    let ssorOmega = 2 / (1 + 2 * sin(Double.pi / Double(2 * (size + 1))))
    func pcg(_ name: String, omega: Double? = nil, _ make: @escaping (SparseMatrix) throws -> (any Preconditioner)?) -> PoissonMethod {
      PoissonMethod(name: name, omega: omega) { a, b, stopping, history in
        let (m, setup) = try timed { try make(a) }
        let cg = ConjugateGradient(stopping: stopping, preconditioner: m, recordHistory: history)
        return (try cg.solve(a, b), setup)
      }
    }
    return [
      pcg("CG") { _ in nil },
      pcg("PCG-Jacobi") { try JacobiPreconditioner($0) },
      pcg("PCG-SSOR(1)") { try SSORPreconditioner($0, omega: 1) },
      pcg("PCG-SSOR(best ω)", omega: ssorOmega) { try SSORPreconditioner($0, omega: ssorOmega) },
      pcg("PCG-IC(0)") { try IncompleteCholesky($0) },
      PoissonMethod(name: "SOR(1) Gauss-Seidel", omega: 1, expectedSweeps: { n in 1.9 * Double(n * n) }) { a, b, stopping, history in
        (try SOR(omega: 1, stopping: stopping, recordHistory: history).solve(a, b), 0)
      },
      PoissonMethod(name: "SOR(ω_opt)", omega: omega) { a, b, stopping, history in
        (try SOR(omega: omega, stopping: stopping, recordHistory: history).solve(a, b), 0)
      },
      PoissonMethod(name: "GMRES(30)+ILU(0)") { a, b, stopping, history in
        let (m, setup) = try timed { try IncompleteLU(a) }
        return (try GMRES(stopping: stopping, restart: 30, preconditioner: m, recordHistory: history).solve(a, b), setup)
      },
      PoissonMethod(name: "Cholesky", iterative: false) { a, b, _, _ in
        let (factor, setup) = try timed { try CholeskyFactorization(a) }
        let x = try factor.solve(b)
        let r = a.residualNorm(x: x, b: b)
        return (SolveResult(x: x, reason: .converged, iterations: 0, residualNorm: r, trueResidualNorm: r,
                            rhsNorm: Vector.norm(b)), setup)
      },
    ]
  }
}
