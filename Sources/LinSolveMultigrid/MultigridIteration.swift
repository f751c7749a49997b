import LinSolveCore

/// Algebraic multigrid as a solver: the stationary iteration `x ← x + M⁻¹(b − A x)` with `M⁻¹`
/// one cycle of a set-up ``AlgebraicMultigrid`` — hypre's BoomerAMG or pyamg's
/// `ml.solve(accel=None)` used without a Krylov method (`solve --method amg`). Each iteration costs
/// one cycle and one product with `A`; the residual it tracks is the true one. For symmetric
/// positive definite systems CG accelerated by the same cycle (`--method pcg --preconditioner
/// amg-sa`) needs fewer cycles and is the better default.
///
/// Not `Sendable`: it holds the hierarchy, a class whose cycle workspace it shares.
public struct MultigridIteration: IterativeSolver {
  public var stopping: StoppingCriterion
  public var recordHistory: Bool
  /// The cycle, already set up for the matrix.
  public let multigrid: AlgebraicMultigrid

  public init(multigrid: AlgebraicMultigrid, stopping: StoppingCriterion = StoppingCriterion(), recordHistory: Bool = false) {
    self.multigrid = multigrid
    self.stopping = stopping
    self.recordHistory = recordHistory
  }

  /// Solves `A x = b` from `x0` (zero when `nil`) with the hierarchy set up for `A`.
  ///
  /// - Throws: ``LinSolveError`` for sizes that disagree with each other or with the hierarchy,
  ///   or NaN/Inf in `b` or `x0`. Non-convergence is a result with a ``StopReason``.
  public func solve(_ a: some LinearOperator, _ b: [Double], x0: [Double]? = nil, monitor: SolveMonitor? = nil) throws
    -> SolveResult
  {
    guard let levels = multigrid.summary?.levels, levels.first?.rows == a.rows else {
      throw LinSolveError.invalidParameter(name: "multigrid", reason: "set the AMG up for this matrix first (setUp(for:))")
    }
    return try VerifiedSolve.scalingRightHandSide(b, x0: x0, stopping: stopping, monitor: monitor) { b, x0, stopping, monitor in
      try iterate(a, b, x0: x0, stopping: stopping, monitor: monitor)
    }
  }

  private func iterate(
    _ a: some LinearOperator, _ b: [Double], x0: [Double]?, stopping: StoppingCriterion, monitor: SolveMonitor?
  ) throws -> SolveResult {
    var x = try SolverInput.validate(a, b, x0: x0, stopping: stopping)
    let n = a.rows
    var tracker = ConvergenceTracker(criterion: stopping, rhsNorm: Vector.norm(b), monitor: monitor, recordHistory: recordHistory)
    var r = [Double](repeating: 0, count: n), correction = r
    var matvecs = 0
    func residualNorm() -> Double {
      r.withUnsafeMutableBufferPointer { rp in
        x.withUnsafeBufferPointer { a.apply($0, into: rp) }
        b.withUnsafeBufferPointer { bp in for i in 0..<n { rp[i] = bp[i] - rp[i] } }
      }
      matvecs += 1
      return Vector.norm(r)
    }
    var reason = tracker.start(residualNorm: residualNorm())
    while reason == nil {
      r.withUnsafeBufferPointer { rp in correction.withUnsafeMutableBufferPointer { multigrid.apply(rp, into: $0) } }
      Vector.axpy(1, correction, &x)
      reason = tracker.step(residualNorm: residualNorm())
    }
    return SolveResult.finishing(x: x, a: a, b: b, reason: reason!, tracker: tracker, matvecs: matvecs)
  }
}
