import Foundation
import Testing

@testable import LinSolve

/// The learned preconditioner (LinSolveLearned): the hand-derived gradient against finite
/// differences, an SPD factor PCG converges with, training that helps on a small family,
/// determinism, and model files that are refused when they do not fit.
@Suite("Learned preconditioner")
struct LearnedPreconditionerTests {
  /// `count` variable-coefficient diffusion systems on an `m × m` grid: `a(x, y) = exp(c·sin…)`
  /// with random phases and amplitudes, random right-hand sides, all drawn from `seed`.
  static func family(count: Int, grid m: Int, seed: UInt64) -> [(a: SparseMatrix, b: [Double])] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in
      let c1 = 1.5 * generator.uniform(), c2 = 1.5 * generator.uniform()
      let p1 = 6.3 * generator.uniform(), p2 = 6.3 * generator.uniform()
      let a = Diffusion.matrix2D(m) { x, y in exp(c1 * sin(2 * .pi * x + p1) + c2 * cos(3 * .pi * y + p2)) }
      let b = (0..<a.rows).map { _ in 1 + generator.uniform() }
      return (a, b)
    }
  }

  static func solved(_ systems: [(a: SparseMatrix, b: [Double])]) throws -> LearnedTrainingSet {
    var set = LearnedTrainingSet()
    for (a, b) in systems {
      let x = try ConjugateGradient(stopping: StoppingCriterion(rtol: 1e-12), preconditioner: IncompleteCholesky(a)).solve(a, b).x
      try set.append(a, solution: x, rhs: b)
    }
    return set
  }

  static func iterations(_ m: any Preconditioner, _ a: SparseMatrix, _ b: [Double]) throws -> SolveResult {
    let stopping = StoppingCriterion(rtol: 1e-8)
    try m.setUp(for: a)
    return try ConjugateGradient(stopping: stopping, preconditioner: m).solve(a, b).judged(by: stopping, a: a, b: b)
  }

  @Test("the hand-derived gradient matches central finite differences")
  func gradientCheck() throws {
    let set = try Self.solved(Self.family(count: 2, grid: 5, seed: 3))
    var model = LearnedFactorModel(hidden: 3, seed: 7)
    // Larger output weights than the initial ones, so every path of the network matters.
    var generator = SeededGenerator(seed: 11)
    for k in model.parameters.indices { model.parameters[k] += 0.3 * (2 * generator.uniform() - 1) }
    let (_, gradient) = set.lossAndGradient(model)
    var worst = 0.0
    for k in model.parameters.indices {
      let step = 1e-6
      var plus = model, minus = model
      plus.parameters[k] += step
      minus.parameters[k] -= step
      let numeric = (set.loss(of: plus) - set.loss(of: minus)) / (2 * step)
      worst = max(worst, abs(numeric - gradient[k]) / max(abs(numeric), abs(gradient[k]), 1e-7))
    }
    #expect(worst < 1e-5, "largest relative difference \(worst)")
  }

  @Test("the learned factor has a positive diagonal and PCG converges with it (true residual)")
  func positiveDiagonalAndConvergence() throws {
    // An untrained network with large random weights: SPD anyway.
    var model = LearnedFactorModel(hidden: 6, seed: 5)
    var generator = SeededGenerator(seed: 2)
    for k in model.parameters.indices { model.parameters[k] += 0.5 * (2 * generator.uniform() - 1) }
    let matrices = [
      Poisson.matrix2D(12), Self.family(count: 1, grid: 14, seed: 9)[0].a,
      DarcySequence.independent(grid: 12, count: 1, seed: 4).systems[0].matrix, HeatEquation(nx: 12, steps: 2).matrix(step: 1),
    ]
    for a in matrices {
      let m = LearnedPreconditioner(model: model)
      let result = try Self.iterations(m, a, [Double](repeating: 1, count: a.rows))
      let l = m.lowerFactor
      for i in 0..<l.rows {
        let diagonal = l.rowPointers[i + 1] - 1  // the last entry of a lower-triangular row
        #expect(Int(l.columnIndices[diagonal]) == i && l.values[diagonal] > 0)
      }
      #expect(result.reason == .converged, "\(a.rows): \(result.reason)")
    }
  }

  @Test("training reduces the loss and the held-out iterations of a small family")
  func trainingHelps() throws {
    let systems = Self.family(count: 10, grid: 24, seed: 21)
    let set = try Self.solved(Array(systems.prefix(4)))
    let options = LearnedTrainingOptions(hidden: 8, steps: 60, seed: 1)
    let untrained = LearnedFactorModel(hidden: 8, seed: 1)
    let (trained, report) = try LearnedTraining.train(on: set, options: options)
    #expect(report.finalLoss < 0.8 * report.initialLoss, "\(report)")
    var before = 0, after = 0, ic = 0
    for (a, b) in systems.dropFirst(4) {
      let r0 = try Self.iterations(LearnedPreconditioner(model: untrained), a, b)
      let r1 = try Self.iterations(LearnedPreconditioner(model: trained), a, b)
      let r2 = try Self.iterations(IncompleteCholesky(), a, b)
      #expect(r0.reason == .converged && r1.reason == .converged)
      before += r0.iterations
      after += r1.iterations
      ic += r2.iterations
    }
    print("learned test family: untrained \(before), trained \(after), ic0 \(ic), \(report)")
    #expect(after < before)
    #expect(after < ic)
  }

  @Test("LearnedSequenceSolver: IC(0) on the first K systems, then the trained factor; a given model trains nothing")
  func sequenceSolver() throws {
    let systems = Self.family(count: 4, grid: 10, seed: 8)
    let stopping = StoppingCriterion(rtol: 1e-9)
    let driver = try LearnedSequenceSolver(trainingSystems: 2, options: LearnedTrainingOptions(hidden: 4, steps: 20), stopping: stopping)
    let steps = try systems.map { try driver.solve($0.a, $0.b) }
    #expect(steps.map(\.preconditioner) == ["ic0", "ic0", "learned", "learned"])
    #expect(steps.allSatisfy { $0.result.reason == .converged })
    #expect(steps[1].trainingSeconds > 0 && steps[0].trainingSeconds == 0 && steps[2].trainingSeconds == 0)
    let report = try #require(driver.trainingReport)
    #expect(report.systems == 2 && report.finalLoss <= report.initialLoss)
    let model = try #require(driver.model)
    let reuse = try LearnedSequenceSolver(trainingSystems: 1, model: model, stopping: stopping)
    let again = try reuse.solve(systems[3].a, systems[3].b)
    #expect(again.preconditioner == "learned" && again.result.iterations == steps[3].result.iterations)
    #expect(reuse.trainingReport == nil)
    #expect(throws: LinSolveError.self) { try LearnedSequenceSolver(trainingSystems: 0) }
  }

  @Test("training is deterministic for a seed, and a saved model reads back equal")
  func deterministicAndRoundTrip() throws {
    let set = try Self.solved(Self.family(count: 2, grid: 8, seed: 5))
    let options = LearnedTrainingOptions(hidden: 4, steps: 10, seed: 3)
    let (first, report) = try LearnedTraining.train(on: set, options: options)
    let (second, _) = try LearnedTraining.train(on: set, options: options)
    #expect(first == second)
    let (other, _) = try LearnedTraining.train(on: set, options: LearnedTrainingOptions(hidden: 4, steps: 10, seed: 4))
    #expect(other != first)
    let data = try LearnedModelFile(model: first, training: report).encoded()
    let (file, read) = try LearnedModelFile.decode(data)
    #expect(read == first && file.training == report)
    #expect(try LearnedModelFile(model: second, training: report).encoded() == data)
  }

  @Test("a model trained on another pattern or size is refused with a clear error")
  func otherPatternRefused() throws {
    let set = try Self.solved(Self.family(count: 1, grid: 8, seed: 5))
    let (model, _) = try LearnedTraining.train(on: set, options: LearnedTrainingOptions(hidden: 4, steps: 2))
    let m = LearnedPreconditioner(model: model)
    try m.setUp(for: Self.family(count: 1, grid: 8, seed: 6)[0].a)  // same pattern, other values
    #expect {
      try m.setUp(for: Poisson.matrix2D(9))
    } throws: { error in
      (error as? LearnedModelError)?.description == "learned model was trained on matrices of order 64, not 81"
    }
    // Same order, another pattern (a 1-D stencil of order 64).
    let line = Poisson.matrix1D(64)
    #expect {
      try m.setUp(for: line)
    } throws: { error in
      guard case .patternMismatch = error as? LearnedModelError else { return false }
      return "\(error)".hasPrefix("learned model was trained on another sparsity pattern")
    }
    // Training data of two patterns.
    var mixed = set
    #expect(throws: LearnedModelError.self) {
      try mixed.append(line, solution: [Double](repeating: 1, count: 64), rhs: line.applied(to: [Double](repeating: 1, count: 64)))
    }
  }

  @Test("corrupt, foreign and wrong-version model files are refused")
  func badFilesRefused() throws {
    let set = try Self.solved(Self.family(count: 1, grid: 6, seed: 5))
    let (model, _) = try LearnedTraining.train(on: set, options: LearnedTrainingOptions(hidden: 2, steps: 1))
    let good = String(decoding: try LearnedModelFile(model: model).encoded(), as: UTF8.self)
    func refusal(_ text: String) -> LearnedModelError? {
      do {
        _ = try LearnedModelFile.decode(Data(text.utf8))
        return nil
      } catch {
        return error as? LearnedModelError
      }
    }
    #expect(refusal("{not json") == .corrupt("not JSON"))
    #expect(refusal(String(good.prefix(good.count / 2))) == .corrupt("not JSON"))
    #expect(refusal("{\"format\": \"something\", \"version\": 1}") == .corrupt("format is 'something', not 'linsolve-learned-preconditioner'"))
    #expect(refusal(good.replacingOccurrences(of: "\"version\":1", with: "\"version\":2")) == .unsupportedVersion(found: 2, supported: 1))
    #expect(refusal(good.replacingOccurrences(of: "\"hidden\":2", with: "\"hidden\":3"))?.description.contains("parameters") == true)
    #expect(refusal(good.replacingOccurrences(of: "\"nodeFeatures\":4", with: "\"nodeFeatures\":5"))?.description.contains("node") == true)
    #expect(refusal(good.replacingOccurrences(of: "\"pattern\"", with: "\"patern\"")) == .corrupt("missing \"pattern\""))
  }
}
