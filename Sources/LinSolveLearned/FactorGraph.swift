import LinSolveCore
import LinSolveKrylov

/// What the network of ``LearnedFactorModel`` reads of one matrix: the graph of `A` and the
/// IC(0) factor on it, in the scale-invariant form `Ã = D^{-1/2} A D^{-1/2}` (`D = diag(A)`).
///
/// IC(0) commutes with diagonal scaling, so `L̃ = D^{-1/2} L_IC(A)` is IC(0) of `Ã`; the
/// network corrects `L̃` and the factor used is `L = D^{1/2} L̃_new`. Features
/// (`LearnedFactorModel.nodeFeatureCount` per node, `edgeFeatureCount` per lower edge):
///
/// - node `i`: `l̃_ii`, `Σ_{j≠i} |ã_ij|`, the row sum `Σ_j ã_ij`, and the row sum of the IC(0)
///   error `(L̃L̃ᵀ − Ã)·1` — the fill IC(0) dropped, which modified IC compensates
///   (Gustafsson 1978);
/// - lower edge `(i, j)`, `j < i`: `ã_ij` and `l̃_ij`.
///
/// Messages run over the off-diagonal entries of `Ã`, weighted by `|ã_ij|`.
package final class FactorGraph {
  package let order: Int
  package let signature: PatternSignature
  /// `√a_ii`.
  package let rootDiagonal: [Double]
  /// IC(0)'s strict lower pattern by rows (columns ascending), as ``IncompleteCholesky``
  /// stores it.
  package let lowerPointers: [Int]
  package let lowerColumns: [Int32]
  /// `l̃_ij` on the strict lower pattern and `l̃_ii`.
  package let lowerIC: [Double]
  package let diagonalIC: [Double]
  /// `ã_ij` on the strict lower pattern.
  package let lowerCoupling: [Double]
  /// Off-diagonal entries of `Ã` by rows: pointers, columns, `|ã_ij|`.
  package let adjacencyPointers: [Int]
  package let adjacencyColumns: [Int32]
  package let adjacencyWeights: [Double]
  /// `order × nodeFeatureCount`, row-major.
  package let nodeFeatures: [Double]

  /// The graph of `a` with the IC(0) factor `ic` computed for it.
  ///
  /// - Precondition: `ic` was set up for `a` (the caller's ``IncompleteCholesky``).
  package init(_ a: SparseMatrix, incompleteCholesky ic: IncompleteCholesky) {
    let n = a.rows
    let (lp, lc, lv) = ic.strictLower
    let ld = ic.diagonalValues
    precondition(ld.count == n && lp.count == n + 1, "FactorGraph: IC(0) was set up for another matrix")
    var root = [Double](repeating: 0, count: n)
    var diagonalAt = [Int](repeating: -1, count: n)
    for i in 0..<n {
      for k in a.rowPointers[i]..<a.rowPointers[i + 1] where Int(a.columnIndices[k]) == i {
        diagonalAt[i] = k
        root[i] = a.values[k].squareRoot()
      }
    }
    var coupling = [Double](repeating: 0, count: lc.count)
    var lowerScaled = [Double](repeating: 0, count: lc.count)
    var adjacencyPointers = [Int](repeating: 0, count: n + 1)
    var adjacencyColumns: [Int32] = []
    var weights: [Double] = []
    adjacencyColumns.reserveCapacity(a.nonzeros - n)
    weights.reserveCapacity(a.nonzeros - n)
    var features = [Double](repeating: 0, count: n * LearnedFactorModel.nodeFeatureCount)
    let f = LearnedFactorModel.nodeFeatureCount
    for i in 0..<n {
      // A's entries left of the diagonal are IC(0)'s lower pattern of row i, in order.
      var p = lp[i]
      var absolute = 0.0, sum = 0.0
      for k in a.rowPointers[i]..<a.rowPointers[i + 1] {
        let j = Int(a.columnIndices[k])
        let scaled = a.values[k] / (root[i] * root[j])
        sum += scaled
        if j == i { continue }
        absolute += abs(scaled)
        adjacencyColumns.append(Int32(j))
        weights.append(abs(scaled))
        if j < i {
          coupling[p] = scaled
          lowerScaled[p] = lv[p] / root[i]
          p += 1
        }
      }
      adjacencyPointers[i + 1] = adjacencyColumns.count
      features[i * f] = ld[i] / root[i]
      features[i * f + 1] = absolute
      features[i * f + 2] = sum
    }
    let diagonalScaled = (0..<n).map { ld[$0] / root[$0] }
    // The dropped fill's row sums: (L̃ L̃ᵀ 1 − Ã 1)_i.
    var column = diagonalScaled  // v = L̃ᵀ 1
    for i in 0..<n {
      for p in lp[i]..<lp[i + 1] { column[Int(lc[p])] += lowerScaled[p] }
    }
    for i in 0..<n {
      var s = diagonalScaled[i] * column[i]
      for p in lp[i]..<lp[i + 1] { s += lowerScaled[p] * column[Int(lc[p])] }
      features[i * f + 3] = s - features[i * f + 2]
    }

    order = n
    signature = PatternSignature(of: a)
    rootDiagonal = root
    lowerPointers = lp
    lowerColumns = lc
    lowerIC = lowerScaled
    diagonalIC = diagonalScaled
    lowerCoupling = coupling
    self.adjacencyPointers = adjacencyPointers
    self.adjacencyColumns = adjacencyColumns
    adjacencyWeights = weights
    nodeFeatures = features
  }

  /// The number of strict-lower entries of `L`.
  package var lowerCount: Int { lowerColumns.count }
}
