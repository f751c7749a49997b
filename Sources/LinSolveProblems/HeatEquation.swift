#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import LinSolveCore
import LinSolveDirect

/// The 2-D heat equation with a time-varying diffusion coefficient of *Learning to Relax*
/// (Khodak, Chow, Balcan, Talwalkar, ICLR 2024; `scripts/h2d.m` and `utils/Heat2D.m` of the
/// ICLR-final code), stepped by Crank–Nicolson: a sequence of SPD systems whose best SSOR ω
/// follows the coefficient.
///
///     u_t = κ(t) Δu + f(t, x)   on (0, 1)², u = 0 on the boundary,
///     κ(t) = max(0.1 sin 2πt, −10 sin 2πt) ∈ [0, 10]  (period 1),
///     f(t, x) = 32·bump(x; (½ + cos(16πt)/4, ½ + sin(16πt)/4), 0.125),
///     u(0, x) = bump(x; (½, ½), 0.25),
///     bump(x; c, r) = exp(1 − 1/(1 − min(1, ‖x − c‖²/r²))).
///
/// The grid has `nx − 1` interior points per direction (`dx = 1/nx`, `n = (nx − 1)²`),
/// numbered as the authors do: unknown `k = a·(nx − 1) + b` sits at `((a+1)·dx, (b+1)·dx)`.
/// With `L` the 5-point Laplacian divided by `dx²` (`L = −P/dx²`, `P = Poisson.matrix2D(nx − 1)`),
/// step `k` (from `t = k·dt` to `(k+1)·dt`) solves
///
///     A_k u_{k+1} = b_k,   A_k = I − ½κ(t + dt/2)·dt·L,
///     b_k = (I + ½κ(t + dt/2)·dt·L) u_k + dt·f(t + dt/2),
///
/// so every `A_k = I + s·P` (`s = ½κ dt/dx² ≥ 0`) is symmetric positive definite with the
/// same sparsity pattern. The context of step `k` is `κ(k·dt)`, the coefficient at the step's
/// start (what the authors pass to their contextual learners); ``contextRange`` is its range
/// over `linspace(0, steps·dt, steps)`, their `[cmin, cmax]`.
///
/// **Exact trajectory.** ``trajectory()`` advances `u` by a sparse Cholesky solve (CHOLMOD,
/// symbolic analysis done once and reused for every step) and yields each step's system with
/// the exact previous `u` as its initial guess. The systems and warm starts are therefore
/// fixed independently of any iterative method, so every ω (and every learner) is charged on
/// the same systems, and a table of costs can replay an online run exactly.
///
/// ```swift
/// let heat = HeatEquation(nx: 25)
/// var steps = heat.trajectory()
/// while let step = try steps.next() {
///   let result = try pcg.solve(step.system.matrix, step.system.rhs, x0: step.system.initialGuess)
/// }
/// ```
public struct HeatEquation: Sendable {
  /// Grid intervals per direction (`dx = 1/nx`); the paper uses 25, 50, 100, 200, 400.
  public let nx: Int
  /// The number of time steps.
  public let steps: Int
  /// The time step (the paper: 5/5000 = 1e-3).
  public let dt: Double
  /// `P = Poisson.matrix2D(nx − 1)` (diagonal 4); `L = −P/dx²`.
  public let poisson: SparseMatrix
  /// First coordinate of each unknown.
  public let x1: [Double]
  /// Second coordinate of each unknown.
  public let x2: [Double]
  /// The positions of the diagonal entries of ``poisson`` in its value array.
  private let diagonal: [Int]

  /// A heat-equation sequence of `steps` Crank–Nicolson steps of length `dt` on an
  /// `nx × nx` grid.
  ///
  /// - Precondition: `nx ≥ 2`, `steps ≥ 0`, `dt > 0`.
  public init(nx: Int = 25, steps: Int = 5000, dt: Double = 1e-3) {
    precondition(nx >= 2, "HeatEquation needs nx ≥ 2, not \(nx)")
    precondition(steps >= 0 && dt > 0 && dt.isFinite, "HeatEquation needs steps ≥ 0 and dt > 0")
    self.nx = nx
    self.steps = steps
    self.dt = dt
    poisson = Poisson.matrix2D(nx - 1)
    diagonal = poisson.diagonalPositions().map { $0! }
    let m = nx - 1, dx = 1 / Double(nx)
    var first = [Double](), second = [Double]()
    first.reserveCapacity(m * m)
    second.reserveCapacity(m * m)
    for a in 0..<m {
      for b in 0..<m {
        first.append(Double(a + 1) * dx)
        second.append(Double(b + 1) * dx)
      }
    }
    x1 = first
    x2 = second
  }

  /// The order `n = (nx − 1)²` of the systems.
  public var dimension: Int { (nx - 1) * (nx - 1) }

  /// The grid spacing `1/nx`.
  public var dx: Double { 1 / Double(nx) }

  /// `κ(t) = max(0.1 sin 2πt, −10 sin 2πt)`.
  public static func coefficient(at t: Double) -> Double {
    let s = sin(2 * Double.pi * t)
    return max(0.1 * s, -10 * s)
  }

  /// `exp(1 − 1/(1 − min(1, d²/r²)))` with `d²` the squared distance to the centre: 1 at the
  /// centre, 0 from distance `r` on, smooth in between.
  public static func bump(squaredDistance d2: Double, radius r: Double) -> Double {
    let q = min(1, d2 / (r * r))
    guard q < 1 else { return 0 }
    return exp(1 - 1 / (1 - q))
  }

