import Foundation
import LinSolve

// The workloads and solution strategies of `experiments recycle` (RecycleExperiment.swift).

/// The four sequences of the recycling experiment.
enum RecycleWorkload: String, CaseIterable {
  /// i.i.d. Darcy samples (SKR's field), symmetric finite-volume operator.
  case darcySPD = "darcy-spd"
  /// i.i.d. Darcy samples, SKR's nonsymmetric `build_darcy` operator.
  case darcySKR = "darcy-skr"
  /// κ_t = exp(cos(0.05t)G₁ + sin(0.05t)G₂), finite volumes.
  case slow
  /// One finite-volume matrix, right-hand sides from a 30-dimensional family.
  case fixedA = "fixed-a"

  var defaultGrid: Int {
    switch self {
    case .darcySPD, .darcySKR: 98
    case .slow, .fixedA: 200
    }
  }

  var defaultSteps: Int {
    switch self {
    case .darcySPD: 100
    case .darcySKR: 50
    case .slow, .fixedA: 40
    }
  }

  /// Preconditioners of the tables by default.
  var defaultPreconditioners: [RecyclePreconditioner] {
    switch self {
    case .darcySPD: [.none, .jacobi, .ic0]
    case .darcySKR: [.none]
    case .slow, .fixedA: [.jacobi, .ic0]
    }
  }

  /// The preconditioner of a `--json` run by default (the settings of the reference numbers).
  var defaultPreconditioner: RecyclePreconditioner {
    switch self {
    case .darcySPD, .darcySKR: .none
    case .slow, .fixedA: .jacobi
    }
  }

  var symmetric: Bool { self != .darcySKR }

  /// The strategy every other one is compared with.
  var baseline: RecycleStrategy { symmetric ? .pcg : .gmres }

  /// Default DeflatedCG dimensions besides the main k (the smaller k are where deflation wins
  /// wall time: fewer products saved, but a cheaper pass per iteration).
  var defaultSweep: [Int] { [5, 10] }

  /// The strategies that apply, in the order they are run and printed. Without `all`, the
  /// expensive ones that answer no target are left out: GMRES(m) from the previous solution on
  /// darcy-skr (i.i.d. samples: it measured no better than x₀ = 0 and costs ≈ 10⁴ products per
  /// system) and GCRO-DR on the 200² workloads (≈ 10× a PCG iteration; its fresh-vs-carried
  /// question is answered on darcy-spd and darcy-skr).
  func strategies(sweep: [Int], all: Bool) -> [RecycleStrategy] {
    let sweepStrategies = sweep.map { RecycleStrategy.deflatedCGSweep($0) }
    switch self {
    case .darcySPD:
      return [.pcg, .warmStart] + sweepStrategies
        + [.deflatedCG, .deflatedCGSorted, .gcrodrFresh, .gcrodrCarried, .gcrodrSorted, .cholesky]
    case .darcySKR:
      return [.gmres] + (all ? [.warmStart] : []) + [.gcrodrFresh, .gcrodrCarried, .gcrodrSorted, .lu]
    case .slow:
      return [.pcg, .warmStart] + sweepStrategies + [.deflatedCG] + (all ? [.gcrodrFresh, .gcrodrCarried] : [])
        + [.cholesky]
    case .fixedA:
      return [.pcg, .warmStart] + sweepStrategies + [.deflatedCG] + (all ? [.gcrodrFresh, .gcrodrCarried] : [])
        + [.fischer, .cholesky]
    }
  }

  func generate(grid: Int, steps: Int, seed: UInt64) -> DarcySequence {
    switch self {
    case .darcySPD: DarcySequence.independent(grid: grid, count: steps, seed: seed, discretization: .finiteVolume)
    case .darcySKR: DarcySequence.independent(grid: grid, count: steps, seed: seed, discretization: .skr)
    case .slow: DarcySequence.slowlyVarying(grid: grid, count: steps, seed: seed)
    case .fixedA: DarcySequence.fixedOperator(grid: grid, count: steps, seed: seed)
    }
  }

