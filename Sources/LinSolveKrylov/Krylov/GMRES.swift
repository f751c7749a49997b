import Dispatch
import LinSolveCore
import LinSolveDirect

/// The restarted generalized minimal residual method GMRES(m) (Saad & Schultz 1986) for
/// general square `A`, optionally right-preconditioned.
///
/// Standard restarted GMRES, except for these points:
/// - **Right preconditioning**: GMRES runs on `A M⁻¹ u = b` with `x = M⁻¹ u`, so the residual
///   it minimises and tracks is the true residual `‖b − A x‖₂`; `rtol` means the same with and
///   without `M` (left preconditioning would minimise `‖M⁻¹(b − A x)‖₂` instead).
/// - **Arnoldi** uses modified Gram–Schmidt, plus a second MGS pass when the first one removed
///   too much of the vector (`‖w‖` after `< 0.7 · ‖w‖` before: Daniel, Gragg, Kaufman &
///   Stewart 1976, "twice is enough"). Each MGS step is fused with the next inner product, so a
///   sweep against `j` basis vectors makes `j + 1` passes over `w`.
/// - Givens rotations keep the QR factorisation of the Hessenberg matrix up to date, so the
///   residual norm `|g_{j+1}|` of the current (not yet formed) iterate is passed to the tracker
///   and monitor after **every inner iteration**; ``SolveResult/iterations`` counts inner
///   iterations (each one `M⁻¹` and one product with `A`).
/// - At every restart the true residual `b − A x` is recomputed and the new cycle starts from
///   it. When the estimate says converged but the recomputed residual does not (the recurrence
///   drifted from the truth), the solve restarts instead of stopping, as SciPy does; when the
///   recomputed residual meets the threshold at the end of a cycle the solve has converged.
/// - Happy breakdown (`h_{j+1,j} ≤ ε · ‖A M⁻¹ v_j‖`: the Krylov space is invariant) ends the
///   cycle: the least-squares solution is exact in that space. If the matrix is also singular on
///   it (the rotated diagonal is 0) the solve stops with ``StopReason/breakdown``.
/// - A restart cycle that reduces the true residual by less than a factor `1 − 10⁻¹²` stops with
///   ``StopReason/stagnation`` (GMRES(m) can stall for nonnormal or indefinite `A`).
/// - `m` is capped at `n`.
///
/// Reference: Y. Saad and M. H. Schultz, "GMRES: A generalized minimal residual algorithm for
/// solving nonsymmetric linear systems", SIAM J. Sci. Stat. Comput. 7(3), 856–869, 1986.
///
/// ```swift
/// let gmres = GMRES(restart: 50, preconditioner: try IncompleteLU(A))
/// let result = try gmres.solve(A, b)
/// ```
///
/// Memory: `m + 1` vectors of length n (`m + 2` with a preconditioner) in ``workspace``, plus
/// the `(m + 1) × m` Hessenberg matrix and `O(m)` rotation scalars, allocated once per solve.
///
/// Not `Sendable`: it holds a class ``Workspace`` (scratch shared by its copies) and an
/// `any Preconditioner` (a class with scratch of its own); build one solver per thread, each
/// with its own workspace and preconditioner.
public struct GMRES: IterativeSolver, VerifiedKrylovMethod {
  public var stopping: StoppingCriterion
  /// `m`, the number of inner iterations between restarts (≥ 1; capped at n).
  public var restart: Int
  /// `M`, already set up for the matrix, applied on the right; `nil` for plain GMRES.
  public var preconditioner: (any Preconditioner)?
  public var recordHistory: Bool
  /// Scratch vectors (the Krylov basis), reused by every solve with this value (and its copies).
  public var workspace: Workspace

  public init(
    stopping: StoppingCriterion = StoppingCriterion(), restart: Int = 30,
    preconditioner: (any Preconditioner)? = nil, recordHistory: Bool = false,
    workspace: Workspace = Workspace()
  ) {
    self.stopping = stopping
    self.restart = restart
    self.preconditioner = preconditioner
    self.recordHistory = recordHistory
    self.workspace = workspace
  }

