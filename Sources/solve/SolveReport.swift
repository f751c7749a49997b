import Foundation
import LinSolve

/// What `solve` prints for one system, as JSON (`--json`) or as a short text report.
struct SolveReport: Codable {
  var matrix: String
  var rhs: String
  var method: String
  var chosenBecause: String?
  var preconditioner: String?
  var omega: Double?
  /// The AMG options (`--amg-theta`, `--amg-smoother`, `--amg-cycle`) when an AMG preconditioner runs.
  var multigrid: String?
  var restart: Int?
  var rtol: Double?
  var maxIterations: Int?
  var estimatedFactorBytes: Int?
  /// Least squares: ‖Aᵀr‖/(‖A‖_F‖r‖).
  var backwardError: Double?
  var reason = StopReason.converged.rawValue
  var converged = false
  var iterations = 0
  var matvecs = 0
  var relativeResidual = Double.nan
  var residualNorm = Double.nan
  var recursiveResidualNorm = Double.nan
  var seconds = 0.0
  var readSeconds = 0.0
  var setupSeconds = 0.0
  var solveSeconds = 0.0
  var rows: Int
  var columns: Int
  var nonzeros: Int
  var threads: Int
  var notes: [String] = []
  var output: String?

  init(matrix: String, rhs: String, method: String, chosenBecause: String?, rows: Int, columns: Int, nonzeros: Int, threads: Int) {
    self.matrix = matrix
    self.rhs = rhs
    self.method = method
    self.chosenBecause = chosenBecause
    self.rows = rows
    self.columns = columns
    self.nonzeros = nonzeros
    self.threads = threads
  }

  /// Fills in the outcome of a result already judged by the verdict rule
  /// (``SolveResult/judged(by:a:b:leastSquares:)``).
  mutating func record(_ result: SolveResult) {
    reason = result.reason.rawValue
    converged = result.converged
    iterations = result.iterations
    matvecs = result.matvecs
    residualNorm = result.trueResidualNorm
    recursiveResidualNorm = result.residualNorm
    relativeResidual = result.relativeResidual
    seconds = setupSeconds + solveSeconds
  }

  func json() -> String { jsonLine(self) }

  /// The resolved configuration (`--view`).
  func view() -> String {
    var lines = ["solve configuration:",
                 "  matrix          \(matrix) (\(rows)×\(columns), \(nonzeros) nonzeros)",
                 "  right-hand side \(rhs)",
                 "  method          \(method)" + (chosenBecause.map { " (auto: \($0))" } ?? "")]
    if let preconditioner { lines.append("  preconditioner  \(preconditioner)") }
    if let omega { lines.append("  omega           \(omega)") }
    if let multigrid { lines.append("  multigrid       \(multigrid)") }
    if let restart { lines.append("  restart         \(restart)") }
    if let rtol { lines.append("  rtol            \(rtol)") }
    if let maxIterations { lines.append("  max iterations  \(maxIterations)") }
    lines.append("  threads         \(threads)")
    return lines.joined(separator: "\n")
  }

  func text() -> String {
    var lines = [
      "matrix     \(matrix)  (\(rows)×\(columns), \(nonzeros) nonzeros)",
      "rhs        \(rhs)",
      "method     \(method)" + (preconditioner.map { " + \($0)" } ?? "") + (chosenBecause.map { "  (auto: \($0))" } ?? ""),
      "result     \(reason) after \(iterations) iteration\(iterations == 1 ? "" : "s")",
      "residual   ‖b − Ax‖/‖b‖ = \(format(relativeResidual))" + (backwardError.map { ", ‖Aᵀr‖/(‖A‖‖r‖) = \(format($0))" } ?? ""),
      "time       read \(format(readSeconds)) s, setup \(format(setupSeconds)) s, solve \(format(solveSeconds)) s",
    ]
    lines += notes.map { "note       \($0)" }
    if let output { lines.append("solution   written to \(output)") }
    return lines.joined(separator: "\n")
  }

  private func format(_ x: Double) -> String { String(format: "%.3g", x) }
}

/// One-line JSON with sorted keys; NaN and ±Inf (a diverged solve) become strings.
func jsonLine(_ value: some Encodable) -> String {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
  encoder.nonConformingFloatEncodingStrategy = .convertToString(
    positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
  return String(decoding: try! encoder.encode(value), as: UTF8.self)
}
