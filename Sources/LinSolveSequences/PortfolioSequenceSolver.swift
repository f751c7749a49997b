import LinSolveCore
import LinSolveDirect
import LinSolveTuning

/// Learns the fastest of several strategies across a sequence of systems, by wall time, while
/// solving every system to the tolerance — `solve sequence --tune auto`.
///
/// The arms are ``SequenceStrategy`` values, each with its own ``FixedStrategySequenceSolver``
/// (so each keeps its factorization or AMG hierarchy); a ``PortfolioLearner`` (½-Tsallis-INF
/// with wall-clock feedback, as PCGBandit: Khodak, Jung, Wynne, Chow, Kolemen, arXiv
/// 2509.08765) picks one per system. For short sequences, exploration is bounded:
///
/// 1. **Opening.** Without an incumbent (and before any direct fallback was timed), the arm
///    ``AutoChoice`` would pick — else the first active one (put the most robust first) — solves
///    the system unbounded and becomes the incumbent. After a fallback, arms are chosen by the
///    learner and bounded by its time.
/// 2. **Bounded exploration.** An arm other than the incumbent gets ``margin`` × the
///    incumbent's recent time (``ExplorationBudget``); it is stopped when it passes it (or, with
///    ``predictsCost``, when its convergence rate predicts it will), or — a Cholesky arm — when
///    CHOLMOD's flop estimate does, before the numeric factorization. The incumbent finishes the system
///    from the stopped arm's iterate (or the previous solution, whichever is closer), and the
///    learner is charged the larger of the system's whole time and the stopped arm's projected
///    time (a censored cost: it does not count towards the arm's own mean) — a bad arm costs a
///    few iterations and is learned as slow at once.
/// 3. **Failures.** An arm that fails (a factorization out of memory or not positive definite,
///    IC(0) breakdown, CG meeting indefiniteness, no convergence) is dropped with a note; the
///    incumbent, then a direct solve (Cholesky, then LU), finishes the system. A failure never
///    ends the sequence: should the direct solve fail too (out of memory), the system is
///    reported unsolved (``StopReason/breakdown``) and the next one is solved.
///
/// 4. **Exploration share.** An exploration (any arm but the incumbent) is allowed only while
///    what explorations cost beyond the incumbent (an explored system's cost less the incumbent's
///    recent cost; nothing when the explored arm was faster) is at most ``explorationShare`` of
///    the sequence's seconds so far; otherwise the incumbent solves the system. Explorations are
///    thus spread over the sequence so that their cost stays a bounded fraction of the whole,
///    whatever the number of arms, while arms that turn out faster are explored back to back.
///    An untried arm whose set-up cannot be stopped midway (a symbolic factorization, a
///    multigrid hierarchy) waits until a pessimistic estimate of that set-up fits in what is left
///    of the share (the ski-rental principle: it is risked once the sequence has spent enough to
///    afford it).
///
/// The choices are deterministic for a seed and the costs observed (``costModel`` can replace
/// wall time by any cost, e.g. in tests).
///
/// ```swift
/// let portfolio = try PortfolioSequenceSolver(strategies: PortfolioSequenceSolver.defaultStrategies, seed: 1)
/// for system in sequence { let step = try portfolio.solve(system); print(step.step.strategy, step.step.seconds) }
/// ```
public final class PortfolioSequenceSolver {
  /// What happened to one strategy's attempt on a system.
  public enum AttemptOutcome: Sendable, Equatable {
    case solved
    /// Stopped at (or predicted past) its exploration budget.
    case aborted(String)
    /// Failed; the arm was dropped.
    case failed(String)
  }

  /// One strategy's attempt on a system.
  public struct Attempt: Sendable {
    public var strategy: String
    /// The arm's index (`nil` for the built-in direct fallback).
    public var arm: Int?
    public var outcome: AttemptOutcome
    public var iterations: Int
    public var seconds: Double
    /// For an attempt stopped by its convergence-rate prediction: the projected seconds of the
    /// whole solve (``ExplorationBudget``).
    public var projectedSeconds: Double?

