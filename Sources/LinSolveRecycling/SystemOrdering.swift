import LinSolveCore

/// Orders a set of systems so that consecutive ones are close, for solvers that carry
/// information from one system to the next (SKR, Wang et al. 2024, Algorithm 1).
///
/// The greedy nearest-neighbour chain starts from a given system (system 0 by default) and
/// repeatedly moves to the nearest system not yet visited — the nearest-neighbour heuristic
/// for an open travelling-salesman path. It needs `N(N − 1)/2` distances and no storage beyond
/// the order; ties go to the lower index, so the result is deterministic.
///
/// Distances are Euclidean between user-supplied feature vectors (SKR uses the coefficient
/// field that generated each matrix), or, for a ``SystemSequence``, `‖A_i − A_j‖_F` between the
/// matrices: computed on the value arrays when all matrices share one sparsity pattern, and by
/// merging rows otherwise.
///
/// Whether ordering pays off is an empirical question: measurements reported with the SKR
/// reproduction moved matrix–vector counts of carried GCRO-DR and deflated CG by a few percent
/// at most. ``pathLength(_:distance:)`` reports `Σ d(order[i], order[i+1])` to compare orders.
///
/// Reference: H. Wang, Z. Hao, J. Wang, Z. Geng, Z. Wang, B. Li, F. Wu, "Accelerating
/// data generation for neural operators via Krylov subspace recycling", ICLR 2024
/// (arXiv:2401.09516), Algorithm 1.
public enum SystemOrdering {
  /// `0, 1, …, count − 1`.
  public static func identity(count: Int) -> [Int] { Array(0..<count) }

  /// The greedy nearest-neighbour chain over `count` items with the given symmetric distance.
  ///
  /// - Parameters:
  ///   - start: the first item (default 0).
  ///   - distance: `d(i, j) ≥ 0`, symmetric; called once per unordered pair at most.
  /// - Returns: a permutation of `0..<count` beginning with `start`.
  /// - Complexity: `O(count²)` distance evaluations.
  public static func greedyNearestNeighbor(
    count: Int, start: Int = 0, distance: (Int, Int) -> Double
  ) -> [Int] {
    guard count > 0 else { return [] }
    precondition(start >= 0 && start < count, "start \(start) is not in 0..<\(count)")
    var visited = [Bool](repeating: false, count: count)
    var order = [start]
    order.reserveCapacity(count)
    visited[start] = true
    var current = start
    for _ in 1..<count {
      var best = -1
      var bestDistance = Double.infinity
      for j in 0..<count where !visited[j] {
        let d = distance(current, j)
        if best < 0 || d < bestDistance {
          best = j
          bestDistance = d
        }
      }
      visited[best] = true
      order.append(best)
      current = best
    }
    return order
  }

  /// The greedy chain over feature vectors (all of one length), with Euclidean distances.
  public static func greedyNearestNeighbor(features: [[Double]], start: Int = 0) -> [Int] {
    checkFeatures(features)
    return greedyNearestNeighbor(count: features.count, start: start) { distance(features[$0], features[$1]) }
  }

  /// The greedy chain over the systems of a sequence, by `‖A_i − A_j‖_F`.
  public static func greedyNearestNeighbor(_ sequence: SystemSequence, start: Int = 0) -> [Int] {
    let d = matrixDistance(sequence)
    return greedyNearestNeighbor(count: sequence.count, start: start, distance: d)
  }

  /// The greedy chain over the systems of a sequence, by the Euclidean distance between the
  /// features `feature(system)` (e.g. the coefficient field each matrix was built from).
  public static func greedyNearestNeighbor(
    _ sequence: SystemSequence, start: Int = 0, feature: (LinearSystem) -> [Double]
  ) -> [Int] {
    greedyNearestNeighbor(features: sequence.map(feature), start: start)
  }

  /// `Σ d(order[i], order[i + 1])`, the length of the path visiting the items in `order`.
  public static func pathLength(_ order: [Int], distance: (Int, Int) -> Double) -> Double {
    guard order.count > 1 else { return 0 }
    var total = 0.0
    for i in 0..<(order.count - 1) { total += distance(order[i], order[i + 1]) }
    return total
  }

  /// The path length of `order` through feature vectors (Euclidean).
  public static func pathLength(_ order: [Int], features: [[Double]]) -> Double {
    checkFeatures(features)
    return pathLength(order) { distance(features[$0], features[$1]) }
  }

  /// The path length of `order` through the matrices of a sequence, by `‖A_i − A_j‖_F`.
  public static func pathLength(_ order: [Int], sequence: SystemSequence) -> Double {
    pathLength(order, distance: matrixDistance(sequence))
  }

  /// `‖x − y‖₂`.
  public static func distance(_ x: [Double], _ y: [Double]) -> Double {
    precondition(x.count == y.count, "feature vectors of lengths \(x.count) and \(y.count)")
    var s = 0.0
    for i in 0..<x.count {
      let d = x[i] - y[i]
      s += d * d
    }
    return s.squareRoot()
  }

  /// `‖A − B‖_F` for two matrices of one shape: on the value arrays when the sparsity patterns
  /// agree, otherwise by merging each row's sorted columns (an entry missing from one matrix
  /// counts as 0 there).
  ///
  /// - Complexity: O(nnz(A) + nnz(B)).
  public static func distance(_ a: SparseMatrix, _ b: SparseMatrix) -> Double {
    precondition(a.rows == b.rows && a.columns == b.columns, "matrices of different shapes")
    if a.rowPointers == b.rowPointers && a.columnIndices == b.columnIndices {
      return distance(a.values, b.values)
    }
    var s = 0.0
    for i in 0..<a.rows {
      var p = a.rowPointers[i], q = b.rowPointers[i]
      let pEnd = a.rowPointers[i + 1], qEnd = b.rowPointers[i + 1]
      while p < pEnd || q < qEnd {
        let ca = p < pEnd ? a.columnIndices[p] : Int32.max
        let cb = q < qEnd ? b.columnIndices[q] : Int32.max
        let d: Double
        if ca == cb {
          d = a.values[p] - b.values[q]
          p += 1
          q += 1
        } else if ca < cb {
          d = a.values[p]
          p += 1
        } else {
          d = -b.values[q]
          q += 1
        }
        s += d * d
      }
    }
    return s.squareRoot()
  }

  /// `d(i, j) = ‖A_i − A_j‖_F` for a sequence, using the value arrays directly when every
  /// matrix has the first one's pattern (checked once, not per pair).
  private static func matrixDistance(_ sequence: SystemSequence) -> (Int, Int) -> Double {
    let matrices = sequence.map(\.matrix)
    guard let first = matrices.first else { return { _, _ in 0 } }
    let samePattern = matrices.allSatisfy {
      $0.rows == first.rows && $0.columns == first.columns && $0.rowPointers == first.rowPointers
        && $0.columnIndices == first.columnIndices
    }
    if samePattern { return { distance(matrices[$0].values, matrices[$1].values) } }
    return { distance(matrices[$0], matrices[$1]) }
  }

  private static func checkFeatures(_ features: [[Double]]) {
    if let n = features.first?.count {
      precondition(features.allSatisfy { $0.count == n }, "feature vectors differ in length")
    }
  }
}