  var summary: String {
    switch self {
    case .darcySPD: "i.i.d. κ = exp(G), G SKR's GRF (α 2.5, τ 7), symmetric finite volumes (harmonic means), f = 1"
    case .darcySKR: "i.i.d. κ = exp(G), G SKR's GRF (α 2.5, τ 7), SKR's nonsymmetric build_darcy (≈ K·diag κ), f = 1"
    case .slow: "κ_t = exp(cos(0.05t)G₁ + sin(0.05t)G₂), std(log κ) = 1, finite volumes, f = 1"
    case .fixedA: "one finite-volume A (std(log κ) = 1), b from a 30-dim Chebyshev family, U(−1,1) coefficients"
    }
  }
}

enum RecyclePreconditioner: String, CaseIterable {
  case none, jacobi, ic0, ilu0

  /// A fresh, counting preconditioner (nil for none).
  func make() -> RecycleCountingPreconditioner? {
    switch self {
    case .none: nil
    case .jacobi: RecycleCountingDiagonalPreconditioner(JacobiPreconditioner())
    case .ic0: RecycleCountingPreconditioner(IncompleteCholesky())
    case .ilu0: RecycleCountingPreconditioner(IncompleteLU())
    }
  }
}

/// Counts the applications of `M⁻¹` for every method alike (DeflatedCG's fused iteration
/// applies a diagonal `M⁻¹` inside its own passes and counts those in its statistics).
class RecycleCountingPreconditioner: Preconditioner {
  let base: any Preconditioner
  private(set) var applications = 0
  init(_ base: any Preconditioner) { self.base = base }
  func setUp(for a: SparseMatrix) throws { try base.setUp(for: a) }
  func apply(_ r: UnsafeBufferPointer<Double>, into z: UnsafeMutableBufferPointer<Double>) {
    applications += 1
    base.apply(r, into: z)
  }
  var name: String { base.name }
}

/// The counting wrapper of a diagonal preconditioner, still seen as diagonal by DeflatedCG.
final class RecycleCountingDiagonalPreconditioner: RecycleCountingPreconditioner, DiagonalPreconditioner {
  var inverseDiagonal: [Double] { (base as! any DiagonalPreconditioner).inverseDiagonal }
  init(_ base: some DiagonalPreconditioner) { super.init(base) }
}

/// One strategy: how a sequence is solved.
enum RecycleStrategy: Hashable {
  /// (P)CG from x₀ = 0, each system on its own.
  case pcg
  /// GMRES(m) from x₀ = 0.
  case gmres
  /// x₀ = the previous system's solution (PCG, or GMRES(m) on a nonsymmetric workload).
  case warmStart
  /// DeflatedCG with the main k (default 20), given order.
  case deflatedCG
  /// DeflatedCG with the main k, greedy nearest-neighbour order.
  case deflatedCGSorted
  /// DeflatedCG with another k (the sweep).
  case deflatedCGSweep(Int)
  /// GCRO-DR(m, k) with the space forgotten before every system (= GMRES-DR).
  case gcrodrFresh
  /// GCRO-DR(m, k) carrying the space, given order.
  case gcrodrCarried
  /// GCRO-DR(m, k) carrying the space, greedy nearest-neighbour order (SKR).
  case gcrodrSorted
  /// Fischer projection (x₀ from earlier solutions, A fixed) + PCG.
  case fischer
  /// CHOLMOD: refactorised per system (symbolic analysis reused), or once when A is fixed.
  case cholesky
  /// UMFPACK per system (symbolic analysis reused), for the nonsymmetric workload.
  case lu

  /// The key in the JSON output and the CSV files.
  var key: String {
    switch self {
    case .pcg: "pcg"
    case .gmres: "gmres"
    case .warmStart: "warmStart"
    case .deflatedCG: "deflatedCG"
    case .deflatedCGSorted: "deflatedCGSorted"
    case .deflatedCGSweep(let k): "deflatedCG\(k)"
    case .gcrodrFresh: "gcrodrFresh"
    case .gcrodrCarried: "gcrodrCarried"
    case .gcrodrSorted: "gcrodrSorted"
    case .fischer: "fischer"
    case .cholesky: "cholesky"
    case .lu: "lu"
    }
  }

