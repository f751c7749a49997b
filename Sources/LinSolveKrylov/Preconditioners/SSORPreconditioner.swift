import LinSolveCore
import LinSolveDirect

/// The symmetric successive over-relaxation (SSOR) preconditioner.
///
/// With `A = L + D + U` (strict lower part, diagonal, strict upper part) and `0 < ω < 2`,
///
///     M = (D + ωL) D⁻¹ (D + ωU) / (ω(2 − ω))          (ordering .forwardBackward)
///
/// so `z = M⁻¹r` is a forward sweep `(D + ωL) y = ω(2 − ω) r`, a scaling `w = D y` and a
/// backward sweep `(D + ωU) z = w`. With `ω = 1` this is symmetric Gauss–Seidel. See Saad,
/// *Iterative Methods for Sparse Linear Systems*, 2nd ed. (SIAM 2003), §4.1 and §10.2.
///
/// For symmetric positive definite `A`, `M` is symmetric positive definite for every
/// `ω ∈ (0, 2)`, so it can precondition CG. For nonsymmetric `A` the same formula is still a
/// valid (nonsymmetric) preconditioner for GMRES or BiCGSTAB, but not for CG.
///
/// ``Ordering/backwardForward`` applies the transposed product
/// `M = (D + ωU) D⁻¹ (D + ωL) / (ω(2 − ω))`: backward sweep first, then the scaling, then the
/// forward sweep. This is the ordering of the MATLAB code of Khodak, Chow, Balcan and
/// Talwalkar, *Learning to Relax: Setting Solver Parameters Across a Sequence of Linear
/// System Instances* (ICLR 2024), which applies `M₁ = (D + ωL)ᵀ D⁻¹` first; use it to
/// reproduce their iteration counts. For symmetric `A` both orderings give an SPD `M`; they
/// differ in which end of the numbering the sweep starts from.
///
/// ``omega`` can be changed between solves without a new ``setUp(for:)``: the diagonal
/// positions and `D⁻¹` do not depend on ω (a bandit tuner changes ω every solve on the same
/// matrix).
///
/// ```swift
/// let ssor = try SSORPreconditioner(A, omega: 1.5)
/// let pcg = ConjugateGradient(preconditioner: ssor)
/// ssor.omega = 1.2   // next solve uses ω = 1.2
/// ```
///
/// Memory: the matrix is shared (copy-on-write, not copied), plus two vectors of length n
/// (diagonal positions and `D⁻¹`). The sweeps run in place in `z`; no scratch vector.
public final class SSORPreconditioner: Preconditioner {
  /// Which triangular sweep comes first.
  public enum Ordering: String, Sendable, CaseIterable {
    /// `M = (D + ωL) D⁻¹ (D + ωU) / (ω(2 − ω))`: forward sweep, then backward (textbook).
    case forwardBackward
    /// `M = (D + ωU) D⁻¹ (D + ωL) / (ω(2 − ω))`: backward sweep, then forward
    /// (Khodak et al. 2024).
    case backwardForward
  }

  /// The relaxation parameter, in (0, 2). Changing it is O(1) and needs no new setup.
  ///
  /// - Precondition: `0 < omega < 2` (check a value with ``validate(omega:)`` first if it
  ///   comes from input).
  public var omega: Double {
    didSet {
      precondition(omega > 0 && omega < 2, "SSOR: omega = \(omega) is not in (0, 2)")
    }
  }

  /// The order of the sweeps.
  public var ordering: Ordering

  private var matrix = SparseMatrix.identity(0)
  private var diagonalPositions: [Int] = []
  private var inverseDiagonal: [Double] = []

  /// The order of the matrix the preconditioner was set up for (0 before ``setUp(for:)``).
  public var dimension: Int { inverseDiagonal.count }

  /// `ssor(ω)`, or `ssor-bf(ω)` for the backward–forward ordering.
  public var name: String {
    ordering == .forwardBackward ? "ssor(\(omega))" : "ssor-bf(\(omega))"
  }

  /// A preconditioner that is not set up yet; call ``setUp(for:)`` before using it.
  ///
  /// - Throws: ``LinSolveError/invalidParameter(name:reason:)`` unless `0 < omega < 2`.
  public init(omega: Double = 1, ordering: Ordering = .forwardBackward) throws {
    try Self.validate(omega: omega)
    self.omega = omega
    self.ordering = ordering
  }

  /// A preconditioner set up for `a`.
  ///
  /// - Throws: see ``init(omega:ordering:)`` and ``setUp(for:)``.
  public convenience init(_ a: SparseMatrix, omega: Double = 1, ordering: Ordering = .forwardBackward) throws {
    try self.init(omega: omega, ordering: ordering)
    try setUp(for: a)
  }

