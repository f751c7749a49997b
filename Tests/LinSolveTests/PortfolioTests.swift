import Foundation
import Testing

@testable import LinSolve

/// Fixed strategies over a sequence (`FixedStrategySequenceSolver`) and the portfolio that
/// learns among them (`PortfolioSequenceSolver`, `PortfolioLearner`).
@Suite("Sequence portfolio: fixed strategies and the learned one")
struct PortfolioTests {
  /// Eight shifted 2-D Laplacians of one sparsity pattern, with random right-hand sides.
  static func shifted(_ count: Int = 8, grid: Int = 12, seed: UInt64 = 3) -> [LinearSystem] {
    Array(ShiftedLaplacianSequence(gridSize: grid, variance: .high, count: count, seed: seed))
  }

  static let rtol = 1e-9

  static func trueResidualMet(_ system: LinearSystem, _ result: SolveResult) -> Bool {
    system.matrix.residualNorm(x: result.x, b: system.rhs) <= rtol * Vector.norm(system.rhs) * (1 + 1e-9)
  }

  @Test("A fixed strategy over a sequence equals solving each system alone", arguments: [
    "cholesky", "lu", "pcg+ic0", "pcg+amg-sa", "gmres+ilu0", "minres+jacobi", "bicgstab+ilu0", "ssor(1.5)",
  ])
  func fixedEqualsAlone(name: String) throws {
    let strategy = try SequenceStrategy(name: name)
    #expect(strategy.name == name)
    let stopping = StoppingCriterion(rtol: Self.rtol)
    let driver = try FixedStrategySequenceSolver(strategy: strategy, stopping: stopping)
    let systems = Self.shifted()
    var preconditioners: [ObjectIdentifier] = []
    for system in systems {
      let step = try driver.solve(system)
      if let m = driver.prepared.preconditioner { preconditioners.append(ObjectIdentifier(m as AnyObject)) }
      let alone = PreparedSolver(strategy.configuration(stopping: stopping))
      try alone.setUp(for: system.matrix)
      let reference = try alone.solve(system.matrix, system.rhs).result
      #expect(step.result.converged, "\(name): \(step.result.reason)")
      #expect(step.result.converged == Self.trueResidualMet(system, step.result), "\(name): the verdict is the true residual's")
      if strategy.preconditioner.isMultigrid {
        // A refreshed hierarchy keeps the first matrix's aggregation: iterations close, not equal.
        #expect(abs(step.result.iterations - reference.iterations) <= 3, "\(name): \(step.result.iterations) vs \(reference.iterations)")
      } else {
        #expect(step.result.iterations == reference.iterations, "\(name)")
        let difference = zip(step.result.x, reference.x).map { abs($0 - $1) }.max() ?? 0
        #expect(difference <= 1e-10 * (reference.x.map(abs).max() ?? 1), "\(name): solutions differ by \(difference)")
      }
      #expect(step.seconds == step.setupSeconds + step.solveSeconds)
    }
    // IC(0) and ILU(0) are kept (one object for the sequence): their symbolic phase runs once.
    if [.ic0, .ilu0].contains(strategy.preconditioner) {
      #expect(Set(preconditioners).count == 1, "\(name): one preconditioner object")
      if let ic = driver.prepared.preconditioner as? IncompleteCholesky {
        #expect(ic.symbolicSetups == 1)
        #expect(ic.numericFactorizations >= systems.count)
      }
      if let ilu = driver.prepared.preconditioner as? IncompleteLU { #expect(ilu.symbolicSetups == 1) }
    }
    if strategy.method.isDirect {
      // One pattern: one symbolic analysis, one numeric factorization per system.
      #expect(driver.symbolicAnalyses == 1)
      #expect(driver.numericFactorizations == systems.count)
    } else {
      #expect(driver.symbolicAnalyses == nil)
    }
  }

  @Test("A changed pattern is analysed again; warm start starts from the previous solution")
  func patternChangeAndWarmStart() throws {
    let driver = try FixedStrategySequenceSolver(strategy: SequenceStrategy(method: .cholesky))
    _ = try driver.solve(LinearSystem(matrix: Poisson.matrix2D(6), rhs: [Double](repeating: 1, count: 36)))
    _ = try driver.solve(LinearSystem(matrix: Poisson.matrix2D(6), rhs: [Double](repeating: 2, count: 36)))
    _ = try driver.solve(LinearSystem(matrix: Poisson.matrix2D(7), rhs: [Double](repeating: 1, count: 49)))
    #expect(driver.symbolicAnalyses == 2)
    #expect(driver.numericFactorizations == 3)
    // The same system twice: warm-started, the second solve has nothing left to do.
    let warm = try FixedStrategySequenceSolver(strategy: try SequenceStrategy(name: "pcg+jacobi+warm"), stopping: StoppingCriterion(rtol: 1e-8))
    let system = Self.shifted(1)[0]
    let first = try warm.solve(system)
    let second = try warm.solve(system)
    #expect(first.result.iterations > 5)
    #expect(second.result.iterations <= 1)
    #expect(second.result.converged)
  }

  @Test("The AMG reuse policy: refreshed across the sequence by default, rebuilt for every system with +rebuild")
  func multigridReusePolicy() throws {
    let systems = Self.shifted(4, grid: 16)
    for (name, word) in [("pcg+amg-sa", "refreshed"), ("pcg+amg-sa+rebuild", "rebuilt")] {
      let driver = try FixedStrategySequenceSolver(strategy: try SequenceStrategy(name: name), stopping: StoppingCriterion(rtol: Self.rtol))
      for (t, system) in systems.enumerated() {
        let step = try driver.solve(system)
        #expect(step.result.converged)
        if t > 0 { #expect(step.notes.contains { $0.contains(word) }, "\(name), system \(t + 1): \(step.notes)") }
      }
    }
  }

  @Test("Strategy names round-trip; bad names are refused")
  func names() throws {
    for name in ["cholesky", "pcg+ssor(1.2)+warm", "gmres(30)+ilu0", "sor(1.7)", "cg", "pcg+amg-sa+warm",
                 "pcg+amg-sa(0.08)+rebuild+warm", "amg(0.25)", "gmres+amg-sa+rebuild"] {
      #expect(try SequenceStrategy(name: name).name == name)
    }
    #expect(try SequenceStrategy(name: "pcg+amg-sa(0.08)").configuration(stopping: StoppingCriterion()).multigrid.theta == 0.08)
    for bad in ["", "qr", "cholesky+ic0", "pcg+bogus", "sor(2.5)", "lu+warm+warm", "pcg+nystrom", "lsqr",
                "pcg+ic0+rebuild", "pcg+amg-sa(1.5)", "pcg+jacobi(0.1)", "cholesky(0.2)"] {
      #expect(throws: LinSolveError.self, "\(bad)") { try SequenceStrategy(name: bad) }
    }
  }

  /// A portfolio over cholesky and lu with injected costs and no time bound.
  static func injectedPortfolio(
    seed: UInt64, costs: [String: Double], policy: PortfolioLearner.Policy = .exploreThenCommit
  ) throws -> PortfolioSequenceSolver {
    let portfolio = try PortfolioSequenceSolver(
      strategies: [SequenceStrategy(method: .cholesky), SequenceStrategy(method: .lu), try SequenceStrategy(name: "pcg+ic0")],
      stopping: StoppingCriterion(rtol: rtol), seed: seed, policy: policy)
    portfolio.margin = 1e9
    portfolio.costModel = { costs[$0.strategy] ?? 100 }
    return portfolio
  }

  @Test("The arm choices are deterministic for a seed and given costs")
  func deterministic() throws {
    let costs = ["cholesky": 3.0, "lu": 2.0, "pcg+ic0": 1.0]
    func choices(_ seed: UInt64) throws -> [Int?] {
      let portfolio = try Self.injectedPortfolio(seed: seed, costs: costs)
      return try Self.shifted(16, grid: 6).map { try portfolio.solve($0).chosenArm }
    }
    let a = try choices(7), b = try choices(7)
    #expect(a == b)
    #expect(Set(a.compactMap { $0 }).count >= 2, "the learner explores: \(a)")
  }

  @Test("Exploring a faster arm costs none of the exploration share: arms that win are explored back to back")
  func explorationShareIsRegret() throws {
    let costs = ["pcg+jacobi+warm": 10.0, "pcg+ic0+warm": 1.0, "pcg+ssor(1.5)+warm": 2.0]
    let portfolio = try PortfolioSequenceSolver(
      strategies: try ["pcg+jacobi+warm", "pcg+ic0+warm", "pcg+ssor(1.5)+warm"].map { try SequenceStrategy(name: $0) },
      stopping: StoppingCriterion(rtol: Self.rtol), seed: 1)
    portfolio.opensWithAutoChoice = false
    portfolio.margin = 1e9
    portfolio.costModel = { costs[$0.strategy] ?? 100 }
    let chosen = try Self.shifted(6, grid: 6).map { try portfolio.solve($0).chosenArm }
    // Jacobi opens (no set-up: judged on its first solve); SSOR (cheaper set-up first) wins; IC(0)
    // wins and is measured again (its first solve carried its set-up).
    #expect(chosen == [0, 2, 1, 1, 1, 1], "\(chosen)")
    #expect(portfolio.explorationSeconds == 0)
    #expect(portfolio.learner.incumbent == 1)
  }

  @Test("With context bins each bin learns its own incumbent; the arms' solvers are shared")
  func contextBins() throws {
    // Arm 0 is cheap for contexts near 0, arm 1 for contexts near 1.
    var context = 0.0
    func portfolio(_ bins: ContextBins?) throws -> PortfolioSequenceSolver {
      let p = try PortfolioSequenceSolver(
        strategies: [try SequenceStrategy(name: "pcg+jacobi+warm"), try SequenceStrategy(name: "pcg+ic0+warm")],
        stopping: StoppingCriterion(rtol: Self.rtol), seed: 1, contextBins: bins)
      p.opensWithAutoChoice = false
      p.margin = 1e9
      p.explorationShare = 1
      p.costModel = { attempt in (attempt.arm == 0) == (context < 0.5) ? 1 : 10 }
      return p
    }
    let binned = try portfolio(ContextBins(range: 0...1, count: 2))
    let plain = try portfolio(nil)
    var late: [Int?] = []
    for (t, system) in Self.shifted(24, grid: 6).enumerated() {
      context = t % 2 == 0 ? 0 : 1
      let step = try binned.solve(system, context: context)
      #expect(step.step.result.converged)
      if t >= 12 { late.append(step.chosenArm) }
      _ = try plain.solve(system, context: context)
    }
    #expect(binned.learners.map(\.incumbent) == [0, 1])
    // Each bin keeps its own arm (but for the re-checks of the runner-up at its rounds 8 and 16).
    let matches = zip(late, (12..<24).map { $0 % 2 == 0 ? 0 : 1 }).filter { $0 == $1 }.count
    #expect(matches >= 10, "\(late)")
    #expect(plain.learners.count == 1)
    // A portfolio with bins needs a finite context for every system: given, else the system's own.
    let shifted = Self.shifted(1, grid: 6)[0]
    let bare = LinearSystem(matrix: shifted.matrix, rhs: shifted.rhs)
    #expect(throws: LinSolveError.self) { try binned.solve(bare) }
    #expect(throws: LinSolveError.self) { try binned.solve(bare, context: .nan) }
    #expect(try binned.solve(shifted).step.result.converged)
    // Saved learners must match the bins.
    #expect(throws: TuningError.self) { try binned.resume(from: [binned.learners[0]]) }
    #expect(throws: TuningError.self) {
      try PortfolioSequenceSolver(strategies: binned.strategies, contextBins: ContextBins(range: 0...1, count: 3), learners: binned.learners)
    }
  }

  @Test("Context bins: nearest centre, the lower one on a tie, out-of-range contexts in the end bins; Codable; bad ranges refused")
  func contextBinGeometry() throws {
    let bins = try ContextBins(range: 0...1, count: 4)
    #expect(bins.centres == [0.125, 0.375, 0.625, 0.875])
    #expect([-5, 0, 0.25, 0.26, 0.5, 0.51, 1, 7, .infinity, -.infinity, .nan].map(bins.bin(for:)) == [0, 0, 0, 1, 1, 2, 3, 3, 3, 0, 0])
    #expect(try JSONDecoder().decode(ContextBins.self, from: JSONEncoder().encode(bins)) == bins)
    #expect(throws: TuningError.self) { try ContextBins(range: 0...0, count: 2) }
    #expect(throws: TuningError.self) { try ContextBins(range: 0...1, count: 0) }
    #expect(throws: (any Error).self) { try JSONDecoder().decode(ContextBins.self, from: Data(#"{"lower":1,"upper":0,"count":2}"#.utf8)) }
  }

  @Test("An untried multigrid arm waits until the exploration share affords its hierarchy")
  func multigridSetupDeferred() throws {
    func chosen(secondsPerEntry: Double) throws -> [Int?] {
      let portfolio = try PortfolioSequenceSolver(
        strategies: [try SequenceStrategy(name: "pcg+jacobi+warm"), try SequenceStrategy(name: "pcg+amg-sa+warm")],
        stopping: StoppingCriterion(rtol: Self.rtol), seed: 1)
      portfolio.opensWithAutoChoice = false
      portfolio.hierarchySecondsPerEntry = secondsPerEntry
      return try Self.shifted(6, grid: 8).map { system in
        let step = try portfolio.solve(system)
        #expect(step.step.result.converged && Self.trueResidualMet(system, step.step.result))
        return step.chosenArm
      }
    }
    #expect(try chosen(secondsPerEntry: 1).allSatisfy { $0 == 0 })
    #expect(try chosen(secondsPerEntry: 0)[1] == 1)
  }

  @Test("The bandit follows the costs: with one arm ten times cheaper it is chosen most (both policies)", arguments: PortfolioLearner.Policy.allCases)
  func followsCosts(policy: PortfolioLearner.Policy) throws {
    for (cheap, costs) in [(1, ["cholesky": 10.0, "lu": 1.0, "pcg+ic0": 10.0]), (2, ["cholesky": 10.0, "lu": 10.0, "pcg+ic0": 1.0])] {
      let portfolio = try Self.injectedPortfolio(seed: 5, costs: costs, policy: policy)
      let systems = Self.shifted(60, grid: 5)
      var chosen: [Int?] = []
      for system in systems {
        let step = try portfolio.solve(system)
        #expect(step.step.result.converged)
        chosen.append(step.chosenArm)
      }
      let late = chosen.suffix(30)
      let share = Double(late.filter { $0 == cheap }.count) / Double(late.count)
      #expect(share >= 0.6, "arm \(cheap) chosen in \(share) of the last 30 rounds: \(chosen)")
      #expect(portfolio.learner.incumbent == cheap)
    }
  }

  @Test("A failing arm (CG on a nonsymmetric matrix, Cholesky on an indefinite one) is dropped; every system converges")
  func failingArmDropped() throws {
    // Convection–diffusion: nonsymmetric. CG opens (unbounded) and fails; the direct fallback finishes.
    let n = 10
    let a = try Self.convectionDiffusion(n)
    let x = (0..<n * n).map { Double($0 % 7) }
    let systems = (0..<6).map { _ in LinearSystem(matrix: a, rhs: a.applied(to: x)) }
    let portfolio = try PortfolioSequenceSolver(
      strategies: [SequenceStrategy(method: .cg), SequenceStrategy(method: .cholesky), SequenceStrategy(method: .lu)],
      stopping: StoppingCriterion(rtol: Self.rtol, maxIterations: 500), seed: 2)
    portfolio.opensWithAutoChoice = false
    for system in systems {
      let step = try portfolio.solve(system)
      #expect(step.step.result.converged, Comment(rawValue: step.step.notes.joined(separator: "; ")))
      #expect(Self.trueResidualMet(system, step.step.result))
    }
    #expect(!portfolio.learner.isActive(0))
    #expect(portfolio.learner.dropReasons[0]?.contains("500 iterations") == true)
    #expect(portfolio.learner.isActive(2))
    // Symmetric indefinite: Cholesky opens (auto's choice: a positive diagonal) and fails; LU
    // solves; CG is stopped or dropped whenever it is tried.
    let indefinite = Self.shifted(1, grid: 8)[0].matrix.shifted(by: -3.7)
    let second = try PortfolioSequenceSolver(
      strategies: [SequenceStrategy(method: .cg), SequenceStrategy(method: .cholesky), SequenceStrategy(method: .lu)],
      stopping: StoppingCriterion(rtol: Self.rtol, maxIterations: 500), seed: 2)
    let b = [Double](repeating: 1, count: indefinite.rows)
    for t in 0..<8 {
      let step = try second.solve(LinearSystem(matrix: indefinite, rhs: b))
      #expect(step.step.result.converged, Comment(rawValue: step.step.notes.joined(separator: "; ")))
      if t == 0 {
        #expect(step.chosenArm == 1)
        #expect(step.step.notes.contains { $0.contains("cholesky dropped: factorization failed") })
      }
      for attempt in step.attempts where attempt.arm == 0 {
        if case .solved = attempt.outcome { Issue.record("CG solved an indefinite system") }
      }
    }
    #expect(!second.learner.isActive(1))
    #expect(second.learner.isActive(2))
  }

  @Test("A system nothing can solve is reported unsolved and the sequence goes on")
  func unsolvableSystem() throws {
    // The path graph's Laplacian is singular; b = e₁ is not in its range.
    let n = 20
    var entries: [(row: Int, column: Int, value: Double)] = []
    for i in 0..<n {
      entries.append((i, i, i == 0 || i == n - 1 ? 1 : 2))
      if i > 0 { entries.append((i, i - 1, -1)) }
      if i < n - 1 { entries.append((i, i + 1, -1)) }
    }
    let singular = try SparseMatrix(rows: n, columns: n, entries: entries)
    var e1 = [Double](repeating: 0, count: n)
    e1[0] = 1
    let good = Poisson.matrix1D(n)
    let portfolio = try PortfolioSequenceSolver(
      strategies: [SequenceStrategy(method: .cg), SequenceStrategy(method: .lu)],
      stopping: StoppingCriterion(rtol: Self.rtol, maxIterations: 200), seed: 1)
    portfolio.opensWithAutoChoice = false
    let first = try portfolio.solve(LinearSystem(matrix: singular, rhs: e1))
    #expect(!first.step.result.converged)
    #expect(!Self.trueResidualMet(LinearSystem(matrix: singular, rhs: e1), first.step.result))
    for _ in 0..<3 {
      let system = LinearSystem(matrix: good, rhs: e1)
      let step = try portfolio.solve(system)
      #expect(step.step.result.converged, Comment(rawValue: step.step.notes.joined(separator: "; ")))
      #expect(Self.trueResidualMet(system, step.step.result))
    }
  }

  @Test("The opening arm is auto's choice when it is an arm, else the first")
  func opening() throws {
    let system = Self.shifted(1)[0]
    let strategies = [try SequenceStrategy(name: "pcg+jacobi+warm"), SequenceStrategy(method: .cholesky)]
    let portfolio = try PortfolioSequenceSolver(strategies: strategies, stopping: StoppingCriterion(rtol: Self.rtol))
    let step = try portfolio.solve(system)
    #expect(step.chosenArm == 1)  // n = 144 ≤ 5000, SPD: auto picks Cholesky
    #expect(step.step.notes.first?.contains("auto's choice") == true)
    let listed = try PortfolioSequenceSolver(strategies: strategies, stopping: StoppingCriterion(rtol: Self.rtol))
    listed.opensWithAutoChoice = false
    #expect(try listed.solve(system).chosenArm == 0)
  }

  @Test("An exploration past its budget is stopped and the incumbent finishes the system to rtol")
  func boundedExploration() throws {
    // Cholesky opens and is the incumbent; PCG + Jacobi gets a budget far below one iteration.
    let portfolio = try PortfolioSequenceSolver(
      strategies: [SequenceStrategy(method: .cholesky), try SequenceStrategy(name: "pcg+jacobi")],
      stopping: StoppingCriterion(rtol: Self.rtol), seed: 4)
    portfolio.margin = 1e-9
    var aborted = 0
    for system in Self.shifted(40, grid: 10) {
      let step = try portfolio.solve(system)
      #expect(step.step.result.converged)
      #expect(Self.trueResidualMet(system, step.step.result))
      if step.attempts.contains(where: { if case .aborted = $0.outcome { true } else { false } }) {
        aborted += 1
        #expect(step.attempts.last?.strategy == "cholesky")
        #expect(step.step.notes.contains { $0.contains("pcg+jacobi stopped") })
      }
    }
    #expect(aborted >= 1)
    #expect(portfolio.learner.isActive(1), "a stopped arm is not dropped")
    #expect(portfolio.learner.incumbent == 0)
  }

  @Test("A Cholesky arm whose factorization is projected past its budget stops after the symbolic analysis")
  func factorizationBudget() throws {
    let portfolio = try PortfolioSequenceSolver(
      strategies: [try SequenceStrategy(name: "pcg+jacobi+warm"), SequenceStrategy(method: .cholesky)],
      stopping: StoppingCriterion(rtol: Self.rtol), seed: 4)
    portfolio.opensWithAutoChoice = false
    portfolio.margin = 1e-9
    portfolio.analysisSecondsPerEntry = 0  // tried at once, not deferred until the share affords its analysis
    var stopped = 0
    for system in Self.shifted(30, grid: 10) {
      let step = try portfolio.solve(system)
      #expect(step.step.result.converged)
      #expect(Self.trueResidualMet(system, step.step.result))
      for attempt in step.attempts where attempt.arm == 1 {
        guard case .aborted(let why) = attempt.outcome else {
          Issue.record("cholesky was not stopped: \(attempt.outcome)")
          continue
        }
        #expect(why.contains("factorization predicted"), "\(why)")
        #expect(attempt.projectedSeconds ?? 0 > 0)
        stopped += 1
      }
    }
    #expect(stopped >= 1)
    #expect(portfolio.learner.isActive(1), "a stopped arm is not dropped")
  }

  @Test("The learner saves and resumes exactly; a learner for other arms is refused")
  func learnerRoundTrip() throws {
    var learner = try PortfolioLearner(arms: ["a", "b", "c"], seed: 9)
    for t in 0..<10 {
      let arm = try learner.next()
      try learner.observe(cost: Double(arm + 1) + 0.1 * Double(t), censored: t % 4 == 3)
    }
    learner.drop(2, because: "test")
    let data = try JSONEncoder().encode(learner)
    var resumed = try JSONDecoder().decode(PortfolioLearner.self, from: data)
    #expect(resumed == learner)
    for _ in 0..<10 {
      let (x, y) = (try learner.next(), try resumed.next())
      #expect(x == y && x != 2)
      try learner.observe(cost: 1)
      try resumed.observe(cost: 1)
    }
    let wrong = try PortfolioLearner(arms: ["cholesky"], seed: 1)
    #expect(throws: TuningError.self) {
      try PortfolioSequenceSolver(strategies: [SequenceStrategy(method: .lu)], learner: wrong)
    }
    #expect(throws: (any Error).self) { try JSONDecoder().decode(PortfolioLearner.self, from: Data(#"{"arms":["a"],"seed":1}"#.utf8)) }
  }

