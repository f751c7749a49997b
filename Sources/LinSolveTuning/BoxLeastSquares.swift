// A small least-squares solver on normal equations with box bounds, for ChebCB's per-arm fits
// (the authors' `lsqminnorm`, then `lsqlin`).

/// Minimises `½θᵀGθ − hᵀθ` for an m × m Gram matrix `G` (m ≤ 12): the minimum-norm solution
/// when it lies in the box `lower ≤ θ ≤ upper`, else the box-constrained minimiser.
///
/// Set ``h``, ``lower`` and ``upper``, call ``solve(gram:offset:)``, read ``theta``. All
/// vectors are sized once; nothing is allocated per solve.
struct BoxLeastSquares: Sendable {
  /// `m`.
  let size: Int
  var h: [Double]  // m
  var theta: [Double]  // m
  var lower: [Double]  // m
  var upper: [Double]  // m
  private var z: [Double]  // m
  private var rhs: [Double]  // m
  private var residual: [Double]  // m
  private var solution: [Double]  // m
  private var factor: [Double]  // m × m
  private var free: [Int]  // m
  private var state: [Int8]  // m: −1 at lower bound, 0 free, +1 at upper bound

  init(size m: Int) {
    size = m
    h = [Double](repeating: 0, count: m)
    theta = h
    z = h
    rhs = h
    residual = h
    solution = h
    lower = h
    upper = h
    factor = [Double](repeating: 0, count: m * m)
    free = [Int](repeating: 0, count: m)
    state = [Int8](repeating: 0, count: m)
  }

  /// Fits ``theta`` for `G` = `gram[g ..< g + m²]` (row-major): the min-norm solution, or the
  /// box-constrained one when that leaves the box (`|θⱼ| > upperⱼ`). Returns whether the box
  /// was needed.
  mutating func solve(gram: [Double], offset g: Int) -> Bool {
    let m = size
    for j in 0..<m {
      state[j] = 0
      theta[j] = 0
    }
    solveFree(gram, offset: g)
    for j in 0..<m { theta[j] = z[j] }
    var inBox = true
    for j in 0..<m where abs(theta[j]) > upper[j] { inBox = false }
    if !inBox { boxConstrained(gram, offset: g) }
    return !inBox
  }

  /// `θᵀGθ − 2hᵀθ`.
  func objective(gram: [Double], offset g: Int) -> Double {
    let m = size
    var quadratic = 0.0
    for r in 0..<m {
      var s = 0.0
      for c in 0..<m { s += gram[g + r * m + c] * theta[c] }
      quadratic += theta[r] * (s - 2 * h[r])
    }
    return quadratic
  }

  /// Solves the normal equations restricted to the free variables (`state == 0`), the others
  /// held at `theta`: `(G_FF + λI) z_F = h_F − G_FB θ_B`, by Cholesky. Writes `z` for the free
  /// variables and copies `theta` for the fixed ones.
  private mutating func solveFree(_ gram: [Double], offset g: Int) {
    let m = size
    var k = 0
    for j in 0..<m where state[j] == 0 {
      free[k] = j
      k += 1
    }
    for j in 0..<m { z[j] = theta[j] }
    guard k > 0 else { return }
    var largest = 0.0
    for a in 0..<k {
      let r = free[a]
      var s = h[r]
      for c in 0..<m where state[c] != 0 { s -= gram[g + r * m + c] * theta[c] }
      rhs[a] = s
      for b in 0..<k { factor[a * k + b] = gram[g + r * m + free[b]] }
      largest = max(largest, factor[a * k + a])
    }
    let ridge = 1e-12 * (largest > 0 ? largest : 1)
    // In-place Cholesky G_FF + λI = L Lᵀ (lower triangle of factor).
    for j in 0..<k {
      var s = factor[j * k + j] + ridge
      for p in 0..<j { s -= factor[j * k + p] * factor[j * k + p] }
      let pivot = (s > ridge ? s : ridge).squareRoot()
      factor[j * k + j] = pivot
      for i in (j + 1)..<max(k, j + 1) {
        var t = factor[i * k + j]
        for p in 0..<j { t -= factor[i * k + p] * factor[j * k + p] }
        factor[i * k + j] = t / pivot
      }
    }
    // z = (G_FF + λI)⁻¹ b, then two steps of iterated Tikhonov, z ← z + (G_FF + λI)⁻¹(b − G_FF z):
    // the ridge's bias shrinks by λ/(μ + λ) per step along each eigenvalue μ of G_FF, while
    // z gains nothing in the null space of G_FF (b − G_FF z stays in its range), so z tends
    // to the minimum-norm least-squares solution.
    for a in 0..<k {
      residual[a] = rhs[a]
      solution[a] = 0
    }
    for refinement in 0..<3 {
      if refinement > 0 {
        for a in 0..<k {
          var s = rhs[a]
          let r = free[a]
          for b in 0..<k { s -= gram[g + r * m + free[b]] * solution[b] }
          residual[a] = s
        }
      }
      choleskySolve(size: k)
      for a in 0..<k { solution[a] += residual[a] }
    }
    for a in 0..<k { z[free[a]] = solution[a] }
  }

