import ArgumentParser
import Foundation
import LinSolve

#if PETSc
import LinSolvePETSc
#endif

/// `mpirun -np R solve sequence FILES …` (a build with the `PETSc` trait): the systems spread
/// over the ranks in rounds of R — system t on rank t mod R (``SequenceRounds``) — each solved
/// by LinSolve's own solvers on its rank; the learner pooled: after every round each rank's
/// observation reaches every rank, and every rank's learner observes all of them in system
/// order, so the learners stay identical (docs/SCALE_OUT.md, "Sequences across ranks").
/// Rank 0 prints the rows in system order and reads and writes `--state`; a failure on any
/// rank ends every rank with one message from rank 0 and the same exit status.
extension SolveSequence {
  /// Whether this run spreads its systems over the ranks of an MPI launcher: a build with the
  /// trait, started by `mpirun`. Otherwise `solve sequence` runs on one process, as always.
  static var spreadsOverRanks: Bool { Engine.petscAvailable && Engine.launcherRank != nil }

  func runOnRanks() throws {
    #if PETSc
    if preconditioner == .learned {
      throw CLIFailure.badInput("--preconditioner learned trains and applies its network in one process: run it without mpirun")
    }
    if recycle != nil && order == .greedy {
      throw CLIFailure.badInput("--order greedy orders every matrix in one process: run it without mpirun (--recycle with the given order is spread over the ranks)")
    }
    try PETScSession.runCommand(what: "solve sequence on MPI ranks") { session in
      // The ranks on this node share its cores: each takes its share unless LINSOLVE_NUM_THREADS says.
      if !ThreadSetting.fromEnvironment {
        let local = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap { Int($0) } ?? session.ranks
        ThreadSetting.apply(max(1, min(Parallel.threads, ProcessInfo.processInfo.activeProcessorCount / max(local, 1))))
      }
      if let recycle {
        try runRecyclingOnRanks(session, dimension: recycle)
      } else if tune == .auto {
        try runPortfolioOnRanks(session)
      } else if let method, method.isFixedStrategy {
        try runFixedOnRanks(session, method: method)
      } else {
        try runOmegaOnRanks(session)
      }
    }
    #else
    throw Engine.unavailable
    #endif
  }
}

#if PETSc
extension SolveSequence {
  /// A fixed strategy over the ranks: each rank keeps its own ``FixedStrategySequenceSolver``
  /// (set-up reuse and warm starts from its previous system, t − R).
  private func runFixedOnRanks(_ session: PETScSession, method: SequenceMethod) throws {
    let strategy = fixedStrategy(method)
    let stopping = StoppingCriterion(rtol: rtol, maxIterations: maxIterations)
    let driver: FixedStrategySequenceSolver
    do { driver = try FixedStrategySequenceSolver(strategy: strategy, stopping: stopping) } catch {
      throw CLIFailure.badInput("\(error)")
    }
    let schedule = SequenceRounds(systems: matrices.count, ranks: session.ranks)
    let root = session.isRoot
    var rows: [StrategyRow] = []
    if !json && root { print(StrategyRow.header) }
    for round in 0..<schedule.count {
      let mine = try session.agree({ () throws -> StrategyRow? in
        guard let t = schedule.system(round: round, rank: session.rank) else { return nil }
        let system = try readSystem(t)
        let step: SequenceStep
        do { step = try driver.solve(system) } catch { throw CLIFailure.wrap(error, file: matrices[t]) }
        return StrategyRow(position: t + 1, matrix: matrices[t], step: step)
      }, describe: Self.describeFailure)
      for row in try gatherRows(mine, session) {
        rows.append(row)
        guard root && !json else { continue }
        for note in row.notes ?? [] { standardError("solve: note: \(row.matrix): \(note)") }
        print(row.text)
      }
    }
    var summary = StrategySummary(method: strategy.method.rawValue, systems: rows)
    summary.preconditioner = strategy.preconditioner.rawValue
    summary.strategy = strategy.name
    // Each rank keeps its own factorization: the counts are summed over the ranks.
    summary.symbolicAnalyses = driver.symbolicAnalyses.map { _ in session.sum(driver.symbolicAnalyses!) }
    summary.numericFactorizations = driver.numericFactorizations.map { _ in session.sum(driver.numericFactorizations!) }
    summary.ranks = session.ranks
    if root {
      if json {
        print(summary.json())
      } else {
        print(String(format: "total      %d iterations, %d matvecs, %.4f s over %d systems (set-up and solve; ",
                     summary.totalIterations, summary.totalMatvecs, summary.totalSeconds, rows.count)
              + strategy.name + (summary.symbolicAnalyses.map { ", \($0) symbolic analyses" } ?? "")
              + ") on \(session.ranks) rank\(session.ranks == 1 ? "" : "s")")
      }
    }
    try checkConverged(rows)
  }

