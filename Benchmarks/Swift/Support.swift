// Timing, memory, argument and JSON helpers for linsolve-bench.

import LinSolve

#if canImport(Glibc)
import Glibc
#endif

/// Seconds on the monotonic clock.
func now() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_MONOTONIC, &t)
  return Double(t.tv_sec) + 1e-9 * Double(t.tv_nsec)
}

/// Current resident set size in bytes (`/proc/self/statm`: size, resident, … in pages).
func currentRSS() -> Double {
  let fd = open("/proc/self/statm", O_RDONLY)
  guard fd >= 0 else { return 0 }
  defer { close(fd) }
  var buffer = [UInt8](repeating: 0, count: 256)
  let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
  guard count > 0 else { return 0 }
  let fields = String(decoding: buffer[0..<count], as: UTF8.self).split(separator: " ")
  guard fields.count >= 2, let resident = Int(fields[1]) else { return 0 }
  return Double(resident) * Double(sysconf(Int32(_SC_PAGESIZE)))
}

/// Peak resident set size in bytes (`getrusage`).
func peakRSS() -> Double {
  var u = rusage()
  getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
  return Double(u.ru_maxrss) * 1024
}

/// `--key value` arguments.
struct Arguments {
  let mode: String
  private var values: [String: String] = [:]

  init(_ argv: [String]) {
    mode = argv.count > 1 ? argv[1] : "help"
    var i = 2
    while i + 1 < argv.count {
      values[argv[i]] = argv[i + 1]
      i += 2
    }
  }

  func string(_ key: String, _ fallback: String) -> String { values[key] ?? fallback }
  func int(_ key: String, _ fallback: Int) -> Int { values[key].flatMap { Int($0) } ?? fallback }
  func double(_ key: String, _ fallback: Double) -> Double {
    values[key].flatMap { Double($0) } ?? fallback
  }
}

/// The structural checksum of `Benchmarks/c/bench_common.h`:
/// `Σ_k (k+1)·((row+1)·1000003 + col+1)·Int64(value)` modulo 2⁶⁴.
func checksum(_ a: SparseMatrix) -> String {
  var h: UInt64 = 0
  for i in 0..<a.rows {
    for k in a.rowPointers[i]..<a.rowPointers[i + 1] {
      let key = UInt64(i + 1) &* 1_000_003 &+ UInt64(Int(a.columnIndices[k]) + 1)
      h = h &+ UInt64(k + 1) &* key &* UInt64(bitPattern: Int64(a.values[k]))
    }
  }
  let hex = String(h, radix: 16)
  return String(repeating: "0", count: 16 - hex.count) + hex
}

/// A JSON value written as is (numbers, or an already quoted string).
struct JSON {
  let text: String
  static func string(_ s: String) -> JSON { JSON(text: "\"" + s + "\"") }
  static func number(_ x: Double) -> JSON { JSON(text: x.isFinite ? "\(x)" : "null") }
  static func int(_ x: Int) -> JSON { JSON(text: "\(x)") }
}

/// One measurement, one line of JSON on standard output (the format run.py reads).
struct Record {
  var peer = "LinSolve"
  var method: String
  var dim: Int
  var N: Int
  var n: Int
  var nnz: Int
  var threads: Int
  var run: Int
  var iterations: Int
  var seconds: Double
  var setupSeconds = 0.0
  var relres = 0.0
  var checksum = ""
  var extra: [(String, JSON)] = []

  func emit() {
    var fields: [(String, JSON)] = [
      ("peer", .string(peer)), ("method", .string(method)),
      ("problem", .string(dim == 0 ? "file" : "\(dim)d")), ("N", .int(N)), ("n", .int(n)),
      ("nnz", .int(nnz)), ("threads", .int(threads)), ("run", .int(run)),
      ("iterations", .int(iterations)), ("seconds", .number(seconds)),
      ("setup_seconds", .number(setupSeconds)), ("relres", .number(relres)),
      ("checksum", .string(checksum)),
    ]
    fields += extra
    print("{" + fields.map { "\"\($0.0)\": \($0.1.text)" }.joined(separator: ", ") + "}")
    fflush(nil)
  }
}

/// The Poisson matrix of the benchmark: 2-D 5-point or 3-D 7-point, N points per side.
func poisson(dim: Int, N: Int) -> SparseMatrix {
  dim == 3 ? Poisson.matrix3D(N) : Poisson.matrix2D(N)
}

/// OpenBLAS's thread count as the environment sets it (CHOLMOD's supernodal kernels use it).
func openBLASThreads() -> Int {
  if let s = getenv("OPENBLAS_NUM_THREADS"), let t = Int(String(validatingCString: s) ?? "") {
    return t
  }
  return System.coreCount
}

/// Writes a line to standard error.
func printError(_ message: String) {
  var line = Array((message + "\n").utf8)
  _ = line.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}

/// The last-level cache size from sysfs (`/sys/devices/system/cpu/cpu0/cache/index3/size`,
/// e.g. `32768K`); 32 MiB when it cannot be read. (glibc's `_SC_LEVEL3_CACHE_SIZE` reports
/// 320 MiB on the reference VM.)
func lastLevelCacheBytes() -> Int {
  let fd = open("/sys/devices/system/cpu/cpu0/cache/index3/size", O_RDONLY)
  guard fd >= 0 else { return 32 << 20 }
  defer { close(fd) }
  var buffer = [UInt8](repeating: 0, count: 64)
  let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
  guard count > 0 else { return 32 << 20 }
  var text = String(decoding: buffer[0..<count], as: UTF8.self)
  while let last = text.last, last == "\n" || last == " " { text.removeLast() }
  var scale = 1
  if text.hasSuffix("K") { scale = 1 << 10; text.removeLast() }
  else if text.hasSuffix("M") { scale = 1 << 20; text.removeLast() }
  guard let value = Int(text), value > 0 else { return 32 << 20 }
  return value * scale
}
