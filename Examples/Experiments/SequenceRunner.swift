import Foundation
import LinSolve

/// The learners of *Learning to Relax*, in the order they are reported.
enum LearnerKind: String, CaseIterable {
  case tsallisINF, contextTsallisINF, chebCB

  /// The learner for a workload (ChebCB with 6 features, the binned learner with the
  /// workload's bins, both on its context range).
  func strategy(for workload: any SequenceWorkload) -> ParameterTuner.Strategy {
    switch self {
    case .tsallisINF: return .tsallisINF
    case .contextTsallisINF: return .binnedTsallisINF(bins: workload.bins, range: workload.chebRange)
    case .chebCB: return .chebCB(features: 6, range: workload.chebRange)
    }
  }

  func label(for workload: any SequenceWorkload) -> String {
    switch self {
    case .tsallisINF: return "Tsallis-INF"
    case .contextTsallisINF: return "Tsallis-INF-CB (\(workload.bins) bins)"
    case .chebCB: return "ChebCB (m = 6)"
    }
  }
}

/// One learner run (one learner seed) over the whole sequence.
struct LearnerRun {
  var seed: UInt64
  /// The arm chosen at each step.
  var arms: [Int] = []
  /// The iterations of each online solve.
  var iterations: [Int] = []
  /// The cost fed back to the learner at each step (iterations, or the solve's wall seconds).
  var feedback: [Double] = []
  /// Seconds charged at each step: set-up + decision + solve + learning (wall-clock).
  var seconds: [Double] = []
  /// The same in thread-CPU seconds.
  var cpuSeconds: [Double] = []
  /// Seconds of the decisions and updates alone (the learner's overhead), timed on the
  /// replay, which makes the same decisions without solving.
  var learnerSeconds = 0.0
  var learnerCPU = 0.0
  /// Wall seconds of the online steps (decision + solve + update), and what the table's
  /// solves of the same systems with the same ω took: their ratio shows any cost of running
  /// online.
  var onlineStepSeconds = 0.0
  var tableSecondsAtChoices = 0.0
  var onlineStepCPU = 0.0
  var tableCPUAtChoices = 0.0
}

/// A strategy's per-step costs, one row per run (learner seeds; a single row otherwise).
struct StrategyResult {
  var key: String
  var label: String
  var omega: Double?
  var iterations: [[Int]]
  var seconds: [[Double]]
  var cpu: [[Double]]

  var totals: [Double] { iterations.map { Double($0.reduce(0, +)) } }
  var secondTotals: [Double] { seconds.map { $0.reduce(0, +) } }
  var cpuTotals: [Double] { cpu.map { $0.reduce(0, +) } }
  func lastIterations(_ k: Int) -> [Double] { iterations.map { Double($0.suffix(k).reduce(0, +)) } }
  func lastSeconds(_ k: Int) -> [Double] { seconds.map { $0.suffix(k).reduce(0, +) } }
}

/// Mean, sample standard deviation, minimum and maximum.
struct Stats {
  var mean: Double, std: Double, min: Double, max: Double, count: Int
  init(_ values: [Double]) {
    count = values.count
    let m = values.reduce(0, +) / Double(Swift.max(values.count, 1))
    mean = m
    let ss = values.reduce(0) { $0 + ($1 - m) * ($1 - m) }
    std = values.count > 1 ? (ss / Double(values.count - 1)).squareRoot() : 0
    min = values.min() ?? 0
    max = values.max() ?? 0
  }
}

/// Runs every strategy on one workload: the cost table (every grid ω on every system), plain
/// CG and Young's ω where they apply, and every learner online (one real solve per system
/// with the ω it chose), all in one pass over the sequence so each system is built once.
/// Then replays the learners on the table and checks that they make the same choices.
final class SequenceRunner {
  let grid: ParameterGrid
  let learnerSeeds: [UInt64]
  let costKind: ParameterTuner.CostKind
  let progress: (String) -> Void

