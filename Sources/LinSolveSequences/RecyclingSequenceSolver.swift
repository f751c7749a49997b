import LinSolveCore
import LinSolveKrylov
import LinSolveRecycling

/// Solves a sequence of systems of one order with a Krylov subspace carried from each system to
/// the next — deflated CG for SPD systems, GCRO-DR(40, k) otherwise (*Sorting Krylov Recycling*,
/// ICLR 2024) — with the preconditioner set up again for each matrix. `k = 0` solves each
/// system independently (plain PCG or GMRES(40)), the baseline.
///
/// ```swift
/// let recycler = try RecyclingSequenceSolver(method: .cg, recycleDimension: 10, preconditioner: .jacobi)
/// let order = SystemOrdering.greedyNearestNeighbor(sequence)
/// for i in order { let result = try recycler.solve(sequence[i]) }
/// ```
public final class RecyclingSequenceSolver {
  public enum Method: String, Sendable, CaseIterable, Codable {
    /// Deflated CG (SPD systems).
    case cg
    /// GCRO-DR(40, k).
    case gmres
  }

  public let method: Method
  /// `k`, the dimension of the carried space (0: none).
  public let recycleDimension: Int
  /// `none`, `jacobi`, `ic0` (CG) or `ilu0` (GMRES).
  public let preconditionerKind: PreconditionerKind
  private let preconditioner: (any Preconditioner)?
  private let solver: any RecyclingSolver
  /// The criterion every system's verdict is judged by.
  private let stopping: StoppingCriterion

  /// - Throws: ``LinSolveError/invalidParameter(name:reason:)`` for a negative `k` or a
  ///   preconditioner other than none, Jacobi, IC(0) and ILU(0).
  public init(
    method: Method, recycleDimension k: Int, preconditioner: PreconditionerKind = .none,
    stopping: StoppingCriterion = StoppingCriterion()
  ) throws {
    guard k >= 0 else { throw LinSolveError.invalidParameter(name: "recycleDimension", reason: "\(k) is negative") }
    self.method = method
    recycleDimension = k
    preconditionerKind = preconditioner
    switch preconditioner {
    case .none: self.preconditioner = nil
    case .jacobi: self.preconditioner = JacobiPreconditioner()
    case .ic0: self.preconditioner = IncompleteCholesky()
    case .ilu0: self.preconditioner = IncompleteLU()
    case .ssor, .cholesky, .nystrom, .amgSA, .amg, .learned:
      throw LinSolveError.invalidParameter(
        name: "preconditioner", reason: "\(preconditioner.rawValue) is not one of none, jacobi, ic0, ilu0 for recycling")
    }
    let dimension = max(k, 1)
    solver = method == .gmres
      ? GCRODR(stopping: stopping, restart: 40, recycleDimension: dimension, preconditioner: self.preconditioner)
      : DeflatedCG(stopping: stopping, recycleDimension: dimension, ritzDirections: max(2 * k, 1), preconditioner: self.preconditioner)
    solver.updatesSpace = k > 0
    self.stopping = stopping
  }

  /// The method's name for reports: `deflated-cg(10)`, `gcrodr(40,10)`, or `cg` / `gmres` for k = 0.
  public var name: String {
    recycleDimension == 0 ? method.rawValue : (method == .gmres ? "gcrodr(40,\(recycleDimension))" : "deflated-cg(\(recycleDimension))")
  }

  /// Solves the next system of the sequence (setting the preconditioner up for its matrix),
  /// judged by the true residual.
  public func solve(_ system: LinearSystem) throws -> SolveResult {
    try preconditioner?.setUp(for: system.matrix)
    if recycleDimension == 0 { solver.reset() }
    return try solver.solve(system.matrix, system.rhs, x0: system.initialGuess, operatorChanged: nil, monitor: nil)
      .judged(by: stopping, a: system.matrix, b: system.rhs)
  }
}
