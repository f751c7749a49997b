import LinSolveCore

/// One level of a multigrid hierarchy: its operator, the transfer operators to the next
/// coarser level, and the vectors a cycle needs there, allocated once when the level is
/// built so that a cycle allocates nothing.
final class MultigridLevel {
  /// The operator `A_l` of this level.
  let a: SparseMatrix
  /// `1/a_ii`.
  let inverseDiagonal: UnsafeMutableBufferPointer<Double>
  /// The damped-Jacobi weight `(4/3)/ρ(D⁻¹A_l)` (used by the Jacobi smoother; 1 otherwise).
  let jacobiWeight: Double
  /// `P_l` (rows of this level × rows of the next); `nil` on the coarsest level.
  let prolongator: SparseMatrix?
  /// `R_l = P_lᵀ`; `nil` on the coarsest level.
  let restriction: SparseMatrix?
  /// The thread blocks of the Gauss–Seidel smoother.
  let partition: HybridPartition
  /// The correction on this level (unused on the finest, where the caller's `z` is used).
  let x: UnsafeMutableBufferPointer<Double>
  /// The right-hand side on this level (unused on the finest, where the caller's `r` is used).
  let b: UnsafeMutableBufferPointer<Double>
  /// Scratch for `b − A·x`.
  let residual: UnsafeMutableBufferPointer<Double>
  /// The off-block sums of the partition's boundary rows during a Gauss–Seidel sweep.
  let offBlock: UnsafeMutableBufferPointer<Double>

  init(a: SparseMatrix, diagonal d: [Double], jacobiWeight: Double, prolongator: SparseMatrix?, restriction: SparseMatrix?) {
    let n = a.rows
    self.a = a
    self.jacobiWeight = jacobiWeight
    self.prolongator = prolongator
    self.restriction = restriction
    partition = HybridPartition(a)
    inverseDiagonal = .allocate(capacity: n)
    for i in 0..<n { inverseDiagonal[i] = 1 / d[i] }
    x = .allocate(capacity: n)
    x.initialize(repeating: 0)
    b = .allocate(capacity: n)
    b.initialize(repeating: 0)
    residual = .allocate(capacity: n)
    residual.initialize(repeating: 0)
    offBlock = .allocate(capacity: max(partition.boundaryRows.count, 1))
    offBlock.initialize(repeating: 0)
  }

  deinit {
    inverseDiagonal.deallocate()
    x.deallocate()
    b.deallocate()
    residual.deallocate()
    offBlock.deallocate()
  }
}
