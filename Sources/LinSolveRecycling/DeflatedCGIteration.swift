import LinSolveCore

// One deflated CG solve (see ``DeflatedCG``): its vectors, the small block vectors and what the
// refresh needs; the two forms of the loop are in `DeflatedCGIteration+General` and `+Fused`.

/// What a solve records from its first `s` iterations for the refresh: αᵢ, pᵢᵀApᵢ, ρᵢ = rᵢᵀzᵢ,
/// μᵢ = Cᵀzᵢ and, in the fused form, νᵢ (the stored direction is p̃ᵢ, and pᵢ = p̃ᵢ − W·νᵢ).
struct DeflatedCGRecord {
  var alphas: [Double] = []
  var curvatures: [Double] = []
  var rhos: [Double] = []
  /// `μᵢ`, `kc` entries each.
  var projections: [Double] = []
  /// `νᵢ`, `kc` entries each (fused form only).
  var nus: [Double] = []
  /// Directions stored so far.
  var collected = 0

  init() {}

  init(s: Int, kc: Int, fused: Bool) {
    alphas = [Double](repeating: 0, count: s)
    curvatures = [Double](repeating: 0, count: s)
    rhos = [Double](repeating: 0, count: s + 1)
    projections = [Double](repeating: 0, count: (s + 1) * kc)
    nus = [Double](repeating: 0, count: fused ? s * kc : 0)
  }
}

/// The state of one deflated CG solve: pointers into the solver's workspace and space, the
/// tracker and the counters.
struct DeflatedCGIteration<Operator: LinearOperator> {
  let a: Operator
  let preconditioner: (any Preconditioner)?
  let n: Int
  /// The dimension of the space.
  let kc: Int
  /// Directions stored for the refresh.
  let s: Int
  /// Iterations between re-projections (0: never).
  let interval: Int
  let b: UnsafeBufferPointer<Double>
  let x: UnsafeMutableBufferPointer<Double>
  /// The residual, the direction when it is not stored, the product `A·p`, and `M⁻¹r` (which
  /// is `r` itself without a preconditioner and in the fused form).
  let r, p, q, z: UnsafeMutableBufferPointer<Double>
  /// The first `s` directions and their products, kept for the refresh.
  let directions: [UnsafeMutableBufferPointer<Double>]
  let products: [UnsafeMutableBufferPointer<Double>]
  /// `W` and `C = A·W` (n × kc, leading dimension n).
  let w: UnsafePointer<Double>
  let c: UnsafePointer<Double>
  /// `μ = Cᵀz`; in the fused form also `ν` (p = p̃ − W·ν), `ξ` (x = x̃ − W·ξ) and `t = CᵀM⁻¹q`.
  let mu, nu, xi, t: UnsafeMutablePointer<Double>
  var tracker: ConvergenceTracker
  var recorded: DeflatedCGRecord
  var matvecs = 0
  var preconditionerApplications = 0
  var projectionSeconds = 0.0
  var watch = RecyclingStopwatch()

  /// - Parameter small: `4 · max(kc, 1)` zeroed entries, for `μ`, `ν`, `ξ` and `t`.
  init(
    a: Operator, preconditioner: (any Preconditioner)?, n: Int, kc: Int, s: Int, interval: Int,
    b: UnsafeBufferPointer<Double>, x: UnsafeMutableBufferPointer<Double>,
    r: UnsafeMutableBufferPointer<Double>, p: UnsafeMutableBufferPointer<Double>,
    q: UnsafeMutableBufferPointer<Double>, z: UnsafeMutableBufferPointer<Double>,
    directions: [UnsafeMutableBufferPointer<Double>], products: [UnsafeMutableBufferPointer<Double>],
    w: UnsafePointer<Double>, c: UnsafePointer<Double>, small: UnsafeMutablePointer<Double>,
    tracker: ConvergenceTracker, recorded: DeflatedCGRecord
  ) {
    self.a = a
    self.preconditioner = preconditioner
    self.n = n
    self.kc = kc
    self.s = s
    self.interval = interval
    self.b = b
    self.x = x
    self.r = r
    self.p = p
    self.q = q
    self.z = z
    self.directions = directions
    self.products = products
    self.w = w
    self.c = c
    let width = max(kc, 1)
    mu = small
    nu = small + width
    xi = nu + width
    t = xi + width
    self.tracker = tracker
    self.recorded = recorded
  }

