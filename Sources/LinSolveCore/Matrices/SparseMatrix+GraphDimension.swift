import Foundation

extension SparseMatrix {
  /// The apparent dimension of the matrix graph of a square matrix: how fast the number of
  /// nodes within `r` edges of a node grows, `N(2r)/N(r) ≈ 2^d`, measured from a
  /// pseudo-peripheral node at `r = D/8` for `D` its eccentricity. About 2 for a 2-D grid or
  /// unstructured mesh and 3 for a 3-D one, whatever the stencil width or the mesh's edge
  /// lengths (which cancel in the ratio). Two breadth-first searches, the second from the node
  /// the first reached last (the George–Liu start of reverse Cuthill–McKee): `O(nnz)` time,
  /// `O(n)` memory.
  ///
  /// Returns `nil` when the graph is too small to say (fewer than 64 rows or `D < 8`), or not
  /// connected from row 0 through at least half the rows.
  public func graphDimension() -> Double? {
    precondition(rows == columns, "graphDimension: square matrix")
    let n = rows
    guard n >= 64 else { return nil }
    var level = [Int32](repeating: -1, count: n)
    var queue = [Int32](repeating: 0, count: n)
    /// Breadth-first search from `start`: (last node reached, its level, nodes reached).
    func search(from start: Int) -> (last: Int, depth: Int, reached: Int) {
      for i in 0..<n { level[i] = -1 }
      level[start] = 0
      queue[0] = Int32(start)
      var head = 0, tail = 1
      while head < tail {
        let i = Int(queue[head])
        head += 1
        let next = level[i] + 1
        for k in rowPointers[i]..<rowPointers[i + 1] {
          let j = Int(columnIndices[k])
          if level[j] < 0 {
            level[j] = next
            queue[tail] = Int32(j)
            tail += 1
          }
        }
      }
      let last = Int(queue[tail - 1])
      return (last, Int(level[last]), tail)
    }
    let first = search(from: 0)
    guard first.reached * 2 >= n else { return nil }
    let second = search(from: first.last)
    guard second.depth >= 8 else { return nil }
    let inner = second.depth / 8, outer = 2 * inner
    var within = (inner: 0, outer: 0)
    for i in 0..<n where level[i] >= 0 {
      if level[i] <= inner { within.inner += 1 }
      if level[i] <= outer { within.outer += 1 }
    }
    return log2(Double(within.outer) / Double(within.inner))
  }
}