    /// What the solve would have cost: the seconds spent, or the projection when larger.
    public var estimatedSeconds: Double { max(seconds, projectedSeconds ?? 0) }
  }

  /// One system: the step (the finishing solve, times summed over every attempt), the arm the
  /// learner chose and each attempt.
  public struct Step: Sendable {
    public var step: SequenceStep
    /// `nil` when every arm had been dropped.
    public var chosenArm: Int?
    public var attempts: [Attempt]
  }

  public let strategies: [SequenceStrategy]
  /// The learners, one per context bin (one without ``contextBins``); save them to resume
  /// (their arms are the strategies' names).
  public private(set) var learners: [PortfolioLearner]
  /// The context bins, each with its own learner (`nil`: one learner for every system).
  public let contextBins: ContextBins?
  /// The bin of the system being solved, or of the last one.
  public private(set) var currentBin = 0
  /// The learner of the current context bin.
  public private(set) var learner: PortfolioLearner {
    get { learners[currentBin] }
    set { learners[currentBin] = newValue }
  }
  public let stopping: StoppingCriterion
  /// An exploring arm's budget as a multiple of the incumbent's recent time (at most 1 for an arm
  /// whose first solve carries no one-time set-up, ``PortfolioLearner/firstSolveCarriesSetUp``,
  /// unless a ``costModel`` is set).
  public var margin = 1.25
  /// Stop an exploring arm as soon as its convergence rate predicts it will pass its budget.
  /// Off by default: CG's early rate is pessimistic, and a wrong prediction loses a good arm for
  /// the rest of the sequence (3-D heat 64³: PCG-Jacobi, the best fixed strategy, was stopped on
  /// a projection and the run took 1.69× the best; without predictions 0.90×). A Cholesky arm's
  /// factorization is still checked against the budget by CHOLMOD's flop count.
  public var predictsCost = false
  /// Open with the arm ``AutoChoice`` would pick for the first matrix (when it is one of the
  /// arms); `false`: with the first active arm, as listed.
  public var opensWithAutoChoice = true
  /// The cost the learner sees for an attempt's system (`nil`: wall seconds, set-up + solve).
  public var costModel: ((Attempt) -> Double)?
  /// The largest fraction of the sequence's seconds that explorations may cost beyond what the
  /// incumbent would have taken (0.05: exploring adds at most about 5 %); 1 explores whenever the
  /// learner asks.
  public var explorationShare = 0.05
  /// Seconds of every system solved so far (this process; in ``costModel``'s units when it is set).
  public private(set) var elapsedSeconds = 0.0
  /// What explorations cost beyond the incumbent: for each explored system, its cost less the
  /// incumbent's recent cost (0 when the exploring arm was faster). Same units as ``elapsedSeconds``.
  public private(set) var explorationSeconds = 0.0
  /// The incumbent's recent cost while a system is being explored (charged in `finish`).
  private var explorationReference: Double?

  private var solvers: [FixedStrategySequenceSolver?]
  private var fallback: FixedStrategySequenceSolver?
  private var previousSolution: [Double]?
  /// Seconds of the first direct fallback: the budget's reference while there is no incumbent.
  private var fallbackSeconds: Double?
  /// Each Cholesky arm's numeric factorization rate (flops per second) when it last completed.
  private var factorRates: [Int: Double] = [:]
  /// The factorization rate assumed before an arm has been measured: optimistic, so that a
  /// factorization is only stopped when it could not fit the budget even at this rate.
  static let optimisticFactorRate = 1e10
  /// The moving average of each arm's complete wall seconds in this process (the budget's
  /// reference; the weight of the newest is ``PortfolioLearner/recencyWeight``).
  private var recentSeconds: [[Double?]]
  /// Complete solves of each arm timed in this process (per context bin, as the two above).
  private var completions: [[Int]]
  /// The bin of the last system solved (`nil`: none yet).
  private var lastBin: Int?