  /// `--recycle K` over the ranks: each rank carries its own subspace through its systems
  /// (t, t + R, t + 2R, …), so recycling is per rank, as set-up reuse is.
  private func runRecyclingOnRanks(_ session: PETScSession, dimension k: Int) throws {
    let method = self.method ?? .cg
    let stopping = StoppingCriterion(rtol: rtol, maxIterations: maxIterations)
    // The order of the first matrix fixes the sequence's, as for one process (every rank reads its header).
    let n = try session.agree({ () throws -> Int in
      do { return try MatrixMarket.readHeader(path: matrices[0]).rows } catch { throw CLIFailure.wrap(error, file: matrices[0]) }
    }, describe: Self.describeFailure)
    guard k == 0 || k < n else {
      throw CLIFailure.badInput("--recycle \(k) must be less than the order n = \(n) of the matrices")
    }
    BLAS.threads = 1  // small dense work per cycle: keep OpenBLAS's threads off the sparse loops
    let recycler: RecyclingSequenceSolver
    do {
      recycler = try RecyclingSequenceSolver(
        method: method == .gmres ? .gmres : .cg, recycleDimension: k, preconditioner: preconditioner ?? .none, stopping: stopping)
    } catch { throw CLIFailure.badInput("\(error)") }
    let schedule = SequenceRounds(systems: matrices.count, ranks: session.ranks)
    let root = session.isRoot
    var rows: [RecycleRow] = []
    if !json && root { print(RecycleRow.header) }
    for round in 0..<schedule.count {
      let mine = try session.agree({ () throws -> RecycleRow? in
        guard let t = schedule.system(round: round, rank: session.rank) else { return nil }
        let system = try readSystem(t)
        guard system.matrix.rows == n else {
          throw CLIFailure.badInput("\(matrices[t]): order \(system.matrix.rows) differs from \(matrices[0])'s \(n)")
        }
        let result: SolveResult
        do { result = try recycler.solve(system) } catch { throw CLIFailure.wrap(error, file: matrices[t]) }
        return RecycleRow(
          position: t + 1, matrix: matrices[t], iterations: result.iterations, matvecs: result.matvecs,
          seconds: result.seconds, relativeResidual: result.relativeResidual, reason: result.reason.rawValue)
      }, describe: Self.describeFailure)
      for row in try gatherRows(mine, session) {
        rows.append(row)
        if root && !json { print(row.text) }
      }
    }
    var summary = RecycleSummary(
      method: recycler.name, preconditioner: (preconditioner ?? .none).rawValue, order: order.rawValue, systems: rows,
      totalIterations: rows.reduce(0) { $0 + $1.iterations }, totalMatvecs: rows.reduce(0) { $0 + $1.matvecs },
      totalSeconds: rows.reduce(0) { $0 + $1.seconds })
    summary.ranks = session.ranks
    if root {
      if json {
        print(summary.json())
      } else {
        print(String(format: "total      %d iterations, %d matvecs, %.4f s over %d systems (",
                     summary.totalIterations, summary.totalMatvecs, summary.totalSeconds, rows.count)
              + summary.method + ", a subspace per rank) on \(session.ranks) rank\(session.ranks == 1 ? "" : "s")")
      }
    }
    let failed = rows.filter { $0.reason != StopReason.converged.rawValue }
    if let first = failed.first {
      throw CLIFailure.notConverged("\(failed.count) of \(rows.count) systems did not converge (first: \(first.matrix), \(first.reason))")
    }
  }

