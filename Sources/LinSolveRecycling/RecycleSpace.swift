import LinSolveCore

/// A recycle (deflation) space carried from one solve to the next: a basis `U` (n × k,
/// column-major, the layout BLAS and LAPACK take), its image `C` under the operator, and a
/// record of which operator and preconditioner that image was computed for.
///
/// Two normalisations are used, one per family of methods:
/// - ``Normalization/orthonormalImage`` (GCRO-DR): `C = A·M⁻¹·U` with `CᵀC = I`. Rebuilding it
///   for a new operator costs k products, then a QR `A·M⁻¹·U = Q·R` (LAPACK `dgeqrf` +
///   `dorgqr`), `C ← Q`, `U ← U·R⁻¹` (BLAS `dtrsm`) — Parks et al. 2006, §2.
/// - ``Normalization/operatorOrthonormal`` (deflated CG): `C = A·U` with `UᵀA·U = I`, so the
///   deflation `μ = Cᵀz`, `p ← p − U·μ` needs no k × k solve. Rebuilding costs k products and a
///   symmetric eigendecomposition of the k × k Gram matrix `UᵀAU` (LAPACK `dsyev`); directions
///   whose eigenvalue is below `10⁻¹²·λ_max` are dropped as nearly dependent. It also keeps
///   `CᵀM⁻¹C`, which the Rayleigh–Ritz update of the space needs (k applications of `M⁻¹`).
///
/// ## Knowing when the operator changed
/// ``prepare(for:preconditioner:operatorChanged:)`` decides whether the image is still valid:
/// - the caller may say so with `operatorChanged: true/false` (it covers `A` and `M`);
/// - otherwise, for a ``SparseMatrix``, the space keeps the matrix it was built for (a
///   copy-on-write snapshot: no copy is made unless the caller later mutates its matrix) and
///   compares it with `==`. Passing the same matrix again is O(1) (the arrays share storage);
///   a different matrix is O(nnz) to compare, negligible beside the k products it may save.
///   The preconditioner is compared by object identity (the space holds a reference, so the
///   identity cannot be reused). A preconditioner set up again *in place* for the same matrix
///   is not noticed: pass `operatorChanged: true` (or call ``invalidateImage()``) then;
/// - any other ``LinearOperator`` (a closure) cannot be compared and is treated as changed.
///
/// Memory: `2·n·k` doubles (plus the snapshot reference).
///
/// References: M. L. Parks, E. de Sturler, G. Mackey, D. D. Johnson, S. Maiti, "Recycling Krylov
/// subspaces for sequences of linear systems", SIAM J. Sci. Comput. 28(5), 1651–1674, 2006;
/// Y. Saad, M. Yeung, J. Erhel, F. Guyomarc'h, "A deflated version of the conjugate gradient
/// algorithm", SIAM J. Sci. Comput. 21(5), 1909–1926, 2000.
public struct RecycleSpace {
  /// How the basis and its image are normalised.
  public enum Normalization: String, Sendable, Codable {
    /// `C = A·M⁻¹·U`, `CᵀC = I` (GCRO-DR, right preconditioning).
    case orthonormalImage
    /// `C = A·U`, `UᵀAU = I` (deflated CG; `A` symmetric positive definite).
    case operatorOrthonormal
  }

  /// What a rebuild (or a reuse) of the image cost.
  public struct PreparationCost: Sendable, Equatable {
    /// Whether the image was recomputed.
    public var rebuilt = false
    /// Products with `A`.
    public var matvecs = 0
    /// Applications of `M⁻¹`.
    public var preconditionerApplications = 0
    /// Directions dropped as nearly dependent.
    public var droppedDirections = 0
    /// Seconds spent.
    public var seconds = 0.0
  }

  /// The normalisation this space keeps.
  public let normalization: Normalization
  /// `n`, the length of the vectors (0 while empty and never sized).
  public private(set) var length: Int
  /// `k`, the number of basis vectors.
  public private(set) var dimension: Int
  /// Eigenvalue estimates for the space: for ``Normalization/operatorOrthonormal``, the Ritz
  /// values of `M⁻¹A` on span `U` (ascending); for ``Normalization/orthonormalImage``, the
  /// moduli of the harmonic Ritz values chosen by the last update of `U` (a complex pair,
  /// stored as two real vectors, appears twice). Empty when unknown.
  public internal(set) var ritzValues: [Double] = []

