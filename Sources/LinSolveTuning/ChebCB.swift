#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import LinSolveCore

/// ChebCB: a contextual bandit for one scalar context `c ∈ [a, b]` (a diagonal shift, a
/// time-dependent coefficient, …) that learns, for every arm, a smooth curve
/// `c ↦ expected cost`, and so approaches the instance-optimal choice instead of the best
/// fixed one.
///
/// This is the ChebCB of Khodak, Chow, Balcan and Talwalkar (*Learning to Relax: Setting
/// Solver Parameters Across a Sequence of Linear System Instances*, ICLR 2024;
/// `learners/ChebCB.m` of the ICLR-final code):
///
/// - **Regression.** Each arm's cost is fitted by least squares on the `m` Chebyshev
///   polynomials `T₀ … T_{m−1}` (default `m = 6`, degree 5) of `z = 2(c − a)/(b − a) − 1`,
///   against the target `y = (cost − baseline)/scale` with `scale = K·N`, `K` the largest
///   cost so far, `L = K/(b − a)` and `N = 2 + 4(b − a)(L/K)(1 + ln m)`. The coefficients are
///   kept in the box `|θ₀| ≤ 1/N`, `|θ_j| ≤ 2(b − a)L/(scale·j)` (`= 2/(N j)`): the plain
///   min-norm fit is used when it lies in the box, else a box-constrained least-squares
///   solve (the authors' `lsqminnorm`, then `lsqlin`).
/// - **Exploration.** Inverse-gap weighting (SquareCB, Foster & Rakhlin, *Beyond UCB:
///   Optimal and efficient contextual bandits with regression oracles*, ICML 2020): with
///   predictions `ŷ_i` and the greedy arm `i* = argmin ŷ`, arm `i ≠ i*` is played with
///   probability `1/(d + η(ŷ_i − ŷ_{i*}))` and `i*` with the rest.
/// - **Learning rate.** After round `t`, `η = 2t·√(d·t / (R − resnorm + 2α²t))` with
///   `α = (π + (2/π) ln(2m + 1))/(2N(m + 1))`, `R = Σ_s (ŷ_s − cost_s/(K N))²` over the
///   predictions `ŷ_s` of the arms played, and `resnorm` the squared residual of the last
///   box-constrained fit of the round (0 when none was needed). `η = 0` in round 1 (uniform).
///
/// The authors compute `L` from a preallocated cost array whose minimum stays 0, so in their
/// runs `L = K/(b − a)` exactly; that is the default here (`N = 2 + 4(1 + ln m)`, 13.167 for
/// `m = 6`). `lipschitzFromObservedRange: true` uses the observed `(max − min)/(b − a)`.
///
/// **Incremental fit.** Instead of refitting from the whole history every round
/// (O(t·m²)), each arm keeps its normal equations `FᵀF` (m × m), `Fᵀℓ` and `Σℓ²` in loss
/// units `ℓ = cost − baseline`; a change of scale only divides `Fᵀℓ` by a new number, so
/// the played arm is refitted each round and every arm when the scale changes, in O(d·m³)
/// with no history kept. The min-norm fit is the Cholesky solution of `(FᵀF + λI) θ = Fᵀy`
/// with `λ = 1e-12 · max diag(FᵀF)`, refined by two steps of iterated Tikhonov (an arm with
/// fewer than m distinct contexts gets the minimum-norm solution, as `lsqminnorm` gives,
/// up to O((λ/μ)³) along small eigenvalues μ); the box-constrained fit is a bounded active-set method
/// on the same normal equations (Lawson–Hanson style, exact for m ≤ 12 in a few steps).
///
/// **Edge cases.** Contexts outside `[a, b]` are clamped into it (the Chebyshev features are
/// only bounded on [−1, 1]), so choose a range that covers the contexts you expect. A cost
/// below the baseline (0 iterations) gives loss 0. Before any cost above 0, `K` is taken as 1.
/// A non-positive `R − resnorm + 2α²t` is replaced by `2α²t`; η is capped at 1e300.
///
/// - Complexity: O(d·m) per ``next(context:using:)``; O(m³) per ``observe(cost:)`` (O(d·m³)
///   when the scale changes, i.e. when a new largest cost is seen). No allocation after
///   the first decision.
public struct ChebCB: Sendable {
  /// The number of arms `d`.
  public let arms: Int
  /// The number of Chebyshev features `m` (degree `m − 1`).
  public let features: Int
  /// The context range `[a, b]` mapped to [−1, 1].
  public let range: ClosedRange<Double>
  /// Subtracted from each cost to form the loss (1 for iterations, 0 for seconds).
  public let baseline: Double
  /// Use the observed cost range for `L` instead of the authors' `L = K/(b − a)`.
  public let lipschitzFromObservedRange: Bool

