/// When a method declares ``StopReason/stagnation`` through ``ConvergenceTracker``: the
/// residual, checked every pass, has stopped decreasing (used by the row-action methods,
/// `RandomizedKaczmarz` and `SketchAndProject`). That is what happens on an inconsistent
/// system, where Kaczmarz-type methods converge only to a ball around the least-squares
/// solution whose size is set by the residual (Needell 2010), and on a consistent one when
/// progress per pass is below rounding.
///
/// The rule: stop when the smallest residual norm of the last ``checks`` checks is not below
/// `(1 − relativeDecrease)` times the smallest one before them.
public struct StagnationRule: Sendable, Equatable {
  /// Consecutive checks (passes, by default) without enough progress; 0 disables the rule.
  public var checks: Int
  /// The relative decrease of the best residual that counts as progress.
  public var relativeDecrease: Double

  /// - Parameters:
  ///   - checks: window length in residual checks (default 5).
  ///   - relativeDecrease: required relative improvement over the window (default 1 %).
  public init(checks: Int = 5, relativeDecrease: Double = 0.01) {
    self.checks = checks
    self.relativeDecrease = relativeDecrease
  }

  /// Never stop for stagnation.
  public static let disabled = StagnationRule(checks: 0)

  /// Checks `checks ≥ 0` and `0 ≤ relativeDecrease < 1`.
  package func validate() throws {
    guard checks >= 0 else {
      throw LinSolveError.invalidParameter(name: "stagnation.checks", reason: "\(checks) is negative")
    }
    guard relativeDecrease >= 0, relativeDecrease < 1 else {
      throw LinSolveError.invalidParameter(
        name: "stagnation.relativeDecrease", reason: "\(relativeDecrease) is not in [0, 1)")
    }
  }
}
