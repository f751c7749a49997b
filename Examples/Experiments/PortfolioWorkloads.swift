import Foundation
import LinSolve

/// A sequence for `experiments portfolio`: system `t` may depend on the solution of system
/// `t − 1` (a time stepper), so every strategy runs the sequence online with its own solutions.
protocol PortfolioWorkload {
  /// A short name for file names and tables (`darcy`, `heat`, …).
  var name: String { get }
  /// A one-line description with the sizes.
  var label: String { get }
  var count: Int { get }
  /// The order n of the systems.
  var dimension: Int { get }
  /// System `t` (0-based), given the solution of system `t − 1` (`nil` for `t = 0`).
  func system(_ t: Int, previous: [Double]?) -> LinearSystem
  /// Each system's context (``LinearSystem/context``: a coefficient or a shift), `nil` when the
  /// workload has none.
  var contexts: [Double]? { get }
}

extension PortfolioWorkload {
  var contexts: [Double]? { nil }
}

/// Darcy flow with a slowly varying log-normal coefficient (``DarcySequence/slowlyVarying``),
/// finite volumes, `f = 1`: SPD, one pattern, contrast that makes Jacobi slow.
struct DarcyPortfolioWorkload: PortfolioWorkload {
  let sequence: DarcySequence
  var name: String { "darcy" }
  var label: String { "Darcy, slowly varying κ, grid \(sequence.grid) (n = \(dimension)), \(count) systems" }
  var count: Int { sequence.systems.count }
  var dimension: Int { sequence.systems[0].matrix.rows }

  init(grid: Int, count: Int, seed: UInt64) {
    sequence = DarcySequence.slowlyVarying(grid: grid, count: count, seed: seed)
  }

  func system(_ t: Int, previous: [Double]?) -> LinearSystem { sequence.systems[t] }
}

/// The 2-D Crank–Nicolson heat equation of *Learning to Relax* (``HeatEquation``), each step's
/// right-hand side from the previous solution. With `dt = 0.02` the sequence crosses `t = 0.5`,
/// where `κ` jumps from `0.1 sin 2πt` to `−10 sin 2πt`: easy systems, then hard ones.
struct HeatPortfolioWorkload: PortfolioWorkload {
  let heat: HeatEquation
  var name: String { "heat" }
  var label: String { "heat 2-D (Crank–Nicolson), nx = \(heat.nx) (n = \(dimension)), \(count) steps of \(heat.dt)" }
  var count: Int { heat.steps }
  var dimension: Int { heat.dimension }

  init(nx: Int, steps: Int, dt: Double = 0.02) { heat = HeatEquation(nx: nx, steps: steps, dt: dt) }

  func system(_ t: Int, previous: [Double]?) -> LinearSystem {
    heat.system(step: t, u: previous ?? heat.initialCondition())
  }

  var contexts: [Double]? { (0..<count).map { heat.context(step: $0) } }
}

/// The shifted Laplacians `A + c_t I` of *Learning to Relax* (``ShiftedLaplacianSequence``).
struct ShiftedPortfolioWorkload: PortfolioWorkload {
  let systems: [LinearSystem]
  let gridSize: Int
  var name: String { "shifted" }
  var label: String { "shifted Laplacian, grid \(gridSize) (n = \(dimension)), \(count) systems" }
  var count: Int { systems.count }
  var dimension: Int { systems[0].matrix.rows }

  init(gridSize: Int, count: Int, seed: UInt64) {
    self.gridSize = gridSize
    systems = Array(ShiftedLaplacianSequence(gridSize: gridSize, variance: .high, count: count, seed: seed))
  }

  func system(_ t: Int, previous: [Double]?) -> LinearSystem { systems[t] }

  var contexts: [Double]? { systems.map { $0.context ?? 0 } }
}

/// Backward-Euler heat equation in 3-D on the unit cube, `m³` interior points:
/// `(I + dt·κ(t_k)·P/h²) u_{k+1} = u_k + dt·f`, `P` the 7-point Laplacian (diagonal 6),
/// `h = 1/(m+1)`, `κ` the time-dependent coefficient of ``HeatEquation/coefficient(at:)`` from
/// `t = 0.5` on (where it is `−10 sin 2πt`, so the systems drift from well to ill conditioned),
/// `f = 1`, `u_0 = 0`. With `m = 100` (n = 10⁶) a sparse Cholesky factor fills far beyond the
/// matrix; iterative strategies with a warm start are the ones that scale.
struct Heat3DPortfolioWorkload: PortfolioWorkload {
  let m: Int
  let steps: Int
  let dt: Double
  let poisson: SparseMatrix
  private let diagonal: [Int]
  var name: String { "heat3d" }
  var label: String { "heat 3-D (backward Euler), m = \(m) (n = \(dimension)), \(count) steps" }
  var count: Int { steps }
  var dimension: Int { poisson.rows }

  init(m: Int, steps: Int, dt: Double = 0.01) {
    self.m = m
    self.steps = steps
    self.dt = dt
    poisson = Poisson.matrix3D(m)
    diagonal = poisson.diagonalPositions().map { $0! }
  }

  func system(_ t: Int, previous: [Double]?) -> LinearSystem {
    let h = 1 / Double(m + 1)
    let s = dt * coefficient(t) / (h * h)
    var a = poisson
    for p in a.values.indices { a.values[p] *= s }
    for p in diagonal { a.values[p] += 1 }
    let u = previous ?? [Double](repeating: 0, count: dimension)
    return LinearSystem(matrix: a, rhs: u.map { $0 + dt }, context: coefficient(t), initialGuess: previous, name: "step \(t + 1)")
  }

  /// κ at the end of step `t`, the system's context.
  func coefficient(_ t: Int) -> Double { HeatEquation.coefficient(at: 0.5 + Double(t + 1) * dt) }

  var contexts: [Double]? { (0..<steps).map(coefficient) }
}
