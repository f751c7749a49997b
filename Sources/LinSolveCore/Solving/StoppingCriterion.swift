/// When an iterative solver stops.
///
/// A solve stops with ``StopReason/converged`` as soon as
/// `‖r_k‖ ≤ max(rtol · ‖b‖, atol)`, where `r_k` is the residual the method tracks
/// (the recursive residual for Krylov methods). The baseline is ‖b‖, **not** ‖r₀‖, so a warm
/// start does not change what `rtol` means (the SciPy and PETSc default). After the loop the
/// true residual `‖b − A·x‖` is recomputed and reported beside it in ``SolveResult``.
///
/// A solve stops with ``StopReason/diverged`` when `‖r_k‖ > dtol · ‖r₀‖` (PETSc's
/// `-ksp_divtol`, default `1e5`): a method applied to a matrix outside its theory (CG on a
/// nonsymmetric matrix, SOR on an indefinite one) says so early instead of running to
/// `maxIterations` with a residual of `1e150`.
public struct StoppingCriterion: Sendable, Equatable, Codable {
  /// What the relative tolerance is relative to.
  public enum Baseline: String, Sendable, Codable {
    /// `‖b‖` (default): independent of the starting guess.
    case rightHandSide
    /// `‖r₀‖ = ‖b − A·x₀‖`: the residual reduction factor (what SOR in *Learning to Relax* uses).
    case initialResidual
  }

  /// Relative tolerance, in (0, 1]. Default `1e-8`.
  public var rtol: Double
  /// Absolute tolerance, ≥ 0. Default `0`.
  public var atol: Double
  /// Maximum number of iterations, ≥ 0. Default `10_000`, so every solve terminates.
  public var maxIterations: Int
  /// The norm `rtol` multiplies.
  public var baseline: Baseline
  /// Wall-clock limit in seconds; `nil` for none.
  public var timeLimit: Double?
  /// Divergence tolerance: stop with ``StopReason/diverged`` when `‖r_k‖ > dtol · ‖r₀‖`;
  /// `nil` never stops for divergence. Default ``defaultDivergenceTolerance`` (PETSc's `1e5`).
  public var dtol: Double?

  /// PETSc's default divergence tolerance, `1e5`.
  public static let defaultDivergenceTolerance = 1e5

  public init(
    rtol: Double = 1e-8, atol: Double = 0, maxIterations: Int = 10_000,
    baseline: Baseline = .rightHandSide, timeLimit: Double? = nil,
    dtol: Double? = StoppingCriterion.defaultDivergenceTolerance
  ) {
    self.dtol = dtol
    self.rtol = rtol
    self.atol = atol
    self.maxIterations = maxIterations
    self.baseline = baseline
    self.timeLimit = timeLimit
  }

  /// Checks the ranges: `0 < rtol ≤ 1` (or `rtol == 0` with `atol > 0`), `atol ≥ 0`,
  /// `maxIterations ≥ 0`, a positive time limit, `dtol ≥ 1`.
  public func validate() throws {
    if let dtol, !(dtol >= 1) {
      throw LinSolveError.invalidParameter(name: "dtol", reason: "\(dtol) is not ≥ 1 (the residual may not grow by less than a factor of 1 before a solve is called divergent)")
    }
    guard rtol.isFinite, rtol >= 0, rtol <= 1 else {
      throw LinSolveError.invalidParameter(name: "rtol", reason: "\(rtol) is not in (0, 1]")
    }
    guard atol.isFinite, atol >= 0 else {
      throw LinSolveError.invalidParameter(name: "atol", reason: "\(atol) is negative or not finite")
    }
    guard rtol > 0 || atol > 0 else {
      throw LinSolveError.invalidParameter(name: "rtol", reason: "rtol and atol are both 0; the solve could never converge")
    }
    guard maxIterations >= 0 else {
      throw LinSolveError.invalidParameter(name: "maxIterations", reason: "\(maxIterations) is negative")
    }
    if let limit = timeLimit, !(limit > 0) {
      throw LinSolveError.invalidParameter(name: "timeLimit", reason: "\(limit) is not positive")
    }
  }

  /// The residual norm below which the solve has converged.
  ///
  /// - Parameters:
  ///   - rhsNorm: `‖b‖`.
  ///   - initialResidualNorm: `‖b − A·x₀‖`.
  public func threshold(rhsNorm: Double, initialResidualNorm: Double) -> Double {
    let base = baseline == .rightHandSide ? rhsNorm : initialResidualNorm
    return max(rtol * base, atol)
  }
}
