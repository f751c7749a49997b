import ArgumentParser
import Foundation
import LinSolve

#if PETSc
import LinSolvePETSc
#endif

/// The options of `solve sequence` that place it on MPI and PETSc (issue 18): who solves each
/// system, PETSc's options, and Fischer's projection of earlier solutions as the initial guess.
struct ScaleOutOptions: ParsableArguments {
  @Option(help: "Who solves each system: native (LinSolve; under mpirun the systems are spread over the ranks, one per rank at a time) or petsc (every system across all the ranks of mpirun, on PETSc's KSP/PC; --method sor, ssor, ssor-pcg are PETSc's SOR with the ω given or learned by --tune omega). petsc needs a build with --traits PETSc.")
  var engine: Engine = .native

  @Option(parsing: .unconditional, help: ArgumentHelp("With --engine petsc: PETSc options for every solve, after LinSolve's settings (so they override them).", valueName: "options"))
  var petscOptions: String?

  @Option(help: ArgumentHelp("With --engine petsc: start each iterative solve from the A-norm best combination of the last L solutions (Fischer's projection, formed for each matrix across the ranks: L products).", valueName: "L"))
  var fischer: Int?

  @Option(help: ArgumentHelp("With --engine petsc --preconditioner amg: learn BoomerAMG's strong threshold θ for each system among these values (start:stop:count or a list, each in (0, 1)) from the slowest rank's seconds (set-up and solve); Tsallis-INF, or ChebCB with --context.", valueName: "values"))
  var thetaGrid: String?

  func validate() throws {
    if engine != .petsc && (petscOptions != nil || fischer != nil || thetaGrid != nil) {
      throw ValidationError("--petsc-options, --fischer and --theta-grid go with --engine petsc")
    }
    if let fischer, !(1...100).contains(fischer) { throw ValidationError("--fischer \(fischer) is not in 1…100") }
    if let thetaGrid {
      let values: ParameterGrid
      do { values = try ParameterGrid(parsing: thetaGrid) } catch { throw ValidationError("--theta-grid \(thetaGrid): \(error)") }
      if let bad = values.first(where: { !($0 > 0 && $0 < 1) }) {
        throw ValidationError("--theta-grid \(thetaGrid): θ = \(bad) is not in (0, 1)")
      }
    }
  }
}

extension SolveSequence {
  /// Runs the sequence on PETSc (`--engine petsc`) or spread over the ranks of `mpirun`, and
  /// says whether it did; `false`: the one-process `solve sequence`.
  func runsOnRanks() throws -> Bool {
    if scaleOut.engine == .petsc {
      try runOnPETSc()
      return true
    }
    if Self.spreadsOverRanks {
      try runOnRanks()
      return true
    }
    return false
  }

  /// `solve sequence --engine petsc`: each system in turn across every rank, on PETSc's KSP
  /// (docs/SCALE_OUT.md, "Sequences on the PETSc engine").
  func runOnPETSc() throws {
    #if PETSc
    let plan = try petscPlan()
    try PETScSession.runCommand(what: "--engine petsc") { session in try solveOnPETSc(session, plan) }
    #else
    throw Engine.unavailable
    #endif
  }
}

#if PETSc
extension SolveSequence {
  /// What `--engine petsc` runs: PETSc's method and preconditioner, or SOR sweeps with ω.
  struct PETScPlan {
    var method: DistributedMethod
    var preconditioner: DistributedPreconditioner
    /// `sor`, `ssor`, `ssor-pcg`: ω given or learned.
    var relaxed: SequenceMethod?
    /// The name of a fixed strategy's rows.
    var name: String
  }

