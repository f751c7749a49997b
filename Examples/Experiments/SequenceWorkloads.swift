import Foundation
import LinSolve

/// The outcome of one solve (the caller times it).
struct SolveOutcome {
  var iterations: Int
  var converged: Bool
}

/// Wall-clock and thread-CPU seconds of a block (`CLOCK_MONOTONIC`, `CLOCK_THREAD_CPUTIME_ID`;
/// the CPU time is what a loaded machine does not inflate).
func measured<T>(_ body: () throws -> T) rethrows -> (T, wall: Double, cpu: Double) {
  var w0 = timespec(), c0 = timespec(), w1 = timespec(), c1 = timespec()
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0)
  clock_gettime(CLOCK_MONOTONIC, &w0)
  let result = try body()
  clock_gettime(CLOCK_MONOTONIC, &w1)
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1)
  func d(_ a: timespec, _ b: timespec) -> Double { Double(b.tv_sec - a.tv_sec) + Double(b.tv_nsec - a.tv_nsec) * 1e-9 }
  return (result, d(w0, w1), d(c0, c1))
}

/// One system of a sequence, ready to be solved with any ω of the grid (and, where the
/// workload has them, plain CG and Young's ω).
struct PreparedSystem {
  /// The context a contextual learner sees (the shift c_t, κ(t), s_t).
  var context: Double
  /// Seconds every strategy pays before its solve (the SSOR set-up for a new matrix: D⁻¹
  /// and the diagonal positions); 0 for SOR, which does it inside the solve.
  var setupSeconds: Double
  /// The same in thread-CPU seconds.
  var setupCPUSeconds: Double
  /// Young's ω* for this system, where the formula applies (SOR on the shifted Laplacian).
  var youngOmega: Double?
  /// Solves the system with the given ω (SOR, or SSOR-PCG with the backward–forward SSOR).
  var solve: (Double) throws -> SolveOutcome
  /// Plain CG on the same system, from the same initial guess.
  var solveCG: (() throws -> SolveOutcome)?
}

/// A sequence of systems and how to solve them: the unit `experiments sequence` runs every
/// strategy on.
protocol SequenceWorkload {
  /// A file-name tag, e.g. `shifted-laplacian_high_seed1`.
  var tag: String { get }
  /// A one-line description for the report.
  var title: String { get }
  /// The method being tuned (`SOR`, `SSOR-PCG`).
  var method: String { get }
  /// The number of systems.
  var steps: Int { get }
  /// The order of the systems.
  var dimension: Int { get }
  /// Context range and bins of the contextual learners.
  var chebRange: ClosedRange<Double> { get }
  var bins: Int { get }
  /// Whether Young's formula is reported and whether plain CG is.
  var hasYoung: Bool { get }
  var hasCG: Bool { get }
  /// The options that reproduce this run with `experiments sequence`.
  var command: String { get }
  /// Prepares the next system.
  mutating func next() throws -> PreparedSystem?
}

/// Timed solve helpers shared by the workloads.
enum SequenceSolvers {
  static func stopping(rtol: Double, cap: Int) -> StoppingCriterion {
    StoppingCriterion(rtol: rtol, maxIterations: cap, baseline: .rightHandSide)
  }

  static func outcome(_ result: SolveResult) -> SolveOutcome {
    SolveOutcome(iterations: result.iterations, converged: result.converged)
  }

  /// A PCG system: one SSOR preconditioner set up for the matrix (ω changed per solve, which
  /// needs no new set-up) and one CG workspace for all solves of the step.
  static func pcgSystem(
    _ system: LinearSystem, context: Double, stopping: StoppingCriterion, workspace: Workspace, cgWorkspace: Workspace
  ) throws -> PreparedSystem {
    let a = system.matrix, b = system.rhs, x0 = system.initialGuess
    let (ssor, wall, cpu) = try measured { try SSORPreconditioner(a, omega: 1, ordering: .backwardForward) }
    let pcg = ConjugateGradient(stopping: stopping, preconditioner: ssor, workspace: workspace)
    let cg = ConjugateGradient(stopping: stopping, workspace: cgWorkspace)
    warmUp(a, b)
    return PreparedSystem(
      context: context, setupSeconds: wall, setupCPUSeconds: cpu, youngOmega: nil,
      solve: { omega in
        ssor.omega = omega
        return outcome(try pcg.solve(a, b, x0: x0))
      },
      solveCG: { outcome(try cg.solve(a, b, x0: x0)) })
  }