  /// Rounds completed (costs observed).
  public internal(set) var rounds: Int
  /// The current inverse-gap learning rate η.
  public internal(set) var learningRate: Double
  /// The current normalisation `K·N` of the regression targets (0 before the first cost).
  public internal(set) var scale: Double
  /// The coefficients, arm by arm (`d × m`, row-major), in units of ``scale``.
  public internal(set) var coefficients: [Double]
  /// The distribution of the last decision (all `1/d` before the first one).
  public internal(set) var probabilities: [Double]
  /// The arm of the decision awaiting its cost, if any.
  public internal(set) var pendingArm: Int?
  /// The arm of the last decision.
  public internal(set) var lastArm: Int?
  /// The context of the last decision, after clamping into ``range``.
  public internal(set) var lastContext: Double?
  /// How many costs each arm has been fitted on.
  public internal(set) var counts: [Int]

  // Per-arm normal equations in loss units.
  var gram: [Double]  // d × m × m
  var moments: [Double]  // d × m:  Fᵀℓ
  var lossSquares: [Double]  // d:  Σℓ²
  var maxCost: Double
  var minCost: Double
  // Running sums for R = Σ (ŷ_s − cost_s/scale)².
  var sumPredictionSquares: Double
  var sumPredictionCosts: Double
  var sumCostSquares: Double
  /// The squared residual of the last box-constrained fit of the last round (0 if none).
  public internal(set) var boundedResidual: Double
  var pendingFeatures: [Double]  // m
  var pendingPrediction: Double
  private var work = Workspace(arms: 0, features: 0)

  /// A learner with no history.
  ///
  /// - Parameters:
  ///   - arms: the number of candidate values `d`.
  ///   - features: `m`, the number of Chebyshev polynomials (1 … 12); 6 in the paper.
  ///   - range: the context range `[a, b]`; the paper uses `[−0.15, 0.65]` for diagonal shifts
  ///     in `[−0.15, 0.45]`, and the observed range for the heat equation.
  ///   - baseline: subtracted from every cost (1 for iterations, 0 for seconds).
  ///   - lipschitzFromObservedRange: see the type's documentation; `false` reproduces the paper.
  /// - Throws: ``TuningError/invalidStrategy(_:)`` for out-of-range settings.
  public init(
    arms: Int, features: Int = 6, range: ClosedRange<Double> = -0.15...0.65, baseline: Double = 1,
    lipschitzFromObservedRange: Bool = false
  ) throws {
    try TuningLimits.checkArms(arms, what: "ChebCB")
    guard (1...12).contains(features) else {
      throw TuningError.invalidStrategy("ChebCB needs 1 to 12 Chebyshev features, not \(features)")
    }
    try TuningError.checkContextRange(range)
    guard baseline.isFinite else { throw TuningError.invalidStrategy("the cost baseline \(baseline) is not finite") }
    self.arms = arms
    self.features = features
    self.range = range
    self.baseline = baseline
    self.lipschitzFromObservedRange = lipschitzFromObservedRange
    rounds = 0
    learningRate = 0
    scale = 0
    coefficients = [Double](repeating: 0, count: arms * features)
    probabilities = [Double](repeating: 1 / Double(arms), count: arms)
    counts = [Int](repeating: 0, count: arms)
    gram = [Double](repeating: 0, count: arms * features * features)
    moments = [Double](repeating: 0, count: arms * features)
    lossSquares = [Double](repeating: 0, count: arms)
    maxCost = 0
    minCost = 0
    sumPredictionSquares = 0
    sumPredictionCosts = 0
    sumCostSquares = 0
    boundedResidual = 0
    pendingFeatures = [Double](repeating: 0, count: features)
    pendingPrediction = 0
    work = Workspace(arms: arms, features: features)
  }