  /// The strategies tried by default, the most robust first (the opening): Cholesky; PCG with
  /// every algebraic multigrid (``PreconditionerKind/isMultigrid``), IC(0), Jacobi and
  /// SSOR(1.5), warm-started; GMRES and BiCGSTAB with ILU(0), warm-started; LU.
  public static var defaultStrategies: [SequenceStrategy] {
    [SequenceStrategy(method: .cholesky)]
      + PreconditionerKind.allCases.filter(\.isMultigrid).map { SequenceStrategy(method: .pcg, preconditioner: $0, warmStart: true) }
      + [
        SequenceStrategy(method: .pcg, preconditioner: .ic0, warmStart: true),
        SequenceStrategy(method: .pcg, preconditioner: .jacobi, warmStart: true),
        SequenceStrategy(method: .pcg, preconditioner: .ssor, omega: 1.5, warmStart: true),
        SequenceStrategy(method: .gmres, preconditioner: .ilu0, warmStart: true),
        SequenceStrategy(method: .bicgstab, preconditioner: .ilu0, warmStart: true),
        SequenceStrategy(method: .lu),
      ]
  }

  /// The default strategies that suit `a`, fewer arms to explore on a short sequence: for a
  /// symmetric matrix with a positive diagonal (as ``AutoChoice`` tells), Cholesky and the PCG
  /// arms; otherwise LU, GMRES and BiCGSTAB with ILU(0), and GMRES with every multigrid that
  /// takes a nonsymmetric matrix (Ruge–Stüben).
  public static func defaultStrategies(for a: SparseMatrix) -> [SequenceStrategy] {
    defaultStrategies(symmetricPositiveDiagonal: a.isSymmetric(tolerance: 1e-14) && a.diagonal().allSatisfy { $0 > 0 })
  }

  /// ``defaultStrategies(for:)`` for a matrix that is (or is not) symmetric with a positive diagonal.
  public static func defaultStrategies(symmetricPositiveDiagonal spdLike: Bool) -> [SequenceStrategy] {
    if spdLike { return defaultStrategies.filter { $0.method == .cholesky || $0.method == .pcg } }
    return [SequenceStrategy(method: .lu)]
      + [SequenceStrategy(method: .gmres, preconditioner: .ilu0, warmStart: true),
         SequenceStrategy(method: .bicgstab, preconditioner: .ilu0, warmStart: true)]
      + PreconditionerKind.allCases.filter { $0.isMultigrid && !$0.needsSymmetricMatrix }
      .map { SequenceStrategy(method: .gmres, preconditioner: $0, warmStart: true) }
  }

  /// - Parameters:
  ///   - learner: a saved learner to resume; its arms must be the strategies' names.
  ///   - contextBins: learn per context bin: each system's context (``solve(_:context:)``) picks
  ///     its bin's learner, while the arms' solvers (factorizations, hierarchies) and the warm
  ///     start are shared by all bins.
  ///   - learners: saved learners to resume, one per context bin (instead of `learner`).
  /// - Throws: an invalid strategy or criterion, repeated strategy names, or learners made
  ///   for other arms or another number of bins (``TuningError/invalidStrategy(_:)``).
  public init(
    strategies: [SequenceStrategy], stopping: StoppingCriterion = StoppingCriterion(), seed: UInt64 = 1,
    policy: PortfolioLearner.Policy = .exploreThenCommit, learner: PortfolioLearner? = nil,
    contextBins: ContextBins? = nil, learners: [PortfolioLearner]? = nil
  ) throws {
    for s in strategies { try s.validate() }
    try stopping.validate()
    let names = strategies.map(\.name)
    let bins = contextBins?.count ?? 1
    let saved = learners ?? learner.map { [$0] }
    if let saved {
      try Self.check(saved, arms: names, bins: bins)
    }
    let fresh = try PortfolioLearner(
      arms: names, seed: seed, policy: policy,
      explorationOrder: strategies.indices.sorted { (Self.setupRank(strategies[$0]), $0) < (Self.setupRank(strategies[$1]), $1) },
      firstSolveCarriesSetUp: strategies.map { Self.setupRank($0) > 0 })
    self.learners = saved ?? Array(repeating: fresh, count: bins)
    self.contextBins = contextBins
    self.strategies = strategies
    self.stopping = stopping
    solvers = Array(repeating: nil, count: strategies.count)
    recentSeconds = Array(repeating: Array(repeating: nil, count: strategies.count), count: bins)
    completions = Array(repeating: Array(repeating: 0, count: strategies.count), count: bins)
  }