  /// The 5-point upwind convection–diffusion matrix on an n×n grid (nonsymmetric).
  static func convectionDiffusion(_ n: Int) throws -> SparseMatrix {
    var entries: [(Int, Int, Double)] = []
    for i in 0..<n {
      for j in 0..<n {
        let k = i * n + j
        entries.append((k, k, 4.5))
        if j > 0 { entries.append((k, k - 1, -1.5)) }
        if j < n - 1 { entries.append((k, k + 1, -0.5)) }
        if i > 0 { entries.append((k, k - n, -1)) }
        if i < n - 1 { entries.append((k, k + n, -1)) }
      }
    }
    return try SparseMatrix(rows: n * n, columns: n * n, entries: entries.map { (row: $0.0, column: $0.1, value: $0.2) })
  }
}

extension SparseMatrix {
  /// `A + s·I` (every diagonal entry present).
  fileprivate func shifted(by s: Double) -> SparseMatrix {
    var m = self
    for p in m.diagonalPositions() { if let p { m.values[p] += s } }
    return m
  }
}

@Suite("Portfolio learner: explore-then-commit")
struct PortfolioLearnerPolicyTests {
  @Test("Explore-then-commit: the opening arm twice, each other arm once (in the exploration order), then the incumbent, re-checking the runner-up at rounds 8, 16, 32")
  func exploreThenCommit() throws {
    var learner = try PortfolioLearner(arms: ["lu", "pcg+amg", "pcg+ic0", "pcg+jacobi"], seed: 1, explorationOrder: [1, 2, 3, 0])
    #expect(throws: TuningError.self) { try PortfolioLearner(arms: ["a", "b"], explorationOrder: [0, 0]) }
    let cost = [5.0, 1.0, 2.0, 3.0]
    var chosen: [Int] = []
    for _ in 0..<40 {
      let arm = try learner.next()
      chosen.append(arm)
      // Jacobi is stopped at its budget: a censored cost.
      try learner.observe(cost: cost[arm], censored: arm == 3)
    }
    // Arm 1 completes first (the incumbent) and is measured twice: its first solve carried its set-up.
    #expect(Array(chosen.prefix(5)) == [1, 1, 2, 3, 0], "\(chosen)")
    let rechecks = [7, 15, 31]  // rounds 8, 16, 32 (0-based)
    for (round, arm) in chosen.enumerated().dropFirst(5) {
      #expect(arm == (rechecks.contains(round) ? 2 : 1), "round \(round + 1): \(arm) in \(chosen)")
    }
    #expect(learner.estimatedCost(3) == 3 && learner.recentCost(3) == nil)
    // Drift: the incumbent slows down past the runner-up's latest cost; the runner-up is measured
    // again and takes over.
    for _ in 0..<6 {
      let arm = try learner.next()
      try learner.observe(cost: arm == 1 ? 4 : cost[arm])
    }
    #expect(learner.incumbent == 2)
    // The state round-trips with the policy and the schedule.
    let copy = try JSONDecoder().decode(PortfolioLearner.self, from: JSONEncoder().encode(learner))
    #expect(copy == learner)
  }

