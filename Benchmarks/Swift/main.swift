// linsolve-bench: LinSolve's side of the benchmark suite (`make bench`, `make bench-quick`).
//
//   linsolve-bench solve  --dim 2 --N 1024 --runs 3 --threads 2 \
//                         --methods cg,pcg-jacobi,pcg-ic0,spmv,sor,cholesky
//   linsolve-bench memory --dim 2 --N 1024 --threads 2     one CG solve in a fresh process
//   linsolve-bench kernels --dim 2 --N 1024 --threads 2    SpMV, level-1 kernels, dispatch cost
//   linsolve-bench mmwrite --dim 2 --N 1024 --file F.mtx   writes the Poisson matrix (general)
//   linsolve-bench mmread --file F.mtx --runs 3
//
// Every measurement is one JSON line (see Support.swift); Benchmarks/run.py runs the peers
// (hand-written C, Eigen, SciPy, CHOLMOD from C, STREAM) on the same matrices and compares.
// Settings as for every peer: x0 = 0, b = A·1, stop at ‖r‖ ≤ 1e-8·‖b‖, at most 10,000 iterations.

import LinSolve

#if canImport(Glibc)
import Glibc
#endif

let arguments = Arguments(CommandLine.arguments)
let rtol = 1e-8
let maxIterations = 10_000

func has(_ methods: String, _ name: String) -> Bool {
  methods.split(separator: ",").contains { $0 == name }
}

func solveBenchmarks() throws {
  let dim = arguments.int("--dim", 2)
  let N = arguments.int("--N", 256)
  let runs = arguments.int("--runs", 3)
  let methods = arguments.string("--methods", "cg,pcg-jacobi,pcg-ic0,spmv,sor,cholesky")
  Parallel.threads = arguments.int("--threads", 2)

  let A = poisson(dim: dim, N: N)
  let n = A.rows
  let sum = checksum(A)
  let b = A.applied(to: [Double](repeating: 1, count: n))
  let bNorm = Vector.norm(b)
  let threads = Parallel.chunkCount(n)  // what LinSolve's kernels actually use at this size
  let stopping = StoppingCriterion(rtol: rtol, maxIterations: maxIterations)
  func record(_ method: String, run: Int) -> Record {
    Record(method: method, dim: dim, N: N, n: n, nnz: A.nonzeros, threads: threads, run: run,
           iterations: 0, seconds: 0, checksum: sum)
  }

  // One solver value per method, so its workspace is reused across runs (as an application
  // solving repeatedly would).
  let cg = ConjugateGradient(stopping: stopping)
  var jacobiCG: ConjugateGradient?
  var icCG: ConjugateGradient?

  for run in 0..<runs {
    if has(methods, "cg") {
      let t0 = now()
      let result = try cg.solve(A, b, x0: nil, monitor: nil)
      let t1 = now()
      var r = record("cg", run: run)
      r.iterations = result.iterations
      r.seconds = t1 - t0
      r.relres = result.relativeResidual
      r.extra = [("reason", .string(result.reason.rawValue)), ("tracker_seconds", .number(result.seconds))]
      r.emit()
    }
    if has(methods, "pcg-jacobi") {
      let t0 = now()
      let m = try JacobiPreconditioner(A)
      let t1 = now()
      if jacobiCG == nil { jacobiCG = ConjugateGradient(stopping: stopping) }
      jacobiCG!.preconditioner = m
      let result = try jacobiCG!.solve(A, b, x0: nil, monitor: nil)
      let t2 = now()
      var r = record("pcg-jacobi", run: run)
      r.iterations = result.iterations
      r.seconds = t2 - t1
      r.setupSeconds = t1 - t0
      r.relres = result.relativeResidual
      r.extra = [("reason", .string(result.reason.rawValue))]
      r.emit()
    }
    if has(methods, "pcg-ic0") {
      let t0 = now()
      let m = try IncompleteCholesky(A)
      let t1 = now()
      if icCG == nil { icCG = ConjugateGradient(stopping: stopping) }
      icCG!.preconditioner = m
      let result = try icCG!.solve(A, b, x0: nil, monitor: nil)
      let t2 = now()
      var r = record("pcg-ic0", run: run)
      r.iterations = result.iterations
      r.seconds = t2 - t1
      r.setupSeconds = t1 - t0
      r.relres = result.relativeResidual
      r.extra = [("reason", .string(result.reason.rawValue)), ("shift", .number(m.shift))]
      r.emit()
    }
    if has(methods, "spmv") {
      let reps = arguments.int("--spmv-reps", 30)
      let x = (0..<n).map { 1.0 + 1e-3 * Double($0 % 7) }
      var y = [Double](repeating: 0, count: n)
      var times: [Double] = []
      x.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBufferPointer { yp in
          A.apply(xp, into: yp)  // warm
          for _ in 0..<reps {
            let t0 = now()
            A.apply(xp, into: yp)
            times.append(now() - t0)
          }
        }
      }
      times.sort()
      var r = record("spmv", run: run)
      r.iterations = 1
      r.seconds = times[reps / 2]
      r.extra = [("reps", .int(reps)), ("min_seconds", .number(times[0]))]
      r.emit()
    }
    if has(methods, "sor") {
      let sweeps = arguments.int("--sor-sweeps", 10)
      let omega = arguments.double("--omega", 1.9)
      var iteration = try SORIteration(matrix: A, b: b, omega: omega)
      let t0 = now()
      var rnorm = 0.0
      for _ in 0..<sweeps { rnorm = iteration.sweep() }
      let t1 = now()
      var r = record("sor-sweep", run: run)
      r.iterations = sweeps
      r.seconds = t1 - t0
      r.relres = rnorm / bNorm
      r.extra = [("omega", .number(omega))]
      r.emit()
    }
    if has(methods, "cholesky") {
      let t0 = now()
      let chol = try CholeskyFactorization(A)
      let t1 = now()
      let x = try chol.solve(b)
      let t2 = now()
      var r = record("cholesky", run: run)
      r.threads = openBLASThreads()
      r.seconds = t2 - t0
      r.relres = A.residualNorm(x: x, b: b) / bNorm
      r.extra = [
        ("factorize_seconds", .number(t1 - t0)), ("solve_seconds", .number(t2 - t1)),
        ("factor_nonzeros", .int(chol.nonzerosInFactor)),
        ("supernodal", .int(chol.isSupernodal ? 1 : 0)),
        ("ordering", .string(chol.ordering ?? "")),
      ]
      r.emit()
    }
  }
}

