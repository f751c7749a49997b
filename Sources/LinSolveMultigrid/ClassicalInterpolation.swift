import LinSolveCore

/// Classical Ruge–Stüben interpolation (Ruge, Stüben 1987, §4.3, eq. (4.36); the form of
/// hypre BoomerAMG's `interp_type` 0 with its treatment of F–F connections): the prolongator
/// that copies C points and interpolates each F point `i` from its strong C neighbours `C_i`,
///
///     w_ik = −( a_ik + Σ_{m ∈ F^s_i} a_im · ā_mk / Σ_{l ∈ C_i} ā_ml ) / ( a_ii + Σ_{n ∈ W_i} a_in ),
///
/// where `F^s_i` are `i`'s strong F neighbours, whose couplings are distributed to `C_i` in
/// proportion to their own couplings `ā_mk` to those points (only entries of sign opposite to
/// `a_mm` count), and the weak couplings `W_i` — and strong F neighbours with no coupling into
/// `C_i` — are lumped into the diagonal. Rows keep at most ``maxEntries`` weights, the
/// largest in magnitude, rescaled to the same sum (hypre's `P_max_elmts`), which bounds the
/// coarse operators' growth.
public struct ClassicalInterpolation: Sendable, Equatable {
  /// At most this many weights per row of `P`; 0 keeps all.
  public var maxEntries: Int

  public init(maxEntries: Int = 4) {
    self.maxEntries = maxEntries
  }

  /// The prolongator `P` (`a.rows × splitting.coarseCount`) for `a` with positive diagonal `d`,
  /// its strength graph `s` and the C/F `splitting`.
  public func prolongator(for a: SparseMatrix, diagonal d: [Double], strength s: ConnectionGraph, splitting: CoarseFineSplitting) -> SparseMatrix {
    let n = a.rows
    let limit = maxEntries > 0 ? maxEntries : Int.max
    var pointers = [Int](repeating: 0, count: n + 1)
    for i in 0..<n {
      if splitting.isCoarse[i] {
        pointers[i + 1] = 1
      } else {
        var c = 0
        for q in s.rowPointers[i]..<s.rowPointers[i + 1] where splitting.isCoarse[Int(s.neighbours[q])] { c += 1 }
        pointers[i + 1] = min(c, limit)
      }
    }
    for i in 0..<n { pointers[i + 1] += pointers[i] }
    var columns = [Int32](repeating: 0, count: pointers[n])
    var values = [Double](repeating: 0, count: pointers[n])
    let longest = (0..<n).reduce(0) { max($0, s.degree(of: $1)) }
    let chunks = Parallel.chunkCount(n)
    columns.withUnsafeMutableBufferPointer { columns in
      values.withUnsafeMutableBufferPointer { values in
        let out = UncheckedSendable((columns, values))
        Parallel.run(chunks) { c in
          let (columns, values) = out.value
          var rows = InterpolationRows(a: a, diagonal: d, strength: s, splitting: splitting, longestRow: longest)
          for i in Parallel.chunk(c, of: chunks, count: n) {
            let start = pointers[i]
            if splitting.isCoarse[i] {
              columns[start] = splitting.coarseIndex[i]
              values[start] = 1
            } else if pointers[i + 1] > start {
              rows.write(row: i, limit: limit, columns: columns.baseAddress! + start, values: values.baseAddress! + start)
            }
          }
        }
      }
    }
    return SparseMatrix(
      uncheckedRows: n, columns: splitting.coarseCount, rowPointers: pointers, columnIndices: columns, values: values)
  }
}

/// The per-thread scratch of ``ClassicalInterpolation``: which fine points are strong C
/// neighbours of the row being built (stamped with the row, so nothing is cleared between rows).
private struct InterpolationRows {
  let a: SparseMatrix
  let d: [Double]
  let s: ConnectionGraph
  let splitting: CoarseFineSplitting
  /// `stamp[k] == i` when `k` is in `C_i` of the current row `i`; then `slot[k]` is its place.
  var stamp: [Int]
  var slot: [Int32]
  /// `C_i` (fine indices) and the weights' numerators.
  var neighbours: [Int]
  var weights: [Double]
  /// Scratch for truncation.
  var magnitudes: [Double]

