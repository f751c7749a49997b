import CSuiteSparse
import Synchronization
import LinSolveCore

/// A sparse LU factorization with partial pivoting of a square (possibly nonsymmetric) matrix,
/// computed by UMFPACK.
///
/// UMFPACK (Davis, *Algorithm 832: UMFPACK V4.3 — an Unsymmetric-Pattern Multifrontal
/// Method*, ACM TOMS 30(2), 2004) chooses a fill-reducing column ordering (COLAMD, or AMD on
/// `A + Aᵀ` for nearly symmetric matrices), factors with threshold partial pivoting in dense
/// frontal matrices (BLAS-3), and applies iterative refinement in the solve.
///
/// ```swift
/// let lu = try LUFactorization(Diffusion.convectionDiffusion2D(64, beta: (50, 10)))
/// let x = try lu.solve(b)
/// ```
///
/// **Input.** UMFPACK takes compressed sparse columns. The CSR arrays of `A` are the CSC arrays
/// of `Aᵀ`, so they are handed over as they are (no copy of the nonzeros) and every solve
/// asks UMFPACK for the transposed system (`UMFPACK_At`): `(Aᵀ)ᵀx = Ax = b`. The 32-bit
/// interface (`umfpack_di_*`) is used because ``SparseMatrix/columnIndices`` are `Int32`
/// already; `A` is limited to `Int32.max` stored entries.
///
/// **Reuse.** As for ``CholeskyFactorization``: the symbolic analysis (`umfpack_di_symbolic`)
/// is kept and reused while the sparsity pattern stays the same; the numeric factorization
/// (`umfpack_di_numeric`) is redone on every ``factorize(_:)``. ``symbolicAnalyses`` and
/// ``numericFactorizations`` count them.
///
/// **As an operator.** Conforms to ``LinearOperator`` with `apply(x, into: y)` computing
/// `y = A⁻¹x`.
///
/// **Memory.** After the symbolic analysis and before the numeric factorization, an estimate
/// of the factorization's peak memory is compared with ``memoryLimitBytes``; above it,
/// ``factorize(_:)`` throws ``LinSolveError/memoryLimitExceeded(estimatedBytes:limitBytes:what:)``
/// without factoring. ``memoryEstimate(for:)`` gives the same figure without factoring. When
/// UMFPACK chooses its symmetric strategy (a nearly symmetric pattern: AMD on `A + Aᵀ`,
/// diagonal pivots preferred), the estimate is 12 bytes per entry of `L + U` as that analysis
/// counts them (`Info[UMFPACK_SYMMETRIC_LUNZ]`), plus 16 doubles per row for the frontal
/// matrices and workspace: on 2-D Poisson matrices 1.2–1.3× the measured peak. Otherwise it is
/// the lower bound ``MemoryEstimate/luLowerBound(n:nonzeros:)``. UMFPACK's own
/// `Info[UMFPACK_PEAK_MEMORY_ESTIMATE]` is not used: it is a worst-case bound 10× (64²
/// Poisson) to 50× (512²) above the real peak, and would refuse factorizations that fit.
///
/// **Threads.** The UMFPACK objects and workspace are behind a mutex: the object may be shared
/// between threads and concurrent calls are serialised.
public final class LUFactorization: LinearOperator, Sendable {
  private let state: Mutex<UmfpackState>

  /// Creates an empty factorization (UMFPACK's default `Control` parameters); call
  /// ``factorize(_:)`` before solving.
  public init() {
    state = Mutex(UmfpackState())
  }

  /// Creates the UMFPACK factorization of a square `A`.
  ///
  /// - Throws: as ``factorize(_:)``.
  public convenience init(_ A: SparseMatrix) throws {
    self.init()
    try factorize(A)
  }

  /// Computes the LU factorization of `A` with UMFPACK, reusing the symbolic analysis when
  /// `A` has the same sparsity pattern as the matrix analysed last.
  ///
  /// If this throws, the object holds no usable factorization until a later call succeeds.
  ///
  /// - Throws:
  ///   - ``LinSolveError/notSquare(rows:columns:)`` for a rectangular `A`;
  ///   - ``LinSolveError/nonFinite(what:)`` for a NaN or ±Inf value;
  ///   - ``LinSolveError/factorizationFailed(reason:)`` with reason `"matrix is singular"`
  ///     when UMFPACK finds an exactly zero pivot (structurally or numerically singular), or
  ///     an UMFPACK failure such as running out of memory;
  ///   - ``LinSolveError/invalidParameter(name:reason:)`` when `A` has more than `Int32.max`
  ///     stored entries;
  ///   - ``LinSolveError/memoryLimitExceeded(estimatedBytes:limitBytes:what:)`` when UMFPACK's
  ///     peak-memory estimate is above ``memoryLimitBytes`` (checked before the numeric phase).
  public func factorize(_ A: SparseMatrix) throws {
    try state.withLock { (s: inout UmfpackState) throws(LinSolveError) in try s.factorize(A) }
  }

