import LinSolveCore
import LinSolveDirect

/// The Jacobi (diagonal) preconditioner `M = D = diag(A)`, applied as `z = D⁻¹ r`.
///
/// The cheapest preconditioner: it removes bad row scaling, which matters for
/// variable-coefficient problems (a coefficient jump of 10⁴ makes the diagonal vary by as
/// much), and does nothing for a matrix whose diagonal is constant, such as the Poisson
/// matrices. See Saad, *Iterative Methods for Sparse Linear Systems*, 2nd ed. (SIAM 2003),
/// §10.2.
///
/// ```swift
/// let pcg = ConjugateGradient(preconditioner: try JacobiPreconditioner(A))
/// ```
///
/// Memory: one vector of length n (the inverse diagonal).
public final class JacobiPreconditioner: Preconditioner {
  /// `1 / a_ii`, computed by ``setUp(for:)``.
  public private(set) var inverseDiagonal: [Double] = []

  /// The order of the matrix the preconditioner was set up for (0 before ``setUp(for:)``).
  public var dimension: Int { inverseDiagonal.count }

  public var name: String { "jacobi" }

  /// A preconditioner that is not set up yet; call ``setUp(for:)`` before using it.
  public init() {}

  /// A preconditioner set up for `a`.
  ///
  /// - Throws: see ``setUp(for:)``.
  public convenience init(_ a: SparseMatrix) throws {
    self.init()
    try setUp(for: a)
  }

  /// Stores `1 / a_ii`.
  ///
  /// - Throws: ``LinSolveError/notSquare(rows:columns:)``;
  ///   ``LinSolveError/zeroDiagonal(row:)`` for the first row whose diagonal entry is zero
  ///   or not stored; ``LinSolveError/nonFinite(what:)`` for a NaN or Inf on the diagonal.
  /// - Complexity: O(nnz) to find the diagonal.
  public func setUp(for a: SparseMatrix) throws {
    guard a.rows == a.columns else { throw LinSolveError.notSquare(rows: a.rows, columns: a.columns) }
    let positions = a.diagonalPositions()
    var inverse = [Double](repeating: 0, count: a.rows)
    for i in 0..<a.rows {
      guard let p = positions[i], a.values[p] != 0 else { throw LinSolveError.zeroDiagonal(row: i) }
      let d = a.values[p]
      guard d.isFinite else { throw LinSolveError.nonFinite(what: "diagonal of A") }
      inverse[i] = 1 / d
    }
    inverseDiagonal = inverse
  }

  /// Computes `z_i = r_i / a_ii`, split across ``Parallel/threads``.
  ///
  /// - Complexity: O(n), one pass; no allocation.
  public func apply(_ r: UnsafeBufferPointer<Double>, into z: UnsafeMutableBufferPointer<Double>) {
    let n = inverseDiagonal.count
    precondition(r.count == n && z.count == n, "jacobi: vector sizes \(r.count), \(z.count) do not match the matrix (\(n))")
    guard n > 0, let rp = r.baseAddress, let zp = z.baseAddress else { return }
    inverseDiagonal.withUnsafeBufferPointer { d in
      let dp = d.baseAddress!
      Parallel.forEachChunk(n) { range in
        for i in range { zp[i] = rp[i] * dp[i] }
      }
    }
  }

  /// Computes `z_i = r_i / a_ii` and returns `rᵀz`, in one pass.
  public func applyAndDot(_ r: UnsafeBufferPointer<Double>, into z: UnsafeMutableBufferPointer<Double>) -> Double {
    let n = inverseDiagonal.count
    precondition(r.count == n && z.count == n, "jacobi: vector sizes \(r.count), \(z.count) do not match the matrix (\(n))")
    guard n > 0, let rp = r.baseAddress, let zp = z.baseAddress else { return 0 }
    return inverseDiagonal.withUnsafeBufferPointer { d in
      let dp = d.baseAddress!
      return Parallel.sum(n) { range in
        var s = 0.0
        for i in range {
          let ri = rp[i], zi = ri * dp[i]
          zp[i] = zi
          s += ri * zi
        }
        return s
      }
    }
  }
}

extension JacobiPreconditioner: DiagonalPreconditioner {}
