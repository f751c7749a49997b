import LinSolveCore

/// What recycling cost in one solve (or summed over many): the products spent rebuilding the
/// space and the time spent projecting against it, beside ``SolveResult/matvecs``.
///
/// Recycling earns its place only if it saves wall time, not just products with `A`: deflating
/// against a k-dimensional space costs about `4·n·k` flops per iteration (two tall
/// matrix–vector products), and refreshing the space costs small dense eigenproblems and
/// `O(n·k·(k + s))` flops per solve. These figures let an experiment charge each part.
public struct RecycleStatistics: Sendable, Equatable, Codable {
  /// Solves counted.
  public var solves = 0
  /// Times the image `C` of the space was recomputed because the operator changed.
  public var rebuilds = 0
  /// Products with `A` spent rebuilding the image (k per rebuild). Already included in
  /// ``SolveResult/matvecs``.
  public var rebuildMatvecs = 0
  /// Applications of `M⁻¹`, all of them (iterations, rebuilds, updates).
  public var preconditionerApplications = 0
  /// Seconds in the per-iteration projections against the space (products with `U` and `C`).
  public var projectionSeconds = 0.0
  /// Seconds refreshing the space after (or, for GCRO-DR, during) a solve: small eigenproblems,
  /// QR, and the tall products forming the new basis.
  public var updateSeconds = 0.0
  /// Seconds rebuilding the image, products with `A` included.
  public var rebuildSeconds = 0.0
  /// Directions dropped as nearly dependent when the space was normalised.
  public var droppedDirections = 0
  /// Dimension of the space after the (last) solve.
  public var dimension = 0

  public init() {}

  /// Adds the counts and times of `other`; ``dimension`` becomes `other`'s.
  public static func += (lhs: inout RecycleStatistics, rhs: RecycleStatistics) {
    lhs.solves += rhs.solves
    lhs.rebuilds += rhs.rebuilds
    lhs.rebuildMatvecs += rhs.rebuildMatvecs
    lhs.preconditionerApplications += rhs.preconditionerApplications
    lhs.projectionSeconds += rhs.projectionSeconds
    lhs.updateSeconds += rhs.updateSeconds
    lhs.rebuildSeconds += rhs.rebuildSeconds
    lhs.droppedDirections += rhs.droppedDirections
    lhs.dimension = rhs.dimension
  }

  /// Takes in what preparing the space for a solve cost (the rebuild counts and times and the
  /// applications of `M⁻¹`; the latter replace any counted before).
  mutating func record(_ cost: RecycleSpace.PreparationCost) {
    if cost.rebuilt { rebuilds = 1 }
    rebuildMatvecs = cost.matvecs
    rebuildSeconds = cost.seconds
    droppedDirections = cost.droppedDirections
    preconditionerApplications = cost.preconditionerApplications
  }
}
