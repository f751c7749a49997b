// Memory estimates that need the direct solvers' types (kept out of Core/, which the fuzzing
// build compiles on its own).

import LinSolveCore


extension MemoryEstimate {
  /// A Cholesky factorization from CHOLMOD's symbolic analysis
  /// (``CholeskyFactorization/analyze(_:)``), plus its `O(n)` workspace.
  public static func cholesky(_ estimate: CholeskyFactorization.FactorEstimate, n: Int) -> MemoryEstimate {
    MemoryEstimate(label: "Cholesky factor, nnz(L) = \(estimate.nonzeros)",
                   bytes: add(estimate.bytes, doubles(multiply(6, n))))
  }
}
