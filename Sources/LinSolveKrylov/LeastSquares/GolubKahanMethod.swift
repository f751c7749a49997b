import LinSolveCore

/// LSQR and LSMR: a Golub–Kahan iteration on a validated problem, run by
/// ``LeastSquaresScaling`` (power-of-two scaling of `A` and `b` outside 2^±400) and timed.
protocol GolubKahanMethod {
  var stopping: StoppingCriterion { get set }
  var tolerance: Double { get }
  var preconditioner: UpperTriangularMatrix? { get }
  /// The iteration from the validated `x0`.
  func run(_ pair: AdjointPair, _ b: [Double], x0: [Double], monitor: SolveMonitor?) -> SolveResult
}

extension GolubKahanMethod {
  /// The method's `solve`: input checks, scaling and the iterate timing around ``run(_:_:x0:monitor:)``.
  func scaledSolve(_ a: some AdjointLinearOperator, _ b: [Double], x0: [Double]?, monitor: SolveMonitor?) throws
    -> SolveResult
  {
    let start = ContinuousClock.now
    var result = try LeastSquaresScaling.run(a, b, x0: x0, stopping: stopping, monitor: monitor) { a, b, x0, stopping, monitor in
      var method = self
      method.stopping = stopping
      let x = try LeastSquaresInput.validate(a, b, x0: x0, stopping: stopping, tolerance: tolerance, preconditioner: preconditioner)
      return method.run(AdjointPair(a), b, x0: x, monitor: monitor)
    }
    result.setLeastSquaresTimings(LeastSquaresFigures.Timings(iterate: LSKernels.seconds(since: start)))
    return result
  }
}