  /// `U`, `length × capacity`, column-major; the first ``dimension`` columns are valid.
  var u: [Double] = []
  /// `C`, same shape as `u`.
  var c: [Double] = []
  /// `CᵀM⁻¹C` (`dimension²`, column-major), for ``Normalization/operatorOrthonormal``.
  var preconditionedGram: [Double] = []
  /// The operator the image was computed for; `nil` when the image is not valid.
  private var version: Version?

  private struct Version {
    var matrix: SparseMatrix?
    var preconditioner: (any Preconditioner)?
  }

  /// An empty space.
  public init(normalization: Normalization) {
    self.normalization = normalization
    length = 0
    dimension = 0
  }

  /// A space spanned by the columns of `basis` (e.g. known eigenvectors). Its image is computed
  /// at the first solve (k products, counted there).
  public init(basis: DenseMatrix, normalization: Normalization) {
    self.normalization = normalization
    length = basis.rows
    dimension = basis.columns
    u = basis.values
    c = [Double](repeating: 0, count: basis.values.count)
  }

  /// Whether the space has no vectors.
  public var isEmpty: Bool { dimension == 0 }

  /// Whether the image `C` is valid for the operator it was last prepared for.
  public var hasValidImage: Bool { version != nil || dimension == 0 }

  /// `U`, as a new matrix (`length × dimension`).
  public var basis: DenseMatrix {
    try! DenseMatrix(rows: length, columns: dimension, columnMajor: Array(u.prefix(length * dimension)))
  }

  /// `C` (see ``Normalization``), or `nil` when it has not been computed for the current operator.
  public var image: DenseMatrix? {
    guard hasValidImage else { return nil }
    return try! DenseMatrix(rows: length, columns: dimension, columnMajor: Array(c.prefix(length * dimension)))
  }

  /// Forgets the operator the image was built for: the next solve recomputes it (k products).
  public mutating func invalidateImage() { version = nil }

  /// Removes every vector (the storage is kept for reuse).
  public mutating func removeAll() {
    dimension = 0
    ritzValues = []
    preconditionedGram = []
    version = nil
  }

  // MARK: Preparation

  /// Makes the image `C` valid for `a` (and `preconditioner`), recomputing it only when they
  /// changed since it was last computed (see the type's documentation for how that is decided).
  ///
  /// - Parameters:
  ///   - operatorChanged: `true`/`false` to say whether `A` or `M` changed; `nil` to compare.
  /// - Returns: what it cost (all zero when the image was reused).
  /// - Throws: ``LinSolveError/dimensionMismatch(expected:actual:what:)`` if the space's
  ///   vectors do not have the operator's size.
  @discardableResult
  public mutating func prepare(
    for a: some LinearOperator, preconditioner: (any Preconditioner)?, operatorChanged: Bool? = nil
  ) throws -> PreparationCost {
    var cost = PreparationCost()
    guard dimension > 0 else {
      version = Version(matrix: a as? SparseMatrix, preconditioner: preconditioner)
      return cost
    }
    guard length == a.rows, a.rows == a.columns else {
      throw LinSolveError.dimensionMismatch(expected: a.rows, actual: length, what: "recycle space vectors")
    }
    let (operatorChanged, preconditionerChanged) = changes(a, preconditioner, operatorChanged)
    if !operatorChanged && !preconditionerChanged { return cost }
    var watch = RecyclingStopwatch()
    switch normalization {
    case .orthonormalImage:
      rebuildOrthonormalImage(a, preconditioner, &cost)
    case .operatorOrthonormal:
      if operatorChanged { rebuildOperatorOrthonormal(a, &cost) }
      computePreconditionedGram(preconditioner, &cost)
    }
    version = Version(matrix: a as? SparseMatrix, preconditioner: preconditioner)
    cost.rebuilt = true
    cost.seconds = watch.lap()
    return cost
  }

