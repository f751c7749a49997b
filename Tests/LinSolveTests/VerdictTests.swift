import Foundation
import Testing
@testable import LinSolve

/// The verdict rule: `converged` ⇒ the true residual meets the criterion, for every method, on
/// systems chosen to break it — singular, nearly singular, scaled by 1e±200, rectangular.
@Suite("Verdicts: converged means the true residual says so")
struct VerdictTests {
  static let criterion = StoppingCriterion(rtol: 1e-8, maxIterations: 2_000)

  /// A method under test: its name and how it solves (a thrown error is an acceptable answer
  /// to a system it cannot take, e.g. Cholesky on a singular matrix).
  struct Method: CustomStringConvertible, Sendable {
    var name: String
    var leastSquares = false
    var solve: @Sendable (SparseMatrix, [Double], StoppingCriterion) throws -> SolveResult
    var description: String { name }
  }

  static let squareMethods: [Method] = [
    Method(name: "cg") { a, b, s in try ConjugateGradient(stopping: s).solve(a, b) },
    Method(name: "pcg-jacobi") { a, b, s in
      try ConjugateGradient(stopping: s, preconditioner: try JacobiPreconditioner(a)).solve(a, b) },
    Method(name: "sor") { a, b, s in try SOR(omega: 1.5, stopping: s).solve(a, b) },
    Method(name: "ssor") { a, b, s in try SOR(omega: 1.2, symmetric: true, stopping: s).solve(a, b) },
    Method(name: "gmres") { a, b, s in try GMRES(stopping: s, restart: 5).solve(a, b) },
    Method(name: "minres") { a, b, s in try MINRES(stopping: s).solve(a, b) },
    Method(name: "minres-jacobi") { a, b, s in
      try MINRES(stopping: s, preconditioner: try JacobiPreconditioner(a)).solve(a, b) },
    Method(name: "gmres-jacobi") { a, b, s in
      try GMRES(stopping: s, restart: 5, preconditioner: try JacobiPreconditioner(a)).solve(a, b) },
    Method(name: "bicgstab-jacobi") { a, b, s in
      try BiCGSTAB(stopping: s, preconditioner: try JacobiPreconditioner(a)).solve(a, b) },
    Method(name: "bicgstab") { a, b, s in try BiCGSTAB(stopping: s).solve(a, b) },
    Method(name: "lu") { a, b, s in try LUFactorization(a).solve(a, b, stopping: s) },
    Method(name: "cholesky") { a, b, s in
      let factor = CholeskyFactorization()
      try factor.factorize(a)
      return try factor.solve(a, b, stopping: s)
    },
    Method(name: "kaczmarz") { a, b, s in try RandomizedKaczmarz(seed: 3, stopping: s).solve(a, b) },
    Method(name: "sketch-project") { a, b, s in try SketchAndProject(seed: 3, stopping: s).solve(a, b) },
  ]

  /// Least squares, judged by ``SolveResult/judged(by:a:b:leastSquares:)`` as `solve` does.
  static let leastSquaresMethods: [Method] = [
    Method(name: "lsqr", leastSquares: true) { a, b, s in
      try LSQR(stopping: s).solve(a, b).judged(by: s, a: a, b: b, leastSquares: true) },
    Method(name: "lsmr", leastSquares: true) { a, b, s in
      try LSMR(stopping: s).solve(a, b).judged(by: s, a: a, b: b, leastSquares: true) },
    Method(name: "dgels", leastSquares: true) { a, b, s in
      let x = try DenseLeastSquares.solve(a, b)
      return SolveResult(x: x, reason: .converged, iterations: 0, residualNorm: .nan, trueResidualNorm: .nan,
                         rhsNorm: 0).judged(by: s, a: a, b: b, leastSquares: true)
    },
  ]

  // MARK: Generated systems

  enum Kind: CaseIterable { case spd, nonsymmetric, singular, singularSymmetric, nearlySingular, zero, rectangular }

