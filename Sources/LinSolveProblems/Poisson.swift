import LinSolveCore
import LinSolveDirect

/// Finite-difference Poisson matrices on uniform grids with zero Dirichlet boundaries.
///
/// The matrices are scaled as stencils, without the `1/h²` factor: the 1-D matrix is
/// `tridiag(−1, 2, −1)`, the 2-D 5-point matrix has 4 on its diagonal, the 3-D 7-point one 6.
/// Unknowns are numbered lexicographically (x fastest). All are symmetric positive definite
/// with condition number ≈ 4/(π²h²), h = 1/(N+1).
public enum Poisson {
  /// The 1-D Laplacian on `n` interior points: `tridiag(−1, 2, −1)`.
  public static func matrix1D(_ n: Int) -> SparseMatrix {
    stencil(dimensions: [n])
  }

  /// The 2-D 5-point Laplacian on an `n × n` interior grid (`n²` unknowns).
  public static func matrix2D(_ n: Int) -> SparseMatrix {
    stencil(dimensions: [n, n])
  }

  /// The 3-D 7-point Laplacian on an `n × n × n` interior grid (`n³` unknowns).
  public static func matrix3D(_ n: Int) -> SparseMatrix {
    stencil(dimensions: [n, n, n])
  }

  /// The `2d+1`-point Laplacian on a grid with the given interior sizes.
  public static func stencil(dimensions: [Int]) -> SparseMatrix {
    precondition(!dimensions.isEmpty && dimensions.allSatisfy { $0 > 0 }, "grid sizes must be positive")
    let n = dimensions.reduce(1, *)
    var strides = [Int](repeating: 1, count: dimensions.count)
    for d in 1..<max(1, dimensions.count) { strides[d] = strides[d - 1] * dimensions[d - 1] }
    let diagonal = 2.0 * Double(dimensions.count)
    var pointers = [Int](repeating: 0, count: n + 1)
    var cols: [Int32] = []
    var vals: [Double] = []
    cols.reserveCapacity(n * (2 * dimensions.count + 1))
    vals.reserveCapacity(n * (2 * dimensions.count + 1))
    var coordinate = [Int](repeating: 0, count: dimensions.count)
    for i in 0..<n {
      // Neighbours below i (descending dimension), the diagonal, then above (ascending): sorted.
      for d in stride(from: dimensions.count - 1, through: 0, by: -1) where coordinate[d] > 0 {
        cols.append(Int32(i - strides[d]))
        vals.append(-1)
      }
      cols.append(Int32(i))
      vals.append(diagonal)
      for d in 0..<dimensions.count where coordinate[d] < dimensions[d] - 1 {
        cols.append(Int32(i + strides[d]))
        vals.append(-1)
      }
      pointers[i + 1] = cols.count
      // Advance the grid coordinate (x fastest).
      var d = 0
      while d < dimensions.count {
        coordinate[d] += 1
        if coordinate[d] < dimensions[d] { break }
        coordinate[d] = 0
        d += 1
      }
    }
    return SparseMatrix(
      uncheckedRows: n, columns: n, rowPointers: pointers, columnIndices: cols, values: vals)
  }
}