  /// Whether `A` and `M` differ from the ones the image was computed for.
  private func changes(
    _ a: some LinearOperator, _ m: (any Preconditioner)?, _ told: Bool?
  ) -> (operator: Bool, preconditioner: Bool) {
    guard let version else { return (true, true) }
    if let told { return (told, told) }
    let preconditionerChanged = version.preconditioner !== m
    guard let old = version.matrix, let new = a as? SparseMatrix else { return (true, preconditionerChanged) }
    return (old != new, preconditionerChanged)
  }

  /// Makes room for `columns` vectors of length `n` without losing the current ones. Sizing an
  /// empty space for a new `n` is allowed; changing `n` of a non-empty space is not.
  mutating func reserve(columns: Int, length n: Int) {
    if dimension == 0 { length = n }
    precondition(length == n, "recycle space has vectors of length \(length), not \(n)")
    let needed = n * columns
    if u.count < needed {
      u.append(contentsOf: repeatElement(0, count: needed - u.count))
    }
    if c.count < needed {
      c.append(contentsOf: repeatElement(0, count: needed - c.count))
    }
  }

  /// Keeps only the first `count` vectors. Both normalisations survive dropping columns.
  mutating func truncate(to count: Int) {
    guard count < dimension else { return }
    let k = dimension
    if preconditionedGram.count == k * k {
      var g = [Double](repeating: 0, count: count * count)
      for j in 0..<count { for i in 0..<count { g[i + j * count] = preconditionedGram[i + j * k] } }
      preconditionedGram = g
    }
    ritzValues = Array(ritzValues.prefix(count))
    dimension = count
  }

  /// Records that the first `k` columns of `u` and `c` now hold a valid space for the operator
  /// the solver was given (the update happened without new products).
  mutating func setUpdated(dimension k: Int, ritzValues: [Double], preconditionedGram: [Double]) {
    dimension = k
    self.ritzValues = ritzValues
    self.preconditionedGram = preconditionedGram
  }

  /// `C = A·M⁻¹·U`, then a QR: `C ← Q`, `U ← U·R⁻¹`; nearly dependent columns are dropped.
  private mutating func rebuildOrthonormalImage(
    _ a: some LinearOperator, _ m: (any Preconditioner)?, _ cost: inout PreparationCost
  ) {
    let n = length, k = dimension
    var t = [Double](repeating: 0, count: m == nil ? 0 : n)
    u.withUnsafeMutableBufferPointer { up in
      c.withUnsafeMutableBufferPointer { cp in
        t.withUnsafeMutableBufferPointer { tp in
          for j in 0..<k {
            let uj = UnsafeBufferPointer(start: up.baseAddress! + j * n, count: n)
            let cj = UnsafeMutableBufferPointer(start: cp.baseAddress! + j * n, count: n)
            if let m {
              m.apply(uj, into: tp)
              a.apply(UnsafeBufferPointer(tp), into: cj)
            } else {
              a.apply(uj, into: cj)
            }
          }
        }
      }
    }
    cost.matvecs += k
    if m != nil { cost.preconditionerApplications += k }
    cost.droppedDirections += orthonormalizeImage()
    ritzValues = []
  }

