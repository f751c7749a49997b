import LinSolveCore

// The GCRO-DR refresh: the harmonic Ritz vectors of a cycle (`dggev`), selected and turned into
// the new `U` and `C` in place.

extension GCRODRCycle {
  /// The harmonic Ritz refresh of `U` and `C` after a cycle of `steps` Arnoldi steps with `kc`
  /// recycled vectors (Parks et al. 2006, §2.4; with `kc = 0`, Morgan's GMRES-DR).
  mutating func refresh(
    space: inout RecycleSpace, kc: Int, steps: Int, h: [Double], bm: [Double], stats: inout RecycleStatistics
  ) {
    let size = kc + steps  // columns of G
    let rows = size + 1
    let ld = m + 1
    guard size > 0 else { return }
    // D = diag(1/‖uᵢ‖).
    var d = [Double](repeating: 1, count: kc)
    space.u.withUnsafeBufferPointer { ub in
      for i in 0..<kc {
        let norm = Vector.norm(UnsafeBufferPointer(start: ub.baseAddress! + i * n, count: n))
        d[i] = norm > 0 ? 1 / norm : 1
      }
    }
    // G = [[D, Bₘ], [0, H̄]]  (rows × size)
    var gm = [Double](repeating: 0, count: rows * size)
    for i in 0..<kc { gm[i + i * rows] = d[i] }
    for l in 0..<steps {
      for i in 0..<kc { gm[i + (kc + l) * rows] = bm[i + l * (k + 1)] }
      for i in 0...(l + 1) { gm[kc + i + (kc + l) * rows] = h[i + l * ld] }
    }
    // ŴᵀV̂ = [[CᵀU·D, 0], [VᵀU·D, I]]  (rows × size)
    var wv = [Double](repeating: 0, count: rows * size)
    if kc > 0 {
      let cu = space.c.withUnsafeBufferPointer { cb in
        space.u.withUnsafeBufferPointer { ub in
          DenseKernels.gram(rows: n, cb.baseAddress!, colsA: kc, ub.baseAddress!, colsB: kc)
        }
      }
      let vu = space.u.withUnsafeBufferPointer { ub in
        DenseKernels.gram(rows: n, basis, colsA: steps + 1, ub.baseAddress!, colsB: kc)
      }
      for j in 0..<kc {
        for i in 0..<kc { wv[i + j * rows] = cu[i + j * kc] * d[j] }
        for i in 0...steps { wv[kc + i + j * rows] = vu[i + j * (steps + 1)] * d[j] }
      }
    }
    for l in 0..<steps { wv[kc + l + (kc + l) * rows] = 1 }
    // GᵀG·z = θ·GᵀŴᵀV̂·z
    var lhs = [Double](repeating: 0, count: size * size)
    var rhs = [Double](repeating: 0, count: size * size)
    gm.withUnsafeBufferPointer { gp in
      lhs.withUnsafeMutableBufferPointer { lp in
        BLAS.gemm(
          transposeA: true, transposeB: false, m: size, n: size, k: rows, gp.baseAddress!, lda: rows,
          gp.baseAddress!, ldb: rows, into: lp.baseAddress!, ldc: size)
      }
      wv.withUnsafeBufferPointer { wp in
        rhs.withUnsafeMutableBufferPointer { rp in
          BLAS.gemm(
            transposeA: true, transposeB: false, m: size, n: size, k: rows, gp.baseAddress!, lda: rows,
            wp.baseAddress!, ldb: rows, into: rp.baseAddress!, ldc: size)
        }
      }
    }
    guard lhs.allSatisfy({ $0.isFinite }), rhs.allSatisfy({ $0.isFinite }),
      let eigen = LAPACK.generalEigen(lhs, rhs, order: size)
    else { return }
    let (selected, moduli) = Self.select(eigen, size: size, count: min(k, size), limit: min(k + 1, m - 1, size))
    guard !selected.isEmpty else { return }
    var kk = selected.count
    // P (size × kk): real parts and imaginary parts of the chosen eigenvectors.
    var p = [Double](repeating: 0, count: size * kk)
    for (jj, column) in selected.enumerated() {
      for i in 0..<size { p[i + jj * size] = eigen.vectors[i + column * size] }
    }
    // [Q, R] = qr(G·P), dropping columns that make R singular.
    var q = [Double](repeating: 0, count: rows * kk)
    var r: [Double] = []
    var values = moduli
    while kk > 0 {
      gm.withUnsafeBufferPointer { gp in
        p.withUnsafeBufferPointer { pp in
          q.withUnsafeMutableBufferPointer { qp in
            BLAS.gemm(
              transposeA: false, transposeB: false, m: rows, n: kk, k: size, gp.baseAddress!, lda: rows,
              pp.baseAddress!, ldb: size, into: qp.baseAddress!, ldc: rows)
          }
        }
      }
      guard let factor = q.withUnsafeMutableBufferPointer({ LAPACK.thinQR(rows: rows, columns: kk, $0.baseAddress!, ld: rows) })
      else { return }
      let diagonal = (0..<kk).map { abs(factor[$0 + $0 * kk]) }
      let largest = diagonal.max() ?? 0
      let keep = (0..<kk).filter { diagonal[$0] > 1e-12 * largest && diagonal[$0].isFinite }
      if keep.count == kk {
        r = factor
        break
      }
      p = keep.flatMap { j in p[(j * size)..<((j + 1) * size)] }
      values = keep.map { values[$0] }
      stats.droppedDirections += kk - keep.count
      kk = keep.count
    }
    guard kk > 0 else { return }
    // P·R⁻¹, then U ← U·(D·(PR⁻¹)_top) + V·(PR⁻¹)_bottom and C ← C·Q_top + V·Q_bottom.
    p.withUnsafeMutableBufferPointer { pp in
      BLAS.solveUpperRight(rows: size, columns: kk, pp.baseAddress!, ld: size, r: r)
    }
    var uTop = [Double](repeating: 0, count: kc * kk)
    var uBottom = [Double](repeating: 0, count: steps * kk)
    var cTop = [Double](repeating: 0, count: kc * kk)
    var cBottom = [Double](repeating: 0, count: (steps + 1) * kk)
    for j in 0..<kk {
      for i in 0..<kc {
        uTop[i + j * kc] = d[i] * p[i + j * size]
        cTop[i + j * kc] = q[i + j * rows]
      }
      for i in 0..<steps { uBottom[i + j * steps] = p[kc + i + j * size] }
      for i in 0...steps { cBottom[i + j * (steps + 1)] = q[kc + i + j * rows] }
    }
    let v = UnsafePointer(basis)
    space.u.withUnsafeMutableBufferPointer { ub in
      DenseKernels.combineInPlace(
        rows: n, target: ub.baseAddress!, ld: n, inColumns: kc, uTop, outColumns: kk,
        extra: [(v, n, steps, uBottom)])
    }
    space.c.withUnsafeMutableBufferPointer { cb in
      DenseKernels.combineInPlace(
        rows: n, target: cb.baseAddress!, ld: n, inColumns: kc, cTop, outColumns: kk,
        extra: [(v, n, steps + 1, cBottom)])
    }
    space.setUpdated(dimension: kk, ritzValues: values, preconditionedGram: [])
    updated = true
  }

