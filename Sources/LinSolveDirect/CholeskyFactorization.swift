import CSuiteSparse
import Synchronization
import LinSolveCore

/// A sparse Cholesky factorization `PAPᵀ = LLᵀ` of a symmetric positive definite matrix,
/// computed by CHOLMOD.
///
/// CHOLMOD (Chen, Davis, Hager, Rajamanickam, *Algorithm 887: CHOLMOD, Supernodal Sparse
/// Cholesky Factorization and Update/Downdate*, ACM TOMS 35(3), 2008) chooses the fill-reducing
/// ordering (AMD, or METIS when AMD fills in badly) and between a simplicial (column-by-column)
/// and a supernodal (dense-block, BLAS-3) factorization from the flop count per nonzero of `L`.
///
/// ```swift
/// let chol = try CholeskyFactorization(Poisson.matrix2D(100))
/// let x = try chol.solve(b)
/// try chol.factorize(A2)   // same pattern: the symbolic analysis is reused
/// ```
///
/// **Reuse.** ``factorize(_:)`` remembers the sparsity pattern it analysed. A later matrix with
/// exactly the same pattern (``SparseMatrix/rowPointers`` and ``SparseMatrix/columnIndices``
/// equal, e.g. `A.shifted(by: σ)` of a matrix with a full diagonal) is factored numerically
/// only (`cholmod_factorize`); any other pattern is analysed again (`cholmod_analyze`).
/// ``symbolicAnalyses`` and ``numericFactorizations`` count the two.
///
/// **Input.** CHOLMOD takes compressed sparse *columns*; a symmetric CSR matrix is its own CSC,
/// so the CSR arrays are handed over without copying the nonzeros (with `stype = 1`: CHOLMOD
/// reads the upper triangle of the CSC view, i.e. the entries on and below the diagonal of
/// the CSR rows). The 32-bit interface (`cholmod_*`, not `cholmod_l_*`) is used because
/// ``SparseMatrix/columnIndices`` are `Int32` already: only the `n + 1` row pointers are
/// converted. This limits `A` (and `L`) to `Int32.max` stored entries; beyond that CHOLMOD's
/// integer-overflow failure is reported as ``LinSolveError/factorizationFailed(reason:)``.
///
/// **As an operator.** The factorization conforms to ``LinearOperator`` with
/// `apply(x, into: y)` computing `y = A⁻¹x`, so it can serve as an exact preconditioner.
///
/// **Threads.** All CHOLMOD state (the `cholmod_common`, the factor, the solve workspace) sits
/// behind a mutex: one object may be shared between threads, and concurrent calls are
/// serialised (they do not run in parallel). CHOLMOD's supernodal kernels call OpenBLAS, whose
/// own thread count is set elsewhere (see ``Parallel``).
public final class CholeskyFactorization: LinearOperator, Sendable {
  /// Relative tolerance of the symmetry check in ``factorize(_:)``: `A` is accepted when
  /// `|a_ij − a_ji| ≤ 1e-14 · max|a_kl|` for all `i, j`.
  public static let symmetryTolerance: Double = 1e-14

  private let state: Mutex<CholmodState>

  /// Creates an empty factorization (it owns a started `cholmod_common`); call
  /// ``factorize(_:)`` before solving.
  public init() {
    state = Mutex(CholmodState())
  }

  /// Creates the CHOLMOD factorization of a symmetric positive definite `A`.
  ///
  /// - Throws: as ``factorize(_:)``.
  public convenience init(_ A: SparseMatrix) throws {
    self.init()
    try factorize(A)
  }

  /// Computes the Cholesky factorization of `A` with CHOLMOD, reusing the symbolic analysis
  /// when `A` has the same sparsity pattern as the matrix analysed last.
  ///
  /// If this throws, the object holds no usable factorization until a later call succeeds
  /// (a symbolic analysis that succeeded is kept for reuse).
  ///
  /// - Throws:
  ///   - ``LinSolveError/notSquare(rows:columns:)`` for a rectangular `A`;
  ///   - ``LinSolveError/nonFinite(what:)`` for a NaN or ±Inf value;
  ///   - ``LinSolveError/factorizationFailed(reason:)`` with reason
  ///     `"matrix is not symmetric"` when `A ≠ Aᵀ` beyond ``symmetryTolerance`` (use
  ///     ``LUFactorization``), `"matrix is not positive definite (…)"` naming the column
  ///     (1-based, original numbering) whose pivot was not positive, or a CHOLMOD failure
  ///     such as running out of memory;
  ///   - ``LinSolveError/invalidParameter(name:reason:)`` when `A` has more than `Int32.max`
  ///     stored entries.
  public func factorize(_ A: SparseMatrix) throws {
    try state.withLock { (s: inout CholmodState) throws(LinSolveError) in try s.factorize(A) }
  }

