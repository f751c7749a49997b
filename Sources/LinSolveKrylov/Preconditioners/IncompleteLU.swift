import LinSolveCore
import LinSolveDirect

/// Incomplete LU factorization with zero fill, ILU(0): `A ≈ L U` where `L` is unit lower
/// triangular, `U` upper triangular, and both keep exactly the sparsity pattern of `A`.
/// Applied as `z = U⁻¹ L⁻¹ r`.
///
/// The factorization is the IKJ variant of Gaussian elimination over CSR rows (Saad,
/// *Iterative Methods for Sparse Linear Systems*, 2nd ed., SIAM 2003, Algorithm 10.4),
/// with every update that would fall outside the pattern of `A` dropped:
///
///     for i = 1 … n−1, for k < i with a_ik ≠ 0:
///         a_ik ← a_ik / a_kk
///         for j > k with a_ij ≠ 0:  a_ij ← a_ij − a_ik · a_kj
///
/// `L` and `U` overwrite a copy of `A`'s values (`L`'s unit diagonal is implicit). It exists
/// for M-matrices (Meijerink & van der Vorst 1977) and is the usual first choice for
/// nonsymmetric problems with GMRES or BiCGSTAB. On a symmetric M-matrix it equals IC(0) up
/// to the scaling of the factors, so it can also precondition CG there.
///
/// A second ``setUp(for:)`` with a matrix of the same sparsity pattern skips the symbolic
/// phase (diagonal positions, scratch) and only redoes the numeric factorization;
/// ``symbolicSetups`` counts the symbolic phases.
///
/// Memory: one copy of `A`'s values (the factors), the shared pattern of `A`, and two vectors
/// of length n (diagonal positions and `1/u_ii`).
public final class IncompleteLU: Preconditioner {
  /// A pivot `|u_ii| ≤ pivotTolerance · max_j |a_ij|` counts as zero.
  public static let pivotTolerance = 1e-14

  /// How many times the symbolic phase ran; it is skipped when ``setUp(for:)`` sees the
  /// pattern of the previous matrix again.
  public private(set) var symbolicSetups = 0

  // Pattern of A (shared with the matrix, not copied) and the factors in A's layout.
  private var rowPointers: [Int] = [0]
  private var columnIndices: [Int32] = []
  private var diagonalPositions: [Int] = []
  private var factors: [Double] = []
  private var inverseDiagonal: [Double] = []
  // Scratch for the factorization: position in row i of each column, or −1.
  private var marker: [Int] = []
  private var factored = false

  /// The order of the matrix the preconditioner was set up for (0 before ``setUp(for:)``).
  public private(set) var dimension = 0

  public var name: String { "ilu0" }

  /// A preconditioner that is not set up yet; call ``setUp(for:)`` before using it.
  public init() {}

  /// A preconditioner set up for `a`.
  ///
  /// - Throws: see ``setUp(for:)``.
  public convenience init(_ a: SparseMatrix) throws {
    self.init()
    try setUp(for: a)
  }

  /// Computes the ILU(0) factors of `a`.
  ///
  /// - Throws: ``LinSolveError/notSquare(rows:columns:)``;
  ///   ``LinSolveError/nonFinite(what:)``; ``LinSolveError/zeroDiagonal(row:)`` when a
  ///   diagonal entry is not stored (ILU(0) cannot create it);
  ///   ``LinSolveError/factorizationFailed(reason:)`` with reason `"zero pivot in row k"`
  ///   (k 1-based, as in ``LinSolveError/description``) when `|u_kk|` is at most
  ///   ``pivotTolerance`` times the largest entry of row k of `A`, or not finite.
  /// - Complexity: symbolic phase O(nnz + n); numeric phase
  ///   O(Σ_i Σ_{k<i, a_ik≠0} nnz(row k)), i.e. O(nnz·k) for k entries per row.
  public func setUp(for a: SparseMatrix) throws {
    factored = false
    guard a.rows == a.columns else { throw LinSolveError.notSquare(rows: a.rows, columns: a.columns) }
    guard Vector.allFinite(a.values) else { throw LinSolveError.nonFinite(what: "matrix A") }
    if !(a.rows == dimension && a.rowPointers == rowPointers && a.columnIndices == columnIndices) {
      try analyse(a)
    }
    if let row = factorize(a.values) {
      throw LinSolveError.factorizationFailed(reason: "zero pivot in row \(row + 1)")
    }
    factored = true
  }

  /// The symbolic phase: diagonal positions and scratch.
  private func analyse(_ a: SparseMatrix) throws {
    let n = a.rows
    let found = a.diagonalPositions()
    var positions = [Int](repeating: 0, count: n)
    for i in 0..<n {
      guard let p = found[i] else { throw LinSolveError.zeroDiagonal(row: i) }
      positions[i] = p
    }
    dimension = n
    rowPointers = a.rowPointers
    columnIndices = a.columnIndices
    diagonalPositions = positions
    factors = [Double](repeating: 0, count: a.nonzeros)
    inverseDiagonal = [Double](repeating: 0, count: n)
    marker = [Int](repeating: -1, count: n)
    symbolicSetups += 1
  }

