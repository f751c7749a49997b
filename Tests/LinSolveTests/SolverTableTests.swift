import Foundation
import Testing
@testable import LinSolve

/// The cross-solver table (SciPy's `test_iterative` style): every method on every matrix it
/// applies to, checked against a direct solve (CHOLMOD for SPD matrices, UMFPACK otherwise) and by
/// the true residual; expected non-convergence is declared, not skipped silently.
@Suite("Solver × matrix table")
struct SolverTableTests {
  enum Kind { case spd, nonsymmetric, symmetricIndefinite }

  struct Case: CustomStringConvertible, Sendable {
    var name: String
    var kind: Kind
    var matrix: SparseMatrix
    var description: String { name }
  }

  struct MethodCase: CustomStringConvertible, Sendable {
    var name: String
    /// Kinds the method is expected to solve.
    var solves: Set<Kind>
    /// What the method must report on the kinds it does not solve (nil: not run there).
    var failsWith: [Kind: Set<StopReason>]
    /// Cases it applies to but does not finish within the iteration cap (declared, and checked:
    /// the reason must be `maxIterations`).
    var slowOn: Set<String> = []
    var make: @Sendable (SparseMatrix, StoppingCriterion) throws -> any IterativeSolver
    var description: String { name }
  }

  static let dataMatrix: SparseMatrix = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return try! MatrixMarket.readMatrix(path: root.appendingPathComponent("Data/convdiff_20.mtx").path)
  }()

  static let cases: [Case] = [
    Case(name: "poisson1d", kind: .spd, matrix: Poisson.matrix1D(150)),
    Case(name: "poisson2d", kind: .spd, matrix: Poisson.matrix2D(20)),
    Case(name: "poisson3d", kind: .spd, matrix: Poisson.matrix3D(8)),
    Case(name: "jump1e4", kind: .spd, matrix: Diffusion.matrix2D(20) { x, y in
      (x - 0.5) * (x - 0.5) + (y - 0.5) * (y - 0.5) < 0.1 ? 1e4 : 1 }),
    Case(name: "convdiff-data", kind: .nonsymmetric, matrix: dataMatrix),
    Case(name: "indefinite", kind: .symmetricIndefinite, matrix: Poisson.matrix2D(12).shifted(by: -1)),
  ]

  static let all: Set<Kind> = [.spd, .nonsymmetric, .symmetricIndefinite]

  static let methods: [MethodCase] = [
    MethodCase(name: "cg", solves: [.spd], failsWith: [.symmetricIndefinite: [.indefinite]]) { _, s in
      ConjugateGradient(stopping: s) },
    MethodCase(name: "pcg-jacobi", solves: [.spd], failsWith: [:]) { a, s in
      ConjugateGradient(stopping: s, preconditioner: try JacobiPreconditioner(a)) },
    MethodCase(name: "pcg-ssor", solves: [.spd], failsWith: [:]) { a, s in
      ConjugateGradient(stopping: s, preconditioner: try SSORPreconditioner(a, omega: 1.2)) },
    MethodCase(name: "pcg-ic0", solves: [.spd], failsWith: [:]) { a, s in
      ConjugateGradient(stopping: s, preconditioner: try IncompleteCholesky(a)) },
    MethodCase(name: "sor-1.7", solves: [.spd, .nonsymmetric],
               failsWith: [.symmetricIndefinite: [.diverged]], slowOn: ["jump1e4"]) { _, s in
      SOR(omega: 1.7, stopping: s) },
    MethodCase(name: "ssor-1.5", solves: [.spd, .nonsymmetric], failsWith: [:], slowOn: ["jump1e4", "poisson1d"]) { _, s in
      SOR(omega: 1.5, symmetric: true, stopping: s) },
    MethodCase(name: "gmres30", solves: all, failsWith: [:], slowOn: ["jump1e4"]) { _, s in GMRES(stopping: s, restart: 30) },
    MethodCase(name: "gmres30-ilu0", solves: [.spd, .nonsymmetric], failsWith: [:]) { a, s in
      GMRES(stopping: s, restart: 30, preconditioner: try IncompleteLU(a)) },
    MethodCase(name: "minres", solves: [.spd, .symmetricIndefinite], failsWith: [:]) { _, s in MINRES(stopping: s) },
    MethodCase(name: "bicgstab", solves: [.spd, .nonsymmetric], failsWith: [:]) { _, s in BiCGSTAB(stopping: s) },
    MethodCase(name: "bicgstab-ilu0", solves: [.spd, .nonsymmetric], failsWith: [:]) { a, s in
      BiCGSTAB(stopping: s, preconditioner: try IncompleteLU(a)) },
  ]

  /// The reference solution from CHOLMOD (SPD) or UMFPACK.
  static func reference(_ c: Case, _ b: [Double]) throws -> [Double] {
    c.kind == .spd ? try CholeskyFactorization(c.matrix).solve(b) : try LUFactorization(c.matrix).solve(b)
  }

  @Test("Method × matrix", arguments: methods, cases)
  func table(method: MethodCase, matrix c: Case) throws {
    let rtol = 1e-8
    let stopping = StoppingCriterion(rtol: rtol, maxIterations: c.kind == .spd && method.name.hasPrefix("sor") ? 20_000 : 5_000)
    var rng = TestRandom(seed: 99)
    let b = rng.vector(c.matrix.rows)
    if method.slowOn.contains(c.name) {
      let result = try method.make(c.matrix, stopping).solve(c.matrix, b, x0: nil, monitor: nil)
      #expect(result.reason == .maxIterations, "\(method) on \(c) was declared slow; got \(result.reason)")
    } else if method.solves.contains(c.kind) {
      let result = try method.make(c.matrix, stopping).solve(c.matrix, b, x0: nil, monitor: nil)
      #expect(result.reason == .converged, "\(method) on \(c): \(result.reason) after \(result.iterations)")
      let trueResidual = c.matrix.residualNorm(x: result.x, b: b)
      #expect(trueResidual <= 10 * rtol * Vector.norm(b), "\(method) on \(c): true residual \(trueResidual)")
      #expect(abs(trueResidual - result.trueResidualNorm) <= 1e-10 * Vector.norm(b))
      let reference = try Self.reference(c, b)
      let error = Vector.norm(zip(result.x, reference).map { $0 - $1 }) / Vector.norm(reference)
      // Forward error ≤ κ · residual: generous bound for these well-posed test matrices.
      #expect(error <= 1e-3, "\(method) on \(c): forward error \(error)")
    } else if let expected = method.failsWith[c.kind] {
      let result = try method.make(c.matrix, stopping).solve(c.matrix, b, x0: nil, monitor: nil)
      #expect(expected.contains(result.reason), "\(method) on \(c): expected \(expected), got \(result.reason)")
    }
  }
}
