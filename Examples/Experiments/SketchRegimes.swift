import Foundation
import LinSolve

// Workloads 3–5 of `experiments sketch`: where row-action methods win or lose against Krylov
// methods (Kaczmarz, block Kaczmarz = sketch-and-project with row sketches, CG, LSQR), the
// AdaSketch-Newton inner solver on a KKT system against MINRES, and Nyström PCG.

// MARK: - Kaczmarz vs Krylov

/// One method on one square or tall consistent system.
struct RegimeOutcome {
  var problem: String
  var method: String
  /// Row updates (Kaczmarz), sketch steps (block Kaczmarz), iterations (CG, LSQR).
  var iterations: Int
  /// Passes over A to the tolerance (or to the cap): m row updates = 1 pass, LSQR = 2 per
  /// iteration, CG = 1 per iteration; from the history run (0.1-pass resolution).
  var passes: Double
  var seconds: Double
  var relativeResidual: Double
  var forwardError: Double
  var reason: String
  /// `κ_F²·ln(10¹⁶)/m`: the passes Strohmer–Vershynin's bound asks for a 10⁻⁸ error (Kaczmarz only).
  var theoryPasses: Double?
  /// `(passes, ‖r‖/‖b‖)` along the history run.
  var history: [(Double, Double)]
}

struct RegimeProblem {
  var name: String
  var label: String
  var dense: DenseMatrix?
  var sparse: SparseMatrix?
  var xTrue: [Double]
  var b: [Double]
  var m: Int
  var n: Int
  var spd: Bool
  /// `‖A‖_F²·‖A⁺‖₂²`.
  var kappaF2: Double

  var op: any LinearOperator { dense.map { Dense.linearOperator($0, symmetric: spd) } ?? sparse! }
}

enum KaczmarzWorkload {
  static func problems(seed: UInt64) -> [RegimeProblem] {
    var out: [RegimeProblem] = []
    // (a) consistent Gaussian 20000 × 500.
    do {
      let m = 20_000, n = 500
      let a = SketchRandom.matrix(rows: m, columns: n, seed: seed, streamBase: 9 << 40)
      let x = SketchRandom.vector(n, seed: seed, stream: 10 << 40)
      let b = Dense.gemv(a, x)
      var ata = DenseMatrix(rows: n, columns: n)
      BLAS.syrkUpper(a, transpose: true, into: &ata)
      let sigmaMin2 = Dense.eigenvalues(ata).first!
      let frob2 = a.values.reduce(0) { $0 + $1 * $1 }
      out.append(RegimeProblem(
        name: "gaussian", label: "Gaussian 20000×500, consistent", dense: a, sparse: nil, xTrue: x, b: b, m: m, n: n,
        spd: false, kappaF2: frob2 / sigmaMin2))
    }
    // (b) dense SPD n = 2000, eigenvalues logspace(0, 2).
    do {
      let n = 2000
      let a = denseSPD(n, condition: 100, seed: seed)
      let x = SketchRandom.vector(n, seed: seed, stream: 11 << 40)
      let l = (0..<n).map { Foundation.pow(10, 2 * Double($0) / Double(n - 1)) }
      out.append(RegimeProblem(
        name: "spd", label: "dense SPD n=2000, κ=100", dense: a, sparse: nil, xTrue: x, b: Dense.gemv(a, x), m: n, n: n,
        spd: true, kappaF2: l.reduce(0) { $0 + $1 * $1 }))
    }
    // (c) 2-D Poisson 64².
    do {
      let grid = 64
      let a = Poisson.matrix2D(grid)
      let x = SketchRandom.vector(a.rows, seed: seed, stream: 12 << 40)
      let lambdaMin = 8 * Foundation.pow(Foundation.sin(Double.pi / Double(2 * (grid + 1))), 2)
      let frob2 = a.values.reduce(0) { $0 + $1 * $1 }
      out.append(RegimeProblem(
        name: "poisson", label: "2-D Poisson 64²", dense: nil, sparse: a, xTrue: x, b: a.applied(to: x), m: a.rows,
        n: a.rows, spd: true, kappaF2: frob2 / (lambdaMin * lambdaMin)))
    }
    return out
  }

