import ArgumentParser
import LinSolve

/// Solution methods selectable with `--method`.
enum Method: String, ExpressibleByArgument, CaseIterable, Codable {
  case auto, cg, pcg, sor, ssor, gmres, minres, bicgstab, cholesky, lu
  case lsqr, lsmr, lapack, kaczmarz
  case sketchLSQR = "sketch-lsqr"
  case iterativeSketch = "iterative-sketch"
  case sketchProject = "sketch-project"

  static var allValueStrings: [String] { allCases.map(\.rawValue) }

  var isDirect: Bool { self == .cholesky || self == .lu }
  /// Least-squares methods: they accept rectangular (tall) matrices.
  var isLeastSquares: Bool { [.lsqr, .lsmr, .lapack, .sketchLSQR, .iterativeSketch].contains(self) }
  /// Row-action methods (Kaczmarz, sketch-and-project): square or tall consistent systems.
  var isRowAction: Bool { self == .kaczmarz || self == .sketchProject }
  /// Methods that take `--preconditioner`.
  var acceptsPreconditioner: Bool { [.cg, .pcg, .gmres, .minres, .bicgstab].contains(self) }
}

/// Preconditioners selectable with `--preconditioner`.
enum PreconditionerKind: String, ExpressibleByArgument, CaseIterable, Codable {
  case none, jacobi, ssor, ic0, ilu0, cholesky, nystrom
  static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

/// What `auto` resolves to on a given matrix, and why (PETSc's `-ksp_view` spirit).
struct AutoChoice {
  var method: Method
  var preconditioner: PreconditionerKind
  var why: String

  /// Systems up to this size are solved directly.
  static let directLimit = 5_000

  /// `auto`: n ≤ 5,000 → direct (Cholesky if symmetric with a positive diagonal, else LU);
  /// larger symmetric with a positive diagonal → PCG + IC(0); otherwise GMRES + ILU(0).
  static func choose(for a: SparseMatrix) -> AutoChoice {
    if a.rows > a.columns {
      return AutoChoice(method: a.rows >= 4 * a.columns && a.columns >= 50 ? .sketchLSQR : .lsqr, preconditioner: .none,
                        why: "\(a.rows)×\(a.columns) is tall: least squares")
    }
    let symmetric = a.isSymmetric(tolerance: 1e-14)
    let positiveDiagonal = a.diagonal().allSatisfy { $0 > 0 }
    let spdLike = symmetric && positiveDiagonal
    let shape = spdLike ? "symmetric with a positive diagonal"
      : symmetric ? "symmetric, diagonal not positive" : "not symmetric"
    if a.rows <= directLimit {
      return AutoChoice(method: spdLike ? .cholesky : .lu, preconditioner: .none,
                        why: "n = \(a.rows) ≤ \(directLimit) and \(shape)")
    }
    if spdLike {
      return AutoChoice(method: .pcg, preconditioner: .ic0, why: "n = \(a.rows) > \(directLimit) and \(shape)")
    }
    return AutoChoice(method: .gmres, preconditioner: .ilu0, why: "n = \(a.rows) > \(directLimit) and \(shape)")
  }
}
