import ArgumentParser
import Foundation
import LinSolve

extension SolveSequence {
  /// Solves the systems in order with one ``PreparedSolver``: the preconditioner is set up
  /// again for each matrix, reusing what the library can (an AMG hierarchy is refreshed while
  /// the pattern is unchanged and the iteration count has not grown, see ``PreparedSolver``).
  func runFixed(method: SequenceMethod) throws {
    let kind = PreconditionerKind(rawValue: preconditioner.rawValue)!
    let solverMethod: SolverMethod = method == .gmres ? .gmres : (kind == .none ? .cg : .pcg)
    let stopping = StoppingCriterion(rtol: rtol, maxIterations: maxIterations)
    let solver = PreparedSolver(SolverConfiguration(method: solverMethod, preconditioner: kind, stopping: stopping, restart: 40))
    var rows: [RecycleRow] = []
    if !json { print(RecycleRow.header) }
    for (t, path) in matrices.enumerated() {
      let a: SparseMatrix
      do { a = try MatrixMarket.readMatrix(path: path) } catch { throw CLIFailure.wrap(error, file: path) }
      guard a.rows == a.columns else { throw CLIFailure.badInput("\(path): matrix is \(a.rows)×\(a.columns), not square") }
      let b = try rightHandSide(t, for: a)
      let outcome: SolveOutcome
      do {
        try solver.setUp(for: a)
        outcome = try solver.solve(a, b)
      } catch {
        throw CLIFailure.wrap(error, file: path)
      }
      if !json { for note in solver.notes { standardError("solve: note: \(path): \(note)") } }
      let result = outcome.result
      let row = RecycleRow(
        position: t + 1, matrix: path, iterations: result.iterations, matvecs: result.matvecs,
        seconds: solver.setupSeconds + outcome.solveSeconds, relativeResidual: result.relativeResidual,
        reason: result.reason.rawValue)
      rows.append(row)
      if !json { print(row.text) }
    }
    let summary = RecycleSummary(
      method: solverMethod.rawValue, preconditioner: preconditioner.rawValue, order: Order.given.rawValue, systems: rows,
      totalIterations: rows.reduce(0) { $0 + $1.iterations }, totalMatvecs: rows.reduce(0) { $0 + $1.matvecs },
      totalSeconds: rows.reduce(0) { $0 + $1.seconds })
    if json {
      print(summary.json())
    } else {
      print(String(format: "total      %d iterations, %d matvecs, %.4f s over %d systems (set-up and solve; ",
                   summary.totalIterations, summary.totalMatvecs, summary.totalSeconds, rows.count)
            + "\(solverMethod.rawValue) + \(preconditioner.rawValue))")
    }
    let failed = rows.filter { $0.reason != StopReason.converged.rawValue }
    if let first = failed.first {
      throw CLIFailure.notConverged("\(failed.count) of \(rows.count) systems did not converge (first: \(first.matrix), \(first.reason))")
    }
  }
}
