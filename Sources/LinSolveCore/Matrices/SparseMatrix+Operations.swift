// Products, transposition and structural queries on CSR matrices.

extension SparseMatrix: LinearOperator {
  /// `Σ_k a_ik·x_k` over the stored entries of row `i` (CSR arrays `rp`, `cp`, `vp`), in
  /// storage order: the inner loop of every SpMV-like pass, so they all round alike.
  @inlinable @inline(__always)
  package static func rowDot(
    _ i: Int, _ rp: UnsafePointer<Int>, _ cp: UnsafePointer<Int32>, _ vp: UnsafePointer<Double>,
    _ x: UnsafePointer<Double>
  ) -> Double {
    var s = 0.0
    var k = rp[i]
    let end = rp[i + 1]
    while k < end {
      s += vp[k] * x[Int(cp[k])]
      k += 1
    }
    return s
  }

  /// Computes `y = A·x` (SpMV), split by rows across ``Parallel/threads``.
  ///
  /// - Complexity: O(nnz), one pass over the matrix.
  @inlinable
  public func apply(_ x: UnsafeBufferPointer<Double>, into y: UnsafeMutableBufferPointer<Double>) {
    multiply(x, into: y, alpha: 1, beta: 0)
  }

  /// Computes `y ← α·A·x + β·y`. With `β = 0`, `y` is not read (NaN in `y` does not leak).
  @inlinable
  public func multiply(
    _ x: UnsafeBufferPointer<Double>, into y: UnsafeMutableBufferPointer<Double>,
    alpha: Double = 1, beta: Double = 0
  ) {
    precondition(x.count == columns && y.count == rows, "SpMV: sizes do not match the matrix")
    guard let yp = y.baseAddress else { return }
    let xp = x.baseAddress ?? UnsafePointer(yp)  // only read when columns > 0
    rowPointers.withUnsafeBufferPointer { rp in
      columnIndices.withUnsafeBufferPointer { cp in
        values.withUnsafeBufferPointer { vp in
          let rp = rp.baseAddress!
          let cp = cp.baseAddress ?? UnsafePointer(bitPattern: 8)!
          let vp = vp.baseAddress ?? UnsafePointer(bitPattern: 8)!
          Parallel.forEachChunk(rows) { range in
            for i in range {
              let s = SparseMatrix.rowDot(i, rp, cp, vp, xp)
              yp[i] = beta == 0 ? alpha * s : alpha * s + beta * yp[i]
            }
          }
        }
      }
    }
  }

  /// Computes `y ← α·A·x + β·y` on arrays.
  public func multiply(_ x: [Double], into y: inout [Double], alpha: Double = 1, beta: Double = 0) {
    precondition(x.count == columns && y.count == rows, "SpMV: sizes do not match the matrix")
    x.withUnsafeBufferPointer { xp in
      y.withUnsafeMutableBufferPointer { multiply(xp, into: $0, alpha: alpha, beta: beta) }
    }
  }

  /// `‖b − A·x‖₂`, the true residual norm.
  public func residualNorm(x: [Double], b: [Double]) -> Double {
    var r = b
    multiply(x, into: &r, alpha: -1, beta: 1)
    return Vector.norm(r)
  }
}

extension SparseMatrix {
  /// The transpose `Aᵀ`, in CSR (equivalently, `A` in CSC).
  ///
  /// - Complexity: O(nnz + rows + columns).
  public func transposed() -> SparseMatrix {
    var pointers = [Int](repeating: 0, count: columns + 1)
    for c in columnIndices { pointers[Int(c) + 1] += 1 }
    for j in 0..<columns { pointers[j + 1] += pointers[j] }
    var next = pointers
    var cols = [Int32](repeating: 0, count: nonzeros)
    var vals = [Double](repeating: 0, count: nonzeros)
    for i in 0..<rows {
      for k in rowPointers[i]..<rowPointers[i + 1] {
        let j = Int(columnIndices[k])
        let dest = next[j]
        cols[dest] = Int32(i)
        vals[dest] = values[k]
        next[j] = dest + 1
      }
    }
    return SparseMatrix(
      uncheckedRows: columns, columns: rows, rowPointers: pointers, columnIndices: cols,
      values: vals)
  }

