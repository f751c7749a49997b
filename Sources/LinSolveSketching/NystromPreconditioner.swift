import LinSolveCore

/// Randomized Nyström preconditioner (Frangella, Tropp & Udell 2023) for CG on
/// `(A + μI) x = b` with `A` symmetric **positive semidefinite** and `μ > 0`: ridge and
/// kernel-ridge regression, regularised Gram matrices, Newton systems of regularised losses.
///
/// Building (the stabilised single-pass Nyström approximation `Â = U Λ̂ Uᵀ ≈ A`):
///
///     Ω = orth(randn(n, ℓ));  Y = AΩ;  ν = √n·ulp(‖Y‖_F);  Y_ν = Y + νΩ;
///     C = chol(ΩᵀY_ν);  B = Y_ν C⁻¹;  [U, Σ, ~] = svd(B, econ);  Λ̂ = max(0, Σ² − νI)
///
/// costs `ℓ` products with `A` (one `dgemm` for a ``DenseMatrix``) and `O(nℓ²)`; applying
///
///     P⁻¹ = (λ̂_ℓ + μ)·U(Λ̂ + μI)⁻¹Uᵀ + (I − UUᵀ)
///
/// costs `O(nℓ)` (two `dgemv`) and does not allocate. With `ℓ ≈ 2·d_eff(μ)`,
/// `d_eff = tr(A(A + μI)⁻¹)`, the preconditioned condition number is below 28 in expectation
/// (Thm 5.1), so PCG converges in a few dozen iterations whatever `κ(A + μI)` is.
///
/// **Rank.** With ``rank`` set, that rank is used. Otherwise (default) the rank is chosen
/// adaptively as in RandLAPACK's `nystrom_pc_data`: start at ``initialRank`` and double until a
/// power-method estimate of `‖A − Â‖₂` (``powerSteps`` steps) is at most `μ/5`
/// (``errorTarget``), or ``maxRank`` (or `n`) is reached. The estimate is ``errorEstimate``.
///
/// **What is set up for what.** The preconditioner approximates the PSD part `A`;
/// the shift `μ` is a parameter. ``setUp(for:)`` and ``init(operator:shift:rank:initialRank:maxRank:seed:matrixIncludesShift:)``
/// take `A` itself by default; set `matrixIncludesShift` when the matrix given is the system
/// matrix `A + μI` (as a generic driver would pass), and `μI` is subtracted from the products.
///
/// **When it helps**: when `A` has a decaying spectrum, so a few eigenvalues dominate (kernel
/// matrices: CG 4795 → 353 iterations at `μ = 10⁻⁴`, n = 4000, research digest §4). **No gain**
/// on flat spectra such as discretised PDE operators (2-D Poisson: 199 → 192 iterations with
/// ℓ = 1024).
///
/// Reference: Z. Frangella, J. A. Tropp and M. Udell, "Randomized Nyström preconditioning",
/// SIAM J. Matrix Anal. Appl. 44(2), 718–752, 2023 (Algorithms 2.1 and 5.1).
///
/// ```swift
/// let nystrom = try NystromPreconditioner(operator: kernel, shift: 1e-3)   // kernel: DenseMatrix
/// let system = ClosureOperator(rows: n, columns: n) { x, y in
///   kernel.apply(x, into: y); for i in 0..<n { y[i] += 1e-3 * x[i] }
/// }
/// let result = try ConjugateGradient(preconditioner: nystrom).solve(system, b)
/// ```
public final class NystromPreconditioner: Preconditioner {
  /// `μ > 0`.
  public let shift: Double
  /// A fixed rank ℓ, or `nil` for the adaptive choice.
  public let fixedRank: Int?
  /// The first rank tried by the adaptive choice (default 16).
  public let initialRank: Int
  /// The largest rank the adaptive choice may reach (default 512; capped at n).
  public let maxRank: Int
  /// The seed of the test matrix Ω.
  public let seed: UInt64
  /// Whether the matrix given is `A + μI` rather than `A`.
  public let matrixIncludesShift: Bool
  /// The adaptive choice stops when ``errorEstimate`` `≤ errorTarget · μ` (default 1/5).
  public var errorTarget: Double = 0.2
  /// Power-method steps of the error estimate (default 10).
  public var powerSteps: Int = 10