/// One CG solve in this process: peak RSS growth against the model matrix + 4 vectors.
func memoryBenchmark() throws {
  let dim = arguments.int("--dim", 2)
  let N = arguments.int("--N", 1024)
  Parallel.threads = arguments.int("--threads", 2)
  let baseline = currentRSS()
  let A = poisson(dim: dim, N: N)
  let n = A.rows
  let b = A.applied(to: [Double](repeating: 1, count: n))
  let afterSetup = peakRSS()
  let t0 = now()
  let result = try ConjugateGradient(stopping: StoppingCriterion(rtol: rtol, maxIterations: maxIterations))
    .solve(A, b, x0: nil, monitor: nil)
  let t1 = now()
  let peak = peakRSS()
  let matrixBytes = Double(A.nonzeros * 12 + (n + 1) * 8)
  var r = Record(
    method: "memory", dim: dim, N: N, n: n, nnz: A.nonzeros, threads: Parallel.chunkCount(n),
    run: 0, iterations: result.iterations, seconds: t1 - t0, relres: result.relativeResidual,
    checksum: checksum(A))
  r.extra = [
    ("rss_baseline_bytes", .number(baseline)), ("rss_after_setup_bytes", .number(afterSetup)),
    ("rss_peak_bytes", .number(peak)), ("matrix_bytes", .number(matrixBytes)),
    ("model_bytes", .number(matrixBytes + 4 * 8 * Double(n))),
  ]
  r.emit()
}

