import LinSolveCore

/// Initial guesses from previous solutions for a fixed symmetric positive definite `A` and a
/// changing right-hand side (Fischer 1998).
///
/// Keeps an A-orthonormal basis `X` (n × L, `XᵀAX = I`) of up to L earlier solutions together
/// with `AX`. For a new `b` the guess `x₀ = X·(Xᵀb)` is the A-norm best approximation to
/// `A⁻¹b` in span `X` — two products with n × L blocks and no product with `A`. Once `b` lies
/// in the span of earlier right-hand sides, `x₀` is the solution (up to the accuracy of the
/// earlier solves) and the iterative solver has nothing left to do.
///
/// ``add(solution:product:)`` A-orthogonalises a new solution against `X` (classical
/// Gram–Schmidt, twice) using the stored `AX`, so it needs `A·x` — pass it if you have it
/// (e.g. `b − r`), otherwise one product is spent (and counted in ``matvecs``). A vector whose
/// A-norm falls below the dependence tolerance times its original A-norm is dropped as already
/// spanned. When the basis is full, the oldest basis vector is removed before the new one is
/// orthogonalised (``Replacement/dropOldest``, the default) or the basis restarts from the new
/// vector (``Replacement/restart``, Fischer's original choice). Either way `X` stays
/// A-orthonormal and the newest solution lies in its span (older ones, in general, no longer
/// do exactly: the basis vectors are Gram–Schmidt combinations).
///
/// ## The dependence tolerance
/// A solution computed to a relative residual `rtol` carries an error whose relative A-norm is
/// at most `√κ(A)·rtol`; a direction that small is indistinguishable from that error. Admitting
/// it fills the basis with error directions whose A-norms are dominated by rounding (the
/// Gram–Schmidt cancellation is worse the smaller the remainder), so `X` stops being
/// A-orthonormal and later guesses get worse, not better (measured on the fixed-A Darcy family,
/// n = 60²: admitting remainders down to 10⁻¹⁰ made the guesses' residuals 500× larger). The
/// default, ``dependenceTolerance`` `= nil`, is `√rtol` of the solve that produced the solution:
/// it exceeds `√κ·rtol` for every `κ ≤ 1/rtol`, i.e. for every problem CG can solve to `rtol` at
/// all (`10⁻⁴` at the default `rtol = 10⁻⁸`).
///
/// ## What ``solve(_:using:monitor:)`` spends
/// - The guess's residual `b − A·x₀ = b − (AX)·(Xᵀb)` comes from the stored images: no product.
///   When it already meets the solver's stopping test (a `b` in the span of the earlier
///   right-hand sides), the guess is returned with **no product at all** and `iterations = 0`.
///   (It differs from `b − A·x₀` computed afresh by rounding: every stored image is an exact
///   product `A·v` of its normalised basis vector.)
/// - Otherwise the solver runs from `x₀` and that `r₀` (for ``ConjugateGradient``: no product for
///   its initial residual, one per iteration, one for the final true residual). When the guess leaves more
///   than the dependence tolerance of `b` unexplained, the solution will enter the basis, and
///   the solve is tightened to `‖r‖ ≤ rtol·min(‖b‖, ‖r₀‖)/√L` (``tightensNewDirections``). The
///   `‖r₀‖`: a direction that explains 1 % of its right-hand side, solved only to `rtol·‖b‖`,
///   would be stored with 100× its share of solve error. The `1/√L`: a later guess combines up
///   to L directions, whose errors add (in quadrature, for unrelated errors). Without either,
///   the guesses for right-hand sides in the captured span leave residuals of several `rtol`
///   and every later solve pays the iterations to remove them. Measured on the fixed-A Darcy
///   family (n = 200², a 30-dimensional family, L = 40, PCG-Jacobi, rtol 10⁻⁸): untightened,
///   the guesses leave 3–9·10⁻⁸·‖b‖ and each solve in the captured span costs 37 products;
///   tightened, about 10⁻⁸·‖b‖ (half of them meet rtol outright) and 0–4 products (mean 1.6),
///   for 4 % more products while the span is being built (720 instead of 695 per system).
/// - The solution is then A-orthogonalised against `X` with the stored `AX` (no product). Its
///   remainder's A-norm is estimated from `b` and the solve's true residual (`A·x = b − r`); when
///   that shows it spanned, it is dropped with no product (and a full basis keeps all its
///   vectors); otherwise one product `A·v` gives the new image exactly.
///
/// ```swift
/// var fischer = FischerProjection(a, capacity: 30)
/// let pcg = ConjugateGradient(preconditioner: try IncompleteCholesky(a))
/// for b in rightHandSides {
///   let result = try fischer.solve(b, using: pcg)   // x₀ from the basis, then PCG, then add
/// }
/// ```
///
/// Memory: `2L` vectors of length n.
///
/// Reference: P. F. Fischer, "Projection techniques for iterative solution of Ax = b with
/// successive right-hand sides", Comput. Methods Appl. Mech. Engrg. 163, 193–204, 1998.
/// PETSc: `-ksp_guess_type fischer`.
///
/// Not `Sendable`: it holds the operator as an `any LinearOperator`, which need not be.
public struct FischerProjection {
  /// What happens when a vector is added to a full basis.
  public enum Replacement: String, Sendable {
    /// The oldest vector is removed.
    case dropOldest
    /// The basis is emptied and starts again from the new vector.
    case restart
  }