  /// One numeric ILU(0) of `a` (values in the analysed pattern) into `factors`.
  ///
  /// - Returns: `nil` on success, else the (0-based) row with a zero or non-finite pivot.
  private func factorize(_ a: [Double]) -> Int? {
    let n = dimension
    return a.withUnsafeBufferPointer { a in
      rowPointers.withUnsafeBufferPointer { rp in
        columnIndices.withUnsafeBufferPointer { ci in
          diagonalPositions.withUnsafeBufferPointer { diagonal in
            factors.withUnsafeMutableBufferPointer { lu in
              inverseDiagonal.withUnsafeMutableBufferPointer { inverse in
                marker.withUnsafeMutableBufferPointer { marker -> Int? in
                  for i in 0..<n {
                    let start = rp[i], end = rp[i + 1]
                    var rowMax = 0.0
                    for p in start..<end {
                      lu[p] = a[p]
                      rowMax = max(rowMax, abs(a[p]))
                      marker[Int(ci[p])] = p
                    }
                    // Eliminate with the earlier rows k < i, in increasing k (the IKJ order).
                    for p in start..<diagonal[i] {
                      let k = Int(ci[p])
                      let lik = lu[p] * inverse[k]
                      lu[p] = lik
                      for q in (diagonal[k] + 1)..<rp[k + 1] {
                        let t = marker[Int(ci[q])]
                        if t >= 0 { lu[t] -= lik * lu[q] }
                      }
                    }
                    for p in start..<end { marker[Int(ci[p])] = -1 }
                    let pivot = lu[diagonal[i]]
                    guard abs(pivot) > Self.pivotTolerance * rowMax, pivot.isFinite else { return i }
                    inverse[i] = 1 / pivot
                  }
                  return nil
                }
              }
            }
          }
        }
      }
    }
  }

  /// The factors as CSR matrices: `L` unit lower triangular (its unit diagonal stored) and
  /// `U` upper triangular.
  ///
  /// - Precondition: ``setUp(for:)`` succeeded.
  public var lowerAndUpperFactors: (lower: SparseMatrix, upper: SparseMatrix) {
    precondition(factored, "ilu0: not set up")
    var lower = CoordinateBuilder(rows: dimension, columns: dimension)
    var upper = CoordinateBuilder(rows: dimension, columns: dimension)
    for i in 0..<dimension {
      for p in rowPointers[i]..<diagonalPositions[i] {
        lower.appendUnchecked(row: i, column: Int(columnIndices[p]), value: factors[p])
      }
      lower.appendUnchecked(row: i, column: i, value: 1)
      for p in diagonalPositions[i]..<rowPointers[i + 1] {
        upper.appendUnchecked(row: i, column: Int(columnIndices[p]), value: factors[p])
      }
    }
    return (lower.build(), upper.build())
  }

  /// Computes `z = (L U)⁻¹ r`: `L y = r` forward (unit diagonal), then `U z = y` backward,
  /// in place in `z`.
  ///
  /// - Complexity: O(nnz(A)): each stored entry is used once; no allocation.
  public func apply(_ r: UnsafeBufferPointer<Double>, into z: UnsafeMutableBufferPointer<Double>) {
    let n = dimension
    precondition(factored, "ilu0: apply before a successful setUp")
    precondition(r.count == n && z.count == n, "ilu0: vector sizes \(r.count), \(z.count) do not match the matrix (\(n))")
    guard n > 0, let rpr = r.baseAddress, let zp = z.baseAddress else { return }
    rowPointers.withUnsafeBufferPointer { rp in
      columnIndices.withUnsafeBufferPointer { ci in
        factors.withUnsafeBufferPointer { lu in
          diagonalPositions.withUnsafeBufferPointer { diagonal in
            inverseDiagonal.withUnsafeBufferPointer { inverse in
              let rp = rp.baseAddress!, ci = ci.baseAddress!, lu = lu.baseAddress!
              let dp = diagonal.baseAddress!, ip = inverse.baseAddress!
              // L y = r
              for i in 0..<n {
                var s = rpr[i]
                for p in rp[i]..<dp[i] { s -= lu[p] * zp[Int(ci[p])] }
                zp[i] = s
              }
              // U z = y
              var i = n - 1
              while i >= 0 {
                var s = zp[i]
                for p in (dp[i] + 1)..<rp[i + 1] { s -= lu[p] * zp[Int(ci[p])] }
                zp[i] = s * ip[i]
                i -= 1
              }
            }
          }
        }
      }
    }
  }
}
