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
    let n = a.rows
    var stats = RecycleStatistics()
    stats.solves = 1

    // The space is moved out for the solve so its storage can be used through pointers.
    var space = self.space
    self.space = RecycleSpace(normalization: .operatorOrthonormal)
    defer {
      stats.dimension = space.dimension
      self.space = space
      lastStatistics = stats
      totalStatistics += stats
    }
    let cost = try space.prepare(for: a, preconditioner: preconditioner, operatorChanged: operatorChanged)
    if cost.rebuilt { stats.rebuilds = 1 }
    stats.rebuildMatvecs = cost.matvecs
    stats.rebuildSeconds = cost.seconds
    stats.droppedDirections = cost.droppedDirections
    stats.preconditionerApplications = cost.preconditionerApplications
    var matvecs = cost.matvecs

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
    let r = v[0], p = v[1], q = v[2]
    let z = m == nil || fused ? r : v[3]
    let windowBase = 3 + (m == nil || fused ? 0 : 1)
    let directions = Array(v[windowBase..<(windowBase + s)])
    let products = Array(v[(windowBase + s)..<(windowBase + 2 * s)])

    // What the refresh needs from the first s iterations: αᵢ, pᵢᵀApᵢ, ρᵢ = rᵢᵀzᵢ, μᵢ = Cᵀzᵢ and,
    // in the fused form, νᵢ (the stored direction is p̃ᵢ, and pᵢ = p̃ᵢ − W·νᵢ).
    var alphas = [Double](repeating: 0, count: s)
    var curvatures = [Double](repeating: 0, count: s)
    var rhos = [Double](repeating: 0, count: s + 1)
    var projections = [Double](repeating: 0, count: (s + 1) * kc)
    var nus = [Double](repeating: 0, count: fused ? s * kc : 0)
    var collected = 0
    var tracker = ConvergenceTracker(
      criterion: stopping, rhsNorm: Vector.norm(b), monitor: monitor, recordHistory: recordHistory)
    var watch = RecyclingStopwatch()
    var preconditionerApplications = 0
    let interval = reprojectionInterval

    let reason: StopReason = b.withUnsafeBufferPointer { b in
      x.withUnsafeMutableBufferPointer { x in
        space.u.withUnsafeMutableBufferPointer { wb in
          space.c.withUnsafeMutableBufferPointer { cb in
            Self.withScale(inverseDiagonal, fused: fused) { scale in
            // μ = Cᵀz; fused form: ν (p = p̃ − W·ν), ξ (x = x̃ − W·ξ), t = CᵀM⁻¹q.
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 4 * max(kc, 1)) { small in
              small.initialize(repeating: 0)
              let w = UnsafePointer(wb.baseAddress!), c = UnsafePointer(cb.baseAddress!)
              let mup = small.baseAddress!, nup = mup + max(kc, 1), xip = nup + max(kc, 1), tp = xip + max(kc, 1)

              /// Makes `Wᵀr = 0` again: `x += W·Wᵀr` (fused form after the start: `ξ −= Wᵀr`),
              /// `r −= C·Wᵀr`.
              func project(deferred: Bool) {
                _ = watch.lap()
                withUnsafeTemporaryAllocation(of: Double.self, capacity: kc) { cbuf in
                  let coefficients = cbuf.baseAddress!
                  BlockKernels.transposedProduct(w, ld: n, rows: n, cols: kc, r.baseAddress!, into: coefficients)
                  if deferred {
                    for i in 0..<kc { xip[i] -= coefficients[i] }
                  } else {
                    BlockKernels.product(w, ld: n, rows: n, cols: kc, coefficients, into: x.baseAddress!, accumulate: true)
                  }
                  BlockKernels.product(
                    c, ld: n, rows: n, cols: kc, coefficients, into: r.baseAddress!, alpha: -1, accumulate: true)
                }
                stats.projectionSeconds += watch.lap()
              }
              /// `z ← M⁻¹r` and `μ ← Cᵀz` computed afresh; returns `rᵀz`. The fused form keeps
              /// no z: `s ∘ r` goes to `q`, which is free whenever this is called.
              func applyPreconditionerAndProject(_ rr: Double) -> Double {
                var rho = rr
                var zp = UnsafePointer(r.baseAddress!)
                if fused {
                  if let scale {
                    Self.scaled(r, by: scale, into: q)
                    zp = UnsafePointer(q.baseAddress!)
                    rho = Vector.dot(UnsafeBufferPointer(r), UnsafeBufferPointer(q))
                    preconditionerApplications += 1
                  }
                } else if let m {
                  m.apply(UnsafeBufferPointer(r), into: z)
                  preconditionerApplications += 1
                  zp = UnsafePointer(z.baseAddress!)
                  rho = Vector.dot(UnsafeBufferPointer(r), UnsafeBufferPointer(z))
                }
                if kc > 0 {
                  _ = watch.lap()
                  BlockKernels.transposedProduct(c, ld: n, rows: n, cols: kc, zp, into: mup)
                  stats.projectionSeconds += watch.lap()
                }
                return rho
              }
              func record(_ index: Int, rho: Double) {
                if index <= s { rhos[index] = rho }
                if index <= collected && index <= s {
                  for i in 0..<kc { projections[index * kc + i] = mup[i] }
                }
              }

              func iterate() -> StopReason {
              // r ← b − A x, then the initial projection.
              a.apply(UnsafeBufferPointer(x), into: r)
              matvecs += 1
              var rr = Fused.residualFromProduct(b: b, r: r)
              if kc > 0 {
                project(deferred: false)
                rr = Vector.dot(UnsafeBufferPointer(r), UnsafeBufferPointer(r))
              }
              if let stop = tracker.start(residualNorm: rr.squareRoot()) { return stop }

              // z₀ = M⁻¹r₀, μ₀ = Cᵀz₀;  p₀ = z₀ − W·μ₀ (fused: p̃₀ = z₀, ν₀ = μ₀)
              var rho = applyPreconditionerAndProject(rr)
              if !(rho > 0) { return rho.isFinite ? .indefinite : .nonFinite }
              record(0, rho: rho)
              var current = s > 0 ? directions[0] : p
              if fused {
                if let scale {
                  Self.scaled(r, by: scale, into: current)
                } else {
                  Vector.copy(UnsafeBufferPointer(r), current)
                }
                for i in 0..<kc { nup[i] = mup[i] }
              } else {
                Vector.copy(UnsafeBufferPointer(z), current)
                if kc > 0 {
                  _ = watch.lap()
                  BlockKernels.product(
                    w, ld: n, rows: n, cols: kc, mup, into: current.baseAddress!, alpha: -1, accumulate: true)
                  stats.projectionSeconds += watch.lap()
                }
              }

              var j = 0
              while true {
                // q ← A p with pᵀq (fused: q ← A p̃ − C ν, t ← CᵀM⁻¹q)
                let inWindow = j < s
                let qj = inWindow ? products[j] : q
                let pq: Double
                if fused {
                  _ = watch.lap()
                  pq = BlockKernels.deflatedProduct(
                    qj.baseAddress!, c, ld: n, rows: n, cols: kc, nup, scale: scale, UnsafePointer(current.baseAddress!),
                    into: tp, matrix: matrix)
                  stats.projectionSeconds += watch.lap()
                } else {
                  pq = a.multiplyDot(UnsafeBufferPointer(current), into: qj)
                }
                matvecs += 1
                if !(pq > 0) { return pq.isFinite ? .indefinite : .nonFinite }
                let alpha = rho / pq
                if inWindow {
                  alphas[j] = alpha
                  curvatures[j] = pq
                  if fused { for i in 0..<kc { nus[j * kc + i] = nup[i] } }
                  collected = j + 1
                }
                // x ← x + αp;  r ← r − αq  (fused: x̃ ← x̃ + αp̃, ξ ← ξ + αν; and rᵀM⁻¹r)
                var rhoNext: Double?
                if fused {
                  let (rrNew, rz) = BlockKernels.deflatedSolutionUpdate(
                    alpha: alpha, UnsafePointer(current.baseAddress!), UnsafePointer(qj.baseAddress!),
                    x: x.baseAddress!, r: r.baseAddress!, scale: scale, rows: n, cols: kc)
                  rr = rrNew
                  rhoNext = rz
                  for i in 0..<kc {
                    xip[i] += alpha * nup[i]
                    mup[i] -= alpha * tp[i]  // μ₊ = Cᵀz₊ = μ − α·CᵀM⁻¹q
                  }
                } else {
                  rr = Fused.updateSolutionAndResidual(
                    alpha: alpha, p: UnsafeBufferPointer(current), q: UnsafeBufferPointer(qj), x: x, r: r)
                }
                j += 1
                if kc > 0 && interval > 0 && j > s && j % interval == 0 {
                  project(deferred: fused)
                  rr = Vector.dot(UnsafeBufferPointer(r), UnsafeBufferPointer(r))
                  rhoNext = nil  // r changed: z, rᵀz and μ are computed afresh
                }
                // z ← M⁻¹r, ρ₊ = rᵀz, μ ← Cᵀz (fused: from the recurrences unless r was re-projected)
                func nextRho() -> Double {
                  guard fused, let rz = rhoNext else { return applyPreconditionerAndProject(rr) }
                  if scale != nil { preconditionerApplications += 1 }
                  return rz
                }
                if let stop = tracker.step(residualNorm: rr.squareRoot()) {
                  // The last stored direction's data (ρ_j and μ_j) completes the refresh's pencil.
                  if collected == j && stop != .nonFinite {
                    let rhoLast = nextRho()
                    record(j, rho: rhoLast)
                    if !(rhoLast > 0) { collected -= 1 }
                  }
                  return stop
                }
                let rhoNew = nextRho()
                if !(rhoNew > 0) { return rhoNew.isFinite ? .indefinite : .nonFinite }
                record(j, rho: rhoNew)
                let beta = rhoNew / rho
                let next = j < s ? directions[j] : p
                if fused {
                  // p̃ ← M⁻¹r + βp̃;  ν ← βν + μ
                  BlockKernels.deflatedDirection(
                    UnsafePointer(r.baseAddress!), scale: scale, beta: beta, UnsafePointer(current.baseAddress!),
                    into: next.baseAddress!, rows: n, cols: kc)
                  for i in 0..<kc { nup[i] = beta * nup[i] + mup[i] }
                } else if kc > 0 {
                  // p ← z + βp − W·μ
                  _ = watch.lap()
                  BlockKernels.deflatedUpdate(
                    z.baseAddress!, beta: beta, current.baseAddress!, w, ld: n, rows: n, cols: kc, mup,
                    into: next.baseAddress!)
                  stats.projectionSeconds += watch.lap()
                } else if j <= s {
                  Self.sum(UnsafeBufferPointer(z), beta, UnsafeBufferPointer(current), into: next)
                } else {
                  Vector.xpby(UnsafeBufferPointer(z), beta, current)
                }
                current = next
                rho = rhoNew
              }
              }
              let reason = iterate()
              if fused && kc > 0 {
                // x = x̃ − W·ξ
                _ = watch.lap()
                BlockKernels.product(w, ld: n, rows: n, cols: kc, xip, into: x.baseAddress!, alpha: -1, accumulate: true)
                stats.projectionSeconds += watch.lap()
              }
              return reason
            }
            }
          }
        }
      }
    }
    stats.preconditionerApplications += preconditionerApplications

    if updatesSpace && collected > 0 && reason != .nonFinite && reason != .indefinite && recycleDimension > 0 {
      _ = watch.lap()
      refresh(
        &space, n: n, kc: kc, collected: collected, alphas: alphas, curvatures: curvatures, rhos: rhos,
        projections: projections, nus: nus, directions: directions, products: products, stats: &stats)
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

  /// `out ← r ∘ s`.
  private static func scaled(
    _ r: UnsafeMutableBufferPointer<Double>, by s: UnsafePointer<Double>, into out: UnsafeMutableBufferPointer<Double>
  ) {
    guard let rp = r.baseAddress, let op = out.baseAddress else { return }
    Parallel.forEachChunk(r.count) { range in
      for i in range { op[i] = rp[i] * s[i] }
    }
  }

  /// `out ← x + β·y`.
  private static func sum(
    _ x: UnsafeBufferPointer<Double>, _ beta: Double, _ y: UnsafeBufferPointer<Double>,
    into out: UnsafeMutableBufferPointer<Double>
  ) {
    guard let xp = x.baseAddress, let yp = y.baseAddress, let op = out.baseAddress else { return }
    Parallel.forEachChunk(x.count) { range in
      for i in range { op[i] = xp[i] + beta * yp[i] }
    }
  }

  /// Rayleigh–Ritz on `[W, p₀ … p_{s−1}]`: the new space holds the `k` smallest Ritz pairs of
  /// `M⁻¹A` in the `A` inner product.
  private func refresh(
    _ space: inout RecycleSpace, n: Int, kc: Int, collected: Int, alphas: [Double], curvatures: [Double],
    rhos: [Double], projections: [Double], nus: [Double], directions: [UnsafeMutableBufferPointer<Double>],
    products: [UnsafeMutableBufferPointer<Double>], stats: inout RecycleStatistics
  ) {
    let size = kc + collected
    // T = ZᵀAM⁻¹AZ, F = ZᵀAZ.
    var t = [Double](repeating: 0, count: size * size)
    var f = [Double](repeating: 0, count: size * size)
    let gram = space.preconditionedGram
    for j in 0..<kc {
      f[j + j * size] = 1
      for i in 0..<kc { t[i + j * size] = gram[i + j * kc] }
    }
    for l in 0..<collected {
      let col = kc + l
      let alpha = alphas[l]
      f[col + col * size] = curvatures[l]
      for i in 0..<kc {
        // Cᵀ·M⁻¹·A·p_l = (Cᵀz_l − Cᵀz_{l+1}) / α_l
        let value = (projections[l * kc + i] - projections[(l + 1) * kc + i]) / alpha
        t[i + col * size] = value
        t[col + i * size] = value
      }
      t[col + col * size] = (rhos[l] + rhos[l + 1]) / (alpha * alpha)
      if l + 1 < collected {
        let value = -rhos[l + 1] / (alpha * alphas[l + 1])
        t[col + (col + 1) * size] = value
        t[col + 1 + col * size] = value
      }
    }
    guard t.allSatisfy({ $0.isFinite }), f.allSatisfy({ $0.isFinite }),
      let theta = DenseKernels.symmetricDefiniteEigen(&t, &f, n: size)
    else { return }
    let keep = min(recycleDimension, size)
    // Y_top (kc × keep) for W and C, Y_bottom (collected × keep) for the stored p and Ap.
    var top = [Double](repeating: 0, count: kc * keep)
    var bottom = [Double](repeating: 0, count: collected * keep)
    for j in 0..<keep {
      for i in 0..<kc { top[i + j * kc] = t[i + j * size] }
      for i in 0..<collected { bottom[i + j * collected] = t[kc + i + j * size] }
    }
    // In the fused form the stored directions are p̃_l = p_l + W·ν_l, so W's coefficients are
    // Y_top − N·Y_bottom with N = [ν_0 … ν_{s−1}]; C's use the products A·p_l as they are.
    var topW = top
    if !nus.isEmpty {
      for jj in 0..<keep {
        for l in 0..<collected {
          let coefficient = bottom[l + jj * collected]
          for i in 0..<kc { topW[i + jj * kc] -= nus[l * kc + i] * coefficient }
        }
      }
    }
    space.u.withUnsafeMutableBufferPointer { wb in
      DenseKernels.combineInPlace(
        rows: n, target: wb.baseAddress!, ld: n, inColumns: kc, topW, outColumns: keep,
        extra: [(UnsafePointer(directions[0].baseAddress!), n, collected, bottom)])
    }
    space.c.withUnsafeMutableBufferPointer { cb in
      DenseKernels.combineInPlace(
        rows: n, target: cb.baseAddress!, ld: n, inColumns: kc, top, outColumns: keep,
        extra: [(UnsafePointer(products[0].baseAddress!), n, collected, bottom)])
    }
    // With YᵀFY = I and YᵀTY = diag(θ), the new CᵀM⁻¹C is diag(θ).
    var newGram = [Double](repeating: 0, count: keep * keep)
    for j in 0..<keep { newGram[j + j * keep] = theta[j] }
    space.setUpdated(dimension: keep, ritzValues: Array(theta.prefix(keep)), preconditionedGram: newGram)
    // The pencil came from recurrences: check WᵀAW = I and repair it if needed.
    stats.droppedDirections += space.operatorOrthonormalize(skipWithin: 1e-8)
  }
}
