import LinSolveCore

/// GMRES, MINRES and BiCGSTAB: one attempt of the method at a time, run by ``VerifiedSolve``
/// (power-of-two scaling, residual-replacement restarts) with the preconditioner, set up for
/// `A`, scaled along when the attempt runs on a scaled copy `tA`.
protocol VerifiedKrylovMethod {
  var stopping: StoppingCriterion { get }
  var preconditioner: (any Preconditioner)? { get set }
  /// One solve of `A x = b` with the given criterion and monitor.
  func attempt(
    _ a: some LinearOperator, _ b: [Double], x0: [Double]?, stopping: StoppingCriterion, monitor: SolveMonitor?
  ) throws -> SolveResult
}

extension VerifiedKrylovMethod {
  /// The method's `solve`: its attempts under ``VerifiedSolve``.
  func verifiedSolve(_ a: some LinearOperator, _ b: [Double], x0: [Double]?, monitor: SolveMonitor?) throws
    -> SolveResult
  {
    try VerifiedSolve.run(a, b, x0: x0, stopping: stopping, monitor: monitor) { scaled, t, b, x0, stopping, monitor, _ in
      if let scaled {
        var method = self  // M⁻¹ was set up for A; the solve runs on tA.
        method.preconditioner = preconditioner.map { ScaledPreconditioner($0, by: 1 / t) }
        return try method.attempt(scaled, b, x0: x0, stopping: stopping, monitor: monitor)
      }
      return try attempt(a, b, x0: x0, stopping: stopping, monitor: monitor)
    }
  }
}
