import LinSolveCore
import LinSolveMultigrid

/// What `auto` picks for a matrix, and why (PETSc's `-ksp_view` spirit): the method and
/// preconditioner by the matrix's shape, size and symmetry.
///
/// - tall (m > n): least squares — dense Householder QR (LAPACK `dgels`) while it is cheap
///   (2mn² ≤ ``denseLeastSquaresFlops``) or the matrix is not tall enough to sketch (m < 4n) and
///   small enough to hold densely (m·n ≤ ``denseLeastSquaresEntries``); else
///   sketch-preconditioned LSQR when m ≥ 4n and n ≥ 50, else LSQR (LSQR too when dense QR finds
///   `A` numerically rank deficient);
/// - n ≤ ``directLimit``: Cholesky when symmetric with a positive diagonal (LU if it fails), else LU;
/// - larger, symmetric with a positive diagonal and strictly diagonally dominant after Jacobi
///   scaling, with Gershgorin's bound on the scaled condition number at most
///   ``jacobiConditionLimit`` (a mass-dominated matrix: an implicit time step, a large shift):
///   PCG + Jacobi, which then needs at most `½√κ ln(2/rtol)` iterations and no set-up;
/// - larger, symmetric with a positive diagonal: PCG + IC(0) when many off-diagonal entries are
///   positive (``CouplingProfile/positiveFraction`` ≥ ``mMatrixLimit``: elasticity, higher-order
///   elements — not M-matrices, where scalar AMG converges slowly) or for a 3-D problem
///   (``SparseMatrix/graphDimension()`` ≥ ``dimension3D``) below ``multigridOrder3D`` unknowns;
///   PCG + Ruge–Stüben AMG when many negative couplings are weak
///   (``CouplingProfile/weakFraction`` ≥ ``anisotropyLimit``: anisotropy); else PCG +
///   smoothed-aggregation AMG (the cheapest set-up). Jacobi if the preconditioner fails;
/// - larger, nonsymmetric with a positive diagonal and an M-matrix-like pattern of signs
///   (convection–diffusion): GMRES(30) + Ruge–Stüben AMG (ILU(0) if it fails);
/// - otherwise GMRES(30) + ILU(0).
///
/// Measured on this project's 2-core machine (`make bench-amg-full`, setup + solve, rtol 1e-8):
/// 2-D Poisson 1024²: AMG-PCG 1.1–1.4 s (11 its), IC(0)-PCG 9.8 s (573 its), CHOLMOD 4.0 s;
/// 2-D diffusion with κ = e^{2.5g}, 1024²: AMG 1.3–1.6 s (10 its), IC(0) 26.7 s, CHOLMOD 5.1 s;
/// 3-D Poisson 40³: AMG 0.082 s (10 its), IC(0) 0.043 s (44 its); 64³: AMG 0.22 s (11 its),
/// IC(0) 0.23 s (66 its); 100³: AMG 1.09 s (12 its), IC(0) 1.24 s (101 its). A 2-D Delaunay
/// graph Laplacian (n = 40,000, 7 entries per row, where an entries-per-row rule would call it
/// 3-D): AMG 0.09 s (19 its), IC(0) 0.23 s (297 its).
/// 3-D backward-Euler heat steps `I + s·P` (m = 32, κ(D⁻¹A) ≤ 83 by Gershgorin), 30 steps
/// warm-started: PCG + Jacobi 0.18 s, IC(0) 0.29 s, AMG-SA 0.62 s (`make portfolio`).
/// 2-D anisotropic `−0.001 u_xx − u_yy`, 256²: Ruge–Stüben 0.11 s (8 its), AMG-SA 0.25 s (70 its);
/// 2-D elasticity 128²: IC(0) 0.14 s (95 its), AMG-SA 0.30 s (108), Ruge–Stüben 0.58 s (45);
/// upwind convection–diffusion 512² (b = (20, 10)): GMRES + Ruge–Stüben 0.34 s (7 its), GMRES +
/// ILU(0) 9.2 s (470 its); with b = (2000, 1000): 0.85 s (10) against 3.2 s (304).
/// Least squares, b random, columns scaled over 10⁴ (κ ≈ 10⁴–10⁵): 1000 × 300: dense QR 0.010 s,
/// sketch-LSQR 0.012 s, LSQR 0.09 s (20,253 its); 3000 × 1500: QR 0.22 s, sketch-LSQR 0.25 s,
/// LSQR 2.2 s (76,170 its); 10⁴ × 10³: QR 0.32 s, sketch-LSQR 0.18 s; 10⁵ × 500: QR 1.7 s,
/// sketch-LSQR 0.08 s.
public struct AutoChoice: Sendable, Equatable {
  public var method: SolverMethod
  public var preconditioner: PreconditionerKind
  /// The rule that fired, in words: `n = 1024 ≤ 5000 and symmetric with a positive diagonal`.
  public var why: String

