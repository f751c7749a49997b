import LinSolveCore
import LinSolveDirect

/// Variable-coefficient diffusion `−∇·(a(x, y)∇u)` on the unit square.
///
/// Discretised by the 5-point finite-volume scheme on an `n × n` interior grid with zero
/// Dirichlet boundaries, `h = 1/(n+1)`. The coefficient is sampled at the cell-face midpoints,
/// so the matrix is symmetric positive definite for any positive `a`. Like ``Poisson``, the
/// matrix is not scaled by `1/h²`; with `a ≡ 1` it equals ``Poisson/matrix2D(_:)``.
public enum Diffusion {
  /// The 2-D variable-coefficient diffusion matrix.
  ///
  /// - Parameters:
  ///   - n: interior points per direction (`n²` unknowns).
  ///   - coefficient: `a(x, y) > 0` on `[0, 1]²`.
  public static func matrix2D(_ n: Int, coefficient a: (Double, Double) -> Double) -> SparseMatrix {
    precondition(n > 0, "grid size must be positive")
    let h = 1.0 / Double(n + 1)
    var builder = CoordinateBuilder(rows: n * n, columns: n * n)
    builder.reserveCapacity(5 * n * n)
    for iy in 0..<n {
      for ix in 0..<n {
        let i = ix + iy * n
        // Face midpoints computed the same way from both cells that share them, so the
        // matrix is exactly symmetric even when a jump in `a` falls on a face.
        let x = Double(ix + 1) * h, y = Double(iy + 1) * h
        let xWest = (Double(ix) + 0.5) * h, xEast = (Double(ix) + 1.5) * h
        let ySouth = (Double(iy) + 0.5) * h, yNorth = (Double(iy) + 1.5) * h
        let west = a(xWest, y), east = a(xEast, y)
        let south = a(x, ySouth), north = a(x, yNorth)
        builder.appendUnchecked(row: i, column: i, value: west + east + south + north)
        if ix > 0 { builder.appendUnchecked(row: i, column: i - 1, value: -west) }
        if ix < n - 1 { builder.appendUnchecked(row: i, column: i + 1, value: -east) }
        if iy > 0 { builder.appendUnchecked(row: i, column: i - n, value: -south) }
        if iy < n - 1 { builder.appendUnchecked(row: i, column: i + n, value: -north) }
      }
    }
    return builder.build()
  }

  /// A nonsymmetric convection–diffusion matrix `−Δu + β·∇u` on an `n × n` grid, with
  /// first-order upwinding of the convection `(βx, βy)` (scaled, like ``Poisson``, by `h²`).
  /// The matrix is an M-matrix for any `β`, so splitting methods and ILU(0) apply.
  public static func convectionDiffusion2D(_ n: Int, beta: (x: Double, y: Double)) -> SparseMatrix {
    precondition(n > 0, "grid size must be positive")
    let h = 1.0 / Double(n + 1)
    let bx = beta.x * h, by = beta.y * h
    var builder = CoordinateBuilder(rows: n * n, columns: n * n)
    builder.reserveCapacity(5 * n * n)
    for iy in 0..<n {
      for ix in 0..<n {
        let i = ix + iy * n
        // Upwind: flow in +x takes from the west neighbour.
        let west = -1 - max(bx, 0), east = -1 + min(bx, 0)
        let south = -1 - max(by, 0), north = -1 + min(by, 0)
        builder.appendUnchecked(row: i, column: i, value: 4 + abs(bx) + abs(by))
        if ix > 0 { builder.appendUnchecked(row: i, column: i - 1, value: west) }
        if ix < n - 1 { builder.appendUnchecked(row: i, column: i + 1, value: east) }
        if iy > 0 { builder.appendUnchecked(row: i, column: i - n, value: south) }
        if iy < n - 1 { builder.appendUnchecked(row: i, column: i + n, value: north) }
      }
    }
    return builder.build()
  }
}
