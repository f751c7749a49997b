import LinSolveCore
import LinSolveDirect

/// The Golub–Kahan bidiagonalization shared by ``LSQR`` and ``LSMR``, on `Ā = A R⁻¹` (or `A`).
///
///     β₁u₁ = r₀,  α₁v₁ = Āᵀu₁,
///     β_{k+1}u_{k+1} = Ā v_k − α_k u_k,   α_{k+1}v_{k+1} = Āᵀu_{k+1} − β_{k+1}v_k.
///
/// Alongside `v` it keeps `p = R⁻¹v` (the image of `v` in x-space), so the solvers can update
/// `x` directly; without `R`, `p` is `v` itself. Each ``step()`` costs one product with `A`,
/// one with `Aᵀ`, and one solve with each of `R` and `Rᵀ`.
final class GolubKahan {
  let pair: AdjointPair
  let r: UpperTriangularMatrix?
  let u: ScratchVector
  let v: ScratchVector
  /// `R⁻¹v` (storage; use ``p``).
  private let pStorage: ScratchVector?
  /// Scratch for `Aᵀu` before `R⁻ᵀ` is applied.
  private let scratch: ScratchVector?
  private(set) var alpha = 0.0
  private(set) var beta = 0.0
  private(set) var matvecs = 0

  init(_ pair: AdjointPair, preconditioner r: UpperTriangularMatrix?) {
    self.pair = pair
    self.r = r
    u = ScratchVector(count: pair.rows)
    v = ScratchVector(count: pair.columns)
    pStorage = r == nil ? nil : ScratchVector(count: pair.columns)
    scratch = r == nil ? nil : ScratchVector(count: pair.columns)
  }

  /// `R⁻¹v`, the x-space image of the current `v`.
  var p: UnsafeBufferPointer<Double> { (pStorage ?? v).readOnly }

  /// Starts from the residual `r₀` (copied into `u`): `β₁ = ‖r₀‖`, `α₁ = ‖Āᵀu₁‖`.
  func start(residual r0: UnsafeBufferPointer<Double>) {
    for i in 0..<r0.count { u.buffer[i] = r0[i] }
    beta = Vector.norm(u.readOnly)
    if beta > 0 {
      LSKernels.scale(u.buffer, by: 1 / beta)
      applyAdjoint(beta: 0)
      alpha = Vector.norm(v.readOnly)
    } else {
      v.buffer.update(repeating: 0)
      alpha = 0
    }
    if alpha > 0 { LSKernels.scale(v.buffer, by: 1 / alpha) }
    updateP()
  }

  /// One bidiagonalization step: new `β`, `u`, `α`, `v` and `p`.
  func step() {
    // u ← Ā v − α u = A p − α u;  β ← ‖u‖
    pair.forwardUpdate(p, u.buffer, -alpha)
    matvecs += 1
    beta = Vector.norm(u.readOnly)
    if beta > 0 {
      LSKernels.scale(u.buffer, by: 1 / beta)
      // v ← Āᵀu − β v = R⁻ᵀAᵀu − β v;  α ← ‖v‖
      applyAdjoint(beta: -beta)
      alpha = Vector.norm(v.readOnly)
      if alpha > 0 { LSKernels.scale(v.buffer, by: 1 / alpha) }
    }
    updateP()
  }

  /// `v ← Āᵀu + β v`.
  private func applyAdjoint(beta b: Double) {
    matvecs += 1
    guard let r, let scratch else {
      pair.transposeUpdate(u.readOnly, v.buffer, b)
      return
    }
    pair.transpose(u.readOnly, scratch.buffer)
    r.solveTranspose(scratch.buffer)
    for i in 0..<v.buffer.count { v.buffer[i] = scratch.buffer[i] + b * v.buffer[i] }
  }

  private func updateP() {
    guard let r, let pStorage else { return }
    for i in 0..<v.buffer.count { pStorage.buffer[i] = v.buffer[i] }
    r.solve(pStorage.buffer)
  }
}

/// Small fused vector loops of the least-squares solvers.
package enum LSKernels {
  /// `x ← σx`.
  static func scale(_ x: UnsafeMutableBufferPointer<Double>, by sigma: Double) {
    if sigma.isFinite && sigma != 0 { Vector.scal(sigma, x) }
  }

  /// `x ← x + s·d`, then `d ← p + t·d` (LSQR's update of `x` and `w`), one pass.
  static func updateSolutionAndDirection(
    x: UnsafeMutableBufferPointer<Double>, d: UnsafeMutableBufferPointer<Double>, p: UnsafeBufferPointer<Double>,
    s: Double, t: Double
  ) {
    guard let xp = x.baseAddress, let dp = d.baseAddress, let pp = p.baseAddress else { return }
    Parallel.forEachChunk(x.count) { range in
      for i in range {
        let di = dp[i]
        xp[i] += s * di
        dp[i] = pp[i] + t * di
      }
    }
  }

  /// Stable Givens rotation (`_sym_ortho` of SciPy's LSQR/LSMR): `(c, s, r)` with
  /// `[c s; −s c]·[a; b] = [r; 0]`, `r ≥ 0`.
  static func symOrtho(_ a: Double, _ b: Double) -> (c: Double, s: Double, r: Double) {
    if b == 0 { return (a == 0 ? 0 : (a > 0 ? 1 : -1), 0, abs(a)) }
    if a == 0 { return (0, b > 0 ? 1 : -1, abs(b)) }
    if abs(b) > abs(a) {
      let tau = a / b
      let s = (b > 0 ? 1.0 : -1.0) / (1 + tau * tau).squareRoot()
      let c = s * tau
      return (c, s, b / s)
    }
    let tau = b / a
    let c = (a > 0 ? 1.0 : -1.0) / (1 + tau * tau).squareRoot()
    let s = c * tau
    return (c, s, a / c)
  }

  /// Seconds since `start`.
  package static func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }
}
