import LinSolveCore
import LinSolveKrylov

/// The common first phase of the sketching least-squares solvers: `S·A = QR` and the
/// sketch-and-solve solution `x₀ = R⁻¹Qᵀ(S·b)` (Rokhlin & Tygert 2008; Sarlós 2006).
struct SketchedFactorization {
  /// `R` of the sketch.
  let r: UpperTriangularMatrix
  /// `R⁻¹Qᵀ(Sb)`, the minimiser of `‖S(b − A x)‖`.
  let sketchAndSolve: [Double]
  let sketchSeconds: Double
  let factorSeconds: Double

  /// Sketches `a` and `b` with `d = min(m, ⌈γ n⌉)` rows and factors the sketch.
  ///
  /// - Throws: ``LinSolveError/invalidParameter(name:reason:)`` for a wide `A` or γ < 1, and
  ///   ``LinSolveError/factorizationFailed(reason:)`` when `S·A` is rank-deficient.
  init(
    _ a: some SketchableMatrix, _ b: [Double], oversampling: Double,
    distribution: SketchingOperator.Distribution, seed: UInt64
  ) throws {
    let m = a.rows, n = a.columns
    guard m >= n, n > 0 else {
      throw LinSolveError.invalidParameter(
        name: "A", reason: "sketch-and-precondition needs a tall matrix with m ≥ n > 0 (got \(m)×\(n))")
    }
    guard oversampling.isFinite, oversampling >= 1 else {
      throw LinSolveError.invalidParameter(name: "oversampling", reason: "\(oversampling) is below 1 (d = γn must be ≥ n)")
    }
    let d = MemoryEstimate.sketchRows(rows: m, columns: n, factor: oversampling)  // min(m, ⌈γn⌉), no overflow
    let started = ContinuousClock.now
    let s = SketchingOperator(rows: d, columns: m, distribution: distribution, seed: seed)
    var sa = a.sketched(by: s)
    var sb = s.applied(to: b)
    let sketched = ContinuousClock.now
    let tau = try LAPACK.qr(&sa)
    r = try UpperTriangularMatrix(upperTriangleOf: sa)
    try LAPACK.applyQTranspose(sa, tau: tau, to: &sb)
    var x0 = Array(sb[0..<n])
    r.solve(&x0)
    sketchAndSolve = x0
    factorSeconds = LSKernels.seconds(since: sketched)
    let sketchDuration = sketched - started
    sketchSeconds = Double(sketchDuration.components.seconds) + Double(sketchDuration.components.attoseconds) * 1e-18
  }
}
