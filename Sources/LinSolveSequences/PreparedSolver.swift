import LinSolveCore
import LinSolveDirect
import LinSolveKrylov
import LinSolveMultigrid
import LinSolveSketching

/// A solve and what it cost, as ``PreparedSolver/solve(_:_:x0:monitor:)`` returns it.
public struct SolveOutcome: Sendable {
  /// The result, judged by the configuration's criterion on the true residual
  /// (``SolveResult/judged(by:a:b:leastSquares:)``).
  public var result: SolveResult
  /// `‖Aᵀr‖ / (‖A‖_F‖r‖)` for the least-squares methods.
  public var backwardError: Double?
  /// Seconds of the set-up done inside the solve (the sketch and its QR factorization).
  public var setupSeconds: Double
  /// Seconds of the solve itself.
  public var solveSeconds: Double
}

/// A ``SolverConfiguration`` made ready for a matrix: the factorization or preconditioner
/// built once by ``setUp(for:beforeFactorizing:)``, then any number of solves.
///
/// For a sequence of matrices, call ``setUp(for:beforeFactorizing:)`` again for each new one:
/// the factorization objects are kept, so CHOLMOD's and UMFPACK's symbolic analyses are reused
/// when the sparsity pattern is unchanged, and an AMG hierarchy is refreshed (its aggregation and
/// prolongators kept, ``SmoothedAggregationAMG/refresh(for:)``) until the iteration count grows
/// past ``multigridRebuildFactor`` times the one after its last build. The row-action and sketching methods have no
/// separate set-up (their sketch is part of each solve).
///
/// ```swift
/// let solver = PreparedSolver(SolverConfiguration(method: .pcg, preconditioner: .ic0))
/// try solver.setUp(for: a)
/// let outcome = try solver.solve(a, b)
/// ```
public final class PreparedSolver {
  public let configuration: SolverConfiguration
  /// The method actually used: the configuration's, or LU after a Cholesky that failed with
  /// ``SolverConfiguration/fallBack``.
  public private(set) var method: SolverMethod
  /// The name of the preconditioner actually used (`none`, `jacobi`, `ic0`, …).
  public private(set) var preconditionerName = "none"
  /// What the set-up had to decide (an IC(0) shift, a fallback, a Nyström rank).
  public private(set) var notes: [String] = []
  /// Seconds of the last ``setUp(for:beforeFactorizing:)``.
  public private(set) var setupSeconds = 0.0

  private var cholesky: CholeskyFactorization?
  private var lu: LUFactorization?
  /// IC(0) and ILU(0), kept so that a matrix of the same pattern reuses their symbolic phase.
  private var incompleteCholesky: IncompleteCholesky?
  private var incompleteLU: IncompleteLU?
  /// The preconditioner of the last ``setUp(for:beforeFactorizing:)`` (`nil` for none).
  public private(set) var preconditioner: (any Preconditioner)?

  /// Symbolic analyses run so far by the kept factorization (CHOLMOD's or UMFPACK's, whichever
  /// ``method`` uses): over a sequence with one sparsity pattern this stays at 1 while
  /// ``numericFactorizations`` counts the systems. `nil` for the iterative methods.
  public var symbolicAnalyses: Int? { method == .cholesky ? cholesky?.symbolicAnalyses : method == .lu ? lu?.symbolicAnalyses : nil }
  /// Numeric factorizations run so far by the kept factorization.
  public var numericFactorizations: Int? {
    method == .cholesky ? cholesky?.numericFactorizations : method == .lu ? lu?.numericFactorizations : nil
  }
  private var solver: (any IterativeSolver)?

  public init(_ configuration: SolverConfiguration) {
    self.configuration = configuration
    method = configuration.method
  }

