#if PETSc
import CMPI

/// The collectives `mpirun -np R solve sequence` pools its ranks with: every rank's
/// observation of a round (a few doubles: the value chosen, the cost, the context) and its
/// report row (bytes) reach every rank, in rank order, so that every rank's learner is fed the
/// same observations in system order; a state file read by rank 0 reaches the others.
///
/// Communication per round of R systems: one `MPI_Allgather` of the fixed-size records (R ·
/// count doubles), one `MPI_Allgather` of byte counts plus one `MPI_Allgatherv` of the rows, and
/// the `MPI_Allreduce` of ``PETScSession/agree(_:describe:)`` — latency-bound, microseconds on
/// one node, against solves of milliseconds or more.
extension PETScSession {
  /// Every rank's `record`, indexed by rank (collective; every rank gives the same count).
  public func allGather(_ record: [Double]) -> [[Double]] {
    let count = record.count
    precondition(isSameOnEveryRank(count), "allGather needs records of one size on every rank")
    guard count > 0 else { return [[Double]](repeating: [], count: ranks) }
    var local = record
    var all = [Double](repeating: 0, count: count * ranks)
    MPI_Allgather(&local, Int32(count), linsolve_mpi_double(), &all, Int32(count), linsolve_mpi_double(), communicator)
    return (0..<ranks).map { Array(all[$0 * count ..< ($0 + 1) * count]) }
  }

  /// Every rank's `bytes` (any length), indexed by rank (collective).
  public func allGather(bytes: [UInt8]) -> [[UInt8]] {
    var mine = Int32(bytes.count)
    var counts = [Int32](repeating: 0, count: ranks)
    MPI_Allgather(&mine, 1, linsolve_mpi_int(), &counts, 1, linsolve_mpi_int(), communicator)
    var offsets = [Int32](repeating: 0, count: ranks)
    for r in 1..<max(ranks, 1) { offsets[r] = offsets[r - 1] + counts[r - 1] }
    let total = Int(offsets[ranks - 1] + counts[ranks - 1])
    var local = bytes.isEmpty ? [0] : bytes
    var all = [UInt8](repeating: 0, count: max(total, 1))
    MPI_Allgatherv(&local, mine, linsolve_mpi_char(), &all, &counts, &offsets, linsolve_mpi_char(), communicator)
    return (0..<ranks).map { r in Array(all[Int(offsets[r]) ..< Int(offsets[r] + counts[r])]) }
  }

  /// The entrywise sums of `values` over the ranks, on every rank (collective; one
  /// `MPI_Allreduce` for the whole array).
  public func sum(_ values: [Double]) -> [Double] {
    guard !values.isEmpty else { return [] }
    var local = values
    var global = [Double](repeating: 0, count: values.count)
    MPI_Allreduce(&local, &global, Int32(values.count), linsolve_mpi_double(), linsolve_mpi_sum(), communicator)
    return global
  }

  /// `bytes` as rank `root` has them, on every rank (collective; the others' are ignored).
  public func broadcast(bytes: [UInt8], from root: Int = 0) -> [UInt8] {
    var count = Int32(bytes.count)
    MPI_Bcast(&count, 1, linsolve_mpi_int(), Int32(root), communicator)
    var buffer = rank == root ? bytes : [UInt8](repeating: 0, count: Int(count))
    if count > 0 { MPI_Bcast(&buffer, count, linsolve_mpi_char(), Int32(root), communicator) }
    return buffer
  }
}
#endif