  /// Runs (or reuses) the symbolic analysis of `A` and returns what the numeric factorization
  /// will need, without factorizing. A following ``factorize(_:)`` of a matrix with the same
  /// pattern reuses this analysis, so calling both costs nothing extra.
  ///
  /// - Throws: as ``factorize(_:)`` for the checks that precede the numeric phase.
  public func analyze(_ A: SparseMatrix) throws -> FactorEstimate {
    try state.withLock { (s: inout CholmodState) throws(LinSolveError) -> FactorEstimate in
      try s.analyzeIfNeeded(A)
      return s.estimate
    }
  }

  /// The size of a Cholesky factor, from CHOLMOD's symbolic analysis.
  public struct FactorEstimate: Sendable, Equatable {
    /// Nonzeros of `L` (diagonal included).
    public var nonzeros: Int
    /// Floating-point operations of the numeric factorization.
    public var flops: Double
    /// Bytes to store `L`: 8 per value and 4 per row index, plus 25 % for supernodal padding.
    public var bytes: Int { nonzeros * 12 + nonzeros * 3 }
  }

  /// The largest factor ``factorize(_:)`` will attempt, in bytes (default:
  /// ``MemoryBudget/limitBytes`` when the object is created: 3/4 of physical memory unless
  /// changed). A larger one is refused with ``LinSolveError/factorizationFailed(reason:)``
  /// after the symbolic analysis and before any numeric work, instead of exhausting memory.
  public var memoryLimitBytes: Int {
    get { state.withLock { $0.memoryLimitBytes } }
    set { state.withLock { $0.memoryLimitBytes = newValue } }
  }

  /// Solves `A·x = b` into `x` (`cholmod_solve2`). After the first solve of a given size it
  /// allocates nothing: CHOLMOD's solution and workspace blocks are kept and reused.
  /// `b` and `x` must not overlap.
  ///
  /// - Throws: as `solve(_:)`; also a mismatch when `x` does not have ``rows``
  ///   entries.
  public func solve(_ b: UnsafeBufferPointer<Double>, into x: UnsafeMutableBufferPointer<Double>) throws {
    try state.withLock { (s: inout CholmodState) throws(LinSolveError) in try s.checkedSolve(b, into: x) }
  }

  /// Computes `y = A⁻¹x` (``LinearOperator`` conformance: the factorization as an exact
  /// preconditioner).
  ///
  /// Requires a successful ``factorize(_:)`` and `x.count == y.count == rows` (checked with
  /// `precondition`). Should CHOLMOD fail inside the solve (out of memory on the very first
  /// solve), `y` is filled with NaN so that an iterative method stops on a non-finite value.
  public func apply(_ x: UnsafeBufferPointer<Double>, into y: UnsafeMutableBufferPointer<Double>) {
    state.withLock { (s: inout CholmodState) in s.apply(x, into: y, what: "CholeskyFactorization") }
  }

  /// Order `n` of the matrix last analysed (0 before the first ``factorize(_:)``).
  public var rows: Int { state.withLock { $0.n } }
  /// Same as ``rows``: the matrix is square.
  public var columns: Int { state.withLock { $0.n } }

  /// Whether the last ``factorize(_:)`` succeeded, so that `solve(_:)` can be called.
  public var isFactorized: Bool { state.withLock { $0.isFactorized } }

  /// Number of symbolic analyses (`cholmod_analyze`) run so far: a new one only when the
  /// sparsity pattern changes.
  public var symbolicAnalyses: Int { state.withLock { $0.symbolicAnalyses } }

  /// Number of numeric factorizations (`cholmod_factorize`) run so far, including ones that
  /// failed (e.g. not positive definite).
  public var numericFactorizations: Int { state.withLock { $0.numericFactorizations } }

  /// Nonzeros in `L` (diagonal included) for the current ordering, as counted by CHOLMOD's
  /// analysis; a supernodal factor stores somewhat more (explicit zeros from relaxed
  /// amalgamation). 0 before the first analysis.
  public var nonzerosInFactor: Int { state.withLock { $0.nonzerosInFactor } }

  /// CHOLMOD's cheap estimate of `1/κ₁(A)` from the factor's diagonal (`cholmod_rcond`:
  /// `(min L_jj / max L_jj)²`); a value near `ε` means `A` is numerically singular (a tiny
  /// pivot let the factorization through). 0 before a factorization.
  public var reciprocalConditionEstimate: Double {
    state.withLock { s in
      guard s.isFactorized, let factor = s.factor else { return 0 }
      return cholmod_rcond(factor, s.common)
    }
  }