  /// Continues with `learner` (saved by another process sharing the state) instead of the
  /// current one; the arms' solvers and what they keep stay.
  ///
  /// - Throws: ``TuningError/invalidStrategy(_:)`` for a learner over other arms, or for a
  ///   portfolio with context bins.
  public func resume(from learner: PortfolioLearner) throws { try resume(from: [learner]) }

  /// Continues with `learners` (one per context bin, saved by another process sharing the
  /// state) instead of the current ones; the arms' solvers and what they keep stay.
  ///
  /// - Throws: ``TuningError/invalidStrategy(_:)`` for learners over other arms or another
  ///   number of bins.
  public func resume(from learners: [PortfolioLearner]) throws {
    try Self.check(learners, arms: strategies.map(\.name), bins: self.learners.count)
    self.learners = learners
  }

  private static func check(_ learners: [PortfolioLearner], arms: [String], bins: Int) throws {
    guard learners.count == bins else {
      throw TuningError.invalidStrategy("the saved portfolio has \(learners.count) context bins, not \(bins)")
    }
    if let other = learners.first(where: { $0.arms != arms }) {
      throw TuningError.invalidStrategy("the saved portfolio has arms \(other.arms), not \(arms)")
    }
  }

  /// Solves the next system: chooses an arm, bounds it unless it is the incumbent, and
  /// finishes the system with the incumbent or a direct solve when it is stopped or fails.
  ///
  /// - Throws: only for input no strategy can take (sizes, non-finite values) or when every
  ///   solve, the direct fallback included, threw.
  public func solve(_ system: LinearSystem) throws -> Step { try solve(system, context: system.context) }

