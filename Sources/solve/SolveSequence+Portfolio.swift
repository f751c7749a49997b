import ArgumentParser
import Foundation
import LinSolve

extension SolveSequence {
  func validateAuto() throws {
    if method != nil || recycle != nil || preconditioner != nil || warmStart {
      throw ValidationError("--tune auto chooses the strategy: leave out --method, --preconditioner, --recycle and --warm-start (list the strategies with --arms)")
    }
    if learner != nil || grid != nil || cost != nil || context != nil || contextRange != nil || order != .given {
      throw ValidationError("--learner, --grid, --cost, --context, --context-range and --order do not go with --tune auto")
    }
    if resetState && state == nil { throw ValidationError("--reset-state needs --state") }
    if let arms { _ = try parseArms(arms) }
  }

  /// The strategies of `--arms` (names as ``SequenceStrategy/name``).
  func parseArms(_ text: String) throws -> [SequenceStrategy] {
    let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    guard !names.isEmpty else { throw ValidationError("--arms \(text): give at least one strategy") }
    var strategies: [SequenceStrategy] = []
    for name in names {
      do { strategies.append(try SequenceStrategy(name: name)) } catch { throw ValidationError("--arms \(text): \(error)") }
    }
    let canonical = strategies.map(\.name)
    guard Set(canonical).count == canonical.count else { throw ValidationError("--arms \(text): a strategy repeats") }
    return strategies
  }

  /// `--tune auto`: a ``PortfolioSequenceSolver`` over `--arms`, its learner kept in `--state`
  /// by the rules of `--tune omega` (recorded arms and seed; a difference is an error naming
  /// both; `--reset-state`; a lock on FILE.lock while a system is solved).
  func runPortfolio() throws {
    let stopping = StoppingCriterion(rtol: rtol, maxIterations: maxIterations)
    let asked = try arms.map { text in
      do { return try parseArms(text) } catch { throw CLIFailure.badInput("\(error)") }
    }
    var portfolio: PortfolioSequenceSolver?
    func make(_ strategies: [SequenceStrategy], _ learner: PortfolioLearner?) throws -> PortfolioSequenceSolver {
      do {
        let made = try PortfolioSequenceSolver(
          strategies: strategies, stopping: stopping, seed: seed ?? 1, policy: policy ?? .exploreThenCommit, learner: learner)
        made.margin = margin
        return made
      } catch { throw CLIFailure.badInput("\(error)") }
    }
    var rows: [StrategyRow] = []
    if !json { print(StrategyRow.header) }
    for (t, path) in matrices.enumerated() {
      let system = try readSystem(t)
      let lock = try state.map { try StateLock(statePath: $0) }
      if let state, let saved = resetState && t == 0 ? nil : try LearnerState.read(state) {
        let learner = try checkPortfolio(saved, at: state, running: portfolio?.learner)
        if let running = portfolio {
          try running.resume(from: learner)
        } else {
          portfolio = try make(try learner.arms.map { try SequenceStrategy(name: $0) }, learner)
        }
      }
      if portfolio == nil { portfolio = try make(asked ?? PortfolioSequenceSolver.defaultStrategies(for: system.matrix), nil) }
      let solver = portfolio!
      let step: PortfolioSequenceSolver.Step
      do { step = try solver.solve(system) } catch { throw CLIFailure.wrap(error, file: path) }
      if let state { try LearnerState(portfolio: solver.learner).write(to: state) }
      _ = lock  // released here, after the save
      if !json { for note in step.step.notes { standardError("solve: note: \(path): \(note)") } }
      var row = StrategyRow(position: t + 1, matrix: path, step: step.step)
      row.chosen = step.chosenArm.map { solver.strategies[$0].name }
      row.attempts = step.attempts.map(AttemptRow.init)
      rows.append(row)
      if !json { print(row.text) }
    }
    let learner = portfolio!.learner
    var summary = StrategySummary(method: "auto", systems: rows)
    summary.arms = learner.arms
    summary.rounds = learner.rounds
    summary.incumbent = learner.incumbent.map { learner.arms[$0] }
    let dropped = learner.arms.indices.compactMap { i in learner.dropReasons[i].map { (learner.arms[i], $0) } }
    summary.dropped = dropped.isEmpty ? nil : Dictionary(dropped, uniquingKeysWith: { a, _ in a })
    if json {
      print(summary.json())
    } else {
      print(String(format: "total      %d iterations, %.4f s over %d systems (set-up and solve; ", summary.totalIterations,
                   summary.totalSeconds, rows.count)
            + "best so far: \(summary.incumbent ?? "none"), \(learner.rounds) rounds learned)")
    }
    try checkConverged(rows)
  }

  /// The saved portfolio learner if it matches this run: the options given (first system), or
  /// the learner this run has been using (`running`, later systems).
  func checkPortfolio(_ saved: LearnerState, at path: String, running: PortfolioLearner?) throws -> PortfolioLearner {
    guard let learner = saved.portfolio else {
      throw CLIFailure.badInput("\(path): the saved learner is an ω learner (--tune omega, method \(saved.method ?? "sor")), not a strategy portfolio (add --reset-state to start a new one)")
    }
    var differences: [String] = []
    func compare(_ option: String, _ asked: String?, _ recorded: String) {
      if let asked, asked != recorded { differences.append("\(option) \(asked) here, \(recorded) in the state") }
    }
    if let running {
      compare("--arms", running.arms.joined(separator: ","), learner.arms.joined(separator: ","))
      compare("--seed", "\(running.seed)", "\(learner.seed)")
      compare("--policy", running.policy.rawValue, learner.policy.rawValue)
      guard differences.isEmpty else {
        throw CLIFailure.badInput("\(path): the learner state was replaced by one made with other options during this run: \(differences.joined(separator: "; "))")
      }
      return learner
    }
    let asked = try arms.map { try parseArms($0).map(\.name).joined(separator: ",") }
    compare("--arms", asked, learner.arms.joined(separator: ","))
    compare("--seed", seed.map { "\($0)" }, "\(learner.seed)")
    compare("--policy", policy?.rawValue, learner.policy.rawValue)
    guard differences.isEmpty else {
      throw CLIFailure.badInput("\(path): the saved learner was made with other options: \(differences.joined(separator: "; ")) (leave the options out to resume it, or add --reset-state to start a new one)")
    }
    return learner
  }
}

/// `--policy`: the portfolio learner's choice rules.
extension PortfolioLearner.Policy: ExpressibleByArgument {}
