/// The coefficients of Fischer's projection (``DistributedProjection``): `G c = f` for the
/// Gram matrix `G = XᵀAX` of the kept solutions, by a Cholesky factorization that sets to 0
/// the coefficient of every column whose pivot falls below `tolerance` × its diagonal (a
/// solution already spanned by the earlier ones). Pure Swift, in every build.
package enum GramSolve {
  /// Solves `G c = f` (G symmetrised, L × L row-major) by a Cholesky factorization that sets
  /// to 0 the coefficient of every column whose pivot falls below `tolerance` × its diagonal.
  package static func solve(gram g: [Double], rhs f: [Double], tolerance: Double) -> (coefficients: [Double], dropped: Int) {
    let l = f.count
    var r = [Double](repeating: 0, count: l * l)  // upper triangle, row-major: R[k][j]
    var kept = [Bool](repeating: false, count: l)
    for j in 0..<l {
      let diagonal = g[j * l + j]
      var pivot = diagonal
      for k in 0..<j where kept[k] { pivot -= r[k * l + j] * r[k * l + j] }
      guard diagonal > 0, diagonal.isFinite, pivot > tolerance * diagonal else { continue }
      kept[j] = true
      let root = pivot.squareRoot()
      r[j * l + j] = root
      for i in (j + 1)..<max(l, j + 1) {
        var value = 0.5 * (g[j * l + i] + g[i * l + j])
        for k in 0..<j where kept[k] { value -= r[k * l + j] * r[k * l + i] }
        r[j * l + i] = value / root
      }
    }
    // Rᵀ y = f, then R c = y, over the kept columns.
    var y = [Double](repeating: 0, count: l)
    for j in 0..<l where kept[j] {
      var value = f[j]
      for k in 0..<j where kept[k] { value -= r[k * l + j] * y[k] }
      y[j] = value / r[j * l + j]
    }
    var c = [Double](repeating: 0, count: l)
    for j in stride(from: l - 1, through: 0, by: -1) where kept[j] {
      var value = y[j]
      for i in (j + 1)..<max(l, j + 1) where kept[i] { value -= r[j * l + i] * c[i] }
      c[j] = value / r[j * l + j]
    }
    return (c, kept.filter { !$0 }.count)
  }
}
