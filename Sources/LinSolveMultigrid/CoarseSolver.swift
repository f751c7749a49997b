import LinSolveCore
import LinSolveDirect

/// The exact solve on the coarsest level of a hierarchy: CHOLMOD's Cholesky factorization, or
/// UMFPACK's LU when the coarse matrix is not symmetric or not (numerically) positive definite,
/// or — when it is singular and small — its pseudo-inverse (``DensePseudoInverse``).
enum CoarseSolver {
  case cholesky(CholeskyFactorization)
  case lu(LUFactorization)
  case pseudoInverse(DensePseudoInverse)

  /// Below this `1/κ` estimate a factorization that went through counts as singular.
  static let singularReciprocalCondition = 1e-13

  /// Factorizes `a`. Symmetric: Cholesky, unless it fails or its pivots show `a` numerically
  /// singular — then the pseudo-inverse while `a` is small (an indefinite `a` gets its exact
  /// inverse that way), else LU. Nonsymmetric: LU, the pseudo-inverse if LU finds `a` singular.
  ///
  /// - Throws: ``LinSolveError/factorizationFailed(reason:)`` when `a` is singular and has more
  ///   than ``DensePseudoInverse/maximumRows`` rows.
  init(_ a: SparseMatrix, symmetric: Bool) throws {
    let small = a.rows <= DensePseudoInverse.maximumRows
    if symmetric {
      if let f = try? CholeskyFactorization(a), f.reciprocalConditionEstimate >= Self.singularReciprocalCondition {
        self = .cholesky(f)
        return
      }
      if small {
        self = .pseudoInverse(try DensePseudoInverse(a, symmetric: true))
        return
      }
    }
    if let f = try? LUFactorization(a) {
      self = .lu(f)
      return
    }
    guard small else {
      throw LinSolveError.factorizationFailed(
        reason: "the coarsest AMG matrix (\(a.rows) rows) is singular; lower maxCoarse to at most \(DensePseudoInverse.maximumRows) so its pseudo-inverse can be used")
    }
    self = .pseudoInverse(try DensePseudoInverse(a, symmetric: false))
  }

  /// `x = A_c⁻¹ b` (`A_c⁺ b` when singular); allocation-free after the first solve (the
  /// factorizations keep their solve workspace).
  func solve(_ b: UnsafeBufferPointer<Double>, into x: UnsafeMutableBufferPointer<Double>) {
    switch self {
    case let .cholesky(f): f.apply(b, into: x)
    case let .lu(f): f.apply(b, into: x)
    case let .pseudoInverse(p): p.solve(b, into: x)
    }
  }

  /// `cholesky`, `lu` or `pseudo-inverse`.
  var name: String {
    switch self {
    case .cholesky: return "cholesky"
    case .lu: return "lu"
    case .pseudoInverse: return "pseudo-inverse"
    }
  }
}
