import LinSolveCore
import LinSolveDirect

/// The minimum residual method MINRES (Paige & Saunders 1975) for symmetric, possibly
/// indefinite `A`, optionally with a symmetric positive definite preconditioner.
///
/// A standard implementation of the Paige–Saunders recurrences (the structure of SOL's
/// `minres.m` and SciPy's `minres.py`): Lanczos three-term recurrence, one Givens rotation per
/// step on the tridiagonal matrix, and the solution updated through two direction vectors.
/// The points to know:
/// - **The tracked norm.** Without a preconditioner MINRES minimises and tracks `‖r_k‖₂`. With
///   one, Lanczos runs in the `M`-inner product and MINRES minimises and tracks the
///   `M⁻¹`-norm `‖r_k‖_{M⁻¹} = √(r_kᵀ M⁻¹ r_k)`. The stopping test then compares like with
///   like: the `rtol` baseline is `‖b‖_{M⁻¹}` (or `‖r₀‖_{M⁻¹}`), so rtol is a reduction
///   factor in the norm being minimised. ``SolveResult/residualNorm`` is this norm;
///   ``SolveResult/trueResidualNorm`` and ``SolveResult/rhsNorm`` are 2-norms, as for every method.
/// - `rᵀM⁻¹r < 0` (the preconditioner is not positive definite, or not symmetric) stops the
///   solve with ``StopReason/indefinite``. `A` itself is not checked for symmetry.
/// - No estimates of `‖A‖`, `cond(A)` or `‖Ar‖` are kept and there are no stopping tests on
///   them (SciPy's `istop` 2–5): the solve stops on the residual, the iteration limit, time or
///   the monitor only. As in Paige–Saunders, a rotated diagonal `γ = 0` (singular `T_k`) is
///   replaced by `ε`.
/// - The last pass of each iteration fuses the direction update, `x ← x + φw` and the
///   normalisation of the next Lanczos vector.
///
/// Reference: C. C. Paige and M. A. Saunders, "Solution of sparse indefinite systems of
/// linear equations", SIAM J. Numer. Anal. 12(4), 617–629, 1975; recurrences as in
/// S.-C. T. Choi, C. C. Paige and M. A. Saunders, "MINRES-QLP", SIAM J. Sci. Comput. 33(4),
/// 1810–1836, 2011.
///
/// ```swift
/// let minres = MINRES(preconditioner: try JacobiPreconditioner(A))
/// let result = try minres.solve(A, b)
/// ```
///
/// Memory: 6 vectors of length n in ``workspace`` (`v`, two Lanczos residuals, `y`, and two
/// direction vectors), with or without a preconditioner.
///
/// Not `Sendable`: it holds a class ``Workspace`` (scratch shared by its copies) and an
/// `any Preconditioner` (a class with scratch of its own); build one solver per thread, each
/// with its own workspace and preconditioner.
public struct MINRES: IterativeSolver, VerifiedKrylovMethod {
  public var stopping: StoppingCriterion
  /// `M`, symmetric positive definite and already set up for the matrix; `nil` for plain MINRES.
  public var preconditioner: (any Preconditioner)?
  public var recordHistory: Bool
  /// Scratch vectors, reused by every solve with this value (and its copies).
  public var workspace: Workspace

  public init(
    stopping: StoppingCriterion = StoppingCriterion(), preconditioner: (any Preconditioner)? = nil,
    recordHistory: Bool = false, workspace: Workspace = Workspace()
  ) {
    self.stopping = stopping
    self.preconditioner = preconditioner
    self.recordHistory = recordHistory
    self.workspace = workspace
  }

  /// Solves `A x = b` from `x0` (zero when `nil`) for symmetric `A`.
  ///
  /// - Throws: ``LinSolveError`` for a non-square `A`, sizes that disagree, or NaN/Inf in
  ///   `b` or `x0`. Non-convergence is a result with a ``StopReason``.
  public func solve(
    _ a: some LinearOperator, _ b: [Double], x0: [Double]? = nil, monitor: SolveMonitor? = nil
  ) throws -> SolveResult {
    try verifiedSolve(a, b, x0: x0, monitor: monitor)
  }