  /// An untimed pass over `A` and `b`, so the first timed solve of a new system (ω = 1 in the
  /// table) does not pay alone for bringing them into cache.
  static func warmUp(_ a: SparseMatrix, _ b: [Double]) {
    var y = [Double](repeating: 0, count: a.rows)
    a.multiply(b, into: &y)
    withExtendedLifetime(y) {}
  }
}

/// Experiment 1: the paper's shifted Laplacians (n = 100) solved by SOR from x₀ = 0.
struct ShiftedLaplacianSORWorkload: SequenceWorkload {
  var sequence: ShiftedLaplacianSequence
  let stopping: StoppingCriterion
  let seed: UInt64

  init(variance: ShiftedLaplacianSequence.Variance, steps: Int, seed: UInt64, rtol: Double, cap: Int) {
    sequence = ShiftedLaplacianSequence(variance: variance, count: steps, seed: seed)
    stopping = SequenceSolvers.stopping(rtol: rtol, cap: cap)
    self.seed = seed
  }

  var tag: String { "shifted-laplacian_\(sequence.variance.rawValue)_seed\(seed)" }
  var title: String {
    "shifted Laplacian, \(sequence.variance.rawValue) variance, sequence seed \(seed): n = \(dimension), "
      + "T = \(steps), SOR from x0 = 0, rtol \(stopping.rtol) (cap \(stopping.maxIterations))"
  }
  var method: String { "SOR" }
  var steps: Int { sequence.count ?? 0 }
  var dimension: Int { sequence.dimension }
  var chebRange: ClosedRange<Double> { ShiftedLaplacianSequence.learnerContextRange }
  var bins: Int { 5 }
  var hasYoung: Bool { true }
  var hasCG: Bool { false }
  var command: String {
    "--workload shifted-laplacian --variance \(sequence.variance.rawValue) --steps \(steps) --seed \(seed)"
  }

  mutating func next() throws -> PreparedSystem? {
    guard let system = sequence.next() else { return nil }
    let a = system.matrix, b = system.rhs, c = system.context!
    let stopping = self.stopping
    SequenceSolvers.warmUp(a, b)
    return PreparedSystem(
      context: c, setupSeconds: 0, setupCPUSeconds: 0, youngOmega: sequence.youngOmega(shift: c),
      solve: { omega in SequenceSolvers.outcome(try SOR(omega: omega, stopping: stopping).solve(a, b)) },
      solveCG: nil)
  }
}

/// Experiment 2: the Crank–Nicolson heat equation, SSOR-PCG warm-started from the exact
/// previous u.
struct HeatWorkload: SequenceWorkload {
  let heat: HeatEquation
  var trajectory: HeatEquation.Trajectory
  let stopping: StoppingCriterion
  let range: ClosedRange<Double>
  let workspace = Workspace(), cgWorkspace = Workspace()
  /// Seconds spent on the exact (CHOLMOD) trajectory, charged to no strategy.
  var directSeconds = 0.0

  init(nx: Int, steps: Int, rtol: Double, cap: Int) {
    heat = HeatEquation(nx: nx, steps: steps)
    trajectory = heat.trajectory()
    stopping = SequenceSolvers.stopping(rtol: rtol, cap: cap)
    range = heat.contextRange
  }

  var tag: String { "heat_nx\(heat.nx)" }
  var title: String {
    "heat equation (Crank–Nicolson), nx = \(heat.nx): n = \(dimension), T = \(steps), dt = \(heat.dt), "
      + "SSOR-PCG warm-started from the exact previous u, ‖b−Ax‖ ≤ \(stopping.rtol)‖b‖ (cap \(stopping.maxIterations))"
  }
  var method: String { "SSOR-PCG" }
  var steps: Int { heat.steps }
  var dimension: Int { heat.dimension }
  var chebRange: ClosedRange<Double> { range }
  var bins: Int { 6 }
  var hasYoung: Bool { false }
  var hasCG: Bool { true }
  var command: String { "--workload heat --nx \(heat.nx) --steps \(steps)" }

  mutating func next() throws -> PreparedSystem? {
    let (step, seconds, _) = try measured { try trajectory.next() }
    directSeconds += seconds
    guard let step else { return nil }
    return try SequenceSolvers.pcgSystem(
      step.system, context: step.system.context!, stopping: stopping, workspace: workspace, cgWorkspace: cgWorkspace)
  }
}

/// Experiment 3a: the shifted Laplacian on a finer grid (shift scaled by h², see
/// ``ShiftedLaplacianSequence``), SSOR-PCG from x₀ = 0.
struct ShiftedLaplacianPCGWorkload: SequenceWorkload {
  var sequence: ShiftedLaplacianSequence
  let stopping: StoppingCriterion
  let seed: UInt64
  let workspace = Workspace(), cgWorkspace = Workspace()

