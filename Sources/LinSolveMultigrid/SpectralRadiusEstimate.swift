import LinSolveCore

/// An estimate of `ρ(D⁻¹A)` for symmetric `A` with positive diagonal `D`, used to scale
/// Jacobi smoothing (`ω = (4/3)/ρ`, Vaněk, Mandel, Brezina 1996, §4; pyamg estimates it with
/// `approximate_spectral_radius`).
///
/// `D⁻¹A` is similar to the symmetric `D^{-1/2} A D^{-1/2}`, whose largest eigenvalue is
/// approached from below by the Rayleigh quotients of a power iteration; the estimate is the
/// larger of that quotient after a few steps (from a fixed pseudo-random start, so setup is
/// deterministic) and never more than Gershgorin's bound `max_i Σ_j |a_ij| / a_ii`, which is
/// ≥ ρ. A slight under-estimate is harmless for ω = 4/3 / ρ with the Gershgorin cap.
public enum SpectralRadiusEstimate {
  /// The estimate of `ρ(D⁻¹A)`; `diagonal` must be positive.
  public static func jacobi(_ a: SparseMatrix, diagonal d: [Double], iterations: Int = 15) -> Double {
    let n = a.rows
    guard n > 0 else { return 1 }
    var gershgorin = 0.0
    for i in 0..<n {
      var s = 0.0
      for k in a.rowPointers[i]..<a.rowPointers[i + 1] { s += abs(a.values[k]) }
      gershgorin = max(gershgorin, s / d[i])
    }
    let scale = d.map { 1 / $0.squareRoot() }
    var generator = SeededGenerator(seed: 0x5A_AD_2024)
    var v = (0..<n).map { _ in Double.random(in: 0.5...1.5, using: &generator) }
    var w = [Double](repeating: 0, count: n)
    var rayleigh = 0.0
    for _ in 0..<max(iterations, 1) {
      let norm = Vector.norm(v)
      guard norm > 0 else { break }
      for i in 0..<n { v[i] /= norm }
      // w = D^{-1/2} A D^{-1/2} v
      var scaled = v
      for i in 0..<n { scaled[i] *= scale[i] }
      a.multiply(scaled, into: &w)
      for i in 0..<n { w[i] *= scale[i] }
      rayleigh = Vector.dot(v, w)
      swap(&v, &w)
    }
    let estimate = min(max(rayleigh, 0), gershgorin)
    return estimate > 0 ? estimate : max(gershgorin, 1)
  }
}
