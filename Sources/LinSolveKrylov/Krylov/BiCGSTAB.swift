import LinSolveCore
import LinSolveDirect

/// The biconjugate gradient stabilized method BiCGSTAB (van der Vorst 1992) for general
/// square `A`, optionally right-preconditioned.
///
/// A standard implementation (Saad, *Iterative Methods for Sparse Linear Systems*, Alg. 7.7,
/// with right preconditioning). The non-standard points:
/// - **Right preconditioning** (`p̂ = M⁻¹p`, `ŝ = M⁻¹s`): the residual `r` the method updates and
///   tracks is the unpreconditioned `b − A x`, so rtol means the same with and without `M`.
/// - The shadow residual is `r̂ = r₀ / ‖r₀‖` rather than `r₀`: the same iteration in exact
///   arithmetic, but `ρ = r̂ᵀr` then scales like `‖r‖`, not `‖r‖²`, and cannot overflow or
///   underflow for a right-hand side scaled by 10^±150. `ω = tᵀs / tᵀt` falls back to a
///   rescaled computation when `tᵀt` leaves the safe range.
/// - **Half step**: when `‖s‖ = ‖r − αAp̂‖` already meets the threshold, `x ← x + αp̂` and the
///   solve stops there (as SciPy does); that half iteration counts as an iteration.
/// - **Breakdowns** stop the solve with ``StopReason/breakdown`` (unless it has converged):
///   `ρ = r̂ᵀr = 0`, `r̂ᵀv = 0`, `ω = 0`, or `A ŝ = 0` for `s ≠ 0`. The tests are exact zeros;
///   near-breakdowns are not detected.
/// - The residual norm is tracked after each full step (`‖r‖₂`, recursive).
/// - Each iteration makes four passes over vectors besides `M⁻¹`: `p ← r + β(p − ωv)`;
///   `s ← r − αv` with `‖s‖²`; and `x ← x + αp̂ + ωŝ`, `r ← s − ωt` with `‖r‖²` and the next
///   `ρ`; for a ``SparseMatrix`` the products `v = Ap̂` and `t = Aŝ` are fused with `r̂ᵀv` and
///   with `tᵀs`, `tᵀt`.
///
/// Reference: H. A. van der Vorst, "Bi-CGSTAB: A fast and smoothly converging variant of
/// Bi-CG for the solution of nonsymmetric linear systems", SIAM J. Sci. Stat. Comput. 13(2),
/// 631–644, 1992.
///
/// ```swift
/// let bicgstab = BiCGSTAB(preconditioner: try IncompleteLU(A))
/// let result = try bicgstab.solve(A, b)
/// ```
///
/// Memory: 5 vectors of length n (`r`, `r̂`, `p`, `v`, `t`) in ``workspace``, 7 with a
/// preconditioner (`p̂`, `ŝ`). Two products with `A` and two with `M⁻¹` per iteration.
///
/// Not `Sendable`: it holds a class ``Workspace`` (scratch shared by its copies) and an
/// `any Preconditioner` (a class with scratch of its own); build one solver per thread, each
/// with its own workspace and preconditioner.
public struct BiCGSTAB: IterativeSolver, VerifiedKrylovMethod {
  public var stopping: StoppingCriterion
  /// `M`, already set up for the matrix, applied on the right; `nil` for plain BiCGSTAB.
  public var preconditioner: (any Preconditioner)?
  public var recordHistory: Bool
  /// Scratch vectors, reused by every solve with this value (and its copies).
  public var workspace: Workspace

  public init(
    stopping: StoppingCriterion = StoppingCriterion(), preconditioner: (any Preconditioner)? = nil,
    recordHistory: Bool = false, workspace: Workspace = Workspace()
  ) {
    self.stopping = stopping
    self.preconditioner = preconditioner
    self.recordHistory = recordHistory
    self.workspace = workspace
  }

  /// Solves `A x = b` from `x0` (zero when `nil`).
  ///
  /// - Throws: ``LinSolveError`` for a non-square `A`, sizes that disagree, or NaN/Inf in
  ///   `b` or `x0`. Non-convergence is a result with a ``StopReason``.
  public func solve(
    _ a: some LinearOperator, _ b: [Double], x0: [Double]? = nil, monitor: SolveMonitor? = nil
  ) throws -> SolveResult {
    try verifiedSolve(a, b, x0: x0, monitor: monitor)
  }

