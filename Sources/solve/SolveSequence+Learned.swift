import ArgumentParser
import Foundation
import LinSolve

/// `solve sequence FILES --method pcg --preconditioner learned --train K [--model m.json]`: the
/// first K systems are solved with PCG + IC(0) and train a network that corrects IC(0)'s factor
/// (LinSolveLearned); the rest are solved with PCG and the learned factor. With `--model`, an
/// existing file is loaded (and checked against the matrices; nothing is trained), otherwise
/// the trained model is written there.
extension SolveSequence {
  func validateLearned() throws {
    guard preconditioner == .learned else { throw ValidationError("--train and --model go with --preconditioner learned") }
    if let method, method != .pcg && method != .cg {
      throw ValidationError("--preconditioner learned goes with --method pcg, not \(method.rawValue)")
    }
    if tune != nil || recycle != nil || state != nil || warmStart || context != nil || order != .given {
      throw ValidationError("--preconditioner learned does not go with --tune, --recycle, --state, --warm-start, --context or --order")
    }
    if learner != nil || grid != nil || cost != nil || seed != nil || resetState || arms != nil || policy != nil {
      throw ValidationError("--learner, --grid, --cost, --seed, --reset-state, --arms and --policy do not go with --preconditioner learned")
    }
    if let model, model.isEmpty { throw ValidationError("--model needs a file name") }
    let loads = model.map { FileManager.default.fileExists(atPath: $0) } ?? false
    guard let train else {
      if loads { return }
      throw ValidationError("--preconditioner learned needs --train K (the systems solved with IC(0) to train on) or an existing --model file")
    }
    guard train >= 1 else { throw ValidationError("--train must be ≥ 1") }
    guard loads || train < matrices.count else {
      throw ValidationError("--train \(train) leaves no system for the learned preconditioner (\(matrices.count) systems): K must be below the number of systems")
    }
  }

  /// Solves the systems with one ``LearnedSequenceSolver``; rows as a fixed strategy's
  /// (`pcg+ic0` for the training systems, `pcg+learned` after), the training time in the set-up
  /// of the last training system.
  func runLearned() throws {
    let stopping = StoppingCriterion(rtol: rtol, maxIterations: maxIterations)
    var loaded: LearnedFactorModel?
    if let model, FileManager.default.fileExists(atPath: model) {
      do { loaded = try LearnedModelFile.read(path: model).model } catch let error as LearnedModelError {
        throw CLIFailure.badInput("\(model): \(error)")
      } catch {
        throw CLIFailure.badInput("\(model): cannot read: \(error.localizedDescription)")
      }
    } else if let model {
      var inputs = matrices.map { OutputPaths.Named(role: "the matrix", path: $0) }
      inputs += rhs.map { OutputPaths.Named(role: "the right-hand side", path: $0) }
      try OutputPaths.check(outputs: [.init(role: "--model", path: model)], inputs: inputs)
    }
    let driver: LearnedSequenceSolver
    do { driver = try LearnedSequenceSolver(trainingSystems: train ?? 1, model: loaded, stopping: stopping) } catch {
      throw CLIFailure.badInput("\(error)")
    }
    var rows: [StrategyRow] = []
    if !json { print(StrategyRow.header) }
    for (t, path) in matrices.enumerated() {
      let system = try readSystem(t)
      let step: LearnedSequenceStep
      do { step = try driver.solve(system.matrix, system.rhs) } catch let error as LearnedModelError where loaded != nil {
        throw CLIFailure.badInput("\(model!): \(error) (\(path))")
      } catch {
        throw CLIFailure.wrap(error, file: path)
      }
      var notes: [String] = []
      if step.trainingSeconds > 0, let report = driver.trainingReport {
        notes.append(String(
          format: "trained on %d systems in %.3f s (%d Adam steps, loss %.4g → %.4g)", report.systems, report.seconds,
          report.steps, report.initialLoss, report.finalLoss))
        if let model, loaded == nil, let trained = driver.model {
          do {
            let bytes = try LearnedModelFile(model: trained, training: report).encoded()
            try OutputFile.write([UInt8](bytes), to: model)
          } catch {
            throw CLIFailure.badInput("\(model): cannot write the model: \(error)")
          }
          notes.append("model written to \(model)")
        }
      }
      let sequenceStep = SequenceStep(
        strategy: "pcg+" + step.preconditioner, result: step.result, setupSeconds: step.setupSeconds + step.trainingSeconds,
        solveSeconds: step.solveSeconds, notes: notes)
      if !json { for note in notes { standardError("solve: note: \(path): \(note)") } }
      let row = StrategyRow(position: t + 1, matrix: path, step: sequenceStep)
      rows.append(row)
      if !json { print(row.text) }
    }
    var summary = StrategySummary(method: "pcg", systems: rows)
    summary.preconditioner = "learned"
    summary.strategy = "pcg+learned"
    if json {
      print(summary.json())
    } else {
      let training = driver.trainingReport.map { String(format: ", training %.3f s", $0.seconds) } ?? ", model loaded"
      print(String(format: "total      %d iterations, %d matvecs, %.4f s over %d systems (set-up and solve", summary.totalIterations,
                   summary.totalMatvecs, summary.totalSeconds, rows.count) + training + ")")
    }
    try checkConverged(rows)
  }
}
