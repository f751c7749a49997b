import LinSolve

/// Builds the preconditioner and the iterative solver the options ask for.
struct SolverFactory {
  var method: Method
  var preconditioner: PreconditionerKind
  var omega: Double
  var restart: Int
  /// Nyström rank (nil: adaptive) and the shift μ the matrix includes.
  var rank: Int? = nil
  var shift: Double? = nil
  var seed: UInt64 = 0
  var stopping: StoppingCriterion
  var recordHistory: Bool
  /// When IC(0) cannot be built, fall back to Jacobi (what `auto` does) instead of failing.
  var fallBackToJacobi: Bool

  /// Notes for the report (e.g. an IC(0) shift, a fallback).
  private(set) var notes: [String] = []
  /// The name of the preconditioner actually used.
  private(set) var preconditionerName = "none"

  /// Sets up the preconditioner for `a` (the expensive, once-per-matrix part).
  mutating func makePreconditioner(for a: SparseMatrix) throws -> (any Preconditioner)? {
    switch preconditioner {
    case .none:
      return nil
    case .jacobi:
      return named(try JacobiPreconditioner(a))
    case .ssor:
      return named(try SSORPreconditioner(a, omega: omega))
    case .ilu0:
      return named(try IncompleteLU(a))
    case .cholesky:
      return named(try DirectPreconditioner(a))
    case .nystrom:
      guard let shift else { throw LinSolveError.invalidParameter(name: "shift", reason: "--preconditioner nystrom needs --shift μ (the matrix is A + μI)") }
      let m = try NystromPreconditioner(shift: shift, rank: rank, seed: seed, matrixIncludesShift: true)
      try m.setUp(for: a)
      notes.append("Nyström rank \(m.rank), \(m.setUpMatvecs) products to set up")
      return named(m)
    case .ic0:
      do {
        let ic = try IncompleteCholesky(a)
        if ic.shift > 0 { notes.append("IC(0) needed a diagonal shift of \(ic.shift)·diag(A)") }
        return named(ic)
      } catch where fallBackToJacobi {
        notes.append("IC(0) failed (\(error)); using Jacobi")
        return named(try JacobiPreconditioner(a))
      }
    }
  }

  private mutating func named(_ m: any Preconditioner) -> any Preconditioner {
    preconditionerName = m.name
    return m
  }

  /// The iterative solver (not for direct methods).
  func makeSolver(preconditioner m: (any Preconditioner)?) -> any IterativeSolver {
    switch method {
    case .cg, .pcg:
      return ConjugateGradient(stopping: stopping, preconditioner: m, recordHistory: recordHistory)
    case .sor:
      return SOR(omega: omega, symmetric: false, stopping: stopping, recordHistory: recordHistory)
    case .ssor:
      return SOR(omega: omega, symmetric: true, stopping: stopping, recordHistory: recordHistory)
    case .gmres:
      return GMRES(stopping: stopping, restart: restart, preconditioner: m, recordHistory: recordHistory)
    case .minres:
      return MINRES(stopping: stopping, preconditioner: m, recordHistory: recordHistory)
    case .bicgstab:
      return BiCGSTAB(stopping: stopping, preconditioner: m, recordHistory: recordHistory)
    case .auto, .cholesky, .lu, .lsqr, .lsmr, .lapack, .kaczmarz, .sketchLSQR, .iterativeSketch, .sketchProject:
      preconditionFailure("\(method) is not a square iterative method")
    }
  }
}
