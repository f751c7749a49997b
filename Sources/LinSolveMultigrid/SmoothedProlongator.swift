import LinSolveCore

/// The smoothed prolongator `P = (I − ω D⁻¹A)·T` of smoothed aggregation: one damped Jacobi
/// step applied to the columns of the tentative prolongator `T` (Vaněk, Mandel, Brezina 1996,
/// §3, with `ω = (4/3)/ρ(D⁻¹A)`; pyamg's `jacobi_prolongation_smoother` with its default
/// `omega = 4/3` scaled by the spectral radius, unfiltered `A`).
public enum SmoothedProlongator {
  /// The damping factor `ω = (4/3)/ρ(D⁻¹A)` for `a` (diagonal `d > 0`).
  public static func omega(_ a: SparseMatrix, diagonal d: [Double]) -> Double {
    (4.0 / 3.0) / SpectralRadiusEstimate.jacobi(a, diagonal: d)
  }

  /// `P = T − ω·D⁻¹·(A·T)`, with the pattern of `A·T` (which contains that of `T`, `A`'s
  /// diagonal being stored).
  public static func smooth(_ t: SparseMatrix, with a: SparseMatrix, diagonal d: [Double], omega: Double) -> SparseMatrix {
    precondition(a.rows == t.rows && a.columns == t.rows, "prolongation smoothing: sizes")
    let at = a.multiplied(by: t)
    var values = at.values
    for i in 0..<at.rows {
      let factor = -omega / d[i]
      let start = at.rowPointers[i], end = at.rowPointers[i + 1]
      for k in start..<end { values[k] *= factor }
      // Add T's entries of row i (at most one, and its column is in A·T's row since a_ii ≠ 0).
      for kt in t.rowPointers[i]..<t.rowPointers[i + 1] {
        let c = t.columnIndices[kt]
        var lo = start, hi = end
        while lo < hi {
          let mid = (lo + hi) / 2
          if at.columnIndices[mid] < c { lo = mid + 1 } else { hi = mid }
        }
        precondition(lo < end && at.columnIndices[lo] == c, "prolongation smoothing: T's pattern not in A·T's")
        values[lo] += t.values[kt]
      }
    }
    return SparseMatrix(
      uncheckedRows: at.rows, columns: at.columns, rowPointers: at.rowPointers,
      columnIndices: at.columnIndices, values: values)
  }
}