  // Results, filled by run(_:).
  var tag = "", title = "", method = "", command = ""
  var steps = 0, dimension = 0
  var contexts: [Double] = []
  var setupSeconds: [Double] = []
  var setupCPU: [Double] = []
  /// `tableIterations[t * d + arm]`.
  var tableIterations: [Int] = []
  var tableSeconds: [Double] = []
  var tableCPU: [Double] = []
  var cgIterations: [Int]? = nil
  var cgSeconds: [Double]? = nil
  var cgCPU: [Double]? = nil
  var youngOmegas: [Double]? = nil
  var youngIterations: [Int]? = nil
  var youngSeconds: [Double]? = nil
  var youngCPU: [Double]? = nil
  var runs: [LearnerKind: [LearnerRun]] = [:]
  var learnerLabels: [LearnerKind: String] = [:]
  var notConverged = 0
  var onlineMismatches = 0
  var onlineSolves = 0
  /// Whether every learner, replayed without solving (fed the table's iteration counts, or
  /// with seconds feedback its recorded timings), made the online run's choices, and every
  /// online solve cost what the table says (nil before ``run(_:)``).
  var replayMatches: Bool? = nil
  /// Replay totals per learner (iterations), for the report.
  var replayTotals: [LearnerKind: [Int]] = [:]
  var elapsed = 0.0
  var extraNote: String? = nil

  init(grid: ParameterGrid, learnerSeeds: [UInt64], cost: ParameterTuner.CostKind, progress: @escaping (String) -> Void) {
    self.grid = grid
    self.learnerSeeds = learnerSeeds
    self.costKind = cost
    self.progress = progress
  }

