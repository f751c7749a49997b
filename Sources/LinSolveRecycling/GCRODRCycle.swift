import LinSolveCore

// One GCRO-DR solve: the Arnoldi cycles with the projection against `C` and the Givens
// least-squares problem (see ``GCRODR``); the refresh of the space is in `GCRODRCycle+Refresh`.

/// The work of one GCRO-DR solve: the Arnoldi basis, the small dense matrices of a cycle, and
/// the counters.
struct GCRODRCycle<Operator: LinearOperator> {
  let n: Int
  let m: Int
  let k: Int
  let a: Operator
  let preconditioner: (any Preconditioner)?
  let updatesSpace: Bool
  /// `V` (columns 0...m, contiguous with leading dimension n), then `r`, `t`, `z`.
  let basis: UnsafeMutablePointer<Double>
  let r: UnsafeMutableBufferPointer<Double>
  let t: UnsafeMutableBufferPointer<Double>
  let z: UnsafeMutableBufferPointer<Double>
  var matvecs = 0
  var preconditionerApplications = 0
  /// Whether the space was refreshed by this solve.
  var updated = false
  private var watch = RecyclingStopwatch()

  init(
    n: Int, m: Int, k: Int, a: Operator, preconditioner: (any Preconditioner)?, updatesSpace: Bool,
    vectors: [UnsafeMutableBufferPointer<Double>]
  ) {
    self.n = n
    self.m = m
    self.k = k
    self.a = a
    self.preconditioner = preconditioner
    self.updatesSpace = updatesSpace
    basis = vectors[0].baseAddress!
    r = vectors[m + 1]
    t = vectors[m + 2]
    z = vectors[m + 3]
  }

  func column(_ j: Int) -> UnsafeMutableBufferPointer<Double> {
    UnsafeMutableBufferPointer(start: basis + j * n, count: n)
  }

  /// `out ← A·M⁻¹·v`.
  mutating func applyOperator(_ v: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<Double>) {
    if let preconditioner {
      preconditioner.apply(v, into: z)
      preconditionerApplications += 1
      a.apply(UnsafeBufferPointer(z), into: out)
    } else {
      a.apply(v, into: out)
    }
    matvecs += 1
  }

  /// `x ← x + M⁻¹·t`.
  mutating func addPreconditioned(_ x: UnsafeMutableBufferPointer<Double>) {
    if let preconditioner {
      preconditioner.apply(UnsafeBufferPointer(t), into: z)
      preconditionerApplications += 1
      Vector.axpy(1, UnsafeBufferPointer(z), x)
    } else {
      Vector.axpy(1, UnsafeBufferPointer(t), x)
    }
  }

  /// `r ← b − A·x`, returns `‖r‖`.
  mutating func trueResidual(b: UnsafeBufferPointer<Double>, x: UnsafeMutableBufferPointer<Double>) -> Double {
    a.apply(UnsafeBufferPointer(x), into: r)
    matvecs += 1
    return KrylovKernels.norm(squares: Fused.residualFromProduct(b: b, r: r), UnsafeBufferPointer(r))
  }

