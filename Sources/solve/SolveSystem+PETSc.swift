import ArgumentParser
import Foundation
import LinSolve

#if PETSc
import LinSolvePETSc
#endif

/// `solve A.mtx [b.mtx] --engine petsc`: one system on PETSc across the ranks of `mpirun`
/// (docs/SCALE_OUT.md). Every rank parses the files and keeps and assembles only its block of rows; rank 0
/// prints the report (the native schema with `engine` and `ranks`) and writes `--output` (x
/// gathered onto it) and `--history`; a failure on any rank ends every rank with one message
/// from rank 0 and the same exit status.
extension SolveSystem {
  func runOnPETSc() throws {
    #if PETSc
    let (method, preconditioner) = try petscChoice()
    try checkOutputPaths()
    try PETScSession.runCommand(what: "--engine petsc") { session in
      try solveOnPETSc(session, method: method, preconditioner: preconditioner)
    }
    #else
    throw Engine.unavailable
    #endif
  }
}

#if PETSc
extension PETScSession {
  /// Starts MPI and PETSc, runs a command's `body` on every rank and finalizes. A failure is
  /// reported once, by rank 0 (``SolveSystem/agreedFailure(_:)``); after a failure every rank
  /// agreed on (so every rank is there) the ranks wait for its line at a barrier before they exit
  /// with its status, so that `mpirun` cannot end the job before the line is out.
  static func runCommand(what: String, _ body: (PETScSession) throws -> Void) throws {
    let session: PETScSession
    do { session = try PETScSession() } catch { throw CLIFailure.badInput("\(what): \(error)") }
    defer { session.finalize() }
    do {
      try body(session)
    } catch {
      let exit = SolveSystem.agreedFailure(error).reportedByRoot(isRoot: session.isRoot)
      if error is DistributedFailure { session.barrier() }
      throw exit
    }
  }

  /// The rows of the matrix at `path` this rank owns (``RowPartition`` of the header's n), the
  /// others empty; a stream, whose header cannot be read twice, is read whole.
  func readOwnRows(_ path: String) throws -> SparseMatrix {
    do {
      if OutputFile.isStream(path) { return try MatrixMarket.readMatrix(path: path) }
      let header = try MatrixMarket.readHeader(path: path)
      let owned = RowPartition(rows: header.rows, ranks: ranks).range(of: rank)
      return try MatrixMarket.readMatrix(path: path, rows: owned)
    } catch { throw CLIFailure.wrap(error, file: path) }
  }

  /// A failure's one-line message, as `CLIFailure.report` would print it (what ``agree`` broadcasts).
  static func describe(_ error: any Error) -> String {
    switch CLIFailure.wrap(error) {
    case .badInput(let message), .notConverged(let message), .interrupted(let message): message
    }
  }
}

extension SolveSystem {
  /// The method and preconditioner asked for, refused when the engine has no counterpart
  /// (`nil`: `auto`, resolved from the matrix). Checked before MPI starts.
  func petscChoice() throws -> (method: DistributedMethod?, preconditioner: DistributedPreconditioner?) {
    let methods = ["auto", "pcg"] + DistributedMethod.allCases.map(\.rawValue)
    guard method == .auto || method == .pcg || DistributedMethod(rawValue: method.rawValue) != nil else {
      throw CLIFailure.badInput(
        "--engine petsc solves with \(methods.joined(separator: ", ")); --method \(method.rawValue) is native only")
    }
    if let preconditioner, DistributedPreconditioner(rawValue: preconditioner.rawValue) == nil {
      let names = DistributedPreconditioner.allCases.map(\.rawValue).joined(separator: ", ")
      throw CLIFailure.badInput(
        "--engine petsc preconditions with \(names); --preconditioner \(preconditioner.rawValue) is native only")
    }
    if timeLimit != nil { throw CLIFailure.badInput("--time-limit is not supported by --engine petsc") }
    if amgTheta != nil || amgSmoother != .gaussSeidel || amgCycle != .v {
      throw CLIFailure.badInput("--amg-theta, --amg-smoother and --amg-cycle are native; with --engine petsc use --petsc-options (e.g. -pc_hypre_boomeramg_strong_threshold 0.5)")
    }
    let resolvedMethod: DistributedMethod? = method == .auto ? nil : method == .pcg ? .cg : DistributedMethod(rawValue: method.rawValue)
    let given = preconditioner.flatMap { DistributedPreconditioner(rawValue: $0.rawValue) }
    return (resolvedMethod, given ?? (method == .pcg ? .jacobi : method == .auto ? nil : DistributedPreconditioner.none))
  }

  /// A failure as every rank reports it: one a single rank met (a file it could not read) was
  /// agreed on by all (``PETScSession/agree(_:describe:)``); a PETSc error is bad input.
  static func agreedFailure(_ error: any Error) -> CLIFailure {
    if let failure = error as? CLIFailure { return failure }
    if let agreed = error as? DistributedFailure {
      if let own = agreed.localError as? CLIFailure { return own }
      return .badInput(agreed.rank == 0 ? agreed.message : "\(agreed.message) (on rank \(agreed.rank))")
    }
    return .badInput(String(describing: error))
  }

