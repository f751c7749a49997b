import ArgumentParser
import LinSolve

/// Options of the least-squares and row-action methods.
struct SketchOptions: ParsableArguments {
  enum Distribution: String, ExpressibleByArgument, CaseIterable {
    case sparseSign = "sparse-sign"
    case gaussian
  }

  @Option(help: "Sketch for sketch-lsqr / iterative-sketch: sparse-sign (8 nonzeros per column) or gaussian.")
  var sketch: Distribution = .sparseSign

  @Option(help: "Sketch size d as a multiple of n (default 4 for sketch-lsqr, 12 for iterative-sketch).")
  var sketchFactor: Double?

  @Option(help: "Seed of the random sketch / sampling (results are reproducible for a seed).")
  var seed: UInt64 = 0

  @Option(help: "Nyström rank ℓ for --preconditioner nystrom (default: adaptive).")
  var rank: Int?

  @Option(help: "The shift μ > 0 of a matrix A + μI, for --preconditioner nystrom.")
  var shift: Double?

  var distribution: SketchingOperator.Distribution { sketch == .gaussian ? .gaussian : .sparseSign() }
}

/// Least squares `min ‖b − Ax‖` and the row-action methods, for `solve`.
struct LeastSquaresSolver {
  var method: Method
  var options: SketchOptions
  var rtol: Double
  var maxIterations: Int?

  /// The outcome, with the least-squares figures the report adds.
  struct Outcome {
    var result: SolveResult
    var backwardError: Double?
    var sketchSeconds: Double = 0
    var factorSeconds: Double = 0
  }

  func solve(_ a: SparseMatrix, _ b: [Double], x0: [Double]?) throws -> Outcome {
    BLAS.threads = Parallel.threads
    switch method {
    case .lapack:
      let x = try DenseLeastSquares.solve(a, b)
      return leastSquaresOutcome(a, b, x)
    case .lsqr:
      let r = try LSQR(stopping: stopping(default: 100_000)).solve(a, b, x0: x0)
      return Outcome(result: r.solveResult, backwardError: backwardError(a, b, r.x))
    case .lsmr:
      let r = try LSMR(stopping: stopping(default: 100_000)).solve(a, b, x0: x0)
      return Outcome(result: r.solveResult, backwardError: backwardError(a, b, r.x))
    case .sketchLSQR:
      let r = try SketchPreconditionedLSQR(
        distribution: options.distribution, oversampling: options.sketchFactor ?? 4, seed: options.seed,
        stopping: StoppingCriterion(rtol: min(rtol, 1e-14), maxIterations: maxIterations ?? 1000)).solve(a, b)
      return Outcome(result: r.solveResult, backwardError: backwardError(a, b, r.x),
                     sketchSeconds: r.timings.sketch, factorSeconds: r.timings.factor)
    case .iterativeSketch:
      let r = try IterativeSketching(
        distribution: options.distribution, oversampling: options.sketchFactor ?? 12, seed: options.seed,
        stopping: StoppingCriterion(rtol: min(rtol, 1e-15), maxIterations: maxIterations ?? 200)).solve(a, b)
      return Outcome(result: r.solveResult, backwardError: backwardError(a, b, r.x),
                     sketchSeconds: r.timings.sketch, factorSeconds: r.timings.factor)
    case .kaczmarz:
      let r = try RandomizedKaczmarz(seed: options.seed, stopping: stopping(default: 100 * a.rows * 1000))
        .solve(a, b, x0: x0)
      return Outcome(result: r)
    case .sketchProject:
      let r = try SketchAndProject(seed: options.seed, stopping: stopping(default: 100 * a.rows * 1000))
        .solve(a, b, x0: x0)
      return Outcome(result: r)
    default:
      preconditionFailure("\(method) is not a least-squares or row-action method")
    }
  }

  private func stopping(default cap: Int) -> StoppingCriterion {
    StoppingCriterion(rtol: rtol, maxIterations: maxIterations ?? cap)
  }

  private func leastSquaresOutcome(_ a: SparseMatrix, _ b: [Double], _ x: [Double]) -> Outcome {
    let r = a.residualNorm(x: x, b: b)
    let result = SolveResult(x: x, reason: r.isFinite ? .converged : .nonFinite, iterations: 0, residualNorm: r,
                             trueResidualNorm: r, rhsNorm: Vector.norm(b))
    return Outcome(result: result, backwardError: backwardError(a, b, x))
  }

  private func backwardError(_ a: SparseMatrix, _ b: [Double], _ x: [Double]) -> Double {
    a.leastSquaresBackwardError(x: x, b: b)
  }
}
