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

    public init(rows: Int, nonzeros: Int) {
      self.rows = rows
      self.nonzeros = nonzeros
    }
  }

  /// The levels, finest first; the last is solved directly.
  public var levels: [Level]
  /// The solver of the coarsest level: `cholesky`, `lu` or `pseudo-inverse`.
  public var coarseSolver: String

  public init(levels: [Level], coarseSolver: String) {
    self.levels = levels
    self.coarseSolver = coarseSolver
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
      "operator complexity \(Self.format(operatorComplexity)), grid complexity \(Self.format(gridComplexity))")
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