  /// The columns of `dggev`'s eigenvector matrix for the `count` eigenvalues of smallest
  /// modulus (infinite ones last): a real eigenvalue gives its column, a complex pair its two
  /// columns (real and imaginary parts). A pair that would go past `count` is taken only if it
  /// fits in `limit`. Returns the columns and the modulus of each one's eigenvalue.
  static func select(
    _ e: (alphaReal: [Double], alphaImaginary: [Double], beta: [Double], vectors: [Double]), size: Int,
    count: Int, limit: Int
  ) -> (columns: [Int], moduli: [Double]) {
    let modulus = (0..<size).map { i -> Double in
      let value = KrylovKernels.hypot(e.alphaReal[i], e.alphaImaginary[i]) / abs(e.beta[i])
      return value.isFinite ? value : .infinity
    }
    let order = (0..<size).sorted { modulus[$0] < modulus[$1] }
    var columns: [Int] = []
    var moduli: [Double] = []
    var used = Set<Int>()
    for i in order where !used.contains(i) {
      if columns.count >= count || modulus[i] == .infinity { break }
      if e.alphaImaginary[i] == 0 {
        columns.append(i)
        moduli.append(modulus[i])
        used.insert(i)
      } else {
        // dggev stores a pair at (j, j + 1) with alphaImaginary[j] > 0.
        let j = e.alphaImaginary[i] > 0 ? i : i - 1
        guard j >= 0, j + 1 < size else { continue }
        used.insert(j)
        used.insert(j + 1)
        if columns.count + 2 > max(count, limit) { break }
        columns.append(contentsOf: [j, j + 1])
        moduli.append(contentsOf: [modulus[i], modulus[i]])
      }
    }
    return (columns, moduli)
  }
}
