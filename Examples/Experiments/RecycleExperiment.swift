import ArgumentParser
import Foundation
import LinSolve

/// `experiments recycle`: Krylov subspace recycling on sequences of Darcy systems (SKR, Wang et
/// al., ICLR 2024, and the honest baselines it leaves out): products with A, applications of
/// M⁻¹, seconds and true residuals per system for PCG/GMRES, warm starts, deflated CG, GCRO-DR
/// fresh/carried/sorted, Fischer projection and sparse Cholesky.
///
/// Workloads (RecycleStrategies.swift): `darcy-spd` and `darcy-skr` (i.i.d. κ = exp(G), SKR's
/// field, symmetric finite volumes / SKR's nonsymmetric operator), `slow` (κ turning slowly),
/// `fixed-a` (one A, right-hand sides from a 30-dimensional family). Every count includes the
/// products a recycling method spends rebuilding A·U when A changed.
struct RecycleExperiment: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "recycle",
    abstract: "Krylov recycling (deflated CG, GCRO-DR, Fischer) against PCG/GMRES/Cholesky on Darcy sequences.",
    discussion: """
      Without --json: tables per workload and preconditioner, the targets met or missed, and CSV files
      results/recycle_<workload>_summary.csv and results/recycle_<workload>_systems.csv (plot with
      Examples/Experiments/plot_recycle.py). With --json (one workload): one JSON object with
      matvecsPerSystem, secondsPerSystem, preconditioner and trueResidualMax keyed by strategy.
      Heavier settings than the defaults: --grid 200 for darcy-spd/darcy-skr, --steps 100 for darcy-skr,
      --preconditioners none,jacobi for darcy-skr, --gmres-systems 0 (GMRES on every system),
      --all-strategies (GMRES warm start on darcy-skr, GCRO-DR on slow and fixed-a).
      """)

  @Option(help: "Workload: all, darcy-spd, darcy-skr, slow or fixed-a.")
  var workload: String = "all"

  @Option(help: "Interior grid points per direction N (n = N²); default 98 for darcy-*, 200 for slow and fixed-a.")
  var grid: Int?

  @Option(help: "Systems in the sequence T; default 100 for darcy-spd, 50 for darcy-skr, 40 for slow and fixed-a.")
  var steps: Int?

  @Option(help: "Seed of the random fields and right-hand sides.")
  var seed: UInt64 = 1

  @Option(help: "Relative tolerance on ‖b − Ax‖/‖b‖.")
  var rtol: Double = 1e-8

  @Option(help: "Iteration cap of every iterative solve (SKR used 10⁴; GMRES(40) stalls on some darcy-skr systems).")
  var maxIterations: Int = 20_000

  @Option(help: "Preconditioners of the tables (comma list of none, jacobi, ic0, ilu0); default per workload.")
  var preconditioners: String?

  @Option(help: "Preconditioner of a --json run; default none for darcy-*, jacobi for slow and fixed-a.")
  var preconditioner: String?

  @Option(help: "Only these strategies (comma list of keys: pcg, warmStart, deflatedCG, deflatedCG5, …); default all that apply.")
  var strategies: String?

  @Option(help: "k of DeflatedCG and GCRO-DR (the key deflatedCG).")
  var recycleDimension: Int = 20

  @Option(help: "Further DeflatedCG dimensions k (keys deflatedCG<k>; empty for none); default 5,10.")
  var deflationSweep: String?

  @Option(help: "Search directions s of each solve kept for DeflatedCG's Rayleigh–Ritz refresh; 0: max(2k, 20).")
  var ritzDirections: Int = 0

  @Flag(help: "Also run the expensive strategies left out by default (GMRES warm start on darcy-skr, GCRO-DR on slow and fixed-a).")
  var allStrategies = false

  @Option(help: "m of GMRES(m) and GCRO-DR(m, k).")
  var restart: Int = 40

  @Option(help: "Capacity L of the Fischer basis.")
  var fischerCapacity: Int = 40

  @Option(help: ArgumentHelp(
    "Relative A-norm below which Fischer drops a solution as already spanned; default: the library's (√rtol).",
    discussion: "A tolerance near the solve error admits error directions: 1e-10 made later guesses 500× worse (fixed-a, N = 60: x₀ residual 1e-7 → 5e-5)."))
  var fischerTolerance: Double?

  @Option(help: "Systems solved by GMRES(m) (and its warm start) on darcy-skr: ≈ 2·10⁴ products, 8 s each; 0 = all.")
  var gmresSystems: Int = 3

  @Flag(help: "Fischer: solve the systems that add a new direction only to rtol (FischerProjection.tightensNewDirections = false), for the ablation.")
  var fischerUntightened = false

  @Option(help: "Threads of LinSolve's own kernels (Parallel.threads); default: the library's (the cores, at most 2 here).")
  var threads: Int?

  @Flag(help: "Print one JSON object (one workload) instead of tables; writes no files.")
  var json = false

  @Option(help: "Output folder of the CSV files.")
  var output: String = "results"

  func validate() throws {
    if workload != "all" && RecycleWorkload(rawValue: workload) == nil {
      throw ValidationError("unknown workload '\(workload)' (all, darcy-spd, darcy-skr, slow, fixed-a)")
    }
    if json && workload == "all" { throw ValidationError("--json needs one --workload") }
    if let grid, grid < 2 { throw ValidationError("--grid must be at least 2") }
    if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
    guard rtol > 0, rtol < 1 else { throw ValidationError("--rtol must be in (0, 1)") }
    guard recycleDimension >= 1, recycleDimension < restart else {
      throw ValidationError("--recycle-dimension must be in 1..<restart")
    }
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    guard fischerCapacity >= 1, gmresSystems >= 0, ritzDirections >= 0, maxIterations >= 1, (fischerTolerance ?? 0.5) > 0, (fischerTolerance ?? 0.5) < 1 else {
      throw ValidationError("--fischer-capacity and --max-iterations must be positive, --gmres-systems ≥ 0, --fischer-tolerance in (0, 1)")
    }
    _ = try sweep(.darcySPD)
  }

  private func sweep(_ w: RecycleWorkload) throws -> [Int] {
    guard let deflationSweep else { return w.defaultSweep.filter { $0 != recycleDimension } }
    return try deflationSweep.split(separator: ",").map {
      guard let k = Int($0.trimmingCharacters(in: .whitespaces)), k >= 1 else {
        throw ValidationError("bad --deflation-sweep entry '\($0)'")
      }
      return k
    }.filter { $0 != recycleDimension }
  }

  private func preconditionerList(_ w: RecycleWorkload) throws -> [RecyclePreconditioner] {
    let list: [RecyclePreconditioner]
    if json {
      guard let p = preconditioner.map({ RecyclePreconditioner(rawValue: $0) }) ?? w.defaultPreconditioner else {
        throw ValidationError("unknown --preconditioner '\(preconditioner ?? "")'")
      }
      list = [p]
    } else if let preconditioners {
      list = try preconditioners.split(separator: ",").map {
        guard let p = RecyclePreconditioner(rawValue: $0.trimmingCharacters(in: .whitespaces)) else {
          throw ValidationError("unknown preconditioner '\($0)' (none, jacobi, ic0, ilu0)")
        }
        return p
      }
    } else {
      list = w.defaultPreconditioners
    }
    if !w.symmetric && list.contains(.ic0) {
      throw ValidationError("ic0 needs a symmetric matrix; use ilu0 on darcy-skr")
    }
    return list
  }

  private func strategyList(_ w: RecycleWorkload) throws -> [RecycleStrategy] {
    let all = w.strategies(sweep: try sweep(w), all: allStrategies || strategies != nil)
    guard let strategies else { return all }
    let wanted = try strategies.split(separator: ",").map { key -> RecycleStrategy in
      let k = key.trimmingCharacters(in: .whitespaces)
      guard let s = RecycleStrategy.parse(k, mainK: recycleDimension) else {
        throw ValidationError("unknown strategy '\(k)'")
      }
      return s
    }
    // Keep the workload's order; a sweep k given explicitly is added even if not in --deflation-sweep.
    var list = all.filter { wanted.contains($0) }
    for s in wanted where !list.contains(s) {
      if case .deflatedCGSweep = s, w.symmetric { list.append(s) }
    }
    return list
  }

  /// Progress lines: stdout for tables, stderr for --json (stdout holds only the JSON object).
  private func progress(_ line: String) {
    if json {
      FileHandle.standardError.write((line + "\n").data(using: .utf8)!)
    } else {
      say(line)
    }
  }

  func run() throws {
    BLAS.threads = 1  // OpenBLAS threads spinning beside the Swift-threaded loops only hurt (BLAS.swift)
    if let threads { Parallel.threads = threads }
    let workloads = workload == "all" ? RecycleWorkload.allCases : [RecycleWorkload(rawValue: workload)!]
    var report = RecycleReport()
    if !json {
      say("Krylov recycling experiment — \(CommandLine.arguments.joined(separator: " "))")
      say("rtol \(rtol) (true residual ‖b − Ax‖/‖b‖), x₀ = 0 unless stated, m = \(restart), k = \(recycleDimension), "
            + "Swift threads \(Parallel.threads), OpenBLAS threads 1, seed \(seed)")
      say("Counts: mv = products with A per system, all of them (rebuilding A·U when A changed included); "
            + "M⁻¹ = preconditioner applications; s = wall seconds per system (preconditioner set-up or "
            + "factorisation included).")
    }
    for w in workloads {
      let runs = try runWorkload(w)
      report.workloads.append(runs)
    }
    if json {
      try printJSON(report.workloads[0])
      return
    }
    report.printTargets()
    report.printFastest()
    report.printCommands()
  }

  // MARK: One workload

  private func runWorkload(_ w: RecycleWorkload) throws -> RecycleWorkloadResult {
    let n = grid ?? w.defaultGrid
    let t = steps ?? w.defaultSteps
    let (sequence, generation) = timed { w.generate(grid: n, steps: t, seed: seed) }
    let (greedy, ordering) = timed { SystemOrdering.greedyNearestNeighbor(features: sequence.coefficients) }
    let given = Array(0..<t)
    let givenPath = SystemOrdering.pathLength(given, features: sequence.coefficients)
    let greedyPath = SystemOrdering.pathLength(greedy, features: sequence.coefficients)
    let pcs = try preconditionerList(w)
    let list = try strategyList(w)
    var result = RecycleWorkloadResult(
      workload: w, grid: n, steps: t, seed: seed, rtol: rtol, preconditioners: pcs, runs: [:],
      command: command(w, grid: n, steps: t, preconditioners: pcs), familyDimension: 30, restart: restart)

    do {
      progress("")
      progress("== \(w.rawValue): N = \(n) (n = \(n * n)), T = \(t) — \(w.summary)")
      let logs = sequence.coefficients[0].map { log($0) }
      let mean = logs.reduce(0, +) / Double(logs.count)
      let std = (logs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(logs.count)).squareRoot()
      let kmin = sequence.coefficients.map { $0.min()! }.min()!, kmax = sequence.coefficients.map { $0.max()! }.max()!
      progress(String(format: "   generated in %.2f s; system 0: std(log κ) = %.3f; κ over the sequence in [%.3g, %.3g]",
                      generation, std, kmin, kmax))
      if w == .darcySKR {
        let a = sequence.systems[0].matrix
        let exact = DarcySequence.skrMatrix(coefficient: sequence.coefficients[0], grid: n, exactColumnScaling: true)
        let d = SystemOrdering.distance(a.values, exact.values) / Vector.norm(a.values)
        progress(String(format: "   SKR operator: ‖A − K·diag(κ)‖_F/‖A‖_F = %.2f %% (the −N diagonal's index offset); "
                          + "nonsymmetric: %@", 100 * d, a.isSymmetric(tolerance: 1e-12) ? "no" : "yes"))
      }
      if w != .fixedA {
        progress(String(format: "   greedy nearest-neighbour order by ‖κ_i − κ_j‖_F (%.2f s): path %.4g against %.4g in the given order",
                        ordering, greedyPath, givenPath))
      }
    }

    let runner = RecycleRunner(
      workload: w, sequence: sequence, greedyOrder: greedy,
      stopping: StoppingCriterion(rtol: rtol, maxIterations: maxIterations), recycleDimension: recycleDimension,
      ritzDirections: ritzDirections, restart: restart, fischerCapacity: fischerCapacity,
      fischerTolerance: fischerTolerance, fischerTightens: !fischerUntightened, gmresSystems: gmresSystems)

    var directDone: [RecycleStrategy: RecycleRun] = [:]
    for pc in pcs {
      progress("")
      progress("-- \(w.rawValue), N = \(n), T = \(t), preconditioner \(pc.rawValue)")
      progress(RecycleReport.header)
      var runs: [RecycleRun] = []
      for strategy in list {
        if !w.symmetric && pc == .ic0 { continue }
        var run: RecycleRun
        if strategy.direct, let done = directDone[strategy] {
          run = done  // the direct solver does not depend on the preconditioner: run once
        } else {
          run = try runner.run(strategy, preconditioner: pc)
          if strategy.direct { directDone[strategy] = run }
        }
        runs.append(run)
        let baseline = runs.first { $0.strategy == w.baseline }
        progress(RecycleReport.row(run, baseline: baseline))
      }
      result.runs[pc] = runs
      if !json { result.printAblation(pc) }
    }
    if !json { try result.writeFiles(output) }
    return result
  }

  private func command(_ w: RecycleWorkload, grid n: Int, steps t: Int, preconditioners: [RecyclePreconditioner]) -> String {
    var c = "experiments recycle --workload \(w.rawValue) --grid \(n) --steps \(t) --seed \(seed)"
    if rtol != 1e-8 { c += " --rtol \(rtol)" }
    let names = preconditioners.map(\.rawValue).joined(separator: ",")
    c += json ? " --preconditioner \(names)" : " --preconditioners \(names)"
    if recycleDimension != 20 { c += " --recycle-dimension \(recycleDimension)" }
    if let deflationSweep { c += " --deflation-sweep \(deflationSweep)" }
    if ritzDirections > 0 { c += " --ritz-directions \(ritzDirections)" }
    if restart != 40 { c += " --restart \(restart)" }
    if maxIterations != 20_000 { c += " --max-iterations \(maxIterations)" }
    if w == .darcySKR { c += " --gmres-systems \(gmresSystems)" }
    if w == .fixedA && fischerCapacity != 40 { c += " --fischer-capacity \(fischerCapacity)" }
    if w == .fixedA, let fischerTolerance { c += " --fischer-tolerance \(fischerTolerance)" }
    if w == .fixedA && fischerUntightened { c += " --fischer-untightened" }
    if let threads { c += " --threads \(threads)" }
    if let strategies { c += " --strategies \(strategies)" }
    if allStrategies { c += " --all-strategies" }
    if json { c += " --json" }
    return c
  }

  // MARK: JSON

  private func printJSON(_ result: RecycleWorkloadResult) throws {
    guard let pc = result.preconditioners.first, let runs = result.runs[pc] else { return }
    func finite(_ x: Double) -> Double { x.isFinite ? x : -1 }
    var object: [String: Any] = [
      "workload": result.workload.rawValue, "grid": result.grid, "n": result.grid * result.grid,
      "steps": result.steps, "seed": Int(seed), "rtol": rtol, "restart": restart,
      "recycleDimension": recycleDimension, "command": result.command,
    ]
    var matvecs: [String: Double] = [:], seconds: [String: Double] = [:], pcs: [String: String] = [:]
    var cpu: [String: Double] = [:]
    var residual: [String: Double] = [:], applications: [String: Double] = [:], rebuild: [String: Double] = [:]
    var lastFive: [String: Double] = [:], systems: [String: Int] = [:], converged: [String: Int] = [:]
    for run in runs {
      let key = run.strategy.key
      matvecs[key] = finite(run.matvecsPerSystem)
      seconds[key] = finite(run.secondsPerSystem)
      cpu[key] = finite(run.cpuSecondsPerSystem)
      pcs[key] = run.strategy.direct ? (run.strategy == .cholesky ? "cholmod" : "umfpack") : run.preconditioner.rawValue
      residual[key] = finite(run.trueResidualMax)
      applications[key] = finite(run.preconditionerApplicationsPerSystem)
      rebuild[key] = finite(run.rebuildMatvecsPerSystem)
      lastFive[key] = finite(run.lastFiveMatvecs)
      systems[key] = run.systems
      converged[key] = run.converged
    }
    object["matvecsPerSystem"] = matvecs
    object["secondsPerSystem"] = seconds
    object["cpuSecondsPerSystem"] = cpu
    object["preconditioner"] = pcs
    object["trueResidualMax"] = residual
    object["preconditionerApplicationsPerSystem"] = applications
    object["rebuildMatvecsPerSystem"] = rebuild
    object["lastFiveMatvecs"] = lastFive
    object["systemsSolved"] = systems
    object["converged"] = converged
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    print(String(decoding: data, as: UTF8.self))
    fflush(nil)
  }
}