  mutating func run(
    b: UnsafeBufferPointer<Double>, x: UnsafeMutableBufferPointer<Double>, space: inout RecycleSpace,
    tracker: inout ConvergenceTracker, stats: inout RecycleStatistics
  ) -> StopReason {
    var residualNorm = trueResidual(b: b, x: x)

    // Small dense arrays, allocated once per solve (column-major).
    let ld = m + 1
    var h = [Double](repeating: 0, count: ld * m)  // H̄ as computed (for G)
    var rotated = [Double](repeating: 0, count: ld * m)  // H̄ under the Givens rotations (R)
    var bm = [Double](repeating: 0, count: max(1, (k + 1) * m))  // Bₘ = CᵀBV, kc × steps
    var cosines = [Double](repeating: 0, count: m)
    var sines = [Double](repeating: 0, count: m)
    var g = [Double](repeating: 0, count: m + 1)
    var y = [Double](repeating: 0, count: m)
    var coefficients = [Double](repeating: 0, count: k + 2)  // Cᵀr, then Cᵀr − Bₘy
    var scratch = [Double](repeating: 0, count: max(k + 2, m + 1))
    var first = true
    var cycleStartNorm = residualNorm

    while true {
      let kc = space.dimension
      let steps = m - kc
      // c ← Cᵀr;  v₀ ← r − C·c;  β ← ‖v₀‖
      let v0 = column(0)
      Vector.copy(UnsafeBufferPointer(r), v0)
      if kc > 0 {
        projectOut(space.c, kc: kc, from: v0, coefficients: &coefficients, stats: &stats)
      }
      let beta = Vector.norm(UnsafeBufferPointer(v0))
      if first {
        // The monitor's k = 0 sees the residual after the projection onto C.
        first = false
        if let stop = tracker.start(residualNorm: beta) {
          if kc > 0 && stop == .converged {
            addRecycled(kc: kc, space: space, coefficients: coefficients, x: x)
          }
          return stop
        }
        cycleStartNorm = beta
      }
      if !beta.isFinite { return .nonFinite }
      if beta == 0 {
        addRecycled(kc: kc, space: space, coefficients: coefficients, x: x)
        return .converged
      }
      KrylovKernels.divide(v0, by: beta)
      for i in 0...m { g[i] = 0 }
      g[0] = beta
      var done = 0  // Arnoldi steps completed in this cycle
      var innerStop: StopReason? = nil

      for j in 0..<steps {
        let w = column(j + 1)
        applyOperator(UnsafeBufferPointer(column(j)), into: w)
        let normBefore = Vector.norm(UnsafeBufferPointer(w))
        // w ← (I − CCᵀ)(I − VVᵀ) w, twice if needed; Bₘ[:, j] and H̄[0...j, j] accumulate.
        var hNext = 0.0
        for pass in 0..<2 {
          projectOut(space.c, kc: kc, from: w, coefficients: &scratch, stats: &stats)
          for i in 0..<kc { bm[i + j * (k + 1)] = (pass == 0 ? 0 : bm[i + j * (k + 1)]) + scratch[i] }
          scratch.withUnsafeMutableBufferPointer { sp in
            DenseKernels.gemvT(rows: n, cols: j + 1, basis, lda: n, w.baseAddress!, into: sp.baseAddress!)
            DenseKernels.gemvN(rows: n, cols: j + 1, basis, lda: n, sp.baseAddress!, into: w.baseAddress!, alpha: -1, beta: 1)
          }
          for i in 0...j { h[i + j * ld] = (pass == 0 ? 0 : h[i + j * ld]) + scratch[i] }
          hNext = Vector.norm(UnsafeBufferPointer(w))
          if hNext >= 0.7 * normBefore { break }
        }
        h[j + 1 + j * ld] = hNext
        let happy = hNext <= Double.ulpOfOne * normBefore

        // Rotate the new column of H̄ and eliminate h_{j+1,j}.
        for i in 0...(j + 1) { rotated[i + j * ld] = h[i + j * ld] }
        for i in 0..<j {
          let hi = rotated[i + j * ld], hi1 = rotated[i + 1 + j * ld]
          rotated[i + j * ld] = cosines[i] * hi + sines[i] * hi1
          rotated[i + 1 + j * ld] = -sines[i] * hi + cosines[i] * hi1
        }
        let diagonal = rotated[j + j * ld]
        let rho = KrylovKernels.hypot(diagonal, hNext)
        if rho == 0 {
          innerStop = tracker.step(residualNorm: abs(g[j])) ?? .breakdown
          break
        }
        cosines[j] = diagonal / rho
        sines[j] = hNext / rho
        rotated[j + j * ld] = rho
        rotated[j + 1 + j * ld] = 0
        g[j + 1] = -sines[j] * g[j]
        g[j] = cosines[j] * g[j]
        done = j + 1
        if hNext > 0 { KrylovKernels.divide(w, by: hNext) }
        innerStop = tracker.step(residualNorm: abs(g[j + 1]))
        if innerStop != nil || happy { break }
      }

      if done > 0 {
        // y ← R⁻¹g;  a ← c − Bₘy;  x ← x + M⁻¹(U·a + V·y)
        for i in stride(from: done - 1, through: 0, by: -1) {
          var s = g[i]
          for l in (i + 1)..<done { s -= rotated[i + l * ld] * y[l] }
          y[i] = s / rotated[i + i * ld]
        }
        for i in 0..<kc {
          var s = coefficients[i]
          for l in 0..<done { s -= bm[i + l * (k + 1)] * y[l] }
          coefficients[i] = s
        }
        y.withUnsafeBufferPointer { yp in
          DenseKernels.gemvN(rows: n, cols: done, basis, lda: n, yp.baseAddress!, into: t.baseAddress!)
        }
        if kc > 0 {
          space.u.withUnsafeBufferPointer { ub in
            coefficients.withUnsafeBufferPointer { cp in
              DenseKernels.gemvN(rows: n, cols: kc, ub.baseAddress!, lda: n, cp.baseAddress!, into: t.baseAddress!, beta: 1)
            }
          }
        }
        addPreconditioned(x)
        // r ← V·(βe₁ − H̄y), the residual of the new iterate.
        for i in 0...done {
          var s = i == 0 ? beta : 0
          for l in max(0, i - 1)..<done { s -= h[i + l * ld] * y[l] }
          scratch[i] = s
        }
        scratch.withUnsafeBufferPointer { sp in
          DenseKernels.gemvN(rows: n, cols: done + 1, basis, lda: n, sp.baseAddress!, into: r.baseAddress!)
        }
        residualNorm = abs(g[done])
        if updatesSpace && innerStop != .nonFinite {
          _ = watch.lap()
          refresh(space: &space, kc: kc, steps: done, h: h, bm: bm, stats: &stats)
          stats.updateSeconds += watch.lap()
        }
      }

      if let stop = innerStop, stop != .converged { return stop }
      if innerStop == .converged || residualNorm <= tracker.threshold {
        // Check the true residual; continue from it if the recurrence drifted.
        residualNorm = trueResidual(b: b, x: x)
        if !residualNorm.isFinite { return .nonFinite }
        if residualNorm <= tracker.threshold { return .converged }
        if tracker.iteration >= tracker.criterion.maxIterations { return .maxIterations }
      }
      if done == 0 { return .breakdown }
      if !(residualNorm < (1 - 1e-12) * cycleStartNorm) { return .stagnation }
      cycleStartNorm = residualNorm
    }
  }