  /// A seeded system of kind `kind`, its matrix scaled by `matrixScale` and `b` by `rhsScale`.
  static func system(_ kind: Kind, seed: UInt64, matrixScale: Double, rhsScale: Double) -> (SparseMatrix, [Double]) {
    var g = SeededGenerator(seed: seed)
    let n = Int.random(in: 3...7, using: &g)
    func random(_ rows: Int, _ columns: Int) -> [[Double]] {
      (0..<rows).map { _ in (0..<columns).map { _ in Double.random(in: -1...1, using: &g) } }
    }
    func gram(_ b: [[Double]], shift: Double) -> [[Double]] {  // BᵀB + shift·I
      (0..<n).map { i in (0..<n).map { j in b.indices.reduce(i == j ? shift : 0) { $0 + b[$1][i] * b[$1][j] } } }
    }
    var dense: [[Double]]
    var rows = n
    switch kind {
    case .spd: dense = gram(random(n, n), shift: Double(n))
    case .nonsymmetric: dense = random(n, n).enumerated().map { i, row in row.enumerated().map { $0 == i ? $1 + Double(n) : $1 } }
    case .singular:
      dense = random(n, n)
      dense[n - 1] = zip(dense[0], dense[1]).map { $0 + $1 }
    case .singularSymmetric: dense = gram(random(n - 1, n), shift: 0)
    case .nearlySingular: dense = gram(random(n - 1, n), shift: 1e-14)
    case .zero: dense = Array(repeating: Array(repeating: 0, count: n), count: n)
    case .rectangular:
      rows = n + 3
      dense = random(rows, n)
    }
    var entries: [(row: Int, column: Int, value: Double)] = []
    for i in 0..<rows { for j in 0..<n where dense[i][j] != 0 { entries.append((i, j, dense[i][j] * matrixScale)) } }
    let a = try! SparseMatrix(rows: rows, columns: n, entries: entries)
    let b = (0..<rows).map { _ in Double.random(in: -1...1, using: &g) * rhsScale }
    return (a, b)
  }

  /// `‖v‖₂` scaled by the largest entry (no overflow or underflow).
  static func norm(_ v: [Double]) -> Double {
    let scale = v.map(abs).max() ?? 0
    guard scale > 0, scale.isFinite else { return scale }
    return scale * v.reduce(0) { $0 + ($1 / scale) * ($1 / scale) }.squareRoot()
  }

  /// `b − A x`, computed here independently of the library.
  static func residual(_ a: SparseMatrix, _ x: [Double], _ b: [Double]) -> [Double] {
    var r = b
    for i in 0..<a.rows {
      for k in a.rowPointers[i]..<a.rowPointers[i + 1] { r[i] -= a.values[k] * x[Int(a.columnIndices[k])] }
    }
    return r
  }

  static func residualNorm(_ a: SparseMatrix, _ x: [Double], _ b: [Double]) -> Double { norm(residual(a, x, b)) }

  /// The least-squares criterion: `‖Aᵀr‖ ≤ rtol·‖A‖_F‖r‖`, computed here.
  static func meetsLeastSquares(_ a: SparseMatrix, _ x: [Double], _ b: [Double], rtol: Double) -> Bool {
    // Aᵀr/(‖A‖_F‖r‖) from the normalised A and r (Aᵀr itself may overflow at 1e±200).
    let r = residual(a, x, b)
    let aNorm = norm(a.values), rNorm = norm(r)
    guard aNorm > 0, rNorm > 0 else { return true }
    var atr = [Double](repeating: 0, count: a.columns)
    for i in 0..<a.rows {
      for k in a.rowPointers[i]..<a.rowPointers[i + 1] {
        atr[Int(a.columnIndices[k])] += (a.values[k] / aNorm) * (r[i] / rNorm)
      }
    }
    return norm(atr) <= rtol
  }

  static let scales: [(Double, Double)] = [(1, 1), (1e200, 1e200), (1e-200, 1e-200), (1, 1e200), (1, 1e-200), (1e200, 1), (1, Double.leastNormalMagnitude / 1024), (1e-305, 1e-305)]

