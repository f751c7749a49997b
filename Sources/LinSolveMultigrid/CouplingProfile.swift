import LinSolveCore

/// What a matrix's off-diagonal couplings say about which algebraic multigrid suits it — the
/// two facts `auto` reads (``AutoChoice``):
///
/// - ``positiveFraction``: the share of off-diagonal entries that are positive. An M-matrix
///   (finite-difference and finite-volume diffusion, graph Laplacians, upwind convection) has
///   none; systems such as linear elasticity or higher-order elements have many, and there a
///   scalar AMG with the constant as its near-null space converges slowly (2-D elasticity:
///   PCG + AMG-SA 108 iterations, PCG + IC(0) 95 and 2.2× faster).
/// - ``weakFraction``: the share of negative off-diagonal entries that are weak by the
///   classical measure, `−a_ij < θ·max_k(−a_ik)` with θ = 0.25 (``ClassicalStrengthOfConnection``).
///   Isotropic problems have none, even with high-contrast coefficients (the jumps are between
///   rows, not within one); anisotropic ones have many (`−ε u_xx − u_yy`: half), and there
///   smoothed aggregation with θ = 0 stalls (70 iterations at ε = 0.001) where Ruge–Stüben
///   coarsening follows the strong direction (8).
public struct CouplingProfile: Sendable, Equatable {
  /// Positive off-diagonal entries over all nonzero off-diagonal entries (0 when there are none).
  public var positiveFraction: Double
  /// Negative off-diagonal entries weaker than θ times their row's largest, over all negative ones.
  public var weakFraction: Double

  /// The profile of the square matrix `a` under the classical threshold `theta`.
  public init(_ a: SparseMatrix, theta: Double = 0.25) {
    var positive = 0, negative = 0, weak = 0
    for i in 0..<a.rows {
      let row = a.rowPointers[i]..<a.rowPointers[i + 1]
      var largest = 0.0
      for k in row where Int(a.columnIndices[k]) != i { largest = max(largest, -a.values[k]) }
      for k in row where Int(a.columnIndices[k]) != i {
        let v = a.values[k]
        if v > 0 { positive += 1 }
        if v < 0 {
          negative += 1
          if -v < theta * largest { weak += 1 }
        }
      }
    }
    positiveFraction = positive + negative == 0 ? 0 : Double(positive) / Double(positive + negative)
    weakFraction = negative == 0 ? 0 : Double(weak) / Double(negative)
  }
}