  /// `c ← Cᵀv` (the first `kc` entries of `coefficients`), `v ← v − C·c`; timed as projection.
  private mutating func projectOut(
    _ c: [Double], kc: Int, from v: UnsafeMutableBufferPointer<Double>, coefficients: inout [Double],
    stats: inout RecycleStatistics
  ) {
    _ = watch.lap()
    c.withUnsafeBufferPointer { cb in
      coefficients.withUnsafeMutableBufferPointer { cp in
        DenseKernels.gemvT(rows: n, cols: kc, cb.baseAddress!, lda: n, v.baseAddress!, into: cp.baseAddress!)
        DenseKernels.gemvN(rows: n, cols: kc, cb.baseAddress!, lda: n, cp.baseAddress!, into: v.baseAddress!, alpha: -1, beta: 1)
      }
    }
    stats.projectionSeconds += watch.lap()
  }

  /// `x ← x + M⁻¹U·c` (the initial projection when it alone solves the system).
  private mutating func addRecycled(
    kc: Int, space: RecycleSpace, coefficients: [Double], x: UnsafeMutableBufferPointer<Double>
  ) {
    space.u.withUnsafeBufferPointer { ub in
      coefficients.withUnsafeBufferPointer { cp in
        DenseKernels.gemvN(rows: n, cols: kc, ub.baseAddress!, lda: n, cp.baseAddress!, into: t.baseAddress!)
      }
    }
    addPreconditioned(x)
  }
}