  /// One solve with the given criterion (``VerifiedSolve`` scales and restarts around it).
  func attempt(
    _ a: some LinearOperator, _ b: [Double], x0: [Double]?, stopping: StoppingCriterion, monitor: SolveMonitor?
  ) throws -> SolveResult {
    var x = try SolverInput.validate(a, b, x0: x0, stopping: stopping)
    let n = a.rows
    let vectors = workspace.vectors(6, length: n)
    var v = vectors[0], r1 = vectors[1], r2 = vectors[2], y = vectors[3]
    var wPrev = vectors[4], wPrev2 = vectors[5]  // w_{k−1}, w_{k−2}

    // The rtol baseline in the tracked norm: ‖b‖₂, or ‖b‖_{M⁻¹} with a preconditioner.
    var rhsNorm = Vector.norm(b)
    var preconditionerIndefinite = false
    if let preconditioner {
      b.withUnsafeBufferPointer { preconditioner.apply($0, into: y) }
      let bNorm = b.withUnsafeBufferPointer { Self.signedNorm($0, UnsafeBufferPointer(y)) }
      if bNorm < 0 { preconditionerIndefinite = true } else { rhsNorm = bNorm }
    }
    var tracker = ConvergenceTracker(
      criterion: stopping, rhsNorm: rhsNorm, monitor: monitor, recordHistory: recordHistory)
    var matvecs = 0

    let reason: StopReason = b.withUnsafeBufferPointer { b in
      x.withUnsafeMutableBufferPointer { x in
        // r₂ ← b − A x;  y ← M⁻¹ r₂;  β₁ ← √(r₂ᵀy)
        a.apply(UnsafeBufferPointer(x), into: r2)
        matvecs += 1
        let rr = Fused.residualFromProduct(b: b, r: r2)
        var beta: Double
        if let preconditioner {
          preconditioner.apply(UnsafeBufferPointer(r2), into: y)
          let signed = Self.signedNorm(UnsafeBufferPointer(r2), UnsafeBufferPointer(y))
          if preconditionerIndefinite || signed < 0 {
            // No M⁻¹-norm exists; report ‖r₀‖₂ at k = 0 so the monitor contract holds.
            return tracker.start(residualNorm: KrylovKernels.norm(squares: rr, UnsafeBufferPointer(r2)))
              ?? .indefinite
          }
          beta = signed.magnitude
        } else {
          beta = KrylovKernels.norm(squares: rr, UnsafeBufferPointer(r2))
        }
        if let stop = tracker.start(residualNorm: beta) { return stop }

        var oldBeta = 0.0
        var dbar = 0.0, epsilon = 0.0
        var phibar = beta
        var c = -1.0, s = 0.0
        // v ← y / β₁ (y is r₂ itself without a preconditioner)
        let z0 = preconditioner == nil ? UnsafeBufferPointer(r2) : UnsafeBufferPointer(y)
        Self.scaledCopy(z0, 1 / beta, into: v)

        while true {
          // y ← A v − (β_k / β_{k−1}) r₁;  α ← vᵀy
          a.apply(UnsafeBufferPointer(v), into: y)
          matvecs += 1
          let alpha = oldBeta == 0
            ? Vector.dot(UnsafeBufferPointer(v), UnsafeBufferPointer(y))
            : KrylovKernels.axpyDot(-beta / oldBeta, UnsafeBufferPointer(r1), y, dot: UnsafeBufferPointer(v))
          // y ← y − (α / β_k) r₂, with yᵀy in the same pass
          let yy = KrylovKernels.axpyDot(-alpha / beta, UnsafeBufferPointer(r2), y, dot: UnsafeBufferPointer(y))
          // r₁ ← r₂;  r₂ ← y;  y ← M⁻¹ r₂;  β_{k+1} ← √(r₂ᵀy)
          (r1, r2, y) = (r2, y, r1)
          oldBeta = beta
          if let preconditioner {
            preconditioner.apply(UnsafeBufferPointer(r2), into: y)
            let beta2 = Vector.dot(UnsafeBufferPointer(r2), UnsafeBufferPointer(y))
            if beta2 < 0 { return .indefinite }
            beta = beta2.squareRoot()
          } else {
            beta = KrylovKernels.norm(squares: yy, UnsafeBufferPointer(r2))
          }

          // Apply the previous rotation Q_{k−1}:
          //   [δ_k   ε_{k+1}]   [c  s] [δ̄_k  0      ]
          //   [γ̄_k   δ̄_{k+1}] = [s −c] [α_k  β_{k+1}]
          let oldEpsilon = epsilon
          let delta = c * dbar + s * alpha
          let gbar = s * dbar - c * alpha
          epsilon = s * beta
          dbar = -c * beta
          // The new rotation Q_k annihilates β_{k+1}.
          let gamma = max(KrylovKernels.hypot(gbar, beta), Double.ulpOfOne)
          c = gbar / gamma
          s = beta / gamma
          let phi = c * phibar
          phibar = s * phibar

          // w_k ← (v − ε_k w_{k−2} − δ_k w_{k−1}) / γ_k (into w_{k−2}'s storage);  x ← x + φ w_k;
          // v ← M⁻¹r₂ / β_{k+1}, the next Lanczos vector
          let zNext = preconditioner == nil ? UnsafeBufferPointer(r2) : UnsafeBufferPointer(y)
          Self.updateDirection(
            v: v, w2: wPrev2, w1: UnsafeBufferPointer(wPrev), x: x, next: zNext,
            epsilon: oldEpsilon, delta: delta, inverseGamma: 1 / gamma, phi: phi, inverseBeta: 1 / beta)
          (wPrev2, wPrev) = (wPrev, wPrev2)

          if let stop = tracker.step(residualNorm: phibar) { return stop }
        }
      }
    }
    // The verdict is in the 2-norm whatever norm the recursion tracked (M-norm with M).
    return SolveResult.finishing(
      x: x, a: a, b: b, reason: reason, tracker: tracker, matvecs: matvecs,
      verdictThreshold: preconditioner != nil && stopping.baseline == .rightHandSide
        ? stopping.threshold(rhsNorm: Vector.norm(b), initialResidualNorm: 0) : nil)
  }