  /// Factorizes `a` (direct methods) or builds the preconditioner and the solver (iterative
  /// ones). `beforeFactorizing` sees CHOLMOD's estimate of the factor between its symbolic
  /// analysis and the numeric factorization (what `solve --view` prints); an error it throws
  /// ends the set-up before the numeric factorization (a sequence portfolio's budget).
  ///
  /// - Throws: the factorization's or the preconditioner's errors (``LinSolveError``), or
  ///   `beforeFactorizing`'s.
  public func setUp(
    for a: SparseMatrix, beforeFactorizing: ((CholeskyFactorization.FactorEstimate) throws -> Void)? = nil
  ) throws {
    let start = ContinuousClock.now
    defer { setupSeconds = Self.seconds(since: start) }
    notes = []
    preconditioner = nil
    method = configuration.method
    switch configuration.method {
    case .cholesky:
      do {
        let factor = cholesky ?? CholeskyFactorization()
        cholesky = factor
        let estimate = try factor.analyze(a)
        try beforeFactorizing?(estimate)
        try factor.factorize(a)
      } catch LinSolveError.factorizationFailed(let reason) where configuration.fallBack && !reason.contains("limit") {
        notes.append("Cholesky failed (\(reason)); using LU")
        method = .lu
        try factorLU(a)
      }
    case .lu:
      try factorLU(a)
    case .cg, .pcg, .sor, .ssor, .gmres, .minres, .bicgstab:
      let m = try makePreconditioner(for: a)
      solver = makeSolver(preconditioner: m)
    case .amg:
      let amg = try setUpMultigrid(for: a)
      noteMultigrid(amg)
      preconditionerName = amg.name
      solver = MultigridIteration(multigrid: amg, stopping: configuration.stopping, recordHistory: configuration.recordHistory)
    case .lsqr, .lsmr, .lapack, .kaczmarz, .sketchLSQR, .iterativeSketch, .sketchProject:
      break
    }
  }

  /// Solves `A x = b` with what ``setUp(for:beforeFactorizing:)`` built for `a`, and judges the
  /// result by the configuration's criterion on the true residual.
  public func solve(_ a: SparseMatrix, _ b: [Double], x0: [Double]? = nil, monitor: SolveMonitor? = nil) throws
    -> SolveOutcome
  {
    let start = ContinuousClock.now
    var backwardError: Double?
    var setup = 0.0
    let stopping = configuration.stopping
    let result: SolveResult
    switch method {
    case .cholesky, .lu:
      guard let factor: any DirectSolver = method == .cholesky ? cholesky : lu else {
        throw LinSolveError.invalidParameter(name: "factorization", reason: "call setUp(for:) before solve")
      }
      result = try factor.solve(a, b, stopping: stopping, monitor: monitor)
    case .cg, .pcg, .sor, .ssor, .gmres, .minres, .bicgstab, .amg:
      guard let solver else {
        throw LinSolveError.invalidParameter(name: "solver", reason: "call setUp(for:) before solve")
      }
      result = try solver.solve(a, b, x0: x0, monitor: monitor)
      if multigrid != nil && (method == .amg || configuration.preconditioner.isMultigrid) {
        lastIterations = result.iterations
        if iterationsAfterBuild == nil { iterationsAfterBuild = result.iterations }
      }
    case .lapack:
      do {
        result = try denseLeastSquares(a, b)
      } catch let error as LinSolveError where configuration.fallBack {
        // auto chose dense QR; a numerically rank-deficient or too large A goes to LSQR.
        switch error {
        case .factorizationFailed, .memoryLimitExceeded: break
        default: throw error
        }
        notes.append("dense QR failed (\(error)); using LSQR")
        method = .lsqr
        result = try leastSquares(a, b, x0: x0, monitor: monitor)
      }
      backwardError = a.leastSquaresBackwardError(x: result.x, b: b)
    case .lsqr, .lsmr, .sketchLSQR, .iterativeSketch:
      result = try leastSquares(a, b, x0: x0, monitor: monitor)
      if let timings = result.leastSquares?.timings { setup = timings.sketch + timings.factor }
      backwardError = a.leastSquaresBackwardError(x: result.x, b: b)
    case .kaczmarz:
      result = try RandomizedKaczmarz(seed: configuration.seed, stopping: stopping).solve(a, b, x0: x0, monitor: monitor)
    case .sketchProject:
      result = try SketchAndProject(seed: configuration.seed, stopping: stopping).solve(a, b, x0: x0, monitor: monitor)
    }
    let judged = result.judged(by: stopping, a: a, b: b, leastSquares: method.isLeastSquares)
    return SolveOutcome(
      result: judged, backwardError: backwardError, setupSeconds: setup,
      solveSeconds: Self.seconds(since: start) - setup)
  }

