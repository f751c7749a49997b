/// The contiguous block of rows each MPI rank owns: PETSc's `PETSC_DECIDE` split
/// (`PetscSplitOwnership`), ⌊n/R⌋ rows each and one more for the first n mod R ranks.
public struct RowPartition: Sendable, Equatable {
  /// The global number of rows.
  public var rows: Int
  /// The number of ranks.
  public var ranks: Int

  /// The partition of `rows` rows over `ranks` ranks (`ranks` ≥ 1).
  public init(rows: Int, ranks: Int) {
    precondition(rows >= 0 && ranks >= 1, "RowPartition needs rows ≥ 0 and ranks ≥ 1")
    self.rows = rows
    self.ranks = ranks
  }

  /// The rows rank `rank` owns.
  public func range(of rank: Int) -> Range<Int> {
    let base = rows / ranks, extra = rows % ranks
    let lower = rank * base + min(rank, extra)
    return lower ..< lower + base + (rank < extra ? 1 : 0)
  }
}