  /// Solves `A x = b` from `x0` (zero when `nil`).
  ///
  /// - Throws: ``LinSolveError/invalidParameter(name:reason:)`` for `restart < 1`; otherwise
  ///   ``LinSolveError`` for a non-square `A`, sizes that disagree, or NaN/Inf in `b` or `x0`.
  ///   Non-convergence is a result with a ``StopReason``.
  public func solve(
    _ a: some LinearOperator, _ b: [Double], x0: [Double]? = nil, monitor: SolveMonitor? = nil
  ) throws -> SolveResult {
    try verifiedSolve(a, b, x0: x0, monitor: monitor)
  }

  /// One solve with the given criterion (``VerifiedSolve`` scales and restarts around it).
  func attempt(
    _ a: some LinearOperator, _ b: [Double], x0: [Double]?, stopping: StoppingCriterion, monitor: SolveMonitor?
  ) throws -> SolveResult {
    guard restart >= 1 else {
      throw LinSolveError.invalidParameter(name: "restart", reason: "\(restart) is less than 1")
    }
    var x = try SolverInput.validate(a, b, x0: x0, stopping: stopping)
    let n = a.rows
    let m = max(1, min(restart, n))
    let vectors = workspace.vectors(m + 1 + (preconditioner == nil ? 0 : 1), length: n)
    let basis = Array(vectors[0...m])
    let z: UnsafeMutableBufferPointer<Double>? = preconditioner == nil ? nil : vectors[m + 1]
    // The small dense arrays, allocated once per solve. H is (m + 1) × m, column-major.
    let ld = m + 1
    var h = [Double](repeating: 0, count: ld * m)
    var cosines = [Double](repeating: 0, count: m)
    var sines = [Double](repeating: 0, count: m)
    var g = [Double](repeating: 0, count: m + 1)
    var y = [Double](repeating: 0, count: m)
    var tracker = ConvergenceTracker(
      criterion: stopping, rhsNorm: Vector.norm(b), monitor: monitor, recordHistory: recordHistory)
    var matvecs = 0

    let reason: StopReason = b.withUnsafeBufferPointer { b in
      x.withUnsafeMutableBufferPointer { x in
        let v0 = basis[0]
        // v₀ ← b − A x (normalised at the top of each cycle)
        a.apply(UnsafeBufferPointer(x), into: v0)
        matvecs += 1
        var beta = KrylovKernels.norm(
          squares: Fused.residualFromProduct(b: b, r: v0), UnsafeBufferPointer(v0))
        if let stop = tracker.start(residualNorm: beta) { return stop }
        var cycleStartNorm = beta

        while true {
          // v₀ ← r / β;  g ← β e₁
          KrylovKernels.divide(v0, by: beta)
          for i in 0...m { g[i] = 0 }
          g[0] = beta
          var k = 0  // columns of the basis that enter the update
          var innerStop: StopReason? = nil

          for j in 0..<m {
            let vj = UnsafeBufferPointer(basis[j])
            let w = basis[j + 1]
            // w ← A M⁻¹ v_j
            if let preconditioner, let z {
              preconditioner.apply(vj, into: z)
              a.apply(UnsafeBufferPointer(z), into: w)
            } else {
              a.apply(vj, into: w)
            }
            matvecs += 1

            // Modified Gram–Schmidt, then once more if the norm dropped by more than 30%.
            let column = j * ld
            let sweep = h.withUnsafeMutableBufferPointer { hp in
              Self.gramSchmidtSweep(w, basis: basis, count: j + 1, into: hp.baseAddress! + column, accumulate: false)
            }
            let normBefore = sweep.before.squareRoot()
            var hNext = KrylovKernels.norm(squares: sweep.after, UnsafeBufferPointer(w))
            if hNext < 0.7 * normBefore {
              let again = h.withUnsafeMutableBufferPointer { hp in
                Self.gramSchmidtSweep(w, basis: basis, count: j + 1, into: hp.baseAddress! + column, accumulate: true)
              }
              hNext = KrylovKernels.norm(squares: again.after, UnsafeBufferPointer(w))
            }
            h[column + j + 1] = hNext
            let happy = hNext <= Double.ulpOfOne * normBefore

            // Apply the previous rotations to column j, then eliminate h_{j+1,j}.
            for i in 0..<j {
              let hi = h[column + i], hi1 = h[column + i + 1]
              h[column + i] = cosines[i] * hi + sines[i] * hi1
              h[column + i + 1] = -sines[i] * hi + cosines[i] * hi1
            }
            let diagonal = h[column + j]
            let rho = KrylovKernels.hypot(diagonal, hNext)
            if rho == 0 {
              // Happy breakdown on a singular matrix: column j adds nothing, the residual stays.
              k = j
              innerStop = tracker.step(residualNorm: abs(g[j])) ?? .breakdown
              break
            }
            cosines[j] = diagonal / rho
            sines[j] = hNext / rho
            h[column + j] = rho
            h[column + j + 1] = 0
            g[j + 1] = -sines[j] * g[j]
            g[j] = cosines[j] * g[j]
            k = j + 1

            innerStop = tracker.step(residualNorm: abs(g[j + 1]))
            if innerStop != nil || happy { break }
            // v_{j+1} ← w / h_{j+1,j}
            KrylovKernels.divide(w, by: hNext)
          }

          // y ← R⁻¹ g (k × k upper triangular);  x ← x + M⁻¹ V y
          if k > 0 {
            for i in stride(from: k - 1, through: 0, by: -1) {
              var s = g[i]
              for l in (i + 1)..<k { s -= h[i + l * ld] * y[l] }
              y[i] = s / h[i + i * ld]
            }
            if let preconditioner, let z {
              let u = basis[k]  // not needed any more: the update uses v₀ … v_{k−1}
              KrylovKernels.combine(basis, y, count: k, into: u, accumulate: false)
              preconditioner.apply(UnsafeBufferPointer(u), into: z)
              Vector.axpy(1, UnsafeBufferPointer(z), x)
            } else {
              KrylovKernels.combine(basis, y, count: k, into: x, accumulate: true)
            }
          }
          if let stop = innerStop, stop != .converged { return stop }

          // Restart from the true residual r = b − A x.
          a.apply(UnsafeBufferPointer(x), into: v0)
          matvecs += 1
          beta = KrylovKernels.norm(
            squares: Fused.residualFromProduct(b: b, r: v0), UnsafeBufferPointer(v0))
          if !beta.isFinite { return .nonFinite }
          if beta <= tracker.threshold { return .converged }
          if tracker.iteration >= stopping.maxIterations { return .maxIterations }
          if !(beta < (1 - 1e-12) * cycleStartNorm) { return .stagnation }
          cycleStartNorm = beta
        }
      }
    }
    return SolveResult.finishing(
      x: x, a: a, b: b, reason: reason, tracker: tracker, matvecs: matvecs)
  }