  /// Throws unless `0 < omega < 2`, the range where SSOR converges for SPD matrices.
  public static func validate(omega: Double) throws {
    guard omega > 0, omega < 2 else {
      throw LinSolveError.invalidParameter(name: "omega", reason: "\(omega) is not in (0, 2)")
    }
  }

  /// Finds the diagonal of `a` and stores `D⁻¹`; keeps a (shared) reference to `a`.
  ///
  /// - Throws: ``LinSolveError/notSquare(rows:columns:)``;
  ///   ``LinSolveError/zeroDiagonal(row:)`` for the first row whose diagonal is zero or not
  ///   stored; ``LinSolveError/nonFinite(what:)`` for NaN or Inf in `a`;
  ///   ``LinSolveError/invalidParameter(name:reason:)`` if ``omega`` is out of range.
  /// - Complexity: O(nnz).
  public func setUp(for a: SparseMatrix) throws {
    try Self.validate(omega: omega)
    guard a.rows == a.columns else { throw LinSolveError.notSquare(rows: a.rows, columns: a.columns) }
    guard Vector.allFinite(a.values) else { throw LinSolveError.nonFinite(what: "matrix A") }
    let found = a.diagonalPositions()
    var positions = [Int](repeating: 0, count: a.rows)
    var inverse = [Double](repeating: 0, count: a.rows)
    for i in 0..<a.rows {
      guard let p = found[i], a.values[p] != 0 else { throw LinSolveError.zeroDiagonal(row: i) }
      positions[i] = p
      inverse[i] = 1 / a.values[p]
    }
    matrix = a
    diagonalPositions = positions
    inverseDiagonal = inverse
  }

  /// Computes `z = M⁻¹ r` by two triangular sweeps, in place in `z`.
  ///
  /// - Complexity: O(nnz): each stored entry is read once per sweep; no allocation.
  public func apply(_ r: UnsafeBufferPointer<Double>, into z: UnsafeMutableBufferPointer<Double>) {
    let n = inverseDiagonal.count
    precondition(r.count == n && z.count == n, "ssor: vector sizes \(r.count), \(z.count) do not match the matrix (\(n))")
    guard n > 0, let rp = r.baseAddress, let zp = z.baseAddress else { return }
    let w = omega
    // With c = ω(2 − ω), y_i = (c·r_i − ω·Σ a_ij y_j) / d_i is computed as
    // −(ω/d_i)·(−(2 − ω)·r_i + Σ a_ij y_j):
    // the ω/d_i factor is off the critical path, so each row waits on its predecessor for
    // one multiply-add chain and one multiply only (the sweeps are latency-bound).
    let negativeCOverW = -(2 - omega)
    let forwardFirst = ordering == .forwardBackward
    matrix.rowPointers.withUnsafeBufferPointer { rowPointers in
      matrix.columnIndices.withUnsafeBufferPointer { columns in
        matrix.values.withUnsafeBufferPointer { values in
          diagonalPositions.withUnsafeBufferPointer { diagonal in
            inverseDiagonal.withUnsafeBufferPointer { inverse in
              let ap = rowPointers.baseAddress!, cp = columns.baseAddress!, vp = values.baseAddress!
              let dp = diagonal.baseAddress!, ip = inverse.baseAddress!
              if forwardFirst {
                // (D + ωL) y = c·r, y stored in z.
                for i in 0..<n {
                  var s = negativeCOverW * rp[i]
                  for k in ap[i]..<dp[i] { s += vp[k] * zp[Int(cp[k])] }
                  zp[i] = -(w * ip[i]) * s
                }
                // (D + ωU) z = D y:  z_i = y_i − ω/d_i · Σ_{j>i} a_ij z_j.
                var i = n - 1
                while i >= 0 {
                  var s = 0.0
                  for k in (dp[i] + 1)..<ap[i + 1] { s += vp[k] * zp[Int(cp[k])] }
                  zp[i] -= (w * ip[i]) * s
                  i -= 1
                }
              } else {
                // (D + ωU) y = c·r, y stored in z.
                var i = n - 1
                while i >= 0 {
                  var s = negativeCOverW * rp[i]
                  for k in (dp[i] + 1)..<ap[i + 1] { s += vp[k] * zp[Int(cp[k])] }
                  zp[i] = -(w * ip[i]) * s
                  i -= 1
                }
                // (D + ωL) z = D y:  z_i = y_i − ω/d_i · Σ_{j<i} a_ij z_j.
                for i in 0..<n {
                  var s = 0.0
                  for k in ap[i]..<dp[i] { s += vp[k] * zp[Int(cp[k])] }
                  zp[i] -= (w * ip[i]) * s
                }
              }
            }
          }
        }
      }
    }
  }
}
