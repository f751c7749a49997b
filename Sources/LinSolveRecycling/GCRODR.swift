import LinSolveCore

/// GCRO-DR(m, k): restarted GMRES with deflated restarting and a recycle space carried across a
/// sequence of general (nonsymmetric) systems (Parks, de Sturler, Mackey, Johnson & Maiti 2006).
///
/// The method keeps `U` (n × k) and `C = A·M⁻¹·U` with `CᵀC = I`
/// (``RecycleSpace/Normalization/orthonormalImage``) and runs, on the right-preconditioned
/// operator `B = A·M⁻¹`:
///
/// 1. **Start.** If the space is not empty (carried from the previous system; its image is
///    rebuilt with k products and a QR when `A` or `M` changed), `x ← x + M⁻¹U·Cᵀr`,
///    `r ← r − C·Cᵀr`. Otherwise the first cycle is plain GMRES(m), and the space comes out of
///    it (GMRES-DR style).
/// 2. **Cycle.** `m − k` Arnoldi steps with `(I − CCᵀ)·B` (each new vector is orthogonalised
///    against `C`, giving `Bₘ = CᵀB·V`, then against the Arnoldi basis: block classical
///    Gram–Schmidt, repeated when it removed more than 30 % of the norm). The least-squares
///    problem `min ‖Ŵᵀr − G·y‖` with `Ŵ = [C, V]`, `V̂ = [U·D, V]`, `G = [[D, Bₘ], [0, H̄]]`
///    reduces to the GMRES problem on `H̄` (the `D` block absorbs `Cᵀr`), so the residual norm is
///    known after every inner step from Givens rotations, as in ``GMRES``.
/// 3. **Refresh** (every cycle): the harmonic Ritz pencil `GᵀG·z = θ·GᵀŴᵀV̂·z` (LAPACK
///    `dggev`), the k values of smallest `|θ|`; a complex pair contributes its real and imaginary
///    parts (k + 1 vectors when the pair straddles the cut, if `k + 1 < m`). Then
///    `[Q, R] = qr(G·P)`, `C ← Ŵ·Q`, `U ← V̂·P·R⁻¹`, in place. `D = diag(1/‖uᵢ‖)` scales the
///    pencil.
///
/// Other points:
/// - The residual is updated recursively between cycles (`r = V·(βe₁ − H̄y)`, no product).
///   When its norm meets the tolerance the true residual is recomputed (one product); if that
///   does not meet it, the solve continues from the true residual, as ``GMRES`` does.
/// - ``SolveResult/iterations`` counts Arnoldi steps (one product with `A` and one `M⁻¹` each);
///   ``SolveResult/matvecs`` adds the k products of a rebuild, the initial residual, the
///   final true residual and any true residual checked on the way.
/// - A cycle that reduces the residual by less than a factor `1 − 10⁻¹²` stops with
///   ``StopReason/stagnation``; a singular projected problem with ``StopReason/breakdown``.
/// - On a single system GCRO-DR(m, k) is GMRES-DR(m, k) (Morgan 2002): the space deflates
///   the smallest harmonic Ritz values at every restart, which is what rescues a stagnating
///   GMRES(m). Carrying the space to the next system helps when the systems are close and
///   their slow modes are shared (diffusion-dominated problems); on convection-dominated or
///   independently sampled systems it measured no better than starting fresh, sometimes worse
///   (then call ``reset()`` before each solve, or set ``updatesSpace`` as needed).
///
/// **Cost.** Per Arnoldi step: one product with `A` and one `M⁻¹`, a pass over each of `C`
/// (twice: `Cᵀw`, `w − C·b`) and the growing basis — about as much memory traffic as a
/// GMRES(m) step. Per cycle: the refresh, ≈ `3 · 2·n·k·(m + 1)` flops of tall products (BLAS
/// `dgemm`) plus an m × m `dggev`. At n = 98² (release build, Jacobi) an iteration cost about
/// 0.4 ms against 0.04 ms for PCG, so on SPD problems CG-type methods are the fair baseline.
///
/// ```swift
/// let solver = GCRODR(restart: 40, recycleDimension: 20, preconditioner: try IncompleteLU(a0))
/// for (a, b) in systems {
///   try solver.preconditioner!.setUp(for: a)
///   let result = try solver.solve(a, b)
/// }
/// ```
///
/// Memory: `m + 1` Arnoldi vectors (the first, GMRES, cycle needs all of them; later cycles
/// `m − k + 1`), `2k + 2` for `U` and `C` (one extra column for a complex pair), and 3 more
/// (residual, update, `M⁻¹` output), all of length n. Parks et al. count `(m − k + 1) + 2k`.
///
/// References: M. L. Parks, E. de Sturler, G. Mackey, D. D. Johnson, S. Maiti, "Recycling Krylov
/// subspaces for sequences of linear systems", SIAM J. Sci. Comput. 28(5), 1651–1674, 2006;
/// R. B. Morgan, "GMRES with deflated restarting", SIAM J. Sci. Comput. 24(1), 20–37, 2002.
public final class GCRODR: RecyclingSolver {
  public var stopping: StoppingCriterion
  /// `m`, the dimension of the search space per cycle, recycled vectors included (≥ 2; capped at n).
  public var restart: Int
  /// `k`, the number of vectors recycled between cycles and systems (`1 ≤ k < m`).
  public var recycleDimension: Int
  /// `M`, already set up for the matrix, applied on the right; `nil` for none.
  public var preconditioner: (any Preconditioner)?
  public var recordHistory: Bool
  /// Scratch vectors, reused by every solve.
  public var workspace: Workspace
  public var updatesSpace: Bool = true
  /// The recycle space; ``RecycleSpace/Normalization/orthonormalImage``.
  public var space: RecycleSpace
  public private(set) var lastStatistics = RecycleStatistics()
  public private(set) var totalStatistics = RecycleStatistics()