  /// The time at the start of step `k`, `k·dt`.
  public func time(step k: Int) -> Double { Double(k) * dt }

  /// The context of step `k`: `κ(k·dt)`.
  public func context(step k: Int) -> Double { Self.coefficient(at: time(step: k)) }

  /// The authors' context range `[min κ, max κ]` over `linspace(0, steps·dt, steps)`
  /// (≈ [0, 10] for 5000 steps of 1e-3).
  public var contextRange: ClosedRange<Double> {
    guard steps >= 2 else {
      let c = Self.coefficient(at: 0)
      return c...(c + 1)
    }
    let stop = Double(steps) * dt
    var low = Double.infinity, high = -Double.infinity
    for i in 0..<steps {
      let k = Self.coefficient(at: stop * Double(i) / Double(steps - 1))
      low = min(low, k)
      high = max(high, k)
    }
    return low...max(high, low + 1e-12)
  }

  /// The forcing `f(t, ·)` at every unknown.
  public func forcing(at t: Double) -> [Double] {
    let c1 = 0.5 + cos(16 * Double.pi * t) / 4, c2 = 0.5 + sin(16 * Double.pi * t) / 4
    return (0..<dimension).map { k in
      let d1 = x1[k] - c1, d2 = x2[k] - c2
      return 32 * Self.bump(squaredDistance: d1 * d1 + d2 * d2, radius: 0.125)
    }
  }

  /// The initial condition `u₀ = bump(x; (½, ½), 0.25)`.
  public func initialCondition() -> [Double] {
    (0..<dimension).map { k in
      let d1 = x1[k] - 0.5, d2 = x2[k] - 0.5
      return Self.bump(squaredDistance: d1 * d1 + d2 * d2, radius: 0.25)
    }
  }

  /// `s = ½κ(t + dt/2)·dt/dx²` of step `k`, so that `A_k = I + s·P`.
  public func scaledCoefficient(step k: Int) -> Double {
    0.5 * Self.coefficient(at: time(step: k) + 0.5 * dt) * dt / (dx * dx)
  }

  /// The matrix `A_k = I − ½κ(t + dt/2)·dt·L = I + s·P` of step `k`.
  public func matrix(step k: Int) -> SparseMatrix {
    let s = scaledCoefficient(step: k)
    var a = poisson
    for p in a.values.indices { a.values[p] *= s }
    for p in diagonal { a.values[p] += 1 }
    return a
  }

  /// The right-hand side `b_k = (I + ½κ dt L) u + dt·f(t + dt/2) = u − s·P u + dt·f` of step `k`.
  ///
  /// - Precondition: `u.count == dimension`.
  public func rhs(step k: Int, u: [Double]) -> [Double] {
    precondition(u.count == dimension, "HeatEquation.rhs: u has \(u.count) entries, expected \(dimension)")
    let s = scaledCoefficient(step: k)
    var pu = [Double](repeating: 0, count: dimension)
    poisson.multiply(u, into: &pu)
    let f = forcing(at: time(step: k) + 0.5 * dt)
    var b = u
    for i in 0..<dimension { b[i] = u[i] - s * pu[i] + dt * f[i] }
    return b
  }

  /// Step `k`'s system from the state `u` at its start: matrix, right-hand side, context
  /// `κ(k·dt)` and initial guess `u`.
  public func system(step k: Int, u: [Double]) -> LinearSystem {
    LinearSystem(
      matrix: matrix(step: k), rhs: rhs(step: k, u: u), context: context(step: k), initialGuess: u,
      name: "step \(k + 1)")
  }

  /// The exact trajectory: each step's system (warm-started from the exact previous `u`) and
  /// its direct solution.
  public func trajectory() -> Trajectory { Trajectory(heat: self) }

  /// One step of the exact trajectory.
  public struct Step: Sendable {
    /// 0-based step index (from `t = index·dt`).
    public var index: Int
    /// The system, with ``LinearSystem/initialGuess`` the exact `u` at the step's start.
    public var system: LinearSystem
    /// The exact solution `u` at the step's end (CHOLMOD, backward error ~1e-16).
    public var solution: [Double]
  }

  /// Walks the steps of a ``HeatEquation`` along the exact trajectory, one sparse Cholesky
  /// factorisation per step (the symbolic analysis is done once: every `A_k` has the same
  /// pattern).
  public struct Trajectory: Sendable {
    /// The equation.
    public let heat: HeatEquation
    /// The exact `u` at the start of the next step.
    public private(set) var u: [Double]
    /// The index of the next step.
    public private(set) var step = 0
    /// The factorisation, reused across steps.
    public let factorization = CholeskyFactorization()

    init(heat: HeatEquation) {
      self.heat = heat
      u = heat.initialCondition()
    }

    /// The next step's system and exact solution; `nil` after the last step.
    ///
    /// - Throws: a ``LinSolveError`` from CHOLMOD (not expected: every `A_k` is SPD).
    public mutating func next() throws -> Step? {
      guard step < heat.steps else { return nil }
      let system = heat.system(step: step, u: u)
      try factorization.factorize(system.matrix)
      let solution = try factorization.solve(system.rhs)
      let result = Step(index: step, system: system, solution: solution)
      u = solution
      step += 1
      return result
    }
  }
}
