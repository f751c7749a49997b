import LinSolveCore
import LinSolveKrylov

/// The learned factor as a ``Preconditioner``: `P = L Lᵀ` with `L` on IC(0)'s lower pattern,
/// its values computed by a ``LearnedFactorModel`` from `A` and IC(0)'s factor, applied like
/// IC(0) — a forward sweep with `L`, a backward one with `Lᵀ` (Li et al., ICML 2023;
/// PreCorrector, Trifonov et al. 2024).
///
/// ``setUp(for:)`` computes IC(0) (reusing its symbolic phase while the pattern is unchanged),
/// runs the network once and writes its factor into the IC(0) object, whose sweeps do the
/// applications: the per-iteration cost is IC(0)'s.
///
/// ```swift
/// let m = LearnedPreconditioner(model: trained)
/// try m.setUp(for: a)
/// let result = try ConjugateGradient(preconditioner: m).solve(a, b)
/// ```
public final class LearnedPreconditioner: Preconditioner {
  public let model: LearnedFactorModel
  private let factor = IncompleteCholesky()
  /// Seconds of the last set-up spent in the network (IC(0) excluded).
  public private(set) var networkSeconds = 0.0
  // The pattern last checked against the model's (shared with that matrix, not copied).
  private var checkedRowPointers: [Int] = []
  private var checkedColumns: [Int32] = []

  public var name: String { "learned" }

  public init(model: LearnedFactorModel) {
    self.model = model
  }

  /// Computes IC(0) of `a`, then the network's factor.
  ///
  /// - Throws: ``LearnedModelError/patternMismatch(expected:found:)`` for a matrix whose
  ///   pattern is not the training matrices'; IC(0)'s errors
  ///   (``IncompleteCholesky/setUp(for:)``); ``LinSolveError/factorizationFailed(reason:)``
  ///   when the network's factor is not finite.
  public func setUp(for a: SparseMatrix) throws {
    if model.pattern != nil && !(a.rowPointers == checkedRowPointers && a.columnIndices == checkedColumns) {
      try model.check(PatternSignature(of: a))
      checkedRowPointers = a.rowPointers
      checkedColumns = a.columnIndices
    }
    try factor.setUp(for: a)
    let start = ContinuousClock.now
    let graph = FactorGraph(a, incompleteCholesky: factor)
    let act = model.forward(graph)
    var lower = act.lower, diagonal = act.diagonal
    graph.lowerPointers.withUnsafeBufferPointer { lp in
      for i in 0..<graph.order {
        let s = graph.rootDiagonal[i]
        diagonal[i] *= s
        for p in lp[i]..<lp[i + 1] { lower[p] *= s }
      }
    }
    guard Vector.allFinite(lower), diagonal.allSatisfy({ $0 > 0 && $0.isFinite }) else {
      throw LinSolveError.factorizationFailed(reason: "the learned factor has a value that is not finite or a diagonal entry that is not positive")
    }
    factor.replaceFactor(lower: lower, diagonal: diagonal)
    let elapsed = ContinuousClock.now - start
    networkSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
  }

  /// The factor `L` (lower triangular, diagonal included) as a CSR matrix.
  public var lowerFactor: SparseMatrix { factor.lowerFactor }

  public func apply(_ r: UnsafeBufferPointer<Double>, into z: UnsafeMutableBufferPointer<Double>) {
    factor.apply(r, into: z)
  }

  public func applyAndDot(_ r: UnsafeBufferPointer<Double>, into z: UnsafeMutableBufferPointer<Double>) -> Double {
    factor.applyAndDot(r, into: z)
  }
}