  /// `r ← b − A·x`, then the initial projection; returns `rᵀr`.
  mutating func initialResidual() -> Double {
    a.apply(UnsafeBufferPointer(x), into: r)
    matvecs += 1
    var rr = Fused.residualFromProduct(b: b, r: r)
    if kc > 0 {
      project(deferred: false)
      rr = Vector.dot(UnsafeBufferPointer(r), UnsafeBufferPointer(r))
    }
    return rr
  }

  /// Makes `Wᵀr = 0` again: `x += W·Wᵀr` (`deferred`, the fused form after the start:
  /// `ξ −= Wᵀr`), `r −= C·Wᵀr`.
  mutating func project(deferred: Bool) {
    _ = watch.lap()
    withUnsafeTemporaryAllocation(of: Double.self, capacity: kc) { cbuf in
      let coefficients = cbuf.baseAddress!
      BlockKernels.transposedProduct(w, ld: n, rows: n, cols: kc, r.baseAddress!, into: coefficients)
      if deferred {
        for i in 0..<kc { xi[i] -= coefficients[i] }
      } else {
        BlockKernels.product(w, ld: n, rows: n, cols: kc, coefficients, into: x.baseAddress!, accumulate: true)
      }
      BlockKernels.product(
        c, ld: n, rows: n, cols: kc, coefficients, into: r.baseAddress!, alpha: -1, accumulate: true)
    }
    projectionSeconds += watch.lap()
  }

  /// Whether the residual is re-projected after iteration `j` (once the first `s` directions
  /// are stored, every ``DeflatedCG/reprojectionInterval`` iterations).
  func reprojects(after j: Int) -> Bool {
    kc > 0 && interval > 0 && j > s && j % interval == 0
  }

  /// `μ ← Cᵀv`.
  mutating func projectImage(of v: UnsafePointer<Double>) {
    guard kc > 0 else { return }
    _ = watch.lap()
    BlockKernels.transposedProduct(c, ld: n, rows: n, cols: kc, v, into: mu)
    projectionSeconds += watch.lap()
  }

  /// Records `ρ_index` and, for a stored direction, `μ_index`.
  mutating func record(_ index: Int, rho: Double) {
    if index <= s { recorded.rhos[index] = rho }
    if index <= recorded.collected && index <= s {
      for i in 0..<kc { recorded.projections[index * kc + i] = mu[i] }
    }
  }

  /// Records step `j`'s `α` and `pᵀAp` (within the first `s` steps).
  mutating func recordStep(_ j: Int, alpha: Double, curvature: Double) {
    recorded.alphas[j] = alpha
    recorded.curvatures[j] = curvature
    recorded.collected = j + 1
  }

  /// Reports `‖r‖ = √rr` after step `j`. On a stop, the last stored direction's data (ρ_j and
  /// μ_j, from `nextRho`) completes the refresh's pencil, and the stop is returned.
  mutating func checkStop(_ j: Int, rr: Double, nextRho: (inout Self) -> Double) -> StopReason? {
    guard let stop = tracker.step(residualNorm: rr.squareRoot()) else { return nil }
    if recorded.collected == j && stop != .nonFinite {
      let rhoLast = nextRho(&self)
      record(j, rho: rhoLast)
      if !(rhoLast > 0) { recorded.collected -= 1 }
    }
    return stop
  }

  /// The stop for a curvature or `rᵀz` that is not positive.
  static func notPositive(_ value: Double) -> StopReason {
    value.isFinite ? .indefinite : .nonFinite
  }
}