  public init(
    stopping: StoppingCriterion = StoppingCriterion(), restart: Int = 40, recycleDimension: Int = 20,
    preconditioner: (any Preconditioner)? = nil, recordHistory: Bool = false, workspace: Workspace = Workspace()
  ) {
    self.stopping = stopping
    self.restart = restart
    self.recycleDimension = recycleDimension
    self.preconditioner = preconditioner
    self.recordHistory = recordHistory
    self.workspace = workspace
    self.space = RecycleSpace(normalization: .orthonormalImage)
  }

  public func reset() {
    space.removeAll()
    lastStatistics = RecycleStatistics()
    totalStatistics = RecycleStatistics()
  }

  /// Solves `A x = b` from `x0` (zero when `nil`) with the carried space, refreshing it at
  /// every restart (unless ``updatesSpace`` is `false`).
  ///
  /// - Throws: ``LinSolveError/invalidParameter(name:reason:)`` for `m < 2`, `k < 1` or
  ///   `k ≥ m`, or a space with the other normalisation; otherwise as ``GMRES``.
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
    guard restart >= 2 else {
      throw LinSolveError.invalidParameter(name: "restart", reason: "\(restart) is less than 2")
    }
    guard recycleDimension >= 1, recycleDimension < restart else {
      throw LinSolveError.invalidParameter(
        name: "recycleDimension", reason: "\(recycleDimension) is not in 1..<\(restart)")
    }
    guard space.normalization == .orthonormalImage else {
      throw LinSolveError.invalidParameter(name: "space", reason: "GCRODR needs an orthonormalImage space")
    }
    var x = try SolverInput.validate(a, b, x0: x0, stopping: stopping)
    let n = a.rows
    let m = min(restart, n)
    let k = min(recycleDimension, m - 1)
    return try withCheckedOutSpace(record: { lastStatistics = $0; totalStatistics += $0 }) { space, stats in
      if space.dimension > min(m - 1, k + 1) { space.truncate(to: min(m - 1, k + 1)) }
      let cost = try space.prepare(for: a, preconditioner: preconditioner, operatorChanged: operatorChanged)
      stats.record(cost)
      space.reserve(columns: max(space.dimension, k + 1), length: n)
      return try run(a, b, x: &x, space: &space, stats: &stats, matvecs: cost.matvecs, stopping: stopping, monitor: monitor)
    }
  }

  /// The cycles of one solve on the prepared `space`.
  private func run(
    _ a: some LinearOperator, _ b: [Double], x: inout [Double], space: inout RecycleSpace,
    stats: inout RecycleStatistics, matvecs: Int, stopping: StoppingCriterion, monitor: SolveMonitor?
  ) throws -> SolveResult {
    let n = a.rows
    let m = min(restart, n)
    let k = min(recycleDimension, m - 1)
    var cycle = GCRODRCycle(
      n: n, m: m, k: k, a: a, preconditioner: preconditioner, updatesSpace: updatesSpace,
      vectors: workspace.vectors(m + 4, length: n))
    cycle.matvecs = matvecs
    var tracker = ConvergenceTracker(
      criterion: stopping, rhsNorm: Vector.norm(b), monitor: monitor, recordHistory: recordHistory)

    let reason: StopReason = b.withUnsafeBufferPointer { b in
      x.withUnsafeMutableBufferPointer { x in
        cycle.run(b: b, x: x, space: &space, tracker: &tracker, stats: &stats)
      }
    }
    stats.preconditionerApplications += cycle.preconditionerApplications
    if cycle.updated { space.markValid(for: a, preconditioner: preconditioner) }
    return SolveResult.finishing(x: x, a: a, b: b, reason: reason, tracker: tracker, matvecs: cycle.matvecs)
  }
}
