// Shared machinery of the row-action methods (randomized Kaczmarz, sketch-and-project):
// row access for CSR and dense matrices and row sampling. Their stopping logic is Core's
// ConvergenceTracker, fed at every check with a StagnationRule.

import LinSolveCore

/// Row access for the row-action methods, as raw pointers valid during one solve.
protocol RowView {
  var rows: Int { get }
  var columns: Int { get }
  /// `a_iᵀx`.
  func dot(row i: Int, _ x: UnsafeMutablePointer<Double>) -> Double
  /// `x ← x + α a_i`.
  func axpy(row i: Int, _ alpha: Double, _ x: UnsafeMutablePointer<Double>)
  /// `w ← a_i` (w has `columns` entries, overwritten).
  func copy(row i: Int, into w: UnsafeMutablePointer<Double>)
  /// `‖a_i‖²`.
  func normSquared(row i: Int) -> Double
}

extension RowView {
  /// `‖a_i‖²` for every row.
  func rowNormsSquared() -> [Double] { (0..<rows).map { normSquared(row: $0) } }
}

struct CSRRowView: RowView {
  let rows: Int
  let columns: Int
  let rowPointers: UnsafePointer<Int>
  let columnIndices: UnsafePointer<Int32>
  let values: UnsafePointer<Double>

  @inline(__always) func dot(row i: Int, _ x: UnsafeMutablePointer<Double>) -> Double {
    var s = 0.0
    for k in rowPointers[i]..<rowPointers[i + 1] { s += values[k] * x[Int(columnIndices[k])] }
    return s
  }

  @inline(__always) func axpy(row i: Int, _ alpha: Double, _ x: UnsafeMutablePointer<Double>) {
    for k in rowPointers[i]..<rowPointers[i + 1] { x[Int(columnIndices[k])] += alpha * values[k] }
  }

  func copy(row i: Int, into w: UnsafeMutablePointer<Double>) {
    w.update(repeating: 0, count: columns)
    for k in rowPointers[i]..<rowPointers[i + 1] { w[Int(columnIndices[k])] = values[k] }
  }

  func normSquared(row i: Int) -> Double {
    var s = 0.0
    for k in rowPointers[i]..<rowPointers[i + 1] { s += values[k] * values[k] }
    return s
  }

  /// Runs `body` with a view of `a` (empty matrices get dummy pointers, never read).
  static func with<T>(_ a: SparseMatrix, _ body: (CSRRowView) throws -> T) rethrows -> T {
    try a.rowPointers.withUnsafeBufferPointer { rp in
      try a.columnIndices.withUnsafeBufferPointer { cp in
        try a.values.withUnsafeBufferPointer { vp in
          let dummyIndex = UnsafePointer<Int32>(bitPattern: 8)!, dummyValue = UnsafePointer<Double>(bitPattern: 8)!
          return try body(
            CSRRowView(
              rows: a.rows, columns: a.columns, rowPointers: rp.baseAddress!,
              columnIndices: cp.baseAddress ?? dummyIndex, values: vp.baseAddress ?? dummyValue))
        }
      }
    }
  }
}

/// A dense matrix copied to row-major order (Kaczmarz reads rows; column-major rows are strided).
struct DenseRowView: RowView {
  let rows: Int
  let columns: Int
  let values: UnsafePointer<Double>

  @inline(__always) func dot(row i: Int, _ x: UnsafeMutablePointer<Double>) -> Double {
    let r = values + i * columns
    var s0 = 0.0, s1 = 0.0
    var j = 0
    while j + 2 <= columns {
      s0 += r[j] * x[j]
      s1 += r[j + 1] * x[j + 1]
      j += 2
    }
    if j < columns { s0 += r[j] * x[j] }
    return s0 + s1
  }

  @inline(__always) func axpy(row i: Int, _ alpha: Double, _ x: UnsafeMutablePointer<Double>) {
    let r = values + i * columns
    for j in 0..<columns { x[j] += alpha * r[j] }
  }

  func copy(row i: Int, into w: UnsafeMutablePointer<Double>) {
    w.update(from: values + i * columns, count: columns)
  }

  func normSquared(row i: Int) -> Double {
    let r = values + i * columns
    var s = 0.0
    for j in 0..<columns { s += r[j] * r[j] }
    return s
  }

  /// Runs `body` with a row-major copy of `a`.
  static func with<T>(_ a: DenseMatrix, _ body: (DenseRowView) throws -> T) rethrows -> T {
    let m = a.rows, n = a.columns
    var rowMajor = [Double](repeating: 0, count: m * n)
    // Transposed in 64 × 64 tiles, so neither side is walked with a large stride for long.
    rowMajor.withUnsafeMutableBufferPointer { out in
      a.values.withUnsafeBufferPointer { v in
        for i0 in stride(from: 0, to: m, by: 64) {
          for j0 in stride(from: 0, to: n, by: 64) {
            for i in i0..<min(i0 + 64, m) {
              for j in j0..<min(j0 + 64, n) { out[i * n + j] = v[i + j * m] }
            }
          }
        }
      }
    }
    return try rowMajor.withUnsafeBufferPointer { v in
      try body(DenseRowView(rows: a.rows, columns: a.columns, values: v.baseAddress ?? UnsafePointer(bitPattern: 8)!))
    }
  }
}

/// Samples row indices with probability proportional to given weights (`‖a_i‖²`), by binary
/// search in the cumulative sums; or uniformly.
struct RowSampler {
  private let cumulative: [Double]
  private let uniform: Bool
  let count: Int

  init(weights: [Double], uniform: Bool) {
    count = weights.count
    self.uniform = uniform
    var c = [Double](repeating: 0, count: weights.count)
    var s = 0.0
    for i in 0..<weights.count {
      s += weights[i]
      c[i] = s
    }
    cumulative = c
  }

  var total: Double { cumulative.last ?? 0 }

  @inline(__always) func sample(_ rng: inout SketchRNG) -> Int {
    if uniform { return CounterRandom.index(rng.next(), below: count) }
    let target = rng.unit() * total
    var lo = 0, hi = count - 1
    while lo < hi {
      let mid = (lo + hi) / 2
      if cumulative[mid] <= target { lo = mid + 1 } else { hi = mid }
    }
    return lo
  }
}
