/// Fused level-1 passes and scale-safe helpers for the nonsymmetric and indefinite Krylov
/// methods (GMRES, MINRES, BiCGSTAB), the recycling solvers and the residual certificate.
package enum KrylovKernels {
  /// `y ← y + αx` and returns `zᵀy` with the updated `y`, in one pass. `z` may be `y`
  /// (giving `‖y‖²`).
  package static func axpyDot(
    _ alpha: Double, _ x: UnsafeBufferPointer<Double>, _ y: UnsafeMutableBufferPointer<Double>,
    dot z: UnsafeBufferPointer<Double>
  ) -> Double {
    precondition(x.count == y.count && z.count == y.count, "axpyDot: lengths differ")
    guard let xp = x.baseAddress, let yp = y.baseAddress, let zp = z.baseAddress else { return 0 }
    return Parallel.sum(y.count) { range in
      var s = 0.0
      for i in range {
        let yi = yp[i] + alpha * xp[i]
        yp[i] = yi
        s += zp[i] * yi
      }
      return s
    }
  }

  /// `(xᵀy, yᵀy)` in one pass.
  package static func dotAndSquares(
    _ x: UnsafeBufferPointer<Double>, _ y: UnsafeBufferPointer<Double>
  ) -> (xy: Double, yy: Double) {
    precondition(x.count == y.count, "dotAndSquares: lengths differ")
    guard let xp = x.baseAddress, let yp = y.baseAddress else { return (0, 0) }
    return Parallel.sum2(x.count) { range in
      var xy = 0.0, yy = 0.0
      for i in range {
        let yi = yp[i]
        xy += xp[i] * yi
        yy += yi * yi
      }
      return (xy, yy)
    }
  }

  /// `‖x‖₂` from an already computed `xᵀx`: its square root when that is safely inside the
  /// floating-point range, otherwise the overflow- and underflow-safe `Vector.norm(x)`.
  package static func norm(squares: Double, _ x: UnsafeBufferPointer<Double>) -> Double {
    if squares.isFinite && squares > 1e-280 && squares < 1e280 { return squares.squareRoot() }
    return Vector.norm(x)
  }

  /// `xᵀy` and `xᵀx` in a form that neither overflows nor underflows for any finite entries:
  /// `xᵀy = xy · xScale · yScale` and `xᵀx = xx · xScale²`, with `xScale = ‖x‖∞` and
  /// `yScale = ‖y‖∞` (each vector scaled by its own largest entry, so they may differ wildly
  /// in size). Two plain passes; for the rare case where a fused sum left the safe range.
  package static func scaledDots(
    _ x: UnsafeBufferPointer<Double>, _ y: UnsafeBufferPointer<Double>
  ) -> (xy: Double, xx: Double, xScale: Double, yScale: Double) {
    precondition(x.count == y.count, "scaledDots: lengths differ")
    var sx = 0.0, sy = 0.0
    for i in 0..<x.count {
      sx = Swift.max(sx, abs(x[i]))
      sy = Swift.max(sy, abs(y[i]))
    }
    guard sx.isFinite && sy.isFinite else { return (.nan, .nan, sx, sy) }
    guard sx > 0 else { return (0, 0, 0, sy) }
    let dx = sx, dy = sy > 0 ? sy : 1
    var xy = 0.0, xx = 0.0
    for i in 0..<x.count {
      let u = x[i] / dx
      xy += u * (y[i] / dy)
      xx += u * u
    }
    return (xy, xx, sx, sy)
  }

  /// `√(a² + b²)` without overflow or underflow.
  package static func hypot(_ a: Double, _ b: Double) -> Double {
    let s = max(abs(a), abs(b))
    guard s > 0, s.isFinite else { return s.isNaN || a.isNaN || b.isNaN ? .nan : s }
    let u = a / s, v = b / s
    return s * (u * u + v * v).squareRoot()
  }

  /// `v ← v / β` (by the reciprocal when it is finite).
  package static func divide(_ v: UnsafeMutableBufferPointer<Double>, by beta: Double) {
    let inverse = 1 / beta
    if inverse.isFinite && inverse != 0 {
      Vector.scal(inverse, v)
    } else {
      for i in v.indices { v[i] /= beta }
    }
  }

  /// `out ← Σ_{i<k} c_i v_i` (or `out += …` with `accumulate`), blocked so that each block
  /// of `out` stays in cache while the `k` basis vectors stream past: one pass over `out`.
  package static func combine(
    _ basis: [UnsafeMutableBufferPointer<Double>], _ c: [Double], count k: Int,
    into out: UnsafeMutableBufferPointer<Double>, accumulate: Bool
  ) {
    guard let op = out.baseAddress else { return }
    basis.withUnsafeBufferPointer { vb in
      c.withUnsafeBufferPointer { cb in
        Parallel.forEachChunk(out.count) { range in
          var start = range.lowerBound
          while start < range.upperBound {
            let end = min(start + 1024, range.upperBound)
            if !accumulate { for i in start..<end { op[i] = 0 } }
            for j in 0..<k {
              let cj = cb[j]
              let vp = vb[j].baseAddress!
              for i in start..<end { op[i] += cj * vp[i] }
            }
            start = end
          }
        }
      }
    }
  }
}