  /// Overwrites `residual[0..<k]` with `(L Lᵀ)⁻¹ residual` for the factor in `factor`.
  private mutating func choleskySolve(size k: Int) {
    for i in 0..<k {
      var s = residual[i]
      for p in 0..<i { s -= factor[i * k + p] * residual[p] }
      residual[i] = s / factor[i * k + i]
    }
    var i = k - 1
    while i >= 0 {
      var s = residual[i]
      for p in (i + 1)..<k { s -= factor[p * k + i] * residual[p] }
      residual[i] = s / factor[i * k + i]
      i -= 1
    }
  }

  /// Minimises `½θᵀGθ − hᵀθ` over the box `lower ≤ θ ≤ upper` by a bounded-variable active-set
  /// method, starting from `theta` (the unconstrained fit) clipped into the box. Each step
  /// solves the free subproblem; an infeasible solution is approached until the first bound
  /// is hit and that variable is fixed; a feasible one is accepted and the bound variable with
  /// the largest KKT violation (gradient pointing into the box) is freed. The objective
  /// decreases monotonically; the loop is capped at 20(m + 1) steps.
  private mutating func boxConstrained(_ gram: [Double], offset g: Int) {
    let m = size
    for j in 0..<m {
      if theta[j] <= lower[j] {
        theta[j] = lower[j]
        state[j] = -1
      } else if theta[j] >= upper[j] {
        theta[j] = upper[j]
        state[j] = 1
      } else {
        state[j] = 0
      }
    }
    var scaleOfGradient = 0.0
    for j in 0..<m { scaleOfGradient = max(scaleOfGradient, abs(h[j])) }
    let tolerance = 1e-12 * max(scaleOfGradient, .leastNormalMagnitude)
    for _ in 0..<(20 * (m + 1)) {
      solveFree(gram, offset: g)
      // Longest step toward z that stays in the box.
      var step = 1.0
      var blocking = -1
      for j in 0..<m where state[j] == 0 {
        let target = z[j], current = theta[j]
        if target < lower[j] {
          let s = (lower[j] - current) / (target - current)
          if s < step {
            step = s
            blocking = j
          }
        } else if target > upper[j] {
          let s = (upper[j] - current) / (target - current)
          if s < step {
            step = s
            blocking = j
          }
        }
      }
      if blocking >= 0 {
        step = max(step, 0)
        for j in 0..<m where state[j] == 0 {
          theta[j] += step * (z[j] - theta[j])
          theta[j] = min(max(theta[j], lower[j]), upper[j])
        }
        let j = blocking
        state[j] = z[j] < lower[j] ? -1 : 1
        theta[j] = state[j] < 0 ? lower[j] : upper[j]
        continue
      }
      for j in 0..<m where state[j] == 0 { theta[j] = z[j] }
      // KKT: at a lower bound the gradient Gθ − h must be ≥ 0, at an upper bound ≤ 0.
      var release = -1
      var worst = tolerance
      for j in 0..<m where state[j] != 0 {
        var gradient = -h[j]
        for c in 0..<m { gradient += gram[g + j * m + c] * theta[c] }
        let violation = state[j] < 0 ? -gradient : gradient
        if violation > worst {
          worst = violation
          release = j
        }
      }
      if release < 0 { return }
      state[release] = 0
    }
  }

}
