import LinSolveCore

/// The relaxation run on each level of a V-cycle before and after the coarse correction.
///
/// - ``gaussSeidel``: symmetric Gauss–Seidel as a pair — forward sweeps before the coarse
///   correction, backward sweeps after it — so that with as many pre- as post-sweeps the
///   V-cycle is a symmetric positive definite operator, a valid preconditioner for CG (pyamg's
///   `gauss_seidel` with `sweep='symmetric'` split the same way in its V-cycle).
/// - ``jacobi``: damped Jacobi `x ← x + ω D⁻¹(b − A x)` with `ω = (4/3)/ρ(D⁻¹A)` (≈ 2/3 on a
///   Laplacian), the weight of the prolongation smoothing; symmetric on its own.
public enum MultigridSmoother: String, Sendable, CaseIterable, Codable {
  case gaussSeidel = "gauss-seidel"
  case jacobi
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
      case .jacobi: jacobiStep(b: b, x: x)
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
      case .jacobi: jacobiStep(b: b, x: x)
      }
    }
  }

  /// One Gauss–Seidel sweep in place: `x_i ← x_i + (b_i − Σ_j a_ij x_j)/a_ii`, rows ascending
  /// (`forward`) or descending.
  private func gaussSeidelSweep(b: UnsafeBufferPointer<Double>, x: UnsafeMutableBufferPointer<Double>, forward: Bool) {
    let n = a.rows
    guard n > 0, let xp = x.baseAddress, let bp = b.baseAddress, let dp = inverseDiagonal.baseAddress else { return }
    a.rowPointers.withUnsafeBufferPointer { rp in
      a.columnIndices.withUnsafeBufferPointer { cp in
        a.values.withUnsafeBufferPointer { vp in
          let rp = rp.baseAddress!
          guard let cp = cp.baseAddress, let vp = vp.baseAddress else { return }
          if forward {
            var i = 0
            while i < n {
              xp[i] += (bp[i] - SparseMatrix.rowDot(i, rp, cp, vp, xp)) * dp[i]
              i += 1
            }
          } else {
            var i = n - 1
            while i >= 0 {
              xp[i] += (bp[i] - SparseMatrix.rowDot(i, rp, cp, vp, xp)) * dp[i]
              i -= 1
            }
          }
        }
      }
    }
  }

  /// One damped Jacobi step, using ``residual`` as scratch.
  private func jacobiStep(b: UnsafeBufferPointer<Double>, x: UnsafeMutableBufferPointer<Double>) {
    computeResidual(b: b, x: UnsafeBufferPointer(x))
    let w = jacobiWeight
    for i in 0..<a.rows { x[i] += w * inverseDiagonal[i] * residual[i] }
  }

  /// `residual = b − A·x`.
  func computeResidual(b: UnsafeBufferPointer<Double>, x: UnsafeBufferPointer<Double>) {
    _ = residual.update(fromContentsOf: b)
    a.multiply(x, into: residual, alpha: -1, beta: 1)
  }
}
