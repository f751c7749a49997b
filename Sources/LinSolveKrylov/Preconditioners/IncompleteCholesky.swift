import LinSolveCore
import LinSolveDirect

/// Incomplete Cholesky factorization with zero fill, IC(0): `A ≈ L Lᵀ` where `L` has the
/// sparsity pattern of the lower triangle of `A`, applied as `z = L⁻ᵀ L⁻¹ r`.
///
/// The factorization is the row-oriented (left-looking) Cholesky restricted to the pattern
/// of `A`: for each row `i` and each stored `j < i`,
///
///     l_ij = (a_ij − Σ_{m<j} l_im l_jm) / l_jj,      l_ii = √(a_ii − Σ_{m<i} l_im²),
///
/// where the sums run over the entries present in both rows. Meijerink & van der Vorst,
/// *An iterative solution method for linear systems of which the coefficient matrix is a
/// symmetric M-matrix*, Math. Comp. 31 (1977) showed that it exists for M-matrices; see also
/// Saad, *Iterative Methods for Sparse Linear Systems*, 2nd ed. (SIAM 2003), §10.3.
///
/// For other SPD matrices a pivot can become non-positive (Kershaw 1978). Then the
/// factorization is retried on `A + α·diag(A)` with `α = 10⁻³, 2·10⁻³, 4·10⁻³, …` up to
/// `α ≤ 10³` (Manteuffel, *An incomplete factorization technique for positive definite
/// linear systems*, Math. Comp. 34 (1980)); the `α` used is reported in ``shift``. The
/// same shift also makes IC(0) usable on a symmetric indefinite matrix with a positive
/// diagonal (the preconditioner is then SPD, although PCG on the indefinite `A` may still
/// stop with ``StopReason/indefinite``).
///
/// A second ``setUp(for:)`` with a matrix of the same sparsity pattern (same row pointers and
/// column indices) skips the symbolic phase and only redoes the numeric factorization;
/// ``symbolicSetups`` counts the symbolic phases.
///
/// ```swift
/// let ic = try IncompleteCholesky(A)
/// if ic.shift > 0 { print("IC(0) needed a diagonal shift α = \(ic.shift)") }
/// let result = try ConjugateGradient(preconditioner: ic).solve(A, b)
/// ```
///
/// Memory: `L` is kept twice, by rows (for `L y = r`) and by columns (the rows of `Lᵀ`, for
/// `Lᵀ z = y`), so both triangular solves are gathers that write each `z_i` once. That costs
/// about `2·nnz(L)` values and indices, plus maps from `L` back to `A` for the numeric
/// refactorization.
public final class IncompleteCholesky: Preconditioner {
  /// The first shift tried after a breakdown, as a multiple of `diag(A)`.
  public static let initialShift = 1e-3
  /// The largest shift tried before giving up.
  public static let maximumShift = 1e3

  /// The `α` of the factorization of `A + α·diag(A)`; 0 when plain IC(0) succeeded.
  public private(set) var shift: Double = 0
  /// How many times the symbolic phase (pattern analysis) ran; it is skipped when
  /// ``setUp(for:)`` sees the pattern of the previous matrix again.
  public private(set) var symbolicSetups = 0
  /// How many numeric factorizations were attempted (each retry with a larger shift counts).
  public private(set) var numericFactorizations = 0

  // Pattern of the matrix last analysed (shared with that matrix, not copied).
  private var patternRowPointers: [Int] = []
  private var patternColumns: [Int32] = []
  // Strict lower part of L by rows; `lowerSource[p]` is the position of l_ij's a_ij in A.
  private var lowerPointers: [Int] = [0]
  private var lowerColumns: [Int32] = []
  private var lowerSource: [Int] = []
  private var lowerValues: [Double] = []
  // Strict upper part of Lᵀ by rows; `upperSource[q]` is the position of the entry in `lowerValues`.
  private var upperPointers: [Int] = [0]
  private var upperColumns: [Int32] = []
  private var upperSource: [Int] = []
  private var upperValues: [Double] = []
  // For a structurally symmetric pattern, the position in A of a_ji for each lower entry a_ij.
  private var mirrorSource: [Int]?
  // Position of a_ii in A, l_ii and 1 / l_ii.
  private var diagonalSource: [Int] = []
  private var diagonal: [Double] = []
  private var inverseDiagonal: [Double] = []
  // Scratch for the factorization: position in row i of L of each column, or −1.
  private var marker: [Int] = []
  private var factored = false

  /// The order of the matrix the preconditioner was set up for (0 before ``setUp(for:)``).
  public private(set) var dimension = 0

  public var name: String { "ic0" }

  /// A preconditioner that is not set up yet; call ``setUp(for:)`` before using it.
  public init() {}