  /// The largest peak memory (UMFPACK's estimate, in bytes) ``factorize(_:)`` will attempt
  /// (default: ``MemoryBudget/limitBytes`` when the object was created).
  public var memoryLimitBytes: Int {
    get { state.withLock { $0.memoryLimitBytes } }
    set { state.withLock { $0.memoryLimitBytes = newValue } }
  }

  /// The estimate of the memory ``factorize(_:)`` would need for `A` (see **Memory** above):
  /// from UMFPACK's symmetric analysis when it uses that strategy, else a lower bound. Runs
  /// the symbolic analysis (cheap next to the factorization) and frees it.
  ///
  /// - Throws: as ``factorize(_:)`` for the checks that precede the numeric phase.
  public static func memoryEstimate(for A: SparseMatrix) throws -> MemoryEstimate {
    var s = UmfpackState()
    s.memoryLimitBytes = Int.max
    try s.analyzeIfNeeded(A)
    return s.estimate
  }

  /// Solves `A·x = b` into `x` (`umfpack_di_wsolve` with workspace kept between calls: no
  /// allocation per solve). `b` and `x` must not overlap.
  ///
  /// - Throws: as `solve(_:)`; also a mismatch when `x` does not have ``rows`` entries.
  public func solve(_ b: UnsafeBufferPointer<Double>, into x: UnsafeMutableBufferPointer<Double>) throws {
    try state.withLock { (s: inout UmfpackState) throws(LinSolveError) in try s.checkedSolve(b, into: x) }
  }

  /// Computes `y = A⁻¹x` (``LinearOperator`` conformance).
  ///
  /// Requires a successful ``factorize(_:)`` and `x.count == y.count == rows` (checked with
  /// `precondition`). Should UMFPACK fail inside the solve, `y` is filled with NaN.
  public func apply(_ x: UnsafeBufferPointer<Double>, into y: UnsafeMutableBufferPointer<Double>) {
    state.withLock { (s: inout UmfpackState) in s.apply(x, into: y, what: "LUFactorization") }
  }

  /// Order `n` of the matrix last analysed (0 before the first ``factorize(_:)``).
  public var rows: Int { state.withLock { $0.n } }
  /// Same as ``rows``: the matrix is square.
  public var columns: Int { state.withLock { $0.n } }

  /// Whether the last ``factorize(_:)`` succeeded.
  public var isFactorized: Bool { state.withLock { $0.isFactorized } }

  /// Number of symbolic analyses (`umfpack_di_symbolic`) run so far.
  public var symbolicAnalyses: Int { state.withLock { $0.symbolicAnalyses } }

  /// Number of numeric factorizations (`umfpack_di_numeric`) run so far, including failed ones.
  public var numericFactorizations: Int { state.withLock { $0.numericFactorizations } }

  /// Nonzeros in `L` (its unit diagonal included), 0 without a factorization.
  public var nonzerosInL: Int { state.withLock { $0.nonzerosInL } }

  /// Nonzeros in `U` (its diagonal included), 0 without a factorization.
  public var nonzerosInU: Int { state.withLock { $0.nonzerosInU } }

  /// `nonzerosInL + nonzerosInU` (so the diagonal is counted twice, as UMFPACK reports it).
  public var nonzerosInFactors: Int { state.withLock { $0.nonzerosInL + $0.nonzerosInU } }

  /// UMFPACK's cheap reciprocal condition estimate `min|u_ii| / max|u_ii|` (not a bound on the
  /// true condition number; 0 without a factorization).
  public var reciprocalConditionEstimate: Double { state.withLock { $0.rcond } }

  /// Bytes held by UMFPACK's numeric factorization (`Info[UMFPACK_NUMERIC_SIZE]` units).
  public var memoryEstimateBytes: Int { state.withLock { $0.numericBytes } }
}