  /// ℓ, the rank in use (0 before set-up).
  public private(set) var rank = 0
  /// The eigenvalue estimates `λ̂₁ ≥ … ≥ λ̂_ℓ ≥ 0` of `A`.
  public private(set) var eigenvalues: [Double] = []
  /// The power-method estimate of `‖A − Â‖₂` for the final rank (computed for the adaptive
  /// choice, and when asked for with a fixed rank; `nil` otherwise).
  public private(set) var errorEstimate: Double?
  /// Products with `A` used by the set-up (the sketches and the error estimates).
  public private(set) var setUpMatvecs = 0

  private var u = DenseMatrix(rows: 0, columns: 0)
  /// The diagonal of `P⁻¹ − I` on span(U): `(λ̂_ℓ + μ)/(λ̂_i + μ) − 1`.
  private var factors: [Double] = []
  private var scratch = ScratchVector(count: 0)

  public var name: String { "nystrom(\(rank))" }

  /// A preconditioner for `A + μI` that is built by ``setUp(for:)``.
  ///
  /// - Parameters:
  ///   - shift: `μ > 0`.
  ///   - rank: a fixed ℓ, or `nil` (default) for the adaptive choice.
  ///   - initialRank: the first ℓ of the adaptive choice.
  ///   - maxRank: the cap of the adaptive choice.
  ///   - seed: the seed of Ω.
  ///   - matrixIncludesShift: the matrix given to set-up is `A + μI`, not `A`.
  public init(
    shift: Double, rank: Int? = nil, initialRank: Int = 16, maxRank: Int = 512, seed: UInt64 = 0,
    matrixIncludesShift: Bool = false
  ) throws {
    guard shift > 0, shift.isFinite else {
      throw LinSolveError.invalidParameter(name: "shift", reason: "μ = \(shift) must be positive and finite")
    }
    if let rank, rank < 1 { throw LinSolveError.invalidParameter(name: "rank", reason: "\(rank) is not positive") }
    guard initialRank >= 1, maxRank >= 1 else {
      throw LinSolveError.invalidParameter(name: "initialRank", reason: "ranks must be positive")
    }
    self.shift = shift
    self.fixedRank = rank
    self.initialRank = initialRank
    self.maxRank = maxRank
    self.seed = seed
    self.matrixIncludesShift = matrixIncludesShift
  }

  /// Builds the preconditioner from any symmetric PSD operator (`A`, or `A + μI` with
  /// `matrixIncludesShift`), e.g. a dense kernel matrix as a ``DenseMatrix``.
  public convenience init(
    operator a: some LinearOperator, shift: Double, rank: Int? = nil, initialRank: Int = 16, maxRank: Int = 512,
    seed: UInt64 = 0, matrixIncludesShift: Bool = false
  ) throws {
    try self.init(
      shift: shift, rank: rank, initialRank: initialRank, maxRank: maxRank, seed: seed,
      matrixIncludesShift: matrixIncludesShift)
    try setUp(operator: a)
  }

  /// Builds the preconditioner for the sparse PSD matrix `a` (see ``matrixIncludesShift``).
  public func setUp(for a: SparseMatrix) throws {
    try SolverInput.validateValues(a)
    try setUp(operator: a)
  }

