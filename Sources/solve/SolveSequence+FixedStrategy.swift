import ArgumentParser
import Foundation
import LinSolve

extension SolveSequence {
  /// The strategy a fixed `--method` (with `--preconditioner`, `--omega`, `--warm-start`) names.
  func fixedStrategy(_ method: SequenceMethod) -> SequenceStrategy {
    let kind = preconditioner ?? .none
    // `cg` with a preconditioner is PCG, as `solve` has it.
    let solverMethod = SolverMethod(rawValue: method == .cg && kind != .none ? "pcg" : method.rawValue)!
    return SequenceStrategy(method: solverMethod, preconditioner: kind, omega: omega, restart: 40, warmStart: warmStart)
  }

  func validateStrategy(_ method: SequenceMethod) throws {
    if let kind = preconditioner, kind != .none, !SolverMethod(rawValue: method.rawValue)!.acceptsPreconditioner {
      throw ValidationError("--preconditioner \(kind.rawValue) does not go with --method \(method.rawValue) (cg, pcg, gmres, minres, bicgstab take one)")
    }
    if warmStart && (method == .cholesky || method == .lu) {
      throw ValidationError("--warm-start does not go with the direct --method \(method.rawValue)")
    }
    do { try fixedStrategy(method).validate() } catch { throw ValidationError("\(error)") }
  }

  /// Solves the systems in order with one ``FixedStrategySequenceSolver``: the set-up is done
  /// again for each matrix, reusing what the library can (symbolic factorizations while the
  /// pattern is unchanged, an AMG hierarchy refreshed, see ``PreparedSolver``).
  func runFixed(method: SequenceMethod) throws {
    let strategy = fixedStrategy(method)
    let stopping = StoppingCriterion(rtol: rtol, maxIterations: maxIterations)
    let driver: FixedStrategySequenceSolver
    do { driver = try FixedStrategySequenceSolver(strategy: strategy, stopping: stopping) } catch {
      throw CLIFailure.badInput("\(error)")
    }
    var rows: [StrategyRow] = []
    if !json { print(StrategyRow.header) }
    for (t, path) in matrices.enumerated() {
      let system = try readSystem(t)
      let step: SequenceStep
      do { step = try driver.solve(system) } catch { throw CLIFailure.wrap(error, file: path) }
      if !json { for note in step.notes { standardError("solve: note: \(path): \(note)") } }
      let row = StrategyRow(position: t + 1, matrix: path, step: step)
      rows.append(row)
      if !json { print(row.text) }
    }
    var summary = StrategySummary(method: strategy.method.rawValue, systems: rows)
    summary.preconditioner = strategy.preconditioner.rawValue
    summary.strategy = strategy.name
    summary.symbolicAnalyses = driver.symbolicAnalyses
    summary.numericFactorizations = driver.numericFactorizations
    if json {
      print(summary.json())
    } else {
      print(String(format: "total      %d iterations, %d matvecs, %.4f s over %d systems (set-up and solve; ",
                   summary.totalIterations, summary.totalMatvecs, summary.totalSeconds, rows.count)
            + strategy.name + (driver.symbolicAnalyses.map { ", \($0) symbolic analyses" } ?? "") + ")")
    }
    try checkConverged(rows)
  }

  /// System `t`: its matrix (square) and right-hand side, named by its file.
  func readSystem(_ t: Int) throws -> LinearSystem {
    let path = matrices[t]
    let a: SparseMatrix
    do { a = try MatrixMarket.readMatrix(path: path) } catch { throw CLIFailure.wrap(error, file: path) }
    guard a.rows == a.columns else { throw CLIFailure.badInput("\(path): matrix is \(a.rows)×\(a.columns), not square") }
    return LinearSystem(matrix: a, rhs: try rightHandSide(t, for: a), name: path)
  }

  /// Exits with "not converged" when a row missed the tolerance.
  func checkConverged(_ rows: [StrategyRow]) throws {
    let failed = rows.filter { $0.reason != StopReason.converged.rawValue }
    if let first = failed.first {
      throw CLIFailure.notConverged("\(failed.count) of \(rows.count) systems did not converge (first: \(first.matrix), \(first.reason))")
    }
  }
}
