import Foundation
import LinSolve

/// Per-iteration output: `--monitor` lines (like PETSc's `-ksp_monitor`; on standard error
/// with `--json`, so that standard output stays one JSON object), the residuals `--history`
/// writes, and, on a terminal, a self-overwriting progress line for long solves (quiet when
/// standard error is piped).
///
/// Every method reports through ``callback(iteration:residual:)``, the library's
/// ``SolveMonitor`` contract. A direct solve adds one ``phase(_:since:detail:)`` line per
/// phase before it: analyse (CHOLMOD's symbolic analysis), factorize; its monitor lines are
/// then the solve (`k = 0`) and each step of iterative refinement (`k = 1, 2`).
final class ProgressReporter {
  private let monitorLines: Bool
  private let toStandardError: Bool
  private let recordHistory: Bool
  private let showProgress: Bool
  private let clock = ContinuousClock()
  private let started: ContinuousClock.Instant
  private var lastDraw: ContinuousClock.Instant
  private var initialResidual = 0.0
  private var drewProgress = false
  /// The `(k, ‖r_k‖)` pairs seen, when recording (what `--history` writes).
  private(set) var history: [(iteration: Int, residual: Double)] = []
  /// Whether the solve is direct: its monitor calls are named phases (`solve`, `refine k`).
  var direct = false
  /// Set by a SIGINT handler: stops the solve cleanly at the next iteration.
  nonisolated(unsafe) static var interrupted = false

  /// - Parameters:
  ///   - monitor: print one line per monitor call (`--monitor`).
  ///   - toStandardError: print those lines on standard error (with `--json`).
  ///   - recordHistory: keep every `(k, ‖r_k‖)` for ``history``.
  init(monitor: Bool, toStandardError: Bool = false, recordHistory: Bool = false) {
    monitorLines = monitor
    self.toStandardError = toStandardError
    self.recordHistory = recordHistory
    showProgress = !monitor && isatty(STDERR_FILENO) == 1
    started = clock.now
    lastDraw = started
  }

  /// The monitor callback handed to the solver.
  func callback(iteration k: Int, residual r: Double) -> MonitorAction {
    if k == 0 { initialResidual = r }
    if recordHistory { history.append((k, r)) }
    if monitorLines && direct {
      emit((k == 0 ? "phase solve" : "phase refine \(k)") + String(format: ", residual norm %.12e", r))
    } else if monitorLines {
      emit(String(format: "%5d residual norm %.12e", k, r))
    } else if showProgress {
      let now = clock.now
      if now - lastDraw > .milliseconds(250) {
        lastDraw = now
        let rate = k > 0 && initialResidual > 0 && r > 0 ? pow(r / initialResidual, 1 / Double(k)) : .nan
        let line = String(format: "\r  iteration %d  residual %.3e  rate %.4f/iteration  %.1f s ", k, r, rate, seconds(since: started))
        FileHandle.standardError.write(line.data(using: .utf8)!)
        drewProgress = true
      }
    }
    return ProgressReporter.interrupted ? .stop : .continue
  }

  /// One `--monitor` line for a phase of a direct solve: its name and the seconds since `start`.
  func phase(_ name: String, since start: ContinuousClock.Instant, detail: String?) {
    guard monitorLines else { return }
    emit("phase \(name) " + String(format: "%.6f s", seconds(since: start)) + (detail.map { ", \($0)" } ?? ""))
  }

  /// Clears the progress line.
  func finish() {
    if drewProgress { FileHandle.standardError.write("\r\u{1B}[K".data(using: .utf8)!) }
  }

  private func emit(_ line: String) {
    if toStandardError { standardError(line) } else { print(line) }
  }

  private func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = clock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }

  /// Installs a SIGINT handler that asks the running solve to stop (a second Ctrl-C exits).
  /// The solve then writes what it has and `solve` exits with status 130.
  static func installInterruptHandler() {
    // A process started from a thread that blocks SIGINT (a test runner's worker, some job
    // launchers) inherits the blocked mask across exec: unblock it, or Ctrl-C would never arrive.
    var mask = sigset_t()
    sigemptyset(&mask)
    sigaddset(&mask, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &mask, nil)
    signal(SIGINT) { _ in
      if ProgressReporter.interrupted { _exit(130) }
      ProgressReporter.interrupted = true
    }
  }
}
