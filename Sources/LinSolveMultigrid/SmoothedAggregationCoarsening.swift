import LinSolveCore

/// The coarsening of smoothed aggregation (Vaněk, Mandel, Brezina 1996): symmetric strength of
/// connection → standard aggregation → tentative prolongator carrying the near-null-space
/// candidate (the constant on the finest level) → one Jacobi smoothing step of it.
struct SmoothedAggregationCoarsening: Coarsening {
  let strength: StrengthOfConnection
  /// The near-null-space candidate on the current level; `nil` means the constant vector.
  var candidate: [Double]?

  init(theta: Double) {
    strength = StrengthOfConnection(theta: theta)
  }

  mutating func prolongator(for a: SparseMatrix, diagonal: [Double], spectralRadius: () -> Double) -> SparseMatrix? {
    let graph = strength.graph(of: a, diagonal: diagonal)
    let aggregation = StandardAggregation.aggregate(graph)
    guard aggregation.count > 0, aggregation.count < a.rows else { return nil }
    let fine = candidate ?? [Double](repeating: 1, count: a.rows)
    let tentative = TentativeProlongator(aggregation: aggregation, candidate: fine)
    candidate = tentative.coarseCandidate
    let omega = (4.0 / 3.0) / spectralRadius()
    return SmoothedProlongator.smooth(tentative.matrix, with: a, diagonal: diagonal, omega: omega)
  }
}