  /// ω (SOR, SSOR, SSOR-PCG) over the ranks: fixed, or learned by a pooled ``ParameterTuner``.
  /// Every rank holds the same tuner; in each round every rank makes the round's decisions in
  /// system order (``ParameterTuner/decide(context:)``), solves its own system with its own
  /// decision, and after the round observes every rank's cost in system order
  /// (``ParameterTuner/observe(_:cost:)``). With `--state`, rank 0 locks and reads the file
  /// before the round (broadcast to every rank) and saves it after.
  private func runOmegaOnRanks(_ session: PETScSession) throws {
    let contexts = try session.agree({ try readContexts() }, describe: Self.describeFailure)
    var tuner: ParameterTuner?
    var method = self.method ?? .sor
    if tune != nil, state == nil { tuner = try makeTuner(contexts: contexts) }
    let stopping = StoppingCriterion(rtol: rtol, maxIterations: maxIterations)
    let schedule = SequenceRounds(systems: matrices.count, ranks: session.ranks)
    let root = session.isRoot
    var rows: [SequenceRow] = []
    if !json && root { print(SequenceRow.header) }

    for round in 0..<schedule.count {
      let systems = schedule.systems(in: round)
      var lock: StateLock?
      if let state {
        let saved = try readSharedState(state, session: session, lock: &lock, fresh: resetState && round == 0)
        if let saved {
          try check(saved, at: state, against: round == 0 ? nil : (method, tuner!), contexts: contexts)
          method = self.method ?? saved.method.flatMap(SequenceMethod.init(rawValue:)) ?? method
          tuner = saved.tuner
        } else if tuner == nil {
          tuner = try makeTuner(contexts: contexts)
        }
      }

      // The round's decisions, in system order: the same on every rank.
      var decisions: [ParameterTuner.Decision] = []
      if tuner != nil {
        for t in systems {
          do { decisions.append(try tuner!.decide(context: contexts?[t])) } catch {
            throw CLIFailure.badInput("\(matrices[t]): \(error)")
          }
        }
      }
      let tunedMethod = OmegaTunedSolver.Method(rawValue: method.rawValue)!
      let mine = try session.agree({ () throws -> (row: SequenceRow, cost: Double)? in
        guard let t = schedule.system(round: round, rank: session.rank) else { return nil }
        let system = try readSystem(t)
        let w = decisions.isEmpty ? omega : decisions[t - systems.lowerBound].value
        let result: SolveResult
        do {
          result = try OmegaTunedSolver.solve(system.matrix, system.rhs, method: tunedMethod, omega: w, stopping: stopping)
            .judged(by: stopping, a: system.matrix, b: system.rhs)
        } catch { throw CLIFailure.wrap(error, file: matrices[t]) }
        let row = SequenceRow(
          index: t + 1, matrix: matrices[t], context: contexts?[t], omega: w, iterations: result.iterations,
          seconds: result.seconds, relativeResidual: result.relativeResidual, reason: result.reason.rawValue)
        let cost = tuner?.costKind == .seconds ? result.seconds : Double(result.iterations)
        return (row, cost)
      }, describe: Self.describeFailure)

      // Pool the observations (ω chosen, cost) and feed them to every rank's learner in order.
      let observations = session.allGather(mine.map { [1, $0.row.omega, $0.cost] } ?? [0, 0, 0])
      let roundRows = try gatherRows(mine?.row, session)
      if tuner != nil {
        for (j, t) in systems.enumerated() {
          let observed = observations[j]
          guard observed[0] == 1, observed[1] == decisions[j].value else {
            throw CLIFailure.badInput("\(matrices[t]): the ranks' learners disagree (ω \(observed[1]) on rank \(j), \(decisions[j].value) here)")
          }
          do { try tuner!.observe(decisions[j], cost: observed[2]) } catch {
            throw CLIFailure.badInput("\(matrices[t]): \(error)")
          }
        }
      }
      if let state, let current = tuner {
        try session.agree({
          if root { try LearnerState(method: method.rawValue, tuner: current).write(to: state) }
        }, describe: Self.describeFailure)
      }
      lock = nil  // released after the save
      _ = lock
      for row in roundRows {
        rows.append(row)
        if root && !json { print(row.text) }
      }
    }

    var summary = SequenceSummary(
      method: method.rawValue, learner: tuner.map { "\($0.strategy)" }, grid: tuner.map { "\($0.grid)" },
      costKind: tuner?.costKind.rawValue, rounds: tuner?.rounds, systems: rows,
      totalIterations: rows.reduce(0) { $0 + $1.iterations }, totalSeconds: rows.reduce(0) { $0 + $1.seconds })
    summary.ranks = session.ranks
    if root {
      if json {
        print(summary.json())
      } else {
        print(String(format: "total      %d iterations, %.4f s over %d systems", summary.totalIterations, summary.totalSeconds, rows.count)
              + (tuner.map { " (learner: \($0.strategy), \($0.rounds) rounds so far, pooled over \(session.ranks) ranks)" }
                ?? " on \(session.ranks) rank\(session.ranks == 1 ? "" : "s")"))
      }
    }
    let failed = rows.filter { $0.reason != StopReason.converged.rawValue }
    if let first = failed.first {
      throw CLIFailure.notConverged("\(failed.count) of \(rows.count) systems did not converge (first: \(first.matrix), \(first.reason))")
    }
  }