  /// Runs Kaczmarz, block Kaczmarz (sketch-and-project, `blockSize` rows) and CG or LSQR on
  /// each problem to `rtol`, the row-action methods capped at `passCap` passes and
  /// `timeLimit` seconds.
  static func run(
    seed: UInt64, rtol: Double, passCap: Double, timeLimit: Double, blockSize: Int, log: (String) -> Void
  ) throws -> [RegimeOutcome] {
    var out: [RegimeOutcome] = []
    let all = problems(seed: seed)
    for p in all { log("  \(p.name) = \(p.label): " + String(format: "m = %d, n = %d, κ_F² = %.3g", p.m, p.n, p.kappaF2)) }
    log(header)
    for p in all {
      let before = out.count
      defer { for o in out[before...] { log(line(o)) } }
      let bNorm = Vector.norm(p.b)
      let theory = p.kappaF2 * Foundation.log(1e16) / Double(p.m)
      let maxSteps = Int(passCap * Double(p.m))
      // Kaczmarz: a history run (10 residual checks per pass) and a timed run (the default,
      // one check per pass).
      func kaczmarz(_ interval: Int, _ recorder: HistoryRecorder?) throws -> (SolveResult, Double) {
        let rk = RandomizedKaczmarz(
          seed: 1, stopping: StoppingCriterion(rtol: rtol, maxIterations: maxSteps, timeLimit: timeLimit),
          checkInterval: interval, stagnation: .disabled)
        return try timed {
          if let d = p.dense { return try rk.solve(d, p.b, monitor: recorder?.monitor) }
          return try rk.solve(p.sparse!, p.b, monitor: recorder?.monitor)
        }
      }
      let rkHistory = HistoryRecorder()
      let (rkH, rkHSeconds) = try kaczmarz(max(1, p.m / 10), rkHistory)
      // The timed run only when the history run converged (otherwise both run to the cap).
      let (rkT, rkSeconds) = rkH.converged ? try kaczmarz(p.m, nil) : (rkH, rkHSeconds)
      let rkPasses = Double(rkHistory.first(atMost: rtol * bNorm) ?? rkH.iterations) / Double(p.m)
      out.append(RegimeOutcome(
        problem: p.name, method: "Kaczmarz", iterations: rkT.iterations, passes: rkPasses, seconds: rkSeconds,
        relativeResidual: rkH.relativeResidual, forwardError: Dense.relativeDifference(rkH.x, p.xTrue),
        reason: rkH.reason.rawValue, theoryPasses: theory,
        history: rkHistory.points.map { (Double($0.0) / Double(p.m), $0.1 / bNorm) }))

      // Block Kaczmarz: sketch-and-project with `blockSize` rows per step.
      let k = blockSize
      func block(_ interval: Int, _ recorder: HistoryRecorder?) throws -> (SolveResult, Double) {
        let sp = SketchAndProject(
          sketch: .rows(blockSize: k), seed: 1,
          stopping: StoppingCriterion(rtol: rtol, maxIterations: max(1, maxSteps / k), timeLimit: timeLimit),
          checkInterval: interval, stagnation: .disabled)
        return try timed {
          if let d = p.dense { return try sp.solve(d, p.b, monitor: recorder?.monitor) }
          return try sp.solve(p.sparse!, p.b, monitor: recorder?.monitor)
        }
      }
      let bkHistory = HistoryRecorder()
      let (bkH, bkHSeconds) = try block(max(1, p.m / (10 * k)), bkHistory)
      let (bkT, bkSeconds) = bkH.converged ? try block(max(1, p.m / k), nil) : (bkH, bkHSeconds)
      let bkPasses = Double((bkHistory.first(atMost: rtol * bNorm) ?? bkH.iterations) * k) / Double(p.m)
      out.append(RegimeOutcome(
        problem: p.name, method: "S&P rows k=\(k)", iterations: bkT.iterations, passes: bkPasses, seconds: bkSeconds,
        relativeResidual: bkH.relativeResidual, forwardError: Dense.relativeDifference(bkH.x, p.xTrue),
        reason: bkH.reason.rawValue, theoryPasses: nil,
        history: bkHistory.points.map { (Double($0.0 * k) / Double(p.m), $0.1 / bNorm) }))

      // The Krylov reference: CG for SPD, LSQR (2 passes per iteration) for the tall system.
      let kHistory = HistoryRecorder()
      if p.spd {
        let cg = ConjugateGradient(stopping: StoppingCriterion(rtol: rtol, maxIterations: 100_000))
        let (r, seconds) = try timed { try cg.solve(p.op, p.b, monitor: kHistory.monitor) }
        out.append(RegimeOutcome(
          problem: p.name, method: "CG", iterations: r.iterations, passes: Double(r.iterations), seconds: seconds,
          relativeResidual: r.relativeResidual, forwardError: Dense.relativeDifference(r.x, p.xTrue),
          reason: r.reason.rawValue, theoryPasses: nil,
          history: kHistory.points.map { (Double($0.0), $0.1 / bNorm) }))
      } else {
        let lsqr = LSQR(stopping: StoppingCriterion(rtol: rtol, maxIterations: 10_000), tolerance: 1e-14)
        let (r, seconds) = try timed { try lsqr.solve(p.dense!, p.b, monitor: kHistory.monitor) }
        out.append(RegimeOutcome(
          problem: p.name, method: "LSQR", iterations: r.iterations, passes: Double(2 * r.iterations), seconds: seconds,
          relativeResidual: r.relativeResidual, forwardError: Dense.relativeDifference(r.x, p.xTrue),
          reason: r.reason.rawValue, theoryPasses: nil,
          history: kHistory.points.map { (Double(2 * $0.0), $0.1 / bNorm) }))
      }
    }
    return out
  }

