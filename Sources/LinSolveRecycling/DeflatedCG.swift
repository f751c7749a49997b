import LinSolveCore

/// Deflated (preconditioned) conjugate gradients with a deflation space carried across a
/// sequence of symmetric positive definite systems (Saad, Yeung, Erhel & Guyomarc'h 2000).
///
/// With an A-orthonormal basis `W` of the space (`WᵀAW = I`, `C = AW` stored; see
/// ``RecycleSpace/Normalization/operatorOrthonormal``) each solve is
///
/// 1. `x₀ ← x₀ + W·Wᵀr₀`, `r₀ ← r₀ − C·Wᵀr₀`, so that `Wᵀr₀ = 0` (init-CG);
/// 2. `z₀ = M⁻¹r₀`, `p₀ = z₀ − W·μ₀` with `μ₀ = Cᵀz₀`;
/// 3. per iteration: `α = rᵀz / pᵀAp`, `x += αp`, `r −= αAp`, `z = M⁻¹r`, `β = r₊ᵀz₊ / rᵀz`,
///    `μ = Cᵀz`, `p ← z + βp − W·μ`.
///
/// This is CG on `(I − A·W·Wᵀ)·A`: its effective condition number is `λ_n / λ_{k+1}` when `W`
/// spans the eigenvectors of the k smallest eigenvalues (of `M⁻¹A`).
///
/// **The fused form.** For a ``SparseMatrix`` with no preconditioner or a
/// ``DiagonalPreconditioner`` `M⁻¹ = diag(d)` (Jacobi), the iteration is rearranged so that the
/// block `C` is read once per iteration and `W` not at all: the direction is kept as
/// `p = p̃ − W·ν` (`p̃ ← M⁻¹r + βp̃`, `ν ← βν + μ`), the solution as `x = x̃ − W·ξ`
/// (`ξ ← ξ + αν`, applied once at the end), and `μ = Cᵀz` by the recurrence
/// `μ₊ = μ − α·CᵀM⁻¹q`. One pass then forms `q = A·p = A·p̃ − C·ν` row block by row block,
/// together with `pᵀq = p̃ᵀq` (`WᵀAp = 0`) and `CᵀM⁻¹q` (the block is still in cache for the
/// second sweep); a second pass updates `x̃`, `r` with `rᵀr` and `rᵀM⁻¹r`; a third forms `p̃`.
/// The three passes are split across ``Parallel/threads`` by the size of the n × k block, so
/// they run threaded where a plain PCG iteration of the same n may not. The re-projection below
/// also recomputes `μ` explicitly. In exact arithmetic the iterates are those of the general
/// form; ``fusedIteration`` `= false` forces the general form (any operator and preconditioner),
/// which makes two block passes per iteration: `μ = Cᵀz`, then `p ← z + βp − W·μ` fused into
/// one pass.
///
/// **Cost.** Deflation adds about `4·n·k` flops per iteration and `8·n·k` bytes read (fused
/// form; `16·n·k` in the general form). The block kernels use SSE2 (the package's baseline
/// x86-64 target), so at k ≥ 10 they are bound by arithmetic when the block is in cache.
/// The refresh costs `O(n·k·(k + s))` flops once per solve. Measured on the 2-core reference
/// machine (slowly varying Darcy, n = 200², Jacobi, 40 systems, release build, quiet): PCG
/// 0.126 s per system (single-threaded at this n); k = 5 / 10 / 20: 0.073 / 0.089 / 0.124 s
/// (1.72 / 1.42 / 1.01× faster), but 0.89 / 0.75 / 0.56× PCG's CPU time, and on one thread
/// 0.98 / 0.82 / 0.62× its speed. Rebuilding C for each new matrix and the refresh cost
/// 1 + 2 ms per solve at k = 5, 9 + 11 ms at k = 20.
/// ``lastStatistics`` reports the time spent projecting, refreshing and rebuilding beside the
/// products.
///
/// **Refreshing the space** after a solve (no products with `A`): Rayleigh–Ritz for `M⁻¹A` in
/// the `A` inner product on `Z = [W, p₀ … p_{s−1}]`, i.e. the symmetric-definite pencil
/// `(ZᵀAM⁻¹AZ)·y = θ·(ZᵀAZ)·y` (LAPACK `dsygv`). `ZᵀAZ = diag(I, pᵢᵀApᵢ)` by conjugacy, and
/// `ZᵀAM⁻¹AZ` comes from the CG scalars (`Apᵢ = (rᵢ − rᵢ₊₁)/αᵢ`, `rᵢᵀzⱼ = 0` for `i ≠ j`) and
/// the vectors `Cᵀzᵢ` the iteration computes anyway — the pencil of Saad et al. §4 and of RCG
/// (Parks et al. 2006). The k smallest `θ` give the new `W = Z·Y` (A-orthonormal by the
/// normalisation `YᵀZᵀAZY = I`) and `C = [C, Ap₀ … Ap_{s−1}]·Y`. Because the pencil is built
/// from recurrences, the new basis is then checked: `WᵀC` is formed (`2·n·k²` flops) and, if it
/// is not the identity to 10⁻⁸, the basis is A-orthonormalised again, dropping nearly dependent
/// directions (eigenvalues of the Gram matrix below `10⁻¹²·λ_max`).
///
/// Other points:
/// - The space's image is rebuilt (k products, counted in ``SolveResult/matvecs`` and
///   ``RecycleStatistics/rebuildMatvecs``) only when `A` changed; a new preconditioner alone
///   costs k applications of `M⁻¹`. See ``RecycleSpace`` for how a change is detected.
/// - The residual is re-projected (`x += W·Wᵀr`, `r −= C·Wᵀr`) every
///   ``reprojectionInterval`` iterations once the first `s` directions are stored, against
///   the slow return of the deflated components in finite precision.
/// - Stopping, monitoring and the final true residual are those of ``ConjugateGradient``: the
///   tracked norm is the unpreconditioned recursive `‖r_k‖₂` (after the initial projection),
///   and `‖b − Ax‖` is recomputed at the end. `pᵀAp ≤ 0` stops with
///   ``StopReason/indefinite`` (and the space is not updated from that solve).
///
/// ```swift
/// let solver = DeflatedCG(recycleDimension: 10, preconditioner: JacobiPreconditioner())
/// for t in 0..<10 {
///   let a = Diffusion.matrix2D(64) { x, y in exp(0.3 * sin(2 * .pi * x + Double(t))) }
///   try solver.preconditioner!.setUp(for: a)
///   let result = try solver.solve(a, b)    // W from system t − 1 deflates system t
/// }
/// ```
///
/// Memory: `2k` vectors for the space (`W`, `C`), `2s` for the stored directions and their
/// products (`p`, `Ap`), and 4 (5 with a preconditioner) for the iteration, all of length n.
///
/// Reference: Y. Saad, M. Yeung, J. Erhel, F. Guyomarc'h, "A deflated version of the conjugate
/// gradient algorithm", SIAM J. Sci. Comput. 21(5), 1909–1926, 2000. The refresh follows the
/// same paper; RCG is M. L. Parks et al., SIAM J. Sci. Comput. 28(5), 1651–1674, 2006.
public final class DeflatedCG: RecyclingSolver {
  public var stopping: StoppingCriterion
  /// `M`, already set up for the matrix; `nil` for no preconditioner.
  public var preconditioner: (any Preconditioner)?
  public var recordHistory: Bool
  /// Scratch vectors, reused by every solve.
  public var workspace: Workspace
  /// `k`, the dimension of the space kept after each solve (default 10).
  public var recycleDimension: Int
  /// `s`, the number of search directions of each solve stored for the refresh (default 20).
  public var ritzDirections: Int
  /// Iterations between re-projections of the residual against `W` (default 50; 0: never).
  public var reprojectionInterval: Int
  public var updatesSpace: Bool = true
  /// Whether to run the fused form of the iteration when it applies — a ``SparseMatrix`` with
  /// no preconditioner or a ``DiagonalPreconditioner`` (default `true`); `false` always runs
  /// the general form. Both compute the same iterates in exact arithmetic.
  public var fusedIteration: Bool = true
  /// The deflation space; ``RecycleSpace/Normalization/operatorOrthonormal``.
  public var space: RecycleSpace
  public private(set) var lastStatistics = RecycleStatistics()
  public private(set) var totalStatistics = RecycleStatistics()