  @Test("Explore-then-commit: the incumbent changes head to head; a stale cheap cost is measured again, not trusted")
  func headToHead() throws {
    var learner = try PortfolioLearner(arms: ["a", "b", "c"], seed: 1)
    func play(_ costs: [Double]) throws -> Int {
      let arm = try learner.next()
      try learner.observe(cost: costs[arm])
      return arm
    }
    // Easy systems: a opens (twice), b is cheaper and takes over, c is slower.
    #expect(try play([2, 1, 3]) == 0)
    #expect(try play([2, 1, 3]) == 0)
    #expect(try play([2, 1, 3]) == 1)
    #expect(learner.incumbent == 1)
    #expect(try play([2, 1, 3]) == 1)  // b's first solve carried its set-up: measured again
    #expect(try play([2, 1, 3]) == 2)
    #expect(learner.incumbent == 1)
    // The systems get harder for every arm, b the slowest to degrade: a's stale cost 2 is below b's
    // recent cost, so a is measured again, found slower, and b stays.
    var replayed: [Int] = []
    for _ in 0..<6 { replayed.append(try play([40, 10, 60])) }
    #expect(replayed.contains(0), "\(replayed)")
    #expect(learner.incumbent == 1, "\(replayed)")
    #expect(learner.estimatedCost(0) == 40)
    // A confirmed runner-up within 1.5× of the incumbent gets a second solve, and wins it.
    var close = try PortfolioLearner(arms: ["a", "b"], seed: 1)
    for costs in [[1.0, 1.4], [1.0, 1.4], [1.0, 1.4], [1.0, 0.8]] {
      let arm = try close.next()
      try close.observe(cost: costs[arm])
    }
    #expect(close.choices == [2, 2])
    #expect(close.incumbent == 1)
    // An arm without a one-time set-up is judged on its first solve: neither repeated when it
    // opens nor confirmed as a runner-up.
    var plain = try PortfolioLearner(arms: ["a", "b"], seed: 1, firstSolveCarriesSetUp: [false, false])
    for costs in [[1.0, 1.4], [1.0, 1.4], [1.0, 1.4], [1.0, 0.8]] {
      let arm = try plain.next()
      try plain.observe(cost: costs[arm])
    }
    #expect(plain.choices == [3, 1])
    #expect(plain.incumbent == 0)
    #expect(throws: TuningError.self) { try PortfolioLearner(arms: ["a", "b"], firstSolveCarriesSetUp: [true]) }
    #expect(try JSONDecoder().decode(PortfolioLearner.self, from: JSONEncoder().encode(plain)) == plain)
  }

  @Test("Default arms: the PCG arms with both AMGs for SPD-like matrices; for others only preconditioners that take them")
  func defaultArms() throws {
    let spd = PortfolioSequenceSolver.defaultStrategies(symmetricPositiveDiagonal: true).map(\.name)
    #expect(spd.contains("pcg+amg-sa+warm") && spd.contains("pcg+amg+warm") && spd.first == "cholesky", "\(spd)")
    let other = PortfolioSequenceSolver.defaultStrategies(symmetricPositiveDiagonal: false)
    #expect(other.map(\.name).contains("gmres+amg+warm"), "\(other.map(\.name))")
    #expect(other.allSatisfy { !$0.preconditioner.needsSymmetricMatrix && $0.method != .pcg }, "\(other.map(\.name))")
    // Exploration order: cheap set-ups first, direct factorizations last.
    let portfolio = try PortfolioSequenceSolver(strategies: PortfolioSequenceSolver.defaultStrategies(symmetricPositiveDiagonal: true))
    let order = portfolio.learner.explorationOrder.map { spd[$0] }
    #expect(order.first == "pcg+jacobi+warm" && order.last == "cholesky", "\(order)")
  }
}
