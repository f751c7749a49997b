import ArgumentParser
import Foundation
import LinSolve

/// `solve A.mtx [b.mtx]`: one system, direct or iterative (the default subcommand; its help is
/// what `solve --help` prints).
struct SolveSystem: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "system",
    abstract: "Solve sparse linear systems Ax = b from Matrix Market files.",
    usage: """
      solve [<options>] <matrix> [<rhs>]
      solve sequence [<options>] <matrices> ...   (see 'solve sequence --help')
      solve --version
      """,
    discussion: """
      Exit status: 0 solved, 1 not converged (the result is still written), 2 bad input (with --json, \
      {"error", "file", "line"} on standard output), 130 interrupted (Ctrl-C).

      Without a right-hand side file, b = A·1 is used (so the exact solution is all ones). \
      auto: n ≤ 5,000 → Cholesky (symmetric, positive diagonal) or LU; larger symmetric with a positive diagonal \
      → PCG + smoothed-aggregation AMG (PCG + IC(0) for 3-D-like stencils, ≥ 6.5 entries per row, below 10⁶ \
      unknowns); otherwise GMRES + ILU(0). Tall → least squares.

      Iterative methods stop when ‖r‖ ≤ max(rtol·‖b‖, atol) (converged), when ‖r‖ > dtol·‖r₀‖ (diverged), \
      or after --max-iterations or --time-limit; the reported relativeResidual is the true ‖b − Ax‖/‖b‖ \
      recomputed after the solve.
      """)

  @Argument(help: "The matrix A (Matrix Market).")
  var matrix: String

  @Argument(help: "The right-hand side b (Matrix Market vector). Default: b = A·1.")
  var rhs: String?

  @Option(help: "Method (auto chooses from the matrix; see the discussion above).")
  var method: Method = .auto

  @Option(help: "Preconditioner for cg, pcg, gmres, minres, bicgstab. Default: none for cg, jacobi for pcg, the auto choice for auto.")
  var preconditioner: PreconditionerKind?

  @Option(parsing: .unconditional, help: "Relaxation parameter ω in (0, 2) for sor, ssor and the ssor preconditioner.")
  var omega: Double = 1.0

  @Option(parsing: .unconditional, help: "Relative tolerance: stop when ‖r‖ ≤ max(rtol·‖b‖, atol).")
  var rtol: Double = 1e-8

  @Option(parsing: .unconditional, help: "Absolute tolerance.")
  var atol: Double = 0

  @Option(parsing: .unconditional, help: "Divergence tolerance: stop with reason diverged when ‖r‖ > dtol·‖r₀‖ (PETSc's -ksp_divtol); inf never stops.")
  var dtol: Double = StoppingCriterion.defaultDivergenceTolerance

  @Option(parsing: .unconditional, help: "Maximum number of iterations. Default: 10000 (lsqr, lsmr: 100000; sketch-lsqr: 1000; iterative-sketch: 200; kaczmarz, sketch-project: 100000 row updates per row).")
  var maxIterations: Int = 10_000

  @Option(parsing: .unconditional, help: "Stop an iterative solve after this many seconds (reason timeLimit).")
  var timeLimit: Double?

  @Option(parsing: .unconditional, help: ThreadSetting.help)
  var threads: Int?

  @Option(help: MemoryLimit.help)
  var memoryLimit: String?

  @Option(parsing: .unconditional, help: "AMG strength threshold θ in [0, 1]. amg-sa: j is strong for i when |a_ij| ≥ θ·√(a_ii a_jj), default 0 (pyamg's; keeps every connection), 0.25 suits anisotropic problems. amg (Ruge–Stüben): when −a_ij ≥ θ·max_k(−a_ik), default 0.25 (hypre's), 0.5 suits 3-D problems.")
  var amgTheta: Double?

  @Option(help: "AMG smoother: gauss-seidel (hybrid symmetric: forward before, backward after), jacobi (damped by (4/3)/ρ(D⁻¹A)), l1-jacobi (no spectral estimate needed) or chebyshev (degree 2 on [0.3ρ, 1.1ρ]; only products, fully parallel).")
  var amgSmoother: MultigridSmoother = .gaussSeidel

  @Option(help: "AMG cycle: v (visit the next coarser level once) or w (twice: more coarse work, fewer cycles on hard problems).")
  var amgCycle: MultigridCycle = .v

  @Option(parsing: .unconditional, help: "GMRES restart length m.")
  var restart: Int = 30

  @Option(help: "Initial guess x0 (Matrix Market vector). Default: 0.")
  var x0: String?

  @Option(help: "Write the solution x to this Matrix Market file (atomically).")
  var output: String?

  @Option(help: "Write the residual history (iteration,residual: the lines --monitor prints) to this CSV file.")
  var history: String?

  @OptionGroup(title: "Least squares, sketching and Nyström")
  var sketchOptions: SketchOptions

  @Flag(help: "Print one line per iteration with the residual norm (a direct solve: one line per phase). With --json on standard error.")
  var monitor = false

  @Flag(help: "Print the resolved configuration (what auto chose and why, every stopping setting) before solving. With --json on standard error.")
  var view = false

  @Flag(help: "Print one JSON object instead of the text report; an error prints {\"error\", \"file\", \"line\"}.")
  var json = false

  @Option(help: Engine.help)
  var engine: Engine = .native

  @Option(parsing: .unconditional, help: "PETSc options for --engine petsc, e.g. \"-ksp_type fgmres -pc_hypre_boomeramg_strong_threshold 0.5\" (override the mapped settings).")
  var petscOptions: String?

  func validate() throws {
    guard omega > 0 && omega < 2 else { throw ValidationError("--omega \(omega) is not in (0, 2)") }
    guard rtol >= 0 && rtol <= 1 else { throw ValidationError("--rtol \(rtol) is not in (0, 1]") }
    guard atol >= 0 else { throw ValidationError("--atol \(atol) is negative") }
    guard rtol > 0 || atol > 0 else { throw ValidationError("--rtol and --atol are both 0: no solve could converge") }
    if let timeLimit, !(timeLimit > 0) { throw ValidationError("--time-limit \(timeLimit) is not positive") }
    guard dtol >= 1 else { throw ValidationError("--dtol \(dtol) is not ≥ 1 (inf turns the divergence test off)") }
    if let threads { try ThreadSetting.validate(threads, source: "--threads") }
    guard maxIterations >= 0 else { throw ValidationError("--max-iterations must be ≥ 0") }
    guard restart >= 1 else { throw ValidationError("--restart must be ≥ 1") }
    if let amgTheta, !(amgTheta.isFinite && amgTheta >= 0 && amgTheta <= 1) { throw ValidationError("--amg-theta \(amgTheta) is not in [0, 1]") }
    if let memoryLimit { _ = try MemoryLimit.parse(memoryLimit) }
    if let preconditioner, preconditioner != .none, !method.acceptsPreconditioner && method != .auto
      && !(method == .amg && preconditioner.isMultigrid)
    {
      throw ValidationError("--preconditioner does not apply to --method \(method.rawValue)" + (method == .amg ? " (amg takes amg or amg-sa: the cycle it iterates)" : ""))
    }
    if let rank = sketchOptions.rank, rank < 1 { throw ValidationError("--rank must be ≥ 1") }
    if let shift = sketchOptions.shift, !(shift > 0) { throw ValidationError("--shift must be > 0") }
    if let f = sketchOptions.sketchFactor, !(f >= 1) { throw ValidationError("--sketch-factor must be ≥ 1") }
    if petscOptions != nil && engine != .petsc { throw ValidationError("--petsc-options needs --engine petsc") }
    if preconditioner == .learned {
      throw ValidationError("--preconditioner learned is trained on a sequence: solve sequence FILES --method pcg --preconditioner learned --train K")
    }
    if preconditioner == .nystrom && sketchOptions.shift == nil {
      throw ValidationError("--preconditioner nystrom needs --shift μ (the matrix given is A + μI)")
    }
  }

  func run() throws {
    if engine == .petsc { return try runOnPETSc() }
    ProgressReporter.installInterruptHandler()
    if let threads { ThreadSetting.apply(threads) }
    try checkOutputPaths()
    let ((a, b, rhsName, start), readSeconds) = try timed { try readSystem() }

    // Resolve auto and the preconditioner default.
    var method = self.method
    var preconditioner = self.preconditioner ?? (method == .pcg ? .jacobi : .none)
    var chosenBecause: String?
    if method == .auto {
      let choice = AutoChoice.choose(for: a)
      method = Method(choice.method)
      preconditioner = self.preconditioner ?? choice.preconditioner
      chosenBecause = choice.why
    }
    // Empty rows/columns and the memory estimate, before any workspace is allocated.
    try checkResources(a, method: method, preconditioner: preconditioner)
    if [.cg, .pcg, .minres].contains(method), !a.isSymmetric(tolerance: 1e-12) {
      standardError("solve: warning: \(matrix): the matrix is not symmetric; --method \(method.rawValue) assumes A = Aᵀ and may diverge (gmres or bicgstab suit nonsymmetric matrices)")
    }

    let configuration = configuration(method: method, preconditioner: preconditioner, rows: a.rows)
    var report = SolveReport(
      matrix: matrix, rhs: rhsName, method: method.rawValue, chosenBecause: chosenBecause,
      rows: a.rows, columns: a.columns, nonzeros: a.nonzeros, threads: Parallel.threads)
    report.readSeconds = readSeconds
    report.describe(configuration.stopping, iterative: !method.isDirect && method != .lapack)
    if !method.isDirect && !method.isLeastSquares && !method.isRowAction {
      report.preconditioner = preconditioner.rawValue
      if [.sor, .ssor].contains(method) || preconditioner == .ssor { report.omega = omega }
      if method == .gmres { report.restart = restart }
      if preconditioner.isMultigrid { report.multigrid = multigridOptions.description }
    } else if !method.isDirect {
      report.preconditioner = method == .sketchLSQR ? "sketch QR" : "none"
    }
    let say: (String) -> Void = json ? { standardError($0) } : { print($0) }
    if view { say(report.view()) }

    let solver = PreparedSolver(configuration)
    let progress = ProgressReporter(monitor: monitor, toStandardError: json, recordHistory: history != nil)
    let outcome: SolveOutcome
    do {
      if threads == nil && !ThreadSetting.fromEnvironment && (method.isLeastSquares || method.isRowAction) {
        BLAS.threads = Parallel.threads
      }
      let setupStart = ContinuousClock.now
      try solver.setUp(for: a) { estimate in
        report.estimatedFactorBytes = estimate.bytes
        progress.phase("analyse", since: setupStart, detail: "nnz(L) = \(estimate.nonzeros)")
        if view {
          say(String(format: "  factor estimate nnz(L) = %d, ≈ %.1f MiB, %.3g flops (limit %.0f MiB)",
                     estimate.nonzeros, Double(estimate.bytes) / 1048576, estimate.flops,
                     Double(MemoryBudget.limitBytes) / 1048576))
        }
      }
      if solver.method.isDirect {
        progress.direct = true
        progress.phase(solver.method == .lu ? "analyse and factorize" : "factorize", since: setupStart, detail: nil)
      }
      if method.acceptsPreconditioner || method == .amg { report.preconditioner = solver.preconditionerName }
      if solver.method != method.solverMethod { report.method = solver.method.rawValue }
      report.notes += solver.notes
      if view, let hierarchy = solver.multigridSummary { say("  AMG hierarchy:\n" + hierarchy.description.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")) }
      outcome = try solver.solve(a, b, x0: start) { k, r in progress.callback(iteration: k, residual: r) }
      if solver.method == .lapack { _ = progress.callback(iteration: 0, residual: outcome.result.residualNorm) }
      progress.finish()
      if solver.method != method.solverMethod { report.method = solver.method.rawValue }  // a fallback while solving
      report.notes += solver.notes.filter { !report.notes.contains($0) }
    } catch {
      throw CLIFailure.wrap(error, file: matrix)
    }
    report.setupSeconds = solver.setupSeconds + outcome.setupSeconds
    report.solveSeconds = outcome.solveSeconds
    report.backwardError = outcome.backwardError
    if method.isDirect && outcome.result.iterations > 0 {
      report.notes.append("\(outcome.result.iterations) step\(outcome.result.iterations == 1 ? "" : "s") of iterative refinement")
    }

    // The verdict is the true residual's, judged by the user's criterion (PreparedSolver did).
    let result = outcome.result
    report.record(result)
    try writeFiles(result.x, comment: "solution of \(matrix) by solve --method \(method.rawValue)", progress: progress, report: &report)
    print(json ? report.json() : report.text())
    if ProgressReporter.interrupted && result.reason == .cancelled {
      throw CLIFailure.interrupted("\(matrix): interrupted at iteration \(result.iterations) (Ctrl-C), relative residual \(report.relativeResidual)" + (output.map { "; the last iterate was written to \($0)" } ?? ""))
    }
    if !report.converged {
      throw CLIFailure.notConverged("\(matrix): \(result.reason.rawValue) after \(result.iterations) iteration\(result.iterations == 1 ? "" : "s"), relative residual \(report.relativeResidual) (true ‖b − Ax‖/‖b‖; asked for rtol \(rtol), atol \(atol)\(result.reason == .diverged ? ", dtol \(dtol)" : ""))")
    }
  }

  // MARK: - Reading

  /// Reads A, b (or makes b = A·1) and x0, checking sizes.
  private func readSystem() throws -> (SparseMatrix, [Double], String, [Double]?) {
    try checkEntryCount()
    let a: SparseMatrix
    do { a = try MatrixMarket.readMatrix(path: matrix) } catch { throw CLIFailure.wrap(error, file: matrix) }
    guard a.rows == a.columns || method == .auto || method.isLeastSquares || method.isRowAction else {
      throw CLIFailure.badInput("\(matrix): matrix is \(a.rows)×\(a.columns); --method \(method.rawValue) needs a square matrix (least squares: lsqr, lsmr, sketch-lsqr, iterative-sketch, lapack)")
    }
    guard a.rows >= a.columns else {
      throw CLIFailure.badInput("\(matrix): matrix is \(a.rows)×\(a.columns); wide (underdetermined) systems are not supported")
    }
    let start = try x0.map { try readVector($0, length: a.columns, what: "initial guess") }
    guard let rhs else {
      if !json { standardError("solve: note: no right-hand side given; using b = A·1") }
      return (a, a.applied(to: [Double](repeating: 1, count: a.columns)), "A·1", start)
    }
    return (a, try readVector(rhs, length: a.rows, what: "right-hand side"), rhs, start)
  }

  /// A square matrix whose file stores fewer entries than it has rows must leave a row empty
  /// (structurally singular): refused from the header of a regular file, before a row pointer
  /// per row is allocated — for n above ``headerCheckOrder``; smaller files are read whole, so
  /// that a malformed entry is reported with its line, and their empty rows are named by
  /// ``checkResources(_:method:preconditioner:)``. (A stream's header cannot be read twice;
  /// its matrix is checked once read.)
  func checkEntryCount() throws {
    guard !OutputFile.isStream(matrix), let header = try? MatrixMarket.readHeader(path: matrix),
      header.format == .coordinate, header.rows == header.columns, header.rows > Self.headerCheckOrder
    else { return }
    let covered = header.symmetry == .general ? header.entries : 2 * header.entries  // rows an entry can reach
    guard covered < header.rows else { return }
    throw CLIFailure.badInput(
      "\(matrix): matrix is structurally singular: \(header.rows)×\(header.columns) with \(header.entries) stored entr\(header.entries == 1 ? "y" : "ies") leaves at least \(header.rows - covered) rows empty")
  }

  /// The order above which ``checkEntryCount()`` judges a square matrix from its header.
  static let headerCheckOrder = 1 << 16

  func readVector(_ path: String, length: Int, what: String) throws -> [Double] {
    let v: [Double]
    do { v = try MatrixMarket.readVector(path: path) } catch { throw CLIFailure.wrap(error, file: path) }
    guard v.count == length else {
      throw CLIFailure.badInput("\(path): \(what) has \(v.count) entries, the matrix has \(length) rows")
    }
    return v
  }

  // MARK: - Solving

  /// The criterion the options give; every verdict is judged by it.
  var stopping: StoppingCriterion {
    StoppingCriterion(rtol: rtol, atol: atol, maxIterations: maxIterations, timeLimit: timeLimit, dtol: dtol)
  }

  /// The library configuration the options describe. The least-squares and row-action methods
  /// keep their own iteration caps unless `--max-iterations` is given.
  private func configuration(method: Method, preconditioner: PreconditionerKind, rows: Int) -> SolverConfiguration {
    var criterion = stopping
    if maxIterations == 10_000 {
      switch method {
      case .lsqr, .lsmr: criterion.maxIterations = 100_000
      case .sketchLSQR: criterion.maxIterations = 1_000
      case .iterativeSketch: criterion.maxIterations = 200
      case .kaczmarz, .sketchProject: criterion.maxIterations = 100 * rows * 1_000
      default: break
      }
    }
    return SolverConfiguration(
      method: method.solverMethod, preconditioner: preconditioner, stopping: criterion, omega: omega,
      restart: restart, recordHistory: false, fallBack: self.method == .auto,
      sketch: sketchOptions.distribution, sketchFactor: sketchOptions.sketchFactor, seed: sketchOptions.seed,
      nystromRank: sketchOptions.rank, nystromShift: sketchOptions.shift,
      multigrid: multigridOptions)
  }

  /// `--amg-theta`, `--amg-smoother`, `--amg-cycle`.
  private var multigridOptions: MultigridOptions {
    MultigridOptions(theta: amgTheta, smoother: amgSmoother, cycle: amgCycle)
  }

}

extension SolveSystem {
  /// `--output` (the solution `x`, with `comment` in its header) and `--history` (the residuals
  /// the monitor saw), through the safe writers; either failing is a one-line error.
  func writeFiles(_ x: [Double], comment: String, progress: ProgressReporter, report: inout SolveReport) throws {
    if let output {
      do {
        try MatrixMarket.write(vector: x, to: output, comment: comment)
      } catch { throw CLIFailure.wrap(error, file: output) }
      report.output = output
    }
    if let history {
      let csv = "iteration,residual\n" + progress.history.map { "\($0.iteration),\($0.residual)" }.joined(separator: "\n") + "\n"
      do throws(OutputFileError) { try OutputFile.write(Array(csv.utf8), to: history) } catch {
        throw CLIFailure.badInput("\(history): cannot write the history: \(error.reason)")
      }
    }
  }
}