  /// Solves the next system with the learner of `context`'s bin (``contextBins``; `nil`: the
  /// system's own ``LinearSystem/context``); a bin that has seen no system yet opens with the
  /// incumbent of the last system's bin.
  ///
  /// - Throws: as ``solve(_:)``, and ``LinSolveError/invalidParameter(name:reason:)`` for a
  ///   missing or non-finite context when the portfolio has context bins.
  public func solve(_ system: LinearSystem, context: Double?) throws -> Step {
    if let bins = contextBins {
      guard let context = context ?? system.context, context.isFinite else {
        throw LinSolveError.invalidParameter(
          name: "context", reason: "the portfolio learns per context bin: give each system a finite context, not \(context.map { "\($0)" } ?? "none")")
      }
      currentBin = bins.bin(for: context)
    }
    defer { lastBin = currentBin }
    let threshold = stopping.threshold(rhsNorm: Vector.norm(system.rhs), initialResidualNorm: 0)
    explorationReference = nil
    var attempts: [Attempt] = []
    var notes: [String] = []
    var setup = 0.0, solve = 0.0
    var guess: [Double]?
    /// Adds an attempt's time: its step's set-up and solve, or (no step: it threw) its set-up.
    func record(_ attempt: Attempt, _ step: SequenceStep?) {
      setup += step?.setupSeconds ?? attempt.seconds
      solve += step?.solveSeconds ?? 0
      notes += step?.notes ?? []
    }

    // The learner's arm, or the opening arm while nothing has been timed.
    let incumbent = learner.incumbent
    let chosen: Int
    var isRound = false
    let referenceSeconds = reference(incumbent) ?? fallbackSeconds
    if incumbent == nil && referenceSeconds == nil {
      // The choice (auto's symmetry and dimension checks) counts as set-up.
      let start = ContinuousClock.now
      let choice = openingArm(for: system.matrix)
      setup += Self.seconds(since: start)
      guard let opening = choice else { return try finishDirect(system, attempts, notes, setup, solve, nil) }
      chosen = opening.arm
      notes.append("opening with \(strategies[chosen].name)\(opening.why)")
    } else if let leader = incumbent, explorationSeconds > explorationShare * elapsedSeconds {
      try learner.force(leader)  // exploration has had its share: the incumbent
      chosen = leader
      isRound = true
    } else {
      chosen = try learner.next(excluding: unaffordableArms(for: system.matrix))
      isRound = true
    }
    // An arm without a one-time set-up (Jacobi, SSOR) would cost the same again: it gets no more
    // than the incumbent's wall time (under a cost model, `margin` as given).
    let multiple = learner.firstSolveCarriesSetUp[chosen] || costModel != nil ? margin : min(margin, 1)
    let budget = chosen != incumbent ? referenceSeconds.map { ExplorationBudget(seconds: multiple * $0, predicts: predictsCost) } : nil
    let first = attempt(chosen, system, budget: budget, threshold: threshold, initialGuess: nil)
    if budget != nil { explorationReference = costModel == nil ? referenceSeconds : incumbent.flatMap(learner.recentCost) ?? 0 }
    attempts.append(first.attempt)
    record(first.attempt, first.step)

    switch first.attempt.outcome {
    case .solved:
      let step = first.step!
      if isRound { try learner.observe(cost: cost(of: first.attempt)) } else { try learner.recordCompletion(of: chosen, cost: cost(of: first.attempt)) }
      noteSeconds(chosen, first.attempt.seconds, wasIncumbent: chosen == incumbent)
      return finish(step, chosen, attempts, notes, setup, solve)
    case .aborted(let why):
      notes.append("\(strategies[chosen].name) stopped: \(why)")
      guess = bestStart(system, first.step?.result.x)
    case .failed(let why):
      dropEverywhere(chosen, because: why)
      notes.append("\(strategies[chosen].name) dropped: \(why)")
      guess = bestStart(system, first.step?.result.x)
    }

    // The incumbent finishes (warm-started from the stopped arm's iterate), else a direct solve.
    var tried: Set<Int> = [chosen]
    while let arm = learner.incumbent, !tried.contains(arm) {
      tried.insert(arm)
      let done = attempt(arm, system, budget: nil, threshold: threshold, initialGuess: guess)
      attempts.append(done.attempt)
      record(done.attempt, done.step)
      if done.attempt.outcome == .solved, let step = done.step {
        notes.append("finished by \(strategies[arm].name), the best so far")
        try chargeRound(isRound, attempts)
        // A fresh solve measures the arm; one warm-started from a stopped arm's iterate does not.
        if guess == nil {
          try learner.recordCompletion(of: arm, cost: cost(of: done.attempt))
          noteSeconds(arm, done.attempt.seconds, wasIncumbent: arm == incumbent)
        }
        return finish(step, chosen, attempts, notes, setup, solve)
      }
      if case .failed(let why) = done.attempt.outcome {
        dropEverywhere(arm, because: why)
        notes.append("\(strategies[arm].name) dropped: \(why)")
      }
    }
    try chargeRound(isRound, attempts)
    return try finishDirect(system, attempts, notes, setup, solve, chosen)
  }

  // MARK: Pieces

