import ArgumentParser
import Foundation
import LinSolve

/// `experiments portfolio`: every fixed strategy over a sequence against the strategy learned
/// by wall time (``PortfolioSequenceSolver``; PCGBandit, Khodak et al., arXiv 2509.08765, with
/// bounded exploration) on Darcy, 2-D heat, shifted-Laplacian and 3-D heat sequences.
///
/// For each workload: each fixed strategy's total time (set-up + solve summed over the systems,
/// generation excluded), the best in hindsight, the tuned run's total and its ratio to the best.
/// Writes `results/portfolio_summary.csv`, `results/portfolio_<workload>_tuned.csv` (the tuned
/// run system by system) and `results/portfolio.md` (the tables).
struct PortfolioExperiment: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "portfolio",
    abstract: "Fixed strategies vs the strategy learned by wall time (--tune auto) over sequences.",
    discussion: """
      Default sizes (a few minutes on 2 cores): Darcy grid 96, heat nx 128, shifted Laplacian \
      grid 128, 3-D heat m = 32, 30 systems each. --large: Darcy 256, heat 256, shifted 256 and \
      3-D heat m = 100 (n = 10^6, where Cholesky runs out of memory or time).
      """)

  @Option(help: "all | darcy | heat | shifted | heat3d (comma-separated).")
  var workload: String = "all"

  @Option(help: "Systems per sequence.")
  var systems: Int = 30

  @Option(help: "Darcy grid N (n = N²).")
  var darcyGrid: Int?
  @Option(help: "2-D heat intervals nx (n = (nx − 1)²).")
  var heatNx: Int?
  @Option(help: "Shifted-Laplacian grid m (n = m²).")
  var shiftedGrid: Int?
  @Option(help: "3-D heat interior points per direction m (n = m³).")
  var heat3dM: Int?

  @Flag(help: "Large sizes: Darcy 256, heat 256, shifted 256, 3-D heat m = 100 (n = 10^6).")
  var large = false

  @Option(help: "The strategies (fixed runs and the tuned run's arms), comma-separated. Default: every default strategy as a fixed run, and the tuned run's default arms for the first matrix (for these SPD workloads: Cholesky and the PCG arms).")
  var arms: String?

  @Option(help: "Seed of the tuned run's learner.")
  var seed: UInt64 = 1

  @Option(help: "Exploration budget: this multiple of the incumbent's mean time.")
  var margin: Double = 1.25

  @Option(help: "Relative tolerance.")
  var rtol: Double = 1e-8

  @Option(help: "Iteration cap per solve.")
  var maxIterations: Int = 10_000

  @Option(help: "Stop a fixed strategy once its running total passes this multiple of the tuned run's total (it cannot be the best in hindsight then; Cholesky at n = 10^6 would take hours).")
  var fixedCap: Double = 4

  @Option(help: "Runs of the tuned run and of each contending fixed strategy (interleaved); each keeps its fastest (least disturbed) total.")
  var repeats: Int = 5

  /// Fixed strategies slower than this multiple of the best one in the first round are not run again.
  static let contenderFactor = 1.5

  @Option(help: "The tuned run's exploration share (PortfolioSequenceSolver.explorationShare). Default: the library's.")
  var explorationShare: Double?

  @Option(help: "Context bins of the extra tuned run on workloads with contexts (heat: κ, shifted: the shift; 0: none).")
  var contextBins: Int = 3

  /// `contextBins` equal bins over the range of `contexts`.
  func binsOver(_ contexts: [Double]) throws -> ContextBins {
    let low = contexts.min()!, high = contexts.max()!
    return try ContextBins(range: low < high ? low...high : (low - 0.5)...(high + 0.5), count: contextBins)
  }

  @Option(help: "Output folder.")
  var output: String = "results"

  func run() throws {
    guard systems >= 1 else { throw ValidationError("--systems must be at least 1") }
    guard fixedCap > 1 else { throw ValidationError("--fixed-cap must be above 1") }
    guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
    let asked = try arms.map { text in try text.split(separator: ",").map { try SequenceStrategy(name: String($0)) } }
    let strategies = asked ?? PortfolioSequenceSolver.defaultStrategies
    let stopping = StoppingCriterion(rtol: rtol, maxIterations: maxIterations)
    var summary: [[String]] = []
    var markdown = "# Sequence portfolio: fixed strategies vs --tune auto\n\n"
      + "Total seconds = wall time of the driver's calls over the sequence (set-up, solve and the portfolio's "
      + "bookkeeping; generation excluded), the fastest of \(repeats) interleaved runs for the tuned run and the "
      + "fixed strategies within \(Self.contenderFactor)× of the best; rtol \(rtol); "
      + "threads \(Parallel.threads); learner seed \(seed), margin \(margin).\n"
    try warmUp(strategies, stopping)
    for workload in try makeWorkloads() {
      say("== \(workload.label)")
      let arms = asked ?? PortfolioSequenceSolver.defaultStrategies(for: workload.system(0, previous: nil).matrix)
      // Round 1: the tuned run first (its total caps the fixed runs), then every fixed strategy.
      var tuned = try runTuned(arms, workload, stopping)
      // Workloads with contexts (a coefficient, a shift) also run with one learner per context bin.
      let bins = try workload.contexts.flatMap { c in contextBins > 0 ? try binsOver(c) : nil }
      var contextual = try bins.map { try runTuned(arms, workload, stopping, bins: $0) }
      var fixed: [(String, Double?, Int, String)] = strategies.map { strategy in
        let run = runFixed(strategy, workload, stopping, cap: fixedCap * tuned.total)
        return (strategy.name, run.total, run.solved, run.note)
      }
      // Rounds 2…: the tuned run and the fixed strategies that could be the best (within
      // `contenderFactor` of the best so far) again, interleaved; each keeps its least disturbed run.
      for _ in 1..<repeats {
        let again = try runTuned(arms, workload, stopping)
        if again.total < tuned.total { tuned = again }
        if let bins, let previous = contextual {
          let run = try runTuned(arms, workload, stopping, bins: bins)
          if run.total < previous.total { contextual = run }
        }
        let leader = fixed.compactMap(\.1).min() ?? .infinity
        for (i, strategy) in strategies.enumerated() {
          guard let total = fixed[i].1, total <= Self.contenderFactor * leader else { continue }
          let run = runFixed(strategy, workload, stopping, cap: fixedCap * tuned.total)
          if let t = run.total, t < total { fixed[i].1 = t }
        }
      }
      for row in fixed {
        say("  \(pad(row.0, 22)) " + (row.1.map { String(format: "%9.4f s", $0) } ?? "   –       ") + "  \(row.3)")
      }
      let best = fixed.compactMap { row in row.1.map { (row.0, $0) } }.min { $0.1 < $1.1 }
      let ratio = best.map { tuned.total / $0.1 }
      say("  \(pad("tuned (--tune auto)", 22)) " + String(format: "%9.4f s", tuned.total)
            + (best.map { String(format: "  ratio %.3f to the best, %@ (%.4f s)", ratio!, $0.0, $0.1) } ?? "") + "  \(tuned.note)")
      for row in fixed {
        summary.append([workload.name, "\(workload.dimension)", "\(workload.count)", row.0, "fixed",
                        row.1.map { "\($0)" } ?? "", "\(row.2)", row.1.flatMap { t in best.map { "\(t / $0.1)" } } ?? "", csvField(row.3)])
      }
      summary.append([workload.name, "\(workload.dimension)", "\(workload.count)", "tuned", "tuned", "\(tuned.total)",
                      "\(tuned.solved)", ratio.map { "\($0)" } ?? "", csvField(tuned.note)])
      let contextualRatio = contextual.flatMap { run in best.map { run.total / $0.1 } }
      if let contextual, let bins {
        say("  \(pad("tuned, \(bins.count) context bins", 22)) " + String(format: "%9.4f s", contextual.total)
              + (contextualRatio.map { String(format: "  ratio %.3f to the best", $0) } ?? "") + "  \(contextual.note)")
        summary.append([workload.name, "\(workload.dimension)", "\(workload.count)", "tuned-contexts", "tuned-contexts",
                        "\(contextual.total)", "\(contextual.solved)", contextualRatio.map { "\($0)" } ?? "", csvField(contextual.note)])
      }
      try writeCSV("\(output)/portfolio_\(workload.name)_tuned.csv",
                   header: ["system", "chosen", "finished_by", "seconds", "iterations", "converged", "attempts"], rows: tuned.rows)
      markdown += "\n## \(workload.label)\n\n| strategy | total s | systems solved | ratio to best |\n|---|---:|---:|---:|\n"
      for row in fixed.sorted(by: { ($0.1 ?? .infinity) < ($1.1 ?? .infinity) }) {
        let mark = row.0 == best?.0 ? " (best)" : ""
        markdown += "| \(row.0)\(mark) | " + (row.1.map { String(format: "%.4f", $0) } ?? row.3)
          + " | \(row.2)/\(workload.count) | " + (row.1.flatMap { t in best.map { String(format: "%.3f", t / $0.1) } } ?? "–") + " |\n"
      }
      markdown += "| **tuned (--tune auto)** | " + String(format: "**%.4f**", tuned.total) + " | \(tuned.solved)/\(workload.count) | "
        + (ratio.map { String(format: "**%.3f**", $0) } ?? "–") + " |\n"
      if let contextual, let bins {
        markdown += "| tuned, \(bins.count) context bins (--context) | " + String(format: "%.4f", contextual.total)
          + " | \(contextual.solved)/\(workload.count) | " + (contextualRatio.map { String(format: "%.3f", $0) } ?? "–") + " |\n"
      }
    }
    try writeCSV("\(output)/portfolio_summary.csv",
                 header: ["workload", "n", "systems", "run", "kind", "total_seconds", "solved", "ratio_to_best", "note"], rows: summary)
    try markdown.write(toFile: "\(output)/portfolio.md", atomically: true, encoding: .utf8)
    say("wrote \(output)/portfolio_summary.csv, \(output)/portfolio_<workload>_tuned.csv, \(output)/portfolio.md")
  }

  /// Runs every strategy once on a small Poisson system, untimed, so that no timed run pays
  /// for loading CHOLMOD/UMFPACK or starting the thread pools.
  func warmUp(_ strategies: [SequenceStrategy], _ stopping: StoppingCriterion) throws {
    let a = Poisson.matrix2D(32)
    let system = LinearSystem(matrix: a, rhs: a.applied(to: [Double](repeating: 1, count: a.columns)))
    for strategy in strategies {
      _ = try? FixedStrategySequenceSolver(strategy: strategy, stopping: stopping).solve(system)
    }
  }

  /// One fixed strategy over the sequence: its total, or `nil` when a system failed or the
  /// running total passed `cap` (the run stops there; such a strategy is not a candidate for the
  /// best in hindsight).
  func runFixed(_ strategy: SequenceStrategy, _ workload: PortfolioWorkload, _ stopping: StoppingCriterion, cap: Double)
    -> (total: Double?, solved: Int, note: String)
  {
    do {
      let driver = try FixedStrategySequenceSolver(strategy: strategy, stopping: stopping)
      var total = 0.0, previous: [Double]?
      for t in 0..<workload.count {
        // A factorization that could not fit the cap even at 10 GFlop/s is not started.
        let spent = total
        let step: SequenceStep
        do {
          let system = workload.system(t, previous: previous)
          let start = ContinuousClock.now
          // An iterative solve is stopped once the running total passes the cap.
          let monitor: SolveMonitor = { [self] _, _ in spent + seconds(since: start) > cap ? .stop : .continue }
          step = try driver.solve(system, monitor: monitor, beforeFactorizing: { estimate in
            let projected = spent + estimate.flops / 1e10
            if projected > cap { throw ExplorationBudget.Exceeded(projectedSeconds: projected) }
          })
          total += seconds(since: start)
        } catch let exceeded as ExplorationBudget.Exceeded {
          return (nil, t, String(format: "stopped at system %d: its factorization (≥ %.3g s at 10 GFlop/s) passes %.3g × the tuned total",
                                 t + 1, exceeded.projectedSeconds - spent, fixedCap))
        }
        if step.result.reason == .cancelled {
          return (nil, t, String(format: "stopped in system %d: %.4f s > %.3g × the tuned total", t + 1, total, fixedCap))
        }
        guard step.result.converged else {
          return (nil, t, "failed at system \(t + 1): \(step.result.reason.rawValue) after \(step.result.iterations) iterations")
        }
        if total > cap, t + 1 < workload.count {
          return (nil, t + 1, String(format: "stopped after %d systems: %.4f s > %.3g × the tuned total", t + 1, total, fixedCap))
        }
        previous = step.result.x
      }
      return (total, workload.count, driver.symbolicAnalyses.map { "\($0) symbolic analyses" } ?? "")
    } catch {
      return (nil, 0, "failed: \(error)")
    }
  }

  /// The tuned run: one ``PortfolioSequenceSolver`` over the strategies.
  func runTuned(
    _ strategies: [SequenceStrategy], _ workload: PortfolioWorkload, _ stopping: StoppingCriterion, bins: ContextBins? = nil
  ) throws -> (total: Double, solved: Int, note: String, rows: [[String]]) {
    let portfolio = try PortfolioSequenceSolver(strategies: strategies, stopping: stopping, seed: seed, contextBins: bins)
    if let explorationShare { portfolio.explorationShare = explorationShare }
    portfolio.margin = margin
    var total = 0.0, solved = 0, previous: [Double]?
    var rows: [[String]] = []
    for t in 0..<workload.count {
      let system = workload.system(t, previous: previous)
      let start = ContinuousClock.now
      let step = try portfolio.solve(system)
      let elapsed = seconds(since: start)
      total += elapsed
      if step.step.result.converged { solved += 1 }
      previous = step.step.result.x
      let attempts = step.attempts.map { a -> String in
        switch a.outcome {
        case .solved: "\(a.strategy):solved"
        case .aborted: "\(a.strategy):aborted"
        case .failed: "\(a.strategy):failed"
        }
      }
      rows.append(["\(t + 1)", step.chosenArm.map { strategies[$0].name } ?? "", step.step.strategy, "\(elapsed)",
                   "\(step.step.result.iterations)", "\(step.step.result.converged)", attempts.joined(separator: " ")])
    }
    let learner = portfolio.learners[0]
    if bins != nil {
      let incumbents = portfolio.learners.map { l in l.incumbent.map { l.arms[$0] } ?? "none" }
      return (total, solved, "best per bin: \(incumbents.joined(separator: ", "))", rows)
    }
    let dropped = learner.arms.indices.filter { !learner.isActive($0) }.map { learner.arms[$0] }
    let note = "best at the end: \(learner.incumbent.map { learner.arms[$0] } ?? "none")"
      + (dropped.isEmpty ? "" : "; dropped: \(dropped.joined(separator: " "))")
    return (total, solved, note, rows)
  }

  func makeWorkloads() throws -> [PortfolioWorkload] {
    let names = workload == "all" ? ["darcy", "heat", "shifted", "heat3d"] : workload.split(separator: ",").map(String.init)
    return try names.map { name -> PortfolioWorkload in
      switch name {
      case "darcy": return DarcyPortfolioWorkload(grid: darcyGrid ?? (large ? 256 : 96), count: systems, seed: 1)
      case "heat": return HeatPortfolioWorkload(nx: heatNx ?? (large ? 256 : 128), steps: systems)
      case "shifted": return ShiftedPortfolioWorkload(gridSize: shiftedGrid ?? (large ? 256 : 128), count: systems, seed: 1)
      case "heat3d": return Heat3DPortfolioWorkload(m: heat3dM ?? (large ? 100 : 32), steps: systems)
      default: throw ValidationError("--workload: '\(name)' is not darcy, heat, shifted, heat3d or all")
      }
    }
  }

  /// Wall seconds since `start`: a run's total includes everything its driver does per system
  /// (the portfolio's choices and bookkeeping too), only the system's generation is left out.
  func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }

  /// A CSV field: quoted when it holds a comma or a quote.
  func csvField(_ text: String) -> String {
    text.contains(",") || text.contains("\"") ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
  }
}
