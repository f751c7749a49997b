#if PETSc
import CMPI

/// A step that failed on at least one rank, as every rank sees it: the message of the lowest
/// failing rank, broadcast to all, so that every rank stops together and one rank reports it.
public struct DistributedFailure: Error, CustomStringConvertible {
  /// The failing rank's description of its error.
  public var message: String
  /// The lowest rank that failed.
  public var rank: Int
  /// The error itself on the rank that failed (`nil` on the others).
  public var localError: (any Error)?

  public var description: String { message }
}

extension PETScSession {
  /// Waits until every rank has called it (`MPI_Barrier`): e.g. rank 0 has written an error line
  /// before any rank exits, so that `mpirun`, which ends the job when a process exits with a
  /// failure, cannot kill rank 0 before its line is out.
  public func barrier() {
    MPI_Barrier(communicator)
  }

  /// Runs `body` on every rank and agrees on the outcome: when it throws on any rank, every
  /// rank throws the same ``DistributedFailure`` (the lowest failing rank's error, described by
  /// `describe`) instead of some ranks going on into a collective call and waiting for ever.
  ///
  /// Collective: every rank must call it, with a `body` that makes no collective call that
  /// could be skipped by a failure on another rank.
  public func agree<T>(
    _ body: () throws -> T, describe: (any Error) -> String = { String(describing: $0) }
  ) throws(DistributedFailure) -> T {
    let outcome: Result<T, any Error>
    do { outcome = .success(try body()) } catch { outcome = .failure(error) }
    var mine = Int32.max
    if case .failure = outcome { mine = Int32(rank) }
    var first = Int32.max
    MPI_Allreduce(&mine, &first, 1, linsolve_mpi_int(), linsolve_mpi_min(), communicator)
    switch outcome {
    case .success(let value) where first == .max: return value
    case .success: throw DistributedFailure(message: broadcast("", from: first), rank: Int(first))
    case .failure(let error):
      let text = Int32(rank) == first ? describe(error) : ""
      throw DistributedFailure(
        message: broadcast(text, from: first), rank: Int(first), localError: Int32(rank) == first ? error : nil)
    }
  }

  /// Whether `value` is the same on every rank (collective).
  public func isSameOnEveryRank(_ value: Int) -> Bool {
    var local = [Int32(truncatingIfNeeded: value), -Int32(truncatingIfNeeded: value)]
    var global: [Int32] = [0, 0]
    MPI_Allreduce(&local, &global, 2, linsolve_mpi_int(), linsolve_mpi_max(), communicator)
    return global[0] == -global[1] && Int(global[0]) == value
  }

  /// The largest of `value` over the ranks (collective).
  public func maximum(_ value: Double) -> Double {
    var local = value, global = value
    MPI_Allreduce(&local, &global, 1, linsolve_mpi_double(), linsolve_mpi_max(), communicator)
    return global
  }

  /// The sum of `value` over the ranks (collective).
  public func sum(_ value: Int) -> Int {
    var local = Int64(value), global = Int64(0)
    MPI_Allreduce(&local, &global, 1, linsolve_mpi_int64(), linsolve_mpi_sum(), communicator)
    return Int(global)
  }

  /// `text` on rank `root`, received by every rank (collective).
  private func broadcast(_ text: String, from root: Int32) -> String {
    var bytes = Array(text.utf8)
    var count = Int32(bytes.count)
    MPI_Bcast(&count, 1, linsolve_mpi_int(), root, communicator)
    if Int32(rank) != root { bytes = [UInt8](repeating: 0, count: Int(count)) }
    if count > 0 { MPI_Bcast(&bytes, count, linsolve_mpi_char(), root, communicator) }
    return String(decoding: bytes, as: UTF8.self)
  }
}
#endif
