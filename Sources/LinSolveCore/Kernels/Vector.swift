/// Level-1 kernels on `Double` vectors: the inner loops of every iterative method.
///
/// Each works on unsafe buffer pointers (no bounds checks, no allocation) and splits long
/// vectors across ``Parallel/threads``; array overloads are provided for convenience.
/// BLAS is not used here: one fused Swift pass beats several level-1 BLAS calls, and it keeps
/// OpenBLAS's threads off small vectors (see `docs/ARCHITECTURE.md`).
public enum Vector {
  /// `xᵀy`.
  @inlinable
  public static func dot(_ x: UnsafeBufferPointer<Double>, _ y: UnsafeBufferPointer<Double>) -> Double {
    precondition(x.count == y.count, "dot: lengths \(x.count) and \(y.count) differ")
    let xp = x.baseAddress, yp = y.baseAddress
    guard let xp, let yp else { return 0 }
    return Parallel.sum(x.count) { r in
      var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
      var i = r.lowerBound
      while i + 4 <= r.upperBound {
        s0 += xp[i] * yp[i]
        s1 += xp[i + 1] * yp[i + 1]
        s2 += xp[i + 2] * yp[i + 2]
        s3 += xp[i + 3] * yp[i + 3]
        i += 4
      }
      while i < r.upperBound {
        s0 += xp[i] * yp[i]
        i += 1
      }
      return (s0 + s1) + (s2 + s3)
    }
  }

  /// `‖x‖₂`, without overflow or underflow for entries between 1e-300 and 1e300.
  @inlinable
  public static func norm(_ x: UnsafeBufferPointer<Double>) -> Double {
    let s = dot(x, x)
    if s.isFinite && s > 1e-280 { return s.squareRoot() }
    if s.isNaN { return .nan }  // a NaN entry (the rescaled pass below would skip it)
    if s == 0 && !x.contains(where: { $0 != 0 }) { return 0 }
    // Rescale: the plain sum of squares over- or underflowed.
    var scale = 0.0
    for v in x { scale = max(scale, abs(v)) }
    guard scale.isFinite, scale > 0 else { return scale.isNaN ? .nan : scale }
    var t = 0.0
    for v in x { let u = v / scale; t += u * u }
    return scale * t.squareRoot()
  }

  /// `y ← y + αx`.
  @inlinable
  public static func axpy(_ alpha: Double, _ x: UnsafeBufferPointer<Double>, _ y: UnsafeMutableBufferPointer<Double>) {
    precondition(x.count == y.count, "axpy: lengths differ")
    guard let xp = x.baseAddress, let yp = y.baseAddress else { return }
    Parallel.forEachChunk(x.count) { r in
      for i in r { yp[i] += alpha * xp[i] }
    }
  }

  /// `y ← x + βy` (the CG direction update `p ← z + βp`).
  @inlinable
  public static func xpby(_ x: UnsafeBufferPointer<Double>, _ beta: Double, _ y: UnsafeMutableBufferPointer<Double>) {
    precondition(x.count == y.count, "xpby: lengths differ")
    guard let xp = x.baseAddress, let yp = y.baseAddress else { return }
    Parallel.forEachChunk(x.count) { r in
      for i in r { yp[i] = xp[i] + beta * yp[i] }
    }
  }

  /// `x ← αx`.
  @inlinable
  public static func scal(_ alpha: Double, _ x: UnsafeMutableBufferPointer<Double>) {
    guard let xp = x.baseAddress else { return }
    Parallel.forEachChunk(x.count) { r in
      for i in r { xp[i] *= alpha }
    }
  }

  /// `y ← x`.
  @inlinable
  public static func copy(_ x: UnsafeBufferPointer<Double>, _ y: UnsafeMutableBufferPointer<Double>) {
    precondition(x.count == y.count, "copy: lengths differ")
    guard let xp = x.baseAddress, let yp = y.baseAddress else { return }
    yp.update(from: xp, count: x.count)
  }

  /// Whether every entry is finite.
  @inlinable
  public static func allFinite(_ x: UnsafeBufferPointer<Double>) -> Bool {
    // A NaN or Inf makes the sum of x·0 NaN, in one pass.
    guard let xp = x.baseAddress else { return true }
    return !Parallel.sum(x.count) { r in
      var s = 0.0
      for i in r { s += xp[i] * 0 }
      return s
    }.isNaN
  }

  // MARK: Array conveniences

  /// `xᵀy` on arrays.
  @inlinable
  public static func dot(_ x: [Double], _ y: [Double]) -> Double {
    x.withUnsafeBufferPointer { xp in y.withUnsafeBufferPointer { yp in dot(xp, yp) } }
  }

  /// `‖x‖₂` on an array.
  @inlinable
  public static func norm(_ x: [Double]) -> Double {
    x.withUnsafeBufferPointer { norm($0) }
  }

  /// `y ← y + αx` on arrays.
  @inlinable
  public static func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) {
    x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { axpy(alpha, xp, $0) } }
  }

  /// `x ← αx` on an array.
  @inlinable
  public static func scal(_ alpha: Double, _ x: inout [Double]) {
    x.withUnsafeMutableBufferPointer { scal(alpha, $0) }
  }

  /// Whether every entry of an array is finite.
  @inlinable
  public static func allFinite(_ x: [Double]) -> Bool {
    x.withUnsafeBufferPointer { allFinite($0) }
  }
}