  init(a: SparseMatrix, diagonal: [Double], strength: ConnectionGraph, splitting: CoarseFineSplitting, longestRow: Int) {
    self.a = a
    d = diagonal
    s = strength
    self.splitting = splitting
    stamp = [Int](repeating: -1, count: a.rows)
    slot = [Int32](repeating: 0, count: a.rows)
    neighbours = []
    neighbours.reserveCapacity(longestRow)
    weights = []
    weights.reserveCapacity(longestRow)
    magnitudes = []
    magnitudes.reserveCapacity(longestRow)
  }

  /// Computes row `i` (an F point with at least one strong C neighbour) and writes its
  /// `min(|C_i|, limit)` entries, columns ascending.
  mutating func write(row i: Int, limit: Int, columns: UnsafeMutablePointer<Int32>, values: UnsafeMutablePointer<Double>) {
    neighbours.removeAll(keepingCapacity: true)
    weights.removeAll(keepingCapacity: true)
    let strongStart = s.rowPointers[i], strongEnd = s.rowPointers[i + 1]
    for q in strongStart..<strongEnd {
      let k = Int(s.neighbours[q])
      guard splitting.isCoarse[k] else { continue }
      stamp[k] = i
      slot[k] = Int32(neighbours.count)
      neighbours.append(k)
      weights.append(0)
    }
    var diagonal = d[i]
    var strong = strongStart  // walks S_i beside row i of A (both ascending)
    for p in a.rowPointers[i]..<a.rowPointers[i + 1] {
      let j = Int(a.columnIndices[p]), aij = a.values[p]
      guard j != i, aij != 0 else { continue }
      while strong < strongEnd && Int(s.neighbours[strong]) < j { strong += 1 }
      let isStrong = strong < strongEnd && Int(s.neighbours[strong]) == j
      if stamp[j] == i {
        weights[Int(slot[j])] += aij
      } else if isStrong && !splitting.isCoarse[j] {
        distribute(aij, from: j, row: i, lumpInto: &diagonal)
      } else {
        diagonal += aij
      }
    }
    if !(diagonal > 0) { diagonal = d[i] }  // lumping must not flip or cancel the diagonal
    for k in weights.indices { weights[k] = -weights[k] / diagonal }
    // Truncation: keep the `limit` largest magnitudes (ties: the first), rescaled to the row's sum.
    var threshold = 0.0, ties = Int.max
    if neighbours.count > limit {
      magnitudes.removeAll(keepingCapacity: true)
      for w in weights { magnitudes.append(abs(w)) }
      magnitudes.sort(by: >)
      threshold = magnitudes[limit - 1]
      ties = limit - magnitudes.prefix(limit).count { $0 > threshold }
    }
    var total = 0.0, kept = 0.0, next = 0
    for k in weights.indices {
      let w = weights[k], m = abs(w)
      total += w
      guard m > threshold || (m == threshold && ties > 0) else { continue }
      if m == threshold { ties -= 1 }
      kept += w
      columns[next] = splitting.coarseIndex[neighbours[k]]
      values[next] = w
      next += 1
    }
    if neighbours.count > limit && kept != 0 {
      let scale = total / kept
      for q in 0..<next { values[q] *= scale }
    }
  }

  /// Distributes `aim` (a strong F neighbour `m` of row `i`) to `C_i` in proportion to `m`'s
  /// couplings of sign opposite to `a_mm`; lumps it into the diagonal if `m` has none into `C_i`.
  private mutating func distribute(_ aim: Double, from m: Int, row i: Int, lumpInto diagonal: inout Double) {
    let rows = a.rowPointers[m]..<a.rowPointers[m + 1]
    let opposite = d[m] > 0 ? -1.0 : 1.0
    var sum = 0.0
    for p in rows {
      let k = Int(a.columnIndices[p])
      if stamp[k] == i && a.values[p] * opposite > 0 { sum += a.values[p] }
    }
    guard sum != 0 else {
      diagonal += aim
      return
    }
    let factor = aim / sum
    for p in rows {
      let k = Int(a.columnIndices[p])
      if stamp[k] == i && a.values[p] * opposite > 0 { weights[Int(slot[k])] += factor * a.values[p] }
    }
  }
}
