/// The residual of a computed solution together with a bound on the rounding error of
/// computing it, so that a verdict of ``StopReason/converged`` is a statement about the exact
/// residual of the `x` returned, not about floating-point luck.
///
/// Computing `r = b − A x` in floating point makes, row by row, an error of at most
/// `γ_{k+1} (|b_i| + Σ_j |a_ij| |x_j|)` with `k` the nonzeros of the row and `γ_k ≈ k·u`
/// (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §3.5). When `x` is
/// enormous — a solve of a singular system, where LU returns `x ≈ 10¹⁶` — `fl(b − A x)` can be
/// exactly 0 while the exact residual is of order 1; the bound then exceeds any tolerance and
/// the solve cannot be certified. For an ordinary solution the bound is ~`10⁻¹⁵‖b‖`.
public struct ResidualCertificate: Sendable, Equatable {
  /// `‖fl(b − A x)‖₂`, the residual as computed.
  public var norm: Double
  /// `(k + 1)·u·‖ |b| + |A||x| ‖₂` with `k` the most nonzeros in a row of `A` and `u` the unit
  /// roundoff: a bound on `‖fl(b − A x) − (b − A x)‖₂`.
  public var roundingBound: Double

  public init(norm: Double, roundingBound: Double) {
    self.norm = norm
    self.roundingBound = roundingBound
  }

  /// An upper bound on the exact residual `‖b − A x‖₂` of the computed `x`.
  public var upperBound: Double { norm + roundingBound }

  /// Whether the exact residual is certainly at most `threshold`.
  public func meets(_ threshold: Double) -> Bool { upperBound <= threshold }
}

extension SparseMatrix {
  /// `r = b − A x` into `r` and its ``ResidualCertificate``, in one pass over `A` (the same
  /// traffic as the residual alone). Norms are overflow- and underflow-safe.
  public func residualCertificate(
    x: UnsafeBufferPointer<Double>, b: UnsafeBufferPointer<Double>, into r: UnsafeMutableBufferPointer<Double>
  ) -> ResidualCertificate {
    precondition(b.count == rows && x.count == columns && r.count == rows, "residualCertificate: sizes")
    guard rows > 0, let rp_ = r.baseAddress, let bp = b.baseAddress, let xp = x.baseAddress else {
      return ResidualCertificate(norm: 0, roundingBound: 0)
    }
    return rowPointers.withUnsafeBufferPointer { rowp in
      columnIndices.withUnsafeBufferPointer { cp in
        values.withUnsafeBufferPointer { vp in
          let rowp = rowp.baseAddress!
          let cp = cp.baseAddress ?? UnsafePointer(bitPattern: 8)!
          let vp = vp.baseAddress ?? UnsafePointer(bitPattern: 8)!
          // One pass: the residual, its sum of squares, and the sum of squares of |b| + |A||x|.
          let (rr, ss) = Parallel.sum2(rows) { range in
            var rr = 0.0, ss = 0.0
            for i in range {
              var s = 0.0, magnitude = abs(bp[i])
              for k in rowp[i]..<rowp[i + 1] {
                let term = vp[k] * xp[Int(cp[k])]
                s += term
                magnitude += abs(term)
              }
              let ri = bp[i] - s
              rp_[i] = ri
              rr += ri * ri
              ss += magnitude * magnitude
            }
            return (rr, ss)
          }
          var longestRow = 0
          for i in 0..<rows { longestRow = max(longestRow, rowp[i + 1] - rowp[i]) }
          let norm = KrylovKernels.norm(squares: rr, UnsafeBufferPointer(r))
          let magnitudeNorm =
            ss.isFinite && ss > 1e-280 && ss < 1e280
            ? ss.squareRoot() : scaledMagnitudeNorm(x: xp, b: bp, rowp: rowp, cp: cp, vp: vp)
          let u = Double.ulpOfOne / 2
          return ResidualCertificate(norm: norm, roundingBound: Double(longestRow + 1) * u * magnitudeNorm)
        }
      }
    }
  }

  /// `residualCertificate(x:b:into:)` on arrays (allocates the residual).
  public func residualCertificate(x: [Double], b: [Double]) -> ResidualCertificate {
    var r = [Double](repeating: 0, count: rows)
    return x.withUnsafeBufferPointer { xp in
      b.withUnsafeBufferPointer { bp in r.withUnsafeMutableBufferPointer { residualCertificate(x: xp, b: bp, into: $0) } }
    }
  }

  /// `‖ |b| + |A||x| ‖₂` when its plain sum of squares left the safe range: two serial passes,
  /// the second scaled by the largest entry (`dnrm2`'s idea).
  private func scaledMagnitudeNorm(
    x: UnsafePointer<Double>, b: UnsafePointer<Double>, rowp: UnsafePointer<Int>, cp: UnsafePointer<Int32>,
    vp: UnsafePointer<Double>
  ) -> Double {
    func magnitude(_ i: Int) -> Double {
      var m = abs(b[i])
      for k in rowp[i]..<rowp[i + 1] { m += abs(vp[k] * x[Int(cp[k])]) }
      return m
    }
    var largest = 0.0
    for i in 0..<rows { largest = max(largest, magnitude(i)) }
    guard largest.isFinite, largest > 0 else { return largest }
    var t = 0.0
    for i in 0..<rows { let m = magnitude(i) / largest; t += m * m }
    return largest * t.squareRoot()
  }
}
