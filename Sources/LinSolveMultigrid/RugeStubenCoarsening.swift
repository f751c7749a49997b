import LinSolveCore

/// The coarsening of classical (Ruge–Stüben) AMG: classical strength of connection →
/// Ruge–Stüben C/F splitting → classical interpolation, truncated.
struct RugeStubenCoarsening: Coarsening {
  let strength: ClassicalStrengthOfConnection
  let interpolation: ClassicalInterpolation

  init(theta: Double, maxInterpolationEntries: Int) {
    strength = ClassicalStrengthOfConnection(theta: theta)
    interpolation = ClassicalInterpolation(maxEntries: maxInterpolationEntries)
  }

  mutating func prolongator(for a: SparseMatrix, diagonal: [Double], spectralRadius: () -> Double) -> SparseMatrix? {
    let s = strength.graph(of: a)
    let splitting = CoarseFineSplitting.rugeStuben(strength: s, dependents: s.transposed())
    guard splitting.coarseCount > 0, splitting.coarseCount < a.rows else { return nil }
    return interpolation.prolongator(for: a, diagonal: diagonal, strength: s, splitting: splitting)
  }
}
