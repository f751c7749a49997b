// Fused passes for the Krylov loops: two or three vector operations in one sweep over memory.
// A CG iteration is memory-bound; every pass saved is a pass of n doubles not read again.

extension SparseMatrix {
  /// `q = A·p` and returns `pᵀq`, in one pass over `A` (CG's `pᵀAp`).
  @inlinable
  package func multiplyDot(_ p: UnsafeBufferPointer<Double>, into q: UnsafeMutableBufferPointer<Double>) -> Double {
    precondition(p.count == columns && q.count == rows && rows == columns, "multiplyDot: sizes")
    guard let qp = q.baseAddress, let pp = p.baseAddress else { return 0 }
    return rowPointers.withUnsafeBufferPointer { rp in
      columnIndices.withUnsafeBufferPointer { cp in
        values.withUnsafeBufferPointer { vp in
          let rp = rp.baseAddress!
          guard let cp = cp.baseAddress, let vp = vp.baseAddress else {
            qp.update(repeating: 0, count: rows)
            return 0
          }
          return Parallel.sum(rows) { range in
            var d = 0.0
            for i in range {
              let s = SparseMatrix.rowDot(i, rp, cp, vp, pp)
              qp[i] = s
              d += pp[i] * s
            }
            return d
          }
        }
      }
    }
  }
}

package enum Fused {
  /// `x ← x + αp`, `r ← r − αq`, returns `rᵀr`.
  @inlinable
  package static func updateSolutionAndResidual(
    alpha: Double, p: UnsafeBufferPointer<Double>, q: UnsafeBufferPointer<Double>,
    x: UnsafeMutableBufferPointer<Double>, r: UnsafeMutableBufferPointer<Double>
  ) -> Double {
    guard let pp = p.baseAddress, let qp = q.baseAddress, let xp = x.baseAddress, let rp = r.baseAddress else {
      return 0
    }
    return Parallel.sum(x.count) { range in
      var s = 0.0
      for i in range {
        xp[i] += alpha * pp[i]
        let ri = rp[i] - alpha * qp[i]
        rp[i] = ri
        s += ri * ri
      }
      return s
    }
  }

  /// `r ← r − αq`, returns `rᵀr` (CG's residual update, with `x` deferred to
  /// ``updateSolutionAndDirection(alpha:beta:z:p:x:)``).
  @inlinable
  package static func updateResidual(
    alpha: Double, q: UnsafeBufferPointer<Double>, r: UnsafeMutableBufferPointer<Double>
  ) -> Double {
    guard let qp = q.baseAddress, let rp = r.baseAddress else { return 0 }
    return Parallel.sum(r.count) { range in
      var s = 0.0
      for i in range {
        let ri = rp[i] - alpha * qp[i]
        rp[i] = ri
        s += ri * ri
      }
      return s
    }
  }

  /// `r ← r − αq`, `z ← d ⊙ r` (Jacobi: `d = 1/diag(A)`), returns `(rᵀr, rᵀz)`: PCG-Jacobi's
  /// residual update, preconditioner and both reductions in one pass.
  @inlinable
  package static func updateResidualAndScale(
    alpha: Double, q: UnsafeBufferPointer<Double>, r: UnsafeMutableBufferPointer<Double>,
    scale d: UnsafeBufferPointer<Double>, z: UnsafeMutableBufferPointer<Double>
  ) -> (rr: Double, rz: Double) {
    guard let qp = q.baseAddress, let rp = r.baseAddress, let dp = d.baseAddress, let zp = z.baseAddress else {
      return (0, 0)
    }
    return Parallel.sum2(r.count) { range in
      var rr = 0.0, rz = 0.0
      for i in range {
        let ri = rp[i] - alpha * qp[i]
        rp[i] = ri
        let zi = dp[i] * ri
        zp[i] = zi
        rr += ri * ri
        rz += ri * zi
      }
      return (rr, rz)
    }
  }

  /// `x ← x + αp`, then `p ← z + βp`, in one pass: the solution update of the iteration that
  /// used `p`, moved here from the residual pass so each of `x`, `p` is streamed once.
  @inlinable
  package static func updateSolutionAndDirection(
    alpha: Double, beta: Double, z: UnsafeBufferPointer<Double>, p: UnsafeMutableBufferPointer<Double>,
    x: UnsafeMutableBufferPointer<Double>
  ) {
    guard let zp = z.baseAddress, let pp = p.baseAddress, let xp = x.baseAddress else { return }
    Parallel.forEachChunk(x.count) { range in
      for i in range {
        let pi = pp[i]
        xp[i] += alpha * pi
        pp[i] = zp[i] + beta * pi
      }
    }
  }

  /// `r ← b − r` (turning `r = A·x` into the residual) and returns `rᵀr`.
  @inlinable
  package static func residualFromProduct(b: UnsafeBufferPointer<Double>, r: UnsafeMutableBufferPointer<Double>) -> Double {
    guard let bp = b.baseAddress, let rp = r.baseAddress else { return 0 }
    return Parallel.sum(r.count) { range in
      var s = 0.0
      for i in range {
        let ri = bp[i] - rp[i]
        rp[i] = ri
        s += ri * ri
      }
      return s
    }
  }
}

extension LinearOperator {
  /// `q = A·p` and `pᵀq`, fused when `A` is a ``SparseMatrix``.
  @inlinable
  package func multiplyDot(_ p: UnsafeBufferPointer<Double>, into q: UnsafeMutableBufferPointer<Double>) -> Double {
    if let a = self as? SparseMatrix { return a.multiplyDot(p, into: q) }
    apply(p, into: q)
    return Vector.dot(p, UnsafeBufferPointer(q))
  }
}

extension SparseMatrix {
  /// `r = b − A·x` and returns `‖r‖²`, in one pass over `A`.
  @inlinable
  package func residual(
    b: UnsafeBufferPointer<Double>, x: UnsafeBufferPointer<Double>, into r: UnsafeMutableBufferPointer<Double>
  ) -> Double {
    precondition(b.count == rows && x.count == columns && r.count == rows, "residual: sizes")
    guard let rp_ = r.baseAddress, let bp = b.baseAddress, let xp = x.baseAddress else { return 0 }
    return rowPointers.withUnsafeBufferPointer { rowp in
      columnIndices.withUnsafeBufferPointer { cp in
        values.withUnsafeBufferPointer { vp in
          let rowp = rowp.baseAddress!
          let cp = cp.baseAddress ?? UnsafePointer(bitPattern: 8)!
          let vp = vp.baseAddress ?? UnsafePointer(bitPattern: 8)!
          return Parallel.sum(rows) { range in
            var norm = 0.0
            for i in range {
              let ri = bp[i] - SparseMatrix.rowDot(i, rowp, cp, vp, xp)
              rp_[i] = ri
              norm += ri * ri
            }
            return norm
          }
        }
      }
    }
  }
}