  // MARK: Pieces

  private func factorLU(_ a: SparseMatrix) throws {
    let factor = lu ?? LUFactorization()
    lu = factor
    try factor.factorize(a)
  }

  /// Dense Householder QR (``DenseLeastSquares``) as a result.
  private func denseLeastSquares(_ a: SparseMatrix, _ b: [Double]) throws -> SolveResult {
    let x = try DenseLeastSquares.solve(a, b)
    let r = a.residualNorm(x: x, b: b)
    return SolveResult(x: x, reason: r.isFinite ? .converged : .nonFinite, iterations: 0, residualNorm: r,
                       trueResidualNorm: r, rhsNorm: Vector.norm(b))
  }

  private func leastSquares(_ a: SparseMatrix, _ b: [Double], x0: [Double]?, monitor: SolveMonitor?) throws
    -> SolveResult
  {
    let c = configuration
    switch method {
    case .lsqr: return try LSQR(stopping: c.stopping).solve(a, b, x0: x0, monitor: monitor)
    case .lsmr: return try LSMR(stopping: c.stopping).solve(a, b, x0: x0, monitor: monitor)
    case .sketchLSQR:
      var inner = c.stopping
      inner.rtol = min(inner.rtol, 1e-14)  // LSQR's own test is on the normal equations; the verdict is ours
      return try SketchPreconditionedLSQR(
        distribution: c.sketch, oversampling: c.sketchFactor ?? 4, seed: c.seed, stopping: inner
      ).solve(a, b, monitor: monitor)
    default:
      var inner = c.stopping
      inner.rtol = min(inner.rtol, 1e-15)
      return try IterativeSketching(
        distribution: c.sketch, oversampling: c.sketchFactor ?? 12, seed: c.seed, stopping: inner
      ).solve(a, b, monitor: monitor)
    }
  }

  private func makePreconditioner(for a: SparseMatrix) throws -> (any Preconditioner)? {
    let c = configuration
    guard c.method.acceptsPreconditioner else { return nil }
    let m: any Preconditioner
    switch c.preconditioner {
    case .none:
      return nil
    case .jacobi:
      m = try JacobiPreconditioner(a)
    case .ssor:
      m = try SSORPreconditioner(a, omega: c.omega)
    case .ilu0:
      // Kept across set-ups: the symbolic phase is skipped while the pattern is unchanged.
      let ilu = incompleteLU ?? IncompleteLU()
      incompleteLU = ilu
      try ilu.setUp(for: a)
      m = ilu
    case .cholesky:
      m = try DirectPreconditioner(a)
    case .nystrom:
      guard let shift = c.nystromShift else {
        throw LinSolveError.invalidParameter(name: "shift", reason: "the Nyström preconditioner needs the shift μ (the matrix is A + μI)")
      }
      let nystrom = try NystromPreconditioner(shift: shift, rank: c.nystromRank, seed: c.seed, matrixIncludesShift: true)
      try nystrom.setUp(for: a)
      notes.append("Nyström rank \(nystrom.rank), \(nystrom.setUpMatvecs) products to set up")
      m = nystrom
    case .amgSA, .amg:
      do {
        let amg = try setUpMultigrid(for: a)
        noteMultigrid(amg)
        m = amg
      } catch where c.fallBack {
        // GMRES/BiCGSTAB are here for nonsymmetric matrices: ILU(0) is the better stand-in there.
        if c.method == .gmres || c.method == .bicgstab {
          notes.append("\(c.preconditioner.rawValue) failed (\(error)); using ILU(0)")
          m = try IncompleteLU(a)
        } else {
          notes.append("\(c.preconditioner.rawValue) failed (\(error)); using Jacobi")
          m = try JacobiPreconditioner(a)
        }
      }
    case .learned:
      throw LinSolveError.invalidParameter(
        name: "preconditioner", reason: "learned is trained on a sequence (solve sequence --preconditioner learned --train K)")
    case .ic0:
      do {
        let ic = incompleteCholesky ?? IncompleteCholesky()
        incompleteCholesky = ic
        try ic.setUp(for: a)
        if ic.shift > 0 { notes.append("IC(0) needed a diagonal shift of \(ic.shift)·diag(A)") }
        m = ic
      } catch where c.fallBack {
        notes.append("IC(0) failed (\(error)); using Jacobi")
        m = try JacobiPreconditioner(a)
      }
    }
    preconditionerName = m.name
    preconditioner = m
    return m
  }