  func run(_ workload: any SequenceWorkload) throws {
    var workload = workload
    tag = workload.tag
    title = workload.title
    method = workload.method
    command = workload.command
    steps = workload.steps
    dimension = workload.dimension
    let d = grid.count
    for kind in LearnerKind.allCases { learnerLabels[kind] = kind.label(for: workload) }
    var tuners: [LearnerKind: [ParameterTuner]] = [:]
    for kind in LearnerKind.allCases {
      tuners[kind] = try learnerSeeds.map {
        try ParameterTuner(grid: grid, strategy: kind.strategy(for: workload), cost: costKind, seed: $0)
      }
      runs[kind] = learnerSeeds.map { LearnerRun(seed: $0) }
    }
    if workload.hasCG {
      cgIterations = []
      cgSeconds = []
      cgCPU = []
    }
    if workload.hasYoung {
      youngOmegas = []
      youngIterations = []
      youngSeconds = []
      youngCPU = []
    }
    contexts.reserveCapacity(steps)
    tableIterations.reserveCapacity(steps * d)
    tableSeconds.reserveCapacity(steps * d)

    let start = ContinuousClock.now
    let every = max(1, steps / 10)
    var t = 0
    while let system = try workload.next() {
      contexts.append(system.context)
      setupSeconds.append(system.setupSeconds)
      setupCPU.append(system.setupCPUSeconds)
      for arm in 0..<d {
        let (outcome, wall, cpu) = try measured { try system.solve(grid[arm]) }
        if !outcome.converged { notConverged += 1 }
        tableIterations.append(outcome.iterations)
        tableSeconds.append(wall)
        tableCPU.append(cpu)
      }
      if let solveCG = system.solveCG {
        let (outcome, wall, cpu) = try measured { try solveCG() }
        if !outcome.converged { notConverged += 1 }
        cgIterations!.append(outcome.iterations)
        cgSeconds!.append(wall)  // plain CG has no set-up
        cgCPU!.append(cpu)
      }
      if let omega = system.youngOmega {
        let (outcome, wall, cpu) = try measured { try system.solve(omega) }
        if !outcome.converged { notConverged += 1 }
        youngOmegas!.append(omega)
        youngIterations!.append(outcome.iterations)
        youngSeconds!.append(wall + system.setupSeconds)
        youngCPU!.append(cpu + system.setupCPUSeconds)
      }
      for kind in LearnerKind.allCases {
        for s in learnerSeeds.indices {
          // One timed block per online step (decision + solve + update), so a learner pays the
          // same clock overhead as a table solve. With seconds feedback the solve is timed on
          // its own, since its time is the feedback.
          let outcome: SolveOutcome
          var wall: Double, cpu: Double
          if costKind == .iterations {
            (outcome, wall, cpu) = try measured { () throws -> SolveOutcome in
              let omega = try tuners[kind]![s].next(context: system.context)
              let outcome = try system.solve(omega)
              try tuners[kind]![s].observe(cost: Double(outcome.iterations))
              return outcome
            }
          } else {
            let (omega, w0, c0) = try measured { try tuners[kind]![s].next(context: system.context) }
            let (solved, w1, c1) = try measured { try system.solve(omega) }
            let (_, w2, c2) = try measured { try tuners[kind]![s].observe(cost: w1) }
            (outcome, wall, cpu) = (solved, w0 + w1 + w2, c0 + c1 + c2)
            runs[kind]![s].feedback.append(w1)
          }
          if costKind == .iterations { runs[kind]![s].feedback.append(Double(outcome.iterations)) }
          let arm = tuners[kind]![s].lastArm!
          onlineSolves += 1
          if !outcome.converged { notConverged += 1 }
          if outcome.iterations != tableIterations[t * d + arm] { onlineMismatches += 1 }
          runs[kind]![s].arms.append(arm)
          runs[kind]![s].iterations.append(outcome.iterations)
          runs[kind]![s].seconds.append(system.setupSeconds + wall)
          runs[kind]![s].cpuSeconds.append(system.setupCPUSeconds + cpu)
          runs[kind]![s].onlineStepSeconds += wall
          runs[kind]![s].tableSecondsAtChoices += tableSeconds[t * d + arm]
          runs[kind]![s].onlineStepCPU += cpu
          runs[kind]![s].tableCPUAtChoices += tableCPU[t * d + arm]
        }
      }
      t += 1
      if t % every == 0 || t == steps {
        progress(String(format: "  [%@] step %d / %d  (%.1f s)", tag, t, steps, seconds(ContinuousClock.now - start)))
      }
    }
    steps = t
    elapsed = seconds(ContinuousClock.now - start)
    if let heat = workload as? HeatWorkload {
      extraNote = String(format: "exact trajectory (CHOLMOD, one symbolic analysis): %.2f s, charged to no strategy",
                         heat.directSeconds)
    }
    try replay(workload)
  }

  /// Replays every learner with the same seeds, without solving: with iteration feedback the
  /// costs come from the table, so the choices must be the online run's (the solves are
  /// deterministic); with seconds feedback the recorded online timings are fed back, which
  /// checks that the learner's choices depend on nothing but its seed and its feedback.
  private func replay(_ workload: any SequenceWorkload) throws {
    let d = grid.count
    var allMatch = true
    for kind in LearnerKind.allCases {
      var totals: [Int] = []
      for (s, seed) in learnerSeeds.enumerated() {
        var tuner = try ParameterTuner(grid: grid, strategy: kind.strategy(for: workload), cost: costKind, seed: seed)
        var total = 0
        var arms = [Int](repeating: 0, count: steps)
        let feedback = runs[kind]![s].feedback
        // The replay's time is the learner's own cost: decisions and updates, no solves.
        let (_, wall, cpu) = try measured { () throws -> Void in
          for t in 0..<steps {
            _ = try tuner.next(context: contexts[t])
            let arm = tuner.lastArm!
            arms[t] = arm
            total += tableIterations[t * d + arm]
            try tuner.observe(cost: costKind == .iterations ? Double(tableIterations[t * d + arm]) : feedback[t])
          }
        }
        if arms != runs[kind]![s].arms { allMatch = false }
        runs[kind]![s].learnerSeconds = wall
        runs[kind]![s].learnerCPU = cpu
        totals.append(total)
        if total != runs[kind]![s].iterations.reduce(0, +) { allMatch = false }
      }
      replayTotals[kind] = totals
    }
    replayMatches = allMatch && onlineMismatches == 0
  }

