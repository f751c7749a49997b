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
/// A-norm falls below ``dependenceTolerance`` times its original A-norm is dropped as already
/// spanned. When the basis is full, the oldest basis vector is removed before the new one is
/// orthogonalised (``Replacement/dropOldest``, the default) or the basis restarts from the new
/// vector (``Replacement/restart``, Fischer's original choice). Either way `X` stays
/// A-orthonormal and the newest solution lies in its span (older ones, in general, no longer
/// do exactly: the basis vectors are Gram–Schmidt combinations).
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
  /// Relative A-norm below which an added vector counts as already spanned (default `1e-10`).
  public var dependenceTolerance: Double = 1e-10
  /// Vectors in the basis.
  public private(set) var count = 0
  /// Products with `A` spent by ``add(solution:product:)`` (when no product was passed).
  public private(set) var matvecs = 0
  /// Vectors dropped as already spanned (or with `xᵀAx ≤ 0`).
  public private(set) var dropped = 0
  /// Guesses handed out.
  public private(set) var guesses = 0

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
    if count == capacity {
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
    guard squared > dependenceTolerance * dependenceTolerance * original, squared.isFinite else {
      dropped += 1
      return false
    }
    let scale = 1 / squared.squareRoot()
    Vector.scal(scale, &v)
    Vector.scal(scale, &av)
    basis.replaceSubrange((count * length)..<((count + 1) * length), with: v)
    images.replaceSubrange((count * length)..<((count + 1) * length), with: av)
    ages[count] = added
    added += 1
    count += 1
    return true
  }

  /// Empties the basis (the counters are kept).
  public mutating func reset() {
    count = 0
  }

  /// Solves `A x = b` with `solver` from ``initialGuess(for:)``, then adds the solution (unless
  /// the guess already met the tolerance). The product this costs is added to the result's
  /// ``SolveResult/matvecs``.
  public mutating func solve(
    _ b: [Double], using solver: some IterativeSolver, monitor: SolveMonitor? = nil
  ) throws -> SolveResult {
    let x0 = initialGuess(for: b)
    var result = try solver.solve(operator_, b, x0: x0, monitor: monitor)
    if result.converged && result.iterations > 0 {
      add(solution: result.x)
      result.matvecs += 1
    }
    return result
  }
}
