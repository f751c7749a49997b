import LinSolveCore

/// A matrix that a ``SketchingOperator`` can compress: what the sketch-and-precondition
/// solvers accept. ``DenseMatrix`` and ``SparseMatrix`` conform.
public protocol SketchableMatrix: AdjointLinearOperator {
  /// `S·A`, dense (`S.rows × columns`), computed deterministically (see ``SketchingOperator``).
  func sketched(by s: SketchingOperator) -> DenseMatrix
}

extension DenseMatrix: SketchableMatrix {
  public func sketched(by s: SketchingOperator) -> DenseMatrix { s.apply(to: self) }
}

extension SparseMatrix: SketchableMatrix {
  public func sketched(by s: SketchingOperator) -> DenseMatrix { s.apply(to: self) }
}
