import LinSolveCore

// The refresh of deflated CG's space after a solve: Rayleigh–Ritz on the old space and the
// stored directions, from the recorded CG scalars (see ``DeflatedCG``).

extension DeflatedCG {
  /// Rayleigh–Ritz on `[W, p₀ … p_{s−1}]`: the new space holds the `k` smallest Ritz pairs of
  /// `M⁻¹A` in the `A` inner product.
  func refresh(
    _ space: inout RecycleSpace, n: Int, kc: Int, record: DeflatedCGRecord,
    directions: [UnsafeMutableBufferPointer<Double>], products: [UnsafeMutableBufferPointer<Double>],
    stats: inout RecycleStatistics
  ) {
    let collected = record.collected, alphas = record.alphas, curvatures = record.curvatures
    let rhos = record.rhos, projections = record.projections, nus = record.nus
    let size = kc + collected
    // T = ZᵀAM⁻¹AZ, F = ZᵀAZ.
    var t = [Double](repeating: 0, count: size * size)
    var f = [Double](repeating: 0, count: size * size)
    let gram = space.preconditionedGram
    for j in 0..<kc {
      f[j + j * size] = 1
      for i in 0..<kc { t[i + j * size] = gram[i + j * kc] }
    }
    for l in 0..<collected {
      let col = kc + l
      let alpha = alphas[l]
      f[col + col * size] = curvatures[l]
      for i in 0..<kc {
        // Cᵀ·M⁻¹·A·p_l = (Cᵀz_l − Cᵀz_{l+1}) / α_l
        let value = (projections[l * kc + i] - projections[(l + 1) * kc + i]) / alpha
        t[i + col * size] = value
        t[col + i * size] = value
      }
      t[col + col * size] = (rhos[l] + rhos[l + 1]) / (alpha * alpha)
      if l + 1 < collected {
        let value = -rhos[l + 1] / (alpha * alphas[l + 1])
        t[col + (col + 1) * size] = value
        t[col + 1 + col * size] = value
      }
    }
    guard t.allSatisfy({ $0.isFinite }), f.allSatisfy({ $0.isFinite }),
      let theta = LAPACK.symmetricDefiniteEigen(&t, &f, order: size)
    else { return }
    let keep = min(recycleDimension, size)
    // Y_top (kc × keep) for W and C, Y_bottom (collected × keep) for the stored p and Ap.
    var top = [Double](repeating: 0, count: kc * keep)
    var bottom = [Double](repeating: 0, count: collected * keep)
    for j in 0..<keep {
      for i in 0..<kc { top[i + j * kc] = t[i + j * size] }
      for i in 0..<collected { bottom[i + j * collected] = t[kc + i + j * size] }
    }
    // In the fused form the stored directions are p̃_l = p_l + W·ν_l, so W's coefficients are
    // Y_top − N·Y_bottom with N = [ν_0 … ν_{s−1}]; C's use the products A·p_l as they are.
    var topW = top
    if !nus.isEmpty {
      for jj in 0..<keep {
        for l in 0..<collected {
          let coefficient = bottom[l + jj * collected]
          for i in 0..<kc { topW[i + jj * kc] -= nus[l * kc + i] * coefficient }
        }
      }
    }
    space.u.withUnsafeMutableBufferPointer { wb in
      DenseKernels.combineInPlace(
        rows: n, target: wb.baseAddress!, ld: n, inColumns: kc, topW, outColumns: keep,
        extra: [(UnsafePointer(directions[0].baseAddress!), n, collected, bottom)])
    }
    space.c.withUnsafeMutableBufferPointer { cb in
      DenseKernels.combineInPlace(
        rows: n, target: cb.baseAddress!, ld: n, inColumns: kc, top, outColumns: keep,
        extra: [(UnsafePointer(products[0].baseAddress!), n, collected, bottom)])
    }
    // With YᵀFY = I and YᵀTY = diag(θ), the new CᵀM⁻¹C is diag(θ).
    var newGram = [Double](repeating: 0, count: keep * keep)
    for j in 0..<keep { newGram[j + j * keep] = theta[j] }
    space.setUpdated(dimension: keep, ritzValues: Array(theta.prefix(keep)), preconditionedGram: newGram)
    // The pencil came from recurrences: check WᵀAW = I and repair it if needed.
    stats.droppedDirections += space.operatorOrthonormalize(skipWithin: 1e-8)
  }
}
