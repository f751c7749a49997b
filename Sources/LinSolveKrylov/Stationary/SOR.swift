import LinSolveCore
import LinSolveDirect

/// Stationary SOR and SSOR with an explicit relaxation parameter ω, as a solver.
///
/// `SOR(omega: 1)` is Gauss–Seidel; Young's optimal ω for consistently ordered matrices is
/// `ω* = 2 / (1 + √(1 − ρ_J²))` with ρ_J the Jacobi spectral radius (for the 2-D Poisson
/// matrix, `2 / (1 + sin πh)`). Each iteration is one sweep (``SORIteration``); the stopping
/// test uses the true residual `‖b − A x_k‖` recomputed after every sweep, which is also the
/// convention of *Learning to Relax* (Khodak et al., ICLR 2024), whose iteration counts this
/// reproduces. To tune ω across a sequence of systems, see `ParameterTuner`.
public struct SOR: IterativeSolver, Sendable {
  /// The relaxation parameter, 0 < ω < 2.
  public var omega: Double
  /// SSOR (forward + backward sweep per iteration) instead of SOR.
  public var symmetric: Bool
  public var stopping: StoppingCriterion
  public var recordHistory: Bool

  public init(omega: Double = 1, symmetric: Bool = false, stopping: StoppingCriterion = StoppingCriterion(), recordHistory: Bool = false) {
    self.omega = omega
    self.symmetric = symmetric
    self.stopping = stopping
    self.recordHistory = recordHistory
  }

  /// Checks `0 < ω < 2`, the range where SOR can converge (Kahan 1958).
  public static func validate(omega: Double) throws {
    guard omega > 0, omega < 2 else {
      throw LinSolveError.invalidParameter(name: "omega", reason: "\(omega) is not in (0, 2)")
    }
  }

  /// Solves `A x = b`; `A` must be a ``SparseMatrix`` (SOR needs the entries, not only products).
  public func solve(
    _ a: some LinearOperator, _ b: [Double], x0: [Double]? = nil, monitor: SolveMonitor? = nil
  ) throws -> SolveResult {
    guard let matrix = a as? SparseMatrix else {
      throw LinSolveError.invalidParameter(name: "operator", reason: "SOR needs a SparseMatrix, not a matrix-free operator")
    }
    return try VerifiedSolve.run(matrix, b, x0: x0, stopping: stopping, monitor: monitor) { scaled, _, b, x0, stopping, monitor, _ in
      try attempt(scaled ?? matrix, b, x0: x0, stopping: stopping, monitor: monitor)
    }
  }

  private func attempt(
    _ matrix: SparseMatrix, _ b: [Double], x0: [Double]?, stopping: StoppingCriterion, monitor: SolveMonitor?
  ) throws -> SolveResult {
    try stopping.validate()
    var iteration = try SORIteration(matrix: matrix, b: b, x0: x0, omega: omega, symmetric: symmetric)
    var tracker = ConvergenceTracker(
      criterion: stopping, rhsNorm: Vector.norm(b), monitor: monitor, recordHistory: recordHistory)
    var reason = tracker.start(residualNorm: iteration.residualNorm)
    while reason == nil {
      reason = tracker.step(residualNorm: iteration.sweep())
    }
    var result = SolveResult(
      x: iteration.x, reason: reason!, iterations: tracker.iteration, residualNorm: tracker.residualNorm,
      trueResidualNorm: tracker.residualNorm, rhsNorm: Vector.norm(b), residualHistory: tracker.history,
      seconds: tracker.elapsedSeconds, matvecs: tracker.iteration + 1)
    result.confirmVerdict(threshold: tracker.threshold)
    return result
  }
}