  /// - Parameters:
  ///   - recycleDimension: `k ≥ 0`.
  ///   - ritzDirections: `s ≥ 0`; the refresh sees `k + s` directions.
  public init(
    stopping: StoppingCriterion = StoppingCriterion(), recycleDimension: Int = 10, ritzDirections: Int = 20,
    reprojectionInterval: Int = 50, preconditioner: (any Preconditioner)? = nil, recordHistory: Bool = false,
    workspace: Workspace = Workspace()
  ) {
    self.stopping = stopping
    self.recycleDimension = recycleDimension
    self.ritzDirections = ritzDirections
    self.reprojectionInterval = reprojectionInterval
    self.preconditioner = preconditioner
    self.recordHistory = recordHistory
    self.workspace = workspace
    self.space = RecycleSpace(normalization: .operatorOrthonormal)
  }

  public func reset() {
    space.removeAll()
    lastStatistics = RecycleStatistics()
    totalStatistics = RecycleStatistics()
  }

  /// Solves `A x = b` from `x0` (zero when `nil`), deflating with the carried space, then
  /// refreshes the space (unless ``updatesSpace`` is `false`).
  ///
  /// - Throws: ``LinSolveError/invalidParameter(name:reason:)`` for a negative `k`, `s` or
  ///   interval, or a space with the other normalisation; otherwise as
  ///   ``ConjugateGradient/solve(_:_:x0:monitor:)``.
  public func solve(
    _ a: some LinearOperator, _ b: [Double], x0: [Double]? = nil, operatorChanged: Bool?,
    monitor: SolveMonitor? = nil
  ) throws -> SolveResult {
    try VerifiedSolve.scalingRightHandSide(b, x0: x0, stopping: stopping, monitor: monitor) { b, x0, stopping, monitor in
      try attempt(a, b, x0: x0, operatorChanged: operatorChanged, stopping: stopping, monitor: monitor)
    }
  }