  static let header = pad("problem", 10) + pad("method", 16)
    + "   iterations   passes    seconds   ‖r‖/‖b‖   ‖x−x*‖/‖x*‖  stop          theory passes (κ_F²·ln10¹⁶/m)"

  static func line(_ o: RegimeOutcome) -> String {
    pad(o.problem, 10) + pad(o.method, 16)
      + String(format: " %12d %8.1f %10.3f %9.1e %12.1e  ", o.iterations, o.passes, o.seconds, o.relativeResidual, o.forwardError)
      + pad(o.reason, 14) + (o.theoryPasses.map { String(format: "%.3g", $0) } ?? "")
  }
}

// MARK: - Sketch-and-project on KKT vs MINRES

struct KKTOutcome {
  var method: String
  /// Matrix–vector-product equivalents per iteration (reading k of the N rows counts k/N).
  var matvecsPerIteration: Double
  /// Iterations to each target (`nil`: not reached), with extrapolations for those not reached.
  var reached: [Double: Int]
  var extrapolated: [Double: Double]
  var iterations: Int
  var seconds: Double
  var relativeResidual: Double
  var reason: String
  var history: [(Int, Double)]
}

enum KKTWorkload {
  static let targets = [1e-2, 1e-6]

  /// The KKT matrix, `rhs = K z*`, its condition numbers, and the runs.
  static func run(seed: UInt64, timeLimit: Double, log: (String) -> Void) throws -> (info: [String: Double], outcomes: [KKTOutcome]) {
    let n = 200, m = 50, size = n + m
    // 250 × 250 products: OpenBLAS threads cost more than they save here (digest §6, pitfall 2).
    let savedThreads = BLAS.threads
    BLAS.threads = 1
    defer { BLAS.threads = savedThreads }
    let k = kktMatrix(n: n, m: m, seed: seed)
    let z = SketchRandom.vector(size, seed: seed, stream: 13 << 40)
    let rhs = Dense.gemv(k, z)
    let bNorm = Vector.norm(rhs)
    let eig = Dense.eigenvalues(k).map { abs($0) }
    let frob2 = k.values.reduce(0) { $0 + $1 * $1 }
    let cond = eig.max()! / eig.min()!
    let kappaF2 = frob2 / (eig.min()! * eig.min()!)
    log(String(format: "  K = [[H, Gᵀ], [G, 0]], n = %d, m = %d: cond(K) = %.0f, κ_F² = %.3g, %d negative eigenvalues",
               n, m, cond, kappaF2, Dense.eigenvalues(k).filter { $0 < 0 }.count))
    var outcomes: [KKTOutcome] = []

    let mh = HistoryRecorder()
    let (minres, minresSeconds) = try timed {
      try MINRES(stopping: StoppingCriterion(rtol: targets.last!, maxIterations: 10_000)).solve(k, rhs, monitor: mh.monitor)
    }
    outcomes.append(summary(
      "MINRES", 1, mh, bNorm, iterations: minres.iterations, seconds: minresSeconds,
      relres: minres.relativeResidual, reason: minres.reason.rawValue))
    log(header)
    log(line(outcomes.last!))

    let variants: [(String, SketchAndProject.Sketch, Int, Double)] = [
      ("S&P Gaussian vector (AdaSketch-Newton)", .gaussianVector, 2000, 2),
      ("S&P rows k=1 (Kaczmarz)", .rows(blockSize: 1), 250, 2.0 / Double(size)),
      ("S&P Gaussian block k=25", .gaussianBlock(size: 25), 20, 26),
    ]
    for (name, sketch, interval, perIteration) in variants {
      let h = HistoryRecorder()
      let sp = SketchAndProject(
        sketch: sketch, seed: 1,
        stopping: StoppingCriterion(rtol: targets.last!, maxIterations: 50_000_000, timeLimit: timeLimit),
        checkInterval: interval, stagnation: .disabled)
      let (r, seconds) = try timed { try sp.solve(k, rhs, monitor: h.monitor) }
      outcomes.append(summary(
        name, perIteration, h, bNorm, iterations: r.iterations, seconds: seconds, relres: r.relativeResidual,
        reason: r.reason.rawValue))
      log(line(outcomes.last!))
    }
    return (["n": Double(n), "m": Double(m), "cond": cond, "kappaF2": kappaF2, "bNorm": bNorm], outcomes)
  }

