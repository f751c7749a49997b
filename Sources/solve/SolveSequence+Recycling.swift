import ArgumentParser
import Foundation
import LinSolve

extension SolveSequence {
  /// Reads every system, orders them, and solves them with one recycling solver carrying its
  /// subspace from each system to the next (``DeflatedCG`` or ``GCRODR``).
  func runRecycling(dimension k: Int) throws {
    let method = self.method ?? .cg
    var systems: [LinearSystem] = []
    for (t, path) in matrices.enumerated() {
      let a: SparseMatrix
      do { a = try MatrixMarket.readMatrix(path: path) } catch { throw CLIFailure.wrap(error, file: path) }
      guard a.rows == a.columns else { throw CLIFailure.badInput("\(path): matrix is \(a.rows)×\(a.columns), not square") }
      if let first = systems.first, first.matrix.rows != a.rows {
        throw CLIFailure.badInput("\(path): order \(a.rows) differs from \(matrices[0])'s \(first.matrix.rows)")
      }
      systems.append(LinearSystem(matrix: a, rhs: try rightHandSide(t, for: a), name: path))
    }
    let n = systems.first?.matrix.rows ?? 0
    guard k == 0 || k < n else {
      throw CLIFailure.badInput("--recycle \(k) must be less than the order n = \(n) of the matrices")
    }
    let sequence = SystemSequence(systems)
    let permutation = order == .greedy ? SystemOrdering.greedyNearestNeighbor(sequence) : Array(sequence.indices)
    BLAS.threads = 1  // small dense work per cycle: keep OpenBLAS's threads off the sparse loops
    let stopping = StoppingCriterion(rtol: rtol, maxIterations: maxIterations)
    let recycler: RecyclingSequenceSolver
    do {
      recycler = try RecyclingSequenceSolver(
        method: method == .gmres ? .gmres : .cg, recycleDimension: k,
        preconditioner: preconditioner ?? .none, stopping: stopping)
    } catch {
      throw CLIFailure.badInput("\(error)")
    }

    var rows: [RecycleRow] = []
    if !json { print(RecycleRow.header) }
    for (position, index) in permutation.enumerated() {
      let s = sequence[index]
      let result: SolveResult
      do {
        result = try recycler.solve(s)
      } catch {
        throw CLIFailure.wrap(error, file: s.name)
      }
      let row = RecycleRow(
        position: position + 1, matrix: s.name ?? "", iterations: result.iterations, matvecs: result.matvecs,
        seconds: result.seconds, relativeResidual: result.relativeResidual,
        reason: result.reason.rawValue)
      rows.append(row)
      if !json { print(row.text) }
    }
    let summary = RecycleSummary(
      method: recycler.name,
      preconditioner: (preconditioner ?? .none).rawValue, order: order.rawValue, systems: rows,
      totalIterations: rows.reduce(0) { $0 + $1.iterations }, totalMatvecs: rows.reduce(0) { $0 + $1.matvecs },
      totalSeconds: rows.reduce(0) { $0 + $1.seconds })
    if json {
      print(summary.json())
    } else {
      print(String(format: "total      %d iterations, %d matvecs, %.4f s over %d systems (",
                   summary.totalIterations, summary.totalMatvecs, summary.totalSeconds, rows.count) + summary.method + ")")
    }
    let failed = rows.filter { $0.reason != StopReason.converged.rawValue }
    if let first = failed.first {
      throw CLIFailure.notConverged("\(failed.count) of \(rows.count) systems did not converge (first: \(first.matrix), \(first.reason))")
    }
  }
}