  /// One solve (``VerifiedSolve/scalingRightHandSide(_:x0:stopping:monitor:_:)`` scales `b` around it).
  private func attempt(
    _ a: some LinearOperator, _ b: [Double], x0: [Double]?, operatorChanged: Bool?, stopping: StoppingCriterion,
    monitor: SolveMonitor?
  ) throws -> SolveResult {
    guard recycleDimension >= 0 else {
      throw LinSolveError.invalidParameter(name: "recycleDimension", reason: "\(recycleDimension) is negative")
    }
    guard ritzDirections >= 0 else {
      throw LinSolveError.invalidParameter(name: "ritzDirections", reason: "\(ritzDirections) is negative")
    }
    guard reprojectionInterval >= 0 else {
      throw LinSolveError.invalidParameter(name: "reprojectionInterval", reason: "\(reprojectionInterval) is negative")
    }
    guard space.normalization == .operatorOrthonormal else {
      throw LinSolveError.invalidParameter(name: "space", reason: "DeflatedCG needs an operatorOrthonormal space")
    }
    var x = try SolverInput.validate(a, b, x0: x0, stopping: stopping)
    return try withCheckedOutSpace(record: { lastStatistics = $0; totalStatistics += $0 }) { space, stats in
      let cost = try space.prepare(for: a, preconditioner: preconditioner, operatorChanged: operatorChanged)
      stats.record(cost)
      return run(a, b, x: &x, space: &space, stats: &stats, matvecs: cost.matvecs, stopping: stopping, monitor: monitor)
    }
  }