  /// Whether CHOLMOD chose the supernodal (BLAS-3) factorization rather than the simplicial one.
  public var isSupernodal: Bool {
    state.withLock { s in s.factor.map { $0.pointee.is_super != 0 } ?? false }
  }

  /// The fill-reducing ordering CHOLMOD chose: `"AMD"`, `"METIS"`, `"NESDIS"`, `"natural"`, …;
  /// `nil` before the first analysis.
  public var ordering: String? {
    state.withLock { s in s.factor.map { SuiteSparseSupport.cholmodOrderingName($0.pointee.ordering) } }
  }

  /// Bytes currently allocated by CHOLMOD for this object (factor, workspace and solve
  /// buffers), from CHOLMOD's own accounting (`cholmod_common.memory_inuse`).
  public var memoryEstimateBytes: Int { state.withLock { Int($0.common.pointee.memory_inuse) } }
}

/// Everything CHOLMOD owns for one ``CholeskyFactorization``; freed in `deinit`.
struct CholmodState: FactorizationState, ~Copyable {
  let common: UnsafeMutablePointer<cholmod_common>
  package var factor: UnsafeMutablePointer<cholmod_factor>?
  /// Solution and workspace blocks for `cholmod_solve2`, allocated by CHOLMOD on the first solve.
  var solution: UnsafeMutablePointer<cholmod_dense>?
  var workY: UnsafeMutablePointer<cholmod_dense>?
  var workE: UnsafeMutablePointer<cholmod_dense>?

  var n = 0
  /// Pattern of the matrix analysed into `factor`, and its row pointers as `Int32`.
  var patternRowPointers: [Int] = []
  var patternColumnIndices: [Int32] = []
  var columnPointers: [Int32] = []
  var isAnalysed = false
  var isFactorized = false
  var symbolicAnalyses = 0
  var numericFactorizations = 0
  var nonzerosInFactor = 0
  var memoryLimitBytes = MemoryBudget.limitBytes

  init() {
    common = .allocate(capacity: 1)
    common.initialize(to: cholmod_common())
    _ = cholmod_start(common)
    // Failures reach the caller as LinSolveError; CHOLMOD's own messages would go to stdout.
    common.pointee.print = 0
    // Simplicial factors as LLᵀ rather than the default LDLᵀ: CHOLMOD's LDLᵀ only stops at a
    // *zero* pivot and would silently factor an indefinite matrix. (Supernodal is always LLᵀ.)
    common.pointee.final_ll = 1
  }

  deinit {
    var f = factor
    _ = cholmod_free_factor(&f, common)
    var d = solution
    _ = cholmod_free_dense(&d, common)
    d = workY
    _ = cholmod_free_dense(&d, common)
    d = workE
    _ = cholmod_free_dense(&d, common)
    _ = cholmod_finish(common)
    common.deinitialize(count: 1)
    common.deallocate()
  }

  /// What the current analysis predicts for the numeric factorization.
  var estimate: CholeskyFactorization.FactorEstimate {
    CholeskyFactorization.FactorEstimate(nonzeros: nonzerosInFactor, flops: flops)
  }
  var flops = 0.0

  /// Checks `A` and runs `cholmod_analyze` unless the pattern was analysed last time.
  mutating func analyzeIfNeeded(_ A: SparseMatrix) throws(LinSolveError) {
    try SuiteSparseSupport.checkSquareAndFinite(A)
    guard A.isSymmetric(tolerance: CholeskyFactorization.symmetryTolerance) else {
      throw LinSolveError.factorizationFailed(reason: "matrix is not symmetric")
    }
    let common = self.common
    if isAnalysed && A.rows == n
      && SuiteSparseSupport.hasPattern(A, rowPointers: patternRowPointers, columnIndices: patternColumnIndices)
    {
      return
    }
    // New pattern: drop the old analysis and analyse this one.
    isFactorized = false
    _ = cholmod_free_factor(&factor, common)
    isAnalysed = false
    nonzerosInFactor = 0
    flops = 0
    patternRowPointers = []
    patternColumnIndices = []
    columnPointers = try SuiteSparseSupport.int32Pointers(A)
    n = A.rows
    if n == 0 { return }
    if A.nonzeros == 0 {
      throw LinSolveError.factorizationFailed(
        reason: "matrix is not positive definite (the pivot in column 1 is not positive)")
    }
    let analysed = Self.withCholmodView(A, columnPointers) { cholmod_analyze($0, common) }
    symbolicAnalyses += 1
    guard let analysed, common.pointee.status >= CHOLMOD_OK else {
      var f = analysed
      _ = cholmod_free_factor(&f, common)
      throw LinSolveError.factorizationFailed(
        reason: SuiteSparseSupport.cholmodMessage(common.pointee.status))
    }
    factor = analysed
    patternRowPointers = A.rowPointers
    patternColumnIndices = A.columnIndices
    isAnalysed = true
    nonzerosInFactor = Int(common.pointee.lnz)
    flops = common.pointee.fl
  }

