/// What a multigrid hierarchy looks like: rows and nonzeros per level and the two complexities
/// by which AMG setups are compared (pyamg's `multilevel_solver.__repr__`, hypre's setup
/// report). `solve --view` prints it.
public struct MultigridHierarchySummary: Sendable, Equatable, CustomStringConvertible {
  /// One level, finest first.
  public struct Level: Sendable, Equatable {
    /// Rows (unknowns) of the level's operator.
    public var rows: Int
    /// Stored entries of the level's operator.
    public var nonzeros: Int
    /// Stored entries of the prolongator and the restriction to the next level (0 on the coarsest).
    public var transferNonzeros: Int

    public init(rows: Int, nonzeros: Int, transferNonzeros: Int = 0) {
      self.rows = rows
      self.nonzeros = nonzeros
      self.transferNonzeros = transferNonzeros
    }
  }

  /// The levels, finest first; the last is solved directly.
  public var levels: [Level]
  /// The solver of the coarsest level: `cholesky`, `lu` or `pseudo-inverse`.
  public var coarseSolver: String

  /// Smoothing sweeps per visit of a level (pre + post).
  public var sweeps: Int
  /// Visits of the next coarser level per visit of a level (1: V-cycle, 2: W-cycle).
  public var coarseVisits: Int

  public init(levels: [Level], coarseSolver: String, sweeps: Int = 2, coarseVisits: Int = 1) {
    self.levels = levels
    self.coarseSolver = coarseSolver
    self.sweeps = sweeps
    self.coarseVisits = coarseVisits
  }

  /// Operator complexity `Σ_l nnz(A_l) / nnz(A_0)`: the cost of a V-cycle's smoothing and
  /// residuals relative to the finest level's (and the memory of the operators).
  public var operatorComplexity: Double {
    guard let first = levels.first, first.nonzeros > 0 else { return 1 }
    return Double(levels.reduce(0) { $0 + $1.nonzeros }) / Double(first.nonzeros)
  }

  /// Grid complexity `Σ_l n_l / n_0`.
  public var gridComplexity: Double {
    guard let first = levels.first, first.rows > 0 else { return 1 }
    return Double(levels.reduce(0) { $0 + $1.rows }) / Double(first.rows)
  }

  /// Cycle complexity: the stored entries one cycle reads, over `nnz(A_0)` — the cost of a
  /// cycle in SpMV-equivalents with the fine matrix (pyamg's `cycle_complexity`). Each visit of
  /// a level costs `sweeps` passes over `A_l` (a Gauss–Seidel sweep or a Jacobi step reads the
  /// matrix once), one residual, the restriction and the prolongation; a W-cycle visits level
  /// `l` `2^l` times. The coarsest level counts one pass over its operator (the direct solve's
  /// triangular sweeps read a factor of about that size on the ≤ 500-row levels used here).
  public var cycleComplexity: Double {
    guard let first = levels.first, first.nonzeros > 0 else { return 1 }
    var work = 0.0, visits = 1.0
    for (l, level) in levels.enumerated() {
      if l == levels.count - 1 {
        work += visits * Double(level.nonzeros)
      } else {
        work += visits * (Double((sweeps + 1) * level.nonzeros) + Double(level.transferNonzeros))
        visits *= Double(coarseVisits)
      }
    }
    return work / Double(first.nonzeros)
  }

  /// A few lines: one per level (right-aligned columns), then the complexities.
  public var description: String {
    let rowsWidth = max(4, levels.map { String($0.rows).count }.max() ?? 0)
    let nonzerosWidth = max(8, levels.map { String($0.nonzeros).count }.max() ?? 0)
    func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
    var lines = ["level  \(pad("rows", rowsWidth))  \(pad("nonzeros", nonzerosWidth))"]
    for (l, level) in levels.enumerated() {
      lines.append(
        "\(pad(String(l), 5))  \(pad(String(level.rows), rowsWidth))  \(pad(String(level.nonzeros), nonzerosWidth))"
          + (l == levels.count - 1 ? "  (\(coarseSolver))" : ""))
    }
    lines.append(
      "operator complexity \(Self.format(operatorComplexity)), grid complexity \(Self.format(gridComplexity)), "
        + "cycle complexity \(Self.format(cycleComplexity)) (SpMV-equivalents per cycle)")
    return lines.joined(separator: "\n")
  }

  /// `x` with three decimals (`1.234`), as the complexities are printed.
  public static func format(_ x: Double) -> String {
    let scaled = (x * 1000).rounded()
    let whole = Int(scaled) / 1000, fraction = Int(scaled) % 1000
    let digits = String(fraction)
    return "\(whole)." + String(repeating: "0", count: 3 - digits.count) + digits
  }
}