  /// `L`, the most vectors kept.
  public let capacity: Int
  /// `n`.
  public let length: Int
  /// What happens when the basis is full.
  public var replacement: Replacement
  /// Relative A-norm below which an added vector counts as already spanned; `nil` (the
  /// default): `√rtol` of the solver's criterion in ``solve(_:using:monitor:)``, `10⁻⁴`
  /// (`√10⁻⁸`, the default rtol) in ``add(solution:product:)``. See the type's documentation.
  public var dependenceTolerance: Double?
  /// Whether a solve whose solution will enter the basis is tightened to
  /// `rtol·min(‖b‖, ‖b − A·x₀‖)/√L` (default `true`; see the type's documentation).
  public var tightensNewDirections = true
  /// Vectors in the basis.
  public private(set) var count = 0
  /// Products with `A` spent by ``add(solution:product:)`` (when no product was passed).
  public private(set) var matvecs = 0
  /// Vectors dropped as already spanned (or with `xᵀAx ≤ 0`).
  public private(set) var dropped = 0
  /// Guesses handed out.
  public private(set) var guesses = 0
  /// Solves in which the guess alone met the stopping test (no product spent).
  public private(set) var projectedSolves = 0

  private let operator_: any LinearOperator
  private var basis: [Double]
  private var images: [Double]
  /// When each stored vector was added (for ``Replacement/dropOldest``).
  private var ages: [Int]
  private var added = 0

  /// An empty basis for the symmetric positive definite operator `a`.
  ///
  /// - Parameter capacity: `L ≥ 1`.
  public init(_ a: some LinearOperator, capacity: Int = 30, replacement: Replacement = .dropOldest) {
    precondition(capacity >= 1, "capacity must be at least 1")
    precondition(a.rows == a.columns, "FischerProjection needs a square operator")
    self.capacity = capacity
    self.length = a.rows
    self.replacement = replacement
    operator_ = a
    basis = [Double](repeating: 0, count: a.rows * capacity)
    images = basis
    ages = [Int](repeating: 0, count: capacity)
  }

