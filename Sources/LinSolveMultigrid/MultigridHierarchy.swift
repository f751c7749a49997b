import LinSolveCore
import LinSolveDirect

/// A smoothed-aggregation hierarchy `A_0 = A, A_{l+1} = P_lᵀ A_l P_l` and its V-cycle.
///
/// Built as in Vaněk, Mandel, Brezina 1996 and pyamg's `smoothed_aggregation_solver`: on each
/// level, strength of connection → standard aggregation → tentative prolongator (carrying the
/// near-null-space candidate, the constant on the finest level) → Jacobi-smoothed prolongator
/// → Galerkin product, until the level has at most `maxCoarse` rows, the hierarchy has
/// `maxLevels` levels, or aggregation no longer reduces the size; the last level is factorized.
final class MultigridHierarchy {
  let levels: [MultigridLevel]
  let coarseSolver: CoarseSolver
  let smoother: MultigridSmoother
  let preSweeps: Int
  let postSweeps: Int

  /// Builds the hierarchy for `a`, which the caller has checked (square, finite, symmetric,
  /// positive diagonal).
  init(_ a: SparseMatrix, options o: SmoothedAggregationAMG.Options) throws {
    var levels: [MultigridLevel] = []
    var current = a
    var candidate = [Double](repeating: 1, count: a.rows)
    var diagonal = current.diagonal()
    let strength = StrengthOfConnection(theta: o.theta)
    while current.rows > o.maxCoarse && levels.count + 1 < o.maxLevels {
      let graph = strength.graph(of: current, diagonal: diagonal)
      let aggregation = StandardAggregation.aggregate(graph)
      guard aggregation.count > 0, aggregation.count < current.rows else { break }
      let tentative = TentativeProlongator(aggregation: aggregation, candidate: candidate)
      let omega = SmoothedProlongator.omega(current, diagonal: diagonal)
      let p = SmoothedProlongator.smooth(tentative.matrix, with: current, diagonal: diagonal, omega: omega)
      let r = p.transposed()
      let coarse = GalerkinProduct.coarseOperator(current, prolongator: p, restriction: r)
      levels.append(MultigridLevel(a: current, diagonal: diagonal, jacobiWeight: omega, prolongator: p, restriction: r))
      current = coarse
      candidate = tentative.coarseCandidate
      diagonal = current.diagonal()
    }
    // The coarsest level: only its vectors are used (no smoothing); guard its diagonal.
    let safeDiagonal = diagonal.map { $0 > 0 ? $0 : 1 }
    levels.append(MultigridLevel(a: current, diagonal: safeDiagonal, jacobiWeight: 1, prolongator: nil, restriction: nil))
    coarseSolver = try CoarseSolver(current)
    self.levels = levels
    smoother = o.smoother
    preSweeps = o.preSweeps
    postSweeps = o.postSweeps
  }

  /// Rows and nonzeros by level, and the complexities.
  /// The hierarchy of `old` for a matrix `a` with the same pattern: the aggregation and the
  /// prolongators are kept, the level operators `PᵀAP`, the smoother weights and the coarsest
  /// factorization are recomputed from `a` (PETSc's `-pc_gamg_reuse_interpolation`).
  init(refreshing old: MultigridHierarchy, with a: SparseMatrix) throws {
    var levels: [MultigridLevel] = []
    var current = a
    var diagonal = current.diagonal()
    for level in old.levels.dropLast() {
      guard let p = level.prolongator, let r = level.restriction else { break }
      let omega = SmoothedProlongator.omega(current, diagonal: diagonal)
      let coarse = GalerkinProduct.coarseOperator(current, prolongator: p, restriction: r)
      levels.append(MultigridLevel(a: current, diagonal: diagonal, jacobiWeight: omega, prolongator: p, restriction: r))
      current = coarse
      diagonal = current.diagonal()
    }
    let safeDiagonal = diagonal.map { $0 > 0 ? $0 : 1 }
    levels.append(MultigridLevel(a: current, diagonal: safeDiagonal, jacobiWeight: 1, prolongator: nil, restriction: nil))
    coarseSolver = try CoarseSolver(current)
    self.levels = levels
    smoother = old.smoother
    preSweeps = old.preSweeps
    postSweeps = old.postSweeps
  }

  /// Whether `a` has the sparsity pattern of the finest level (so ``init(refreshing:with:)`` applies).
  func hasPattern(of a: SparseMatrix) -> Bool {
    let fine = levels[0].a
    return fine.rows == a.rows && fine.columns == a.columns && fine.rowPointers == a.rowPointers
      && fine.columnIndices == a.columnIndices
  }

  var summary: MultigridHierarchySummary {
    MultigridHierarchySummary(
      levels: levels.map { .init(rows: $0.a.rows, nonzeros: $0.a.nonzeros) }, coarseSolver: coarseSolver.name)
  }

  /// One V-cycle for `A z = r` from `z = 0`: on the way down, pre-smooth, restrict the
  /// residual; solve the coarsest level; on the way up, add the prolonged correction and
  /// post-smooth. Uses only the levels' preallocated vectors.
  func vCycle(_ r: UnsafeBufferPointer<Double>, into z: UnsafeMutableBufferPointer<Double>) {
    let last = levels.count - 1
    if last == 0 {
      coarseSolver.solve(r, into: z)
      return
    }
    for l in 0..<last {
      let level = levels[l]
      let x = l == 0 ? z : level.x
      let b = l == 0 ? r : UnsafeBufferPointer(level.b)
      x.update(repeating: 0)
      level.preSmooth(smoother, sweeps: preSweeps, b: b, x: x)
      level.computeResidual(b: b, x: UnsafeBufferPointer(x))
      level.restriction!.multiply(UnsafeBufferPointer(level.residual), into: levels[l + 1].b)
    }
    let coarsest = levels[last]
    coarseSolver.solve(UnsafeBufferPointer(coarsest.b), into: coarsest.x)
    var l = last - 1
    while l >= 0 {
      let level = levels[l]
      let x = l == 0 ? z : level.x
      let b = l == 0 ? r : UnsafeBufferPointer(level.b)
      level.prolongator!.multiply(UnsafeBufferPointer(levels[l + 1].x), into: x, alpha: 1, beta: 1)
      level.postSmooth(smoother, sweeps: postSweeps, b: b, x: x)
      l -= 1
    }
  }
}