  /// `--tune auto` over the ranks: each rank keeps its own ``PortfolioSequenceSolver`` (its
  /// arms' solvers, factorizations, warm starts and wall-time budgets), and all share its
  /// learners (one, or one per context bin with `--context`). In a round, rank r starts from
  /// the pooled learners, its bin's with the decisions of the round's earlier systems in that
  /// bin skipped (``PortfolioLearner/skipDecisions(_:)``: explore-then-commit tries the next
  /// untried arm, Tsallis-INF takes the next draw), journals what its system teaches each
  /// learner (``PortfolioLearner/journal``), and after the round every rank replays every
  /// journal in system order onto the pooled learners (``PortfolioLearner/apply(_:)``).
  private func runPortfolioOnRanks(_ session: PETScSession) throws {
    let stopping = StoppingCriterion(rtol: rtol, maxIterations: maxIterations)
    let asked = try arms.map { text in
      do { return try parseArms(text) } catch { throw CLIFailure.badInput("\(error)") }
    }
    let contexts = try session.agree({ try readContexts() }, describe: Self.describeFailure)
    var portfolio: PortfolioSequenceSolver?
    var pooled: [PortfolioLearner] = []
    func make(_ strategies: [SequenceStrategy], _ saved: SavedPortfolio?) throws -> PortfolioSequenceSolver {
      do {
        let made = try PortfolioSequenceSolver(
          strategies: strategies, stopping: stopping, seed: seed ?? 1, policy: policy ?? .exploreThenCommit,
          contextBins: try saved?.bins ?? contexts.map { try ContextBins(range: contextRangeValue($0), count: bins ?? 3) },
          learners: saved?.learners)
        made.margin = margin
        return made
      } catch let failure as CLIFailure { throw failure } catch { throw CLIFailure.badInput("\(error)") }
    }
    let schedule = SequenceRounds(systems: matrices.count, ranks: session.ranks)
    let root = session.isRoot
    var rows: [StrategyRow] = []
    if !json && root { print(StrategyRow.header) }
    for round in 0..<schedule.count {
      let mine = schedule.system(round: round, rank: session.rank)
      let system = try session.agree({ try mine.map { try readSystem($0) } }, describe: Self.describeFailure)
      var lock: StateLock?
      if let state, let saved = try readSharedState(state, session: session, lock: &lock, fresh: resetState && round == 0) {
        let learners = try checkPortfolio(saved, at: state, running: portfolio, contexts: contexts)
        if portfolio == nil { portfolio = try make(try learners.learners[0].arms.map { try SequenceStrategy(name: $0) }, learners) }
        pooled = learners.learners
      }
      if portfolio == nil {
        // The default arms follow the first system's matrix (rank 0's in round 0), on every rank.
        let first = session.broadcast(bytes: root ? [system.map { Self.isSPDLike($0.matrix) } == true ? 1 : 0] : [])
        let strategies = asked ?? PortfolioSequenceSolver.defaultStrategies(symmetricPositiveDiagonal: first == [1])
        portfolio = try make(strategies, nil)
        pooled = portfolio!.learners
      }
      let solver = portfolio!
      // This rank's start: the pooled learners, its bin's past the round's earlier decisions in it.
      let binOf = { (t: Int) -> Int in solver.contextBins.map { $0.bin(for: contexts![t]) } ?? 0 }
      var start = pooled
      if let t = mine {
        start[binOf(t)].skipDecisions(schedule.systems(in: round).filter { $0 < t && binOf($0) == binOf(t) }.count)
      }
      for b in start.indices { start[b].journal = [] }
      do { try solver.resume(from: start) } catch { throw CLIFailure.badInput("\(error)") }
      let outcome = try session.agree({ () throws -> PooledPortfolioRow? in
        guard let t = mine, let system else { return nil }
        let step: PortfolioSequenceSolver.Step
        do { step = try solver.solve(system, context: contexts?[t]) } catch { throw CLIFailure.wrap(error, file: matrices[t]) }
        var row = StrategyRow(position: t + 1, matrix: matrices[t], step: step.step)
        row.chosen = step.chosenArm.map { solver.strategies[$0].name }
        row.context = contexts?[t]
        row.attempts = step.attempts.map(AttemptRow.init)
        return PooledPortfolioRow(row: row, events: solver.learners.map { $0.journal ?? [] })
      }, describe: Self.describeFailure)
      let gathered = try gatherRows(outcome, session)
      do {
        for entry in gathered {
          guard entry.events.count == pooled.count else { throw TuningError.invalidStrategy("journals for \(entry.events.count) bins, not \(pooled.count)") }
          for (b, events) in entry.events.enumerated() { for event in events { try pooled[b].apply(event) } }
        }
      } catch {
        throw CLIFailure.badInput("the ranks' portfolio learners could not be pooled: \(error)")
      }
      if let state {
        let learners = pooled
        try session.agree({
          if root { try LearnerState(portfolio: learners, bins: solver.contextBins).write(to: state) }
        }, describe: Self.describeFailure)
      }
      lock = nil  // released after the save
      _ = lock
      for entry in gathered {
        rows.append(entry.row)
        guard root && !json else { continue }
        for note in entry.row.notes ?? [] { standardError("solve: note: \(entry.row.matrix): \(note)") }
        print(entry.row.text)
      }
    }
    let solver = portfolio!
    // The learner of the last system's bin, as one process reports it.
    let learner = pooled[solver.contextBins.map { $0.bin(for: contexts!.last!) } ?? 0]
    var summary = StrategySummary(method: "auto", systems: rows)
    summary.arms = learner.arms
    summary.rounds = pooled.reduce(0) { $0 + $1.rounds }
    summary.incumbent = learner.incumbent.map { learner.arms[$0] }
    if let bins = solver.contextBins {
      summary.contextBins = zip(bins.centres, pooled).map { centre, learner in
        ContextBinSummary(centre: centre, rounds: learner.rounds, incumbent: learner.incumbent.map { learner.arms[$0] })
      }
    }
    let dropped = learner.arms.indices.compactMap { i in learner.dropReasons[i].map { (learner.arms[i], $0) } }
    summary.dropped = dropped.isEmpty ? nil : Dictionary(dropped, uniquingKeysWith: { a, _ in a })
    summary.ranks = session.ranks
    if root {
      if json {
        print(summary.json())
      } else {
        print(String(format: "total      %d iterations, %.4f s over %d systems (set-up and solve; ", summary.totalIterations,
                     summary.totalSeconds, rows.count)
              + "best so far: \(summary.incumbent ?? "none"), \(summary.rounds ?? 0) rounds learned, pooled over \(session.ranks) ranks)")
      }
    }
    try checkConverged(rows)
  }

