#if PETSc
import CPETSc
import LinSolveCore

/// What a distributed solve returns on every rank.
public struct DistributedSolveOutcome {
  /// The result, judged by the true residual: `x` holds this rank's entries only
  /// (``DistributedVector/gatheredOnRankZero(session:)`` of ``solution`` gives the whole).
  public var result: SolveResult
  /// x, distributed.
  public var solution: DistributedVector
  /// KSP and PC types PETSc ran (after `--petsc-options`), e.g. `cg`, `hypre`; `preonly`,
  /// `cholesky` for a factorization.
  public var kspType: String
  public var pcType: String
  /// `KSPSetUp` seconds (preconditioner setup) and `KSPSolve` seconds, on the slowest rank.
  public var setupSeconds: Double
  public var solveSeconds: Double
  /// Remarks for the report (e.g. MINRES's preconditioned norm).
  public var notes: [String]
}

/// Solves one distributed system with PETSc's KSP under LinSolve's criterion and verdict
/// (``DistributedSolverConfiguration``).
public struct DistributedSolver {
  public var configuration: DistributedSolverConfiguration

  public init(_ configuration: DistributedSolverConfiguration) { self.configuration = configuration }

  /// Solves `a x = b` from `x0` (zero when `nil`), calling `monitor(k, ‖r_k‖)` at every
  /// iteration on every rank (collective).
  public func solve(
    _ a: DistributedMatrix, _ b: DistributedVector, x0: DistributedVector? = nil, session: PETScSession,
    monitor: ((Int, Double) -> Void)? = nil
  ) throws(PETScError) -> DistributedSolveOutcome {
    var kspHandle: KSP?
    try check(KSPCreate(session.communicator, &kspHandle), "KSPCreate")
    guard let ksp = kspHandle else { throw PETScError(call: "KSPCreate", code: 0, reason: "no KSP returned") }
    defer { _ = KSPDestroy(&kspHandle) }
    let notes = try configure(ksp, a)
    let recorder = IterationRecorder(monitor: monitor, recordHistory: configuration.recordHistory)
    let context = Unmanaged.passUnretained(recorder).toOpaque()
    try check(KSPMonitorSet(ksp, { _, k, norm, context in
      Unmanaged<IterationRecorder>.fromOpaque(context!).takeUnretainedValue().record(Int(k), norm)
      return 0
    }, context, nil), "KSPMonitorSet")

    let x = try DistributedVector(like: a)
    if let x0 {
      try x.copy(from: x0)
      try check(KSPSetInitialGuessNonzero(ksp, PETSC_TRUE), "KSPSetInitialGuessNonzero")
    }
    let matvecsBefore = try Self.matrixProducts()
    let setupStart = ContinuousClock.now
    try check(KSPSetUp(ksp), "KSPSetUp")
    let solveStart = ContinuousClock.now
    try check(KSPSolve(ksp, b.vec, x.vec), "KSPSolve")
    let end = ContinuousClock.now
    let matvecs = try Self.matrixProducts() - matvecsBefore
    withExtendedLifetime(recorder) {}

    var iterations: PetscInt = 0, reason = KSP_CONVERGED_ITERATING, recursive: PetscReal = 0
    try check(KSPGetIterationNumber(ksp, &iterations), "KSPGetIterationNumber")
    try check(KSPGetConvergedReason(ksp, &reason), "KSPGetConvergedReason")
    try check(KSPGetResidualNorm(ksp, &recursive), "KSPGetResidualNorm")

    // The verdict: r = b − A x recomputed with its rounding bound, judged by the user's criterion.
    let certificate = try a.residualCertificate(x: x, b: b)
    let trueNorm = certificate.norm, rhsNorm = try b.norm()
    // A factorization reports 0 iterations (no refinement step), as a native direct solve.
    var result = SolveResult(
      x: try x.ownedValues, reason: Self.stopReason(reason),
      iterations: configuration.method.isDirect ? 0 : Int(iterations), residualNorm: recursive,
      trueResidualNorm: trueNorm, rhsNorm: rhsNorm, residualHistory: configuration.recordHistory ? recorder.history : nil,
      seconds: session.maximum(Self.seconds(setupStart, end)), matvecs: matvecs)
    result.confirmVerdict(
      threshold: configuration.stopping.threshold(rhsNorm: rhsNorm, initialResidualNorm: rhsNorm),
      roundingBound: certificate.roundingBound)
    return DistributedSolveOutcome(
      result: result, solution: x, kspType: try Self.kspTypeName(ksp), pcType: try Self.pcTypeName(ksp),
      setupSeconds: session.maximum(Self.seconds(setupStart, solveStart)),
      solveSeconds: session.maximum(Self.seconds(solveStart, end)), notes: notes)
  }

