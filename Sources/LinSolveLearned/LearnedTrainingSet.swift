import LinSolveCore
import LinSolveKrylov

/// Solved systems `A xᵢ = bᵢ` of one sparsity pattern: the training data of a
/// ``LearnedFactorModel`` (the systems a sequence has already solved).
///
/// Each matrix is stored as its ``FactorGraph`` (scaled features and IC(0) factor); consecutive
/// systems with the same matrix (values equal) share one graph, so a sequence with a fixed
/// operator pays for one forward pass per training step.
public struct LearnedTrainingSet {
  package private(set) var graphs: [FactorGraph] = []
  /// Scaled solutions and right-hand sides (`x̃ = D^{1/2} x`, `b̃ = D^{-1/2} b`) per graph.
  package private(set) var samples: [[(x: [Double], b: [Double])]] = []
  private var lastMatrix: SparseMatrix?

  /// The pattern of the systems (`nil` while empty).
  public var signature: PatternSignature? { graphs.first?.signature }
  /// The number of systems.
  public var count: Int { samples.reduce(0) { $0 + $1.count } }

  public init() {}

  /// Adds a solved system.
  ///
  /// - Throws: ``LearnedModelError/patternMismatch(expected:found:)`` for a matrix whose
  ///   pattern differs from the first system's; ``LinSolveError`` for sizes that disagree,
  ///   non-finite values or a matrix IC(0) cannot factor.
  public mutating func append(_ a: SparseMatrix, solution x: [Double], rhs b: [Double]) throws {
    guard x.count == a.rows else { throw LinSolveError.dimensionMismatch(expected: a.rows, actual: x.count, what: "solution x") }
    guard b.count == a.rows else { throw LinSolveError.dimensionMismatch(expected: a.rows, actual: b.count, what: "right-hand side b") }
    guard Vector.allFinite(x) && Vector.allFinite(b) else { throw LinSolveError.nonFinite(what: "training system") }
    if let last = lastMatrix, let graph = graphs.last,
      last.rowPointers == a.rowPointers && last.columnIndices == a.columnIndices && last.values == a.values
    {
      samples[samples.count - 1].append(Self.scaled(x, b, graph))
      return
    }
    let ic = IncompleteCholesky()
    try ic.setUp(for: a)
    let graph = FactorGraph(a, incompleteCholesky: ic)
    if let first = signature, first != graph.signature {
      throw LearnedModelError.patternMismatch(expected: first, found: graph.signature)
    }
    graphs.append(graph)
    samples.append([Self.scaled(x, b, graph)])
    lastMatrix = a
  }

  private static func scaled(_ x: [Double], _ b: [Double], _ graph: FactorGraph) -> (x: [Double], b: [Double]) {
    let d = graph.rootDiagonal
    return ((0..<x.count).map { x[$0] * d[$0] }, (0..<b.count).map { b[$0] / d[$0] })
  }

  /// The loss ``FactorLoss`` of `model` over every sample and its gradient.
  package func lossAndGradient(_ model: LearnedFactorModel, gradient: Bool = true) -> (loss: Double, gradient: [Double]) {
    var total = [Double](repeating: 0, count: model.parameters.count)
    let weight = 1 / Double(max(count, 1))
    var loss = 0.0
    for (graph, vectors) in zip(graphs, samples) {
      let act = model.forward(graph)
      var lowerGradient = [Double](repeating: 0, count: graph.lowerCount)
      var diagonalGradient = [Double](repeating: 0, count: graph.order)
      for (x, b) in vectors {
        loss += weight * FactorLoss.accumulate(
          graph, lower: act.lower, diagonal: act.diagonal, x: x, b: b, weight: weight,
          lowerGradient: &lowerGradient, diagonalGradient: &diagonalGradient)
      }
      if gradient {
        model.backward(graph, act, lowerGradient: lowerGradient, diagonalGradient: diagonalGradient, into: &total)
      }
    }
    return (loss, total)
  }

  /// The loss of `model` over every sample.
  public func loss(of model: LearnedFactorModel) -> Double { lossAndGradient(model, gradient: false).loss }
}
