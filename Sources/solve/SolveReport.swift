import Foundation
import LinSolve

/// What `solve` prints for one system, as JSON (`--json`) or as a short text report, and the
/// resolved configuration `--view` prints.
///
/// The JSON has one schema for every method: every key is present, `null` where a setting
/// does not apply (e.g. `maxIterations` of a direct solve).
struct SolveReport: Encodable {
  /// ``LinSolve/version``.
  var version = LinSolve.version
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
  var atol: Double?
  /// The divergence tolerance (iterative methods).
  var dtol: Double?
  var maxIterations: Int?
  /// `--time-limit` in seconds (iterative methods).
  var timeLimit: Double?
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
  /// `native` (LinSolve) or `petsc` (`--engine`).
  var engine = Engine.native.rawValue
  /// MPI ranks that solved (1 natively).
  var ranks = 1
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

  /// Records the stopping settings: `rtol` and `atol` judge every verdict; `dtol`, the
  /// iteration cap and the time limit apply to iterative methods only.
  mutating func describe(_ stopping: StoppingCriterion, iterative: Bool) {
    rtol = stopping.rtol
    atol = stopping.atol
    guard iterative else { return }
    dtol = stopping.dtol ?? .infinity
    maxIterations = stopping.maxIterations
    timeLimit = stopping.timeLimit
  }

  func json() -> String { jsonLine(self) }

  /// Every key, `null` when absent (one schema for all methods).
  func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(version, forKey: .version)
    try c.encode(matrix, forKey: .matrix)
    try c.encode(rhs, forKey: .rhs)
    try c.encode(method, forKey: .method)
    try c.encode(chosenBecause, forKey: .chosenBecause)
    try c.encode(preconditioner, forKey: .preconditioner)
    try c.encode(omega, forKey: .omega)
    try c.encode(multigrid, forKey: .multigrid)
    try c.encode(restart, forKey: .restart)
    try c.encode(rtol, forKey: .rtol)
    try c.encode(atol, forKey: .atol)
    try c.encode(dtol, forKey: .dtol)
    try c.encode(maxIterations, forKey: .maxIterations)
    try c.encode(timeLimit, forKey: .timeLimit)
    try c.encode(estimatedFactorBytes, forKey: .estimatedFactorBytes)
    try c.encode(backwardError, forKey: .backwardError)
    try c.encode(reason, forKey: .reason)
    try c.encode(converged, forKey: .converged)
    try c.encode(iterations, forKey: .iterations)
    try c.encode(matvecs, forKey: .matvecs)
    try c.encode(relativeResidual, forKey: .relativeResidual)
    try c.encode(residualNorm, forKey: .residualNorm)
    try c.encode(recursiveResidualNorm, forKey: .recursiveResidualNorm)
    try c.encode(seconds, forKey: .seconds)
    try c.encode(readSeconds, forKey: .readSeconds)
    try c.encode(setupSeconds, forKey: .setupSeconds)
    try c.encode(solveSeconds, forKey: .solveSeconds)
    try c.encode(rows, forKey: .rows)
    try c.encode(columns, forKey: .columns)
    try c.encode(nonzeros, forKey: .nonzeros)
    try c.encode(threads, forKey: .threads)
    try c.encode(engine, forKey: .engine)
    try c.encode(ranks, forKey: .ranks)
    try c.encode(notes, forKey: .notes)
    try c.encode(output, forKey: .output)
  }

  private enum CodingKeys: String, CodingKey {
    case version, matrix, rhs, method, chosenBecause, preconditioner, omega, multigrid, restart, rtol, atol, dtol
    case maxIterations, timeLimit, estimatedFactorBytes, backwardError, reason, converged, iterations, matvecs
    case relativeResidual, residualNorm, recursiveResidualNorm, seconds, readSeconds, setupSeconds, solveSeconds
    case rows, columns, nonzeros, threads, engine, ranks, notes, output
  }

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
    if let atol { lines.append("  atol            \(atol)") }
    if let dtol { lines.append("  dtol            \(dtol)") }
    if let maxIterations { lines.append("  max iterations  \(maxIterations)") }
    if rtol != nil && maxIterations != nil { lines.append("  time limit      " + (timeLimit.map { "\($0) s" } ?? "none")) }
    lines.append("  threads         \(threads)")
    if engine != Engine.native.rawValue { lines.append("  engine          \(engine) on \(ranks) rank\(ranks == 1 ? "" : "s")") }
    return lines.joined(separator: "\n")
  }

  func text() -> String {
    var lines = [
      "matrix     \(matrix)  (\(rows)×\(columns), \(nonzeros) nonzeros)",
      "rhs        \(rhs)",
      "method     \(method)" + (preconditioner.map { " + \($0)" } ?? "") + (chosenBecause.map { "  (auto: \($0))" } ?? ""),
      "result     \(reason) after \(iterations) iteration\(iterations == 1 ? "" : "s")",
      "residual   ‖b − Ax‖/‖b‖ = \(format(relativeResidual))" + (backwardError.map { ", ‖Aᵀr‖/(‖A‖‖r‖) = \(format($0))" } ?? ""),
    ]
    if engine != Engine.native.rawValue { lines.append("engine     \(engine) on \(ranks) rank\(ranks == 1 ? "" : "s")") }
    lines.append("time       read \(format(readSeconds)) s, setup \(format(setupSeconds)) s, solve \(format(solveSeconds)) s")
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