  /// Sets the method, preconditioner, norm, side and tolerances, then the user's PETSc options.
  private func configure(_ ksp: KSP, _ a: DistributedMatrix) throws(PETScError) -> [String] {
    var notes: [String] = []
    let method = configuration.method, preconditioner = configuration.preconditioner
    try check(KSPSetOperators(ksp, a.mat, a.mat), "KSPSetOperators")
    let relaxation = configuration.relaxation
    try check(KSPSetType(ksp, relaxation?.use == .solver ? "richardson" : method.kspType), "KSPSetType")
    var pcHandle: PC?
    try check(KSPGetPC(ksp, &pcHandle), "KSPGetPC")
    guard let pc = pcHandle else { throw PETScError(call: "KSPGetPC", code: 0, reason: "no PC returned") }
    if let relaxation {
      // Local sweeps: the only SOR PETSc runs on MPIAIJ (and SOR itself on one rank).
      try check(PCSetType(pc, "sor"), "PCSetType")
      try check(PCSORSetOmega(pc, relaxation.omega), "PCSORSetOmega")
      try check(PCSORSetSymmetric(pc, relaxation.symmetric ? SOR_LOCAL_SYMMETRIC_SWEEP : SOR_LOCAL_FORWARD_SWEEP), "PCSORSetSymmetric")
      if relaxation.use == .solver {
        try check(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED), "KSPSetNormType")
      }
    } else if let factor = method.factorPCType {
      try check(PCSetType(pc, factor), "PCSetType")
      try check(PCFactorSetMatSolverType(pc, "mumps"), "PCFactorSetMatSolverType")
    } else {
      try check(PCSetType(pc, preconditioner.pcType), "PCSetType")
      if preconditioner == .amg { try check(PCHYPRESetType(pc, "boomeramg"), "PCHYPRESetType") }
      if let sub = preconditioner.subPCType { try check(PetscOptionsSetValue(nil, "-sub_pc_type", sub), "PetscOptionsSetValue") }
    }
    switch relaxation?.use == .solver ? nil : method {
    case nil:
      break  // Richardson + SOR: the unpreconditioned norm, set above
    case .cholesky, .lu:
      break  // preonly: no norm, no iteration
    case .cg:
      try check(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED), "KSPSetNormType")
    case .gmres, .bicgstab:
      try check(KSPSetPCSide(ksp, PC_RIGHT), "KSPSetPCSide")
      try check(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED), "KSPSetNormType")
      if method == .gmres { try check(KSPGMRESSetRestart(ksp, PetscInt(configuration.restart)), "KSPGMRESSetRestart") }
    case .minres:
      try check(KSPSetNormType(ksp, KSP_NORM_PRECONDITIONED), "KSPSetNormType")
      if preconditioner != .none {
        notes.append("PETSc 3.18's MINRES tests the preconditioned residual norm; the verdict is still the true residual's")
      }
    }
    let stopping = configuration.stopping
    let dtol = stopping.dtol.map { $0.isFinite ? $0 : Double.greatestFiniteMagnitude } ?? Double.greatestFiniteMagnitude
    let maxIterations = PetscInt(clamping: stopping.maxIterations)
    try check(KSPSetTolerances(ksp, stopping.rtol, stopping.atol, dtol, maxIterations), "KSPSetTolerances")
    if let options = configuration.petscOptions {
      try check(PetscOptionsInsertString(nil, options), "PetscOptionsInsertString")
    }
    try check(KSPSetFromOptions(ksp), "KSPSetFromOptions")
    return notes
  }

  /// LinSolve's reason for a `KSPConvergedReason`.
  static func stopReason(_ reason: KSPConvergedReason) -> StopReason {
    if reason.rawValue > 0 { return .converged }
    switch reason {
    case KSP_DIVERGED_ITS: return .maxIterations
    case KSP_DIVERGED_DTOL: return .diverged
    case KSP_DIVERGED_NANORINF: return .nonFinite
    case KSP_DIVERGED_INDEFINITE_PC, KSP_DIVERGED_INDEFINITE_MAT: return .indefinite
    default: return .breakdown
    }
  }

  /// `MatMult` calls so far on this rank (PETSc's event log).
  private static func matrixProducts() throws(PETScError) -> Int {
    var event: PetscLogEvent = 0
    try check(PetscLogEventGetId("MatMult", &event), "PetscLogEventGetId")
    var info = PetscEventPerfInfo()
    try check(PetscLogEventGetPerfInfo(linsolve_petsc_determine(), event, &info), "PetscLogEventGetPerfInfo")
    return Int(info.count)
  }

  private static func kspTypeName(_ ksp: KSP) throws(PETScError) -> String {
    var name: KSPType?
    try check(KSPGetType(ksp, &name), "KSPGetType")
    return name.map { String(cString: $0) } ?? "?"
  }

  private static func pcTypeName(_ ksp: KSP) throws(PETScError) -> String {
    var pc: PC?
    try check(KSPGetPC(ksp, &pc), "KSPGetPC")
    var name: PCType?
    try check(PCGetType(pc, &name), "PCGetType")
    return name.map { String(cString: $0) } ?? "?"
  }

  private static func seconds(_ start: ContinuousClock.Instant, _ end: ContinuousClock.Instant) -> Double {
    let d = end - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
  }
}

/// The KSP monitor's receiver: forwards each (k, ‖r_k‖) and keeps the history.
private final class IterationRecorder {
  let monitor: ((Int, Double) -> Void)?
  let recordHistory: Bool
  var history: [Double] = []

  init(monitor: ((Int, Double) -> Void)?, recordHistory: Bool) {
    self.monitor = monitor
    self.recordHistory = recordHistory
  }

  func record(_ k: Int, _ norm: Double) {
    if recordHistory { history.append(norm) }
    monitor?(k, norm)
  }
}
#endif