  private static func summary(
    _ name: String, _ perIteration: Double, _ h: HistoryRecorder, _ bNorm: Double, iterations: Int, seconds: Double,
    relres: Double, reason: String
  ) -> KKTOutcome {
    var reached: [Double: Int] = [:], extrapolated: [Double: Double] = [:]
    let rel = h.points.map { ($0.0, $0.1 / bNorm) }
    for t in targets {
      if let hit = rel.first(where: { $0.1 <= t }) {
        reached[t] = hit.0
      } else if rel.count >= 4 {
        // log-linear fit of ‖r‖ against the iteration over the second half of the history.
        let tail = Array(rel[(rel.count / 2)...])
        let xs = tail.map { Double($0.0) }, ys = tail.map { Foundation.log($0.1) }
        let mx = xs.reduce(0, +) / Double(xs.count), my = ys.reduce(0, +) / Double(ys.count)
        var sxy = 0.0, sxx = 0.0
        for (x, y) in zip(xs, ys) {
          sxy += (x - mx) * (y - my)
          sxx += (x - mx) * (x - mx)
        }
        let slope = sxx > 0 ? sxy / sxx : 0
        if slope < 0 { extrapolated[t] = xs.last! + (Foundation.log(t) - ys.last!) / slope }
      }
    }
    return KKTOutcome(
      method: name, matvecsPerIteration: perIteration, reached: reached, extrapolated: extrapolated,
      iterations: iterations, seconds: seconds, relativeResidual: relres, reason: reason, history: h.points)
  }

  static let header = pad("method", 40) + "  iters→1e-2  matvecs→1e-2   iters→1e-6  matvecs→1e-6   seconds  final ‖r‖/‖b‖  stop"

  static func cell(_ o: KKTOutcome, _ t: Double) -> String {
    if let i = o.reached[t] {
      return String(format: "%11d  %12.0f", i, Double(i) * o.matvecsPerIteration)
    }
    if let e = o.extrapolated[t] {
      return padLeft("≈" + String(format: "%.2g", e), 11) + "  " + padLeft("≈" + String(format: "%.2g", e * o.matvecsPerIteration), 12)
    }
    return padLeft("–", 11) + "  " + padLeft("–", 12)
  }

  static func line(_ o: KKTOutcome) -> String {
    pad(o.method, 40) + "  " + cell(o, 1e-2) + "  " + cell(o, 1e-6)
      + String(format: "  %8.2f  %13.2e  ", o.seconds, o.relativeResidual) + o.reason
  }
}

// MARK: - Nyström PCG

struct NystromOutcome {
  var problem: String
  var mu: Double
  var method: String
  var rank: Int
  var iterations: Int
  var setupSeconds: Double
  var solveSeconds: Double
  var relativeResidual: Double
  var reason: String
  var errorEstimate: Double?
  var history: [Double]
}

