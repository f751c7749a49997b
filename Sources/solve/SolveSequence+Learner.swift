import ArgumentParser
import Foundation
import LinSolve

extension SolveSequence {
  /// A new learner from the options (their defaults where not given).
  func makeTuner(contexts: [Double]?) throws -> ParameterTuner {
    let text = grid ?? "1.0:1.95:20"
    let values: ParameterGrid
    do { values = try ParameterGrid(parsing: text) } catch { throw CLIFailure.badInput("--grid \(text): \(error)") }
    let kind = learner ?? (contexts == nil ? .tsallis : .chebcb)
    let strategy: ParameterTuner.Strategy
    switch kind {
    case .tsallis:
      strategy = .tsallisINF
    case .binned, .chebcb:
      guard let contexts else { throw CLIFailure.badInput("--learner \(kind.rawValue) needs --context values") }
      let range = try contextRangeValue(contexts)
      strategy = kind == .binned ? .binnedTsallisINF(bins: 5, range: range) : .chebCB(features: 6, range: range)
    }
    do {
      return try ParameterTuner(grid: values, strategy: strategy, cost: cost ?? .iterations, seed: seed ?? 1)
    } catch {
      throw CLIFailure.badInput("\(error)")
    }
  }

  /// Checks a saved learner against what this run asks for: the options given on the command
  /// line (first system), or the learner this run has been using (`running`, later systems —
  /// the file may have been reset by another process in between).
  func check(
    _ saved: LearnerState, at path: String, against running: (SequenceMethod, ParameterTuner)?, contexts: [Double]?
  ) throws {
    guard let tuner = saved.tuner else {
      throw CLIFailure.badInput("\(path): the saved learner is a strategy portfolio (--tune auto), not an ω learner (add --reset-state to start a new one)")
    }
    if tuner.strategy.isContextual && contexts == nil {
      throw CLIFailure.badInput("\(path): the saved learner (\(tuner.strategy)) needs --context")
    }
    var differences: [String] = []
    func compare(_ option: String, _ asked: String?, _ recorded: String?) {
      if let asked, let recorded, asked != recorded { differences.append("\(option) \(asked) here, \(recorded) in the state") }
    }
    if let (method, current) = running {
      compare("--method", method.rawValue, saved.method)
      compare("--grid", "\(current.grid)", "\(tuner.grid)")
      compare("--learner", "\(current.strategy)", "\(tuner.strategy)")
      compare("--cost", current.costKind.rawValue, tuner.costKind.rawValue)
      compare("--seed", "\(current.seed)", "\(tuner.seed)")
      guard differences.isEmpty else {
        throw CLIFailure.badInput("\(path): the learner state was replaced by one made with other options during this run: \(differences.joined(separator: "; "))")
      }
      return
    }
    compare("--method", method?.rawValue, saved.method)
    if let grid, let values = try? ParameterGrid(parsing: grid), values != tuner.grid {
      differences.append("--grid \(grid) here, \(tuner.grid) in the state")
    }
    compare("--learner", learner?.rawValue, Self.learnerKind(of: tuner.strategy)?.rawValue)
    if contextRange != nil, let contexts, let range = Self.contextRange(of: tuner.strategy) {
      let asked = try contextRangeValue(contexts)
      if asked != range { differences.append("--context-range \(asked.lowerBound):\(asked.upperBound) here, \(range.lowerBound):\(range.upperBound) in the state") }
    }
    compare("--cost", cost?.rawValue, tuner.costKind.rawValue)
    compare("--seed", seed.map { "\($0)" }, "\(tuner.seed)")
    guard differences.isEmpty else {
      throw CLIFailure.badInput("\(path): the saved learner was made with other options: \(differences.joined(separator: "; ")) (leave the options out to resume it, or add --reset-state to start a new one)")
    }
  }

  static func learnerKind(of strategy: ParameterTuner.Strategy) -> Learner? {
    switch strategy {
    case .tsallisINF: .tsallis
    case .binnedTsallisINF: .binned
    case .chebCB: .chebcb
    case .fixed: nil
    }
  }

  static func contextRange(of strategy: ParameterTuner.Strategy) -> ClosedRange<Double>? {
    switch strategy {
    case let .binnedTsallisINF(_, range), let .chebCB(_, range): range
    case .tsallisINF, .fixed: nil
    }
  }

  func contextRangeValue(_ contexts: [Double]) throws -> ClosedRange<Double> {
    if let contextRange {
      let parts = contextRange.split(separator: ":").compactMap { Double($0) }
      guard parts.count == 2, parts[0] < parts[1] else {
        throw CLIFailure.badInput("--context-range \(contextRange) is not a:b with a < b")
      }
      return parts[0]...parts[1]
    }
    let low = contexts.min()!, high = contexts.max()!
    return low < high ? low...high : (low - 0.5)...(high + 0.5)
  }
}
