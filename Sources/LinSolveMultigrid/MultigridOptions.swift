import LinSolveCore

/// The shape of a multigrid cycle: how often each level visits the next coarser one.
///
/// - ``v``: once (γ = 1), the default of hypre BoomerAMG, pyamg and PETSc GAMG.
/// - ``w``: twice (γ = 2; pyamg's `cycle='W'`, hypre's `-pc_hypre_boomeramg_cycle_type W`):
///   more work on the coarse levels, fewer cycles on hard problems (anisotropy, high contrast).
public enum MultigridCycle: String, Sendable, CaseIterable, Codable {
  case v
  case w

  /// Visits of the next coarser level per visit of a level (γ).
  public var coarseVisits: Int { self == .v ? 1 : 2 }
}

/// The parameters of an algebraic multigrid's set-up and cycle, shared by
/// ``SmoothedAggregationAMG`` and ``RugeStubenAMG`` (`solve --amg-theta`, `--amg-smoother`,
/// `--amg-cycle`).
public struct MultigridOptions: Sendable, Equatable {
  /// Strength threshold θ ∈ [0, 1] of the coarsening's strength of connection; `nil` takes the
  /// method's default (smoothed aggregation 0, like pyamg's SA; Ruge–Stüben 0.25, like hypre
  /// BoomerAMG and pyamg's RS).
  public var theta: Double?
  /// Coarsening stops once a level has at most this many rows (≥ 1).
  public var maxCoarse: Int
  /// At most this many levels, the coarsest included (≥ 1).
  public var maxLevels: Int
  /// The relaxation on each level.
  public var smoother: MultigridSmoother
  /// Smoothing steps before the coarse correction (≥ 0).
  public var preSweeps: Int
  /// Smoothing steps after it (≥ 0); equal to ``preSweeps`` for a symmetric cycle.
  public var postSweeps: Int
  /// V- or W-cycle.
  public var cycle: MultigridCycle
  /// Ruge–Stüben only: at most this many interpolation weights per row (hypre's
  /// `P_max_elmts`); 0 keeps all.
  public var maxInterpolationEntries: Int

  public init(
    theta: Double? = nil, maxCoarse: Int = 500, maxLevels: Int = 10, smoother: MultigridSmoother = .gaussSeidel,
    preSweeps: Int = 1, postSweeps: Int = 1, cycle: MultigridCycle = .v, maxInterpolationEntries: Int = 4
  ) {
    self.theta = theta
    self.maxCoarse = maxCoarse
    self.maxLevels = maxLevels
    self.smoother = smoother
    self.preSweeps = preSweeps
    self.postSweeps = postSweeps
    self.cycle = cycle
    self.maxInterpolationEntries = maxInterpolationEntries
  }

  /// - Throws: ``LinSolveError/invalidParameter(name:reason:)`` for a value out of range.
  public func validate() throws {
    if let theta {
      guard theta.isFinite, theta >= 0, theta <= 1 else {
        throw LinSolveError.invalidParameter(name: "amg theta", reason: "θ = \(theta) must be in [0, 1]")
      }
    }
    guard maxCoarse >= 1 else {
      throw LinSolveError.invalidParameter(name: "amg maxCoarse", reason: "\(maxCoarse) must be ≥ 1")
    }
    guard maxLevels >= 1 else {
      throw LinSolveError.invalidParameter(name: "amg maxLevels", reason: "\(maxLevels) must be ≥ 1")
    }
    guard preSweeps >= 0, postSweeps >= 0 else {
      throw LinSolveError.invalidParameter(name: "amg sweeps", reason: "pre \(preSweeps), post \(postSweeps) must be ≥ 0")
    }
    guard maxInterpolationEntries >= 0 else {
      throw LinSolveError.invalidParameter(name: "amg maxInterpolationEntries", reason: "\(maxInterpolationEntries) must be ≥ 0")
    }
  }
}

extension MultigridOptions: CustomStringConvertible {
  /// `θ 0.25, gauss-seidel 1/1, V-cycle, coarse ≤ 500 rows, ≤ 10 levels` (θ `default` when unset).
  public var description: String {
    "θ \(theta.map { "\($0)" } ?? "default"), \(smoother.rawValue) \(preSweeps)/\(postSweeps), "
      + "\(cycle.rawValue.uppercased())-cycle, coarse ≤ \(maxCoarse) rows, ≤ \(maxLevels) levels"
  }
}
