import Foundation
import LinSolve

/// Per-iteration output: `--monitor` lines (like PETSc's `-ksp_monitor`) and, on a terminal,
/// a self-overwriting progress line for long solves (quiet when standard error is piped).
final class ProgressReporter {
  private let monitorLines: Bool
  private let showProgress: Bool
  private let clock = ContinuousClock()
  private let started: ContinuousClock.Instant
  private var lastDraw: ContinuousClock.Instant
  private var initialResidual = 0.0
  private var drewProgress = false
  /// Set by a SIGINT handler: stops the solve cleanly at the next iteration.
  nonisolated(unsafe) static var interrupted = false

  init(monitor: Bool) {
    monitorLines = monitor
    showProgress = !monitor && isatty(STDERR_FILENO) == 1
    started = clock.now
    lastDraw = started
  }

  /// The monitor callback handed to the solver.
  func callback(iteration k: Int, residual r: Double) -> MonitorAction {
    if k == 0 { initialResidual = r }
    if monitorLines {
      print(String(format: "%5d residual norm %.12e", k, r))
    } else if showProgress {
      let now = clock.now
      if now - lastDraw > .milliseconds(250) {
        lastDraw = now
        let seconds = Double((now - started).components.attoseconds) * 1e-18 + Double((now - started).components.seconds)
        let rate = k > 0 && initialResidual > 0 && r > 0 ? pow(r / initialResidual, 1 / Double(k)) : .nan
        let line = String(format: "\r  iteration %d  residual %.3e  rate %.4f/iteration  %.1f s ", k, r, rate, seconds)
        FileHandle.standardError.write(line.data(using: .utf8)!)
        drewProgress = true
      }
    }
    return ProgressReporter.interrupted ? .stop : .continue
  }

  /// Clears the progress line.
  func finish() {
    if drewProgress { FileHandle.standardError.write("\r\u{1B}[K".data(using: .utf8)!) }
  }

  /// Installs a SIGINT handler that asks the running solve to stop (a second Ctrl-C exits).
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
