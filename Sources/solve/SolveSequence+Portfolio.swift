import ArgumentParser
import Foundation
import LinSolve

extension SolveSequence {
  func validateAuto() throws {
    if method != nil || recycle != nil || preconditioner != nil || warmStart {
      throw ValidationError("--tune auto chooses the strategy: leave out --method, --preconditioner, --recycle and --warm-start (list the strategies with --arms)")
    }
    if learner != nil || grid != nil || cost != nil || order != .given {
      throw ValidationError("--learner, --grid, --cost and --order do not go with --tune auto")
    }
    if context == nil && (contextRange != nil || bins != nil) {
      throw ValidationError("--context-range and --bins go with --context")
    }
    if let bins, !(1...TuningLimits.maximumBins).contains(bins) {
      throw ValidationError("--bins \(bins) is not in 1…\(TuningLimits.maximumBins)")
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

  /// `--tune auto`: a ``PortfolioSequenceSolver`` over `--arms`, its learners (one per context
  /// bin with `--context`) kept in `--state` by the rules of `--tune omega` (recorded arms, seed,
  /// policy and bins; a difference is an error naming both; `--reset-state`; a lock on
  /// FILE.lock while a system is solved).
  func runPortfolio() throws {
    let stopping = StoppingCriterion(rtol: rtol, maxIterations: maxIterations)
    let asked = try arms.map { text in
      do { return try parseArms(text) } catch { throw CLIFailure.badInput("\(error)") }
    }
    let contexts = try readContexts()
    // The bins asked for, checked before anything is printed (a state may bring its own).
    let askedBins = try contexts.map { contexts in
      let range = try contextRangeValue(contexts)
      do { return try ContextBins(range: range, count: bins ?? 3) } catch {
        throw CLIFailure.badInput("--context-range \(range.lowerBound):\(range.upperBound): the ends must be finite with lower < upper")
      }
    }
    var portfolio: PortfolioSequenceSolver?
    func make(_ strategies: [SequenceStrategy], _ saved: SavedPortfolio?) throws -> PortfolioSequenceSolver {
      do {
        let made = try PortfolioSequenceSolver(
          strategies: strategies, stopping: stopping, seed: seed ?? 1, policy: policy ?? .exploreThenCommit,
          contextBins: saved?.bins ?? askedBins,
          learners: saved?.learners)
        made.margin = margin
        made.predictsCost = predict
        return made
      } catch let failure as CLIFailure { throw failure } catch { throw CLIFailure.badInput("\(error)") }
    }
    var rows: [StrategyRow] = []
    if !json { print(StrategyRow.header) }
    for (t, path) in matrices.enumerated() {
      let system = try readSystem(t)
      let lock = try state.map { try StateLock(statePath: $0) }
      if let state, let saved = resetState && t == 0 ? nil : try LearnerState.read(state) {
        let learners = try checkPortfolio(saved, at: state, running: portfolio, contexts: contexts)
        if let running = portfolio {
          do { try running.resume(from: learners.learners) } catch { throw CLIFailure.badInput("\(state): \(error)") }
        } else {
          portfolio = try make(try learners.learners[0].arms.map { try SequenceStrategy(name: $0) }, learners)
        }
      }
      if portfolio == nil { portfolio = try make(asked ?? PortfolioSequenceSolver.defaultStrategies(for: system.matrix), nil) }
      let solver = portfolio!
      let step: PortfolioSequenceSolver.Step
      do { step = try solver.solve(system, context: contexts?[t]) } catch { throw CLIFailure.wrap(error, file: path) }
      if let state { try LearnerState(portfolio: solver.learners, bins: solver.contextBins).write(to: state) }
      _ = lock  // released here, after the save
      if !json { for note in step.step.notes { standardError("solve: note: \(path): \(note)") } }
      var row = StrategyRow(position: t + 1, matrix: path, step: step.step)
      row.chosen = step.chosenArm.map { solver.strategies[$0].name }
      row.context = contexts?[t]
      row.attempts = step.attempts.map(AttemptRow.init)
      rows.append(row)
      if !json { print(row.text) }
    }
    let solver = portfolio!
    let learner = solver.learner
    var summary = StrategySummary(method: "auto", systems: rows)
    summary.arms = learner.arms
    summary.rounds = solver.learners.reduce(0) { $0 + $1.rounds }
    summary.incumbent = learner.incumbent.map { learner.arms[$0] }
    if let bins = solver.contextBins {
      summary.contextBins = zip(bins.centres, solver.learners).map { centre, learner in
        ContextBinSummary(centre: centre, rounds: learner.rounds, incumbent: learner.incumbent.map { learner.arms[$0] })
      }
    }
    let dropped = learner.arms.indices.compactMap { i in learner.dropReasons[i].map { (learner.arms[i], $0) } }
    summary.dropped = dropped.isEmpty ? nil : Dictionary(dropped, uniquingKeysWith: { a, _ in a })
    if json {
      print(summary.json())
    } else {
      let perBin = summary.contextBins.map { bins in
        "; per context bin: " + bins.map { String(format: "%.4g → ", $0.centre) + ($0.incumbent ?? "none") }.joined(separator: ", ")
      } ?? ""
      print(String(format: "total      %d iterations, %.4f s over %d systems (set-up and solve; ", summary.totalIterations,
                   summary.totalSeconds, rows.count)
            + "best so far: \(summary.incumbent ?? "none"), \(summary.rounds ?? 0) rounds learned\(perBin))")
    }
    try checkConverged(rows)
  }

  /// What a `--state` holds for `--tune auto`: one learner, or one per context bin.
  struct SavedPortfolio {
    var learners: [PortfolioLearner]
    var bins: ContextBins?
  }

  /// The saved portfolio learners if they match this run: the options given (first system), or
  /// the portfolio this run has been using (`running`, later systems).
  func checkPortfolio(_ saved: LearnerState, at path: String, running: PortfolioSequenceSolver?, contexts: [Double]?) throws
    -> SavedPortfolio
  {
    guard let learners = saved.portfolio.map({ [$0] }) ?? saved.portfolioBins, let first = learners.first else {
      throw CLIFailure.badInput("\(path): the saved learner is an ω learner (--tune omega, method \(saved.method ?? "sor")), not a strategy portfolio (add --reset-state to start a new one)")
    }
    var differences: [String] = []
    func compare(_ option: String, _ asked: String?, _ recorded: String) {
      if let asked, asked != recorded { differences.append("\(option) \(asked) here, \(recorded) in the state") }
    }
    func describe(_ bins: ContextBins?) -> String {
      bins.map { "\($0.count) bins on \($0.range.lowerBound):\($0.range.upperBound)" } ?? "none"
    }
    if let running {
      compare("--arms", running.strategies.map(\.name).joined(separator: ","), first.arms.joined(separator: ","))
      compare("--seed", "\(running.learner.seed)", "\(first.seed)")
      compare("--policy", running.learner.policy.rawValue, first.policy.rawValue)
      compare("context bins", describe(running.contextBins), describe(saved.contextBins))
      guard differences.isEmpty else {
        throw CLIFailure.badInput("\(path): the learner state was replaced by one made with other options during this run: \(differences.joined(separator: "; "))")
      }
      return SavedPortfolio(learners: learners, bins: saved.contextBins)
    }
    let asked = try arms.map { try parseArms($0).map(\.name).joined(separator: ",") }
    compare("--arms", asked, first.arms.joined(separator: ","))
    compare("--seed", seed.map { "\($0)" }, "\(first.seed)")
    compare("--policy", policy?.rawValue, first.policy.rawValue)
    switch (contexts, saved.contextBins) {
    case (nil, let bins?):
      differences.append("no --context here, \(describe(bins)) in the state (it learns per context bin)")
    case (.some, nil):
      differences.append("--context here, no context bins in the state")
    case (let contexts?, let bins?):
      compare("--bins", self.bins.map { "\($0)" }, "\(bins.count)")
      if contextRange != nil {
        let range = try contextRangeValue(contexts)
        compare("--context-range", "\(range.lowerBound):\(range.upperBound)", "\(bins.range.lowerBound):\(bins.range.upperBound)")
      }
    case (nil, nil):
      break
    }
    guard differences.isEmpty else {
      throw CLIFailure.badInput("\(path): the saved learner was made with other options: \(differences.joined(separator: "; ")) (leave the options out to resume it, or add --reset-state to start a new one)")
    }
    return SavedPortfolio(learners: learners, bins: saved.contextBins)
  }
}

/// `--policy`: the portfolio learner's choice rules.
extension PortfolioLearner.Policy: ExpressibleByArgument {}