  init(gridSize: Int, variance: ShiftedLaplacianSequence.Variance, steps: Int, seed: UInt64, rtol: Double, cap: Int) {
    sequence = ShiftedLaplacianSequence(gridSize: gridSize, variance: variance, count: steps, seed: seed)
    stopping = SequenceSolvers.stopping(rtol: rtol, cap: cap)
    self.seed = seed
  }

  var tag: String { "shifted-laplacian-pcg_n\(dimension)_\(sequence.variance.rawValue)_seed\(seed)" }
  var title: String {
    "shifted Laplacian, \(sequence.variance.rawValue) variance, m = \(sequence.gridSize) (shift × "
      + String(format: "%.3g", sequence.shiftScale) + "), sequence seed \(seed): n = \(dimension), T = \(steps), "
      + "SSOR-PCG from x0 = 0, rtol \(stopping.rtol)"
  }
  var method: String { "SSOR-PCG" }
  var steps: Int { sequence.count ?? 0 }
  var dimension: Int { sequence.dimension }
  var chebRange: ClosedRange<Double> { ShiftedLaplacianSequence.learnerContextRange }
  var bins: Int { 5 }
  var hasYoung: Bool { false }
  var hasCG: Bool { true }
  var command: String {
    "--workload shifted-laplacian-pcg --grid-size \(sequence.gridSize) --variance \(sequence.variance.rawValue) "
      + "--steps \(steps) --seed \(seed)"
  }

  mutating func next() throws -> PreparedSystem? {
    guard let system = sequence.next() else { return nil }
    return try SequenceSolvers.pcgSystem(
      system, context: system.context!, stopping: stopping, workspace: workspace, cgWorkspace: cgWorkspace)
  }
}

/// Experiment 3b: variable-coefficient diffusion `−∇·(e^{s_t G}∇u)` with a fixed smooth
/// `G(x, y) = sin(πx)·cos(2πy) + x − ½ ∈ [−1.5, 1.5]` and a context `s_t ~ U[0, 2]` per
/// system: the coefficient contrast grows from 1 (s = 0, Poisson) to e^{6} ≈ 400 (s = 2).
/// b_t truncated normal, x₀ = 0, SSOR-PCG.
struct DiffusionWorkload: SequenceWorkload {
  let gridSize: Int
  let steps: Int
  let seed: UInt64
  let stopping: StoppingCriterion
  var generator: SeededGenerator
  var produced = 0
  let workspace = Workspace(), cgWorkspace = Workspace()
  static let contextRange: ClosedRange<Double> = 0...2

  init(gridSize: Int, steps: Int, seed: UInt64, rtol: Double, cap: Int) {
    self.gridSize = gridSize
    self.steps = steps
    self.seed = seed
    stopping = SequenceSolvers.stopping(rtol: rtol, cap: cap)
    generator = SeededGenerator(seed: seed)
  }

  /// The fixed log-coefficient shape.
  static func shape(_ x: Double, _ y: Double) -> Double {
    sin(Double.pi * x) * cos(2 * Double.pi * y) + x - 0.5
  }

  var tag: String { "diffusion_n\(dimension)_seed\(seed)" }
  var title: String {
    "diffusion −∇·(exp(s·G)∇u), G = sin(πx)cos(2πy) + x − ½, s ~ U[0, 2], m = \(gridSize), sequence seed \(seed): "
      + "n = \(dimension), T = \(steps), SSOR-PCG from x0 = 0, rtol \(stopping.rtol)"
  }
  var method: String { "SSOR-PCG" }
  var dimension: Int { gridSize * gridSize }
  var chebRange: ClosedRange<Double> { Self.contextRange }
  var bins: Int { 5 }
  var hasYoung: Bool { false }
  var hasCG: Bool { true }
  var command: String { "--workload diffusion --grid-size \(gridSize) --steps \(steps) --seed \(seed)" }

  mutating func next() throws -> PreparedSystem? {
    guard produced < steps else { return nil }
    produced += 1
    let s = 2 * generator.uniform()
    let n = dimension
    let b = generator.truncatedNormalVector(count: n, maxNorm: Double(n).squareRoot())
    let a = Diffusion.matrix2D(gridSize) { x, y in exp(s * Self.shape(x, y)) }
    return try SequenceSolvers.pcgSystem(
      LinearSystem(matrix: a, rhs: b, context: s), context: s, stopping: stopping, workspace: workspace,
      cgWorkspace: cgWorkspace)
  }
}