  mutating func factorize(_ A: SparseMatrix) throws(LinSolveError) {
    try analyzeIfNeeded(A)
    isFactorized = false
    let common = self.common
    if n == 0 {
      isFactorized = true
      return
    }
    let needed = estimate.bytes
    let limit = memoryLimitBytes
    guard needed <= limit else {
      throw LinSolveError.factorizationFailed(
        reason: "the Cholesky factor needs about \(needed >> 20) MiB, more than the limit of \(limit >> 20) MiB (memoryLimitBytes)")
    }

    guard let L = factor else { preconditionFailure("analysed CHOLMOD factor missing") }
    let ok = Self.withCholmodView(A, columnPointers) { cholmod_factorize($0, L, common) }
    numericFactorizations += 1
    let status = common.pointee.status
    if status == CHOLMOD_NOT_POSDEF {
      // CHOLMOD returns TRUE with a warning; L.minor is the failed step in the permuted order.
      let step = Int(L.pointee.minor)
      var column = step
      if step < n, let perm = L.pointee.Perm {
        column = Int(perm.assumingMemoryBound(to: Int32.self)[step])
      }
      throw LinSolveError.factorizationFailed(
        reason: "matrix is not positive definite (the pivot in column \(column + 1) is not positive; elimination step \(step + 1) of \(n))")
    }
    guard ok != 0, status >= CHOLMOD_OK else {
      throw LinSolveError.factorizationFailed(reason: SuiteSparseSupport.cholmodMessage(status))
    }
    isFactorized = true
  }

  /// `x = A⁻¹b`; sizes and `isFactorized` already checked by the caller.
  mutating func solve(
    _ b: UnsafeBufferPointer<Double>, into x: UnsafeMutableBufferPointer<Double>
  ) throws(LinSolveError) {
    guard n > 0, let bp = b.baseAddress, let xp = x.baseAddress else { return }
    var B = cholmod_dense()
    B.nrow = n
    B.ncol = 1
    B.nzmax = n
    B.d = n
    B.x = UnsafeMutableRawPointer(mutating: bp)  // read only
    B.z = nil
    B.xtype = CHOLMOD_REAL
    B.dtype = CHOLMOD_DOUBLE
    let ok = cholmod_solve2(
      CHOLMOD_A, factor, &B, nil, &solution, nil, &workY, &workE, common)
    guard ok != 0, let X = solution, let result = X.pointee.x else {
      throw LinSolveError.factorizationFailed(
        reason: "solve failed: " + SuiteSparseSupport.cholmodMessage(common.pointee.status))
    }
    xp.update(from: result.assumingMemoryBound(to: Double.self), count: n)
  }

  /// Runs `body` on a `cholmod_sparse` header viewing `A`'s CSR arrays as the CSC of a
  /// symmetric matrix (upper triangle, `stype = 1`). Nothing is copied; CHOLMOD only reads.
  static func withCholmodView<R>(
    _ A: SparseMatrix, _ pointers: [Int32], _ body: (UnsafeMutablePointer<cholmod_sparse>) -> R
  ) -> R {
    pointers.withUnsafeBufferPointer { p in
      A.columnIndices.withUnsafeBufferPointer { i in
        A.values.withUnsafeBufferPointer { x in
          var view = cholmod_sparse()
          view.nrow = A.rows
          view.ncol = A.columns
          view.nzmax = A.nonzeros
          view.p = UnsafeMutableRawPointer(mutating: p.baseAddress)
          view.i = UnsafeMutableRawPointer(mutating: i.baseAddress)
          view.x = UnsafeMutableRawPointer(mutating: x.baseAddress)
          view.nz = nil
          view.z = nil
          view.stype = 1
          view.itype = CHOLMOD_INT
          view.xtype = CHOLMOD_REAL
          view.dtype = CHOLMOD_DOUBLE
          view.sorted = 1
          view.packed = 1
          return withUnsafeMutablePointer(to: &view) { body($0) }
        }
      }
    }
  }
}