/// The runs of one workload, by preconditioner.
struct RecycleWorkloadResult {
  var workload: RecycleWorkload
  var grid: Int
  var steps: Int
  var seed: UInt64
  var rtol: Double
  var preconditioners: [RecyclePreconditioner]
  var runs: [RecyclePreconditioner: [RecycleRun]]
  var command: String
  var familyDimension: Int
  var restart: Int

  func run(_ strategy: RecycleStrategy, _ pc: RecyclePreconditioner) -> RecycleRun? {
    runs[pc]?.first { $0.strategy == strategy }
  }

  /// Fresh against carried GCRO-DR (and DeflatedCG's order), the ablation SKR does not report.
  func printAblation(_ pc: RecyclePreconditioner) {
    guard let fresh = run(.gcrodrFresh, pc) else { return }
    var parts: [String] = []
    for s in [RecycleStrategy.gcrodrCarried, .gcrodrSorted] {
      guard let r = run(s, pc) else { continue }
      parts.append(String(format: "%@ %.0f mv (last5 %.0f), %.3f s", s.key, r.matvecsPerSystem, r.lastFiveMatvecs, r.secondsPerSystem))
    }
    say(String(format: "   ablation: gcrodrFresh (= GMRES-DR, nothing carried) %.0f mv (last5 %.0f), %.3f s  |  ",
               fresh.matvecsPerSystem, fresh.lastFiveMatvecs, fresh.secondsPerSystem) + parts.joined(separator: "  |  "))
    if let c = run(.gcrodrCarried, pc) {
      say(String(format: "   carrying the space changes products by %+.1f %% against fresh (negative = carrying helps)",
                 100 * (c.matvecsPerSystem / fresh.matvecsPerSystem - 1)))
    }
    if let d = run(.deflatedCG, pc), let ds = run(.deflatedCGSorted, pc) {
      say(String(format: "   DeflatedCG given order %.1f mv, greedy order %.1f mv (%+.1f %%)", d.matvecsPerSystem,
                 ds.matvecsPerSystem, 100 * (ds.matvecsPerSystem / d.matvecsPerSystem - 1)))
    }
  }