  /// The arm that opens (solves unbounded, nothing being timed yet): the active arm that
  /// ``AutoChoice`` would pick for `a` (method and preconditioner; CG and PCG alike), else the
  /// first active arm.
  private func openingArm(for a: SparseMatrix) -> (arm: Int, why: String)? {
    let active = learner.activeArms
    guard let first = active.first else { return nil }
    if let last = lastBin, last != currentBin, let leader = learners[last].incumbent, learner.isActive(leader) {
      return (leader, " (the incumbent of context bin \(last + 1))")
    }
    guard active.count > 1, opensWithAutoChoice else { return (first, "") }
    let auto = AutoChoice.choose(for: a)
    func family(_ m: SolverMethod) -> SolverMethod { m == .cg ? .pcg : m }
    let match = active.first { i in
      family(strategies[i].method) == family(auto.method) && strategies[i].preconditioner == auto.preconditioner
    }
    return match.map { ($0, " (auto's choice: \(auto.why))") } ?? (first, "")
  }

  /// One arm's attempt: set-up (bounded by the budget), then the solve under its monitor.
  private func attempt(
    _ arm: Int, _ system: LinearSystem, budget: ExplorationBudget?, threshold: Double, initialGuess: [Double]?
  ) -> (attempt: Attempt, step: SequenceStep?) {
    let strategy = strategies[arm]
    let name = strategy.name
    do {
      let solver = try solvers[arm] ?? FixedStrategySequenceSolver(strategy: strategy, stopping: stopping)
      solvers[arm] = solver
      solver.previousSolution = previousSolution
      // The budget's monitor is made at the first call, after the set-up, so it knows its time.
      var bounded: SolveMonitor?
      let monitor: SolveMonitor? = budget.map { b in
        { k, r in
          if bounded == nil { bounded = b.monitor(setupSeconds: solver.prepared.setupSeconds, threshold: threshold) }
          return bounded!(k, r)
        }
      }
      // A Cholesky arm under a budget stops before its numeric factorization when that is
      // projected past the budget (at the rate this arm reached before).
      let start = ContinuousClock.now
      var factorization: (flops: Double, after: Double)?
      let beforeFactorizing: ((CholeskyFactorization.FactorEstimate) throws -> Void)? = budget.map { b in
        { [factorRates] estimate in
          let elapsed = Self.seconds(since: start)
          factorization = (estimate.flops, elapsed)
          try b.checkFactorization(flops: estimate.flops, rate: factorRates[arm] ?? Self.optimisticFactorRate, setupSoFar: elapsed)
        }
      }
      let step = try solver.solve(system, initialGuess: initialGuess, monitor: monitor, beforeFactorizing: beforeFactorizing)
      if let (flops, after) = factorization, step.setupSeconds > after, flops > 0 {
        factorRates[arm] = flops / (step.setupSeconds - after)
      }
      let iterations = step.result.iterations
      if step.result.converged {
        return (Attempt(strategy: name, arm: arm, outcome: .solved, iterations: iterations, seconds: step.seconds), step)
      }
      if let budget, step.result.reason == .cancelled, let why = budget.stopReason {
        var stopped = step
        stopped.result.reason = .timeLimit
        let attempt = Attempt(
          strategy: name, arm: arm, outcome: .aborted(why), iterations: iterations, seconds: step.seconds,
          projectedSeconds: budget.projectedSeconds)
        return (attempt, stopped)
      }
      let why = "\(step.result.reason.rawValue) after \(iterations) iterations (relative residual \(step.result.relativeResidual))"
      return (Attempt(strategy: name, arm: arm, outcome: .failed(why), iterations: iterations, seconds: step.seconds), step)
    } catch let exceeded as ExplorationBudget.Exceeded {
      let why = budget?.stopReason ?? "factorization past the budget"
      let seconds = solvers[arm]?.prepared.setupSeconds ?? 0
      return (Attempt(strategy: name, arm: arm, outcome: .aborted(why), iterations: 0, seconds: seconds,
                      projectedSeconds: exceeded.projectedSeconds), nil)
    } catch {
      let seconds = solvers[arm]?.prepared.setupSeconds ?? 0
      return (Attempt(strategy: name, arm: arm, outcome: .failed("\(error)"), iterations: 0, seconds: seconds), nil)
    }
  }