  // MARK: - Strategies

  func fixedColumn(_ arm: Int) -> (iterations: [Int], seconds: [Double], cpu: [Double]) {
    let d = grid.count
    return ((0..<steps).map { tableIterations[$0 * d + arm] },
            (0..<steps).map { tableSeconds[$0 * d + arm] + setupSeconds[$0] },
            (0..<steps).map { tableCPU[$0 * d + arm] + setupCPU[$0] })
  }

  var fixedTotals: [Int] {
    let d = grid.count
    var totals = [Int](repeating: 0, count: d)
    for t in 0..<steps { for a in 0..<d { totals[a] += tableIterations[t * d + a] } }
    return totals
  }

  /// The best fixed arm in hindsight (fewest total iterations; the first on a tie).
  var bestFixedArm: Int {
    let totals = fixedTotals
    return totals.indices.min { totals[$0] < totals[$1] }!
  }

  /// The grid arm with the fewest iterations on each system (the first on a tie).
  var instanceOptimalArms: [Int] {
    let d = grid.count
    return (0..<steps).map { t in
      var best = 0
      for a in 1..<d where tableIterations[t * d + a] < tableIterations[t * d + best] { best = a }
      return best
    }
  }

  /// Every strategy, in report order.
  var strategies: [StrategyResult] {
    let d = grid.count
    var list: [StrategyResult] = []
    let gsArm = grid.index(of: 1.0) ?? grid.nearestIndex(to: 1.0)
    let gs = fixedColumn(gsArm)
    if let cgIterations, let cgSeconds, let cgCPU {
      list.append(StrategyResult(key: "cg", label: "CG (no preconditioner)", iterations: [cgIterations],
                                 seconds: [cgSeconds], cpu: [cgCPU]))
    }
    list.append(StrategyResult(
      key: "gaussSeidel", label: method == "SOR" ? "Gauss–Seidel (ω = 1)" : "SSOR-PCG ω = 1 (symmetric GS)",
      omega: grid[gsArm], iterations: [gs.iterations], seconds: [gs.seconds], cpu: [gs.cpu]))
    let best = bestFixedArm
    let bf = fixedColumn(best)
    list.append(StrategyResult(
      key: "bestFixed", label: String(format: "best fixed ω = %.2f (hindsight)", grid[best]), omega: grid[best],
      iterations: [bf.iterations], seconds: [bf.seconds], cpu: [bf.cpu]))
    let opt = instanceOptimalArms
    list.append(StrategyResult(
      key: "instanceOptimal", label: "instance-optimal (grid)",
      iterations: [(0..<steps).map { tableIterations[$0 * d + opt[$0]] }],
      seconds: [(0..<steps).map { tableSeconds[$0 * d + opt[$0]] + setupSeconds[$0] }],
      cpu: [(0..<steps).map { tableCPU[$0 * d + opt[$0]] + setupCPU[$0] }]))
    if let youngIterations, let youngSeconds, let youngCPU {
      list.append(StrategyResult(key: "youngOptimal", label: "Young ω*(A_t) (exact ρ)",
                                 iterations: [youngIterations], seconds: [youngSeconds], cpu: [youngCPU]))
    }
    for kind in LearnerKind.allCases {
      let r = runs[kind]!
      list.append(StrategyResult(key: kind.rawValue, label: learnerLabels[kind]!,
                                 iterations: r.map(\.iterations), seconds: r.map(\.seconds), cpu: r.map(\.cpuSeconds)))
    }
    return list
  }

  // MARK: - Output