  /// Reads, assembles, solves, judges and reports on every rank of `session`.
  private func solveOnPETSc(
    _ session: PETScSession, method: DistributedMethod?, preconditioner: DistributedPreconditioner?
  ) throws {
    let readStart = ContinuousClock.now
    // Every rank reads the files, keeping its block of rows of A; a file one rank cannot read
    // stops every rank (agreed).
    let (a, rhsValues, start) = try session.agree(
      { () throws -> (SparseMatrix, [Double]?, [Double]?) in
        try checkEntryCount()
        let a = try session.readOwnRows(matrix)
        guard a.rows == a.columns else {
          throw CLIFailure.badInput("\(matrix): matrix is \(a.rows)×\(a.columns); --engine petsc needs a square matrix")
        }
        let b = try rhs.map { try readVector($0, length: a.rows, what: "right-hand side") }
        return (a, b, try x0.map { try readVector($0, length: a.columns, what: "initial guess") })
      }, describe: PETScSession.describe)
    guard session.isSameOnEveryRank(a.rows) else {
      throw CLIFailure.badInput("\(matrix): the ranks read matrices of different sizes (check that every rank sees the same file)")
    }
    let distributed = try DistributedMatrix(rowsOf: a, session: session)
    let symmetric = try distributed.isSymmetric(tolerance: 1e-12)
    var chosenBecause: String?
    var resolved = (method: method ?? .cg, preconditioner: preconditioner ?? .none)
    if method == nil {
      (resolved.method, resolved.preconditioner, chosenBecause) = Self.autoChoice(
        symmetric: symmetric, positiveDiagonal: try distributed.hasPositiveDiagonal(), preconditioner: preconditioner)
    }
    let methodName = resolved.method.rawValue, preconditionerName = resolved.preconditioner.rawValue
    if [.cg, .minres, .cholesky].contains(resolved.method), method != nil, session.isRoot, !symmetric {
      standardError("solve: warning: \(matrix): the matrix is not symmetric; --method \(methodName) assumes A = Aᵀ and may diverge (gmres or bicgstab suit nonsymmetric matrices)")
    }
    let configuration = DistributedSolverConfiguration(
      method: resolved.method, preconditioner: resolved.preconditioner,
      stopping: stopping, restart: restart, petscOptions: petscOptions, recordHistory: history != nil)

    let b = try DistributedVector(like: distributed)
    if let rhsValues { try b.setOwned(from: rhsValues) } else {
      let ones = try DistributedVector(like: distributed)
      try ones.fill(1)
      try distributed.multiply(ones, into: b)
      if !json && session.isRoot { standardError("solve: note: no right-hand side given; using b = A·1") }
    }
    let initial = try start.map { values in
      let v = try DistributedVector(like: distributed)
      try v.setOwned(from: values)
      return v
    }
    var report = SolveReport(
      matrix: matrix, rhs: rhs ?? "A·1", method: methodName, chosenBecause: chosenBecause,
      rows: a.rows, columns: a.columns, nonzeros: distributed.nonzeros, threads: 1)
    report.engine = Engine.petsc.rawValue
    report.ranks = session.ranks
    report.readSeconds = session.maximum(Double((ContinuousClock.now - readStart) / .seconds(1)))
    report.describe(stopping, iterative: !resolved.method.isDirect)
    report.preconditioner = resolved.method.isDirect ? nil : preconditionerName
    if resolved.method == .gmres { report.restart = restart }
    let say: (String) -> Void = json ? { standardError($0) } : { print($0) }
    if view && session.isRoot { say(report.view()) }

    let progress = ProgressReporter(monitor: monitor && session.isRoot, toStandardError: json, recordHistory: history != nil)
    let outcome = try DistributedSolver(configuration).solve(distributed, b, x0: initial, session: session) { k, r in
      _ = progress.callback(iteration: k, residual: r)
    }
    progress.finish()
    let mappedPC = resolved.method.factorPCType ?? configuration.preconditioner.pcType
    if outcome.kspType != configuration.method.kspType || outcome.pcType != mappedPC {
      report.notes.append("--petsc-options ran KSP \(outcome.kspType) with PC \(outcome.pcType)")
    } else if resolved.method.isDirect {
      report.notes.append("PETSc: MUMPS \(resolved.method == .cholesky ? "Cholesky" : "LU") (preonly, \(mappedPC)/mumps)")
    } else {
      report.notes.append("PETSc: \(outcome.kspType) + \(configuration.preconditioner.petscDescription)")
    }
    report.notes += outcome.notes
    report.setupSeconds = outcome.setupSeconds
    report.solveSeconds = outcome.solveSeconds
    report.record(outcome.result)

    let x = try outcome.solution.gatheredOnRankZero(session: session)
    try session.agree({
      // Written by rank 0 (x is `nil` elsewhere).
      guard let x else { return }
      try writeFiles(x, comment: "solution of \(matrix) by solve --engine petsc --method \(report.method)", progress: progress, report: &report)
    }, describe: PETScSession.describe)
    if session.isRoot { print(json ? report.json() : report.text()) }
    if !report.converged {
      let result = outcome.result
      throw CLIFailure.notConverged("\(matrix): \(result.reason.rawValue) after \(result.iterations) iteration\(result.iterations == 1 ? "" : "s"), relative residual \(report.relativeResidual) (true ‖b − Ax‖/‖b‖; asked for rtol \(rtol), atol \(atol); engine petsc on \(session.ranks) rank\(session.ranks == 1 ? "" : "s"))")
    }
  }

  /// `auto` on the PETSc engine: CG + hypre BoomerAMG for a symmetric matrix with a positive
  /// diagonal, GMRES + block Jacobi ILU(0) otherwise (a given `--preconditioner` is kept).
  private static func autoChoice(
    symmetric: Bool, positiveDiagonal: Bool, preconditioner: DistributedPreconditioner?
  ) -> (DistributedMethod, DistributedPreconditioner, String) {
    if symmetric && positiveDiagonal {
      return (.cg, preconditioner ?? .amg, "symmetric with a positive diagonal → CG + hypre BoomerAMG")
    }
    return (.gmres, preconditioner ?? .ilu0, "not symmetric with a positive diagonal → GMRES + block Jacobi ILU(0)")
  }
}
#endif
