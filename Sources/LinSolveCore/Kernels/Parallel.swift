import Synchronization

/// How LinSolve splits its kernels (SpMV, dot products, vector updates) across cores.
///
/// Work is split into ``threads`` contiguous, equal chunks only when a loop is longer than
/// ``minimumChunk`` per thread; below that the dispatch cost exceeds the gain. Chunk
/// boundaries depend only on the length and the thread count, never on timing, so a solve
/// with the same input and thread count is bit-for-bit reproducible.
public enum Parallel {
  private static let threadCount = Atomic<Int>(min(2, max(1, System.coreCount)))

  /// Threads used by LinSolve's own kernels (default: the number of cores, at most 2 on the
  /// reference machine; settable from 1 to 32). OpenBLAS keeps its own setting: ``BLAS/threads``.
  public static var threads: Int {
    get { threadCount.load(ordering: .relaxed) }
    set { threadCount.store(min(WorkerPool.maxChunks, max(1, newValue)), ordering: .relaxed) }
  }

  /// Loops shorter than this many elements per thread run on one thread. With the persistent
  /// ``WorkerPool`` a split costs ~0.1–0.3 µs, a few percent of a level-1 kernel over 8,192
  /// elements (measured: CG on 2-D Poisson n = 16,384 1.8× and n = 40,000 1.5× faster on two
  /// threads than on one); below that, two threads were not reliably faster.
  public static let minimumChunk = 8_192

  /// The number of chunks a loop of `count` elements is split into.
  @inlinable
  public static func chunkCount(_ count: Int) -> Int {
    let t = threads
    return t <= 1 || count < 2 * minimumChunk ? 1 : min(t, count / minimumChunk)
  }

  /// The `index`-th of `chunks` contiguous ranges covering `0..<count`.
  @inlinable
  public static func chunk(_ index: Int, of chunks: Int, count: Int) -> Range<Int> {
    let base = count / chunks, extra = count % chunks
    let start = index * base + min(index, extra)
    return start..<(start + base + (index < extra ? 1 : 0))
  }

  /// Runs `body` over contiguous chunks of `0..<count`, in parallel when long enough.
  @inlinable
  public static func forEachChunk(_ count: Int, _ body: (Range<Int>) -> Void) {
    let chunks = chunkCount(count)
    if chunks == 1 {
      body(0..<count)
      return
    }
    run(chunks) { c in body(chunk(c, of: chunks, count: count)) }
  }

  /// Runs `body(c)` for each `c` in `0..<chunks` on the caller and LinSolve's worker threads
  /// (at most ``threads`` at once). Which thread runs a chunk depends on timing, so `body` must
  /// make each chunk's result independent of the others (write disjoint memory, combine
  /// per-chunk results afterwards in chunk order).
  public static func run(_ chunks: Int, _ body: (Int) -> Void) {
    WorkerPool.shared.run(chunks, workers: threads - 1, body)
  }

  /// Sums `body(range)` over chunks of `0..<count`, in a fixed order (deterministic).
  @inlinable
  public static func sum(_ count: Int, _ body: (Range<Int>) -> Double) -> Double {
    let chunks = chunkCount(count)
    if chunks == 1 { return body(0..<count) }
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: chunks) { partial in
      run(chunks) { c in partial[c] = body(chunk(c, of: chunks, count: count)) }
      var s = 0.0
      for c in 0..<chunks { s += partial[c] }
      return s
    }
  }

  /// Two sums of `body(range)` over chunks of `0..<count`, in a fixed order (deterministic):
  /// for passes that accumulate two reductions at once (e.g. `rᵀr` and `rᵀz`).
  @inlinable
  public static func sum2(_ count: Int, _ body: (Range<Int>) -> (Double, Double)) -> (Double, Double) {
    let chunks = chunkCount(count)
    if chunks == 1 { return body(0..<count) }
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * chunks) { partial in
      run(chunks) { c in (partial[2 * c], partial[2 * c + 1]) = body(chunk(c, of: chunks, count: count)) }
      var s = 0.0, t = 0.0
      for c in 0..<chunks {
        s += partial[2 * c]
        t += partial[2 * c + 1]
      }
      return (s, t)
    }
  }
}

/// Wraps a value that is safe to share across the threads of one ``Parallel`` loop because
/// each thread touches a disjoint part of it.
// `@unchecked` by design: it carries raw pointers (not Sendable) whose disjoint use per chunk
// is the caller's guarantee, not something the type system can express.
@usableFromInline
package struct UncheckedSendable<Value>: @unchecked Sendable {
  @usableFromInline package let value: Value
  @usableFromInline package init(_ value: Value) { self.value = value }
}

/// Facts about the machine.
public enum System {
  /// Active processor count.
  public static var coreCount: Int {
    Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
  }

  /// Physical memory in bytes.
  public static var physicalMemoryBytes: Int {
    Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
  }
}

#if canImport(Glibc)
import Glibc
#endif