  /// `x₀ = X·(Xᵀb)` (zero while the basis is empty).
  ///
  /// - Complexity: `4·n·count` flops, no product with `A`.
  public mutating func initialGuess(for b: [Double]) -> [Double] {
    precondition(b.count == length, "b has \(b.count) entries, the operator \(length)")
    guesses += 1
    var x = [Double](repeating: 0, count: length)
    guard count > 0 else { return x }
    var c = [Double](repeating: 0, count: count)
    basis.withUnsafeBufferPointer { xb in
      b.withUnsafeBufferPointer { bp in
        c.withUnsafeMutableBufferPointer { cp in
          x.withUnsafeMutableBufferPointer { xp in
            DenseKernels.gemvT(rows: length, cols: count, xb.baseAddress!, lda: length, bp.baseAddress!, into: cp.baseAddress!)
            DenseKernels.gemvN(rows: length, cols: count, xb.baseAddress!, lda: length, cp.baseAddress!, into: xp.baseAddress!)
          }
        }
      }
    }
    return x
  }

  /// A-orthonormalises `x` against the basis and appends it, unless it is (nearly) spanned.
  ///
  /// - Parameters:
  ///   - x: a solution (or any vector whose span should be kept).
  ///   - ax: `A·x` if known; `nil` spends one product.
  /// - Returns: whether the vector was added.
  @discardableResult
  public mutating func add(solution x: [Double], product ax: [Double]? = nil) -> Bool {
    precondition(x.count == length, "x has \(x.count) entries, the operator \(length)")
    var v = x
    var av: [Double]
    if let ax {
      precondition(ax.count == length, "A·x has \(ax.count) entries, the operator \(length)")
      av = ax
    } else {
      av = operator_.applied(to: x)
      matvecs += 1
    }
    let original = Vector.dot(v, av)
    guard original > 0, original.isFinite else {
      dropped += 1
      return false
    }
    // Make room first, so that the new vector is A-orthogonalised against what stays and the
    // newest solution always lies in the span.
    makeRoom()
    // Two passes of classical Gram–Schmidt in the A inner product: c = Xᵀ(Av), v −= Xc, Av −= AXc.
    if count > 0 {
      var c = [Double](repeating: 0, count: count)
      basis.withUnsafeBufferPointer { xb in
        images.withUnsafeBufferPointer { ab in
          v.withUnsafeMutableBufferPointer { vp in
            av.withUnsafeMutableBufferPointer { avp in
              c.withUnsafeMutableBufferPointer { cp in
                for _ in 0..<2 {
                  DenseKernels.gemvT(rows: length, cols: count, xb.baseAddress!, lda: length, avp.baseAddress!, into: cp.baseAddress!)
                  DenseKernels.gemvN(rows: length, cols: count, xb.baseAddress!, lda: length, cp.baseAddress!, into: vp.baseAddress!, alpha: -1, beta: 1)
                  DenseKernels.gemvN(rows: length, cols: count, ab.baseAddress!, lda: length, cp.baseAddress!, into: avp.baseAddress!, alpha: -1, beta: 1)
                }
              }
            }
          }
        }
      }
    }
    let squared = Vector.dot(v, av)
    let tolerance = dependenceTolerance ?? Self.defaultTolerance
    guard squared > tolerance * tolerance * original, squared.isFinite else {
      dropped += 1
      return false
    }
    append(&v, &av, squaredNorm: squared)
    return true
  }

  /// `√rtol` for the default `rtol = 10⁻⁸`.
  static let defaultTolerance = 1e-4

  /// Stores `v/‖v‖_A` and `A·v/‖v‖_A` in the next free slot.
  private mutating func append(_ v: inout [Double], _ av: inout [Double], squaredNorm: Double) {
    let scale = 1 / squaredNorm.squareRoot()
    Vector.scal(scale, &v)
    Vector.scal(scale, &av)
    basis.replaceSubrange((count * length)..<((count + 1) * length), with: v)
    images.replaceSubrange((count * length)..<((count + 1) * length), with: av)
    ages[count] = added
    added += 1
    count += 1
  }