  /// The plan, or the reason the engine cannot run the options (before MPI starts).
  private func petscPlan() throws -> PETScPlan {
    if recycle != nil {
      throw CLIFailure.badInput("--recycle is native; with --engine petsc, --fischer L starts each solve from the earlier solutions")
    }
    if tune == .auto { throw CLIFailure.badInput("--tune auto is native (it learns among LinSolve's strategies); --engine petsc takes --tune omega") }
    if warmStart && scaleOut.fischer != nil { throw CLIFailure.badInput("--warm-start and --fischer are two initial guesses: choose one") }
    let method = self.method ?? .sor
    if [.sor, .ssor, .ssorPCG].contains(method) {
      if scaleOut.thetaGrid != nil { throw CLIFailure.badInput("--theta-grid learns hypre BoomerAMG's θ: it goes with --preconditioner amg") }
      if preconditioner != nil { throw CLIFailure.badInput("--preconditioner goes with a fixed --method, not \(method.rawValue)") }
      let name = method.rawValue + (scaleOut.fischer.map { "+fischer(\($0))" } ?? "")
      return PETScPlan(method: .cg, preconditioner: .none, relaxed: method, name: name)
    }
    guard method != .amg, let solver = DistributedMethod(rawValue: method == .pcg ? "cg" : method.rawValue) else {
      throw CLIFailure.badInput("--engine petsc solves with sor, ssor, ssor-pcg, cg, pcg, gmres, minres, bicgstab, cholesky, lu; --method \(method.rawValue) is native only")
    }
    let kind = preconditioner ?? (method == .pcg ? .jacobi : PreconditionerKind.none)
    guard let pc = DistributedPreconditioner(rawValue: kind.rawValue) else {
      let names = DistributedPreconditioner.allCases.map(\.rawValue).joined(separator: ", ")
      throw CLIFailure.badInput("--engine petsc preconditions with \(names); --preconditioner \(kind.rawValue) is native only")
    }
    if solver.isDirect && scaleOut.fischer != nil { throw CLIFailure.badInput("--fischer does not go with the direct --method \(method.rawValue)") }
    if scaleOut.thetaGrid != nil && (solver.isDirect || pc != .amg) {
      throw CLIFailure.badInput("--theta-grid learns hypre BoomerAMG's θ: it goes with --preconditioner amg")
    }
    let name = fixedStrategy(method).name + (scaleOut.fischer.map { "+fischer(\($0))" } ?? "")
    return PETScPlan(method: solver, preconditioner: solver.isDirect ? .none : pc, relaxed: nil, name: name)
  }

