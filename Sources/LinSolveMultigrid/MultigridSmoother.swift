import LinSolveCore

/// The relaxation run on each level of a V-cycle before and after the coarse correction.
///
/// - ``gaussSeidel``: symmetric Gauss–Seidel as a pair — forward sweeps before the coarse
///   correction, backward sweeps after it — so that with as many pre- as post-sweeps the
///   V-cycle is a symmetric positive definite operator, a valid preconditioner for CG (pyamg's
///   `gauss_seidel` with `sweep='symmetric'` split the same way in its V-cycle). On a level long
///   enough to be split across threads it is hybrid Gauss–Seidel (``HybridPartition``, hypre's
///   default relaxation): Gauss–Seidel in each thread's block of rows, Jacobi between blocks.
/// - ``jacobi``: damped Jacobi `x ← x + ω D⁻¹(b − A x)` with `ω = (4/3)/ρ(D⁻¹A)` (≈ 2/3 on a
///   Laplacian), the weight of the prolongation smoothing; symmetric on its own.
/// - ``l1Jacobi``: `x ← x + D_ℓ1⁻¹(b − A x)` with `(D_ℓ1)_ii = a_ii + Σ_{j≠i} |a_ij|` (Baker,
///   Falgout, Kolev, Yang 2011, "Multigrid smoothers for ultraparallel computing", SIAM J. Sci.
///   Comput. 33, §5, with every point its own block; hypre's `relax_type` 18): convergent for
///   any SPD `A` without a spectral estimate.
/// - ``chebyshev``: a degree-2 Chebyshev polynomial in `D⁻¹A` per sweep, damping the upper part
///   `[0.3ρ, 1.1ρ]` of the spectrum for the estimated `ρ = ρ(D⁻¹A)` (Adams, Brezina, Hu,
///   Tuminaro 2003, "Parallel multigrid smoothing: polynomial versus Gauss–Seidel", J. Comput.
///   Phys. 188; hypre's default fraction 0.3, the 1.1 guarding an estimate from below): only
///   matrix–vector products, so fully parallel, and symmetric, so valid for CG.
public enum MultigridSmoother: String, Sendable, CaseIterable, Codable {
  case gaussSeidel = "gauss-seidel"
  case jacobi
  case l1Jacobi = "l1-jacobi"
  case chebyshev

  /// Whether the smoother needs an estimate of `ρ(D⁻¹A)` on each level.
  var needsSpectralRadius: Bool { self == .jacobi || self == .chebyshev }
}

extension MultigridLevel {
  /// The smoothing steps before the coarse correction: `sweeps` forward Gauss–Seidel sweeps
  /// or damped Jacobi steps on `x` for right-hand side `b`.
  func preSmooth(
    _ smoother: MultigridSmoother, sweeps: Int, b: UnsafeBufferPointer<Double>, x: UnsafeMutableBufferPointer<Double>
  ) {
    for _ in 0..<sweeps {
      switch smoother {
      case .gaussSeidel: gaussSeidelSweep(b: b, x: x, forward: true)
      case .jacobi: jacobiStep(b: b, x: x, weight: jacobiWeight, inverse: inverseDiagonal)
      case .l1Jacobi: jacobiStep(b: b, x: x, weight: 1, inverse: l1InverseDiagonal)
      case .chebyshev: chebyshevStep(b: b, x: x)
      }
    }
  }

  /// The smoothing steps after the coarse correction: backward Gauss–Seidel sweeps (the
  /// adjoint of ``preSmooth(_:sweeps:b:x:)``) or damped Jacobi steps.
  func postSmooth(
    _ smoother: MultigridSmoother, sweeps: Int, b: UnsafeBufferPointer<Double>, x: UnsafeMutableBufferPointer<Double>
  ) {
    for _ in 0..<sweeps {
      switch smoother {
      case .gaussSeidel: gaussSeidelSweep(b: b, x: x, forward: false)
      case .jacobi: jacobiStep(b: b, x: x, weight: jacobiWeight, inverse: inverseDiagonal)
      case .l1Jacobi: jacobiStep(b: b, x: x, weight: 1, inverse: l1InverseDiagonal)
      case .chebyshev: chebyshevStep(b: b, x: x)
      }
    }
  }