  /// How much an arm's set-up costs before its budget can act, the order of exploration: none or
  /// a diagonal (Jacobi, SOR/SSOR) first, incomplete factorizations, then multigrid hierarchies,
  /// then direct factorizations (their symbolic analysis cannot be stopped).
  static func setupRank(_ s: SequenceStrategy) -> Int {
    if s.method.isDirect { return 3 }
    if s.method == .amg || s.preconditioner.isMultigrid { return 2 }
    switch s.preconditioner {
    case .none, .jacobi, .ssor: return 0
    default: return 1
    }
  }

  /// Seconds of a direct arm's first symbolic analysis per stored entry, assumed before it is
  /// tried: pessimistic (CHOLMOD's analysis of a 128² Laplacian, 82k entries, with its METIS
  /// ordering trial took 0.17 s here), since that analysis cannot be stopped by the budget.
  public var analysisSecondsPerEntry = 2e-6
  /// Seconds of a multigrid arm's first hierarchy per stored entry, assumed before it is tried:
  /// about twice what smoothed aggregation took here (3.4 ms for the 46k entries of a 96² Darcy
  /// matrix; Ruge–Stüben's set-up is about twice SA's), since a hierarchy's construction is not
  /// stopped by the budget either.
  public var hierarchySecondsPerEntry = 1.5e-7

  /// The untried arms whose set-up cannot be stopped midway — a direct arm's symbolic analysis,
  /// a multigrid hierarchy — and whose pessimistic estimate would not fit in what is left of the
  /// exploration share: not offered to the learner yet (they are, later in a longer sequence).
  /// None under a ``costModel`` (the estimates are in seconds, the share then in its units).
  private func unaffordableArms(for a: SparseMatrix) -> Set<Int> {
    guard costModel == nil else { return [] }
    let left = explorationShare * elapsedSeconds - explorationSeconds
    return Set(strategies.indices.filter { i in
      let s = strategies[i]
      let perEntry = s.method.isDirect ? analysisSecondsPerEntry
        : s.method == .amg || s.preconditioner.isMultigrid ? hierarchySecondsPerEntry : 0
      return perEntry > 0 && learner.estimatedCost(i) == nil && solvers[i] == nil && Double(a.nonzeros) * perEntry > left
    })
  }

  /// The direct fallback (Cholesky, then LU) when no arm could finish the system.
  private func finishDirect(
    _ system: LinearSystem, _ attempts: [Attempt], _ notes: [String], _ setup: Double, _ solve: Double, _ chosen: Int?
  ) throws -> Step {
    var attempts = attempts, notes = notes
    let solver = try fallback ?? FixedStrategySequenceSolver(strategy: SequenceStrategy(method: .cholesky), stopping: stopping, fallBack: true)
    fallback = solver
    let step: SequenceStep
    do {
      step = try solver.solve(system)
    } catch let error as LinSolveError {
      // Out of memory or not factorizable either: the system is reported unsolved (with the
      // best start there is) and the sequence goes on.
      switch error {
      case .factorizationFailed, .memoryLimitExceeded: break
      default: throw error
      }
      let a = system.matrix
      let x = bestStart(system, nil) ?? [Double](repeating: 0, count: a.columns)
      let r = a.residualNorm(x: x, b: system.rhs)
      let unsolved = SolveResult(
        x: x, reason: .breakdown, iterations: 0, residualNorm: r, trueResidualNorm: r, rhsNorm: Vector.norm(system.rhs))
      let seconds = solver.prepared.setupSeconds
      attempts.append(Attempt(strategy: "cholesky→lu", arm: nil, outcome: .failed("\(error)"), iterations: 0, seconds: seconds))
      notes.append("the direct fallback failed too (\(error)): system not solved")
      let failed = SequenceStep(strategy: "none", result: unsolved, setupSeconds: seconds, solveSeconds: 0)
      return finish(failed, chosen, attempts, notes, setup + seconds, solve)
    }
    if step.result.converged && fallbackSeconds == nil { fallbackSeconds = step.seconds }
    attempts.append(Attempt(strategy: step.strategy, arm: nil, outcome: step.result.converged ? .solved : .failed(step.result.reason.rawValue),
                            iterations: step.result.iterations, seconds: step.seconds))
    notes.append("finished by the direct fallback (\(step.strategy))")
    return finish(step, chosen, attempts, notes + step.notes, setup + step.setupSeconds, solve + step.solveSeconds)
  }