  /// Builds the preconditioner for a symmetric PSD operator.
  ///
  /// - Throws: ``LinSolveError/notSquare(rows:columns:)``, or
  ///   ``LinSolveError/factorizationFailed(reason:)`` when the Nyström core cannot be
  ///   factored even with a larger stabilising shift (`A` is far from PSD).
  public func setUp(operator a: some LinearOperator) throws {
    guard a.rows == a.columns else { throw LinSolveError.notSquare(rows: a.rows, columns: a.columns) }
    let n = a.rows
    setUpMatvecs = 0
    errorEstimate = nil
    guard n > 0 else {
      install(u: DenseMatrix(rows: 0, columns: 0), eigenvalues: [])
      return
    }
    var ell = min(fixedRank ?? initialRank, n)
    while true {
      let (basis, lambda) = try approximation(a, rank: ell)
      install(u: basis, eigenvalues: lambda)
      if fixedRank != nil { return }
      let estimate = residualNormEstimate(a)
      errorEstimate = estimate
      if estimate <= errorTarget * shift || ell >= min(maxRank, n) { return }
      ell = min(2 * ell, maxRank, n)
    }
  }

  /// Computes `z = P⁻¹ r = r + U·diag((λ̂_ℓ + μ)/(λ̂_i + μ) − 1)·Uᵀr`.
  public func apply(_ r: UnsafeBufferPointer<Double>, into z: UnsafeMutableBufferPointer<Double>) {
    precondition(r.count == u.rows && z.count == u.rows, "Nyström apply: sizes do not match the set-up")
    guard let rp = r.baseAddress, let zp = z.baseAddress else { return }
    zp.update(from: rp, count: r.count)
    let ell = rank
    guard ell > 0 else { return }
    let t = scratch.buffer.baseAddress!
    u.values.withUnsafeBufferPointer { uv in
      // t ← Uᵀr;  t ← D t;  z ← r + U t
      BLAS.gemv(transpose: true, rows: u.rows, columns: ell, uv.baseAddress, lda: u.rows, rp, beta: 0, t)
      for i in 0..<ell { t[i] *= factors[i] }
      BLAS.gemv(transpose: false, rows: u.rows, columns: ell, uv.baseAddress, lda: u.rows, t, beta: 1, zp)
    }
  }

  // MARK: Implementation

  private func install(u basis: DenseMatrix, eigenvalues lambda: [Double]) {
    u = basis
    eigenvalues = lambda
    rank = lambda.count
    let smallest = lambda.last ?? 0
    factors = lambda.map { (smallest + shift) / ($0 + shift) - 1 }
    scratch = ScratchVector(count: max(1, rank))
  }

  /// `Y = A·Q` (`n × ℓ`), minus `μQ` when the matrix includes the shift.
  private func product(_ a: some LinearOperator, _ q: DenseMatrix) -> DenseMatrix {
    var y = DenseMatrix(rows: q.rows, columns: q.columns)
    if let dense = a as? DenseMatrix {
      BLAS.gemm(dense, transposeA: false, q, transposeB: false, into: &y)
    } else {
      let n = q.rows
      q.values.withUnsafeBufferPointer { qv in
        y.values.withUnsafeMutableBufferPointer { yv in
          for j in 0..<q.columns {
            a.apply(
              UnsafeBufferPointer(rebasing: qv[(j * n)..<((j + 1) * n)]),
              into: UnsafeMutableBufferPointer(rebasing: yv[(j * n)..<((j + 1) * n)]))
          }
        }
      }
    }
    setUpMatvecs += q.columns
    if matrixIncludesShift {
      for k in 0..<y.values.count { y.values[k] -= shift * q.values[k] }
    }
    return y
  }

