#if PETSc
import LinSolveCore

/// Initial guesses from earlier solutions for a sequence solved across PETSc ranks: the
/// A-norm best approximation to `A⁻¹b` in the span of the last ``capacity`` solutions, for
/// the *current* A — Fischer's projection (P. F. Fischer, Comput. Methods Appl. Mech. Engrg.
/// 163, 1998; LinSolve's `FischerProjection` for one process and a fixed A).
///
/// `FischerProjection` keeps its basis A-orthonormal for one fixed A, so a guess costs no
/// product with A. The matrices of a sequence change, so here the Gram matrix is formed afresh
/// for each system: with `X` the kept solutions (each rank holds its rows),
/// `W = A·X` (L products, `MatMult` across the ranks), `G = XᵀW` and `f = Xᵀb` summed over the
/// ranks in one `MPI_Allreduce` of L² + L doubles, `G c = f` solved by a Cholesky
/// factorization that skips dependent columns (a pivot below ``dependenceTolerance`` times
/// its diagonal), and `x₀ = X c`. For a symmetric positive definite A, `x₀` minimises
/// `‖x − A⁻¹b‖_A` over span `X` (so it is never worse than 0 in the A-norm); for other
/// matrices it is the Galerkin guess.
///
/// Every rank must make the same calls in the same order (collective), as the ranks of a
/// sequence solved with `solve sequence --engine petsc` do.
///
/// - Complexity: per guess, L products with A and `2·L·(n/R)` + `L²·(n/R)` flops per rank,
///   one allreduce; memory `L·n/R` per rank.
public struct DistributedProjection {
  /// `L`, the most solutions kept.
  public let capacity: Int
  /// A pivot of `G`'s Cholesky factorization below this fraction of its diagonal entry marks
  /// the solution as already spanned; its coefficient is 0.
  public var dependenceTolerance = 1e-10
  /// This rank's entries of the kept solutions, oldest first.
  public private(set) var solutions: [[Double]] = []
  /// The order of the matrices the kept solutions belong to (a change of order empties it).
  public private(set) var order: Int?
  /// Products with A spent by the guesses.
  public private(set) var matvecs = 0
  /// Solutions skipped as dependent in the last guess.
  public private(set) var lastDropped = 0

  /// An empty history of up to `capacity` (≥ 1) solutions.
  public init(capacity: Int) {
    precondition(capacity >= 1, "the projection keeps at least one solution")
    self.capacity = capacity
  }

  /// Keeps `solution` (``DistributedVector``, laid out like the matrix of order `order`),
  /// dropping the oldest beyond ``capacity``. Collective in effect: every rank adds its part.
  public mutating func add(_ solution: DistributedVector, order: Int) throws(PETScError) {
    if self.order != order { solutions.removeAll() }
    self.order = order
    solutions.append(try solution.ownedValues)
    if solutions.count > capacity { solutions.removeFirst(solutions.count - capacity) }
  }

  /// `x₀ = X c` with `(XᵀAX) c = Xᵀb`, or `nil` while nothing is kept for a matrix of this
  /// order (collective).
  public mutating func initialGuess(
    a: DistributedMatrix, b: DistributedVector, session: PETScSession
  ) throws(PETScError) -> DistributedVector? {
    guard order == a.order, !solutions.isEmpty else { return nil }
    let l = solutions.count
    let local = a.ownedRows.count
    let v = try DistributedVector(like: a), w = try DistributedVector(like: a)
    let bOwned = try b.ownedValues
    // Rows i·L + j: x_iᵀ A x_j; then x_iᵀ b.
    var sums = [Double](repeating: 0, count: l * l + l)
    for j in 0..<l {
      try v.setOwnedValues(solutions[j])
      try a.multiply(v, into: w)
      matvecs += 1
      let product = try w.ownedValues
      for i in 0..<l {
        var dot = 0.0
        for k in 0..<local { dot += solutions[i][k] * product[k] }
        sums[i * l + j] = dot
      }
    }
    for i in 0..<l {
      var dot = 0.0
      for k in 0..<local { dot += solutions[i][k] * bOwned[k] }
      sums[l * l + i] = dot
    }
    let global = session.sum(sums)
    let c = GramSolve.solve(gram: Array(global[0..<(l * l)]), rhs: Array(global[(l * l)...]), tolerance: dependenceTolerance)
    lastDropped = c.dropped
    var x = [Double](repeating: 0, count: local)
    for j in 0..<l where c.coefficients[j] != 0 {
      for k in 0..<local { x[k] += c.coefficients[j] * solutions[j][k] }
    }
    let guess = try DistributedVector(like: a)
    try guess.setOwnedValues(x)
    return guess
  }
}
#endif