  func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }

  var lastWindow: Int { min(1000, steps) }

  /// The readable report.
  func report(say: (String) -> Void) {
    let list = strategies
    let byKey = Dictionary(uniqueKeysWithValues: list.map { ($0.key, $0) })
    let bestTotal = Stats(byKey["bestFixed"]!.totals).mean
    let optTotal = Stats(byKey["instanceOptimal"]!.totals).mean
    let bestLast = Stats(byKey["bestFixed"]!.lastIterations(lastWindow)).mean
    let bestSeconds = Stats(byKey["bestFixed"]!.secondTotals).mean
    let bestCPU = Stats(byKey["bestFixed"]!.cpuTotals).mean
    say("")
    say("== \(title)")
    say("   grid ω ∈ \(grid) · learners: \(learnerSeeds.count) seeds (\(learnerSeeds.map(String.init).joined(separator: ","))) "
          + "over the same sequence · feedback: \(costKind.rawValue)")
    say("   seconds: wall-clock (cpu: thread CPU time, which a loaded machine does not inflate); learners are charged "
          + "set-up + decision + solve + update, the others set-up + solve")
    say(pad("strategy", 34) + pad("total iterations", 35) + pad("wall s", 17) + pad("cpu s", 16)
          + pad("last \(lastWindow) it.", 13) + pad("it/best", 8) + pad("it/opt", 8) + pad("wall/best", 10) + "cpu/best")
    for s in list {
      let it = Stats(s.totals), sec = Stats(s.secondTotals), cpu = Stats(s.cpuTotals)
      let last = Stats(s.lastIterations(lastWindow))
      let many = s.iterations.count > 1
      let itText = many
        ? "\(grouped(it.mean)) ± \(grouped(it.std)) [\(grouped(it.min))–\(grouped(it.max))]" : grouped(it.mean)
      let secText = many ? String(format: "%.3f ± %.3f", sec.mean, sec.std) : String(format: "%.3f", sec.mean)
      let cpuText = many ? String(format: "%.3f ± %.3f", cpu.mean, cpu.std) : String(format: "%.3f", cpu.mean)
      say(pad(s.label, 34) + pad(itText, 35) + pad(secText, 17) + pad(cpuText, 16) + pad(grouped(last.mean), 13)
            + pad(String(format: "%.3f", it.mean / bestTotal), 8) + pad(String(format: "%.3f", it.mean / optTotal), 8)
            + pad(String(format: "%.3f", sec.mean / bestSeconds), 10) + String(format: "%.3f", cpu.mean / bestCPU))
    }
    // Every fixed ω of the grid.
    let totals = fixedTotals
    var line = "   fixed ω (iterations / seconds):"
    for a in 0..<grid.count {
      let column = fixedColumn(a)
      line += String(format: "  %.2f: %@ / %.2f", grid[a], grouped(Double(totals[a])), column.seconds.reduce(0, +))
      if a % 5 == 4 {
        say(line)
        line = "  "
      }
    }
    if line.count > 2 { say(line) }
    // Ratios against the targets.
    func ratio(_ key: String, _ base: Double, last: Bool = false) -> String {
      guard let s = byKey[key] else { return "–" }
      let value = last ? Stats(s.lastIterations(lastWindow)).mean : Stats(s.totals).mean
      return String(format: "%.3f", value / base)
    }
    say("   Tsallis-INF / best fixed: \(ratio("tsallisINF", bestTotal)) (last \(lastWindow): \(ratio("tsallisINF", bestLast, last: true)))"
          + " · Tsallis-INF-CB / best fixed: \(ratio("contextTsallisINF", bestTotal))"
          + " · ChebCB / instance-opt: \(ratio("chebCB", optTotal))"
          + " (last \(lastWindow): \(ratio("chebCB", Stats(byKey["instanceOptimal"]!.lastIterations(lastWindow)).mean, last: true)))"
          + " · ChebCB / best fixed: \(ratio("chebCB", bestTotal))")
    if let young = byKey["youngOptimal"] {
      say("   ChebCB / Young: " + ratio("chebCB", Stats(young.totals).mean)
            + " · Gauss–Seidel / Young: " + ratio("gaussSeidel", Stats(young.totals).mean))
    }
    for kind in LearnerKind.allCases {
      let r = runs[kind]!
      let overheadCPU = r.map(\.learnerCPU).reduce(0, +) / Double(max(r.count, 1))
      let online = r.map(\.onlineStepSeconds).reduce(0, +), table = r.map(\.tableSecondsAtChoices).reduce(0, +)
      let onlineCPU = r.map(\.onlineStepCPU).reduce(0, +), tableCPU = r.map(\.tableCPUAtChoices).reduce(0, +)
      let learner = r.map(\.learnerCPU).reduce(0, +)
      say(String(format: "   %@: decisions + updates %.4f s cpu per run (%.2f µs per system, timed on the replay); online "
                   + "steps took %.3f× (wall) / %.3f× (cpu) the table's solves with the same ω, %.3f× (cpu) without the "
                   + "learner's own time", learnerLabels[kind]!, overheadCPU, 1e6 * overheadCPU / Double(max(steps, 1)),
                 online / table, onlineCPU / tableCPU, (onlineCPU - learner) / tableCPU))
    }
    if let replayMatches {
      let how = costKind == .iterations
        ? "every learner replayed on the table chose the same ω and totals"
        : "every learner replayed with its recorded wall-clock feedback chose the same ω"
      say("   online == replay: \(replayMatches ? "yes" : "NO") (\(onlineSolves) online solves, "
            + "\(onlineMismatches) differ from their table entry; \(how))")
    }
    if notConverged > 0 { say("   \(notConverged) solves hit the iteration cap (counted at the cap)") }
    if let extraNote { say("   \(extraNote)") }
    say(String(format: "   wall time of the whole run (table of %d arms%@ + %d online learner solves): %.1f s",
               grid.count, cgIterations == nil ? "" : " + CG", onlineSolves, elapsed))
    say("   command: experiments sequence \(command) --learner-seeds \(learnerSeeds.count) --cost \(costKind.rawValue)")
  }

  /// The JSON object of `--json`.
  func jsonObject(extra: [String: Any]) -> [String: Any] {
    let list = strategies
    var iterations: [String: Any] = [:], secondsMap: [String: Any] = [:], last: [String: Any] = [:]
    var lastSeconds: [String: Any] = [:], cpuMap: [String: Any] = [:]
    var learners: [String: Any] = [:]
    for s in list {
      let it = Stats(s.totals)
      iterations[s.key] = s.iterations.count > 1 ? it.mean : Double(Int(it.mean))
      secondsMap[s.key] = Stats(s.secondTotals).mean
      cpuMap[s.key] = Stats(s.cpuTotals).mean
      last[s.key] = Stats(s.lastIterations(lastWindow)).mean
      lastSeconds[s.key] = Stats(s.lastSeconds(lastWindow)).mean
    }
    for kind in LearnerKind.allCases {
      let s = list.first { $0.key == kind.rawValue }!
      let it = Stats(s.totals)
      learners[kind.rawValue] = [
        "label": learnerLabels[kind]!,
        "seeds": learnerSeeds.map { Int($0) },
        "iterations": s.totals.map { Int($0) },
        "seconds": s.secondTotals,
        "lastThousand": s.lastIterations(lastWindow).map { Int($0) },
        "cpuSeconds": s.cpuTotals,
        "iterationsStd": it.std, "iterationsMin": it.min, "iterationsMax": it.max,
        "replayIterations": replayTotals[kind] ?? [],
      ] as [String: Any]
    }
    let best = bestFixedArm
    var fixed: [String: Any] = [:]
    let totals = fixedTotals
    for a in 0..<grid.count {
      fixed[String(format: "%.2f", grid[a])] = [
        "iterations": totals[a], "seconds": fixedColumn(a).seconds.reduce(0, +),
        "cpuSeconds": fixedColumn(a).cpu.reduce(0, +),
      ] as [String: Any]
    }
    var object: [String: Any] = [
      "workload": tag, "title": title, "method": method, "n": dimension, "steps": steps,
      "cost": costKind.rawValue, "grid": grid.values,
      "totalIterations": iterations, "totalSeconds": secondsMap, "totalCPUSeconds": cpuMap, "lastThousand": last,
      "lastThousandSeconds": lastSeconds, "lastWindow": lastWindow,
      "bestFixedOmega": (grid[best] * 100).rounded() / 100, "fixed": fixed, "learners": learners,
      "onlineSolves": onlineSolves, "onlineTableMismatches": onlineMismatches,
      "onlineEqualsReplay": replayMatches.map { $0 as Any } ?? NSNull(),
      "notConverged": notConverged, "wallSeconds": elapsed,
      "command": "experiments sequence \(command) --learner-seeds \(learnerSeeds.count) --cost \(costKind.rawValue) --json",
    ]
    if let youngIterations { object["youngOptimal"] = youngIterations.reduce(0, +) }
    for (k, v) in extra { object[k] = v }
    return object
  }

  /// CSV files: summary, cumulative costs, cost table, actions.
  func writeFiles(output: String) throws -> [String] {
    let list = strategies
    let byKey = Dictionary(uniqueKeysWithValues: list.map { ($0.key, $0) })
    let bestTotal = Stats(byKey["bestFixed"]!.totals).mean
    let optTotal = Stats(byKey["instanceOptimal"]!.totals).mean
    let prefix = "\(output)/sequence_\(tag)"
    var files: [String] = []

    // Summary.
    var rows: [[String]] = []
    var all = list
    for a in 0..<grid.count {
      let column = fixedColumn(a)
      all.append(StrategyResult(key: String(format: "fixed_%.2f", grid[a]), label: String(format: "ω = %.2f", grid[a]),
                                omega: grid[a], iterations: [column.iterations], seconds: [column.seconds],
                                cpu: [column.cpu]))
    }
    for s in all {
      let it = Stats(s.totals), sec = Stats(s.secondTotals), cpu = Stats(s.cpuTotals)
      rows.append([s.key, "\"\(s.label)\"", s.omega.map { String(format: "%.2f", $0) } ?? "", "\(s.iterations.count)",
                   "\(it.mean)", "\(it.std)", "\(it.min)", "\(it.max)", "\(sec.mean)", "\(sec.std)", "\(cpu.mean)",
                   "\(Stats(s.lastIterations(lastWindow)).mean)", "\(Stats(s.lastSeconds(lastWindow)).mean)",
                   String(format: "%.4f", it.mean / bestTotal), String(format: "%.4f", it.mean / optTotal)])
    }
    try writeCSV("\(prefix)_summary.csv",
                 header: ["strategy", "label", "omega", "runs", "iterations_mean", "iterations_std", "iterations_min",
                          "iterations_max", "seconds_mean", "seconds_std", "cpu_seconds_mean", "last_iterations", "last_seconds",
                          "vs_best_fixed", "vs_instance_optimal"], rows: rows)
    files.append("\(prefix)_summary.csv")

    // Cumulative costs (learners: mean over seeds, with min and max).
    var header = ["step", "context"]
    var columns: [[Double]] = []
    func cumulative<T: BinaryInteger>(_ x: [T]) -> [Double] {
      var s = 0.0
      return x.map { s += Double($0); return s }
    }
    func cumulative(_ x: [Double]) -> [Double] {
      var s = 0.0
      return x.map { s += $0; return s }
    }
    for s in all {
      let curves = s.iterations.map { cumulative($0) }
      let secondCurves = s.seconds.map { cumulative($0) }
      let cpuCurves = s.cpu.map { cumulative($0) }
      header += ["\(s.key)_iterations", "\(s.key)_seconds", "\(s.key)_cpu"]
      columns.append((0..<steps).map { t in curves.map { $0[t] }.reduce(0, +) / Double(curves.count) })
      columns.append((0..<steps).map { t in secondCurves.map { $0[t] }.reduce(0, +) / Double(curves.count) })
      columns.append((0..<steps).map { t in cpuCurves.map { $0[t] }.reduce(0, +) / Double(curves.count) })
      if curves.count > 1 {
        header += ["\(s.key)_iterations_min", "\(s.key)_iterations_max"]
        columns.append((0..<steps).map { t in curves.map { $0[t] }.min()! })
        columns.append((0..<steps).map { t in curves.map { $0[t] }.max()! })
      }
    }
    rows = (0..<steps).map { t in
      ["\(t + 1)", "\(contexts[t])"] + columns.map { column in
        let v = column[t]
        return v == v.rounded() && abs(v) < 1e15 ? "\(Int(v))" : String(format: "%.6g", v)
      }
    }
    try writeCSV("\(prefix)_cumulative.csv", header: header, rows: rows)
    files.append("\(prefix)_cumulative.csv")

    // The cost table.
    let d = grid.count
    header = ["step", "context", "setup_seconds"] + grid.map { String(format: "it_%.2f", $0) }
      + grid.map { String(format: "s_%.2f", $0) }
    if cgIterations != nil { header += ["cg_iterations", "cg_seconds"] }
    if youngOmegas != nil { header += ["young_omega", "young_iterations", "young_seconds"] }
    rows = (0..<steps).map { t in
      var row = ["\(t + 1)", "\(contexts[t])", String(format: "%.3e", setupSeconds[t])]
      row += (0..<d).map { "\(tableIterations[t * d + $0])" }
      row += (0..<d).map { String(format: "%.3e", tableSeconds[t * d + $0]) }
      if let cgIterations, let cgSeconds { row += ["\(cgIterations[t])", String(format: "%.3e", cgSeconds[t])] }
      if let youngOmegas, let youngIterations, let youngSeconds {
        row += [String(format: "%.6f", youngOmegas[t]), "\(youngIterations[t])", String(format: "%.3e", youngSeconds[t])]
      }
      return row
    }
    try writeCSV("\(prefix)_table.csv", header: header, rows: rows)
    files.append("\(prefix)_table.csv")

    // Actions: the ω each learner chose (every seed), the grid instance optimum and Young's ω.
    rows = []
    let opt = instanceOptimalArms
    for t in 0..<steps {
      let c = "\(contexts[t])"
      rows.append(["\(t + 1)", c, "instanceOptimal", "0", String(format: "%.2f", grid[opt[t]]),
                   "\(tableIterations[t * d + opt[t]])"])
      if let youngOmegas, let youngIterations {
        rows.append(["\(t + 1)", c, "youngOptimal", "0", String(format: "%.5f", youngOmegas[t]), "\(youngIterations[t])"])
      }
      for kind in LearnerKind.allCases {
        for r in runs[kind]! {
          rows.append(["\(t + 1)", c, kind.rawValue, "\(r.seed)", String(format: "%.2f", grid[r.arms[t]]), "\(r.iterations[t])"])
        }
      }
    }
    try writeCSV("\(prefix)_actions.csv", header: ["step", "context", "strategy", "seed", "omega", "iterations"], rows: rows)
    files.append("\(prefix)_actions.csv")
    return files
  }
}

/// `1234567` → `1,234,567`.
func grouped(_ value: Double) -> String {
  let n = Int(value.rounded())
  let digits = String(abs(n))
  var out = ""
  for (i, ch) in digits.enumerated() {
    if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
    out.append(ch)
  }
  return (n < 0 ? "-" : "") + out
}
