import LinSolveCore

/// The tentative prolongator of smoothed aggregation (Vaněk, Mandel, Brezina 1996, §3;
/// pyamg's `fit_candidates` for one candidate): column `a` is the near-null-space candidate
/// `B` restricted to aggregate `a` and normalised, so `T` has orthonormal columns and
/// `T·B_c = B` on the aggregated nodes, with the coarse candidate `B_c[a] = ‖B|_a‖`.
///
/// On the finest level `B` is the constant vector (the null space of a Laplacian without
/// Dirichlet rows); the coarse candidate is carried down the hierarchy.
public struct TentativeProlongator: Sendable {
  /// `T`, `n × count` with one entry in each aggregated row.
  public let matrix: SparseMatrix
  /// The coarse candidate `B_c`, one value per aggregate.
  public let coarseCandidate: [Double]

  /// Builds `T` for `aggregation` and the fine candidate `candidate` (one value per node).
  public init(aggregation: Aggregation, candidate: [Double]) {
    let n = aggregation.aggregateOf.count
    precondition(candidate.count == n, "tentative prolongator: one candidate value per node")
    var norms = [Double](repeating: 0, count: aggregation.count)
    for i in 0..<n {
      if let a = aggregation.aggregateOf[i] { norms[Int(a)] += candidate[i] * candidate[i] }
    }
    for a in norms.indices { norms[a] = norms[a].squareRoot() }
    var pointers = [Int](repeating: 0, count: n + 1)
    var columns: [Int32] = []
    var values: [Double] = []
    columns.reserveCapacity(n)
    values.reserveCapacity(n)
    for i in 0..<n {
      if let a = aggregation.aggregateOf[i] {
        let norm = norms[Int(a)]
        columns.append(a)
        // A candidate that vanishes on a whole aggregate: fall back to the constant there.
        values.append(norm > 0 ? candidate[i] / norm : 1)
      }
      pointers[i + 1] = columns.count
    }
    matrix = SparseMatrix(
      uncheckedRows: n, columns: aggregation.count, rowPointers: pointers, columnIndices: columns,
      values: values)
    coarseCandidate = norms
  }
}