  var sorted: Bool { self == .gcrodrSorted || self == .deflatedCGSorted }
  var direct: Bool { self == .cholesky || self == .lu }

  static func parse(_ key: String, mainK: Int) -> RecycleStrategy? {
    let plain: [RecycleStrategy] = [
      .pcg, .gmres, .warmStart, .deflatedCG, .deflatedCGSorted, .gcrodrFresh, .gcrodrCarried, .gcrodrSorted,
      .fischer, .cholesky, .lu,
    ]
    if let s = plain.first(where: { $0.key == key }) { return s }
    if key.hasPrefix("deflatedCG"), let k = Int(key.dropFirst("deflatedCG".count)), k > 0 {
      return k == mainK ? .deflatedCG : .deflatedCGSweep(k)
    }
    return nil
  }
}

/// What one system cost.
struct RecycleRecord {
  var position: Int
  var system: Int
  var matvecs: Int
  var preconditionerApplications: Int
  var iterations: Int
  var rebuildMatvecs: Int
  var seconds: Double
  /// Process CPU seconds (all threads): less sensitive than wall time to other processes.
  var cpuSeconds: Double
  var setupSeconds: Double
  var projectionSeconds: Double
  var updateSeconds: Double
  /// Seconds rebuilding the space's image (k products when A changed, then the normalisation).
  var rebuildSeconds: Double
  var relativeResidual: Double
  var reason: StopReason
}

/// One strategy run over a sequence with one preconditioner.
struct RecycleRun {
  var strategy: RecycleStrategy
  var preconditioner: RecyclePreconditioner
  var label: String
  var order: String
  var records: [RecycleRecord]

  private func mean(_ f: (RecycleRecord) -> Double) -> Double {
    records.isEmpty ? 0 : records.map(f).reduce(0, +) / Double(records.count)
  }

  var systems: Int { records.count }
  var matvecsPerSystem: Double { mean { Double($0.matvecs) } }
  /// Mean over the last five systems solved.
  var lastFiveMatvecs: Double {
    let tail = records.suffix(5)
    return tail.isEmpty ? 0 : tail.map { Double($0.matvecs) }.reduce(0, +) / Double(tail.count)
  }
  var preconditionerApplicationsPerSystem: Double { mean { Double($0.preconditionerApplications) } }
  var rebuildMatvecsPerSystem: Double { mean { Double($0.rebuildMatvecs) } }
  var secondsPerSystem: Double { mean(\.seconds) }
  var cpuSecondsPerSystem: Double { mean(\.cpuSeconds) }
  var setupSecondsPerSystem: Double { mean(\.setupSeconds) }
  var projectionSecondsPerSystem: Double { mean(\.projectionSeconds) }
  var updateSecondsPerSystem: Double { mean(\.updateSeconds) }
  var rebuildSecondsPerSystem: Double { mean(\.rebuildSeconds) }
  var trueResidualMax: Double { records.map(\.relativeResidual).max() ?? 0 }
  var converged: Int { records.filter { $0.reason == .converged }.count }

  /// Mean products over the systems with the given indices (those this run solved).
  func matvecs(onSystems systems: Set<Int>) -> Double? {
    let r = records.filter { systems.contains($0.system) }
    return r.isEmpty ? nil : r.map { Double($0.matvecs) }.reduce(0, +) / Double(r.count)
  }

  func seconds(onSystems systems: Set<Int>) -> Double? {
    let r = records.filter { systems.contains($0.system) }
    return r.isEmpty ? nil : r.map(\.seconds).reduce(0, +) / Double(r.count)
  }