  // MARK: - Decisions

  /// Chooses an arm for a system with the given context.
  ///
  /// - Throws: ``TuningError/decisionPending`` if the previous decision has no cost yet;
  ///   ``TuningError/invalidContext(_:)`` for NaN or ±Inf.
  public mutating func next(context: Double, using generator: inout SeededGenerator) throws -> Int {
    guard pendingArm == nil else { throw TuningError.decisionPending }
    guard context.isFinite else { throw TuningError.invalidContext(context) }
    ensureWorkspace()
    let c = min(max(context, range.lowerBound), range.upperBound)
    Self.chebyshev(at: normalised(c), into: &pendingFeatures)
    let d = arms, m = features
    var best = 0
    for i in 0..<d {
      var y = 0.0
      for j in 0..<m { y += coefficients[i * m + j] * pendingFeatures[j] }
      work.predictions[i] = y
      if y < work.predictions[best] { best = i }
    }
    let yBest = work.predictions[best]
    var others = 0.0
    for i in 0..<d where i != best {
      let p = 1 / (Double(d) + learningRate * (work.predictions[i] - yBest))
      probabilities[i] = p
      others += p
    }
    probabilities[best] = max(1 - others, 0)
    let arm = generator.index(weights: probabilities)
    pendingArm = arm
    lastArm = arm
    lastContext = c
    pendingPrediction = work.predictions[arm]
    return arm
  }

  /// Learns from the cost of the pending decision: refits the played arm (every arm if the
  /// scale changed) and updates η.
  ///
  /// - Throws: ``TuningError/noPendingDecision``, ``TuningError/invalidCost(_:)``.
  public mutating func observe(cost: Double) throws {
    guard let arm = pendingArm else { throw TuningError.noPendingDecision }
    try TuningLimits.checkRoundAvailable(rounds)
    let loss = try TuningError.loss(cost: cost, baseline: baseline)
    ensureWorkspace()
    let d = arms, m = features
    rounds += 1
    let t = Double(rounds)
    if rounds == 1 {
      maxCost = cost
      minCost = cost
    } else {
      maxCost = max(maxCost, cost)
      minCost = min(minCost, cost)
    }

    // Normal equations of the played arm: FᵀF += f fᵀ, Fᵀℓ += ℓ f, Σℓ² += ℓ².
    let g = arm * m * m
    for r in 0..<m {
      moments[arm * m + r] += loss * pendingFeatures[r]
      for c in 0..<m { gram[g + r * m + c] += pendingFeatures[r] * pendingFeatures[c] }
    }
    lossSquares[arm] += loss * loss
    counts[arm] += 1

    // Normalisation and bounds.
    let k = maxCost > 0 ? maxCost : 1
    let spread = lipschitzFromObservedRange ? maxCost - minCost : k  // (b − a)·L
    let n = 2 + 4 * (spread / k) * (1 + log(Double(m)))
    let newScale = k * n
    let refitAll = newScale != scale
    scale = newScale
    work.fitter.upper[0] = 1 / n
    for j in 1..<m { work.fitter.upper[j] = 2 * spread / (scale * Double(j)) }
    for j in 0..<m { work.fitter.lower[j] = -work.fitter.upper[j] }

    var residual = 0.0
    for i in 0..<d where counts[i] > 0 && (refitAll || i == arm) {
      if let r = fit(arm: i) { residual = r }
    }
    boundedResidual = residual

    // R = Σ (ŷ_s − cost_s/scale)², kept as three running sums.
    sumPredictionSquares += pendingPrediction * pendingPrediction
    sumPredictionCosts += pendingPrediction * cost
    sumCostSquares += cost * cost
    let r = max(
      sumPredictionSquares - 2 * sumPredictionCosts / scale + sumCostSquares / (scale * scale), 0)
    let mm = Double(m)
    let alpha = (Double.pi + 2 / Double.pi * log(2 * mm + 1)) * spread / (2 * scale * (mm + 1))
    var denominator = r - residual + 2 * alpha * alpha * t
    if !(denominator > 0) { denominator = 2 * alpha * alpha * t }
    let eta = denominator > 0 ? 2 * t * (Double(d) * t / denominator).squareRoot() : .infinity
    learningRate = eta.isFinite ? min(eta, 1e300) : 1e300
    pendingArm = nil
  }

