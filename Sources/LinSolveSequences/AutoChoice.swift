import LinSolveCore

/// What `auto` picks for a matrix, and why (PETSc's `-ksp_view` spirit): the method and
/// preconditioner by the matrix's shape, size and symmetry.
///
/// - tall (m > n): least squares — sketch-preconditioned LSQR when m ≥ 4n and n ≥ 50, else LSQR;
/// - n ≤ ``directLimit``: Cholesky when symmetric with a positive diagonal (LU if it fails), else LU;
/// - larger, symmetric with a positive diagonal: PCG + smoothed-aggregation AMG — except a
///   stencil-like matrix with ≥ ``denseStencilEntries`` entries per row (3-D 7-point and wider)
///   below ``multigridOrder3D`` unknowns, where PCG + IC(0) is faster (Jacobi if either fails);
/// - otherwise GMRES(30) + ILU(0).
///
/// Measured on this project's 2-core machine (`make bench-amg-full`, setup + solve, rtol 1e-8):
/// 2-D Poisson 1024²: AMG-PCG 1.1–1.4 s (11 its), IC(0)-PCG 9.8 s (573 its), CHOLMOD 4.0 s;
/// 2-D diffusion with κ = e^{2.5g}, 1024²: AMG 1.3–1.6 s (10 its), IC(0) 26.7 s, CHOLMOD 5.1 s;
/// 3-D Poisson 64³: AMG 1.2 s (11 its), IC(0) 0.77 s (66 its); 100³: AMG 2.5 s, IC(0) 2.4 s.
public struct AutoChoice: Sendable, Equatable {
  public var method: SolverMethod
  public var preconditioner: PreconditionerKind
  /// The rule that fired, in words: `n = 1024 ≤ 5000 and symmetric with a positive diagonal`.
  public var why: String

  /// Systems up to this order are solved directly.
  public static let directLimit = 5_000
  /// Entries per row from which a matrix counts as a 3-D stencil (a 2-D 5-point matrix has < 5).
  public static let denseStencilEntries = 6.5
  /// The order from which AMG beats IC(0) on 3-D stencils.
  public static let multigridOrder3D = 1_000_000

  /// The choice for `a`.
  public static func choose(for a: SparseMatrix) -> AutoChoice {
    if a.rows > a.columns {
      return AutoChoice(
        method: a.rows >= 4 * a.columns && a.columns >= 50 ? .sketchLSQR : .lsqr, preconditioner: .none,
        why: "\(a.rows)×\(a.columns) is tall: least squares")
    }
    let symmetric = a.isSymmetric(tolerance: 1e-14)
    let positiveDiagonal = a.diagonal().allSatisfy { $0 > 0 }
    let spdLike = symmetric && positiveDiagonal
    let shape = spdLike ? "symmetric with a positive diagonal"
      : symmetric ? "symmetric, diagonal not positive" : "not symmetric"
    if a.rows <= directLimit {
      return AutoChoice(method: spdLike ? .cholesky : .lu, preconditioner: .none, why: "n = \(a.rows) ≤ \(directLimit) and \(shape)")
    }
    if spdLike {
      let perRow = Double(a.nonzeros) / Double(a.rows)
      if perRow >= denseStencilEntries && a.rows < multigridOrder3D {
        return AutoChoice(
          method: .pcg, preconditioner: .ic0,
          why: "n = \(a.rows) > \(directLimit), \(shape), \(Self.format(perRow)) entries per row (3-D-like) and n < \(multigridOrder3D)")
      }
      return AutoChoice(
        method: .pcg, preconditioner: .amgSA,
        why: "n = \(a.rows) > \(directLimit), \(shape) and \(Self.format(perRow)) entries per row")
    }
    return AutoChoice(method: .gmres, preconditioner: .ilu0, why: "n = \(a.rows) > \(directLimit) and \(shape)")
  }

  /// The configuration of this choice under `stopping`, with the fallbacks auto allows.
  public func configuration(stopping: StoppingCriterion = StoppingCriterion()) -> SolverConfiguration {
    SolverConfiguration(method: method, preconditioner: preconditioner, stopping: stopping, fallBack: true)
  }

  private static func format(_ value: Double) -> String {
    let tenths = (value * 10).rounded() / 10
    return tenths == tenths.rounded() ? "\(Int(tenths))" : "\(tenths)"
  }
}