  /// One hybrid Gauss–Seidel sweep in place (``HybridPartition``): within each block of rows,
  /// `x_i ← x_i + (b_i − Σ_j a_ij x_j)/a_ii` with rows ascending (`forward`) or descending;
  /// couplings to other blocks use the iterate from before the sweep. With one block this is
  /// plain Gauss–Seidel. The backward sweep is the adjoint of the forward one, so the pair stays
  /// a symmetric smoother for any block count.
  private func gaussSeidelSweep(b: UnsafeBufferPointer<Double>, x: UnsafeMutableBufferPointer<Double>, forward: Bool) {
    let n = a.rows
    guard n > 0, let xp = x.baseAddress, let bp = b.baseAddress, let dp = inverseDiagonal.baseAddress else { return }
    let part = partition
    let off = offBlock.baseAddress!
    a.rowPointers.withUnsafeBufferPointer { rp in
      a.columnIndices.withUnsafeBufferPointer { cp in
        a.values.withUnsafeBufferPointer { vp in
          let rp = rp.baseAddress!
          guard let cp = cp.baseAddress, let vp = vp.baseAddress else { return }
          guard part.blocks > 1 else {
            Self.relax(0..<n, forward: forward, rp, cp, vp, bp, dp, xp, boundary: .init(start: nil, count: 0), off: off,
              inner: (.init(start: nil, count: 0), .init(start: nil, count: 0)))
            return
          }
          let shared = UncheckedSendable((rp, cp, vp, bp, dp, xp, off))
          part.boundaryRows.withUnsafeBufferPointer { rows in
            part.innerStart.withUnsafeBufferPointer { starts in
              part.innerEnd.withUnsafeBufferPointer { ends in
                // Phase 1: the off-block sums, from the iterate before the sweep.
                Parallel.run(part.blocks) { c in
                  let (rp, cp, vp, _, _, xp, off) = shared.value
                  for k in part.firstBoundary[c]..<part.firstBoundary[c + 1] {
                    let i = rows[k]
                    var s = 0.0
                    for q in rp[i]..<starts[k] { s += vp[q] * xp[Int(cp[q])] }
                    for q in ends[k]..<rp[i + 1] { s += vp[q] * xp[Int(cp[q])] }
                    off[k] = s
                  }
                }
                // Phase 2: Gauss–Seidel inside each block.
                Parallel.run(part.blocks) { c in
                  let (rp, cp, vp, bp, dp, xp, off) = shared.value
                  let range = part.firstBoundary[c]..<part.firstBoundary[c + 1]
                  Self.relax(
                    Parallel.chunk(c, of: part.blocks, count: n), forward: forward, rp, cp, vp, bp, dp, xp,
                    boundary: UnsafeBufferPointer(rebasing: rows[range]), off: off + range.lowerBound,
                    inner: (UnsafeBufferPointer(rebasing: starts[range]), UnsafeBufferPointer(rebasing: ends[range])))
                }
              }
            }
          }
        }
      }
    }
  }