  /// Systems up to this order are solved directly.
  public static let directLimit = 5_000
  /// The ``SparseMatrix/graphDimension()`` from which a matrix counts as 3-D (2-D grids and
  /// meshes measure about 2, 3-D ones about 3).
  public static let dimension3D = 2.5
  /// The order from which AMG beats IC(0) on 3-D problems.
  public static let multigridOrder3D = 250_000
  /// Dense QR's flop count 2mn² up to which it is the least-squares choice (≈ 0.1 s here).
  public static let denseLeastSquaresFlops = 5e9
  /// ``CouplingProfile/positiveFraction`` from which a matrix does not count as an M-matrix.
  public static let mMatrixLimit = 0.2
  /// Gershgorin's bound on the condition number of `D^{-1/2} A D^{-1/2}` up to which PCG + Jacobi
  /// is the choice (at most about 90 iterations at rtol 10⁻⁸, each one SpMV and a scaling).
  public static let jacobiConditionLimit = 100.0
  /// ``CouplingProfile/weakFraction`` from which a matrix counts as anisotropic.
  public static let anisotropyLimit = 0.2
  /// Entries m·n up to which dense QR holds a least-squares matrix too tall for nothing but not
  /// tall enough to sketch (m < 4n): 200 MB of doubles.
  public static let denseLeastSquaresEntries = 25_000_000.0

  /// The choice for `a`.
  public static func choose(for a: SparseMatrix) -> AutoChoice {
    if a.rows > a.columns {
      let m = Double(a.rows), n = Double(a.columns), shape = "\(a.rows)×\(a.columns) is tall: least squares"
      let sketchable = a.rows >= 4 * a.columns && a.columns >= 50
      if 2 * m * n * n <= denseLeastSquaresFlops {
        return AutoChoice(method: .lapack, preconditioner: .none, why: "\(shape), dense QR costs 2mn² = \(Self.scientific(2 * m * n * n)) ≤ \(Self.scientific(denseLeastSquaresFlops)) flops")
      }
      if a.rows < 4 * a.columns && m * n <= denseLeastSquaresEntries {
        return AutoChoice(method: .lapack, preconditioner: .none, why: "\(shape), m < 4n (too square to sketch) and m·n ≤ \(Self.scientific(denseLeastSquaresEntries)): dense QR")
      }
      return AutoChoice(method: sketchable ? .sketchLSQR : .lsqr, preconditioner: .none, why: sketchable ? "\(shape), m ≥ 4n and n ≥ 50: sketch-preconditioned LSQR" : "\(shape), too large for dense QR: LSQR")
    }
    let symmetric = a.isSymmetric(tolerance: 1e-14)
    let positiveDiagonal = a.diagonal().allSatisfy { $0 > 0 }
    let spdLike = symmetric && positiveDiagonal
    let shape = spdLike ? "symmetric with a positive diagonal"
      : symmetric ? "symmetric, diagonal not positive" : "not symmetric"
    if a.rows <= directLimit {
      return AutoChoice(method: spdLike ? .cholesky : .lu, preconditioner: .none, why: "n = \(a.rows) ≤ \(directLimit) and \(shape)")
    }
    if spdLike, let bound = jacobiConditionBound(a), bound <= jacobiConditionLimit {
      return AutoChoice(
        method: .pcg, preconditioner: .jacobi,
        why: "n = \(a.rows) > \(directLimit), \(shape), diagonally dominant: κ(D⁻¹A) ≤ \(Self.format(bound)) (Gershgorin) ≤ \(Self.format(jacobiConditionLimit))")
    }
    let profile = CouplingProfile(a)
    let positive = "\(percent(profile.positiveFraction)) of the off-diagonal entries positive"
    if spdLike {
      if profile.positiveFraction >= mMatrixLimit {
        return AutoChoice(
          method: .pcg, preconditioner: .ic0,
          why: "n = \(a.rows) > \(directLimit), \(shape), \(positive) ≥ \(percent(mMatrixLimit)) (not an M-matrix: scalar AMG is slow)")
      }
      var dimensionNote = ""
      if a.rows < multigridOrder3D, let dimension = a.graphDimension() {
        if dimension >= dimension3D {
          return AutoChoice(
            method: .pcg, preconditioner: .ic0,
            why: "n = \(a.rows) > \(directLimit), \(shape), graph dimension \(Self.format(dimension)) ≥ \(dimension3D) (3-D-like) and n < \(multigridOrder3D)")
        }
        dimensionNote = ", graph dimension \(Self.format(dimension)) < \(dimension3D) (2-D-like)"
      }
      if profile.weakFraction >= anisotropyLimit {
        return AutoChoice(
          method: .pcg, preconditioner: .amg,
          why: "n = \(a.rows) > \(directLimit), \(shape)\(dimensionNote), \(percent(profile.weakFraction)) of the negative couplings weak ≥ \(percent(anisotropyLimit)) (anisotropic): Ruge–Stüben AMG")
      }
      return AutoChoice(
        method: .pcg, preconditioner: .amgSA, why: "n = \(a.rows) > \(directLimit), \(shape)\(dimensionNote), \(positive)")
    }
    if positiveDiagonal && profile.positiveFraction < mMatrixLimit {
      return AutoChoice(
        method: .gmres, preconditioner: .amg,
        why: "n = \(a.rows) > \(directLimit), \(shape), positive diagonal, \(positive) < \(percent(mMatrixLimit)) (M-matrix-like): Ruge–Stüben AMG")
    }
    return AutoChoice(method: .gmres, preconditioner: .ilu0, why: "n = \(a.rows) > \(directLimit) and \(shape)\(positiveDiagonal ? ", \(positive)" : "")")
  }

