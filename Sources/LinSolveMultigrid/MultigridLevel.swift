import LinSolveCore

/// One level of a multigrid hierarchy: its operator, the transfer operators to the next
/// coarser level, and the vectors a cycle needs there, allocated once when the level is
/// built so that a cycle allocates nothing.
final class MultigridLevel {
  /// The operator `A_l` of this level.
  let a: SparseMatrix
  /// `1/a_ii`.
  let inverseDiagonal: UnsafeMutableBufferPointer<Double>
  /// `ρ(D⁻¹A_l)` as estimated (``SpectralRadiusEstimate``) for the smoothers that need it
  /// (damped Jacobi, Chebyshev); 0 otherwise.
  let spectralRadius: Double
  /// The damped-Jacobi weight `(4/3)/ρ(D⁻¹A_l)`.
  var jacobiWeight: Double { spectralRadius > 0 ? (4.0 / 3.0) / spectralRadius : 1 }
  /// `1/(a_ii + Σ_{j≠i} |a_ij|)` for the l1-Jacobi smoother (empty for the others).
  let l1InverseDiagonal: UnsafeMutableBufferPointer<Double>
  /// The Chebyshev smoother's update direction (empty for the others).
  let direction: UnsafeMutableBufferPointer<Double>
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

  init(
    a: SparseMatrix, diagonal d: [Double], smoother: MultigridSmoother, spectralRadius: Double, prolongator: SparseMatrix?,
    restriction: SparseMatrix?
  ) {
    let n = a.rows
    self.a = a
    self.spectralRadius = spectralRadius
    l1InverseDiagonal = .allocate(capacity: smoother == .l1Jacobi ? n : 0)
    if smoother == .l1Jacobi {
      for i in 0..<n {
        var s = 0.0
        for k in a.rowPointers[i]..<a.rowPointers[i + 1] where Int(a.columnIndices[k]) != i { s += abs(a.values[k]) }
        l1InverseDiagonal[i] = 1 / (d[i] + s)
      }
    }
    direction = .allocate(capacity: smoother == .chebyshev ? n : 0)
    direction.initialize(repeating: 0)
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
    l1InverseDiagonal.deallocate()
    direction.deallocate()
    x.deallocate()
    b.deallocate()
    residual.deallocate()
    offBlock.deallocate()
  }
}
