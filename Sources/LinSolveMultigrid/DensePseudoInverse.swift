import LinSolveCore

/// The Moore–Penrose pseudo-inverse of a small coarsest-level matrix, for hierarchies whose
/// coarsest operator is singular: a pure-Neumann problem or a graph Laplacian keeps the
/// constant in its null space on every level, and a sparse factorization either fails or lets
/// a rounding-size pivot through, whose huge reciprocal wrecks the cycle (hypre and pyamg
/// offer the same remedy: pyamg's `coarse_solver='pinv'`).
///
/// Symmetric: `A = V Λ Vᵀ` (`dsyev`), `A⁺ = V Λ⁺ Vᵀ`; otherwise `A = U Σ Vᵀ` (`dgesvd`),
/// `A⁺ = V Σ⁺ Uᵀ`; eigen- or singular values below `n·ε·max|λ|` count as zero. The result is
/// kept as a dense `n × n` matrix applied by a matrix–vector product (`n²` flops per cycle).
struct DensePseudoInverse {
  /// Rows up to which a singular coarsest level is handled this way (8 MB for the matrix).
  static let maximumRows = 1_000

  let order: Int
  /// `A⁺`, row-major.
  let values: [Double]
  /// Eigen- or singular values treated as zero: the numerical nullity.
  let nullity: Int

  /// - Throws: ``LinSolveError/factorizationFailed(reason:)`` if LAPACK fails.
  init(_ a: SparseMatrix, symmetric: Bool) throws {
    let n = a.rows
    order = n
    var dense = a.denseMatrix()  // column-major
    var inverse = [Double](repeating: 0, count: n * n)
    var dropped = 0
    if symmetric {
      guard let lambda = LAPACK.symmetricEigen(&dense.values, order: n) else {
        throw LinSolveError.factorizationFailed(reason: "dsyev failed on the coarsest matrix")
      }
      let tolerance = Double(n) * Double.ulpOfOne * (lambda.map(abs).max() ?? 0)
      for k in 0..<n {
        guard abs(lambda[k]) > tolerance else { dropped += 1; continue }
        let scale = 1 / lambda[k]
        let v = k * n  // column k of V
        for i in 0..<n where dense.values[v + i] != 0 {
          let vi = dense.values[v + i] * scale
          for j in 0..<n { inverse[i * n + j] += vi * dense.values[v + j] }
        }
      }
    } else {
      var copy = dense
      let (sigma, u) = try LAPACK.thinSVD(&dense, vectors: .left)
      let (_, vt) = try LAPACK.thinSVD(&copy, vectors: .rightTransposed)
      let tolerance = Double(n) * Double.ulpOfOne * (sigma.first ?? 0)
      for k in 0..<n {
        guard sigma[k] > tolerance else { dropped += 1; continue }
        let scale = 1 / sigma[k]
        for i in 0..<n where vt[k, i] != 0 {
          let vi = vt[k, i] * scale
          for j in 0..<n { inverse[i * n + j] += vi * u[j, k] }
        }
      }
    }
    values = inverse
    nullity = dropped
  }

  /// `x = A⁺ b`.
  func solve(_ b: UnsafeBufferPointer<Double>, into x: UnsafeMutableBufferPointer<Double>) {
    let n = order
    values.withUnsafeBufferPointer { m in
      for i in 0..<n {
        var s = 0.0
        let row = m.baseAddress! + i * n
        for j in 0..<n { s += row[j] * b[j] }
        x[i] = s
      }
    }
  }
}