/// Everything UMFPACK owns for one ``LUFactorization``; freed in `deinit`.
struct UmfpackState: FactorizationState, ~Copyable {
  var symbolic: UnsafeMutableRawPointer?
  var numeric: UnsafeMutableRawPointer?
  let control: UnsafeMutablePointer<Double>
  let info: UnsafeMutablePointer<Double>
  /// `umfpack_di_wsolve` workspace: `Wi` (n ints) and `W` (5n doubles, for iterative refinement).
  var intWork: UnsafeMutablePointer<Int32>?
  var doubleWork: UnsafeMutablePointer<Double>?
  var workspaceOrder = 0

  var n = 0
  /// Pattern of the analysed matrix, its row pointers as `Int32`, and the values factored
  /// last (the solve's iterative refinement multiplies by `A`).
  var patternRowPointers: [Int] = []
  var patternColumnIndices: [Int32] = []
  var columnPointers: [Int32] = []
  var values: [Double] = []
  var isFactorized = false
  var symbolicAnalyses = 0
  var numericFactorizations = 0
  var nonzerosInL = 0
  var nonzerosInU = 0
  var rcond = 0.0
  var numericBytes = 0
  var memoryLimitBytes = MemoryBudget.limitBytes
  /// Stored entries of the analysed matrix.
  var analysedNonzeros = 0
  /// `nnz(L + U)` of UMFPACK's symmetric analysis when it chose the symmetric strategy
  /// (`nil` otherwise), from the last symbolic analysis.
  var symmetricFactorEntries: Int?

  init() {
    control = .allocate(capacity: Int(UMFPACK_CONTROL))
    control.initialize(repeating: 0, count: Int(UMFPACK_CONTROL))
    info = .allocate(capacity: Int(UMFPACK_INFO))
    info.initialize(repeating: 0, count: Int(UMFPACK_INFO))
    umfpack_di_defaults(control)
  }

  deinit {
    var p = numeric
    umfpack_di_free_numeric(&p)
    p = symbolic
    umfpack_di_free_symbolic(&p)
    control.deallocate()
    info.deallocate()
    intWork?.deallocate()
    doubleWork?.deallocate()
  }

  mutating func freeNumeric() {
    if numeric != nil { umfpack_di_free_numeric(&numeric) }
    numeric = nil
    nonzerosInL = 0
    nonzerosInU = 0
    rcond = 0
    numericBytes = 0
  }

  /// The memory the numeric factorization of the analysed matrix needs (see
  /// ``LUFactorization``, **Memory**).
  var estimate: MemoryEstimate {
    guard let entries = symmetricFactorEntries else {
      return MemoryEstimate.luLowerBound(n: n, nonzeros: analysedNonzeros)
    }
    let bytes = MemoryEstimate.add(
      MemoryEstimate.multiply(entries, 12),
      MemoryEstimate.add(MemoryEstimate.multiply(n, 16 * 8), MemoryEstimate.multiply(n + 1, 4)))
    return MemoryEstimate(label: "LU factors, nnz(L+U) ≈ \(entries)", bytes: bytes)
  }

  /// Checks `A` and runs `umfpack_di_symbolic` unless the pattern was analysed last time.
  /// Returns `false` when there is nothing to factor (`n = 0`).
  @discardableResult
  mutating func analyzeIfNeeded(_ A: SparseMatrix) throws(LinSolveError) -> Bool {
    try SuiteSparseSupport.checkSquareAndFinite(A)
    let control = self.control, info = self.info
    if symbolic != nil && A.rows == n
      && SuiteSparseSupport.hasPattern(
        A, rowPointers: patternRowPointers, columnIndices: patternColumnIndices)
    {
      return n > 0
    }
    if symbolic != nil { umfpack_di_free_symbolic(&symbolic) }
    symbolic = nil
    patternRowPointers = []
    patternColumnIndices = []
    values = []
    symmetricFactorEntries = nil
    analysedNonzeros = A.nonzeros
    columnPointers = try SuiteSparseSupport.int32Pointers(A)
    n = A.rows
    if n == 0 { return false }  // UMFPACK rejects n = 0; the empty system needs no factors.
    if A.nonzeros == 0 {
      throw LinSolveError.factorizationFailed(reason: "matrix is singular")
    }
    var analysed: UnsafeMutableRawPointer? = nil
    let n32 = Int32(n)
    let status = Self.withArrays(columnPointers, A.columnIndices, A.values) { p, i, x in
      umfpack_di_symbolic(n32, n32, p, i, x, &analysed, control, info)
    }
    symbolicAnalyses += 1
    guard status == UMFPACK_OK, analysed != nil else {
      umfpack_di_free_symbolic(&analysed)
      throw LinSolveError.factorizationFailed(reason: SuiteSparseSupport.umfpackMessage(status))
    }
    symbolic = analysed
    patternRowPointers = A.rowPointers
    patternColumnIndices = A.columnIndices
    let lunz = info[Int(UMFPACK_SYMMETRIC_LUNZ)]
    if info[Int(UMFPACK_STRATEGY_USED)] == Double(UMFPACK_STRATEGY_SYMMETRIC), lunz.isFinite, lunz > 0 {
      symmetricFactorEntries = lunz < Double(Int.max) ? Int(lunz) : Int.max
    }
    return true
  }

