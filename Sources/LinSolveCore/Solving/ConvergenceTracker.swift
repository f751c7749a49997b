/// The stopping logic every iterative method shares: threshold, monitor, history, limits.
///
/// A method calls ``start(residualNorm:)`` once with `‖r₀‖` and ``step(residualNorm:)`` after
/// each iteration; a non-`nil` answer is the reason to stop. Keeping this in one place is what
/// makes `--monitor`, `residualHistory` and the stopping rule identical across methods.
public struct ConvergenceTracker {
  /// The criterion in force.
  public let criterion: StoppingCriterion
  /// The residual norm at or below which the solve has converged.
  public private(set) var threshold: Double = 0
  /// Iterations completed.
  public private(set) var iteration = 0
  /// The last residual norm seen.
  public private(set) var residualNorm = Double.nan
  /// Residual norms at k = 0, 1, … (when recording).
  public private(set) var history: [Double]?
  private let rhsNorm: Double
  private let monitor: SolveMonitor?
  private let clock = ContinuousClock()
  private let started: ContinuousClock.Instant

  /// - Parameters:
  ///   - criterion: when to stop.
  ///   - rhsNorm: `‖b‖`.
  ///   - monitor: called at k = 0 and after every iteration.
  ///   - recordHistory: keep every residual norm (reserved up front, so recording does not
  ///     allocate per iteration for up to `maxIterations`).
  public init(criterion: StoppingCriterion, rhsNorm: Double, monitor: SolveMonitor?, recordHistory: Bool) {
    self.criterion = criterion
    self.rhsNorm = rhsNorm
    self.monitor = monitor
    if recordHistory {
      history = []
      history!.reserveCapacity(min(criterion.maxIterations, 100_000) + 1)
    }
    started = clock.now
  }

  /// Records `‖r₀‖`; returns a reason when no iteration is needed (already converged,
  /// `maxIterations = 0`, non-finite, or the monitor stopped).
  public mutating func start(residualNorm r0: Double) -> StopReason? {
    threshold = criterion.threshold(rhsNorm: rhsNorm, initialResidualNorm: r0)
    return observe(r0)
  }

  /// Records the residual norm after one more iteration; returns a reason to stop, if any.
  public mutating func step(residualNorm r: Double) -> StopReason? {
    iteration += 1
    return observe(r)
  }

  /// Seconds since the tracker was created.
  public var elapsedSeconds: Double {
    let d = clock.now - started
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }

  private mutating func observe(_ r: Double) -> StopReason? {
    residualNorm = r
    history?.append(r)
    let action = monitor?(iteration, r) ?? .continue
    if !r.isFinite { return .nonFinite }
    if r <= threshold { return .converged }
    if action == .stop { return .cancelled }
    if iteration >= criterion.maxIterations { return .maxIterations }
    if let limit = criterion.timeLimit, elapsedSeconds > limit { return .timeLimit }
    return nil
  }
}
