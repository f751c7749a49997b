import LinSolveCore

/// What `auto` picks for a matrix, and why (PETSc's `-ksp_view` spirit): the method and
/// preconditioner by the matrix's shape, size and symmetry.
///
/// - tall (m > n): least squares — sketch-preconditioned LSQR when m ≥ 4n and n ≥ 50, else LSQR;
/// - n ≤ ``directLimit``: Cholesky when symmetric with a positive diagonal (LU if it fails), else LU;
/// - larger, symmetric with a positive diagonal: PCG + IC(0) (Jacobi if IC(0) fails);
/// - otherwise GMRES(30) + ILU(0).
public struct AutoChoice: Sendable, Equatable {
  public var method: SolverMethod
  public var preconditioner: PreconditionerKind
  /// The rule that fired, in words: `n = 1024 ≤ 5000 and symmetric with a positive diagonal`.
  public var why: String

  /// Systems up to this order are solved directly.
  public static let directLimit = 5_000

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
      return AutoChoice(method: .pcg, preconditioner: .ic0, why: "n = \(a.rows) > \(directLimit) and \(shape)")
    }
    return AutoChoice(method: .gmres, preconditioner: .ilu0, why: "n = \(a.rows) > \(directLimit) and \(shape)")
  }

  /// The configuration of this choice under `stopping`, with the fallbacks auto allows.
  public func configuration(stopping: StoppingCriterion = StoppingCriterion()) -> SolverConfiguration {
    SolverConfiguration(method: method, preconditioner: preconditioner, stopping: stopping, fallBack: true)
  }
}
