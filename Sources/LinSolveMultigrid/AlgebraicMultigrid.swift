import LinSolveCore

/// What every algebraic multigrid preconditioner here shares: a hierarchy built by
/// ``setUp(for:)``, kept and refreshed across a sequence by ``refresh(for:)``, one cycle per
/// ``apply(_:into:)``. ``SmoothedAggregationAMG`` and ``RugeStubenAMG`` differ only in how they
/// coarsen.
///
/// Memory: the hierarchy's operators (operator complexity × the matrix), the prolongators and
/// restrictions, the coarse factor, and 4 vectors per level; all allocated in ``setUp(for:)``,
/// none in ``apply(_:into:)``.
public class AlgebraicMultigrid: Preconditioner {
  /// The parameters.
  public let options: MultigridOptions
  /// The hierarchy built by the last ``setUp(for:)`` or ``refresh(for:)``: levels, rows,
  /// nonzeros, complexities; `nil` before.
  public private(set) var summary: MultigridHierarchySummary?
  /// Full set-ups (``setUp(for:)``, or a ``refresh(for:)`` that had to rebuild) so far.
  public private(set) var builds = 0
  /// Refreshes that kept the prolongators.
  public private(set) var refreshes = 0
  private var hierarchy: MultigridHierarchy?

  /// A preconditioner to be set up later with ``setUp(for:)``.
  ///
  /// - Throws: ``LinSolveError/invalidParameter(name:reason:)`` for invalid options.
  public required init(options: MultigridOptions = MultigridOptions()) throws {
    try options.validate()
    self.options = options
  }

  /// Builds the hierarchy for `a` (see ``setUp(for:)``).
  public convenience init(_ a: SparseMatrix, options: MultigridOptions = MultigridOptions()) throws {
    try self.init(options: options)
    try setUp(for: a)
  }

  /// The short name for reports (`amg-sa`, `amg`).
  public var name: String { fatalError("AlgebraicMultigrid.name: subclass responsibility") }

  /// The coarsening of the finest level (a new one per set-up).
  func makeCoarsening() -> any Coarsening { fatalError("AlgebraicMultigrid.makeCoarsening: subclass responsibility") }

  /// Whether the method needs a symmetric matrix (smoothed aggregation as built here does).
  var needsSymmetry: Bool { true }

  /// Builds the hierarchy for `a`, replacing any earlier one.
  ///
  /// - Throws: ``LinSolveError/notSquare(rows:columns:)``; ``LinSolveError/nonFinite(what:)``;
  ///   ``LinSolveError/zeroDiagonal(row:)`` for a zero or missing diagonal entry;
  ///   ``LinSolveError/invalidParameter(name:reason:)`` for a negative diagonal entry, or a
  ///   nonsymmetric matrix where the method needs symmetry;
  ///   ``LinSolveError/factorizationFailed(reason:)`` if the coarsest matrix is singular.
  public func setUp(for a: SparseMatrix) throws {
    hierarchy = nil
    summary = nil
    let symmetric = try check(a)
    let built = try MultigridHierarchy(a, symmetric: symmetric, coarsening: makeCoarsening(), options: options)
    hierarchy = built
    summary = built.summary
    builds += 1
  }

  /// Sets the preconditioner up for the next matrix of a sequence: when `a` has the sparsity
  /// pattern of the last matrix, the prolongators are kept and only the level operators `PᵀAP`
  /// (and the coarsest factorization) are recomputed — PETSc's `-pc_gamg_reuse_interpolation`,
  /// pyamg's `change_solve_matrix`; otherwise a full ``setUp(for:)``. On identical values the
  /// result equals a full set-up. The prolongators were built from the earlier matrix, so as
  /// the values drift the cycle weakens: callers rebuild when iteration counts grow
  /// (``PreparedSolver`` does).
  ///
  /// - Throws: as ``setUp(for:)``.
  public func refresh(for a: SparseMatrix) throws {
    guard let old = hierarchy, old.hasPattern(of: a) else { return try setUp(for: a) }
    let symmetric = try check(a)
    hierarchy = nil
    summary = nil
    let refreshed = try MultigridHierarchy(refreshing: old, with: a, symmetric: symmetric, options: options)
    hierarchy = refreshed
    summary = refreshed.summary
    refreshes += 1
  }

  /// One cycle from `z = 0`: `z ≈ A⁻¹ r`. Allocates nothing.
  public func apply(_ r: UnsafeBufferPointer<Double>, into z: UnsafeMutableBufferPointer<Double>) {
    guard let hierarchy else { preconditionFailure("\(name).apply before setUp(for:)") }
    precondition(r.count == hierarchy.levels[0].a.rows && z.count == r.count, "\(name): vector sizes")
    hierarchy.apply(r, into: z)
  }

  /// The checks of ``setUp(for:)``; returns whether `a` is symmetric (to rounding).
  func check(_ a: SparseMatrix) throws -> Bool {
    guard a.rows == a.columns else { throw LinSolveError.notSquare(rows: a.rows, columns: a.columns) }
    guard a.allFinite else { throw LinSolveError.nonFinite(what: "the matrix") }
    let d = a.diagonal()
    for i in 0..<a.rows {
      if d[i] == 0 { throw LinSolveError.zeroDiagonal(row: i) }
      if d[i] < 0 {
        throw LinSolveError.invalidParameter(
          name: "matrix", reason: "diagonal entry in row \(i + 1) is negative (\(d[i])); \(name) needs a positive diagonal")
      }
    }
    let symmetric = a.isSymmetric(tolerance: 1e-12)
    guard symmetric || !needsSymmetry else {
      throw LinSolveError.invalidParameter(
        name: "matrix", reason: "\(name) needs a symmetric matrix (the cycle is built for symmetric positive definite A)")
    }
    return symmetric
  }
}