  /// With `c` holding `A·M⁻¹·U` (any basis): `C ← Q`, `U ← U·R⁻¹` for `C = Q·R`. Columns whose
  /// `|R_jj|` falls below `10⁻¹²·max |R_ii|` are dropped (and the QR redone). Returns how many
  /// were dropped.
  mutating func orthonormalizeImage() -> Int {
    let n = length
    var dropped = 0
    while dimension > 0 {
      let k = dimension
      guard let r = c.withUnsafeMutableBufferPointer({ LAPACK.thinQR(rows: n, columns: k, $0.baseAddress!, ld: n) })
      else { removeAll(); return dropped + k }
      let diagonal = (0..<k).map { abs(r[$0 + $0 * k]) }
      let largest = diagonal.max() ?? 0
      let keep = (0..<k).filter { diagonal[$0] > 1e-12 * largest && diagonal[$0].isFinite }
      if keep.count == k {
        u.withUnsafeMutableBufferPointer { BLAS.solveUpperRight(rows: n, columns: k, $0.baseAddress!, ld: n, r: r) }
        return dropped
      }
      // Restore the kept columns of the image, C_keep = Q·R[:, keep], and of U; then redo the QR.
      var selection = [Double](repeating: 0, count: k * keep.count)
      for (jj, j) in keep.enumerated() { for i in 0..<k { selection[i + jj * k] = r[i + j * k] } }
      var pick = [Double](repeating: 0, count: k * keep.count)
      for (jj, j) in keep.enumerated() { pick[j + jj * k] = 1 }
      c.withUnsafeMutableBufferPointer {
        DenseKernels.combineInPlace(rows: n, target: $0.baseAddress!, ld: n, inColumns: k, selection, outColumns: keep.count)
      }
      u.withUnsafeMutableBufferPointer {
        DenseKernels.combineInPlace(rows: n, target: $0.baseAddress!, ld: n, inColumns: k, pick, outColumns: keep.count)
      }
      dropped += k - keep.count
      dimension = keep.count
      if keep.isEmpty { removeAll() }
    }
    return dropped
  }

  /// `C = A·U` (after scaling the columns of `U` to unit length), then the A-orthonormalisation.
  private mutating func rebuildOperatorOrthonormal(_ a: some LinearOperator, _ cost: inout PreparationCost) {
    let n = length, k = dimension
    u.withUnsafeMutableBufferPointer { up in
      c.withUnsafeMutableBufferPointer { cp in
        for j in 0..<k {
          let uj = UnsafeMutableBufferPointer(start: up.baseAddress! + j * n, count: n)
          let norm = Vector.norm(UnsafeBufferPointer(uj))
          if norm > 0 && norm.isFinite { Vector.scal(1 / norm, uj) }
          a.apply(UnsafeBufferPointer(uj), into: UnsafeMutableBufferPointer(start: cp.baseAddress! + j * n, count: n))
        }
      }
    }
    cost.matvecs += k
    preconditionedGram = []
    cost.droppedDirections += operatorOrthonormalize()
  }

  /// With `c = A·U`: `U ← U·S`, `C ← C·S` with `S = V·Λ^{-1/2}` from `UᵀC = V·Λ·Vᵀ`, so that
  /// `UᵀAU = I`. Eigenvalues below `10⁻¹²·λ_max` (nearly dependent directions, or directions
  /// on which `A` is not positive) are dropped. A stored ``preconditionedGram`` is carried over
  /// to the new basis (`Sᵀ·G·S`) and the Ritz values recomputed from it.
  ///
  /// - Parameter tolerance: leave the basis alone when `max |UᵀC − I| ≤ tolerance`.
  /// - Returns: the number of directions dropped.
  mutating func operatorOrthonormalize(skipWithin tolerance: Double = -1) -> Int {
    let n = length, k = dimension
    guard k > 0 else { return 0 }
    var g = u.withUnsafeBufferPointer { up in
      c.withUnsafeBufferPointer { cp in DenseKernels.gram(rows: n, up.baseAddress!, colsA: k, cp.baseAddress!, colsB: k) }
    }
    var deviation = 0.0
    for j in 0..<k {
      for i in 0..<k { deviation = max(deviation, abs(g[i + j * k] - (i == j ? 1 : 0))) }
    }
    if deviation <= tolerance { return 0 }
    for j in 0..<k { for i in 0..<j { let s = 0.5 * (g[i + j * k] + g[j + i * k]); g[i + j * k] = s; g[j + i * k] = s } }
    guard let lambda = LAPACK.symmetricEigen(&g, order: k) else { removeAll(); return k }
    let largest = lambda.last ?? 0
    let keep = (0..<k).filter { lambda[$0] > 1e-12 * largest && lambda[$0].isFinite }
    var s = [Double](repeating: 0, count: k * keep.count)
    for (jj, j) in keep.enumerated() {
      let scale = 1 / lambda[j].squareRoot()
      for i in 0..<k { s[i + jj * k] = g[i + j * k] * scale }
    }
    u.withUnsafeMutableBufferPointer {
      DenseKernels.combineInPlace(rows: n, target: $0.baseAddress!, ld: n, inColumns: k, s, outColumns: keep.count)
    }
    c.withUnsafeMutableBufferPointer {
      DenseKernels.combineInPlace(rows: n, target: $0.baseAddress!, ld: n, inColumns: k, s, outColumns: keep.count)
    }
    dimension = keep.count
    if preconditionedGram.count == k * k {
      preconditionedGram = Self.congruence(preconditionedGram, s, k: k, kk: keep.count)
      var e = preconditionedGram
      ritzValues = LAPACK.symmetricEigen(&e, order: keep.count) ?? []
    } else {
      preconditionedGram = []
      ritzValues = []
    }
    if keep.isEmpty { removeAll() }
    return k - keep.count
  }