  /// Frees a slot when the basis is full (see ``Replacement``).
  private mutating func makeRoom() {
    guard count == capacity else { return }
    switch replacement {
    case .restart:
      count = 0
    case .dropOldest:
      let oldestSlot = (0..<count).min { ages[$0] < ages[$1] }!
      let last = count - 1
      if oldestSlot != last {
        // Move the last vector into the freed slot.
        let n = length
        basis.withUnsafeMutableBufferPointer { (x: inout UnsafeMutableBufferPointer<Double>) in
          (x.baseAddress! + oldestSlot * n).update(from: x.baseAddress! + last * n, count: n)
        }
        images.withUnsafeMutableBufferPointer { (x: inout UnsafeMutableBufferPointer<Double>) in
          (x.baseAddress! + oldestSlot * n).update(from: x.baseAddress! + last * n, count: n)
        }
        ages[oldestSlot] = ages[last]
      }
      count -= 1
    }
  }

  /// `y ← Bᵀx` for the first ``count`` columns of `basis` or `images`.
  private func transposedProduct(_ block: [Double], _ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) {
    block.withUnsafeBufferPointer {
      BlockKernels.transposedProduct($0.baseAddress!, ld: length, rows: length, cols: count, x, into: y)
    }
  }

  /// `y ← y + α·B·c` for the first ``count`` columns of `basis` or `images`.
  private func accumulateProduct(
    _ block: [Double], _ c: UnsafePointer<Double>, alpha: Double, into y: UnsafeMutablePointer<Double>
  ) {
    block.withUnsafeBufferPointer {
      BlockKernels.product($0.baseAddress!, ld: length, rows: length, cols: count, c, into: y, alpha: alpha, accumulate: true)
    }
  }

  /// Adds the solution `x` of `A x = b` (true residual norm `residualNorm`) unless it is spanned
  /// to within `tolerance`: Gram–Schmidt with the stored images (no product); the remainder's
  /// A-norm bounded from `b` (`A·x = b − r`); one product `A·v` only for a remainder kept. A
  /// full basis loses its oldest vector only when the new one is kept. Returns the products
  /// spent (0 or 1).
  private mutating func addSolution(_ x: [Double], rhs b: [Double], residualNorm: Double, tolerance: Double) -> Int {
    var (v, spanned, bound) = orthogonalize(x, rhs: b, residualNorm: residualNorm)
    // vᵀAv ≤ bound and xᵀAx = ‖c‖² + vᵀAv ≥ ‖c‖² = spanned: certainly spanned, no product.
    if count > 0 && bound <= tolerance * tolerance * spanned {
      dropped += 1
      return 0
    }
    if count == capacity {
      makeRoom()
      (v, spanned, bound) = orthogonalize(x, rhs: b, residualNorm: residualNorm)
    }
    var av = operator_.applied(to: v)
    matvecs += 1
    let squared = Vector.dot(v, av)
    guard squared > tolerance * tolerance * (spanned + squared), squared.isFinite else {
      dropped += 1
      return 1
    }
    append(&v, &av, squaredNorm: squared)
    return 1
  }

  /// `v = x − X·c` A-orthogonal to the basis (classical Gram–Schmidt twice, `c = (AX)ᵀv`, with
  /// the stored images), `‖c‖²` (= `xᵀAx − vᵀAv`), and an upper bound on `vᵀAv`:
  /// `A·v = b − r − AX·c`, so `vᵀAv ≤ vᵀ(b − AX·c) + ‖v‖·‖r‖`.
  private func orthogonalize(
    _ x: [Double], rhs b: [Double], residualNorm: Double
  ) -> (v: [Double], spanned: Double, bound: Double) {
    var v = x
    guard count > 0 else { return (v, 0, .infinity) }
    var total = [Double](repeating: 0, count: count)
    var w = b
    v.withUnsafeMutableBufferPointer { vp in
      total.withUnsafeMutableBufferPointer { tp in
        withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { cb in
          let c = cb.baseAddress!
          for _ in 0..<2 {
            transposedProduct(images, UnsafePointer(vp.baseAddress!), into: c)
            accumulateProduct(basis, c, alpha: -1, into: vp.baseAddress!)
            for i in 0..<count { tp[i] += c[i] }
          }
        }
        w.withUnsafeMutableBufferPointer { accumulateProduct(images, tp.baseAddress!, alpha: -1, into: $0.baseAddress!) }
      }
    }
    let spanned = total.reduce(0) { $0 + $1 * $1 }
    return (v, spanned, Vector.dot(v, w) + Vector.norm(v) * residualNorm)
  }