  /// The rank-ℓ Nyström approximation: `U` (`n × ℓ`) and `Λ̂` (descending).
  private func approximation(_ a: some LinearOperator, rank ell: Int) throws -> (DenseMatrix, [Double]) {
    let n = a.rows
    // Ω: Gaussian, column j from the counter stream (seed, j), orthonormalised.
    var omega = DenseMatrix(rows: n, columns: ell)
    omega.values.withUnsafeMutableBufferPointer { v in
      for j in 0..<ell {
        CounterRandom.fillGaussian(
          UnsafeMutableBufferPointer(rebasing: v[(j * n)..<((j + 1) * n)]), seed: seed ^ 0x4E59_5354_524F_4D00,
          stream: UInt64(j))
      }
    }
    let tau = try LAPACK.qr(&omega)
    try LAPACK.formQ(&omega, tau: tau)
    var y = product(a, omega)
    let yNorm = Vector.norm(y.values)
    var nu = Double(n).squareRoot() * max(yNorm.ulp, Double.leastNormalMagnitude)
    // Y_ν = Y + νΩ;  C = ΩᵀY_ν (symmetrised);  Cholesky, with a larger ν if rounding broke it.
    var core = DenseMatrix(rows: ell, columns: ell)
    var attempts = 0
    while true {
      var shifted = y
      for k in 0..<shifted.values.count { shifted.values[k] += nu * omega.values[k] }
      BLAS.gemm(omega, transposeA: true, shifted, transposeB: false, into: &core)
      for j in 0..<ell {
        for i in 0..<j {
          let s = 0.5 * (core[i, j] + core[j, i])
          core[i, j] = s
          core[j, i] = s
        }
      }
      if LAPACK.choleskyUpper(&core) {
        y = shifted
        break
      }
      attempts += 1
      guard attempts < 8 else {
        throw LinSolveError.factorizationFailed(
          reason: "Nyström core ΩᵀAΩ is not positive definite (is A positive semidefinite?)")
      }
      nu = max(10 * nu, 1e-14 * yNorm)
    }
    // B = Y_ν C⁻¹ (C upper triangular, on the right).
    y.values.withUnsafeMutableBufferPointer { yv in
      BLAS.solveUpperRight(rows: n, columns: ell, yv.baseAddress!, ld: n, r: core.values)
    }
    // [U, Σ] = svd(B, econ).
    let (sigma, basis) = try LAPACK.thinSVD(&y, vectors: .left)
    return (basis, sigma.map { max(0, $0 * $0 - nu) })
  }

  /// A power-method estimate of `‖A − UΛ̂Uᵀ‖₂` (the error is PSD, so its largest eigenvalue).
  private func residualNormEstimate(_ a: some LinearOperator) -> Double {
    let n = a.rows, ell = rank
    var v = [Double](repeating: 0, count: n)
    v.withUnsafeMutableBufferPointer {
      CounterRandom.fillGaussian($0, seed: seed ^ 0x504F_5745_5200, stream: UInt64(ell))
    }
    var z = [Double](repeating: 0, count: n)
    var t = [Double](repeating: 0, count: max(1, ell))
    var estimate = 0.0
    for _ in 0..<max(1, powerSteps) {
      let nv = Vector.norm(v)
      guard nv > 0, nv.isFinite else { return 0 }
      Vector.scal(1 / nv, &v)
      // z ← A v − μ·v (when shifted) − U Λ̂ Uᵀ v
      a.apply(v, into: &z)
      setUpMatvecs += 1
      if matrixIncludesShift { Vector.axpy(-shift, v, &z) }
      u.values.withUnsafeBufferPointer { uv in
        v.withUnsafeBufferPointer { vp in
          t.withUnsafeMutableBufferPointer { tp in
            z.withUnsafeMutableBufferPointer { zp in
              BLAS.gemv(transpose: true, rows: n, columns: ell, uv.baseAddress, lda: n, vp.baseAddress, beta: 0, tp.baseAddress)
              for i in 0..<ell { tp[i] *= eigenvalues[i] }
              BLAS.gemv(
                transpose: false, rows: n, columns: ell, alpha: -1, uv.baseAddress, lda: n, tp.baseAddress, beta: 1,
                zp.baseAddress)
            }
          }
        }
      }
      estimate = Vector.norm(z)
      swap(&v, &z)
    }
    return estimate
  }
}