  func writeFiles(_ folder: String) throws {
    var summary: [[String]] = []
    var systems: [[String]] = []
    for pc in preconditioners {
      for r in runs[pc] ?? [] {
        let pcName = r.strategy.direct ? (r.strategy == .cholesky ? "cholmod" : "umfpack") : pc.rawValue
        summary.append([
          workload.rawValue, "\(grid)", "\(grid * grid)", "\(steps)", pc.rawValue, r.strategy.key, r.label, pcName, r.order,
          "\(r.systems)", "\(r.matvecsPerSystem)", "\(r.lastFiveMatvecs)", "\(r.preconditionerApplicationsPerSystem)",
          "\(r.rebuildMatvecsPerSystem)", "\(r.secondsPerSystem)", "\(r.cpuSecondsPerSystem)", "\(r.setupSecondsPerSystem)",
          "\(r.projectionSecondsPerSystem)", "\(r.updateSecondsPerSystem)", "\(r.trueResidualMax)", "\(r.converged)",
          "\(r.rebuildSecondsPerSystem)",
        ])
        for rec in r.records {
          systems.append([
            workload.rawValue, "\(grid)", pc.rawValue, r.strategy.key, "\(rec.position)", "\(rec.system)", "\(rec.matvecs)",
            "\(rec.preconditionerApplications)", "\(rec.iterations)", "\(rec.rebuildMatvecs)", "\(rec.seconds)", "\(rec.cpuSeconds)",
            "\(rec.setupSeconds)", "\(rec.projectionSeconds)", "\(rec.relativeResidual)", rec.reason.rawValue,
          ])
        }
      }
    }
    // Labels must not break the (unquoted) CSV.
    summary = summary.map { $0.map { $0.replacingOccurrences(of: ",", with: ";") } }
    let base = "\(folder)/recycle_\(workload.rawValue)"
    try writeCSV(
      "\(base)_summary.csv",
      header: [
        "workload", "N", "n", "steps", "preconditioner", "strategy", "label", "solver_preconditioner", "order", "systems",
        "matvecs_per_system", "last5_matvecs", "preconditioner_applications_per_system", "rebuild_matvecs_per_system",
        "seconds_per_system", "cpu_seconds_per_system", "setup_seconds_per_system", "projection_seconds_per_system", "update_seconds_per_system",
        "true_residual_max", "converged", "rebuild_seconds_per_system",
      ], rows: summary)
    try writeCSV(
      "\(base)_systems.csv",
      header: [
        "workload", "N", "preconditioner", "strategy", "position", "system", "matvecs", "preconditioner_applications",
        "iterations", "rebuild_matvecs", "seconds", "cpu_seconds", "setup_seconds", "projection_seconds", "relative_residual", "reason",
      ], rows: systems)
    say("   wrote \(base)_summary.csv, \(base)_systems.csv")
  }
}

