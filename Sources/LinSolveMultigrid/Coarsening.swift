import LinSolveCore

/// How an algebraic multigrid chooses the next coarser level: the prolongator `P` from the
/// level's operator. The hierarchy forms `A_c = PᵀAP` (``GalerkinProduct``) and asks again on
/// `A_c`. Smoothed aggregation (``SmoothedAggregationCoarsening``) and Ruge–Stüben coarsening
/// differ only here; smoothing, the cycle, refresh and the coarsest solve are shared.
protocol Coarsening {
  /// The prolongator for the level operator `a` (square, diagonal `diagonal > 0`): `a.rows × n_c`
  /// with `0 < n_c < a.rows`, or `nil` when `a` cannot be coarsened further. `spectralRadius`
  /// returns an estimate of `ρ(D⁻¹A)` (computed once per level, on demand). A coarsening may keep
  /// state from one level to the next (smoothed aggregation carries its near-null-space candidate).
  mutating func prolongator(for a: SparseMatrix, diagonal: [Double], spectralRadius: () -> Double) -> SparseMatrix?
}