  /// Rebuild the multigrid hierarchy instead of refreshing it when a solve after a refresh
  /// needs more than this many times the iterations of the first solve after the last build.
  public var multigridRebuildFactor = 1.5

  private var multigrid: AlgebraicMultigrid?
  private var refreshesBefore = 0
  /// Iterations of the first solve after the last full multigrid build, and of the last solve.
  private var iterationsAfterBuild: Int?
  private var lastIterations: Int?

  /// The hierarchy of the AMG set up last (`amg-sa` or `--method amg`), for `--view`.
  public var multigridSummary: MultigridHierarchySummary? { multigrid?.summary }

  private func noteMultigrid(_ amg: AlgebraicMultigrid) {
    guard let summary = amg.summary else { return }
    notes.append(
      "\(amg.name) (\(amg.refreshes > refreshesBefore ? "refreshed: coarsening and prolongators kept" : "built")): \(summary.levels.count) levels (rows \(summary.levels.map { String($0.rows) }.joined(separator: ", "))), "
        + "operator complexity \(MultigridHierarchySummary.format(summary.operatorComplexity)), "
        + "grid complexity \(MultigridHierarchySummary.format(summary.gridComplexity))")
  }

  /// The AMG for `a`: the kept one refreshed when the pattern is unchanged and the iteration
  /// counts have not grown past ``multigridRebuildFactor``, else a new one.
  private func setUpMultigrid(for a: SparseMatrix) throws -> AlgebraicMultigrid {
    if let amg = multigrid {
      refreshesBefore = amg.refreshes
      let grown = iterationsAfterBuild.flatMap { base in
        lastIterations.map { Double($0) > multigridRebuildFactor * Double(max(base, 1)) }
      } ?? false
      let builds = amg.builds
      if grown {
        try amg.setUp(for: a)
        notes.append("\(amg.name) rebuilt: \(lastIterations!) iterations against \(iterationsAfterBuild!) after the last build")
      } else {
        try amg.refresh(for: a)
      }
      if amg.builds > builds { iterationsAfterBuild = nil }
      return amg
    }
    // `--method amg` iterates smoothed aggregation unless the configuration names Ruge–Stüben.
    let amg: AlgebraicMultigrid = configuration.preconditioner == .amg
      ? try RugeStubenAMG(a, options: configuration.multigrid)
      : try SmoothedAggregationAMG(a, options: configuration.multigrid)
    multigrid = amg
    refreshesBefore = amg.refreshes
    iterationsAfterBuild = nil
    return amg
  }

  private func makeSolver(preconditioner m: (any Preconditioner)?) -> any IterativeSolver {
    let c = configuration
    switch c.method {
    case .cg, .pcg:
      return ConjugateGradient(stopping: c.stopping, preconditioner: m, recordHistory: c.recordHistory)
    case .sor:
      return SOR(omega: c.omega, symmetric: false, stopping: c.stopping, recordHistory: c.recordHistory)
    case .ssor:
      return SOR(omega: c.omega, symmetric: true, stopping: c.stopping, recordHistory: c.recordHistory)
    case .gmres:
      return GMRES(stopping: c.stopping, restart: c.restart, preconditioner: m, recordHistory: c.recordHistory)
    case .minres:
      return MINRES(stopping: c.stopping, preconditioner: m, recordHistory: c.recordHistory)
    default:
      return BiCGSTAB(stopping: c.stopping, preconditioner: m, recordHistory: c.recordHistory)
    }
  }

  private static func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }
}