/// Tables, targets and commands of a whole run.
struct RecycleReport {
  var workloads: [RecycleWorkloadResult] = []

  static let header =
    pad("strategy", 34) + pad("order", 7) + "  sys   mv/sys   last5  M⁻¹/sys rebuild    s/sys    cpu s  setup s   proj s"
    + "  relres max   conv     mv×  wall×   cpu×"

  /// One table row; × columns are speed-ups against the baseline (baseline ÷ this, > 1 is better).
  static func row(_ r: RecycleRun, baseline: RecycleRun?) -> String {
    var line = pad(r.label, 34) + pad(r.order, 7)
    line += String(
      format: "%4d %8.1f %7.1f %8.1f %7.1f %8.4f %8.4f %8.4f %8.4f %11.2e %3d/%-3d", r.systems, r.matvecsPerSystem,
      r.lastFiveMatvecs, r.preconditionerApplicationsPerSystem, r.rebuildMatvecsPerSystem, r.secondsPerSystem,
      r.cpuSecondsPerSystem, r.setupSecondsPerSystem, r.projectionSecondsPerSystem, r.trueResidualMax, r.converged,
      r.systems)
    if let b = baseline, r.strategy != b.strategy {
      // Compare on the systems both solved (GMRES may have solved only the first few).
      let common = Set(b.records.map(\.system)).intersection(r.records.map(\.system))
      if let bm = b.matvecs(onSystems: common), let rm = r.matvecs(onSystems: common),
        let bs = b.seconds(onSystems: common), let rs = r.seconds(onSystems: common),
        let bc = b.cpuSeconds(onSystems: common), let rc = r.cpuSeconds(onSystems: common)
      {
        line += rm > 0 ? String(format: " %7.2f", bm / rm) : "       –"
        line += String(format: " %6.2f %6.2f", bs / rs, bc / rc)
      }
    }
    return line
  }