  /// Forgets the pending decision without learning from it.
  public mutating func discardPendingDecision() { pendingArm = nil }

  /// The prediction `ŷ` of the pending arm (what ``observe(cost:)`` adds to `R`).
  package var pendingArmPrediction: Double { pendingPrediction }

  /// Learns from the cost of an earlier decision no longer pending: `arm` chosen at the
  /// clamped context `context` (``lastContext`` of that decision) with prediction
  /// `prediction`. The decision is made pending again and observed, so this is exactly
  /// ``observe(cost:)`` of that decision.
  package mutating func observe(arm: Int, context: Double, prediction: Double, cost: Double) throws {
    guard pendingArm == nil else { throw TuningError.decisionPending }
    guard (0..<arms).contains(arm), context.isFinite else { throw TuningError.noPendingDecision }
    Self.chebyshev(at: normalised(min(max(context, range.lowerBound), range.upperBound)), into: &pendingFeatures)
    pendingArm = arm
    pendingPrediction = prediction
    do { try observe(cost: cost) } catch {
      pendingArm = nil
      throw error
    }
  }

  // MARK: - Predictions

  /// The fitted cost of `arm` at `context` (clamped into ``range``), in cost units:
  /// `baseline + scale · θ_arm · T(z)`. Zero-history arms predict `baseline`.
  public func predictedCost(arm: Int, context: Double) -> Double {
    precondition((0..<arms).contains(arm), "arm \(arm) is not in 0..<\(arms)")
    var f = [Double](repeating: 0, count: features)
    Self.chebyshev(at: normalised(min(max(context, range.lowerBound), range.upperBound)), into: &f)
    var y = 0.0
    for j in 0..<features { y += coefficients[arm * features + j] * f[j] }
    return baseline + scale * y
  }

  /// The arm with the lowest fitted cost at `context` (the first one on a tie).
  public func greedyArm(context: Double) -> Int {
    var best = 0
    var bestCost = Double.infinity
    for i in 0..<arms {
      let y = predictedCost(arm: i, context: context)
      if y < bestCost {
        best = i
        bestCost = y
      }
    }
    return best
  }

  // MARK: - Implementation

  private func normalised(_ c: Double) -> Double {
    let z = 2 * (c - range.lowerBound) / (range.upperBound - range.lowerBound) - 1
    return min(max(z, -1), 1)
  }

  /// `T₀(z) … T_{m−1}(z)` by the three-term recurrence `T_{j+1} = 2z T_j − T_{j−1}`.
  package static func chebyshev(at z: Double, into f: inout [Double]) {
    let m = f.count
    guard m > 0 else { return }
    f[0] = 1
    if m > 1 { f[1] = z }
    if m > 2 {
      for j in 2..<m { f[j] = 2 * z * f[j - 1] - f[j - 2] }
    }
  }

  private mutating func ensureWorkspace() {
    if work.fitter.size != features || work.predictions.count != arms {
      work = Workspace(arms: arms, features: features)
    }
  }

  /// Refits arm `i` from its normal equations with targets `ℓ/scale`. Returns the squared
  /// residual if the box-constrained solve was needed, `nil` if the min-norm fit was in the box.
  private mutating func fit(arm i: Int) -> Double? {
    let m = features
    let g = i * m * m
    for j in 0..<m { work.fitter.h[j] = moments[i * m + j] / scale }
    let boxed = work.fitter.solve(gram: gram, offset: g)
    for j in 0..<m { coefficients[i * m + j] = work.fitter.theta[j] }
    guard boxed else { return nil }
    // ‖Fθ − y‖² = θᵀGθ − 2 hᵀθ + yᵀy.
    let quadratic = work.fitter.objective(gram: gram, offset: g)
    return max(quadratic + lossSquares[i] / (scale * scale), 0)
  }

  /// Scratch vectors for the decisions and the fits, sized once; not part of the saved state.
  struct Workspace: Sendable {
    var predictions: [Double]  // d
    var fitter: BoxLeastSquares

    init(arms: Int, features m: Int) {
      predictions = [Double](repeating: 0, count: arms)
      fitter = BoxLeastSquares(size: m)
    }
  }
}
