import LinSolveCore
import LinSolveDirect

/// Successive over-relaxation as a step-by-step iteration: one sweep per ``sweep()``, the
/// residual available after each, and ω changeable between sweeps.
///
/// A forward sweep updates, for `i = 1, …, n` in order,
/// `x_i ← x_i + ω (b_i − Σ_j a_ij x_j) / a_ii` (new values for `j < i`): SOR, and
/// Gauss–Seidel at ω = 1. A symmetric sweep (SSOR) follows it with the same update for
/// `i = n, …, 1`. This is the shape of IterativeSolvers.jl's `SORIterable`, and what the
/// ω tuner of *Learning to Relax* (Khodak et al., ICLR 2024) drives between solves.
///
/// Cost per sweep: one pass over `A` for the sweep (two for SSOR) and one for the true
/// residual `r = b − A x`, which is what the stopping test and the reported cost use.
public struct SORIteration: Sendable {
  /// The matrix (square, with a non-zero diagonal).
  public let matrix: SparseMatrix
  /// The right-hand side.
  public let b: [Double]
  /// The current iterate.
  public private(set) var x: [Double]
  /// The residual `b − A x` of the current iterate.
  public private(set) var r: [Double]
  /// `‖b − A x‖₂` of the current iterate.
  public private(set) var residualNorm: Double
  /// Sweeps done so far.
  public private(set) var sweeps = 0
  /// Forward sweeps only (SOR) or forward + backward (SSOR).
  public let symmetric: Bool
  private let diagonal: [Double]
  /// `ω / a_ii`: a multiplication instead of a division on the sweep's critical path (each row
  /// waits for the previous one, so the update's latency sets the speed).
  private var weights: [Double]
  /// The relaxation parameter, in (0, 2). Set with ``setOmega(_:)``.
  public private(set) var omega: Double

  /// Prepares the iteration.
  ///
  /// - Throws: ``LinSolveError/notSquare(rows:columns:)``, ``LinSolveError/zeroDiagonal(row:)``,
  ///   ``LinSolveError/invalidParameter(name:reason:)`` for ω ∉ (0, 2), size and NaN errors.
  public init(matrix: SparseMatrix, b: [Double], x0: [Double]? = nil, omega: Double, symmetric: Bool = false) throws {
    guard matrix.rows == matrix.columns else {
      throw LinSolveError.notSquare(rows: matrix.rows, columns: matrix.columns)
    }
    try SOR.validate(omega: omega)
    try SolverInput.validateValues(matrix)
    let start = try SolverInput.validate(matrix, b, x0: x0, stopping: StoppingCriterion())
    var diagonal = [Double](repeating: 0, count: matrix.rows)
    for (i, p) in matrix.diagonalPositions().enumerated() {
      guard let p, matrix.values[p] != 0 else { throw LinSolveError.zeroDiagonal(row: i) }
      diagonal[i] = matrix.values[p]
    }
    self.matrix = matrix
    self.b = b
    self.x = start
    self.omega = omega
    self.symmetric = symmetric
    self.diagonal = diagonal
    self.weights = diagonal.map { omega / $0 }
    self.r = [Double](repeating: 0, count: matrix.rows)
    self.residualNorm = 0
    residualNorm = computeResidual()
  }

  /// Changes ω for the following sweeps.
  public mutating func setOmega(_ omega: Double) throws {
    try SOR.validate(omega: omega)
    self.omega = omega
    for i in weights.indices { weights[i] = omega / diagonal[i] }
  }

  /// Performs one sweep (forward, or forward + backward) and returns the new `‖b − A x‖₂`.
  @discardableResult
  public mutating func sweep() -> Double {
    let n = matrix.rows
    matrix.rowPointers.withUnsafeBufferPointer { rowp in
      matrix.columnIndices.withUnsafeBufferPointer { cp in
        matrix.values.withUnsafeBufferPointer { vp in
          weights.withUnsafeBufferPointer { wp in
            b.withUnsafeBufferPointer { bp in
              x.withUnsafeMutableBufferPointer { xp in
                @inline(__always) func relax(_ i: Int) {
                  var s = 0.0
                  for k in rowp[i]..<rowp[i + 1] { s += vp[k] * xp[Int(cp[k])] }
                  xp[i] += (bp[i] - s) * wp[i]
                }
                for i in 0..<n { relax(i) }
                if symmetric {
                  for i in stride(from: n - 1, through: 0, by: -1) { relax(i) }
                }
              }
            }
          }
        }
      }
    }
    sweeps += 1
    residualNorm = computeResidual()
    return residualNorm
  }

  private mutating func computeResidual() -> Double {
    let m = matrix
    return b.withUnsafeBufferPointer { bp in
      x.withUnsafeBufferPointer { xp in
        r.withUnsafeMutableBufferPointer { rp in
          KrylovKernels.norm(squares: m.residual(b: bp, x: xp, into: rp), UnsafeBufferPointer(rp))
        }
      }
    }
  }
}
