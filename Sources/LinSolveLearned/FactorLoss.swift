/// The training loss of Li et al. (ICML 2023): for solved systems `A xᵢ = bᵢ`,
///
///     J = (1/S) Σᵢ ‖L̃ L̃ᵀ x̃ᵢ − b̃ᵢ‖² / ‖b̃ᵢ‖²,
///
/// on the scaled systems `Ã x̃ = b̃` (`x̃ = D^{1/2} x`, `b̃ = D^{-1/2} b`), i.e.
/// `‖(P − A) xᵢ‖` measured where the solutions of the family live: a preconditioner that is
/// right on them is right on the smooth error modes IC(0) handles worst.
///
/// With `y = L̃ᵀx̃`, `r = L̃ y − b̃` and `w = L̃ᵀ r`, the derivative with respect to an entry
/// `l̃_ij` of the pattern (diagonal included) is `2 (r_i y_j + x̃_i w_j) / ‖b̃‖²` (per sample,
/// divided by `S`).
package enum FactorLoss {
  /// Adds one sample's loss term times `weight` and its derivative (times `weight`) to the
  /// gradients; returns the unweighted term `‖L̃ L̃ᵀ x̃ − b̃‖² / ‖b̃‖²`.
  package static func accumulate(
    _ graph: FactorGraph, lower: [Double], diagonal: [Double], x: [Double], b: [Double], weight: Double,
    lowerGradient: inout [Double], diagonalGradient: inout [Double]
  ) -> Double {
    let n = graph.order
    var y = [Double](repeating: 0, count: n)
    var r = [Double](repeating: 0, count: n)
    var w = [Double](repeating: 0, count: n)
    var bb = 0.0
    for i in 0..<n { bb += b[i] * b[i] }
    let scale = bb > 0 ? 1 / bb : 1
    graph.lowerPointers.withUnsafeBufferPointer { lp in
      graph.lowerColumns.withUnsafeBufferPointer { lc in
        lower.withUnsafeBufferPointer { lv in
          // y = L̃ᵀ x̃ (scatter by rows of L̃)
          for i in 0..<n {
            let xi = x[i]
            y[i] += diagonal[i] * xi
            for p in lp[i]..<lp[i + 1] { y[Int(lc[p])] += lv[p] * xi }
          }
          // r = L̃ y − b̃
          for i in 0..<n {
            var s = diagonal[i] * y[i]
            for p in lp[i]..<lp[i + 1] { s += lv[p] * y[Int(lc[p])] }
            r[i] = s - b[i]
          }
          // w = L̃ᵀ r
          for i in 0..<n {
            let ri = r[i]
            w[i] += diagonal[i] * ri
            for p in lp[i]..<lp[i + 1] { w[Int(lc[p])] += lv[p] * ri }
          }
          let c = 2 * weight * scale
          lowerGradient.withUnsafeMutableBufferPointer { gl in
            for i in 0..<n {
              diagonalGradient[i] += c * (r[i] * y[i] + x[i] * w[i])
              for p in lp[i]..<lp[i + 1] {
                let j = Int(lc[p])
                gl[p] += c * (r[i] * y[j] + x[i] * w[j])
              }
            }
          }
        }
      }
    }
    var rr = 0.0
    for i in 0..<n { rr += r[i] * r[i] }
    return rr * scale
  }
}
