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
  /// MPI ranks the systems were spread over, each carrying its own subspace (absent on one process).
  var ranks: Int?

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
  /// MPI ranks the systems were spread over (`mpirun -np R solve sequence`; absent on one process).
  var ranks: Int?
  /// `petsc` with `--engine petsc` (absent natively).
  var engine: String?

  func json() -> String { jsonLine(self) }
}

/// One system's line in `solve sequence --method M` (a fixed strategy) and `--tune auto`.
struct StrategyRow: Codable {
  var position: Int
  var matrix: String
  /// The strategy that solved the system (for `--tune auto`: the one that finished it).
  var strategy: String
  var iterations: Int
  var matvecs: Int
  /// Set-up plus solve, summed over every attempt (reading excluded).
  var seconds: Double
  var setupSeconds: Double
  var relativeResidual: Double
  var reason: String
  /// `--tune auto`: the strategy the learner chose, the system's context (`--context`), and
  /// each attempt.
  var chosen: String?
  var context: Double?
  var attempts: [AttemptRow]?
  var notes: [String]?

  init(position: Int, matrix: String, step: SequenceStep) {
    self.position = position
    self.matrix = matrix
    strategy = step.strategy
    iterations = step.result.iterations
    matvecs = step.result.matvecs
    seconds = step.seconds
    setupSeconds = step.setupSeconds
    relativeResidual = step.result.relativeResidual
    reason = step.result.reason.rawValue
    notes = step.notes.isEmpty ? nil : step.notes
  }

  static let header = "    #  iterations    seconds   (set-up)   rel.residual  strategy  matrix"

  var text: String {
    String(format: "%5d %11d %10.5f %10.5f %14.3e  ", position, iterations, seconds, setupSeconds, relativeResidual)
      + (chosen.map { $0 == strategy ? strategy : "\($0) → \(strategy)" } ?? strategy) + "  " + matrix
  }
}

/// One attempt of `--tune auto` on a system: `solved`, `aborted` (its exploration budget) or
/// `failed` (the strategy was dropped).
struct AttemptRow: Codable {
  var strategy: String
  var outcome: String
  var detail: String?
  var iterations: Int
  var seconds: Double

  init(_ attempt: PortfolioSequenceSolver.Attempt) {
    strategy = attempt.strategy
    switch attempt.outcome {
    case .solved: outcome = "solved"
    case .aborted(let why): (outcome, detail) = ("aborted", why)
    case .failed(let why): (outcome, detail) = ("failed", why)
    }
    iterations = attempt.iterations
    seconds = attempt.seconds
  }
}

/// One context bin of `--tune auto --context`: its centre, the rounds its learner has seen and
/// its incumbent.
struct ContextBinSummary: Codable {
  var centre: Double
  var rounds: Int
  var incumbent: String?
}

/// The whole `solve sequence --method M` or `--tune auto` run, for `--json`.
struct StrategySummary: Codable {
  /// The fixed strategy's method and preconditioner, or `auto`.
  var method: String
  var preconditioner: String?
  var strategy: String?
  /// The kept factorization's counts (fixed direct strategies).
  var symbolicAnalyses: Int?
  var numericFactorizations: Int?
  /// `--tune auto`: the arms, the learner's rounds, the strategy with the best mean time, and
  /// why each dropped arm was dropped.
  var arms: [String]?
  var rounds: Int?
  var incumbent: String?
  var dropped: [String: String]?
  /// `--tune auto --context`: each context bin's centre, rounds and incumbent.
  var contextBins: [ContextBinSummary]?
  /// `--engine petsc --theta-grid`: the θ learner and its grid.
  var learner: String?
  var grid: String?
  var systems: [StrategyRow]
  var totalIterations: Int
  var totalMatvecs: Int
  var totalSeconds: Double
  /// MPI ranks the systems were spread over (`mpirun -np R solve sequence`; absent on one process).
  var ranks: Int?
  /// `petsc` with `--engine petsc` (absent natively).
  var engine: String?

  init(method: String, systems: [StrategyRow]) {
    self.method = method
    self.systems = systems
    totalIterations = systems.reduce(0) { $0 + $1.iterations }
    totalMatvecs = systems.reduce(0) { $0 + $1.matvecs }
    totalSeconds = systems.reduce(0) { $0 + $1.seconds }
  }

  func json() -> String { jsonLine(self) }
}