/// Where a CG iteration's time goes, through LinSolve's public kernels: SpMV, the level-1
/// operations, and the cost of `Parallel`'s dispatch alone (an empty body over n elements).
func kernelBenchmarks() {
  let dim = arguments.int("--dim", 2)
  let N = arguments.int("--N", 256)
  let reps = arguments.int("--reps", 50)
  Parallel.threads = arguments.int("--threads", 2)
  let A = poisson(dim: dim, N: N)
  let n = A.rows
  let threads = Parallel.chunkCount(n)
  var x = (0..<n).map { 1.0 + 1e-3 * Double($0 % 7) }
  var y = [Double](repeating: 0, count: n)
  var z = [Double](repeating: 0.5, count: n)
  var sink = 0.0
  // When a CG solve's working set (matrix + 4 vectors) does not fit in the last-level cache,
  // its vectors come from memory: evict the caches before each call (by writing a buffer twice
  // the cache size) so that the level-1 kernels are timed as CG meets them, not from cache.
  let l3 = lastLevelCacheBytes()
  let workingSet = 12 * A.nonzeros + 8 * (n + 1) + 4 * 8 * n
  let cold = workingSet > l3
  var evict = [Double](repeating: 0, count: cold ? 2 * l3 / 8 : 0)

  func time(_ name: String, _ body: () -> Void) {
    body()  // warm
    var times: [Double] = []
    for _ in 0..<reps {
      if cold {
        evict.withUnsafeMutableBufferPointer { e in
          var i = 0
          while i < e.count { e[i] += 1; i += 8 }  // one write per cache line
        }
      }
      let t0 = now()
      body()
      times.append(now() - t0)
    }
    times.sort()
    var r = Record(
      method: "kernel:" + name, dim: dim, N: N, n: n, nnz: A.nonzeros, threads: threads, run: 0,
      iterations: 1, seconds: times[reps / 2], checksum: "")
    r.extra = [("reps", .int(reps)), ("min_seconds", .number(times[0])), ("cold_cache", .int(cold ? 1 : 0))]
    r.emit()
  }

  x.withUnsafeMutableBufferPointer { xp in
    y.withUnsafeMutableBufferPointer { yp in
      z.withUnsafeMutableBufferPointer { zp in
        let xr = UnsafeBufferPointer(xp), yr = UnsafeBufferPointer(yp)
        time("spmv") { A.apply(xr, into: yp) }
        time("dot") { sink += Vector.dot(xr, yr) }
        time("axpy") { Vector.axpy(1e-9, xr, zp) }
        time("xpby") { Vector.xpby(xr, 0.5, zp) }
        time("dispatch-sum") { sink += Parallel.sum(n) { _ in 1.0 } }
        time("dispatch-forEach") { Parallel.forEachChunk(n) { _ in } }
      }
    }
  }
  if sink == .infinity || evict.first == -1 { print(sink) }

  // Does a split loop really run on two threads? For chunks as long as the SpMV's, record
  // which thread ran each chunk and when it started; count the calls whose chunks ran on
  // distinct threads (0 with one thread, or when the caller ran every chunk), and how long
  // after the call the helper thread started its chunk.
  let chunks = Parallel.chunkCount(n)
  if chunks > 1 {
    let calls = max(20, reps)
    var distinct = 0
    var spent: [Double] = []
    var delays: [Double] = []
    A.rowPointers.withUnsafeBufferPointer { rp in
      A.values.withUnsafeBufferPointer { vp in
        let ids = UnsafeMutablePointer<UInt>.allocate(capacity: chunks)
        let starts = UnsafeMutablePointer<Double>.allocate(capacity: chunks)
        defer { ids.deallocate(); starts.deallocate() }
        let box = UncheckedBox((ids, starts))
        for _ in 0..<calls {
          let t0 = now()
          Parallel.forEachChunk(n) { range in
            let c = range.lowerBound == 0 ? 0 : chunks - 1
            box.value.1[c] = now()
            var s = 0.0
            for i in range {  // the SpMV's traffic over the matrix, without its gather
              var k = rp[i]
              while k < rp[i + 1] { s += vp[k]; k += 1 }
            }
            box.value.0[c] = UInt(bitPattern: Int(bitPattern: pthread_self())) &+ (s == -1 ? 1 : 0)
          }
          spent.append(now() - t0)
          if ids[0] != ids[chunks - 1] {
            distinct += 1
            delays.append(max(starts[0], starts[chunks - 1]) - t0)
          }
        }
      }
    }
    spent.sort()
    delays.sort()
    var r = Record(
      method: "kernel:split-row-sum", dim: dim, N: N, n: n, nnz: A.nonzeros, threads: threads,
      run: 0, iterations: 1, seconds: spent[calls / 2], checksum: "")
    r.extra = [
      ("calls", .int(calls)), ("two_thread_calls", .int(distinct)),
      ("two_thread_fraction", .number(Double(distinct) / Double(calls))),
      ("helper_start_median_seconds", .number(delays.isEmpty ? .nan : delays[delays.count / 2])),
    ]
    r.emit()
  }
}

/// A pointer shared with the chunks of one `Parallel` loop (each writes its own slot).
struct UncheckedBox<T>: @unchecked Sendable {
  let value: T
  init(_ value: T) { self.value = value }
}

func matrixMarketWrite() throws {
  let dim = arguments.int("--dim", 2)
  let N = arguments.int("--N", 1024)
  let path = arguments.string("--file", "poisson.mtx")
  let A = poisson(dim: dim, N: N)
  try MatrixMarket.write(A, to: path, comment: "LinSolve benchmark: Poisson \(dim)-D, N = \(N)")
}

func matrixMarketRead() throws {
  let path = arguments.string("--file", "poisson.mtx")
  let runs = arguments.int("--runs", 3)
  var info = stat()
  stat(path, &info)
  let bytes = Double(info.st_size)
  for run in 0..<runs {
    let t0 = now()
    let A = try MatrixMarket.readMatrix(path: path)
    let t1 = now()
    var r = Record(
      method: "mmread", dim: 0, N: 0, n: A.rows, nnz: A.nonzeros, threads: 1, run: run,
      iterations: 0, seconds: t1 - t0, checksum: checksum(A))
    r.extra = [("bytes", .number(bytes)), ("mb_per_s", .number(bytes / (t1 - t0) / 1e6))]
    r.emit()
  }
}

do {
  switch arguments.mode {
  case "solve": try solveBenchmarks()
  case "memory": try memoryBenchmark()
  case "kernels": kernelBenchmarks()
  case "mmwrite": try matrixMarketWrite()
  case "mmread": try matrixMarketRead()
  default:
    print("usage: linsolve-bench solve|memory|kernels|mmwrite|mmread [--dim 2|3] [--N n] [--runs k] "
      + "[--threads t] [--methods cg,pcg-jacobi,pcg-ic0,spmv,sor,cholesky] [--file F.mtx]")
    exit(arguments.mode == "help" ? 0 : 2)
  }
} catch {
  printError("linsolve-bench: \(error)")
  exit(1)
}