  /// A preconditioner set up for `a`.
  ///
  /// - Throws: see ``setUp(for:)``.
  public convenience init(_ a: SparseMatrix) throws {
    self.init()
    try setUp(for: a)
  }

  /// Computes the IC(0) factor of `a`, shifting the diagonal if a pivot breaks down.
  ///
  /// - Throws: ``LinSolveError/notSquare(rows:columns:)``;
  ///   ``LinSolveError/invalidParameter(name:reason:)`` if `a` is not symmetric (to
  ///   `1e-14·max|a_ij|`); ``LinSolveError/nonFinite(what:)``;
  ///   ``LinSolveError/zeroDiagonal(row:)`` for a diagonal entry that is zero or not stored;
  ///   ``LinSolveError/factorizationFailed(reason:)`` for a negative diagonal entry or when
  ///   even the largest shift breaks down.
  /// - Complexity: symbolic phase O(nnz + n); symmetry check O(nnz) (plus a transpose when
  ///   the pattern is not structurally symmetric); each numeric attempt
  ///   O(Σ_i Σ_{j<i, a_ij≠0} nnz(row j of L)), i.e. O(nnz·k) for k entries per row.
  public func setUp(for a: SparseMatrix) throws {
    factored = false
    guard a.rows == a.columns else { throw LinSolveError.notSquare(rows: a.rows, columns: a.columns) }
    guard Vector.allFinite(a.values) else { throw LinSolveError.nonFinite(what: "matrix A") }
    if !(a.rows == dimension && a.rowPointers == patternRowPointers && a.columnIndices == patternColumns) {
      try analyse(a)
    }
    guard isSymmetric(a) else {
      throw LinSolveError.invalidParameter(name: "A", reason: "IC(0) needs a symmetric matrix")
    }
    for i in 0..<dimension {
      let d = a.values[diagonalSource[i]]
      if d == 0 { throw LinSolveError.zeroDiagonal(row: i) }
      if d < 0 {
        throw LinSolveError.factorizationFailed(
          reason: "IC(0) needs a positive diagonal; a_ii = \(d) in row \(i + 1)")
      }
    }

    var alpha = 0.0
    while true {
      if let row = factorize(a.values, shift: alpha) {
        alpha = alpha == 0 ? Self.initialShift : 2 * alpha
        if alpha > Self.maximumShift {
          throw LinSolveError.factorizationFailed(
            reason: "IC(0) pivot in row \(row + 1) is not positive even with a diagonal shift of \(alpha / 2)·diag(A)")
        }
      } else {
        break
      }
    }
    shift = alpha
    // Lᵀ by rows, from L.
    upperSource.withUnsafeBufferPointer { source in
      lowerValues.withUnsafeBufferPointer { lower in
        upperValues.withUnsafeMutableBufferPointer { upper in
          for q in 0..<upper.count { upper[q] = lower[source[q]] }
        }
      }
    }
    factored = true
  }

  /// The symbolic phase: the pattern of L and Lᵀ and the maps back to A.
  private func analyse(_ a: SparseMatrix) throws {
    let n = a.rows
    var pointers = [Int](repeating: 0, count: n + 1)
    var columns: [Int32] = []
    var source: [Int] = []
    var diagonalAt = [Int](repeating: 0, count: n)
    columns.reserveCapacity((a.nonzeros - n) / 2 + 1)
    source.reserveCapacity((a.nonzeros - n) / 2 + 1)
    for i in 0..<n {
      var k = a.rowPointers[i]
      let end = a.rowPointers[i + 1]
      while k < end && Int(a.columnIndices[k]) < i {
        columns.append(a.columnIndices[k])
        source.append(k)
        k += 1
      }
      guard k < end && Int(a.columnIndices[k]) == i else { throw LinSolveError.zeroDiagonal(row: i) }
      diagonalAt[i] = k
      pointers[i + 1] = columns.count
    }
    // Transpose the strict lower pattern (counting sort by column): rows of Lᵀ, columns ascending.
    let count = columns.count
    var upperStart = [Int](repeating: 0, count: n + 1)
    for c in columns { upperStart[Int(c) + 1] += 1 }
    for j in 0..<n { upperStart[j + 1] += upperStart[j] }
    var next = upperStart
    var transposedColumns = [Int32](repeating: 0, count: count)
    var transposedSource = [Int](repeating: 0, count: count)
    for i in 0..<n {
      for p in pointers[i]..<pointers[i + 1] {
        let j = Int(columns[p])
        transposedColumns[next[j]] = Int32(i)
        transposedSource[next[j]] = p
        next[j] += 1
      }
    }

    // Structurally symmetric when the strict upper part of each row of A has the columns of
    // the same row of Lᵀ; then record where each a_ji is, for a symmetry check without a
    // transpose.
    var mirror: [Int]? = [Int](repeating: 0, count: count)
    rows: for i in 0..<n {
      let start = diagonalAt[i] + 1, end = a.rowPointers[i + 1]
      guard end - start == upperStart[i + 1] - upperStart[i] else {
        mirror = nil
        break rows
      }
      for (k, q) in zip(start..<end, upperStart[i]..<upperStart[i + 1]) {
        guard a.columnIndices[k] == transposedColumns[q] else {
          mirror = nil
          break rows
        }
        mirror![transposedSource[q]] = k
      }
    }

    dimension = n
    mirrorSource = mirror
    patternRowPointers = a.rowPointers
    patternColumns = a.columnIndices
    lowerPointers = pointers
    lowerColumns = columns
    lowerSource = source
    lowerValues = [Double](repeating: 0, count: count)
    upperPointers = upperStart
    upperColumns = transposedColumns
    upperSource = transposedSource
    upperValues = [Double](repeating: 0, count: count)
    diagonalSource = diagonalAt
    diagonal = [Double](repeating: 0, count: n)
    inverseDiagonal = [Double](repeating: 0, count: n)
    marker = [Int](repeating: -1, count: n)
    symbolicSetups += 1
  }

