import LinSolveCore

/// Classical algebraic multigrid (Ruge, Stüben 1987, "Algebraic multigrid", in *Multigrid
/// Methods*, SIAM; the method of hypre's BoomerAMG and pyamg's `ruge_stuben_solver`) as a
/// preconditioner: one cycle per ``apply(_:into:)`` (`--preconditioner amg`).
///
/// Each level splits its points into coarse and fine ones by the classical strength of
/// connection (θ = 0.25 by default, as BoomerAMG and pyamg; 0.5 suits 3-D problems), the
/// Ruge–Stüben first and second passes (``CoarseFineSplitting/rugeStuben(strength:dependents:secondPass:)``)
/// and classical interpolation truncated to 4 weights per row (``ClassicalInterpolation``);
/// the coarse operators are Galerkin products and the coarsest level (≤ 500 rows) is solved
/// directly. The smoother is the shared one (hybrid symmetric Gauss–Seidel by default, so the
/// cycle is symmetric for a symmetric `A` and valid for CG).
///
/// Unlike ``SmoothedAggregationAMG`` it accepts nonsymmetric matrices with a positive diagonal
/// (convection–diffusion M-matrices), for GMRES or BiCGSTAB.
///
/// ```swift
/// let amg = try RugeStubenAMG(A)
/// let result = try ConjugateGradient(preconditioner: amg).solve(A, b)
/// ```
public final class RugeStubenAMG: AlgebraicMultigrid {
  /// The parameters of the set-up and the cycle.
  public typealias Options = MultigridOptions

  /// The default strength threshold θ.
  public static let defaultTheta = 0.25

  /// `amg`.
  public override var name: String { "amg" }

  override var needsSymmetry: Bool { false }

  override func makeCoarsening() -> any Coarsening {
    RugeStubenCoarsening(theta: options.theta ?? Self.defaultTheta, maxInterpolationEntries: options.maxInterpolationEntries)
  }
}
