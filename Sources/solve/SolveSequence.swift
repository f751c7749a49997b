import ArgumentParser
import Foundation
import LinSolve

/// `solve sequence A_1.mtx … --tune omega`: solves a sequence of related systems in order,
/// with a bandit choosing ω for each one from the iteration counts of the ones before
/// (Khodak et al., *Learning to Relax*, ICLR 2024). `--state` keeps the learner across separate
/// invocations, so a user's stream of systems keeps learning.
struct SolveSequence: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sequence",
    abstract: "Solve a sequence of systems in order: a fixed strategy, ω learned (--tune omega), or the fastest strategy learned (--tune auto).",
    discussion: """
      One row per system: the ω chosen, iterations, seconds, true relative residual; then totals.

      The learner sees only each solve's cost (iterations by default). With --context, each \
      system's scalar context (e.g. the shift c in A + cI) lets ChebCB approach the \
      instance-optimal ω. --state FILE loads the learner when FILE exists and saves it \
      (atomically) after every system. The state records the method, grid, learner, cost and \
      seed it was made with: options left out take the saved values, a different value is an \
      error (--reset-state starts a new learner). Processes sharing a state take turns, one \
      system at a time, through a lock on FILE.lock.

      --method cg|pcg|gmres|minres|bicgstab|cholesky|lu|amg (with --preconditioner) runs one \
      fixed strategy over the sequence, reusing the symbolic factorization while the pattern is \
      unchanged and refreshing an AMG hierarchy; --warm-start starts each iterative solve from \
      the previous solution. --tune auto learns the fastest of several strategies (--arms) by \
      wall time with a bandit (Tsallis-INF, as PCGBandit), bounding each exploration by \
      --margin × the best strategy's recent time; a failing strategy is dropped, never ends the \
      run; with --context, each context bin (--bins) learns its own strategy. Rows: strategy, \
      iterations, seconds (set-up + solve), true relative residual.
      """)

  enum SequenceMethod: String, ExpressibleByArgument, CaseIterable {
    case sor, ssor
    case ssorPCG = "ssor-pcg"
    case cg, gmres
    case pcg, minres, bicgstab, cholesky, lu, amg

    /// Run as one ``SequenceStrategy`` over the sequence (the others are the ω methods).
    var isFixedStrategy: Bool { ![.sor, .ssor, .ssorPCG].contains(self) }
  }

  enum Order: String, ExpressibleByArgument, CaseIterable {
    case given, greedy
  }

  enum Learner: String, ExpressibleByArgument, CaseIterable {
    case tsallis, binned, chebcb
  }

  enum TuneTarget: String, ExpressibleByArgument, CaseIterable {
    case omega
    /// The strategy (method, preconditioner, reuse), learned by wall time.
    case auto
  }

  @Argument(help: "The matrices A_1 … A_T (Matrix Market), solved in this order.")
  var matrices: [String]

  @Option(parsing: .upToNextOption, help: "Right-hand sides b_1 … b_T (one per matrix). Default: b = A·1.")
  var rhs: [String] = []

  @Option(help: "Method: sor, ssor, ssor-pcg (with --tune omega or --omega); cg, gmres (also with --recycle); pcg, minres, bicgstab, cholesky, lu, amg (a fixed strategy). Default: sor, or cg with --recycle.")
  var method: SequenceMethod?

  @Option(parsing: .unconditional, help: "Carry a Krylov subspace of this dimension from system to system (deflated CG for cg, GCRO-DR(40, k) for gmres); 0 solves each independently.")
  var recycle: Int?

  @Option(help: "Order of the systems for --recycle: given, or greedy (nearest-neighbour chain by ‖A_i − A_j‖_F, as in SKR).")
  var order: Order = .given

  @Option(help: "Preconditioner of a fixed --method (cg, pcg, gmres, minres, bicgstab): \(SolveSequence.preconditionerNames) (AMG hierarchies are refreshed from system to system); none, jacobi, ic0, ilu0 with --recycle.")
  var preconditioner: PreconditionerKind?

  @Option(help: "With --preconditioner learned: solve the first K systems with IC(0), train the learned factor on their solutions, solve the rest with it (1 ≤ K < the number of systems).")
  var train: Int?

  @Option(help: "With --preconditioner learned: a model file (JSON), loaded when it exists (then nothing is trained), else written after training.")
  var model: String?

  @Flag(help: "Start each iterative solve of a fixed --method from the previous system's solution.")
  var warmStart = false

  @Option(help: "With --tune auto: the strategies tried, comma-separated; the first system is solved by the one auto would pick, else the first listed (method[(ω, restart or θ)][+preconditioner[(ω or θ)]][+rebuild][+warm], e.g. cholesky,pcg+amg-sa+warm,pcg+amg-sa(0.08)+rebuild,pcg+ic0+warm). Default: for a symmetric matrix with a positive diagonal \(SolveSequence.defaultArms(symmetric: true)), otherwise \(SolveSequence.defaultArms(symmetric: false)); or the --state's.")
  var arms: String?

  @Option(help: "With --tune auto: a strategy being explored is stopped past this multiple of the best strategy's recent time.")
  var margin: Double = 1.25

  @Flag(help: "With --tune auto: also stop an exploring strategy once its first iterations' convergence rate projects it past twice its budget (off by default: CG's early rate is pessimistic and can lose a good strategy).")
  var predict = false

  @Option(help: "With --tune auto: how the learner chooses — explore-then-commit (tries each strategy once, cheapest set-up first, then keeps the fastest, re-checking the runner-up at systems 8, 16, 32, …) or tsallis (PCGBandit's Tsallis-INF sampling, for long sequences). Default: explore-then-commit, or the --state's.")
  var policy: PortfolioLearner.Policy?

  @Option(help: "What to learn across the sequence: omega (SOR's ω), or auto (the fastest strategy, by wall time).")
  var tune: TuneTarget?

  @Option(parsing: .unconditional, help: "Fixed ω when not tuning.")
  var omega: Double = 1.0

  @Option(help: "Candidate values start:stop:count (or a comma-separated list), each in (0, 2); at most 10,000. Default: 1.0:1.95:20, or the --state's.")
  var grid: String?

  @Option(help: "Learner: tsallis, binned (one Tsallis-INF per context bin) or chebcb. Default: chebcb with --context, tsallis without.")
  var learner: Learner?

  @Option(help: "A file with one context value per system (whitespace-separated): ChebCB/binned ω learners, or --tune auto's context bins.")
  var context: String?

  @Option(help: "Context range a:b for binned/chebcb, or for --tune auto's bins. Default: the range of the given contexts.")
  var contextRange: String?

  @Option(help: "With --tune auto --context: the number of context bins, each with its own learner (the arms' factorizations and hierarchies are shared). Default: 3, or the --state's.")
  var bins: Int?

  @Option(help: "Feedback: iterations or seconds. Default: iterations, or the --state's.")
  var cost: ParameterTuner.CostKind?

  @Option(help: "Seed of the learner's random choices. Default: 1, or the --state's.")
  var seed: UInt64?

  @Option(help: "Learner state file: loaded if it exists (with the options it was made with), saved after every system.")
  var state: String?

  @Flag(help: "Start a new learner in --state, replacing the saved one, instead of resuming it.")
  var resetState = false

  @Option(parsing: .unconditional, help: "Relative tolerance.")
  var rtol: Double = 1e-8

  @Option(parsing: .unconditional, help: "Maximum iterations per system.")
  var maxIterations: Int = 10_000

  @Flag(help: "Print one JSON object instead of the table.")
  var json = false

  @OptionGroup var scaleOut: ScaleOutOptions

  func validate() throws {
    guard !matrices.isEmpty else { throw ValidationError("give at least one matrix") }
    guard rhs.isEmpty || rhs.count == matrices.count else {
      throw ValidationError("--rhs has \(rhs.count) files for \(matrices.count) matrices")
    }
    guard omega > 0 && omega < 2 else { throw ValidationError("--omega \(omega) is not in (0, 2)") }
    guard rtol > 0 && rtol <= 1 else { throw ValidationError("--rtol \(rtol) is not in (0, 1]") }
    guard maxIterations >= 0 else { throw ValidationError("--max-iterations must be ≥ 0") }
    if preconditioner == .learned || train != nil || model != nil { return try validateLearned() }
    if tune == nil && (learner != nil || state != nil || grid != nil || cost != nil || seed != nil || resetState) {
      throw ValidationError("--learner, --grid, --cost, --seed, --state and --reset-state need --tune omega (--seed, --state and --reset-state also go with --tune auto)")
    }
    if tune != .auto && (arms != nil || policy != nil || bins != nil || predict) {
      throw ValidationError("--arms, --policy, --bins and --predict go with --tune auto")
    }
    guard margin.isFinite && margin > 0 else { throw ValidationError("--margin \(margin) is not positive") }
    if tune == .auto { return try validateAuto() }
    if warmStart && !(method?.isFixedStrategy ?? false) || warmStart && recycle != nil {
      throw ValidationError("--warm-start goes with a fixed --method (cg, pcg, gmres, minres, bicgstab, amg) without --recycle")
    }
    if resetState && state == nil { throw ValidationError("--reset-state needs --state") }
    if let grid {
      let values: ParameterGrid
      do { values = try ParameterGrid(parsing: grid) } catch { throw ValidationError("--grid \(grid): \(error)") }
      if let bad = values.first(where: { !($0 > 0 && $0 < 2) }) {
        throw ValidationError("--grid \(grid): ω = \(bad) is not in (0, 2)")
      }
    }
    if let recycle {
      guard recycle >= 0 else { throw ValidationError("--recycle must be ≥ 0") }
      // Checked against n once the matrices are read; this bound keeps 2k from overflowing.
      guard recycle <= Self.maximumRecycle else {
        throw ValidationError("--recycle \(recycle) is above \(Self.maximumRecycle) (it must also be below the order of the matrices)")
      }
      guard tune == nil else { throw ValidationError("--recycle and --tune cannot be combined") }
      if let method, method != .cg && method != .gmres {
        throw ValidationError("--recycle works with --method cg or gmres, not \(method.rawValue)")
      }
      if let kind = preconditioner, ![.none, .jacobi, .ic0, .ilu0].contains(kind) {
        throw ValidationError("--preconditioner \(kind.rawValue) goes with a fixed --method without --recycle (set-up reuse); --recycle takes none, jacobi, ic0 or ilu0")
      }
    } else if let method, method.isFixedStrategy {
      guard tune == nil else { throw ValidationError("--tune omega works with sor, ssor or ssor-pcg") }
      if order != .given { throw ValidationError("--order goes with --recycle") }
      try validateStrategy(method)
    } else if order != .given || preconditioner != nil {
      throw ValidationError("--order and --preconditioner go with --recycle, --preconditioner with a fixed --method (cg, pcg, gmres, minres, bicgstab)")
    }
  }

  /// The preconditioners a fixed strategy takes (every kind but Nyström, which needs a shift).
  static var preconditionerNames: String { PreconditionerKind.allCases.filter { $0 != .nystrom }.map(\.rawValue).joined(separator: ", ") }

  /// The default `--arms`, as text.
  static func defaultArms(symmetric: Bool) -> String {
    PortfolioSequenceSolver.defaultStrategies(symmetricPositiveDiagonal: symmetric).map(\.name).joined(separator: ",")
  }

  /// The largest `--recycle` accepted before the matrices are read.
  static let maximumRecycle = 1 << 24

  func run() throws {
    try checkOutputPaths()
    if try runsOnRanks() { return }  // --engine petsc, mpirun -np R: SolveSequence+PETSc.swift, +Distributed.swift
    if preconditioner == .learned { return try runLearned() }
    if let recycle { return try runRecycling(dimension: recycle) }
    if tune == .auto { return try runPortfolio() }
    if let method, method.isFixedStrategy { return try runFixed(method: method) }
    let contexts = try readContexts()
    var tuner: ParameterTuner?
    var method = self.method ?? .sor
    if tune != nil, state == nil { tuner = try makeTuner(contexts: contexts) }
    let stopping = StoppingCriterion(rtol: rtol, maxIterations: maxIterations)
    var rows: [SequenceRow] = []
    if !json { print(SequenceRow.header) }

    for (t, path) in matrices.enumerated() {
      let a: SparseMatrix
      do { a = try MatrixMarket.readMatrix(path: path) } catch { throw CLIFailure.wrap(error, file: path) }
      guard a.rows == a.columns else { throw CLIFailure.badInput("\(path): matrix is \(a.rows)×\(a.columns), not square") }
      let b = try rightHandSide(t, for: a)
      let context = contexts?[t]

      // With --state: the learner is read (or made), used and saved under the lock.
      let lock = try state.map { try StateLock(statePath: $0) }
      if let state {
        let saved = resetState && t == 0 ? nil : try LearnerState.read(state)
        if let saved {
          try check(saved, at: state, against: t == 0 ? nil : (method, tuner!), contexts: contexts)
          method = self.method ?? saved.method.flatMap(SequenceMethod.init(rawValue:)) ?? method
          tuner = saved.tuner
        } else if tuner == nil {
          tuner = try makeTuner(contexts: contexts)
        }
      }

      // The row's verdict is the true residual's (the learner sees the cost).
      var w = omega
      let result: SolveResult
      let tunedMethod = OmegaTunedSolver.Method(rawValue: method.rawValue)!
      if let current = tuner {
        var sequence = OmegaTunedSolver(method: tunedMethod, tuner: current, stopping: stopping)
        do {
          let step = try sequence.solve(a, b, context: context)
          (w, result) = (step.omega, step.result)
        } catch let error as TuningError {
          throw CLIFailure.badInput("\(path): \(error)")
        } catch {
          throw CLIFailure.wrap(error, file: path)
        }
        tuner = sequence.tuner
        if let state { try LearnerState(method: method.rawValue, tuner: sequence.tuner).write(to: state) }
      } else {
        do {
          result = try OmegaTunedSolver.solve(a, b, method: tunedMethod, omega: w, stopping: stopping)
            .judged(by: stopping, a: a, b: b)
        } catch {
          throw CLIFailure.wrap(error, file: path)
        }
      }
      _ = lock  // released here, after the save
      let row = SequenceRow(
        index: t + 1, matrix: path, context: context, omega: w, iterations: result.iterations,
        seconds: result.seconds, relativeResidual: result.relativeResidual, reason: result.reason.rawValue)
      rows.append(row)
      if !json { print(row.text) }
    }

    let summary = SequenceSummary(
      method: method.rawValue, learner: tuner.map { "\($0.strategy)" }, grid: tuner.map { "\($0.grid)" },
      costKind: tuner?.costKind.rawValue, rounds: tuner?.rounds, systems: rows,
      totalIterations: rows.reduce(0) { $0 + $1.iterations }, totalSeconds: rows.reduce(0) { $0 + $1.seconds })
    if json {
      print(summary.json())
    } else {
      print(String(format: "total      %d iterations, %.4f s over %d systems", summary.totalIterations, summary.totalSeconds, rows.count)
            + (tuner.map { " (learner: \($0.strategy), \($0.rounds) rounds so far)" } ?? ""))
    }
    let failed = rows.filter { $0.reason != StopReason.converged.rawValue }
    if let first = failed.first {
      throw CLIFailure.notConverged("\(failed.count) of \(rows.count) systems did not converge (first: \(first.matrix), \(first.reason))")
    }
  }

  func rightHandSide(_ t: Int, for a: SparseMatrix) throws -> [Double] {
    guard !rhs.isEmpty else { return a.applied(to: [Double](repeating: 1, count: a.columns)) }
    let b: [Double]
    do { b = try MatrixMarket.readVector(path: rhs[t]) } catch { throw CLIFailure.wrap(error, file: rhs[t]) }
    guard b.count == a.rows else {
      throw CLIFailure.badInput("\(rhs[t]): right-hand side has \(b.count) entries, \(matrices[t]) has \(a.rows) rows")
    }
    return b
  }

  func readContexts() throws -> [Double]? {
    guard let context else { return nil }
    let text: String
    do { text = try String(contentsOfFile: context, encoding: .utf8) } catch {
      throw CLIFailure.badInput("\(context): cannot read: \(error.localizedDescription)")
    }
    var values: [Double] = []
    for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      for token in line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }) {
        guard let v = Double(token), v.isFinite else {
          throw CLIFailure.badInput("\(context):\(number + 1): '\(token)' is not a finite number")
        }
        values.append(v)
      }
    }
    guard values.count == matrices.count else {
      throw CLIFailure.badInput("\(context): \(values.count) context values for \(matrices.count) matrices")
    }
    return values
  }

}
