/// What a monitor callback tells the solver.
public enum MonitorAction: Sendable {
  /// Keep iterating.
  case `continue`
  /// Stop now; the result's reason is ``StopReason/cancelled`` (unless it had converged).
  case stop
}

/// A per-iteration callback, the same contract for every iterative method (PETSc's
/// `KSPMonitor`): called once at `k = 0` with the initial residual norm, then after every
/// iteration `k = 1, 2, …` with the residual norm the method tracks. With
/// `maxIterations = 1` it is called exactly twice. The row-action methods (`RandomizedKaczmarz`,
/// `SketchAndProject`), which compute the residual only every `checkInterval` row updates, call
/// it at `k = 0` and at each check with `k` the updates so far (`0, 1, 2, …` with
/// `checkInterval: 1`). Returning ``MonitorAction/stop`` ends the solve with
/// ``StopReason/cancelled`` after `k` iterations.
public typealias SolveMonitor = (_ iteration: Int, _ residualNorm: Double) -> MonitorAction
