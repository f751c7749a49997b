extension SolveResult {
  /// Builds the result of an iterative solve: recomputes the true residual `‖b − A x‖` and
  /// applies the verdict rule (``SolveResult/confirmVerdict(threshold:)``) with the tracker's
  /// threshold (or `verdictThreshold`, for a method that tracks another norm); the residual is computed in
  /// `scratch` (a workspace vector the solve no longer needs) or, without one, in a temporary.
  package static func finishing(
    x: [Double], a: some LinearOperator, b: [Double], reason: StopReason,
    tracker: ConvergenceTracker, matvecs: Int, scratch: UnsafeMutableBufferPointer<Double>? = nil,
    verdictThreshold: Double? = nil
  ) -> SolveResult {
    // A SparseMatrix gets the residual with its rounding bound, in the same one pass.
    func trueResidual(_ r: UnsafeMutableBufferPointer<Double>) -> ResidualCertificate {
      b.withUnsafeBufferPointer { b in
        x.withUnsafeBufferPointer { x in
          if let sparse = a as? SparseMatrix { return sparse.residualCertificate(x: x, b: b, into: r) }
          a.apply(x, into: r)
          let norm = KrylovKernels.norm(squares: Fused.residualFromProduct(b: b, r: r), UnsafeBufferPointer(r))
          return ResidualCertificate(norm: norm, roundingBound: 0)
        }
      }
    }
    let certificate =
      if let scratch, scratch.count == a.rows {
        trueResidual(scratch)
      } else {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: a.rows) { trueResidual($0) }
      }
    var result = SolveResult(
      x: x, reason: reason, iterations: tracker.iteration, residualNorm: tracker.residualNorm,
      trueResidualNorm: certificate.norm, rhsNorm: Vector.norm(b), residualHistory: tracker.history,
      seconds: tracker.elapsedSeconds, matvecs: matvecs + 1)
    result.confirmVerdict(threshold: verdictThreshold ?? tracker.threshold, roundingBound: certificate.roundingBound)
    return result
  }
}
