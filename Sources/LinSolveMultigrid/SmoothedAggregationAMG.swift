import LinSolveCore
import LinSolveDirect

/// Smoothed-aggregation algebraic multigrid (Vaněk, Mandel, Brezina 1996, "Algebraic multigrid
/// by smoothed aggregation for second and fourth order elliptic problems", Computing 56) as a
/// preconditioner: one V-cycle per ``apply(_:into:)``.
///
/// The behaviour follows pyamg's `smoothed_aggregation_solver` with its defaults: symmetric
/// strength of connection with θ = 0, standard aggregation, the constant near-null-space
/// candidate, Jacobi-smoothed prolongation with ω = (4/3)/ρ(D⁻¹A), Galerkin coarse operators,
/// at most 10 levels, coarsening stopped at 500 rows and the coarsest level solved directly
/// (here by CHOLMOD, or UMFPACK if the coarse matrix is not positive definite). The smoother
/// is symmetric Gauss–Seidel split as one forward sweep before and one backward sweep after
/// the coarse correction, so the V-cycle is symmetric positive definite and valid for CG.
///
/// ```swift
/// let amg = try SmoothedAggregationAMG(A)
/// print(amg.summary!)            // levels, rows, nonzeros, complexities
/// let result = try ConjugateGradient(preconditioner: amg).solve(A, b)
/// ```
///
/// Memory: the hierarchy's operators (operator complexity × the matrix, ≈ 1.1–1.5× on
/// Laplacians), the prolongators and restrictions, the coarse factor, and 3–4 vectors per level;
/// all vectors are allocated in ``setUp(for:)``, none in ``apply(_:into:)``.
public final class SmoothedAggregationAMG: Preconditioner {
  /// The parameters of the setup and the cycle.
  public struct Options: Sendable, Equatable {
    /// Strength threshold θ ≥ 0 (``StrengthOfConnection``); 0 keeps every connection.
    public var theta: Double
    /// Coarsening stops once a level has at most this many rows (≥ 1).
    public var maxCoarse: Int
    /// At most this many levels, the coarsest included (≥ 1).
    public var maxLevels: Int
    /// The relaxation on each level.
    public var smoother: MultigridSmoother
    /// Smoothing steps before the coarse correction (≥ 0).
    public var preSweeps: Int
    /// Smoothing steps after it (≥ 0); equal to ``preSweeps`` for a symmetric cycle.
    public var postSweeps: Int

    public init(
      theta: Double = 0, maxCoarse: Int = 500, maxLevels: Int = 10, smoother: MultigridSmoother = .gaussSeidel,
      preSweeps: Int = 1, postSweeps: Int = 1
    ) {
      self.theta = theta
      self.maxCoarse = maxCoarse
      self.maxLevels = maxLevels
      self.smoother = smoother
      self.preSweeps = preSweeps
      self.postSweeps = postSweeps
    }

    /// - Throws: ``LinSolveError/invalidParameter(name:reason:)`` for a value out of range.
    public func validate() throws {
      guard theta.isFinite, theta >= 0 else {
        throw LinSolveError.invalidParameter(name: "amg theta", reason: "θ = \(theta) must be finite and ≥ 0")
      }
      guard maxCoarse >= 1 else {
        throw LinSolveError.invalidParameter(name: "amg maxCoarse", reason: "\(maxCoarse) must be ≥ 1")
      }
      guard maxLevels >= 1 else {
        throw LinSolveError.invalidParameter(name: "amg maxLevels", reason: "\(maxLevels) must be ≥ 1")
      }
      guard preSweeps >= 0, postSweeps >= 0 else {
        throw LinSolveError.invalidParameter(name: "amg sweeps", reason: "pre \(preSweeps), post \(postSweeps) must be ≥ 0")
      }
    }
  }

  /// The parameters.
  public let options: Options
  /// The hierarchy built by the last ``setUp(for:)``: levels, rows, nonzeros, complexities;
  /// `nil` before.
  public private(set) var summary: MultigridHierarchySummary?
  private var hierarchy: MultigridHierarchy?