  @Test("converged ⇒ the true residual meets the criterion (random systems × every method)",
        arguments: squareMethods + leastSquaresMethods)
  func property(method: Method) throws {
    var claims = 0
    for kind in Kind.allCases where (kind == .rectangular) == method.leastSquares || method.leastSquares {
      for (matrixScale, rhsScale) in Self.scales {
        for seed in UInt64(1)...6 {
          let (a, b) = Self.system(kind, seed: seed &* 7919 &+ UInt64(Kind.allCases.firstIndex(of: kind)!), matrixScale: matrixScale, rhsScale: rhsScale)
          guard let result = try? method.solve(a, b, Self.criterion) else { continue }
          guard result.converged else { continue }
          claims += 1
          let threshold = Self.criterion.rtol * Vector.norm(b)
          let residual = Self.residualNorm(a, result.x, b)
          let ok = residual <= threshold * (1 + 1e-12)
            || (method.leastSquares && Self.meetsLeastSquares(a, result.x, b, rtol: Self.criterion.rtol))
          #expect(ok, "\(method) on \(kind) seed \(seed) scales \(matrixScale), \(rhsScale): converged with ‖r‖/‖b‖ = \(residual / Vector.norm(b))")
        }
      }
    }
    #expect(claims > 0, "\(method) never converged: the property was not exercised")
  }

  @Test("b of 1e±200 and A of 1e±200: every square method solves a diagonal system", arguments: squareMethods)
  func extremeScales(method: Method) throws {
    var g = SeededGenerator(seed: 11)
    let d = (0..<6).map { _ in Double.random(in: 1...2, using: &g) }
    let ones = (0..<6).map { _ in Double.random(in: -1...1, using: &g) }
    for (matrixScale, rhsScale) in Self.scales {
      let a = SparseMatrix.diagonal(d.map { $0 * matrixScale })
      let b = ones.map { $0 * rhsScale }
      let result = try method.solve(a, b, Self.criterion)
      #expect(result.converged, "\(method) at scales \(matrixScale), \(rhsScale): \(result.reason)")
      let expected = zip(b, a.diagonal()).map { $0 / $1 }
      let error = zip(result.x, expected).map { abs($0 - $1) / abs($1) }.max() ?? .nan
      #expect(error < 1e-6, "\(method) at scales \(matrixScale), \(rhsScale): relative error \(error)")
      #expect(result.relativeResidual <= 1e-8, "\(method): relative residual \(result.relativeResidual)")
    }
  }

  @Test("A and b of 1e±200: every least-squares method solves a tall full-rank system", arguments: [
    Method(name: "lsqr", leastSquares: true) { a, b, s in try LSQR(stopping: s).solve(a, b) },
    Method(name: "lsmr", leastSquares: true) { a, b, s in try LSMR(stopping: s).solve(a, b) },
    Method(name: "sketch-lsqr", leastSquares: true) { a, b, s in
      try SketchPreconditionedLSQR(stopping: s).solve(a, b) },
    Method(name: "iterative-sketch", leastSquares: true) { a, b, s in
      try IterativeSketching(stopping: s).solve(a, b) },
  ])
  func leastSquaresExtremeScales(method: Method) throws {
    let (a, b) = Self.system(.rectangular, seed: 4, matrixScale: 1, rhsScale: 1)
    let reference = try DenseLeastSquares.solve(a, b)
    for (matrixScale, rhsScale) in Self.scales where abs(rhsScale.exponent - matrixScale.exponent) < 900 {
      let scaledA = a.scaled(by: matrixScale), scaledB = b.map { $0 * rhsScale }
      let result = try method.solve(scaledA, scaledB, StoppingCriterion(rtol: 1e-10, maxIterations: 500))
        .judged(by: StoppingCriterion(rtol: 1e-8), a: scaledA, b: scaledB, leastSquares: true)
      #expect(result.converged, "\(method) at scales \(matrixScale), \(rhsScale): \(result.reason)")
      let factor = rhsScale / matrixScale
      let error = zip(result.x, reference).map { abs($0 / factor - $1) }.max() ?? .nan
      #expect(error < 1e-6 * (reference.map(abs).max() ?? 1), "\(method) at scales \(matrixScale), \(rhsScale): error \(error)")
    }
  }

