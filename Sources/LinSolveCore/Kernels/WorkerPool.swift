import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Persistent worker threads for ``Parallel``: the caller and `threads − 1` workers claim the
/// chunks of one loop at a time.
///
/// `DispatchQueue.concurrentPerform` wakes a helper thread for every loop; on the 2-core
/// reference machine the helper started ~17 µs late, longer than a whole vector update at
/// n = 65,536, so the second core barely ran. Here the workers spin for a short while
/// (``spinNanoseconds``) after each loop, so back-to-back kernels of an iteration reach a worker
/// that is already awake; after that they sleep on a semaphore and cost nothing.
///
/// Which thread runs a chunk depends on timing, but chunk boundaries and the order in which
/// per-chunk results are combined do not, so results stay bit-for-bit reproducible.
///
/// One loop runs at a time. A loop started while another is running (a second caller thread,
/// or a nested loop inside a chunk) runs on the calling thread alone, chunk by chunk — the same
/// chunks, so the same result.
// `@unchecked`: `body` is a plain `var` whose accesses are ordered by the claim protocol on the
// atomics below (written only while no chunk is claimed), which the compiler cannot verify.
final class WorkerPool: @unchecked Sendable {
  static let shared = WorkerPool()

  /// How long an idle worker keeps polling for the next loop before it sleeps.
  static let spinNanoseconds: UInt64 = 100_000

  /// Most chunks in one loop (``Parallel/threads`` is capped at this).
  static let maxChunks = 32

  /// The current loop's body. Written only while no thread holds a claim on a chunk of it.
  private var body: ((Int) -> Void)?
  /// Generation (bits 40–63), chunk count (32–39) and claimed chunks (a bit each, 0–31) of
  /// the current loop. A thread claims chunk `c` by a compare-and-swap that sets bit `c` within
  /// one generation, so it never runs a chunk of a loop other than the one it read, and reads
  /// ``body`` only while holding a claim.
  private let claims = Atomic<UInt64>(0)
  /// Chunks of the current loop not yet finished.
  private let remaining = Atomic<Int>(0)
  /// Set while a loop is running.
  private let busy = Atomic<Bool>(false)
  /// Workers started so far.
  private let started = Mutex<Int>(0)
  /// Workers the loops ask for (``Parallel/threads`` − 1). Workers with a higher index, left
  /// from a larger setting, park on ``unpark`` instead of competing for the cores.
  private let wanted = Atomic<Int>(0)
  private let parked = Atomic<Int>(0)
  private let unpark = DispatchSemaphore(value: 0)
  /// Workers asleep (or about to sleep) on ``wakeUp``.
  private let sleepers = Atomic<Int>(0)
  private let wakeUp = DispatchSemaphore(value: 0)

  private init() {}

  /// Runs `body(c)` for `c` in `0..<chunks` on the caller and up to `workers` pool threads.
  ///
  /// Thread `t` (the caller is 0, worker `w` is `w + 1`) takes chunk `t` first, so with one
  /// chunk per thread each core streams the same part of the vectors in every kernel of an
  /// iteration (as an OpenMP static schedule would); then it takes any chunk left.
  package func run(_ chunks: Int, workers: Int, _ body: (Int) -> Void) {
    guard chunks > 1, chunks <= Self.maxChunks, workers > 0,
      busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    else {
      for c in 0..<chunks { body(c) }
      return
    }
    startWorkers(workers)
    if wanted.exchange(workers, ordering: .sequentiallyConsistent) < workers {
      for _ in 0..<parked.exchange(0, ordering: .sequentiallyConsistent) { unpark.signal() }
    }
    withoutActuallyEscaping(body) { body in
      self.body = body
      remaining.store(chunks, ordering: .relaxed)
      let generation = ((claims.load(ordering: .relaxed) >> 40) &+ 1) & 0xFF_FFFF
      claims.store(generation << 40 | UInt64(chunks) << 32, ordering: .releasing)
      let asleep = sleepers.exchange(0, ordering: .sequentiallyConsistent)
      for _ in 0..<asleep { wakeUp.signal() }
      // The caller claims chunks like any worker, then waits for the ones taken by workers.
      while let c = claim(generation, preferring: 0) { finish(c) }
      var polls = 0
      while remaining.load(ordering: .acquiring) > 0 {
        polls += 1
        if polls & 0x3FFF == 0 { sched_yield() }  // a worker was descheduled mid-chunk
      }
      self.body = nil
    }
    busy.store(false, ordering: .releasing)
  }