  /// `Sᵀ·G·S` for a `k × k` `G` and a `k × kk` `S`.
  static func congruence(_ g: [Double], _ s: [Double], k: Int, kk: Int) -> [Double] {
    guard kk > 0 else { return [] }
    var gs = [Double](repeating: 0, count: k * kk)
    var out = [Double](repeating: 0, count: kk * kk)
    g.withUnsafeBufferPointer { gp in
      s.withUnsafeBufferPointer { sp in
        gs.withUnsafeMutableBufferPointer { gsp in
          BLAS.gemm(
            transposeA: false, transposeB: false, m: k, n: kk, k: k, gp.baseAddress!, lda: k, sp.baseAddress!,
            ldb: k, into: gsp.baseAddress!, ldc: k)
        }
        out.withUnsafeMutableBufferPointer { op in
          gs.withUnsafeBufferPointer { gsp in
            BLAS.gemm(
              transposeA: true, transposeB: false, m: kk, n: kk, k: k, sp.baseAddress!, lda: k, gsp.baseAddress!,
              ldb: k, into: op.baseAddress!, ldc: kk)
          }
        }
      }
    }
    return out
  }

  /// `CᵀM⁻¹C` (`CᵀC` without a preconditioner), symmetrised.
  mutating func computePreconditionedGram(_ m: (any Preconditioner)?, _ cost: inout PreparationCost) {
    let n = length, k = dimension
    guard k > 0 else { preconditionedGram = []; return }
    var g: [Double]
    if let m {
      // E = M⁻¹C column by column, then CᵀE in one dgemm (one pass over C, not k).
      var e = [Double](repeating: 0, count: n * k)
      c.withUnsafeBufferPointer { cp in
        e.withUnsafeMutableBufferPointer { ep in
          for j in 0..<k {
            m.apply(
              UnsafeBufferPointer(start: cp.baseAddress! + j * n, count: n),
              into: UnsafeMutableBufferPointer(start: ep.baseAddress! + j * n, count: n))
          }
        }
      }
      g = c.withUnsafeBufferPointer { cp in
        e.withUnsafeBufferPointer { DenseKernels.gram(rows: n, cp.baseAddress!, colsA: k, $0.baseAddress!, colsB: k) }
      }
      cost.preconditionerApplications += k
    } else {
      g = c.withUnsafeBufferPointer { DenseKernels.gram(rows: n, $0.baseAddress!, colsA: k, $0.baseAddress!, colsB: k) }
    }
    for j in 0..<k { for i in 0..<j { let s = 0.5 * (g[i + j * k] + g[j + i * k]); g[i + j * k] = s; g[j + i * k] = s } }
    preconditionedGram = g
    // With UᵀAU = I, the eigenvalues of CᵀM⁻¹C are the Ritz values of M⁻¹A on span U.
    ritzValues = LAPACK.symmetricEigen(&g, order: k) ?? []
  }

  /// Marks the image as computed for `a` and `m` (after an update made from exact products).
  mutating func markValid(for a: some LinearOperator, preconditioner m: (any Preconditioner)?) {
    version = Version(matrix: a as? SparseMatrix, preconditioner: m)
  }
}