  /// `±√|rᵀz|` (negative when `rᵀz < 0`): the `M⁻¹`-norm of `r` for `z = M⁻¹r`, computed
  /// without overflow or underflow: from the fast sum when it is safely inside the
  /// floating-point range, otherwise from a rescaled sum.
  private static func signedNorm(_ r: UnsafeBufferPointer<Double>, _ z: UnsafeBufferPointer<Double>) -> Double {
    let fast = Vector.dot(r, z)
    let magnitude = fast.magnitude
    let root: Double
    let negative: Bool
    if magnitude.isFinite && magnitude > 1e-280 && magnitude < 1e280 {
      root = magnitude.squareRoot()
      negative = fast < 0
    } else {
      let scaled = KrylovKernels.scaledDots(z, r)
      root = scaled.xy.magnitude.squareRoot() * scaled.xScale.squareRoot() * scaled.yScale.squareRoot()
      negative = scaled.xy < 0
    }
    return negative ? -root : root
  }

  /// `v ← σ z`.
  private static func scaledCopy(
    _ z: UnsafeBufferPointer<Double>, _ sigma: Double, into v: UnsafeMutableBufferPointer<Double>
  ) {
    guard let zp = z.baseAddress, let vp = v.baseAddress else { return }
    Parallel.forEachChunk(v.count) { range in
      for i in range { vp[i] = sigma * zp[i] }
    }
  }

  /// The fused last pass of an iteration: `w₂ ← (v − ε w₂ − δ w₁)/γ` (the new direction,
  /// overwriting the oldest one), `x ← x + φ w₂`, and `v ← next / β` for the next iteration.
  private static func updateDirection(
    v: UnsafeMutableBufferPointer<Double>, w2: UnsafeMutableBufferPointer<Double>,
    w1: UnsafeBufferPointer<Double>, x: UnsafeMutableBufferPointer<Double>,
    next: UnsafeBufferPointer<Double>, epsilon: Double, delta: Double, inverseGamma: Double,
    phi: Double, inverseBeta: Double
  ) {
    guard let vp = v.baseAddress, let w2p = w2.baseAddress, let w1p = w1.baseAddress,
      let xp = x.baseAddress, let np = next.baseAddress
    else { return }
    Parallel.forEachChunk(v.count) { range in
      for i in range {
        let w = (vp[i] - epsilon * w2p[i] - delta * w1p[i]) * inverseGamma
        w2p[i] = w
        xp[i] += phi * w
        vp[i] = np[i] * inverseBeta
      }
    }
  }
}
