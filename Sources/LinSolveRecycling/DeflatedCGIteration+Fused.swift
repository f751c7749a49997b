import LinSolveCore

// Deflated CG in the fused form (a ``SparseMatrix`` with no preconditioner or a diagonal one):
// `p = p̃ − W·ν`, `x = x̃ − W·ξ`, `μ` by its recurrence; three threaded passes per iteration,
// one over `C` (see ``DeflatedCG``).

extension DeflatedCGIteration {
  /// The iteration from `x`, then `x = x̃ − W·ξ`; returns why it stopped.
  ///
  /// - Parameter scale: `M⁻¹ = diag(scale)`; `nil` for no preconditioner.
  mutating func runFused(matrix: SparseMatrix, scale: UnsafePointer<Double>?) -> StopReason {
    let reason = iterateFused(matrix: matrix, scale: scale)
    if kc > 0 {
      // x = x̃ − W·ξ
      _ = watch.lap()
      BlockKernels.product(w, ld: n, rows: n, cols: kc, xi, into: x.baseAddress!, alpha: -1, accumulate: true)
      projectionSeconds += watch.lap()
    }
    return reason
  }

  private mutating func iterateFused(matrix: SparseMatrix, scale: UnsafePointer<Double>?) -> StopReason {
    var rr = initialResidual()
    if let stop = tracker.start(residualNorm: rr.squareRoot()) { return stop }

    // z₀ = M⁻¹r₀, μ₀ = Cᵀz₀;  p̃₀ = z₀, ν₀ = μ₀
    var rho = scaleAndProject(rr, scale: scale)
    if !(rho > 0) { return Self.notPositive(rho) }
    record(0, rho: rho)
    var current = s > 0 ? directions[0] : p
    if let scale {
      Self.scaled(r, by: scale, into: current)
    } else {
      Vector.copy(UnsafeBufferPointer(r), current)
    }
    for i in 0..<kc { nu[i] = mu[i] }

    var j = 0
    while true {
      // q ← A p̃ − C ν with pᵀq = p̃ᵀq, t ← CᵀM⁻¹q
      let inWindow = j < s
      let qj = inWindow ? products[j] : q
      _ = watch.lap()
      let pq = BlockKernels.deflatedProduct(
        qj.baseAddress!, c, ld: n, rows: n, cols: kc, nu, scale: scale, UnsafePointer(current.baseAddress!),
        into: t, matrix: matrix)
      projectionSeconds += watch.lap()
      matvecs += 1
      if !(pq > 0) { return Self.notPositive(pq) }
      let alpha = rho / pq
      if inWindow {
        recordStep(j, alpha: alpha, curvature: pq)
        for i in 0..<kc { recorded.nus[j * kc + i] = nu[i] }
      }
      // x̃ ← x̃ + αp̃, r ← r − αq with rᵀr and rᵀM⁻¹r;  ξ ← ξ + αν, μ₊ = Cᵀz₊ = μ − α·CᵀM⁻¹q
      let (rrNew, rz) = BlockKernels.deflatedSolutionUpdate(
        alpha: alpha, UnsafePointer(current.baseAddress!), UnsafePointer(qj.baseAddress!),
        x: x.baseAddress!, r: r.baseAddress!, scale: scale, rows: n, cols: kc)
      rr = rrNew
      var rhoNext: Double? = rz
      for i in 0..<kc {
        xi[i] += alpha * nu[i]
        mu[i] -= alpha * t[i]
      }
      j += 1
      if reprojects(after: j) {
        project(deferred: true)
        rr = Vector.dot(UnsafeBufferPointer(r), UnsafeBufferPointer(r))
        rhoNext = nil  // r changed: rᵀM⁻¹r and μ are computed afresh
      }
      // ρ₊ = rᵀM⁻¹r and μ from the recurrences unless r was re-projected
      let known = rhoNext
      if let stop = checkStop(j, rr: rr, nextRho: { [rr] in $0.nextRho(known, rr: rr, scale: scale) }) {
        return stop
      }
      let rhoNew = nextRho(known, rr: rr, scale: scale)
      if !(rhoNew > 0) { return Self.notPositive(rhoNew) }
      record(j, rho: rhoNew)
      let beta = rhoNew / rho
      let next = j < s ? directions[j] : p
      // p̃ ← M⁻¹r + βp̃;  ν ← βν + μ
      BlockKernels.deflatedDirection(
        UnsafePointer(r.baseAddress!), scale: scale, beta: beta, UnsafePointer(current.baseAddress!),
        into: next.baseAddress!, rows: n, cols: kc)
      for i in 0..<kc { nu[i] = beta * nu[i] + mu[i] }
      current = next
      rho = rhoNew
    }
  }

  /// `ρ₊`: `known` (from the solution update's pass) when there is one, else computed afresh.
  private mutating func nextRho(_ known: Double?, rr: Double, scale: UnsafePointer<Double>?) -> Double {
    guard let known else { return scaleAndProject(rr, scale: scale) }
    if scale != nil { preconditionerApplications += 1 }
    return known
  }

  /// `μ ← CᵀM⁻¹r` computed afresh; returns `rᵀM⁻¹r` (`rr` without a preconditioner). No z is
  /// kept: `scale ∘ r` goes to `q`, which is free whenever this is called.
  private mutating func scaleAndProject(_ rr: Double, scale: UnsafePointer<Double>?) -> Double {
    var rho = rr
    var zp = UnsafePointer(r.baseAddress!)
    if let scale {
      Self.scaled(r, by: scale, into: q)
      zp = UnsafePointer(q.baseAddress!)
      rho = Vector.dot(UnsafeBufferPointer(r), UnsafeBufferPointer(q))
      preconditionerApplications += 1
    }
    projectImage(of: zp)
    return rho
  }

  /// `out ← r ∘ s`.
  static func scaled(
    _ r: UnsafeMutableBufferPointer<Double>, by s: UnsafePointer<Double>, into out: UnsafeMutableBufferPointer<Double>
  ) {
    guard let rp = r.baseAddress, let op = out.baseAddress else { return }
    Parallel.forEachChunk(r.count) { range in
      for i in range { op[i] = rp[i] * s[i] }
    }
  }
}