enum NystromWorkload {
  /// RBF kernel (n points, 10-d, bandwidth 3) with μ ∈ `mus`, CG against Nyström PCG with the
  /// fixed `ranks` and the adaptive choice (up to `adaptiveMax`); then 2-D Poisson 64² with
  /// `poissonRanks`.
  static func run(
    n: Int, mus: [Double], ranks: [Int], adaptiveMax: Int?, poissonRanks: [Int], seed: UInt64, rtol: Double,
    log: (String) -> Void
  ) throws -> (outcomes: [NystromOutcome], spectrum: [Double], effectiveDimension: [Double: Double]) {
    var out: [NystromOutcome] = []
    let (kernel, kernelSeconds) = timed { rbfKernel(points: n, dimension: 10, bandwidth: 3, seed: seed) }
    let b = SketchRandom.vector(n, seed: seed, stream: 14 << 40)
    log(String(format: "  RBF kernel: n = %d, 10-d Gaussian points, bandwidth 3 (built in %.2f s)", n, kernelSeconds))
    log(header)
    var spectrum: [Double] = []
    var deff: [Double: Double] = [:]
    let stopping = StoppingCriterion(rtol: rtol, maxIterations: 50_000)
    for mu in mus {
      let system = Dense.linearOperator(kernel, shift: mu, symmetric: true)
      let h = HistoryRecorder()
      let (cg, cgSeconds) = try timed { try ConjugateGradient(stopping: stopping).solve(system, b, monitor: h.monitor) }
      out.append(NystromOutcome(
        problem: "kernel", mu: mu, method: "CG", rank: 0, iterations: cg.iterations, setupSeconds: 0,
        solveSeconds: cgSeconds, relativeResidual: cg.relativeResidual, reason: cg.reason.rawValue,
        errorEstimate: nil, history: h.points.map { $0.1 / cg.rhsNorm }))
      log(line(out.last!))
      var configurations: [(String, Int?)] = ranks.map { ("Nyström PCG ℓ=\($0)", $0) }
      if let adaptiveMax { configurations.append(("Nyström PCG adaptive≤\(adaptiveMax)", nil)) }
      for (name, rank) in configurations {
        let (pc, setup) = try timed {
          try NystromPreconditioner(
            operator: kernel, shift: mu, rank: rank, maxRank: rank ?? adaptiveMax ?? 512, seed: seed)
        }
        if rank == ranks.max() {
          spectrum = pc.eigenvalues
          deff[mu] = pc.eigenvalues.reduce(0) { $0 + $1 / ($1 + mu) }
        }
        let ph = HistoryRecorder()
        let (r, solve) = try timed {
          try ConjugateGradient(stopping: stopping, preconditioner: pc).solve(system, b, monitor: ph.monitor)
        }
        out.append(NystromOutcome(
          problem: "kernel", mu: mu, method: name, rank: pc.rank, iterations: r.iterations, setupSeconds: setup,
          solveSeconds: solve, relativeResidual: r.relativeResidual, reason: r.reason.rawValue,
          errorEstimate: pc.errorEstimate, history: ph.points.map { $0.1 / r.rhsNorm }))
        log(line(out.last!))
      }
    }
    // 2-D Poisson 64²: the PSD part is A − μI for a tiny μ (A's smallest eigenvalue is 4.7e-3).
    let grid = 64
    let poisson = Poisson.matrix2D(grid)
    let pb = SketchRandom.vector(poisson.rows, seed: seed, stream: 15 << 40)
    let mu = 1e-6
    let h = HistoryRecorder()
    let (cg, cgSeconds) = try timed { try ConjugateGradient(stopping: stopping).solve(poisson, pb, monitor: h.monitor) }
    out.append(NystromOutcome(
      problem: "poisson", mu: 0, method: "CG", rank: 0, iterations: cg.iterations, setupSeconds: 0, solveSeconds: cgSeconds,
      relativeResidual: cg.relativeResidual, reason: cg.reason.rawValue, errorEstimate: nil,
      history: h.points.map { $0.1 / cg.rhsNorm }))
    log(line(out.last!))
    for rank in poissonRanks {
      let (pc, setup) = try timed {
        try NystromPreconditioner(operator: poisson, shift: mu, rank: rank, seed: seed, matrixIncludesShift: true)
      }
      let ph = HistoryRecorder()
      let (r, solve) = try timed {
        try ConjugateGradient(stopping: stopping, preconditioner: pc).solve(poisson, pb, monitor: ph.monitor)
      }
      out.append(NystromOutcome(
        problem: "poisson", mu: 0, method: "Nyström PCG ℓ=\(rank)", rank: pc.rank, iterations: r.iterations,
        setupSeconds: setup, solveSeconds: solve, relativeResidual: r.relativeResidual, reason: r.reason.rawValue,
        errorEstimate: nil, history: ph.points.map { $0.1 / r.rhsNorm }))
      log(line(out.last!))
    }
    return (out, spectrum, deff)
  }

  static let header = pad("problem", 9) + "      μ  " + pad("method", 30)
    + "  rank  iterations  set-up s  solve s  total s   ‖r‖/‖b‖  stop"

  static func line(_ o: NystromOutcome) -> String {
    pad(o.problem, 9) + String(format: " %6.0e  ", o.mu) + pad(o.method, 30)
      + String(format: " %5d %11d %9.2f %8.2f %8.2f %9.1e  ", o.rank, o.iterations, o.setupSeconds, o.solveSeconds,
               o.setupSeconds + o.solveSeconds, o.relativeResidual) + o.reason
  }
}