  /// One modified Gram–Schmidt sweep of `w` against `basis[0..<count]`, writing (or, with
  /// `accumulate`, adding) the coefficients to `h[0..<count]`. Returns `wᵀw` before and after.
  ///
  /// Each `w ← w − h_i v_i` is fused with the next product `v_{i+1}ᵀw` (and the last with
  /// `wᵀw`), so the sweep makes `count + 1` passes over `w` instead of `2·count + 2`.
  private static func gramSchmidtSweep(
    _ w: UnsafeMutableBufferPointer<Double>, basis: [UnsafeMutableBufferPointer<Double>],
    count: Int, into h: UnsafeMutablePointer<Double>, accumulate: Bool
  ) -> (before: Double, after: Double) {
    let first = KrylovKernels.dotAndSquares(UnsafeBufferPointer(basis[0]), UnsafeBufferPointer(w))
    var coefficient = first.xy
    for i in 0..<count {
      if accumulate { h[i] += coefficient } else { h[i] = coefficient }
      // w ← w − h_i v_i, and the next coefficient v_{i+1}ᵀw (or wᵀw after the last one)
      let next = i + 1 < count ? UnsafeBufferPointer(basis[i + 1]) : UnsafeBufferPointer(w)
      coefficient = KrylovKernels.axpyDot(-coefficient, UnsafeBufferPointer(basis[i]), w, dot: next)
    }
    return (first.yy, coefficient)
  }
}
