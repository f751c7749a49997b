/// The stopping logic every iterative method shares: threshold, monitor, history, limits,
/// divergence (``StoppingCriterion/dtol``).
///
/// A method calls ``start(residualNorm:)`` once with `‖r₀‖` and ``step(residualNorm:)`` after
/// each iteration; a non-`nil` answer is the reason to stop. Keeping this in one place is what
/// makes `--monitor`, `residualHistory` and the stopping rule identical across methods.
///
/// A method that knows its residual only every few iterations (the row-action methods, which
/// check `‖b − A x‖` once per pass) calls ``check(residualNorm:iterations:)`` instead of
/// ``step(residualNorm:)``; the monitor then sees `k` = the iterations done so far at each
/// check. Such methods may also pass a ``StagnationRule``, tested over the checks after the
/// other rules.
public struct ConvergenceTracker {
  /// The criterion in force.
  public let criterion: StoppingCriterion
  /// The residual norm at or below which the solve has converged.
  public private(set) var threshold: Double = 0
  /// Iterations completed.
  public private(set) var iteration = 0
  /// The last residual norm seen.
  public private(set) var residualNorm = Double.nan
  /// `‖r₀‖`, the baseline of the divergence test.
  public private(set) var initialResidualNorm = Double.nan
  /// Residual norms at k = 0, 1, … (when recording).
  public private(set) var history: [Double]?
  /// When to stop for lack of progress over the checks; `nil`: never.
  public let stagnation: StagnationRule?
  private let rhsNorm: Double
  private let monitor: SolveMonitor?
  /// Every residual norm seen, for the stagnation rule (empty without one).
  private var checks: [Double] = []
  private let clock = ContinuousClock()
  private let started: ContinuousClock.Instant

  /// - Parameters:
  ///   - criterion: when to stop.
  ///   - rhsNorm: `‖b‖`.
  ///   - monitor: called at k = 0 and after every iteration.
  ///   - recordHistory: keep every residual norm (reserved up front, so recording does not
  ///     allocate per iteration for up to `maxIterations`).
  ///   - stagnation: stop with ``StopReason/stagnation`` by this rule (`nil`, the default: never).
  public init(
    criterion: StoppingCriterion, rhsNorm: Double, monitor: SolveMonitor?, recordHistory: Bool,
    stagnation: StagnationRule? = nil
  ) {
    self.criterion = criterion
    self.rhsNorm = rhsNorm
    self.monitor = monitor
    self.stagnation = stagnation.flatMap { $0.checks > 0 ? $0 : nil }
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
    initialResidualNorm = r0
    return observe(r0)
  }

  /// Records the residual norm after one more iteration; returns a reason to stop, if any.
  public mutating func step(residualNorm r: Double) -> StopReason? {
    iteration += 1
    return observe(r)
  }

  /// Records the residual norm at a check after `iterations` iterations in all (at least the
  /// count of the previous call); returns a reason to stop, if any.
  public mutating func check(residualNorm r: Double, iterations: Int) -> StopReason? {
    precondition(iterations >= iteration, "iterations went back from \(iteration) to \(iterations)")
    iteration = iterations
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
    if let dtol = criterion.dtol, r > dtol * initialResidualNorm { return .diverged }
    if iteration >= criterion.maxIterations { return .maxIterations }
    if let limit = criterion.timeLimit, elapsedSeconds > limit { return .timeLimit }
    if let stagnation {
      // The best residual of the last `w` checks against the best one before them.
      checks.append(r)
      let w = stagnation.checks
      if checks.count > w {
        let recent = checks[(checks.count - w)...].min()!
        let before = checks[..<(checks.count - w)].min()!
        if recent > (1 - stagnation.relativeDecrease) * before { return .stagnation }
      }
    }
    return nil
  }
}