  mutating func factorize(_ A: SparseMatrix) throws(LinSolveError) {
    isFactorized = false
    freeNumeric()
    let control = self.control, info = self.info
    guard try analyzeIfNeeded(A) else {
      isFactorized = true
      return
    }
    let needed = estimate.bytes
    guard needed <= memoryLimitBytes else {
      throw LinSolveError.memoryLimitExceeded(
        estimatedBytes: needed, limitBytes: memoryLimitBytes, what: estimate.what)
    }
    ensureWorkspace(n)

    var factored: UnsafeMutableRawPointer? = nil
    let analysed = symbolic
    let status = Self.withArrays(columnPointers, A.columnIndices, A.values) { p, i, x in
      umfpack_di_numeric(p, i, x, analysed, &factored, control, info)
    }
    numericFactorizations += 1
    guard status == UMFPACK_OK, factored != nil else {
      // A singular matrix still yields a Numeric object (status 1, a warning): drop it.
      umfpack_di_free_numeric(&factored)
      throw LinSolveError.factorizationFailed(reason: SuiteSparseSupport.umfpackMessage(status))
    }
    numeric = factored
    values = A.values
    rcond = info[Int(UMFPACK_RCOND)]
    numericBytes = Int(info[Int(UMFPACK_NUMERIC_SIZE)] * info[Int(UMFPACK_SIZE_OF_UNIT)])
    var lnz: Int32 = 0, unz: Int32 = 0, nr: Int32 = 0, nc: Int32 = 0, udiag: Int32 = 0
    if umfpack_di_get_lunz(&lnz, &unz, &nr, &nc, &udiag, factored) == UMFPACK_OK {
      nonzerosInL = Int(lnz)
      nonzerosInU = Int(unz)
    }
    isFactorized = true
  }

  mutating func ensureWorkspace(_ order: Int) {
    guard order != workspaceOrder else { return }
    intWork?.deallocate()
    doubleWork?.deallocate()
    intWork = .allocate(capacity: max(order, 1))
    doubleWork = .allocate(capacity: max(5 * order, 1))
    workspaceOrder = order
  }

  /// `x = A⁻¹b` via `UMFPACK_At` on the CSC view of `Aᵀ`; sizes already checked.
  mutating func solve(
    _ b: UnsafeBufferPointer<Double>, into x: UnsafeMutableBufferPointer<Double>
  ) throws(LinSolveError) {
    guard n > 0, let bp = b.baseAddress, let xp = x.baseAddress else { return }
    let numeric = self.numeric, control = self.control, info = self.info
    let wi = intWork, w = doubleWork
    let status = Self.withArrays(columnPointers, patternColumnIndices, values) { p, i, v in
      umfpack_di_wsolve(Int32(UMFPACK_At), p, i, v, xp, bp, numeric, control, info, wi, w)
    }
    guard status == UMFPACK_OK else {
      throw LinSolveError.factorizationFailed(
        reason: "solve failed: " + SuiteSparseSupport.umfpackMessage(status))
    }
  }

  static func withArrays<R>(
    _ p: [Int32], _ i: [Int32], _ x: [Double],
    _ body: (UnsafePointer<Int32>?, UnsafePointer<Int32>?, UnsafePointer<Double>?) -> R
  ) -> R {
    p.withUnsafeBufferPointer { p in
      i.withUnsafeBufferPointer { i in
        x.withUnsafeBufferPointer { x in body(p.baseAddress, i.baseAddress, x.baseAddress) }
      }
    }
  }
}
