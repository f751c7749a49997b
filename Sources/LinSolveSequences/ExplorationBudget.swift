import Foundation
import LinSolveCore

/// The time an exploring arm of a ``PortfolioSequenceSolver`` may spend on one system, and the
/// monitor that enforces it: the solve is stopped as soon as its set-up plus iterations pass
/// ``seconds`` or — from the first iterations' convergence rate — are predicted to.
///
/// **Prediction.** After `k ≥ minimumIterationsToPredict` iterations with residuals `r_0 … r_k`,
/// the mean contraction `ρ = (r_k / r_0)^{1/k}` projects `K = log(τ / r_0) / log ρ` iterations to
/// reach the threshold `τ`, and `set-up + (elapsed / k) · K` seconds; an arm projected past
/// ``predictionMargin`` times the budget is stopped then instead of at the budget. CG's
/// contraction improves as it goes (its early rate is pessimistic: PCG-Jacobi on 3-D heat was
/// projected at 1.5× a budget it met), hence 10 iterations and the factor 2 before a prediction
/// stops an arm (PCGBandit, arXiv 2509.08765, pays each bad
/// arm in full; here it costs a few iterations). A projection is capped at ``projectionCap`` times
/// the budget (an arm that does not contract at all is charged that), so a learner always sees
/// a finite cost.
public final class ExplorationBudget: @unchecked Sendable {
  /// Seconds the attempt may take, set-up included.
  public let seconds: Double
  /// Stop an iterative solve on a projected overrun, not only on an actual one (the flop-count
  /// check of a factorization applies either way).
  public let predicts: Bool
  public var minimumIterationsToPredict = 10
  /// A prediction stops an arm only when it projects this multiple of the budget or more.
  public var predictionMargin = 2.0
  /// The largest projection, as a multiple of ``seconds``.
  public static let projectionCap = 10.0
  /// Why the monitor stopped the solve (`nil`: it did not).
  public private(set) var stopReason: String?
  /// The projected seconds of the whole solve when the prediction stopped it.
  public private(set) var projectedSeconds: Double?

  private var start = ContinuousClock.now
  private var setupSeconds = 0.0
  private var firstResidual = 0.0

  /// Thrown by ``checkFactorization(flops:rate:)``: the factorization would pass the budget.
  public struct Exceeded: Error, Sendable {
    public var projectedSeconds: Double
    public init(projectedSeconds: Double) { self.projectedSeconds = projectedSeconds }
  }

  public init(seconds: Double, predicts: Bool = true) {
    self.seconds = seconds
    self.predicts = predicts
  }

  /// Whether a set-up of `setupSeconds` has already used the budget.
  public func isExceeded(bySetup setupSeconds: Double) -> Bool { setupSeconds > seconds }

  /// Before a numeric factorization of `flops` floating-point operations at `rate` per second
  /// (what the same arm reached last time, else an optimistic 10¹⁰): throws ``Exceeded`` when
  /// the projected `set-up so far + flops / rate` passes the budget, so a direct arm too slow
  /// for the budget costs its symbolic analysis only (kept for later systems of the pattern).
  public func checkFactorization(flops: Double, rate: Double, setupSoFar: Double) throws {
    let projected = min(setupSoFar + flops / rate, Self.projectionCap * seconds)
    guard projected > seconds else { return }
    projectedSeconds = projected
    stopReason = "factorization predicted at \(Self.format(projected)) s (\(Self.format(flops)) flops), budget \(Self.format(seconds)) s"
    throw Exceeded(projectedSeconds: projected)
  }

  /// A monitor for a solve after a set-up of `setupSeconds`, converging at `threshold`
  /// (the criterion's `max(rtol‖b‖, atol)`).
  public func monitor(setupSeconds: Double, threshold: Double) -> SolveMonitor {
    start = ContinuousClock.now
    self.setupSeconds = setupSeconds
    stopReason = nil
    projectedSeconds = nil
    return { [self] k, r in
      if k == 0 {
        firstResidual = r
        return .continue
      }
      let elapsed = Self.seconds(since: start)
      let used = self.setupSeconds + elapsed
      if used > seconds {
        stopReason = "passed its budget of \(Self.format(seconds)) s"
        return .stop
      }
      guard predicts, k >= minimumIterationsToPredict, firstResidual > 0, r > threshold, threshold > 0 else { return .continue }
      let rho = pow(r / firstResidual, 1 / Double(k))
      let projected: Double
      if rho >= 1 || !rho.isFinite {
        projected = Self.projectionCap * seconds
      } else {
        let iterations = log(threshold / firstResidual) / log(rho)
        projected = min(self.setupSeconds + elapsed / Double(k) * iterations, Self.projectionCap * seconds)
      }
      if projected > predictionMargin * seconds {
        projectedSeconds = projected
        stopReason = "predicted at \(Self.format(projected)) s after \(k) iterations (contraction \(Self.format(rho))), budget \(Self.format(seconds)) s"
        return .stop
      }
      return .continue
    }
  }

  private static func format(_ x: Double) -> String {
    guard x.isFinite else { return "\(x)" }
    let scaled = (x * 1e4).rounded() / 1e4
    return scaled == 0 && x != 0 ? "\(x)" : "\(scaled)"
  }

  private static func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }
}