  /// One solve with the given criterion (``VerifiedSolve`` scales and restarts around it).
  func attempt(
    _ a: some LinearOperator, _ b: [Double], x0: [Double]?, stopping: StoppingCriterion, monitor: SolveMonitor?
  ) throws -> SolveResult {
    var x = try SolverInput.validate(a, b, x0: x0, stopping: stopping)
    let n = a.rows
    let vectors = workspace.vectors(preconditioner == nil ? 5 : 7, length: n)
    let r = vectors[0], rHat = vectors[1], p = vectors[2], v = vectors[3], t = vectors[4]
    let pHat = preconditioner == nil ? p : vectors[5]
    let sHat = preconditioner == nil ? r : vectors[6]  // s lives in r
    var tracker = ConvergenceTracker(
      criterion: stopping, rhsNorm: Vector.norm(b), monitor: monitor, recordHistory: recordHistory)
    var matvecs = 0

    let reason: StopReason = b.withUnsafeBufferPointer { b in
      x.withUnsafeMutableBufferPointer { x in
        // r ← b − A x
        a.apply(UnsafeBufferPointer(x), into: r)
        matvecs += 1
        var residualNorm = KrylovKernels.norm(
          squares: Fused.residualFromProduct(b: b, r: r), UnsafeBufferPointer(r))
        if let stop = tracker.start(residualNorm: residualNorm) { return stop }

        // r̂ ← r / ‖r‖;  ρ ← r̂ᵀr;  p ← r
        Vector.copy(UnsafeBufferPointer(r), rHat)
        KrylovKernels.divide(rHat, by: residualNorm)
        var rho = Vector.dot(UnsafeBufferPointer(rHat), UnsafeBufferPointer(r))
        Vector.copy(UnsafeBufferPointer(r), p)
        var rhoPrevious = 1.0, alpha = 0.0, omega = 0.0
        var first = true

        while true {
          if !first {
            // p ← r + β(p − ωv)
            Self.updateDirection(
              r: UnsafeBufferPointer(r), v: UnsafeBufferPointer(v), p: p,
              beta: (rho / rhoPrevious) * (alpha / omega), omega: omega)
          }
          first = false

          // p̂ ← M⁻¹p;  v ← A p̂ with σ = r̂ᵀv;  α ← ρ / σ
          preconditioner?.apply(UnsafeBufferPointer(p), into: pHat)
          let sigma = a.multiplyDots(UnsafeBufferPointer(pHat), into: v, with: UnsafeBufferPointer(rHat)).zq
          matvecs += 1
          if sigma == 0 { return .breakdown }
          if !sigma.isFinite { return .nonFinite }
          alpha = rho / sigma

          // s ← r − αv (in r), with ‖s‖²
          let ss = KrylovKernels.axpyDot(-alpha, UnsafeBufferPointer(v), r, dot: UnsafeBufferPointer(r))
          let sNorm = KrylovKernels.norm(squares: ss, UnsafeBufferPointer(r))
          if sNorm <= tracker.threshold {
            // Converged at the half step: x ← x + αp̂.
            Vector.axpy(alpha, UnsafeBufferPointer(pHat), x)
            return tracker.step(residualNorm: sNorm) ?? .converged
          }

          // ŝ ← M⁻¹s;  t ← A ŝ with tᵀs and tᵀt;  ω ← tᵀs / tᵀt
          preconditioner?.apply(UnsafeBufferPointer(r), into: sHat)
          let (ts, tt) = a.multiplyDots(UnsafeBufferPointer(sHat), into: t, with: UnsafeBufferPointer(r))
          matvecs += 1
          var tZero = false
          if tt.isFinite && tt > 1e-280 && tt < 1e280 {
            omega = ts / tt
          } else {
            // tᵀt over- or underflowed: redo both products on rescaled vectors.
            let scaled = KrylovKernels.scaledDots(UnsafeBufferPointer(t), UnsafeBufferPointer(r))
            tZero = scaled.xScale == 0
            omega = scaled.xy / scaled.xx * (scaled.yScale / scaled.xScale)
          }
          if tZero {
            // A ŝ = 0 with s ≠ 0: A M⁻¹ is singular. Keep the half step.
            Vector.axpy(alpha, UnsafeBufferPointer(pHat), x)
            return tracker.step(residualNorm: sNorm) ?? .breakdown
          }

          // x ← x + αp̂ + ωŝ;  r ← s − ωt;  ‖r‖² and ρ_new = r̂ᵀr in the same pass
          let (rr, rhoNew) = Self.updateSolutionAndResidual(
            alpha: alpha, omega: omega, pHat: UnsafeBufferPointer(pHat), sHat: UnsafeBufferPointer(sHat),
            t: UnsafeBufferPointer(t), rHat: UnsafeBufferPointer(rHat), x: x, r: r)
          residualNorm = KrylovKernels.norm(squares: rr, UnsafeBufferPointer(r))
          if let stop = tracker.step(residualNorm: residualNorm) { return stop }
          if omega == 0 || rhoNew == 0 { return .breakdown }
          if !omega.isFinite || !rhoNew.isFinite { return .nonFinite }
          rhoPrevious = rho
          rho = rhoNew
        }
      }
    }
    return SolveResult.finishing(
      x: x, a: a, b: b, reason: reason, tracker: tracker, matvecs: matvecs)
  }

