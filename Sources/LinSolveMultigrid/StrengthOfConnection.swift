import LinSolveCore

/// The graph of strong connections of a matrix: for each node `i`, the nodes `j ≠ i` it is
/// strongly connected to, in ascending order (CSR-like: `neighbours[rowPointers[i] ..< rowPointers[i + 1]]`).
public struct ConnectionGraph: Sendable, Equatable {
  /// Number of nodes (rows of the matrix).
  public let nodes: Int
  /// `nodes + 1` offsets into ``neighbours``.
  public let rowPointers: [Int]
  /// The strong neighbours of each node, ascending, never the node itself.
  public let neighbours: [Int32]

  /// Number of strong neighbours of node `i`.
  public func degree(of i: Int) -> Int { rowPointers[i + 1] - rowPointers[i] }
}

/// Symmetric strength of connection, the measure of smoothed aggregation (Vaněk, Mandel,
/// Brezina 1996, "Algebraic multigrid by smoothed aggregation for second and fourth order
/// elliptic problems", Computing 56, eq. (3.1); pyamg's `symmetric_strength_of_connection`):
/// `j ≠ i` is strong for `i` when `|a_ij| ≥ θ·√|a_ii·a_jj|`.
///
/// The measure is symmetric in `i` and `j`, so for a symmetric matrix the graph is undirected.
/// `θ = 0` (the default, like pyamg's smoothed aggregation) keeps every stored nonzero
/// off-diagonal entry; explicit zeros are never connections.
public struct StrengthOfConnection: Sendable, Equatable {
  /// The threshold θ ≥ 0.
  public var theta: Double

  /// - Parameter theta: θ ≥ 0; 0 keeps every nonzero connection.
  public init(theta: Double = 0) {
    self.theta = theta
  }

  /// The strong connections of the square matrix `a` (diagonal `d`, `d.count == a.rows`).
  public func graph(of a: SparseMatrix, diagonal d: [Double]) -> ConnectionGraph {
    precondition(a.rows == a.columns && d.count == a.rows, "strength of connection: square matrix and its diagonal")
    let n = a.rows
    var pointers = [Int](repeating: 0, count: n + 1)
    var neighbours: [Int32] = []
    neighbours.reserveCapacity(max(a.nonzeros - n, 0))
    let theta2 = theta * theta
    a.rowPointers.withUnsafeBufferPointer { rp in
      a.columnIndices.withUnsafeBufferPointer { cp in
        a.values.withUnsafeBufferPointer { vp in
          for i in 0..<n {
            let di = abs(d[i])
            for k in rp[i]..<rp[i + 1] {
              let j = Int(cp[k])
              let v = vp[k]
              guard j != i, v != 0 else { continue }
              // |a_ij|² ≥ θ²·|a_ii·a_jj|: no square root per entry.
              if v * v >= theta2 * di * abs(d[j]) { neighbours.append(Int32(j)) }
            }
            pointers[i + 1] = neighbours.count
          }
        }
      }
    }
    return ConnectionGraph(nodes: n, rowPointers: pointers, neighbours: neighbours)
  }
}
