import Foundation
import LinSolve

// Workloads 1 and 2 of `experiments sketch`: tall dense least squares (time, iterations,
// forward and backward error of dgels, sketch-and-precondition LSQR warm and cold, and
// iterative sketching with momentum) and the stability sweep over κ.

/// One least-squares method of the tall workload.
struct TallMethod {
  /// The JSON key: `lapack`, `sketchLSQR`, `sketchLSQRCold`, `iterativeSketch`.
  var key: String
  /// The table label.
  var label: String
  /// Solves and returns `(x, iterations, reason, timings)`; timings nil for dgels.
  var solve: (TallProblem) throws -> (x: [Double], iterations: Int, reason: String, timings: LeastSquaresFigures.Timings?, seconds: Double)

  static func all(sketchSeed: UInt64) -> [TallMethod] {
    func sketch(_ key: String, _ label: String, _ solver: @escaping (DenseMatrix, [Double]) throws -> SolveResult) -> TallMethod {
      TallMethod(key: key, label: label) { p in
        let (r, seconds) = try timed { try solver(p.a, p.b) }
        return (r.x, r.iterations, r.reason.rawValue, r.leastSquares?.timings, seconds)
      }
    }
    return [
      TallMethod(key: "lapack", label: "LAPACKE dgels") { p in
        let (x, seconds) = try lapackLeastSquares(p.a, p.b)
        return (x, 0, "direct", nil, seconds)
      },
      sketch("sketchLSQR", "sketch-LSQR warm (d=4n)") {
        try SketchPreconditionedLSQR(oversampling: 4, seed: sketchSeed, warmStart: true).solve($0, $1)
      },
      sketch("sketchLSQRCold", "sketch-LSQR cold (d=4n)") {
        try SketchPreconditionedLSQR(oversampling: 4, seed: sketchSeed, warmStart: false).solve($0, $1)
      },
      sketch("iterativeSketch", "iter. sketching (d=12n)") {
        try IterativeSketching(oversampling: 12, seed: sketchSeed).solve($0, $1)
      },
    ]
  }
}

/// What one method did on one problem (the solution of the first run; the runs are
/// deterministic, only the times differ).
struct TallOutcome {
  var key: String
  var label: String
  var seconds: [Double]
  var iterations: Int
  var reason: String
  var timings: LeastSquaresFigures.Timings?
  var forwardError: Double
  var backwardError: Double
  var residual: Double
  /// The Karlson–Waldén backward-error estimate (stability sweep only).
  var karlsonWalden: Double?

  var median: Double { medianOf(seconds) }
}

/// All methods on one problem.
struct TallRun {
  var m: Int, n: Int, kappa: Double, seed: UInt64
  var generateSeconds: Double
  var outcomes: [TallOutcome]
  /// Seconds of `S·A` alone (sparse sign, ζ = 8, d = 4n, including drawing S), per run.
  var sketchOnly: [Double]
  /// CPU seconds (all threads) of the same, per run: the work, whatever the load.
  var sketchOnlyCPU: [Double]

  func outcome(_ key: String) -> TallOutcome? { outcomes.first { $0.key == key } }

  /// dgels time ÷ the best randomized time.
  var bestSpeedup: Double? {
    guard let lapack = outcome("lapack") else { return nil }
    let best = outcomes.filter { $0.key != "lapack" && $0.key != "sketchLSQRCold" }.map(\.median).min()
    return best.map { lapack.median / $0 }
  }
}

/// CPU seconds used by the process so far (all threads).
func processCPUSeconds() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func medianOf(_ values: [Double]) -> Double {
  guard !values.isEmpty else { return .nan }
  let s = values.sorted()
  return s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
}

/// Generates the problem, runs every method `repeats` times (interleaved, so load noise
/// spreads evenly), and measures forward/backward errors.
func runTall(
  rows m: Int, columns n: Int, condition kappa: Double, seed: UInt64, sketchSeed: UInt64, repeats: Int,
  karlsonWalden: Bool = false
) throws -> TallRun {
  let (problem, generateSeconds) = timed { TallProblem(rows: m, columns: n, condition: kappa, seed: seed) }
  let methods = TallMethod.all(sketchSeed: sketchSeed)
  var seconds = [[Double]](repeating: [], count: methods.count)
  var first: [(x: [Double], iterations: Int, reason: String, timings: LeastSquaresFigures.Timings?)?] = Array(
    repeating: nil, count: methods.count)
  var phases = [[LeastSquaresFigures.Timings?]](repeating: [], count: methods.count)
  var sketchOnly: [Double] = [], sketchOnlyCPU: [Double] = []
  for _ in 0..<max(1, repeats) {
    for (i, method) in methods.enumerated() {
      let r = try method.solve(problem)
      seconds[i].append(r.seconds)
      phases[i].append(r.timings)
      if first[i] == nil { first[i] = (r.x, r.iterations, r.reason, r.timings) }
    }
    let cpu0 = processCPUSeconds()
    let (_, t) = timed {
      let s = SketchingOperator(rows: 4 * n, columns: m, seed: sketchSeed)
      return s.apply(to: problem.a)
    }
    sketchOnly.append(t)
    sketchOnlyCPU.append(processCPUSeconds() - cpu0)
  }
  let reference = first[0]!.x
  let svd = karlsonWalden ? problem.singularValues() : nil
  var outcomes: [TallOutcome] = []
  for (i, method) in methods.enumerated() {
    let f = first[i]!
    let (proxy, residual) = problem.backwardError(f.x)
    // The phases of the run whose total is the median (the lower middle for an even count).
    let order = seconds[i].indices.sorted { seconds[i][$0] < seconds[i][$1] }
    let middle = order[(order.count - 1) / 2]
    outcomes.append(TallOutcome(
      key: method.key, label: method.label, seconds: seconds[i], iterations: f.iterations, reason: f.reason,
      timings: phases[i][middle], forwardError: i == 0 ? 0 : Dense.relativeDifference(f.x, reference), backwardError: proxy,
      residual: residual, karlsonWalden: svd.map { problem.karlsonWalden(f.x, svd: $0) }))
  }
  return TallRun(m: m, n: n, kappa: kappa, seed: seed, generateSeconds: generateSeconds, outcomes: outcomes, sketchOnly: sketchOnly,
    sketchOnlyCPU: sketchOnlyCPU)
}

