import ArgumentParser
import Foundation
import LinSolve

/// `experiments sequence`: the "Learning to Relax" experiments (Khodak, Chow, Balcan,
/// Talwalkar, ICLR 2024) — choosing SOR's / SSOR-PCG's ω for each system of a sequence with
/// the bandits of ``ParameterTuner``, against Gauss–Seidel, every fixed ω of the grid, the
/// best fixed ω in hindsight, the per-system (instance-optimal) ω and Young's formula.
///
/// Workloads:
/// 1. `shifted-laplacian`: the paper's A + c_t I (n = 100) with SOR from x₀ = 0;
/// 2. `heat`: the paper's Crank–Nicolson heat equation with SSOR-PCG warm-started from the
///    exact previous u, context κ(t);
/// 3. `shifted-laplacian-pcg` and `diffusion`: larger systems (n = 10⁴, 10⁵) and a
///    variable-coefficient diffusion family, with SSOR-PCG.
///
/// Every system is solved with every grid ω once (the cost table, used for the oracles), and
/// each learner is run online — one real solve per system with the ω it chose — for several
/// learner seeds over the same sequence. The learners are then replayed on the table, which
/// must reproduce the online choices exactly ("online == replay").
struct SequenceExperiment: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sequence",
    abstract: "Learning to Relax: bandit-tuned ω for SOR and SSOR-PCG over sequences of systems.",
    discussion: """
      Without --workload (or with --workload all) runs what `make sequence` shows: the shifted \
      Laplacian (high and low variance, sequence seeds 1 and 2), the heat equation (nx = 25, 50), \
      and SSOR-PCG on the shifted Laplacian and on variable-coefficient diffusion at n = 10^4 \
      (--large-steps systems). --large adds n = 10^5 and heat nx = 100.
      """)

  @Option(help: "all | shifted-laplacian | heat | shifted-laplacian-pcg | diffusion.")
  var workload: String = "all"

  @Option(help: "Shift distribution: high | low | both (default: both for all, high otherwise).")
  var variance: String?

  @Option(help: "Systems per sequence (default 5000 for shifted-laplacian and heat, --large-steps otherwise).")
  var steps: Int?

  @Option(help: "Systems per sequence for shifted-laplacian-pcg and diffusion in --workload all.")
  var largeSteps: Int = 200

  @Option(help: "Sequence seed(s), comma-separated (default 1; 1,2 for the shifted Laplacian in --workload all).")
  var seed: String?

  @Option(help: "Number of learner seeds (1…k) run over each sequence.")
  var learnerSeeds: Int = 5

  @Option(help: "Heat-equation grid intervals nx, comma-separated (default 25; 25,50 in --workload all).")
  var nx: String?

  @Option(help: "Grid size m (n = m²) for shifted-laplacian-pcg and diffusion, comma-separated (default 100).")
  var gridSize: String?

  @Option(help: "What the learners are fed: iterations | seconds (wall-clock of each solve).")
  var cost: String = "iterations"

  @Option(help: "The ω grid, start:stop:count or a list.")
  var grid: String = "1.0:1.95:20"

  @Option(help: "Relative tolerance.")
  var rtol: Double = 1e-8

  @Option(help: "Iteration cap per solve.")
  var maxIterations: Int = 10_000

  @Flag(help: "In --workload all, add n = 10^5 (m = 316) and heat nx = 100.")
  var large = false

  @Flag(help: "Print one JSON object on stdout (progress on stderr); needs a single run.")
  var json = false

  @Option(help: "Output folder for the CSV files.")
  var output: String = "results"

  func run() throws {
    let grid = try ParameterGrid(parsing: self.grid)
    guard let costKind = ParameterTuner.CostKind(rawValue: cost) else {
      throw ValidationError("--cost must be iterations or seconds, not '\(cost)'")
    }
    guard learnerSeeds >= 1 else { throw ValidationError("--learner-seeds must be at least 1") }
    let workloads = try makeWorkloads()
    if json && workloads.count != 1 {
      throw ValidationError("--json needs exactly one run (one workload, variance, seed, nx and grid size); this selects \(workloads.count)")
    }
    let json = self.json
    let log: (String) -> Void = { line in
      if json {
        FileHandle.standardError.write((line + "\n").data(using: .utf8)!)
      } else {
        say(line)
      }
    }
    log("Learning to Relax sequences: \(workloads.count) run(s), grid ω ∈ \(grid), \(learnerSeeds) learner seeds, "
          + "feedback \(costKind.rawValue), threads \(Parallel.threads)")
    var overview: [[String]] = []
    var files: [String] = []
    var replayFailures = 0
    for workload in workloads {
      let runner = SequenceRunner(
        grid: grid, learnerSeeds: (1...learnerSeeds).map { UInt64($0) }, cost: costKind, progress: log)
      try runner.run(workload)
      runner.report(say: log)
      if runner.replayMatches != true { replayFailures += 1 }
      if json {
        var extra: [String: Any] = [:]
        if let w = workload as? ShiftedLaplacianSORWorkload {
          extra["variance"] = w.sequence.variance.rawValue
          extra["seed"] = Int(w.seed)
        }
        if let w = workload as? HeatWorkload { extra["nx"] = w.heat.nx }
        if let w = workload as? ShiftedLaplacianPCGWorkload {
          extra["variance"] = w.sequence.variance.rawValue
          extra["seed"] = Int(w.seed)
          extra["gridSize"] = w.sequence.gridSize
        }
        if let w = workload as? DiffusionWorkload {
          extra["seed"] = Int(w.seed)
          extra["gridSize"] = w.gridSize
        }
        let data = try JSONSerialization.data(withJSONObject: runner.jsonObject(extra: extra), options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        fflush(nil)
      } else {
        files += try runner.writeFiles(output: output)
        overview.append(overviewRow(runner))
      }
    }
    if !json {
      if workloads.count > 1 { printOverview(overview) }
      try writeCSV("\(output)/sequence_overview.csv", header: Self.overviewHeader, rows: overview)
      files.append("\(output)/sequence_overview.csv")
      say("\nWrote \(files.count) CSV files under \(output)/ (sequence_<run>_{summary,cumulative,table,actions}.csv, "
            + "sequence_overview.csv)")
    }
    if replayFailures > 0 {
      log("error: \(replayFailures) run(s) where the online learners and their replay disagree")
      throw ExitCode.failure
    }
  }

  // MARK: - Workload selection

  private func makeWorkloads() throws -> [any SequenceWorkload] {
    let all = workload == "all"
    let known = ["all", "shifted-laplacian", "heat", "shifted-laplacian-pcg", "diffusion"]
    guard known.contains(workload) else {
      throw ValidationError("--workload must be one of \(known.joined(separator: ", ")), not '\(workload)'")
    }
    let variances: [ShiftedLaplacianSequence.Variance]
    switch variance ?? (all ? "both" : "high") {
    case "both": variances = [.high, .low]
    case let v:
      guard let parsed = ShiftedLaplacianSequence.Variance(rawValue: v) else {
        throw ValidationError("--variance must be high, low or both, not '\(v)'")
      }
      variances = [parsed]
    }
    let sorSeeds = try list(seed ?? (all ? "1,2" : "1"), "--seed").map { UInt64($0) }
    let otherSeeds = try list(seed ?? "1", "--seed").map { UInt64($0) }
    let nxs = try list(nx ?? (all ? (large ? "25,50,100" : "25,50") : "25"), "--nx")
    let sizes = try list(gridSize ?? (all && large ? "100,316" : "100"), "--grid-size")
    guard nxs.allSatisfy({ $0 >= 2 }) else { throw ValidationError("--nx values must be at least 2") }
    if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }

    var result: [any SequenceWorkload] = []
    if all || workload == "shifted-laplacian" {
      for v in variances {
        for s in sorSeeds {
          result.append(ShiftedLaplacianSORWorkload(
            variance: v, steps: steps ?? 5000, seed: s, rtol: rtol, cap: maxIterations))
        }
      }
    }
    if all || workload == "heat" {
      for n in nxs { result.append(HeatWorkload(nx: n, steps: steps ?? 5000, rtol: rtol, cap: maxIterations)) }
    }
    let bigSteps = all ? largeSteps : (steps ?? largeSteps)
    if all || workload == "shifted-laplacian-pcg" {
      for m in sizes {
        for v in (all ? [.high] : variances) {
          for s in otherSeeds {
            result.append(ShiftedLaplacianPCGWorkload(
              gridSize: m, variance: v, steps: all && m > 200 ? max(bigSteps / 4, 1) : bigSteps, seed: s, rtol: rtol,
              cap: maxIterations))
          }
        }
      }
    }
    if all || workload == "diffusion" {
      for m in sizes {
        for s in otherSeeds {
          result.append(DiffusionWorkload(
            gridSize: m, steps: all && m > 200 ? max(bigSteps / 4, 1) : bigSteps, seed: s, rtol: rtol, cap: maxIterations))
        }
      }
    }
    return result
  }

  private func list(_ text: String, _ name: String) throws -> [Int] {
    try text.split(separator: ",").map {
      guard let v = Int($0.trimmingCharacters(in: .whitespaces)), v >= 0 else {
        throw ValidationError("bad value '\($0)' in \(name) '\(text)'")
      }
      return v
    }
  }

  // MARK: - Overview

  static let overviewHeader = [
    "run", "method", "n", "steps", "gauss_seidel", "best_fixed", "best_fixed_omega", "instance_optimal", "young",
    "cg", "tsallis_inf", "context_tsallis_inf", "chebcb", "tsallis_vs_best", "tsallis_last_vs_best", "chebcb_vs_opt",
    "chebcb_vs_best", "chebcb_seconds_vs_best", "tsallis_seconds_vs_best", "chebcb_cpu_vs_best", "tsallis_cpu_vs_best",
    "online_equals_replay",
  ]

  private func overviewRow(_ r: SequenceRunner) -> [String] {
    let byKey = Dictionary(uniqueKeysWithValues: r.strategies.map { ($0.key, $0) })
    func total(_ k: String) -> Double? { byKey[k].map { Stats($0.totals).mean } }
    func seconds(_ k: String) -> Double? { byKey[k].map { Stats($0.secondTotals).mean } }
    func cpu(_ k: String) -> Double? { byKey[k].map { Stats($0.cpuTotals).mean } }
    func last(_ k: String) -> Double? { byKey[k].map { Stats($0.lastIterations(r.lastWindow)).mean } }
    func f(_ v: Double?) -> String { v.map { String(format: "%.0f", $0) } ?? "" }
    func q(_ a: Double?, _ b: Double?) -> String {
      guard let a, let b, b > 0 else { return "" }
      return String(format: "%.3f", a / b)
    }
    return [
      r.tag, r.method, "\(r.dimension)", "\(r.steps)", f(total("gaussSeidel")), f(total("bestFixed")),
      String(format: "%.2f", r.grid[r.bestFixedArm]), f(total("instanceOptimal")), f(total("youngOptimal")),
      f(total("cg")), f(total("tsallisINF")), f(total("contextTsallisINF")), f(total("chebCB")),
      q(total("tsallisINF"), total("bestFixed")), q(last("tsallisINF"), last("bestFixed")),
      q(total("chebCB"), total("instanceOptimal")), q(total("chebCB"), total("bestFixed")),
      q(seconds("chebCB"), seconds("bestFixed")), q(seconds("tsallisINF"), seconds("bestFixed")),
      q(cpu("chebCB"), cpu("bestFixed")), q(cpu("tsallisINF"), cpu("bestFixed")),
      r.replayMatches.map { $0 ? "yes" : "no" } ?? "n/a",
    ]
  }

  private func printOverview(_ rows: [[String]]) {
    say("\n== Overview (learners: mean over learner seeds; ratios of total iterations, then wall and cpu seconds, "
          + "against the best fixed ω)")
    say(pad("run", 44) + pad("best fixed", 18) + pad("inst.-opt", 11) + pad("TINF/best", 10) + pad("(last)", 8)
          + pad("ChebCB/opt", 11) + pad("ChebCB/best", 12) + pad("wall: Cheb", 11) + pad("TINF", 7)
          + pad("cpu: Cheb", 10) + pad("TINF", 7) + "replay")
    for row in rows {
      say(pad(row[0], 44) + pad("\(row[5]) (\(row[6]))", 18) + pad(row[7], 11) + pad(row[13], 10) + pad(row[14], 8)
            + pad(row[15], 11) + pad(row[16], 12) + pad(row[17], 11) + pad(row[18], 7) + pad(row[19], 10)
            + pad(row[20], 7) + row[21])
    }
  }
}