  func cpuSeconds(onSystems systems: Set<Int>) -> Double? {
    let r = records.filter { systems.contains($0.system) }
    return r.isEmpty ? nil : r.map(\.cpuSeconds).reduce(0, +) / Double(r.count)
  }
}

/// Runs the strategies of one workload.
struct RecycleRunner {
  var workload: RecycleWorkload
  var sequence: DarcySequence
  var greedyOrder: [Int]
  var stopping: StoppingCriterion
  /// The main recycle dimension k (DeflatedCG and GCRO-DR).
  var recycleDimension: Int
  /// Search directions stored for the Rayleigh–Ritz refresh (`s`); 0: 2k, at least 20.
  var ritzDirections: Int
  /// `m` of GMRES(m) and GCRO-DR(m, k).
  var restart: Int
  /// Capacity of the Fischer basis.
  var fischerCapacity: Int
  /// ``FischerProjection/dependenceTolerance`` (`nil`: the library default).
  var fischerTolerance: Double?
  /// ``FischerProjection/tightensNewDirections``.
  var fischerTightens: Bool
  /// Systems solved by GMRES (and its warm start) on the nonsymmetric workload; 0 = all.
  var gmresSystems: Int

  var givenOrder: [Int] { Array(sequence.systems.indices) }


  /// `s` for a deflation dimension k.
  func ritzDirections(_ k: Int) -> Int { ritzDirections > 0 ? ritzDirections : max(2 * k, 20) }