// MARK: - Reporting

enum TallReport {
  static let header = "       m      n      κ  " + pad("method", 25)
    + "  seconds (min–max)          sketch  factor iterate  iters  fwd err vs dgels  ‖Aᵀr‖/(‖A‖‖r‖)  stop"

  static func lines(_ run: TallRun) -> [String] {
    var out: [String] = []
    for o in run.outcomes {
      let t = o.timings
      let phases = t.map { String(format: "%7.3f %7.3f %7.3f", $0.sketch, $0.factor, $0.iterate) } ?? String(repeating: " ", count: 23)
      out.append(
        String(format: "%8d %6d %6.0e  ", run.m, run.n, run.kappa) + pad(o.label, 25)
          + String(format: "  %7.3f (%6.3f–%6.3f)  ", o.median, o.seconds.min()!, o.seconds.max()!) + phases
          + String(format: "  %5d  %16.2e  %15.2e  ", o.iterations, o.forwardError, o.backwardError) + pad(o.reason, 10)
          + (o.karlsonWalden.map { String(format: "  KW %.2e", $0) } ?? ""))
    }
    let speed = run.bestSpeedup.map { String(format: "%.2f×", $0) } ?? "–"
    out.append(String(format: "%8d %6d %6.0e  ", run.m, run.n, run.kappa)
      + "dgels ÷ best randomized (warm sketch-LSQR or iterative sketching): \(speed);  "
      + String(format: "S·A alone (sparse sign ζ=8, d=4n): %.3f s (median of %d, min %.3f; CPU %.3f s);  generating A: %.1f s",
               medianOf(run.sketchOnly), run.sketchOnly.count, run.sketchOnly.min()!, medianOf(run.sketchOnlyCPU),
               run.generateSeconds))
    return out
  }

  static let csvHeader = [
    "m", "n", "kappa", "method", "seconds_median", "seconds_min", "seconds_max", "repeats", "sketch_seconds",
    "factor_seconds", "iterate_seconds", "iterations", "forward_error", "backward_error", "residual", "reason",
    "karlson_walden",
  ]

  static func csvRows(_ run: TallRun) -> [[String]] {
    run.outcomes.map { o in
      ["\(run.m)", "\(run.n)", "\(run.kappa)", o.key, "\(o.median)", "\(o.seconds.min()!)", "\(o.seconds.max()!)",
       "\(o.seconds.count)", o.timings.map { "\($0.sketch)" } ?? "", o.timings.map { "\($0.factor)" } ?? "",
       o.timings.map { "\($0.iterate)" } ?? "", "\(o.iterations)", "\(o.forwardError)", "\(o.backwardError)",
       "\(o.residual)", o.reason, o.karlsonWalden.map { "\($0)" } ?? ""]
    }
  }

  /// The `--json` object of one run.
  static func json(_ run: TallRun, repeats: Int) -> [String: Any] {
    var seconds: [String: Any] = [:], iterations: [String: Any] = [:], backward: [String: Any] = [:]
    var forward: [String: Any] = [:], phases: [String: Any] = [:], reasons: [String: Any] = [:]
    var karlson: [String: Any] = [:], secondsMin: [String: Any] = [:]
    for o in run.outcomes {
      seconds[o.key] = o.median
      secondsMin[o.key] = o.seconds.min()!
      iterations[o.key] = o.iterations
      backward[o.key] = o.backwardError
      forward[o.key] = o.forwardError
      reasons[o.key] = o.reason
      if let t = o.timings { phases[o.key] = ["sketch": t.sketch, "factor": t.factor, "iterate": t.iterate] }
      if let kw = o.karlsonWalden { karlson[o.key] = kw }
    }
    return [
      "workload": "tall", "rows": run.m, "cols": run.n, "condition": run.kappa, "seed": Int(run.seed),
      "repeats": repeats, "threads": Parallel.threads,
      "seconds": seconds, "iterations": iterations, "backwardError": backward, "forwardError": forward,
      "phases": phases, "reason": reasons, "sketchOnlySeconds": medianOf(run.sketchOnly),
      "sketchOnlySecondsMin": run.sketchOnly.min()!, "sketchOnlyCPUSeconds": medianOf(run.sketchOnlyCPU), "secondsMin": secondsMin,
      "speedup": run.bestSpeedup ?? NSNull(),
      "normA": "s_max = 1 (σ_max(A) = s_max·(1 ± √(n/m)))",
    ].merging(karlson.isEmpty ? [:] : ["karlsonWalden": karlson]) { a, _ in a }
  }
}