  /// `p ← r + β(p − ωv)`, one pass.
  private static func updateDirection(
    r: UnsafeBufferPointer<Double>, v: UnsafeBufferPointer<Double>,
    p: UnsafeMutableBufferPointer<Double>, beta: Double, omega: Double
  ) {
    guard let rp = r.baseAddress, let vp = v.baseAddress, let pp = p.baseAddress else { return }
    Parallel.forEachChunk(p.count) { range in
      for i in range { pp[i] = rp[i] + beta * (pp[i] - omega * vp[i]) }
    }
  }

  /// `x ← x + αp̂ + ωŝ`, `r ← s − ωt` (`s` is in `r`, and may also be `ŝ`); returns
  /// `(rᵀr, r̂ᵀr)`.
  private static func updateSolutionAndResidual(
    alpha: Double, omega: Double, pHat: UnsafeBufferPointer<Double>,
    sHat: UnsafeBufferPointer<Double>, t: UnsafeBufferPointer<Double>,
    rHat: UnsafeBufferPointer<Double>, x: UnsafeMutableBufferPointer<Double>,
    r: UnsafeMutableBufferPointer<Double>
  ) -> (rr: Double, rho: Double) {
    guard let pp = pHat.baseAddress, let sp = sHat.baseAddress, let tp = t.baseAddress,
      let hp = rHat.baseAddress, let xp = x.baseAddress, let rp = r.baseAddress
    else { return (0, 0) }
    let sums = Parallel.sum2(r.count) { range in
      var rr = 0.0, rho = 0.0
      for i in range {
        xp[i] += alpha * pp[i] + omega * sp[i]  // ŝ read before r (= s) is overwritten
        let ri = rp[i] - omega * tp[i]
        rp[i] = ri
        rr += ri * ri
        rho += hp[i] * ri
      }
      return (rr, rho)
    }
    return (sums.0, sums.1)
  }
}

// MARK: - SpMV fused with two inner products

extension SparseMatrix {
  /// `q = A·p` and returns `(zᵀq, qᵀq)`, in one pass over `A`.
  fileprivate func multiplyDotsFused(
    _ p: UnsafeBufferPointer<Double>, into q: UnsafeMutableBufferPointer<Double>,
    with z: UnsafeBufferPointer<Double>
  ) -> (zq: Double, qq: Double) {
    precondition(p.count == columns && q.count == rows && z.count == rows, "multiplyDots: sizes")
    guard let qp = q.baseAddress, let pp = p.baseAddress, let zp = z.baseAddress else { return (0, 0) }
    return rowPointers.withUnsafeBufferPointer { rp in
      columnIndices.withUnsafeBufferPointer { cp in
        values.withUnsafeBufferPointer { vp in
          let rp = rp.baseAddress!
          guard let cp = cp.baseAddress, let vp = vp.baseAddress else {
            qp.update(repeating: 0, count: rows)
            return (0, 0)
          }
          let sums = Parallel.sum2(rows) { range in
            var zq = 0.0, qq = 0.0
            for i in range {
              let s = SparseMatrix.rowDot(i, rp, cp, vp, pp)
              qp[i] = s
              zq += zp[i] * s
              qq += s * s
            }
            return (zq, qq)
          }
          return (sums.0, sums.1)
        }
      }
    }
  }
}

extension LinearOperator {
  /// `q = A·p` with `zᵀq` and `qᵀq`, fused when `A` is a ``SparseMatrix``.
  fileprivate func multiplyDots(
    _ p: UnsafeBufferPointer<Double>, into q: UnsafeMutableBufferPointer<Double>,
    with z: UnsafeBufferPointer<Double>
  ) -> (zq: Double, qq: Double) {
    if let a = self as? SparseMatrix { return a.multiplyDotsFused(p, into: q, with: z) }
    apply(p, into: q)
    let (zq, qq) = KrylovKernels.dotAndSquares(z, UnsafeBufferPointer(q))
    return (zq, qq)
  }
}
