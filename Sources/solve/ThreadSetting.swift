import ArgumentParser
import Foundation
import LinSolve

/// How many threads a solve uses: `--threads N`, else the environment variable
/// `LINSOLVE_NUM_THREADS`, else the library's default (``Parallel/threads``: the number of
/// cores, at most 2). The value sets both LinSolve's worker pool (``Parallel/threads``) and
/// OpenBLAS's threads (``BLAS/threads``).
enum ThreadSetting {
  /// The environment variable read when `--threads` is not given.
  static let environmentVariable = "LINSOLVE_NUM_THREADS"
  /// The largest thread count accepted (the worker pool's limit, ``Parallel/threads``).
  static let maximum = 32

  /// The help text of `--threads`.
  static let help = ArgumentHelp(
    "Threads for LinSolve's kernels and for OpenBLAS, 1 to \(maximum). Default: $\(environmentVariable) if set, else the number of cores (at most 2).",
    valueName: "n")

  /// Checks a thread count from `source` (`--threads` or the environment variable).
  static func validate(_ n: Int, source: String) throws {
    guard n >= 1 && n <= maximum else {
      throw ValidationError("\(source) \(n) is not in 1…\(maximum)")
    }
  }

  /// Sets the worker pool and OpenBLAS to `n` threads.
  static func apply(_ n: Int) {
    Parallel.threads = n
    BLAS.threads = n
  }

  /// Applies `LINSOLVE_NUM_THREADS` when it is set (before parsing, so that every subcommand
  /// sees it); a value that is not a thread count is an error.
  static func applyEnvironment() throws {
    guard let text = ProcessInfo.processInfo.environment[environmentVariable], !text.isEmpty else { return }
    guard let n = Int(text.trimmingCharacters(in: .whitespaces)) else {
      throw ValidationError("\(environmentVariable)=\(text) is not a whole number of threads")
    }
    try validate(n, source: environmentVariable + " =")
    apply(n)
  }

  /// Whether the environment variable set the thread count.
  static var fromEnvironment: Bool {
    !(ProcessInfo.processInfo.environment[environmentVariable] ?? "").isEmpty
  }
}