  /// The iteration of one solve on the prepared `space`, then the refresh.
  private func run(
    _ a: some LinearOperator, _ b: [Double], x: inout [Double], space: inout RecycleSpace,
    stats: inout RecycleStatistics, matvecs: Int, stopping: StoppingCriterion, monitor: SolveMonitor?
  ) -> SolveResult {
    let n = a.rows
    var matvecs = matvecs
    let kc = space.dimension
    let s = updatesSpace && (kc > 0 || recycleDimension > 0) ? min(ritzDirections, n) : 0
    space.reserve(columns: max(kc, recycleDimension, 1), length: n)

    let m = preconditioner
    // The fused form (three threaded passes per iteration, one over C) needs the rows of A and
    // a diagonal M⁻¹ (or none); anything else takes the general form (two block passes).
    let matrix = a as? SparseMatrix
    let inverseDiagonal: [Double]? = m.flatMap { ($0 as? any DiagonalPreconditioner)?.inverseDiagonal }
    let fused = fusedIteration && matrix != nil && (m == nil || inverseDiagonal?.count == n)
    let v = workspace.vectors(3 + (m == nil || fused ? 0 : 1) + 2 * s, length: n)
    let windowBase = 3 + (m == nil || fused ? 0 : 1)
    let directions = Array(v[windowBase..<(windowBase + s)])
    let products = Array(v[(windowBase + s)..<(windowBase + 2 * s)])

    var tracker = ConvergenceTracker(
      criterion: stopping, rhsNorm: Vector.norm(b), monitor: monitor, recordHistory: recordHistory)
    var record = DeflatedCGRecord()

    let reason: StopReason = b.withUnsafeBufferPointer { b in
      x.withUnsafeMutableBufferPointer { x in
        space.u.withUnsafeMutableBufferPointer { wb in
          space.c.withUnsafeMutableBufferPointer { cb in
            Self.withScale(inverseDiagonal, fused: fused) { scale in
              withUnsafeTemporaryAllocation(of: Double.self, capacity: 4 * max(kc, 1)) { small in
                small.initialize(repeating: 0)
                var iteration = DeflatedCGIteration(
                  a: a, preconditioner: m, n: n, kc: kc, s: s, interval: reprojectionInterval, b: b, x: x,
                  r: v[0], p: v[1], q: v[2], z: m == nil || fused ? v[0] : v[3], directions: directions,
                  products: products, w: UnsafePointer(wb.baseAddress!), c: UnsafePointer(cb.baseAddress!),
                  small: small.baseAddress!, tracker: tracker, recorded: DeflatedCGRecord(s: s, kc: kc, fused: fused))
                let reason = fused ? iteration.runFused(matrix: matrix!, scale: scale) : iteration.runGeneral()
                tracker = iteration.tracker
                record = iteration.recorded
                matvecs += iteration.matvecs
                stats.projectionSeconds += iteration.projectionSeconds
                stats.preconditionerApplications += iteration.preconditionerApplications
                return reason
              }
            }
          }
        }
      }
    }

    if updatesSpace && record.collected > 0 && reason != .nonFinite && reason != .indefinite && recycleDimension > 0 {
      var watch = RecyclingStopwatch()
      refresh(&space, n: n, kc: kc, record: record, directions: directions, products: products, stats: &stats)
      space.markValid(for: a, preconditioner: m)
      stats.updateSeconds = watch.lap()
    }
    return SolveResult.finishing(x: x, a: a, b: b, reason: reason, tracker: tracker, matvecs: matvecs)
  }

  /// Calls `body` with the inverse diagonal of the preconditioner when the fused form uses it.
  private static func withScale<R>(
    _ d: [Double]?, fused: Bool, _ body: (UnsafePointer<Double>?) -> R
  ) -> R {
    guard fused, let d else { return body(nil) }
    return d.withUnsafeBufferPointer { body($0.baseAddress) }
  }
}