  func run(_ strategy: RecycleStrategy, preconditioner kind: RecyclePreconditioner) throws -> RecycleRun {
    let m = kind.make()
    let order = strategy.sorted ? greedyOrder : givenOrder
    var label = strategy.key
    var records: [RecycleRecord] = []
    let fixed = workload == .fixedA
    var previousX: [Double]?

    /// Solves the systems of `order` in turn with `body(system, matrixChanged)`, timing each call.
    func loop(
      _ order: [Int], _ body: (LinearSystem, Bool) throws -> (SolveResult, RecycleStatistics?, Double)
    ) throws {
      for (position, index) in order.enumerated() {
        let system = sequence.systems[index]
        let changed = !fixed || position == 0
        let before = m?.applications ?? 0
        let cpuStart = recycleProcessCPUSeconds()
        let ((result, stats, setup), seconds) = try timed { try body(system, changed) }
        let cpu = recycleProcessCPUSeconds() - cpuStart
        let relative = system.matrix.residualNorm(x: result.x, b: system.rhs) / Vector.norm(system.rhs)
        records.append(
          RecycleRecord(
            position: position, system: index, matvecs: result.matvecs,
            preconditionerApplications: max((m?.applications ?? 0) - before, stats?.preconditionerApplications ?? 0),
            iterations: result.iterations,
            rebuildMatvecs: stats?.rebuildMatvecs ?? 0, seconds: seconds, cpuSeconds: cpu, setupSeconds: setup,
            projectionSeconds: stats?.projectionSeconds ?? 0, updateSeconds: stats?.updateSeconds ?? 0,
            rebuildSeconds: stats?.rebuildSeconds ?? 0,
            relativeResidual: relative, reason: result.reason))
        previousX = result.x
      }
    }
    /// Sets the preconditioner up when the matrix changed; returns the seconds it took.
    func setUp(_ a: SparseMatrix, _ changed: Bool) throws -> Double {
      guard changed, let m else { return 0 }
      return try timed { try m.setUp(for: a) }.1
    }

    switch strategy {
    case .pcg, .warmStart, .gmres:
      // x₀ = 0 or the previous solution; CG on the symmetric workloads, GMRES(m) otherwise.
      let warm = strategy == .warmStart
      if strategy == .pcg || (warm && workload.symmetric) {
        let cg = ConjugateGradient(stopping: stopping, preconditioner: m)
        try loop(order) { s, changed in
          let setup = try setUp(s.matrix, changed)
          return (try cg.solve(s.matrix, s.rhs, x0: warm ? previousX : nil), nil, setup)
        }
      } else {
        let gmres = GMRES(stopping: stopping, restart: restart, preconditioner: m)
        let subset = gmresSystems > 0 && gmresSystems < order.count ? Array(order.prefix(gmresSystems)) : order
        if subset.count < order.count { label += " (first \(subset.count))" }
        try loop(subset) { s, changed in
          let setup = try setUp(s.matrix, changed)
          return (try gmres.solve(s.matrix, s.rhs, x0: warm ? previousX : nil), nil, setup)
        }
      }
    case .deflatedCG, .deflatedCGSorted, .deflatedCGSweep:
      var k = recycleDimension
      if case .deflatedCGSweep(let kk) = strategy { k = kk }
      let solver = DeflatedCG(
        stopping: stopping, recycleDimension: k, ritzDirections: ritzDirections(k), preconditioner: m)
      label += " k=\(k) s=\(ritzDirections(k))"
      try loop(order) { s, changed in
        let setup = try setUp(s.matrix, changed)
        let r = try solver.solve(s.matrix, s.rhs, x0: nil, operatorChanged: changed ? nil : false)
        return (r, solver.lastStatistics, setup)
      }
    case .gcrodrFresh, .gcrodrCarried, .gcrodrSorted:
      let solver = GCRODR(stopping: stopping, restart: restart, recycleDimension: recycleDimension, preconditioner: m)
      let fresh = strategy == .gcrodrFresh
      label += " m=\(restart) k=\(recycleDimension)"
      try loop(order) { s, changed in
        let setup = try setUp(s.matrix, changed)
        if fresh { solver.reset() }
        let r = try solver.solve(s.matrix, s.rhs, x0: nil, operatorChanged: changed ? nil : false)
        return (r, solver.lastStatistics, setup)
      }
    case .fischer:
      precondition(fixed, "Fischer projection needs a fixed matrix")
      let a = sequence.systems[0].matrix
      var projection = FischerProjection(a, capacity: fischerCapacity)
      projection.dependenceTolerance = fischerTolerance
      projection.tightensNewDirections = fischerTightens
      let cg = ConjugateGradient(stopping: stopping, preconditioner: m)
      label += " L=\(fischerCapacity)" + (fischerTightens ? "" : " untightened")
      try loop(order) { s, changed in
        let setup = try setUp(s.matrix, changed)
        return (try projection.solve(s.rhs, using: cg), nil, setup)
      }
    case .cholesky:
      let factor = CholeskyFactorization()
      try loop(order) { s, changed in
        var setup = 0.0
        if changed { setup = try timed { try factor.factorize(s.matrix) }.1 }
        return (Self.directResult(try factor.solve(s.rhs)), nil, setup)
      }
      // One symbolic analysis for the whole sequence (same pattern), a numeric one per new matrix.
      label += " (\(factor.numericFactorizations) numeric, \(factor.symbolicAnalyses) symbolic)"
    case .lu:
      let factor = LUFactorization()
      try loop(order) { s, changed in
        var setup = 0.0
        if changed { setup = try timed { try factor.factorize(s.matrix) }.1 }
        return (Self.directResult(try factor.solve(s.rhs)), nil, setup)
      }
      // One symbolic analysis for the whole sequence (same pattern), a numeric one per new matrix.
      label += " (\(factor.numericFactorizations) numeric, \(factor.symbolicAnalyses) symbolic)"
    }
    return RecycleRun(
      strategy: strategy, preconditioner: strategy.direct ? .none : kind, label: label,
      order: strategy.sorted ? "greedy" : "given", records: records)
  }

  /// A direct solve as a result: no products with A (the residual is checked by the caller).
  private static func directResult(_ x: [Double]) -> SolveResult {
    SolveResult(x: x, reason: .converged, iterations: 0, residualNorm: 0, trueResidualNorm: 0, rhsNorm: 0)
  }
}

/// CPU seconds used by the process so far (all threads).
func recycleProcessCPUSeconds() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
  return Double(t.tv_sec) + 1e-9 * Double(t.tv_nsec)
}