  private func finish(_ step: SequenceStep, _ chosen: Int?, _ attempts: [Attempt], _ notes: [String], _ setup: Double, _ solve: Double) -> Step {
    var total = step
    total.setupSeconds = setup
    total.solveSeconds = solve
    total.notes = notes
    if Vector.allFinite(total.result.x) { previousSolution = total.result.x }
    let cost = costModel.map { model in attempts.reduce(0) { $0 + model($1) } } ?? setup + solve
    elapsedSeconds += cost
    if let reference = explorationReference { explorationSeconds += max(0, cost - reference) }
    explorationReference = nil
    return Step(step: total, chosenArm: chosen, attempts: attempts)
  }

  /// Drops a failed arm from every bin's learner: a failure (indefiniteness met by CG, a
  /// factorization out of memory) is the arm's on this family of matrices, whatever the context.
  private func dropEverywhere(_ arm: Int, because why: String) {
    for b in learners.indices { learners[b].drop(arm, because: why) }
  }

  /// Charges the learner's pending round (its arm was stopped, so it is still active) with the
  /// larger of what the system cost in all and the stopped arm's projected cost — the estimate
  /// of what the arm would have cost, so that an arm predicted to be slow is learned as slow
  /// after a few of its iterations.
  private func chargeRound(_ isRound: Bool, _ attempts: [Attempt]) throws {
    guard isRound, learner.pendingArm != nil else { return }
    let spent = attempts.reduce(0) { $0 + (costModel?($1) ?? $1.seconds) }
    let projected = costModel == nil ? attempts.first?.projectedSeconds : nil
    try learner.observe(cost: max(spent, projected ?? 0), censored: true)
  }

  /// The cost the learner sees: ``costModel``'s, else the attempt's estimated wall seconds.
  private func cost(of attempt: Attempt) -> Double { costModel?(attempt) ?? attempt.estimatedSeconds }

  /// Updates the arm's wall seconds as ``PortfolioLearner`` updates its costs: the incumbent's
  /// moving average (its second solve replacing its first, which carried the one-time set-up),
  /// another arm's latest.
  private func noteSeconds(_ arm: Int, _ seconds: Double, wasIncumbent: Bool) {
    completions[currentBin][arm] += 1
    let averaged = wasIncumbent && completions[currentBin][arm] > 2
    recentSeconds[currentBin][arm] = averaged ? recentSeconds[currentBin][arm].map {
      (1 - PortfolioLearner.recencyWeight) * $0 + PortfolioLearner.recencyWeight * seconds
    } : seconds
  }

  /// The incumbent's recent wall seconds: measured in this process, else the learner's (saved).
  private func reference(_ incumbent: Int?) -> Double? {
    guard let i = incumbent else { return nil }
    return recentSeconds[currentBin][i] ?? (costModel == nil ? learner.recentCost(i) : nil)
  }

  private static func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }

  /// The start for the solve that finishes a system: of a stopped or failed arm's iterate, the
  /// previous solution and the system's own guess, the one with the smallest residual (`nil`:
  /// zero is best).
  private func bestStart(_ system: LinearSystem, _ iterate: [Double]?) -> [Double]? {
    let a = system.matrix
    var best: [Double]?
    var bestNorm = Vector.norm(system.rhs)
    for candidate in [iterate, system.initialGuess, previousSolution] {
      guard let x = candidate, x.count == a.columns, Vector.allFinite(x) else { continue }
      let r = a.residualNorm(x: x, b: system.rhs)
      if r < bestNorm { (best, bestNorm) = (x, r) }
    }
    return best
  }
}