  /// Reads, assembles and solves every system in order on every rank; rank 0 prints the rows.
  /// A learner (`--tune omega`) sees each system's cost — the same on every rank (iterations,
  /// or the slowest rank's seconds) — so every rank's learner makes the same choices, those of
  /// one process.
  private func solveOnPETSc(_ session: PETScSession, _ plan: PETScPlan) throws {
    let contexts = try session.agree({ try readContexts() }, describe: PETScSession.describe)
    let stopping = StoppingCriterion(rtol: rtol, maxIterations: maxIterations)
    var method = plan.relaxed
    var tuner: ParameterTuner?
    if tune != nil, state == nil { tuner = try makeTuner(contexts: contexts) }
    var projection = scaleOut.fischer.map { DistributedProjection(capacity: $0) }
    // θ learned from seconds: every rank sees the slowest rank's, so all choose alike.
    var thetaTuner = try scaleOut.thetaGrid.map { text in
      do {
        let grid = try ParameterGrid(parsing: text)
        let strategy: ParameterTuner.Strategy = try contexts.map { .chebCB(features: 6, range: try contextRangeValue($0)) } ?? .tsallisINF
        return try ParameterTuner(grid: grid, strategy: strategy, cost: .seconds, seed: seed ?? 1)
      } catch let failure as CLIFailure { throw failure } catch { throw CLIFailure.badInput("--theta-grid \(text): \(error)") }
    }
    var previous: DistributedVector?
    let root = session.isRoot
    var omegaRows: [SequenceRow] = [], strategyRows: [StrategyRow] = []
    if !json && root { print(plan.relaxed == nil ? StrategyRow.header : SequenceRow.header) }

    for (t, path) in matrices.enumerated() {
      let (a, rhsValues) = try session.agree({ () throws -> (SparseMatrix, [Double]?) in
        let a = try session.readOwnRows(path)
        guard a.rows == a.columns else { throw CLIFailure.badInput("\(path): matrix is \(a.rows)×\(a.columns), not square") }
        guard !rhs.isEmpty else { return (a, nil) }
        let b: [Double]
        do { b = try MatrixMarket.readVector(path: rhs[t]) } catch { throw CLIFailure.wrap(error, file: rhs[t]) }
        guard b.count == a.rows else {
          throw CLIFailure.badInput("\(rhs[t]): right-hand side has \(b.count) entries, \(path) has \(a.rows) rows")
        }
        return (a, b)
      }, describe: PETScSession.describe)
      guard session.isSameOnEveryRank(a.rows) else {
        throw CLIFailure.badInput("\(path): the ranks read matrices of different sizes (check that every rank sees the same file)")
      }
      do {
        let distributed = try DistributedMatrix(rowsOf: a, session: session)
        let b = try DistributedVector(like: distributed)
        if let rhsValues { try b.setOwned(from: rhsValues) } else {
          let ones = try DistributedVector(like: distributed)
          try ones.fill(1)
          try distributed.multiply(ones, into: b)
        }

        // With --state: rank 0 locks and reads it, every rank gets it; saved after the solve.
        var lock: StateLock?
        if let state, method != nil {
          let saved = try readSharedState(state, session: session, lock: &lock, fresh: resetState && t == 0)
          if let saved {
            try check(saved, at: state, against: t == 0 ? nil : (method!, tuner!), contexts: contexts)
            method = self.method ?? saved.method.flatMap(SequenceMethod.init(rawValue:)) ?? method
            tuner = saved.tuner
          } else if tuner == nil {
            tuner = try makeTuner(contexts: contexts)
          }
        }
        var omega = self.omega
        if tuner != nil {
          do { omega = try tuner!.next(context: contexts?[t]) } catch { throw CLIFailure.badInput("\(path): \(error)") }
        }
        let relaxation = method.map {
          DistributedRelaxation(omega: omega, symmetric: $0 != .sor, use: $0 == .ssorPCG ? .preconditioner : .solver)
        }
        var theta: Double?
        if thetaTuner != nil {
          do { theta = try thetaTuner!.next(context: contexts?[t]) } catch { throw CLIFailure.badInput("\(path): \(error)") }
        }
        // θ goes first, so that the user's --petsc-options still override it.
        let options = [theta.map { "-pc_hypre_boomeramg_strong_threshold \($0)" }, scaleOut.petscOptions].compactMap { $0 }
        let configuration = DistributedSolverConfiguration(
          method: plan.method, preconditioner: plan.preconditioner, stopping: stopping, restart: 40,
          petscOptions: options.isEmpty ? nil : options.joined(separator: " "), relaxation: relaxation)

        // The initial guess: Fischer's projection of the kept solutions, or the previous one.
        var x0: DistributedVector?
        var notes: [String] = []
        if projection != nil, let guess = try projection!.initialGuess(a: distributed, b: b, session: session) {
          x0 = guess
          notes.append("Fischer guess from \(projection!.solutions.count) solution\(projection!.solutions.count == 1 ? "" : "s") (\(projection!.solutions.count) products\(projection!.lastDropped > 0 ? ", \(projection!.lastDropped) dependent" : ""))")
        } else if warmStart, let previous, previous.ownedRange == distributed.ownedRows {
          x0 = try DistributedVector(like: distributed)
          try x0!.copy(from: previous)
        }
        let outcome = try DistributedSolver(configuration).solve(distributed, b, x0: x0, session: session)
        let result = outcome.result
        if tuner != nil {
          // A solve that did not converge (PETSc's local SOR can diverge on several ranks for a
          // large ω) is charged as if it had run to the iteration cap: learned as the worst.
          let cap = Double(max(stopping.maxIterations, result.iterations))
          let scale = result.converged ? 1 : cap / Double(max(result.iterations, 1))
          let cost = tuner!.costKind == .seconds ? result.seconds * scale : result.converged ? Double(result.iterations) : cap
          do { try tuner!.observe(cost: cost) } catch { throw CLIFailure.badInput("\(path): \(error)") }
          if let state, let current = tuner, let method {
            try session.agree({
              if root { try LearnerState(method: method.rawValue, tuner: current).write(to: state) }
            }, describe: PETScSession.describe)
          }
        }
        if thetaTuner != nil {
          do { try thetaTuner!.observe(cost: result.seconds) } catch { throw CLIFailure.badInput("\(path): \(error)") }
        }
        lock = nil  // released after the save
        _ = lock
        if result.x.allSatisfy(\.isFinite) {
          try projection?.add(outcome.solution, order: distributed.order)
          previous = outcome.solution
        }

        if method != nil {
          let row = SequenceRow(
            index: t + 1, matrix: path, context: contexts?[t], omega: omega, iterations: result.iterations,
            seconds: result.seconds, relativeResidual: result.relativeResidual, reason: result.reason.rawValue)
          omegaRows.append(row)
          if root && !json { print(row.text) }
        } else {
          notes.append("PETSc: \(outcome.kspType) + \(outcome.pcType)")
          let step = SequenceStep(
            strategy: theta.map { plan.name.replacingOccurrences(of: "+amg", with: "+amg(\($0))") } ?? plan.name, result: result, setupSeconds: outcome.setupSeconds, solveSeconds: outcome.solveSeconds,
            notes: notes + outcome.notes)
          let row = StrategyRow(position: t + 1, matrix: path, step: step)
          strategyRows.append(row)
          if root && !json { print(row.text) }
        }
      } catch let error as PETScError {
        throw CLIFailure.badInput("\(path): \(error)")
      }
    }

    let engineNote = "petsc on \(session.ranks) rank\(session.ranks == 1 ? "" : "s")"
    if let method {
      var summary = SequenceSummary(
        method: method.rawValue, learner: tuner.map { "\($0.strategy)" }, grid: tuner.map { "\($0.grid)" },
        costKind: tuner?.costKind.rawValue, rounds: tuner?.rounds, systems: omegaRows,
        totalIterations: omegaRows.reduce(0) { $0 + $1.iterations }, totalSeconds: omegaRows.reduce(0) { $0 + $1.seconds })
      summary.ranks = session.ranks
      summary.engine = Engine.petsc.rawValue
      if root {
        print(json ? summary.json() : String(format: "total      %d iterations, %.4f s over %d systems", summary.totalIterations, summary.totalSeconds, omegaRows.count)
              + (tuner.map { " (learner: \($0.strategy), \($0.rounds) rounds so far)" } ?? "") + "; \(engineNote)")
      }
      let failed = omegaRows.filter { $0.reason != StopReason.converged.rawValue }
      if let first = failed.first {
        throw CLIFailure.notConverged("\(failed.count) of \(omegaRows.count) systems did not converge (first: \(first.matrix), \(first.reason))")
      }
    } else {
      var summary = StrategySummary(method: plan.method.rawValue, systems: strategyRows)
      summary.preconditioner = plan.preconditioner.rawValue
      summary.strategy = plan.name
      summary.learner = thetaTuner.map { "\($0.strategy)" }
      summary.grid = thetaTuner.map { "\($0.grid)" }
      summary.rounds = thetaTuner?.rounds
      summary.ranks = session.ranks
      summary.engine = Engine.petsc.rawValue
      if root {
        print(json ? summary.json() : String(format: "total      %d iterations, %d matvecs, %.4f s over %d systems (set-up and solve; ",
                                              summary.totalIterations, summary.totalMatvecs, summary.totalSeconds, strategyRows.count)
              + plan.name + (projection.map { ", \($0.matvecs) products for the guesses" } ?? "") + "); \(engineNote)")
      }
      try checkConverged(strategyRows)
    }
  }
}
#endif
