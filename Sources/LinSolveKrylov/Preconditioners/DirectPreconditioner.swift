import LinSolveCore
import LinSolveDirect

/// A direct factorization used as a preconditioner: `z = A⁻¹ r` exactly (up to rounding).
///
/// With it, PCG converges in one or two iterations; it is the reference point for how much a
/// cheaper preconditioner leaves on the table, and a way to reuse one factorization of a
/// nearby matrix across a sequence of systems (factorize `A₀`, precondition `A₁, A₂, …`).
public final class DirectPreconditioner: Preconditioner {
  /// The factorization applied.
  public let factorization: any DirectSolver

  /// Wraps a factorization (set up already, or later through ``setUp(for:)``).
  public init(factorization: any DirectSolver = CholeskyFactorization()) {
    self.factorization = factorization
  }

  /// Factorizes `a` with CHOLMOD.
  public convenience init(_ a: SparseMatrix) throws {
    self.init()
    try setUp(for: a)
  }

  public func setUp(for a: SparseMatrix) throws {
    try factorization.factorize(a)
  }

  public func apply(_ r: UnsafeBufferPointer<Double>, into z: UnsafeMutableBufferPointer<Double>) {
    factorization.apply(r, into: z)
  }

  public var name: String { factorization is LUFactorization ? "lu" : "cholesky" }
}