  /// Claims chunk `preferred` of loop `generation` if it is free, otherwise the first free one;
  /// `nil` when none is left (or the loop is over).
  private func claim(_ generation: UInt64, preferring preferred: Int) -> Int? {
    var word = claims.load(ordering: .acquiring)
    while word >> 40 == generation {
      let chunks = Int(word >> 32 & 0xFF)
      let all: UInt32 = chunks == 32 ? .max : (1 << UInt32(chunks)) - 1
      let free = all & ~UInt32(truncatingIfNeeded: word)
      guard free != 0 else { return nil }
      let c = preferred < chunks && free & (1 << UInt32(preferred)) != 0 ? preferred : free.trailingZeroBitCount
      let (exchanged, current) = claims.compareExchange(
        expected: word, desired: word | 1 << UInt64(c), ordering: .acquiringAndReleasing)
      if exchanged { return c }
      word = current
    }
    return nil
  }

  private func finish(_ c: Int) {
    body!(c)
    remaining.subtract(1, ordering: .releasing)
  }

  private func startWorkers(_ count: Int) {
    started.withLock { started in
      while started < count {
        started += 1
        let index = started
        var thread = pthread_t()
        let context = Unmanaged.passRetained(WorkerStart(pool: self, index: index)).toOpaque()
        let status = pthread_create(&thread, nil, { context in
          let start = Unmanaged<WorkerStart>.fromOpaque(context!).takeRetainedValue()
          start.pool.work(start.index)
        }, context)
        precondition(status == 0, "LinSolve could not start a worker thread (pthread_create: \(status))")
        pthread_detach(thread)
      }
    }
  }

  /// Worker `index` (1, 2, …): claim chunks of each new loop; between loops spin, then sleep;
  /// park while the loops want fewer workers than `index`.
  fileprivate func work(_ index: Int) -> Never {
    var seen = claims.load(ordering: .acquiring) >> 40
    while true {
      if index > wanted.load(ordering: .sequentiallyConsistent) {
        // Same handshake as for sleeping: either the caller raising `wanted` sees this worker
        // in `parked`, or the worker sees the raised `wanted` here.
        parked.add(1, ordering: .sequentiallyConsistent)
        if index > wanted.load(ordering: .sequentiallyConsistent) { unpark.wait() }
        seen = claims.load(ordering: .acquiring) >> 40
        continue
      }
      let generation = nextGeneration(after: seen)
      seen = generation
      while let c = claim(generation, preferring: index) { finish(c) }
    }
  }

  /// Waits for a loop newer than `seen`: polls for ``spinNanoseconds``, then sleeps.
  private func nextGeneration(after seen: UInt64) -> UInt64 {
    while true {
      let deadline = DispatchTime.now().uptimeNanoseconds + Self.spinNanoseconds
      var polls = 0
      while true {
        let g = claims.load(ordering: .acquiring) >> 40
        if g != seen { return g }
        polls += 1
        if polls & 255 == 0 && DispatchTime.now().uptimeNanoseconds > deadline { break }
      }
      // Announce the sleep, then look once more: a caller that published a loop either sees
      // this worker in `sleepers` (and signals) or the worker sees the new generation here.
      sleepers.add(1, ordering: .sequentiallyConsistent)
      if claims.load(ordering: .sequentiallyConsistent) >> 40 != seen { continue }
      wakeUp.wait()
    }
  }
}

/// What a new worker thread needs: its pool and its index.
private final class WorkerStart {
  let pool: WorkerPool
  package let index: Int
  init(pool: WorkerPool, index: Int) {
    self.pool = pool
    self.index = index
  }
}