  /// Empties the basis (the counters are kept).
  public mutating func reset() {
    count = 0
  }

  /// Solves `A x = b` with `solver` from the projection `x₀ = X·(Xᵀb)`, then adds the solution
  /// to the basis unless it is already spanned. Returns `x₀` itself, with no product, when its
  /// residual (from the stored images) meets the solver's stopping test. Every product spent
  /// (by the solver, and at most one to add the solution) is in the result's
  /// ``SolveResult/matvecs``; see the type's documentation for the details and for when the
  /// solve is tightened.
  ///
  /// If `solver` is a class, its ``IterativeSolver/stopping`` is changed during a tightened
  /// solve and restored afterwards.
  public mutating func solve(
    _ b: [Double], using solver: some IterativeSolver, monitor: SolveMonitor? = nil
  ) throws -> SolveResult {
    precondition(b.count == length, "b has \(b.count) entries, the operator \(length)")
    let criterion = solver.stopping
    try criterion.validate()
    var watch = RecyclingStopwatch()
    guesses += 1
    // x₀ = X·c, r₀ = b − AX·c with c = Xᵀb: no product with A.
    var x0 = [Double](repeating: 0, count: length)
    var r0 = b
    if count > 0 {
      withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { cb in
        let c = cb.baseAddress!
        b.withUnsafeBufferPointer { transposedProduct(basis, $0.baseAddress!, into: c) }
        x0.withUnsafeMutableBufferPointer { accumulateProduct(basis, c, alpha: 1, into: $0.baseAddress!) }
        r0.withUnsafeMutableBufferPointer { accumulateProduct(images, c, alpha: -1, into: $0.baseAddress!) }
      }
    }
    let bNorm = Vector.norm(b), r0Norm = Vector.norm(r0)
    if r0Norm <= criterion.threshold(rhsNorm: bNorm, initialResidualNorm: r0Norm) && Vector.allFinite(x0) {
      projectedSolves += 1
      _ = monitor?(0, r0Norm)
      // Built by hand, not by `SolveResult.finishing`: that would recompute `‖b − A x₀‖` with a
      // product, and this shortcut's point is to spend none (the residual comes from the stored
      // images `A·X`). Its norm is exact up to the images' rounding; a caller holding `A` can
      // recompute the true residual with `judged(by:a:b:)`.
      return SolveResult(
        x: x0, reason: .converged, iterations: 0, residualNorm: r0Norm, trueResidualNorm: r0Norm, rhsNorm: bNorm,
        residualHistory: solver.recordHistory ? [r0Norm] : nil, seconds: watch.lap(), matvecs: 0)
    }
    let tolerance = dependenceTolerance ?? criterion.rtol.squareRoot()
    var solver = solver
    if tightensNewDirections && criterion.baseline == .rightHandSide && r0Norm > tolerance * bNorm {
      solver.stopping.rtol = criterion.rtol * min(1, r0Norm / bNorm) / Double(capacity).squareRoot()
    }
    defer { solver.stopping = criterion }
    // The solver starts from r₀ (no product for a method that takes it, e.g. ConjugateGradient).
    var result = try solver.solve(operator_, b, x0: x0, initialResidual: r0, monitor: monitor)
    if result.converged && result.iterations > 0 {
      result.matvecs += addSolution(result.x, rhs: b, residualNorm: result.trueResidualNorm, tolerance: tolerance)
    }
    return result
  }
}