  /// Symmetric with a positive diagonal (the default arms' test, as ``PortfolioSequenceSolver/defaultStrategies(for:)``).
  private static func isSPDLike(_ a: SparseMatrix) -> Bool {
    a.isSymmetric(tolerance: 1e-14) && a.diagonal().allSatisfy { $0 > 0 }
  }

  /// The learner state at `path`, read by rank 0 under its lock (kept in `lock` until the
  /// round's save) and broadcast; `nil` when there is none or `fresh` (`--reset-state`).
  func readSharedState(
    _ path: String, session: PETScSession, lock: inout StateLock?, fresh: Bool
  ) throws -> LearnerState? {
    var held: StateLock?
    let bytes = try session.agree({ () throws -> [UInt8] in
      guard session.isRoot else { return [] }
      held = try StateLock(statePath: path)
      guard !fresh, let saved = try LearnerState.read(path) else { return [] }
      return try [UInt8](JSONEncoder().encode(SharedLearnerState(saved)))
    }, describe: Self.describeFailure)
    lock = held
    let shared = session.broadcast(bytes: bytes, from: 0)
    guard !shared.isEmpty else { return nil }
    do { return try JSONDecoder().decode(SharedLearnerState.self, from: Data(shared)).state } catch {
      throw CLIFailure.badInput("\(path): the learner state did not reach every rank: \(error)")
    }
  }

