import ArgumentParser
import Foundation
import LinSolve

/// `experiments sketch`: the randomized-sketching experiments of the research digest
/// (`shared/research/sketching.md`, §6–§7), natively.
///
/// Workloads:
/// 1. `tall`: dense least squares `A = G·diag(s)·Vᵀ/√m`, `b = A x + 10⁻³ noise`, with LAPACKE
///    `dgels`, sketch-and-precondition LSQR (sparse sign ζ = 8, d = 4n, warm and cold start) and
///    iterative sketching with momentum (d = 12n): seconds (median of `--repeats`), iterations,
///    forward error against dgels and the backward-error proxy `‖Aᵀr‖/(‖A‖‖r‖)` (‖A‖ = s_max);
/// 2. `stability`: the same methods on 20000×200 for κ = 10², 10⁶, 10¹⁰, 10¹⁴;
/// 3. `kaczmarz`: Kaczmarz, block Kaczmarz (sketch-and-project with row sketches) and LSQR/CG on a
///    consistent Gaussian 20000×500 system, a dense SPD n = 2000 (κ = 100) and 2-D Poisson 64²;
/// 4. `kkt`: sketch-and-project (Gaussian vector, rows, Gaussian block) against MINRES on the
///    KKT system `[[H, Gᵀ], [G, 0]]`, n = 200, m = 50;
/// 5. `nystrom`: Nyström PCG against CG on an RBF kernel matrix (n = 4000, μ = 10⁻², 10⁻⁴) and on
///    2-D Poisson 64².
struct SketchExperiment: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sketch",
    abstract: "Randomized sketching: tall least squares, stability, Kaczmarz vs Krylov, KKT, Nyström PCG.",
    discussion: """
      Without --workload (or with --workload all) runs what `make sketch` shows; the tall grid \
      is then κ = 10⁶ for m ∈ {2·10⁴, 5·10⁴, 10⁵} × n ∈ {200, 500, 1000} except 5·10⁴×1000, plus \
      κ = 10² at 5·10⁴×500 (--full: all 18 combinations, the adaptive Nyström rank, and 900 s \
      caps for the slow KKT solvers). Example of one tall problem as JSON: \
      experiments sketch --workload tall --rows 100000 --cols 1000 --condition 1e6 --seed 1 --json
      """)

  @Option(help: "all | tall | stability | kaczmarz | kkt | nystrom.")
  var workload: String = "all"

  @Option(help: "Tall workload: rows m, comma-separated (overrides the default grid).")
  var rows: String?

  @Option(help: "Tall workload: columns n, comma-separated.")
  var cols: String?

  @Option(help: "Tall workload: condition numbers κ, comma-separated.")
  var condition: String?

  @Flag(help: "The full tall grid (m ∈ {2e4, 5e4, 1e5} × n ∈ {200, 500, 1000} × κ ∈ {1e2, 1e6}), the adaptive Nyström rank, and 900 s caps for the slow KKT solvers.")
  var full = false

  @Option(help: "Seed of the test problems.")
  var seed: UInt64 = 0

  @Option(help: "Seed of the sketches.")
  var sketchSeed: UInt64 = 123

  @Option(help: "Timed runs per tall problem (the median is reported).")
  var repeats: Int = 3

  @Option(help: "Stability sweep: size m×n.")
  var stabilityRows: Int = 20_000

  @Option(help: "Stability sweep: columns.")
  var stabilityCols: Int = 200

  @Option(help: "Stability sweep: condition numbers.")
  var stabilityConditions: String = "1e2,1e6,1e10,1e14"

  @Option(help: "Kaczmarz workload: relative residual target.")
  var rtol: Double = 1e-8

  @Option(help: "Kaczmarz workload: cap on passes over A for the row-action methods.")
  var passCap: Double = 200

  @Option(help: "Kaczmarz workload: block size of block Kaczmarz (sketch-and-project with row sketches).")
  var blockSize: Int = 50

  @Option(help: "Time limit in seconds per row-action solve (Kaczmarz workload).")
  var rowActionSeconds: Double = 5

  @Option(help: "Time limit in seconds per sketch-and-project solve on the KKT system (default 10, 900 with --full).")
  var kktSeconds: Double?

  @Option(help: "Nyström workload: kernel size n.")
  var kernelSize: Int = 4000

  @Option(help: "Nyström workload: ranks ℓ on the kernel.")
  var ranks: String = "50,200,800"

  @Flag(help: "Print one JSON object on stdout (progress on stderr); needs one workload (and one tall problem).")
  var json = false

  @Option(help: "Output folder for the CSV files.")
  var output: String = "results"

  static let workloads = ["all", "tall", "stability", "kaczmarz", "kkt", "nystrom"]

  func validate() throws {
    guard Self.workloads.contains(workload) else {
      throw ValidationError("--workload must be one of \(Self.workloads.joined(separator: ", ")), not '\(workload)'")
    }
    guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
    if json && workload == "all" { throw ValidationError("--json needs one --workload (tall, stability, kaczmarz, kkt or nystrom)") }
    guard blockSize >= 1, passCap > 0, rowActionSeconds > 0 else {
      throw ValidationError("--block-size, --pass-cap and --row-action-seconds must be positive")
    }
  }

  func run() throws {
    BLAS.threads = System.coreCount  // LinSolve leaves OpenBLAS's setting alone
    let json = self.json
    let log: (String) -> Void = { line in
      if json { FileHandle.standardError.write((line + "\n").data(using: .utf8)!) } else { say(line) }
    }
    let command = "experiments " + CommandLine.arguments.dropFirst().joined(separator: " ")
    log("command: \(command)")
    log("threads: LinSolve \(Parallel.threads), OpenBLAS \(BLAS.threads), cores \(System.coreCount); "
          + "problem seed \(seed), sketch seed \(sketchSeed)")
    let all = workload == "all"
    var files: [String] = []
    var object: [String: Any] = [:]

    if all || workload == "tall" {
      let grid = try tallGrid()
      if json && grid.count != 1 {
        throw ValidationError("--json needs exactly one tall problem (one --rows, --cols and --condition); this selects \(grid.count)")
      }
      log("\n== 1. Tall dense least squares (\(grid.count) problems, median of \(repeats) runs; ‖A‖ := s_max = 1)")
      log(TallReport.header)
      var rows: [[String]] = [], sketchRows: [[String]] = []
      for (m, n, kappa) in grid {
        let run = try runTall(rows: m, columns: n, condition: kappa, seed: seed, sketchSeed: sketchSeed, repeats: repeats)
        for line in TallReport.lines(run) { log(line) }
        rows += TallReport.csvRows(run)
        sketchRows.append(["\(m)", "\(n)", "\(kappa)", "\(4 * n)", "\(medianOf(run.sketchOnly))", "\(run.sketchOnly.min()!)",
                           "\(medianOf(run.sketchOnlyCPU))"])
        if json { object = TallReport.json(run, repeats: repeats) }
      }
      if !json {
        try writeCSV("\(output)/sketch_tall.csv", header: TallReport.csvHeader, rows: rows)
        try writeCSV("\(output)/sketch_sketchtime.csv", header: ["m", "n", "kappa", "d", "seconds_median", "seconds_min", "cpu_seconds_median"], rows: sketchRows)
        files += ["sketch_tall.csv", "sketch_sketchtime.csv"]
      }
    }

    if all || workload == "stability" {
      let kappas = try doubles(stabilityConditions, "--stability-conditions")
      log("\n== 2. Stability sweep, \(stabilityRows)×\(stabilityCols), b = Ax + 1e-3 noise (forward error against dgels; "
            + "KW = Karlson–Waldén backward-error estimate / ‖A‖₂, free of the proxy's floor u‖A‖‖x‖/‖r‖)")
      log(TallReport.header)
      var rows: [[String]] = []
      var byKappa: [[String: Any]] = []
      for kappa in kappas {
        let run = try runTall(
          rows: stabilityRows, columns: stabilityCols, condition: kappa, seed: seed, sketchSeed: sketchSeed, repeats: 1,
          karlsonWalden: true)
        for line in TallReport.lines(run).dropLast() { log(line) }
        rows += TallReport.csvRows(run)
        var entry = TallReport.json(run, repeats: 1)
        entry["workload"] = "stability"
        byKappa.append(entry)
      }
      if json { object = ["workload": "stability", "runs": byKappa] }
      if !json {
        try writeCSV("\(output)/sketch_stability.csv", header: TallReport.csvHeader, rows: rows)
        files.append("sketch_stability.csv")
      }
    }

    if all || workload == "kaczmarz" {
      log("\n== 3. Kaczmarz vs Krylov: passes over A and seconds to ‖r‖ ≤ \(rtol)‖b‖ "
            + "(row-action methods capped at \(passCap) passes / \(rowActionSeconds) s)")
      let outcomes = try KaczmarzWorkload.run(
        seed: seed, rtol: rtol, passCap: passCap, timeLimit: rowActionSeconds, blockSize: blockSize, log: log)
      log("  passes: Kaczmarz m row updates = 1 pass; block Kaczmarz k rows per step; LSQR 2 per iteration; CG 1 per iteration.")
      log("  passes come from a run with 10 residual checks per pass; seconds from a run with the default one check per pass")
      log("  (the capped runs: the seconds of the run to the cap). Dense Kaczmarz seconds include the row-major copy of A.")
      if json {
        object = ["workload": "kaczmarz", "rtol": rtol, "results": outcomes.map { o in
          ["problem": o.problem, "method": o.method, "iterations": o.iterations, "passes": o.passes, "seconds": o.seconds,
           "relativeResidual": o.relativeResidual, "forwardError": o.forwardError, "reason": o.reason,
           "theoryPasses": o.theoryPasses ?? NSNull()] as [String: Any]
        }]
      } else {
        try writeCSV(
          "\(output)/sketch_kaczmarz.csv",
          header: ["problem", "method", "iterations", "passes", "seconds", "relative_residual", "forward_error", "reason", "theory_passes"],
          rows: outcomes.map { o in
            [o.problem, o.method, "\(o.iterations)", "\(o.passes)", "\(o.seconds)", "\(o.relativeResidual)", "\(o.forwardError)",
             o.reason, o.theoryPasses.map { "\($0)" } ?? ""]
          })
        try writeCSV(
          "\(output)/sketch_kaczmarz_history.csv", header: ["problem", "method", "passes", "relative_residual"],
          rows: outcomes.flatMap { o in o.history.map { [o.problem, o.method, "\($0.0)", "\($0.1)"] } })
        files += ["sketch_kaczmarz.csv", "sketch_kaczmarz_history.csv"]
      }
    }

    if all || workload == "kkt" {
      let cap = kktSeconds ?? (full ? 900 : 10)
      log("\n== 4. Sketch-and-project on a KKT system vs MINRES (sketch-and-project capped at \(cap) s per variant; "
            + "≈ = extrapolated from the log-linear tail of the history)")
      let (info, outcomes) = try KKTWorkload.run(seed: seed, timeLimit: cap, log: log)
      log("  matvec-equivalents per iteration: MINRES 1, Gaussian vector 2 (Kᵀs, K·dx), rows k=1 2/250 (one row read twice),")
      log("  Gaussian block k=25 26 (25 products Kᵀs_j and K·dx).")
      if json {
        object = ["workload": "kkt", "matrix": info, "results": outcomes.map { o in
          var e: [String: Any] = ["method": o.method, "iterations": o.iterations, "seconds": o.seconds,
                                  "relativeResidual": o.relativeResidual, "reason": o.reason,
                                  "matvecsPerIteration": o.matvecsPerIteration]
          for t in KKTWorkload.targets {
            let key = t == 1e-2 ? "1e-2" : "1e-6"
            e["iterationsTo" + key] = o.reached[t] ?? NSNull()
            e["extrapolatedIterationsTo" + key] = o.extrapolated[t] ?? NSNull()
          }
          return e
        }]
      } else {
        try writeCSV(
          "\(output)/sketch_kkt.csv",
          header: ["method", "matvecs_per_iteration", "iterations_to_1e-2", "iterations_to_1e-6", "extrapolated_to_1e-2",
                   "extrapolated_to_1e-6", "iterations", "seconds", "relative_residual", "reason", "cond", "kappa_F2"],
          rows: outcomes.map { o in
            [o.method, "\(o.matvecsPerIteration)", o.reached[1e-2].map { "\($0)" } ?? "", o.reached[1e-6].map { "\($0)" } ?? "",
             o.extrapolated[1e-2].map { "\($0)" } ?? "", o.extrapolated[1e-6].map { "\($0)" } ?? "", "\(o.iterations)",
             "\(o.seconds)", "\(o.relativeResidual)", o.reason, "\(info["cond"]!)", "\(info["kappaF2"]!)"]
          })
        let bNorm = info["bNorm"]!
        try writeCSV(
          "\(output)/sketch_kkt_history.csv", header: ["method", "iteration", "matvecs", "relative_residual"],
          rows: outcomes.flatMap { o in
            thin(o.history, 600).map { [o.method, "\($0.0)", "\(Double($0.0) * o.matvecsPerIteration)", "\($0.1 / bNorm)"] }
          })
        files += ["sketch_kkt.csv", "sketch_kkt_history.csv"]
      }
    }

    if all || workload == "nystrom" {
      let ranks = try doubles(self.ranks, "--ranks").map { Int($0) }
      log("\n== 5. Nyström PCG vs CG (rtol 1e-8); kernel: RBF, μ = 1e-2 and 1e-4; Poisson: A itself (μ = 1e-6 in the set-up)")
      let (outcomes, spectrum, deff) = try NystromWorkload.run(
        n: kernelSize, mus: [1e-2, 1e-4], ranks: ranks, adaptiveMax: full ? 2 * (ranks.max() ?? 512) : nil,
        poissonRanks: [64, 256, 1024],
        seed: seed, rtol: 1e-8, log: log)
      for (mu, d) in deff.sorted(by: { $0.key > $1.key }) {
        log(String(format: "  μ = %.0e: Σ λ̂/(λ̂+μ) over the top %d Nyström eigenvalues = %.0f (a lower bound on d_eff)", mu, spectrum.count, d))
      }
      if json {
        object = ["workload": "nystrom", "kernelSize": kernelSize, "results": outcomes.map { o in
          ["problem": o.problem, "mu": o.mu, "method": o.method, "rank": o.rank, "iterations": o.iterations,
           "setupSeconds": o.setupSeconds, "solveSeconds": o.solveSeconds, "relativeResidual": o.relativeResidual,
           "reason": o.reason, "errorEstimate": o.errorEstimate ?? NSNull()] as [String: Any]
        }]
      } else {
        try writeCSV(
          "\(output)/sketch_nystrom.csv",
          header: ["problem", "mu", "method", "rank", "iterations", "setup_seconds", "solve_seconds", "total_seconds",
                   "relative_residual", "reason", "error_estimate"],
          rows: outcomes.map { o in
            [o.problem, "\(o.mu)", o.method, "\(o.rank)", "\(o.iterations)", "\(o.setupSeconds)", "\(o.solveSeconds)",
             "\(o.setupSeconds + o.solveSeconds)", "\(o.relativeResidual)", o.reason, o.errorEstimate.map { "\($0)" } ?? ""]
          })
        try writeCSV(
          "\(output)/sketch_nystrom_history.csv", header: ["problem", "mu", "method", "iteration", "relative_residual"],
          rows: outcomes.flatMap { o in o.history.enumerated().map { [o.problem, "\(o.mu)", o.method, "\($0.offset)", "\($0.element)"] } })
        try writeCSV(
          "\(output)/sketch_nystrom_spectrum.csv", header: ["index", "eigenvalue"],
          rows: spectrum.enumerated().map { ["\($0.offset + 1)", "\($0.element)"] })
        files += ["sketch_nystrom.csv", "sketch_nystrom_history.csv", "sketch_nystrom_spectrum.csv"]
      }
    }

    if json {
      let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
      print(String(decoding: data, as: UTF8.self))
      fflush(nil)
    } else {
      say("\nWrote " + files.map { "\(output)/\($0)" }.joined(separator: ", "))
      say("command: \(command)")
    }
  }

  // MARK: - Grids

  /// The tall problems: the explicit lists, else the full grid, else the default subset.
  private func tallGrid() throws -> [(Int, Int, Double)] {
    let full = [20_000, 50_000, 100_000], fullN = [200, 500, 1000], fullK = [1e2, 1e6]
    if rows != nil || cols != nil || condition != nil {
      let ms = try rows.map { try doubles($0, "--rows").map { Int($0) } } ?? (workload == "tall" && json ? [100_000] : full)
      let ns = try cols.map { try doubles($0, "--cols").map { Int($0) } } ?? (workload == "tall" && json ? [1000] : fullN)
      let ks = try condition.map { try doubles($0, "--condition") } ?? [1e6]
      guard ms.allSatisfy({ $0 > 0 }), ns.allSatisfy({ $0 > 0 }), ks.allSatisfy({ $0 >= 1 }) else {
        throw ValidationError("--rows and --cols must be positive and --condition at least 1")
      }
      return ks.flatMap { k in ms.flatMap { m in ns.filter { $0 <= m }.map { (m, $0, k) } } }
    }
    if self.full { return fullK.flatMap { k in full.flatMap { m in fullN.map { (m, $0, k) } } } }
    // Default (`make sketch`): κ = 10⁶ everywhere except 5·10⁴×1000, and κ = 10² at 5·10⁴×500
    // (the stability sweep covers κ = 10² at 20000×200).
    var grid: [(Int, Int, Double)] = []
    for m in full {
      for n in fullN where !(n == 1000 && m == 50_000) { grid.append((m, n, 1e6)) }
    }
    grid.append((50_000, 500, 1e2))
    return grid
  }

  private func doubles(_ text: String, _ name: String) throws -> [Double] {
    try text.split(separator: ",").map {
      guard let v = Double($0.trimmingCharacters(in: .whitespaces)), v.isFinite else {
        throw ValidationError("bad value '\($0)' in \(name) '\(text)'")
      }
      return v
    }
  }
}

/// At most about `count` points of a long history (always keeping the first and the last).
func thin<T>(_ points: [T], _ count: Int) -> [T] {
  guard points.count > count, count > 1 else { return points }
  let step = Double(points.count - 1) / Double(count - 1)
  var out: [T] = []
  var last = -1
  for i in 0..<count {
    let j = Int((Double(i) * step).rounded())
    if j != last { out.append(points[j]) }
    last = j
  }
  return out
}

/// `s` right-aligned in `width` characters.
func padLeft(_ s: String, _ width: Int) -> String {
  s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
}