  func find(_ w: RecycleWorkload) -> RecycleWorkloadResult? { workloads.first { $0.workload == w } }

  /// The targets of the issue, met or missed, with the figures.
  func printTargets() {
    say("")
    say("== Targets (ratios from the same run; timings on a shared 2-core machine are noisy)")
    func verdict(_ ok: Bool) -> String { ok ? "MET   " : "MISSED" }
    if let w = find(.darcySPD) {
      if let p = w.run(.pcg, .none), let d = w.run(.deflatedCG, .none) {
        let ratio = d.matvecsPerSystem / p.matvecsPerSystem
        say(String(format: "%@ darcy-spd N=%d T=%d, no PC: DeflatedCG(k=20) %.1f mv vs PCG %.1f → %.3f × (target ≤ 0.65; SciPy reference 245–255 vs 411); wall %.4f vs %.4f s, CPU %.4f vs %.4f s (time speed-up %.2f× / %.2f×)",
                   verdict(ratio <= 0.65), w.grid, w.steps, d.matvecsPerSystem, p.matvecsPerSystem, ratio,
                   d.secondsPerSystem, p.secondsPerSystem, d.cpuSecondsPerSystem, p.cpuSecondsPerSystem,
                   p.secondsPerSystem / d.secondsPerSystem, p.cpuSecondsPerSystem / d.cpuSecondsPerSystem))
      } else {
        say("–      darcy-spd: needs pcg and deflatedCG with preconditioner none")
      }
    }
    if let w = find(.darcySKR) {
      for pc in w.preconditioners {
        guard let g = w.run(.gmres, pc) else { continue }
        let common = Set(g.records.map(\.system))
        let stalled = g.records.filter { $0.reason != .converged }.count
        for s in [RecycleStrategy.gcrodrFresh, .gcrodrCarried, .gcrodrSorted] {
          guard let r = w.run(s, pc), let rm = r.matvecs(onSystems: common), let rs = r.seconds(onSystems: common),
            let rc = r.cpuSeconds(onSystems: common), let gm = g.matvecs(onSystems: common),
            let gs = g.seconds(onSystems: common), let gc = g.cpuSeconds(onSystems: common)
          else { continue }
          let mv = gm / rm, time = gs / rs, cpu = gc / rc
          let skr = pc == .jacobi ? 3.09 : 2.70
          say(String(format: "%@ darcy-skr N=%d, %@: GMRES(%d) %.0f mv / %@ %.0f mv = %.1f× fewer (target ≥ 15; reference ≈ 10⁴ vs 550–690); wall %.1f×, CPU %.1f× (target ≥ SKR Table 1, Darcy 6400, 1e-8, %@: %.2f×) — on the %d systems GMRES ran%@",
                     verdict(mv >= 15 && min(time, cpu) >= skr), w.grid, pc.rawValue, w.restart, gm, s.key, rm, mv, time,
                     cpu, pc.rawValue, skr, common.count,
                     stalled > 0 ? ", \(stalled) of them stopped unconverged at the iteration cap (so the ratio is a lower bound)" : ""))
        }
        if let lu = w.run(.lu, pc), let best = [RecycleStrategy.gcrodrFresh, .gcrodrCarried, .gcrodrSorted]
          .compactMap({ w.run($0, pc) }).min(by: { $0.cpuSecondsPerSystem < $1.cpuSecondsPerSystem })
        {
          say(String(format: "       darcy-skr, %@: UMFPACK per system %.4f s wall / %.4f s CPU against the best GCRO-DR (%@) %.4f / %.4f s: %.0f× faster",
                     pc.rawValue, lu.secondsPerSystem, lu.cpuSecondsPerSystem, best.strategy.key, best.secondsPerSystem,
                     best.cpuSecondsPerSystem, best.cpuSecondsPerSystem / lu.cpuSecondsPerSystem))
        }
      }
    }
    if let w = find(.slow) {
      if let p = w.run(.pcg, .jacobi) {
        let defl = (w.runs[.jacobi] ?? []).filter {
          if case .deflatedCGSweep = $0.strategy { return true }
          return $0.strategy == .deflatedCG
        }
        for d in defl {
          let ratio = d.matvecsPerSystem / p.matvecsPerSystem
          // The target is wall time; CPU time is printed beside it (the deflated passes use two
          // threads where PCG's vector loops at this n use one, so CPU can exceed wall).
          let faster = d.secondsPerSystem < p.secondsPerSystem
          let cpuNote = d.cpuSecondsPerSystem < p.cpuSecondsPerSystem ? "less CPU too" : "but more CPU"
          say(String(format: "%@ slow N=%d T=%d, Jacobi: %@ %.1f mv vs PCG %.1f → %.3f × (target ≤ 0.6; reference 442 vs 745); wall %.4f vs %.4f s/system (%@, %.2f×), CPU %.4f vs %.4f (%@)",
                     verdict(ratio <= 0.6 && faster), w.grid, w.steps, d.label, d.matvecsPerSystem, p.matvecsPerSystem,
                     ratio, d.secondsPerSystem, p.secondsPerSystem, faster ? "faster than PCG" : "slower than PCG",
                     p.secondsPerSystem / d.secondsPerSystem, d.cpuSecondsPerSystem, p.cpuSecondsPerSystem, cpuNote))
        }
        if let c = w.run(.cholesky, .jacobi) {
          let best = defl.min { $0.cpuSecondsPerSystem < $1.cpuSecondsPerSystem }
          let bestRecycled = best.map { String(format: "best DeflatedCG (%@) %.4f s (CPU %.4f)", $0.label, $0.secondsPerSystem, $0.cpuSecondsPerSystem) } ?? ""
          say(String(format: "       slow: refactorised Cholesky %.4f s/system (CPU %.4f) vs PCG-Jacobi %.4f s (CPU %.4f), %@ — %@",
                     c.secondsPerSystem, c.cpuSecondsPerSystem, p.secondsPerSystem, p.cpuSecondsPerSystem, bestRecycled,
                     c.cpuSecondsPerSystem < min(p.cpuSecondsPerSystem, best?.cpuSecondsPerSystem ?? .infinity)
                       ? "Cholesky is still the fastest" : "an iterative method beats Cholesky"))
        }
      }
    }
    if let w = find(.fixedA) {
      for pc in w.preconditioners {
        guard let f = w.run(.fischer, pc) else { continue }
        let after = f.records.filter { $0.position >= w.familyDimension }
        if after.isEmpty {
          say("–      fixed-a: T ≤ \(w.familyDimension): the family's span is never captured; run --steps 40")
          continue
        }
        let mean = after.map { Double($0.matvecs) }.reduce(0, +) / Double(after.count)
        let worst = after.map(\.matvecs).max()!
        let first = after.map(\.matvecs).first!
        var line = String(format: "%@ fixed-a N=%d, %@: %@ once the span is captured (systems %d–%d): %.1f mv/system (first %d, max %d; target ≤ 10; reference 9), against %.1f before",
                          verdict(mean <= 10), w.grid, pc.rawValue, f.label, w.familyDimension + 1, f.systems, mean, first, worst,
                          f.records.prefix(w.familyDimension).map { Double($0.matvecs) }.reduce(0, +) / Double(w.familyDimension))
        if let p = w.run(.pcg, pc), let c = w.run(.cholesky, pc) {
          let fTime = after.map(\.seconds).reduce(0, +) / Double(after.count)
          line += String(format: "; %.4f s/system then, PCG %.4f s, Cholesky factor-once %.4f s/system (all %d: %.3f s)",
                         fTime, p.secondsPerSystem, c.secondsPerSystem, c.systems, c.secondsPerSystem * Double(c.systems))
        }
        say(line)
      }
    }
  }