  /// Gershgorin's bound `(1 + s)/(1 − s)` on the condition number of the Jacobi-scaled
  /// `D^{-1/2} A D^{-1/2}` of a symmetric `a` with a positive diagonal, where
  /// `s = max_i Σ_{j≠i} |a_ij| / √(a_ii a_jj)`; `nil` unless `s < 1` (strict dominance).
  public static func jacobiConditionBound(_ a: SparseMatrix) -> Double? {
    let d = a.diagonal()
    var s = 0.0
    for i in 0..<a.rows {
      var sum = 0.0
      for p in a.rowPointers[i]..<a.rowPointers[i + 1] {
        let j = Int(a.columnIndices[p])
        if j != i { sum += abs(a.values[p]) / (d[i] * d[j]).squareRoot() }
      }
      s = max(s, sum)
      if !(s < 1 - 1e-12) { return nil }  // a Laplacian's interior rows sum to 1 up to rounding
    }
    return (1 + s) / (1 - s)
  }

  /// The configuration of this choice under `stopping`, with the fallbacks auto allows.
  public func configuration(stopping: StoppingCriterion = StoppingCriterion()) -> SolverConfiguration {
    SolverConfiguration(method: method, preconditioner: preconditioner, stopping: stopping, fallBack: true)
  }

  /// `35 %`: a fraction as the rule prints it.
  private static func percent(_ fraction: Double) -> String { "\(Int((fraction * 100).rounded())) %" }

  /// `5e9`, `2.5e7`: a flop or entry count as the rule prints it.
  private static func scientific(_ value: Double) -> String {
    guard value > 0 else { return "0" }
    var exponent = 0, mantissa = value
    while mantissa >= 10 { mantissa /= 10; exponent += 1 }
    while mantissa < 1 { mantissa *= 10; exponent -= 1 }
    return "\(format(mantissa))e\(exponent)"
  }

  private static func format(_ value: Double) -> String {
    let tenths = (value * 10).rounded() / 10
    return tenths == tenths.rounded() ? "\(Int(tenths))" : "\(tenths)"
  }
}