  /// The main diagonal (length `min(rows, columns)`), 0 where no entry is stored.
  public func diagonal() -> [Double] {
    let n = min(rows, columns)
    var d = [Double](repeating: 0, count: n)
    for i in 0..<n {
      for k in rowPointers[i]..<rowPointers[i + 1] where Int(columnIndices[k]) == i {
        d[i] = values[k]
        break
      }
    }
    return d
  }

  /// For each row `i < min(rows, columns)`, the storage index of entry `(i, i)`, or `nil`
  /// if it is not stored. Splitting methods (SOR, IC(0), ILU(0)) precompute this once.
  public func diagonalPositions() -> [Int?] {
    (0..<min(rows, columns)).map { i in
      (rowPointers[i]..<rowPointers[i + 1]).first { Int(columnIndices[$0]) == i }
    }
  }

  /// Whether `A = Aᵀ` to within `tolerance · max|a_ij|` entrywise (exact by default); a NaN
  /// off the diagonal makes it non-symmetric.
  ///
  /// - Complexity: one pass over the nonzeros and an n-entry cursor array when the stored
  ///   pattern is symmetric (the usual case: each `(i, j)`, `j > i`, is matched with the next
  ///   unmatched lower entry of row `j`); otherwise a transpose and a row-by-row comparison
  ///   that treats missing entries as zeros.
  public func isSymmetric(tolerance: Double = 0) -> Bool {
    guard rows == columns else { return false }
    let bound = tolerance == 0 ? 0 : tolerance * values.reduce(0) { max($0, abs($1)) }
    var cursor = Array(rowPointers[0..<rows])  // next unmatched lower entry of each row
    var patternSymmetric = true
    rows: for i in 0..<rows {
      for k in rowPointers[i]..<rowPointers[i + 1] {
        let j = Int(columnIndices[k])
        guard j > i else { continue }
        let c = cursor[j]
        guard c < rowPointers[j + 1], Int(columnIndices[c]) == i else {
          patternSymmetric = false
          break rows
        }
        if !(abs(values[k] - values[c]) <= bound) { return false }  // NaN is not symmetric
        cursor[j] = c + 1
      }
    }
    // Every lower entry must have been matched by its upper partner.
    if patternSymmetric {
      for j in 0..<rows where cursor[j] < rowPointers[j + 1] && Int(columnIndices[cursor[j]]) < j {
        patternSymmetric = false
        break
      }
    }
    if patternSymmetric { return true }
    // Patterns differ: still symmetric if the extra entries are (near) zeros.
    return structurallyPaddedEqual(transposed(), tolerance: tolerance)
  }

  private func structurallyPaddedEqual(_ other: SparseMatrix, tolerance: Double) -> Bool {
    let scale = values.reduce(0) { max($0, abs($1)) }
    for i in 0..<rows {
      var a: [Int32: Double] = [:]
      for k in rowPointers[i]..<rowPointers[i + 1] { a[columnIndices[k]] = values[k] }
      for k in other.rowPointers[i]..<other.rowPointers[i + 1] {
        a[other.columnIndices[k], default: 0] -= other.values[k]
      }
      if a.contains(where: { $0.key != Int32(i) && !(abs($0.value) <= tolerance * scale) }) { return false }
    }
    return true
  }

  /// `A + shift·I` (square matrices). Missing diagonal entries are inserted.
  public func shifted(by shift: Double) -> SparseMatrix {
    precondition(rows == columns, "shifted(by:) needs a square matrix")
    var builder = CoordinateBuilder(rows: rows, columns: columns)
    builder.reserveCapacity(nonzeros + rows)
    for i in 0..<rows {
      for k in rowPointers[i]..<rowPointers[i + 1] {
        builder.appendUnchecked(row: i, column: Int(columnIndices[k]), value: values[k])
      }
      builder.appendUnchecked(row: i, column: i, value: shift)
    }
    return builder.build()
  }

  /// `α·A`.
  public func scaled(by alpha: Double) -> SparseMatrix {
    var m = self
    m.values = values.map { alpha * $0 }
    return m
  }

  /// The Frobenius norm `‖A‖_F`.
  public var frobeniusNorm: Double { Vector.norm(values) }

  /// The matrix as a dense row-major array of rows (for tests and small examples).
  public func dense() -> [[Double]] {
    var d = [[Double]](repeating: [Double](repeating: 0, count: columns), count: rows)
    for i in 0..<rows {
      for k in rowPointers[i]..<rowPointers[i + 1] { d[i][Int(columnIndices[k])] = values[k] }
    }
    return d
  }
}