  /// Per workload and preconditioner: the fastest strategy by CPU time, and the fastest of those that
  /// carry information from one system to the next (deflation spaces, GCRO-DR carried, Fischer).
  func printFastest() {
    say("")
    say("== Fastest per system (CPU seconds; wall in parentheses)")
    for w in workloads {
      for pc in w.preconditioners {
        guard let runs = w.runs[pc], !runs.isEmpty else { continue }
        let converged = runs.filter { $0.converged == $0.systems }
        guard let best = converged.min(by: { $0.cpuSecondsPerSystem < $1.cpuSecondsPerSystem }) else { continue }
        let recycling = converged.filter { [.deflatedCG, .deflatedCGSorted, .gcrodrCarried, .gcrodrSorted, .fischer].contains($0.strategy) || {
          if case .deflatedCGSweep = $0.strategy { return true } else { return false } }($0) }
        let baseline = runs.first { $0.strategy == w.workload.baseline }
        var line = String(format: "  %-9@ %-6@ fastest %@ %.4f s (%.4f)", w.workload.rawValue, pc.rawValue, best.strategy.key,
                          best.cpuSecondsPerSystem, best.secondsPerSystem)
        if let r = recycling.min(by: { $0.cpuSecondsPerSystem < $1.cpuSecondsPerSystem }) {
          line += String(format: "; best carrying across systems %@ %.4f s (%.4f)", r.strategy.key, r.cpuSecondsPerSystem, r.secondsPerSystem)
        }
        if let b = baseline {
          line += String(format: "; %@ %.4f s (%.4f)%@", b.strategy.key, b.cpuSecondsPerSystem, b.secondsPerSystem,
                         b.converged < b.systems ? ", \(b.systems - b.converged) of \(b.systems) unconverged" : "")
        }
        say(line)
      }
    }
  }

  func printCommands() {
    say("")
    say("Commands (each workload alone; add --json for one JSON object):")
    for w in workloads { say("  .build/release/" + w.command) }
  }
}