  /// A preconditioner to be set up later with ``setUp(for:)``.
  ///
  /// - Throws: ``LinSolveError/invalidParameter(name:reason:)`` for invalid options.
  public init(options: Options = Options()) throws {
    try options.validate()
    self.options = options
  }

  /// Builds the hierarchy for `a` (see ``setUp(for:)``).
  public convenience init(_ a: SparseMatrix, options: Options = Options()) throws {
    try self.init(options: options)
    try setUp(for: a)
  }

  /// `amg-sa`.
  public var name: String { "amg-sa" }

  /// Builds the hierarchy for `a`, replacing any earlier one.
  ///
  /// - Throws: ``LinSolveError/notSquare(rows:columns:)``; ``LinSolveError/nonFinite(what:)``;
  ///   ``LinSolveError/zeroDiagonal(row:)`` for a zero or missing diagonal entry;
  ///   ``LinSolveError/invalidParameter(name:reason:)`` for a negative diagonal entry or a
  ///   nonsymmetric matrix (smoothed aggregation as built here assumes symmetric positive
  ///   definite `A`); ``LinSolveError/factorizationFailed(reason:)`` if the coarsest matrix
  ///   is singular.
  public func setUp(for a: SparseMatrix) throws {
    hierarchy = nil
    summary = nil
    try Self.check(a)
    let built = try MultigridHierarchy(a, options: options)
    hierarchy = built
    summary = built.summary
    builds += 1
  }

  /// One V-cycle from `z = 0`: `z ≈ A⁻¹ r`. Allocates nothing.
  /// Full set-ups (``setUp(for:)``, or a ``refresh(for:)`` that had to rebuild) so far.
  public private(set) var builds = 0
  /// Refreshes that kept the aggregation and prolongators.
  public private(set) var refreshes = 0

  /// Sets the preconditioner up for the next matrix of a sequence: when `a` has the sparsity
  /// pattern of the last matrix, the aggregation and the prolongators are kept and only the
  /// level operators `PᵀAP` (and the coarsest factorization) are recomputed — PETSc's
  /// `-pc_gamg_reuse_interpolation`, pyamg's `change_solve_matrix`; otherwise a full
  /// ``setUp(for:)``. On identical values the result equals a full set-up. The prolongators were
  /// smoothed with the earlier matrix, so as the values drift the cycle weakens: callers rebuild
  /// when iteration counts grow (``PreparedSolver`` does).
  ///
  /// - Throws: as ``setUp(for:)``.
  public func refresh(for a: SparseMatrix) throws {
    guard let old = hierarchy, old.hasPattern(of: a) else { return try setUp(for: a) }
    try Self.check(a)
    hierarchy = nil
    summary = nil
    let refreshed = try MultigridHierarchy(refreshing: old, with: a)
    hierarchy = refreshed
    summary = refreshed.summary
    refreshes += 1
  }

  public func apply(_ r: UnsafeBufferPointer<Double>, into z: UnsafeMutableBufferPointer<Double>) {
    guard let hierarchy else { preconditionFailure("SmoothedAggregationAMG.apply before setUp(for:)") }
    precondition(r.count == hierarchy.levels[0].a.rows && z.count == r.count, "amg-sa: vector sizes")
    hierarchy.vCycle(r, into: z)
  }

  /// The checks of ``setUp(for:)``.
  static func check(_ a: SparseMatrix) throws {
    guard a.rows == a.columns else { throw LinSolveError.notSquare(rows: a.rows, columns: a.columns) }
    guard a.allFinite else { throw LinSolveError.nonFinite(what: "the matrix") }
    let d = a.diagonal()
    for i in 0..<a.rows {
      if d[i] == 0 { throw LinSolveError.zeroDiagonal(row: i) }
      if d[i] < 0 {
        throw LinSolveError.invalidParameter(
          name: "matrix", reason: "diagonal entry in row \(i + 1) is negative (\(d[i])); amg-sa needs a positive diagonal")
      }
    }
    guard a.isSymmetric(tolerance: 1e-12) else {
      throw LinSolveError.invalidParameter(
        name: "matrix", reason: "amg-sa needs a symmetric matrix (the V-cycle is built for symmetric positive definite A)")
    }
  }
}
