import LinSolveCore

/// The largest sizes a tuner accepts, from its own arguments or from a decoded state file.
///
/// Every count is checked against these before it is used in arithmetic or sizes an array, so
/// neither a mistyped `--grid 1:1.9:1000000000000` nor a corrupted state file with
/// `"rounds": 9223372036854775807` or an arm count of 10¹² can trap or exhaust memory.
public enum TuningLimits {
  /// Candidate values (arms) of a grid: 10⁴, far beyond what a bandit can learn from in a
  /// sequence of systems (the paper's grids have 20).
  public static let maximumArms = 10_000
  /// Context bins of ``BinnedTsallisINF`` (the paper uses 5 or 6).
  public static let maximumBins = 1_000
  /// `arms × bins` of ``BinnedTsallisINF``: 10⁶ learner entries.
  public static let maximumBinnedArms = 1_000_000
  /// Rounds a learner may record: 2⁴⁸ (a round is a linear solve); below it, round counts are
  /// exact as `Double` and `rounds + 1` cannot overflow.
  public static let maximumRounds = 1 << 48

  /// Throws ``TuningError/invalidGrid(_:)`` unless `1 ≤ arms ≤ maximumArms`.
  static func checkArms(_ arms: Int, what: String) throws(TuningError) {
    guard arms >= 1 else { throw TuningError.invalidStrategy("\(what) needs at least one arm, not \(arms)") }
    guard arms <= maximumArms else {
      throw TuningError.invalidStrategy("\(what) has \(arms) arms, more than the limit of \(maximumArms)")
    }
  }

  /// Whether `rounds` is a count a learner can hold (and add one to).
  static func isValidRounds(_ rounds: Int) -> Bool { (0..<maximumRounds).contains(rounds) }

  /// Throws when a learner with `rounds` rounds cannot take one more.
  static func checkRoundAvailable(_ rounds: Int) throws(TuningError) {
    guard rounds < maximumRounds - 1 else {
      throw TuningError.invalidStrategy("the learner has recorded \(rounds) rounds, the limit is \(maximumRounds - 1)")
    }
  }
}