  /// Gauss–Seidel over `rows`; the rows in `boundary` (ascending, all inside `rows`) use only
  /// their in-block entries `inner.0[k] ..< inner.1[k]` plus the fixed off-block sum `off[k]`.
  @inline(__always)
  private static func relax(
    _ rows: Range<Int>, forward: Bool, _ rp: UnsafePointer<Int>, _ cp: UnsafePointer<Int32>, _ vp: UnsafePointer<Double>,
    _ bp: UnsafePointer<Double>, _ dp: UnsafePointer<Double>, _ xp: UnsafeMutablePointer<Double>,
    boundary: UnsafeBufferPointer<Int>, off: UnsafeMutablePointer<Double>,
    inner: (UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int>)
  ) {
    @inline(__always) func update(_ i: Int, _ k: inout Int, _ step: Int) {
      if k >= 0 && k < boundary.count && boundary[k] == i {
        var s = off[k]
        for q in inner.0[k]..<inner.1[k] { s += vp[q] * xp[Int(cp[q])] }
        xp[i] += (bp[i] - s) * dp[i]
        k += step
      } else {
        xp[i] += (bp[i] - SparseMatrix.rowDot(i, rp, cp, vp, xp)) * dp[i]
      }
    }
    if forward {
      var k = 0
      var i = rows.lowerBound
      while i < rows.upperBound {
        update(i, &k, 1)
        i += 1
      }
    } else {
      var k = boundary.count - 1
      var i = rows.upperBound - 1
      while i >= rows.lowerBound {
        update(i, &k, -1)
        i -= 1
      }
    }
  }

  /// One Jacobi step `x ← x + w·inverse∘(b − A x)`, using ``residual`` as scratch.
  private func jacobiStep(
    b: UnsafeBufferPointer<Double>, x: UnsafeMutableBufferPointer<Double>, weight w: Double,
    inverse: UnsafeMutableBufferPointer<Double>
  ) {
    guard a.rows > 0 else { return }
    computeResidual(b: b, x: UnsafeBufferPointer(x))
    let shared = UncheckedSendable((x.baseAddress!, UnsafePointer(inverse.baseAddress!), UnsafePointer(residual.baseAddress!)))
    Parallel.forEachChunk(a.rows) { range in
      let (xp, dp, rp) = shared.value
      for i in range { xp[i] += w * dp[i] * rp[i] }
    }
  }

  /// One degree-2 Chebyshev step for `D⁻¹A` on `[0.3ρ, 1.1ρ]` (Saad, *Iterative Methods for
  /// Sparse Linear Systems*, 2nd ed., Algorithm 12.1, preconditioned by `D`): with
  /// `θ, δ` the interval's centre and half-width, `d = D⁻¹r/θ`, `x += d`, then
  /// `r ← r − A d`, `d ← ρ₁ρ₀ d + (2ρ₁/δ) D⁻¹ r`, `x += d`. Uses ``residual`` and ``direction``.
  private func chebyshevStep(b: UnsafeBufferPointer<Double>, x: UnsafeMutableBufferPointer<Double>) {
    let n = a.rows
    guard n > 0, spectralRadius > 0 else { return }
    let upper = 1.1 * spectralRadius, lower = 0.3 * spectralRadius
    let theta = (upper + lower) / 2, delta = (upper - lower) / 2
    let sigma = theta / delta
    let rho0 = 1 / sigma, rho1 = 1 / (2 * sigma - rho0)
    computeResidual(b: b, x: UnsafeBufferPointer(x))
    let shared = UncheckedSendable(
      (x.baseAddress!, UnsafePointer(inverseDiagonal.baseAddress!), residual.baseAddress!, direction.baseAddress!))
    Parallel.forEachChunk(n) { range in
      let (xp, dp, rp, sp) = shared.value
      for i in range {
        sp[i] = dp[i] * rp[i] / theta
        xp[i] += sp[i]
      }
    }
    // r ← r − A d
    a.multiply(UnsafeBufferPointer(direction), into: residual, alpha: -1, beta: 1)
    let keep = rho1 * rho0, scale = 2 * rho1 / delta
    Parallel.forEachChunk(n) { range in
      let (xp, dp, rp, sp) = shared.value
      for i in range { xp[i] += keep * sp[i] + scale * dp[i] * rp[i] }
    }
  }

  /// `residual = b − A·x`.
  func computeResidual(b: UnsafeBufferPointer<Double>, x: UnsafeBufferPointer<Double>) {
    _ = residual.update(fromContentsOf: b)
    a.multiply(x, into: residual, alpha: -1, beta: 1)
  }
}