  @Test("The recycling solvers solve a sequence whose right-hand sides are 1e±200 and subnormal")
  func recyclingExtremeScales() throws {
    let (a, _) = Self.system(.spd, seed: 8, matrixScale: 1, rhsScale: 1)
    let solvers: [any RecyclingSolver] = [
      DeflatedCG(stopping: Self.criterion, recycleDimension: 2, ritzDirections: 4),
      GCRODR(stopping: Self.criterion, restart: 4, recycleDimension: 2),
    ]
    for solver in solvers {
      for rhsScale in [1, 1e200, 1e-200, Double.leastNormalMagnitude / 1024, 1] {
        let b = (0..<a.rows).map { Double($0 % 3 + 1) * rhsScale }
        let result = try solver.solve(a, b)
        #expect(result.converged, "\(type(of: solver)) at \(rhsScale): \(result.reason)")
        #expect(Self.residualNorm(a, result.x, b) <= 1e-8 * Self.norm(b) * (1 + 1e-9), "\(type(of: solver)) at \(rhsScale)")
      }
    }
  }

  @Test("LU on a singular matrix says singular; on a consistent right-hand side it converges")
  func singularLU() throws {
    let a = try SparseMatrix(rows: 3, columns: 3, entries: (0..<9).map { ($0 / 3, $0 % 3, Double($0 + 1)) })
    let lu = try LUFactorization(a)
    let inconsistent = try lu.solve(a, [1, 0, 0], stopping: Self.criterion)
    #expect(inconsistent.reason == .singular)
    let consistent = try lu.solve(a, [1, 2, 3], stopping: Self.criterion)
    #expect(consistent.converged)
    #expect(Self.residualNorm(a, consistent.x, [1, 2, 3]) <= 1e-8 * Vector.norm([1, 2, 3]))
  }

  @Test("MINRES on a singular diag(1, 0) with b outside the range, and on A = 0, does not converge")
  func singularMINRES() throws {
    let singular = SparseMatrix.diagonal([1, 0])
    let r = try MINRES(stopping: Self.criterion).solve(singular, [1, 1])
    #expect(!r.converged)
    let zero = try SparseMatrix(rows: 2, columns: 2, entries: [])
    let z = try MINRES(stopping: Self.criterion).solve(zero, [1, 1])
    #expect(!z.converged)
    #expect(z.reason != .converged)
  }

  @Test("A residual computed as exactly 0 for an enormous x is not certified")
  func certificateCatchesCancellation() throws {
    // A = [[1,2,3],[4,5,6],[7,8,9]] has the null vector (1, −2, 1): A·x = 0 exactly in floating
    // point for x = 10¹⁶·(1, −2, 1), yet the rounding bound of b − A·x is of order 10².
    let a = try SparseMatrix(rows: 3, columns: 3, entries: (0..<9).map { ($0 / 3, $0 % 3, Double($0 + 1)) })
    let x = [1e16, -2e16, 1e16]
    let certificate = a.residualCertificate(x: x, b: [0, 0, 0])
    #expect(certificate.norm == 0)
    #expect(certificate.roundingBound > 1)
    #expect(!certificate.meets(1e-8))
    // An ordinary solution is certified with a bound near the unit roundoff.
    let poisson = Poisson.matrix2D(8)
    let ones = [Double](repeating: 1, count: poisson.rows)
    let ordinary = poisson.residualCertificate(x: ones, b: poisson.applied(to: ones))
    #expect(ordinary.roundingBound < 1e-13)
    #expect(ordinary.meets(1e-12))
  }

  @Test("A restart after an inaccurate finish reaches the caller's threshold and counts one history")
  func restartKeepsOneCount() throws {
    let a = Diffusion.matrix2D(24) { x, y in (x - 0.5) * (x - 0.5) + (y - 0.5) * (y - 0.5) < 0.1 ? 1e4 : 1 }
    let b = a.applied(to: (0..<a.rows).map { Double($0 % 7) - 3 })
    var seen: [Int] = []
    let result = try ConjugateGradient(stopping: StoppingCriterion(rtol: 1e-10), recordHistory: true).solve(a, b) { k, _ in
      seen.append(k)
      return .continue
    }
    #expect(result.converged)
    #expect(seen == Array(0...result.iterations), "the monitor sees k = 0, 1, … once each")
    #expect(result.residualHistory?.count == result.iterations + 1)
    #expect(Self.residualNorm(a, result.x, b) <= 1e-10 * Vector.norm(b))
  }
}
