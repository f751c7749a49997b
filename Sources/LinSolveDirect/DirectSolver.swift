import LinSolveCore

/// A sparse direct factorization: `factorize(A)` once, then `solve(b)` for many `b`.
///
/// ``CholeskyFactorization`` (CHOLMOD) and ``LUFactorization`` (UMFPACK) conform. As a
/// ``LinearOperator`` a factorization applies `A⁻¹`, so it can serve as an exact
/// preconditioner (``DirectPreconditioner``).
public protocol DirectSolver: LinearOperator {
  /// Factorizes `A`, reusing the symbolic analysis when the sparsity pattern is unchanged.
  func factorize(_ a: SparseMatrix) throws
  /// Solves `A x = b` into `x` without allocating. `b` and `x` must not overlap.
  ///
  /// - Throws: ``LinSolveError/invalidParameter(name:reason:)`` (name `"factorization"`) before a
  ///   successful ``factorize(_:)``; ``LinSolveError/dimensionMismatch(expected:actual:what:)``
  ///   when `b` or `x` does not have ``LinearOperator/rows`` entries.
  func solve(_ b: UnsafeBufferPointer<Double>, into x: UnsafeMutableBufferPointer<Double>) throws
}

extension DirectSolver {
  /// Returns `x = A⁻¹ b`: the bare solution, unjudged (no residual, no refinement).
  ///
  /// A convenience; ``solve(_:_:stopping:refinementSteps:)`` is the solve of the one result
  /// contract: it returns a ``SolveResult`` (true residual, iterative refinement, the verdict)
  /// like every other solver.
  ///
  /// - Throws: as ``solve(_:into:)``.
  public func solve(_ b: [Double]) throws -> [Double] {
    var x = [Double](repeating: 0, count: rows)
    try b.withUnsafeBufferPointer { bp in
      try x.withUnsafeMutableBufferPointer { try solve(bp, into: $0) }
    }
    return x
  }
}

extension CholeskyFactorization: DirectSolver {}
extension LUFactorization: DirectSolver {}
