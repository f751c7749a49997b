import ArgumentParser
import Foundation
import LinSolve

extension ParameterTuner.CostKind: ExpressibleByArgument {}

/// One system's line in `solve sequence`.
struct SequenceRow: Codable {
  var index: Int
  var matrix: String
  var context: Double?
  var omega: Double
  var iterations: Int
  var seconds: Double
  var relativeResidual: Double
  var reason: String

  static let header = "    #  omega   iterations    seconds   rel.residual  context  matrix"

  var text: String {
    String(format: "%5d  %.4f %10d %10.5f %14.3e  ", index, omega, iterations, seconds, relativeResidual)
      + (context.map { String(format: "%7.4f", $0) } ?? "      -") + "  " + matrix
  }
}

/// One system's line in `solve sequence --recycle`.
struct RecycleRow: Codable {
  var position: Int
  var matrix: String
  var iterations: Int
  var matvecs: Int
  var seconds: Double
  var relativeResidual: Double
  var reason: String

  static let header = "    #  iterations  matvecs    seconds   rel.residual  matrix"

  var text: String {
    String(format: "%5d %11d %8d %10.5f %14.3e  ", position, iterations, matvecs, seconds, relativeResidual) + matrix
  }
}

/// The whole `solve sequence --recycle` run, for `--json`.
struct RecycleSummary: Codable {
  /// ``LinSolve/version``.
  var version = LinSolve.version
  var method: String
  var preconditioner: String
  var order: String
  var systems: [RecycleRow]
  var totalIterations: Int
  var totalMatvecs: Int
  var totalSeconds: Double

  func json() -> String { jsonLine(self) }
}

/// The whole `solve sequence` run, for `--json`.
struct SequenceSummary: Codable {
  /// ``LinSolve/version``.
  var version = LinSolve.version
  var method: String
  var learner: String?
  var grid: String?
  var costKind: String?
  var rounds: Int?
  var systems: [SequenceRow]
  var totalIterations: Int
  var totalSeconds: Double

  func json() -> String { jsonLine(self) }
}
