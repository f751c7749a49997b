import LinSolveCore

// Deflated CG in the general form: any operator and preconditioner; two block passes per
// iteration, `μ = Cᵀz` and then `p ← z + βp − W·μ` fused into one.

extension DeflatedCGIteration {
  /// The iteration from `x`; returns why it stopped.
  mutating func runGeneral() -> StopReason {
    var rr = initialResidual()
    if let stop = tracker.start(residualNorm: rr.squareRoot()) { return stop }

    // z₀ = M⁻¹r₀, μ₀ = Cᵀz₀;  p₀ = z₀ − W·μ₀
    var rho = preconditionAndProject(rr)
    if !(rho > 0) { return Self.notPositive(rho) }
    record(0, rho: rho)
    var current = s > 0 ? directions[0] : p
    Vector.copy(UnsafeBufferPointer(z), current)
    if kc > 0 {
      _ = watch.lap()
      BlockKernels.product(w, ld: n, rows: n, cols: kc, mu, into: current.baseAddress!, alpha: -1, accumulate: true)
      projectionSeconds += watch.lap()
    }

    var j = 0
    while true {
      // q ← A p with pᵀq
      let inWindow = j < s
      let qj = inWindow ? products[j] : q
      let pq = a.multiplyDot(UnsafeBufferPointer(current), into: qj)
      matvecs += 1
      if !(pq > 0) { return Self.notPositive(pq) }
      let alpha = rho / pq
      if inWindow { recordStep(j, alpha: alpha, curvature: pq) }
      // x ← x + αp;  r ← r − αq
      rr = Fused.updateSolutionAndResidual(
        alpha: alpha, p: UnsafeBufferPointer(current), q: UnsafeBufferPointer(qj), x: x, r: r)
      j += 1
      if reprojects(after: j) {
        project(deferred: false)
        rr = Vector.dot(UnsafeBufferPointer(r), UnsafeBufferPointer(r))
      }
      // z ← M⁻¹r, ρ₊ = rᵀz, μ ← Cᵀz
      if let stop = checkStop(j, rr: rr, nextRho: { [rr] in $0.preconditionAndProject(rr) }) { return stop }
      let rhoNew = preconditionAndProject(rr)
      if !(rhoNew > 0) { return Self.notPositive(rhoNew) }
      record(j, rho: rhoNew)
      let beta = rhoNew / rho
      let next = j < s ? directions[j] : p
      if kc > 0 {
        // p ← z + βp − W·μ
        _ = watch.lap()
        BlockKernels.deflatedUpdate(
          z.baseAddress!, beta: beta, current.baseAddress!, w, ld: n, rows: n, cols: kc, mu,
          into: next.baseAddress!)
        projectionSeconds += watch.lap()
      } else if j <= s {
        Self.sum(UnsafeBufferPointer(z), beta, UnsafeBufferPointer(current), into: next)
      } else {
        Vector.xpby(UnsafeBufferPointer(z), beta, current)
      }
      current = next
      rho = rhoNew
    }
  }

  /// `z ← M⁻¹r` and `μ ← Cᵀz` computed afresh; returns `rᵀz` (`rr` without a preconditioner).
  mutating func preconditionAndProject(_ rr: Double) -> Double {
    var rho = rr
    var zp = UnsafePointer(r.baseAddress!)
    if let preconditioner {
      preconditioner.apply(UnsafeBufferPointer(r), into: z)
      preconditionerApplications += 1
      zp = UnsafePointer(z.baseAddress!)
      rho = Vector.dot(UnsafeBufferPointer(r), UnsafeBufferPointer(z))
    }
    projectImage(of: zp)
    return rho
  }

  /// `out ← x + β·y`.
  static func sum(
    _ x: UnsafeBufferPointer<Double>, _ beta: Double, _ y: UnsafeBufferPointer<Double>,
    into out: UnsafeMutableBufferPointer<Double>
  ) {
    guard let xp = x.baseAddress, let yp = y.baseAddress, let op = out.baseAddress else { return }
    Parallel.forEachChunk(x.count) { range in
      for i in range { op[i] = xp[i] + beta * yp[i] }
    }
  }
}
