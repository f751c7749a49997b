import LinSolveCore

/// An estimate of `ρ(D⁻¹A)` for symmetric `A` with positive diagonal `D`, used to scale
/// Jacobi smoothing (`ω = (4/3)/ρ`, Vaněk, Mandel, Brezina 1996, §4) and the Chebyshev
/// smoother's interval (pyamg estimates it with `approximate_spectral_radius`, Lanczos/Arnoldi).
///
/// `D⁻¹A` is similar to the symmetric `B = D^{-1/2} A D^{-1/2}`. A few Lanczos steps on `B` from
/// a fixed pseudo-random start (so set-up is deterministic) give a tridiagonal `T_k` whose
/// largest eigenvalue approaches `λ_max(B)` from below much faster than a power iteration's
/// Rayleigh quotient (Kaniel–Paige–Saad bounds; Saad, *Numerical Methods for Large Eigenvalue
/// Problems*, §6.6): 10 steps on 2-D Poisson 60² are 1.5 % low where 15 power steps were 3.5 %
/// low. The estimate is never more than Gershgorin's bound `max_i Σ_j |a_ij| / a_ii` (≥ ρ); a
/// slight under-estimate is harmless for `ω = (4/3)/ρ` with that cap and for the Chebyshev
/// interval, which reaches to 1.1ρ.
///
/// Each step is one product with `A` and three fused passes over the vectors, split across
/// ``Parallel``'s threads with a fixed reduction order (deterministic for a thread count).
public enum SpectralRadiusEstimate {
  /// The estimate of `ρ(D⁻¹A)` after `steps` Lanczos steps; `diagonal` must be positive.
  public static func jacobi(_ a: SparseMatrix, diagonal d: [Double], steps: Int = 10) -> Double {
    let n = a.rows
    guard n > 0 else { return 1 }
    var gershgorin = 0.0
    for i in 0..<n {
      var s = 0.0
      for k in a.rowPointers[i]..<a.rowPointers[i + 1] { s += abs(a.values[k]) }
      gershgorin = max(gershgorin, s / d[i])
    }
    let (alphas, betas) = lanczos(a, diagonal: d, steps: min(max(steps, 1), n))
    // The largest eigenvalue of T = tridiag(β, α, β).
    let k = alphas.count
    var t = [Double](repeating: 0, count: k * k)
    for j in 0..<k {
      t[j * k + j] = alphas[j]
      if j + 1 < k {
        t[j * k + j + 1] = betas[j]
        t[(j + 1) * k + j] = betas[j]
      }
    }
    let ritz = LAPACK.symmetricEigen(&t, order: k)?.max() ?? alphas.max() ?? 0
    let estimate = min(max(ritz, 0), gershgorin)
    return estimate > 0 ? estimate : max(gershgorin, 1)
  }

  /// The Lanczos coefficients `α_0…α_{k−1}`, `β_1…β_{k−1}` of `B = D^{-1/2} A D^{-1/2}`, fewer
  /// when an invariant subspace is found (β ≈ 0).
  private static func lanczos(_ a: SparseMatrix, diagonal d: [Double], steps: Int) -> (alphas: [Double], betas: [Double]) {
    let n = a.rows
    let scale = d.map { 1 / $0.squareRoot() }
    var generator = SeededGenerator(seed: 0x5A_AD_2024)
    var q = (0..<n).map { _ in Double.random(in: 0.5...1.5, using: &generator) }
    let norm = Vector.norm(q)
    var previous = [Double](repeating: 0, count: n)
    var scaled = [Double](repeating: 0, count: n)  // D^{-1/2} q, the product's input
    var w = [Double](repeating: 0, count: n)
    var alphas: [Double] = [], betas: [Double] = []
    var beta = 0.0
    let size = n
    scale.withUnsafeBufferPointer { s in
      q.withUnsafeMutableBufferPointer { q in
        previous.withUnsafeMutableBufferPointer { previous in
          scaled.withUnsafeMutableBufferPointer { scaled in
            w.withUnsafeMutableBufferPointer { w in
              let v = UncheckedSendable((s.baseAddress!, q.baseAddress!, previous.baseAddress!, scaled.baseAddress!, w.baseAddress!))
              var divisor = norm
              for step in 0..<steps {
                // q ← q/divisor; scaled = D^{-1/2} q.
                let inverse = 1 / divisor
                Parallel.forEachChunk(size) { range in
                  let (s, q, _, scaled, _) = v.value
                  for i in range {
                    q[i] *= inverse
                    scaled[i] = s[i] * q[i]
                  }
                }
                a.multiply(UnsafeBufferPointer(scaled), into: w)
                // w ← D^{-1/2} w − β q_prev; α = wᵀq.
                let b = beta
                let alpha = Parallel.sum(size) { range in
                  let (s, q, previous, _, w) = v.value
                  var dot = 0.0
                  for i in range {
                    w[i] = s[i] * w[i] - b * previous[i]
                    dot += w[i] * q[i]
                  }
                  return dot
                }
                alphas.append(alpha)
                guard step + 1 < steps else { break }
                // w ← w − α q; q_prev ← q; β = ‖w‖; then q ← w (normalised next step).
                let squares = Parallel.sum(size) { range in
                  let (_, q, previous, _, w) = v.value
                  var sum = 0.0
                  for i in range {
                    w[i] -= alpha * q[i]
                    previous[i] = q[i]
                    q[i] = w[i]
                    sum += w[i] * w[i]
                  }
                  return sum
                }
                beta = squares.squareRoot()
                guard beta > 1e-12 * abs(alpha), beta.isFinite else { break }
                betas.append(beta)
                divisor = beta
              }
            }
          }
        }
      }
    }
    return (alphas, betas)
  }
}
