import LinSolveCore

/// Smoothed-aggregation algebraic multigrid (Vaněk, Mandel, Brezina 1996, "Algebraic multigrid
/// by smoothed aggregation for second and fourth order elliptic problems", Computing 56) as a
/// preconditioner: one cycle per ``apply(_:into:)`` (`--preconditioner amg-sa`).
///
/// The behaviour follows pyamg's `smoothed_aggregation_solver` with its defaults: symmetric
/// strength of connection with θ = 0, standard aggregation, the constant near-null-space
/// candidate, Jacobi-smoothed prolongation with ω = (4/3)/ρ(D⁻¹A), Galerkin coarse operators,
/// at most 10 levels, coarsening stopped at 500 rows and the coarsest level solved directly
/// (here by CHOLMOD, or UMFPACK if the coarse matrix is not positive definite). The smoother
/// is symmetric Gauss–Seidel split as one forward sweep before and one backward sweep after
/// the coarse correction, so the cycle is symmetric positive definite and valid for CG.
///
/// ```swift
/// let amg = try SmoothedAggregationAMG(A)
/// print(amg.summary!)            // levels, rows, nonzeros, complexities
/// let result = try ConjugateGradient(preconditioner: amg).solve(A, b)
/// ```
public final class SmoothedAggregationAMG: AlgebraicMultigrid {
  /// The parameters of the set-up and the cycle.
  public typealias Options = MultigridOptions

  /// `amg-sa`.
  public override var name: String { "amg-sa" }

  override func makeCoarsening() -> any Coarsening {
    SmoothedAggregationCoarsening(theta: options.theta ?? 0)
  }
}