  /// `a.isSymmetric(tolerance: 1e-14)`, in one pass without a transpose when the pattern is
  /// structurally symmetric (the usual case, and the one a re-setup should keep cheap).
  private func isSymmetric(_ a: SparseMatrix) -> Bool {
    guard let mirror = mirrorSource else { return a.isSymmetric(tolerance: 1e-14) }
    let tolerance = 1e-14 * a.values.reduce(0) { max($0, abs($1)) }
    for p in 0..<mirror.count where abs(a.values[lowerSource[p]] - a.values[mirror[p]]) > tolerance {
      return false
    }
    return true
  }

  /// One numeric IC(0) of `A + α·diag(A)` into `lowerValues` and the diagonal.
  ///
  /// - Returns: `nil` on success, else the row whose pivot was not positive (or was below
  ///   `1e-14·(1+α)·a_ii`, which would blow up the triangular solves) or not finite.
  private func factorize(_ a: [Double], shift alpha: Double) -> Int? {
    numericFactorizations += 1
    let n = dimension
    return a.withUnsafeBufferPointer { a in
      lowerPointers.withUnsafeBufferPointer { lp in
        lowerColumns.withUnsafeBufferPointer { lc in
          lowerSource.withUnsafeBufferPointer { source in
            diagonalSource.withUnsafeBufferPointer { diagonalAt in
              lowerValues.withUnsafeMutableBufferPointer { lv in
                diagonal.withUnsafeMutableBufferPointer { d in
                  inverseDiagonal.withUnsafeMutableBufferPointer { inverse in
                    marker.withUnsafeMutableBufferPointer { marker -> Int? in
                      for i in 0..<n {
                        let start = lp[i], end = lp[i + 1]
                        for p in start..<end { marker[Int(lc[p])] = p }
                        var squares = 0.0
                        for p in start..<end {
                          // l_ij = (a_ij − Σ_{m<j} l_im l_jm) / l_jj, over row j of L.
                          let j = Int(lc[p])
                          var s = a[source[p]]
                          for q in lp[j]..<lp[j + 1] {
                            let t = marker[Int(lc[q])]
                            if t >= 0 { s -= lv[t] * lv[q] }
                          }
                          let v = s * inverse[j]
                          lv[p] = v
                          squares += v * v
                        }
                        for p in start..<end { marker[Int(lc[p])] = -1 }
                        let aii = a[diagonalAt[i]] * (1 + alpha)
                        let pivot = aii - squares
                        guard pivot > 1e-14 * aii, pivot.isFinite else { return i }
                        let l = pivot.squareRoot()
                        d[i] = l
                        inverse[i] = 1 / l
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
    }
  }

  // MARK: The factor's values, for preconditioners that compute their own L on IC(0)'s pattern

  /// The strict lower part of `L` by rows: row pointers, columns (ascending) and values.
  ///
  /// - Precondition: ``setUp(for:)`` succeeded.
  package var strictLower: (pointers: [Int], columns: [Int32], values: [Double]) {
    precondition(factored, "ic0: not set up")
    return (lowerPointers, lowerColumns, lowerValues)
  }

  /// The diagonal `l_ii` of `L`.
  package var diagonalValues: [Double] {
    precondition(factored, "ic0: not set up")
    return diagonal
  }

  /// Replaces `L`'s values, keeping its pattern: `lower` in the order of ``strictLower`` and a
  /// positive `diagonal`; later applications sweep with the new factor (a learned one, for
  /// instance: LinSolveLearned). The next ``setUp(for:)`` computes IC(0) again.
  ///
  /// - Precondition: ``setUp(for:)`` succeeded; sizes match; every `diagonal[i] > 0`.
  package func replaceFactor(lower: [Double], diagonal newDiagonal: [Double]) {
    precondition(factored, "ic0: not set up")
    precondition(lower.count == lowerValues.count && newDiagonal.count == dimension, "ic0: factor sizes do not match")
    precondition(newDiagonal.allSatisfy { $0 > 0 && $0.isFinite }, "ic0: the diagonal of L must be positive")
    lowerValues = lower
    diagonal = newDiagonal
    for i in 0..<dimension { inverseDiagonal[i] = 1 / newDiagonal[i] }
    for q in 0..<upperValues.count { upperValues[q] = lowerValues[upperSource[q]] }
  }

  /// The factor `L` (lower triangular, diagonal included) as a CSR matrix.
  ///
  /// - Precondition: ``setUp(for:)`` succeeded.
  public var lowerFactor: SparseMatrix {
    precondition(factored, "ic0: not set up")
    var builder = CoordinateBuilder(rows: dimension, columns: dimension)
    builder.reserveCapacity(lowerValues.count + dimension)
    for i in 0..<dimension {
      for p in lowerPointers[i]..<lowerPointers[i + 1] {
        builder.appendUnchecked(row: i, column: Int(lowerColumns[p]), value: lowerValues[p])
      }
      builder.appendUnchecked(row: i, column: i, value: diagonal[i])
    }
    return builder.build()
  }

  /// Computes `z = (L Lᵀ)⁻¹ r`: `L y = r` forward, then `Lᵀ z = y` backward, in place in `z`.
  ///
  /// - Complexity: O(nnz(L)) per solve, `2·nnz(L) + n` multiply-adds in all; no allocation.
  public func apply(_ r: UnsafeBufferPointer<Double>, into z: UnsafeMutableBufferPointer<Double>) {
    _ = applyAndDot(r, into: z)
  }

  /// Computes `z = (L Lᵀ)⁻¹ r` and returns `rᵀz`, accumulated in the backward sweep as each
  /// `z_i` is final (no separate pass over `r` and `z`).
  public func applyAndDot(_ r: UnsafeBufferPointer<Double>, into z: UnsafeMutableBufferPointer<Double>) -> Double {
    let n = dimension
    precondition(factored, "ic0: apply before a successful setUp")
    precondition(r.count == n && z.count == n, "ic0: vector sizes \(r.count), \(z.count) do not match the matrix (\(n))")
    guard n > 0, let rp = r.baseAddress, let zp = z.baseAddress else { return 0 }
    return lowerPointers.withUnsafeBufferPointer { lp in
      lowerColumns.withUnsafeBufferPointer { lc in
        lowerValues.withUnsafeBufferPointer { lv in
          upperPointers.withUnsafeBufferPointer { up in
            upperColumns.withUnsafeBufferPointer { uc in
              upperValues.withUnsafeBufferPointer { uv in
                inverseDiagonal.withUnsafeBufferPointer { inverse in
                  let lp = lp.baseAddress!, up = up.baseAddress!, ip = inverse.baseAddress!
                  // Empty L (diagonal A): the index and value buffers may have no base address.
                  let lc = lc.baseAddress ?? UnsafePointer(bitPattern: 8)!
                  let lv = lv.baseAddress ?? UnsafePointer(bitPattern: 8)!
                  let uc = uc.baseAddress ?? UnsafePointer(bitPattern: 8)!
                  let uv = uv.baseAddress ?? UnsafePointer(bitPattern: 8)!
                  // L y = r. The sweep is latency-bound: row i usually needs y_{i−1}, just
                  // computed, so it is taken from a register rather than reloaded from z
                  // (a store-to-load round trip on the critical path).
                  var previous = 0.0
                  for i in 0..<n {
                    var s = rp[i]
                    let start = lp[i], end = lp[i + 1]
                    if start < end {
                      for p in start..<(end - 1) { s -= lv[p] * zp[Int(lc[p])] }
                      let last = Int(lc[end - 1])
                      s -= lv[end - 1] * (last == i - 1 ? previous : zp[last])
                    }
                    previous = s * ip[i]
                    zp[i] = previous
                  }
                  // Lᵀ z = y, with rᵀz
                  var rz = 0.0
                  var next = 0.0  // z_{i+1}, the usual first entry of row i of Lᵀ
                  var i = n - 1
                  while i >= 0 {
                    var s = zp[i]
                    let start = up[i], end = up[i + 1]
                    if start < end {
                      let first = Int(uc[start])
                      s -= uv[start] * (first == i + 1 ? next : zp[first])
                      for q in (start + 1)..<end { s -= uv[q] * zp[Int(uc[q])] }
                    }
                    next = s * ip[i]
                    zp[i] = next
                    rz += rp[i] * next
                    i -= 1
                  }
                  return rz
                }
              }
            }
          }
        }
      }
    }
  }
}
