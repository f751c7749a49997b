import LinSolveCore
import LinSolveDirect

/// A multigrid hierarchy `A_0 = A, A_{l+1} = P_lᵀ A_l P_l` and its cycle.
///
/// On each level a ``Coarsening`` (smoothed aggregation or Ruge–Stüben) chooses the prolongator
/// `P_l`; the Galerkin product gives the next operator; this stops once a level has at most
/// `maxCoarse` rows, the hierarchy has `maxLevels` levels, or the coarsening no longer reduces
/// the size, and the last level is factorized (``CoarseSolver``).
final class MultigridHierarchy {
  let levels: [MultigridLevel]
  let coarseSolver: CoarseSolver
  let smoother: MultigridSmoother
  let preSweeps: Int
  let postSweeps: Int
  let cycle: MultigridCycle

  /// Builds the hierarchy for `a`, which the caller has checked (square, finite, positive
  /// diagonal, and whether it is `symmetric`).
  convenience init(_ a: SparseMatrix, symmetric: Bool, coarsening: some Coarsening, options o: MultigridOptions) throws {
    var coarsening = coarsening
    var levels: [MultigridLevel] = []
    var current = a
    var diagonal = current.diagonal()
    while current.rows > o.maxCoarse && levels.count + 1 < o.maxLevels {
      var rho: Double?
      let level = current, d = diagonal
      let spectralRadius = {
        if rho == nil { rho = SpectralRadiusEstimate.jacobi(level, diagonal: d) }
        return rho!
      }
      guard let p = coarsening.prolongator(for: current, diagonal: diagonal, spectralRadius: spectralRadius),
        p.columns > 0, p.columns < current.rows
      else { break }
      let r = p.transposed()
      let coarse = GalerkinProduct.coarseOperator(current, prolongator: p, restriction: r, symmetric: symmetric)
      let radius = o.smoother.needsSpectralRadius ? spectralRadius() : 0
      levels.append(MultigridLevel(a: current, diagonal: diagonal, smoother: o.smoother, spectralRadius: radius, prolongator: p, restriction: r))
      current = coarse
      diagonal = current.diagonal()
    }
    try self.init(levels: levels, coarsest: current, diagonal: diagonal, symmetric: symmetric, options: o)
  }

  /// The hierarchy of `old` for a matrix `a` with the same pattern: the prolongators are kept,
  /// the level operators `PᵀAP`, the smoother weights and the coarsest factorization are
  /// recomputed from `a` (PETSc's `-pc_gamg_reuse_interpolation`).
  convenience init(refreshing old: MultigridHierarchy, with a: SparseMatrix, symmetric: Bool, options o: MultigridOptions) throws {
    var levels: [MultigridLevel] = []
    var current = a
    var diagonal = current.diagonal()
    for level in old.levels.dropLast() {
      guard let p = level.prolongator, let r = level.restriction else { break }
      let rho = o.smoother.needsSpectralRadius ? SpectralRadiusEstimate.jacobi(current, diagonal: diagonal) : 0
      let coarse = GalerkinProduct.coarseOperator(current, prolongator: p, restriction: r, symmetric: symmetric)
      levels.append(MultigridLevel(a: current, diagonal: diagonal, smoother: o.smoother, spectralRadius: rho, prolongator: p, restriction: r))
      current = coarse
      diagonal = current.diagonal()
    }
    try self.init(levels: levels, coarsest: current, diagonal: diagonal, symmetric: symmetric, options: o)
  }

  private init(
    levels: [MultigridLevel], coarsest: SparseMatrix, diagonal: [Double], symmetric: Bool, options o: MultigridOptions
  ) throws {
    // The coarsest level: only its vectors are used (no smoothing); guard its diagonal.
    let safeDiagonal = diagonal.map { $0 > 0 ? $0 : 1 }
    self.levels = levels + [
      MultigridLevel(a: coarsest, diagonal: safeDiagonal, smoother: .gaussSeidel, spectralRadius: 0, prolongator: nil, restriction: nil)
    ]
    coarseSolver = try CoarseSolver(coarsest, symmetric: symmetric)
    smoother = o.smoother
    preSweeps = o.preSweeps
    postSweeps = o.postSweeps
    cycle = o.cycle
  }

  /// Whether `a` has the sparsity pattern of the finest level (so ``init(refreshing:with:options:)`` applies).
  func hasPattern(of a: SparseMatrix) -> Bool {
    let fine = levels[0].a
    return fine.rows == a.rows && fine.columns == a.columns && fine.rowPointers == a.rowPointers
      && fine.columnIndices == a.columnIndices
  }

  /// Rows and nonzeros by level, and the complexities.
  var summary: MultigridHierarchySummary {
    MultigridHierarchySummary(
      levels: levels.map {
        .init(rows: $0.a.rows, nonzeros: $0.a.nonzeros, transferNonzeros: ($0.prolongator?.nonzeros ?? 0) + ($0.restriction?.nonzeros ?? 0))
      },
      coarseSolver: coarseSolver.name, sweeps: preSweeps + postSweeps, coarseVisits: cycle.coarseVisits)
  }

  /// One cycle for `A z = r` from `z = 0`: on each level pre-smooth, restrict the residual,
  /// visit the next coarser level (once for a V-cycle, twice for a W-cycle; the coarsest is
  /// solved exactly), add the prolonged correction and post-smooth. Uses only the levels'
  /// preallocated vectors.
  func apply(_ r: UnsafeBufferPointer<Double>, into z: UnsafeMutableBufferPointer<Double>) {
    if levels.count == 1 {
      coarseSolver.solve(r, into: z)
      return
    }
    z.update(repeating: 0)
    visit(0, b: r, x: z)
  }

  /// The cycle on level `l < last` for `A_l x = b`, improving `x` in place.
  private func visit(_ l: Int, b: UnsafeBufferPointer<Double>, x: UnsafeMutableBufferPointer<Double>) {
    let level = levels[l], next = levels[l + 1]
    level.preSmooth(smoother, sweeps: preSweeps, b: b, x: x)
    level.computeResidual(b: b, x: UnsafeBufferPointer(x))
    level.restriction!.multiply(UnsafeBufferPointer(level.residual), into: next.b)
    if l + 1 == levels.count - 1 {
      coarseSolver.solve(UnsafeBufferPointer(next.b), into: next.x)
    } else {
      next.x.update(repeating: 0)
      for _ in 0..<cycle.coarseVisits { visit(l + 1, b: UnsafeBufferPointer(next.b), x: next.x) }
    }
    level.prolongator!.multiply(UnsafeBufferPointer(next.x), into: x, alpha: 1, beta: 1)
    level.postSmooth(smoother, sweeps: postSweeps, b: b, x: x)
  }
}