  /// Every rank's row of the round, in rank order (= system order); idle ranks give none.
  private func gatherRows<Row: Codable>(_ row: Row?, _ session: PETScSession) throws -> [Row] {
    let bytes = try row.map { [UInt8](try JSONEncoder().encode($0)) } ?? []
    return try session.allGather(bytes: bytes).filter { !$0.isEmpty }.map {
      try JSONDecoder().decode(Row.self, from: Data($0))
    }
  }

  /// A failure's one-line message, as `CLIFailure.report` would print it.
  private static func describeFailure(_ error: any Error) -> String {
    switch CLIFailure.wrap(error) {
    case .badInput(let message), .notConverged(let message), .interrupted(let message): message
    }
  }
}

/// One rank's `--tune auto` row and what its system taught each learner (one per context bin).
private struct PooledPortfolioRow: Codable {
  var row: StrategyRow
  var events: [[PortfolioLearner.Event]]
}

/// A ``LearnerState`` as rank 0 broadcasts it (also a format-1 file's, whose method is unknown).
private struct SharedLearnerState: Codable {
  var method: String?
  var tuner: ParameterTuner?
  var portfolio: PortfolioLearner?
  var portfolioBins: [PortfolioLearner]?
  var contextBins: ContextBins?

  init(_ state: LearnerState) {
    (method, tuner, portfolio) = (state.method, state.tuner, state.portfolio)
    (portfolioBins, contextBins) = (state.portfolioBins, state.contextBins)
  }

  var state: LearnerState {
    var state: LearnerState
    if let tuner {
      state = LearnerState(method: "", tuner: tuner)
    } else {
      state = LearnerState(portfolio: portfolioBins ?? portfolio.map { [$0] } ?? [], bins: contextBins)
    }
    state.method = method
    return state
  }
}
#endif
