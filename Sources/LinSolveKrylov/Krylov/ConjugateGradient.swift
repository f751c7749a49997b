import LinSolveCore
import LinSolveDirect

/// The conjugate gradient method (Hestenes & Stiefel 1952) for symmetric positive definite
/// `A`, optionally preconditioned (PCG, left preconditioning with `z = M⁻¹r`).
///
/// Standard except for three points:
/// - `pᵀAp ≤ 0` (or `rᵀz ≤ 0` with a preconditioner) stops the solve with reason
///   ``StopReason/indefinite`` instead of producing garbage;
/// - the stopping test uses the unpreconditioned recursive residual `‖r_k‖₂`, so rtol means
///   the same with and without a preconditioner; the true residual is recomputed at the end;
/// - each iteration makes three passes over memory: `q = Ap` fused with `pᵀq`, `r ← r − αq`
///   fused with `rᵀr`, and `x ← x + αp` fused with `p ← z + βp` (x is updated one pass later
///   than in the textbook, with the same numbers, so `x` and `p` are each streamed once); a
///   diagonal preconditioner (``DiagonalPreconditioner``, e.g. Jacobi) is fused into the second
///   pass, any other computes `z = M⁻¹r` with
///   `rᵀz` (``Preconditioner/applyAndDot(_:into:)``).
///
/// ```swift
/// let pcg = ConjugateGradient(preconditioner: try IncompleteCholesky(A))
/// let result = try pcg.solve(A, b)
/// ```
///
/// Memory: 4 vectors of length n (5 with a preconditioner), kept in ``workspace``.
///
/// Not `Sendable`: it holds a class ``Workspace`` (scratch shared by its copies) and an
/// `any Preconditioner` (a class with scratch of its own); build one solver per thread, each
/// with its own workspace and preconditioner.
public struct ConjugateGradient: IterativeSolver {
  public var stopping: StoppingCriterion
  /// `M`, already set up for the matrix; `nil` for plain CG.
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
    try run(a, b, x0: x0, initialResidual: nil, monitor: monitor)
  }

  /// Solves `A x = b` from `x0`, starting from the caller's `r0 = b − A·x0` instead of computing
  /// it (one product fewer). `r0` is trusted: a wrong one gives a wrong recursion, although the
  /// reported true residual is still recomputed from `x`.
  ///
  /// - Throws: as ``solve(_:_:x0:monitor:)``; also a mismatch when `r0` does not have `A.rows`
  ///   entries.
  public func solve(
    _ a: some LinearOperator, _ b: [Double], x0: [Double], initialResidual r0: [Double], monitor: SolveMonitor? = nil
  ) throws -> SolveResult {
    guard r0.count == a.rows else {
      throw LinSolveError.dimensionMismatch(expected: a.rows, actual: r0.count, what: "initial residual r0")
    }
    return try run(a, b, x0: x0, initialResidual: r0, monitor: monitor)
  }

  private func run(
    _ a: some LinearOperator, _ b: [Double], x0: [Double]?, initialResidual r0: [Double]?, monitor: SolveMonitor?
  ) throws -> SolveResult {
    try VerifiedSolve.run(a, b, x0: x0, stopping: stopping, monitor: monitor) { scaled, t, b, x0, stopping, monitor, original in
      if let scaled {
        // M⁻¹ was set up for A; the solve runs on tA.
        let m = preconditioner.map { ScaledPreconditioner($0, by: 1 / t) }
        return try attempt(scaled, b, x0: x0, initialResidual: nil, preconditioner: m, stopping: stopping, monitor: monitor)
      }
      return try attempt(
        a, b, x0: x0, initialResidual: original ? r0 : nil, preconditioner: preconditioner, stopping: stopping,
        monitor: monitor)
    }
  }

  private func attempt(
    _ a: some LinearOperator, _ b: [Double], x0: [Double]?, initialResidual r0: [Double]?,
    preconditioner: (any Preconditioner)?, stopping: StoppingCriterion, monitor: SolveMonitor?
  ) throws -> SolveResult {
    var x = try SolverInput.validate(a, b, x0: x0, stopping: stopping)
    let n = a.rows
    let v = workspace.vectors(preconditioner == nil ? 3 : 4, length: n)
    let r = v[0], p = v[1], q = v[2]
    let z = preconditioner == nil ? r : v[3]
    // A diagonal M (Jacobi) is fused into the residual pass (the same three passes per
    // iteration as plain CG).
    let jacobiScale: [Double]? =
      if let scaled = preconditioner as? ScaledPreconditioner {
        (scaled.base as? any DiagonalPreconditioner)?.inverseDiagonal.map { $0 * scaled.factor }
      } else {
        (preconditioner as? any DiagonalPreconditioner)?.inverseDiagonal
      }
    if let jacobiScale {
      precondition(jacobiScale.count == n, "\(preconditioner!.name): set up for a matrix of size \(jacobiScale.count), not \(n)")
    }
    var tracker = ConvergenceTracker(
      criterion: stopping, rhsNorm: Vector.norm(b), monitor: monitor, recordHistory: recordHistory)
    var matvecs = 0

    let reason: StopReason = b.withUnsafeBufferPointer { b in
      x.withUnsafeMutableBufferPointer { x in
        // r ← b − A x (or the caller's r₀)
        var rr: Double
        if let r0 {
          r0.withUnsafeBufferPointer { Vector.copy($0, r) }
          rr = Vector.dot(UnsafeBufferPointer(r), UnsafeBufferPointer(r))
        } else {
          a.apply(UnsafeBufferPointer(x), into: r)
          matvecs += 1
          rr = Fused.residualFromProduct(b: b, r: r)
        }
        if let stop = tracker.start(residualNorm: KrylovKernels.norm(squares: rr, UnsafeBufferPointer(r))) { return stop }

        // z ← M⁻¹ r;  p ← z;  ρ ← rᵀz
        var rho = preconditioner?.applyAndDot(UnsafeBufferPointer(r), into: z) ?? rr
        Vector.copy(UnsafeBufferPointer(z), p)
        if !(rho > 0) { return rho.isFinite ? .indefinite : .nonFinite }

        while true {
          // q ← A p, with pᵀq in the same pass
          let pq = a.multiplyDot(UnsafeBufferPointer(p), into: q)
          matvecs += 1
          if !(pq > 0) { return pq.isFinite ? .indefinite : .nonFinite }
          let alpha = rho / pq
          // r ← r − αq;  rr ← rᵀr;  then z ← M⁻¹ r and ρ_new ← rᵀz. The x update is
          // deferred to the direction pass (and made here only when the solve stops).
          var rhoNew: Double
          if let jacobiScale {
            // Diagonal M: z and rᵀz in the same pass as the residual update
            (rr, rhoNew) = jacobiScale.withUnsafeBufferPointer { d in
              Fused.updateResidualAndScale(alpha: alpha, q: UnsafeBufferPointer(q), r: r, scale: d, z: z)
            }
          } else {
            rr = Fused.updateResidual(alpha: alpha, q: UnsafeBufferPointer(q), r: r)
            rhoNew = rr
          }
          if let stop = tracker.step(residualNorm: KrylovKernels.norm(squares: rr, UnsafeBufferPointer(r))) {
            Vector.axpy(alpha, UnsafeBufferPointer(p), x)
            return stop
          }
          if jacobiScale == nil, let m = preconditioner {
            rhoNew = m.applyAndDot(UnsafeBufferPointer(r), into: z)
          }
          if !(rhoNew > 0) {
            Vector.axpy(alpha, UnsafeBufferPointer(p), x)
            return rhoNew.isFinite ? .indefinite : .nonFinite
          }
          // x ← x + αp;  β ← ρ_new / ρ;  p ← z + βp
          Fused.updateSolutionAndDirection(alpha: alpha, beta: rhoNew / rho, z: UnsafeBufferPointer(z), p: p, x: x)
          rho = rhoNew
        }
      }
    }
    return SolveResult.finishing(
      x: x, a: a, b: b, reason: reason, tracker: tracker, matvecs: matvecs, scratch: q)
  }
}
