/// How `mpirun -np R solve sequence` spreads T systems over R ranks: in rounds of R, system t
/// on rank t mod R in round ⌊t/R⌋, so each round solves up to R consecutive systems at once,
/// one per rank, and the last round may leave ranks idle. Pure Swift, in every build.
public struct SequenceRounds: Sendable, Equatable {
  /// The number of systems T.
  public var systems: Int
  /// The number of ranks R.
  public var ranks: Int

  /// The schedule of `systems` systems (≥ 0) over `ranks` ranks (≥ 1).
  public init(systems: Int, ranks: Int) {
    precondition(systems >= 0 && ranks >= 1, "SequenceRounds needs systems ≥ 0 and ranks ≥ 1")
    self.systems = systems
    self.ranks = ranks
  }

  /// ⌈T/R⌉.
  public var count: Int { (systems + ranks - 1) / ranks }

  /// The systems of round `round`, in order: `round·R ..< min((round + 1)·R, T)`.
  public func systems(in round: Int) -> Range<Int> {
    let lower = min(round * ranks, systems)
    return lower ..< min(lower + ranks, systems)
  }

  /// The system rank `rank` solves in round `round` (`nil`: it is idle in the last round).
  public func system(round: Int, rank: Int) -> Int? {
    let t = round * ranks + rank
    return t < systems ? t : nil
  }

  /// The rank that solves system `t`: `t mod R`.
  public func rank(of t: Int) -> Int { t % ranks }
}
