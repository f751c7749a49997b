import LinSolveCore

/// A random embedding `S` (`d × m`, `d ≪ m`) with `E‖Sx‖² = ‖x‖²`: the sketch that the
/// randomized least-squares solvers compress a tall matrix with.
///
/// A sketch is a *distribution plus a seed*, as in RandBLAS's `SparseDist`/`DenseDist` with an
/// `RNGState`: column `j` of `S` is a pure function of `(seed, j)` computed by a counter-based
/// hash (see `CounterRandom.swift`). So the same seed gives the same sketch on every run,
/// whatever ``Parallel/threads`` is, and no thread needs another's random numbers.
///
/// Distributions:
/// - ``Distribution/sparseSign(nonzerosPerColumn:)`` (the default, ζ = 8): each column has ζ
///   entries `±1/√ζ` in distinct rows chosen uniformly. Applying it costs `O(ζ·nnz(A))`
///   (SJLT/OSNAP; Nelson & Nguyễn, FOCS 2013; Cohen, SODA 2016). ζ = 8 follows Epperly and
///   RandLAPACK; ζ = 1 (CountSketch) is allowed but is a poor embedding (RandBLAS advises ζ ≥ 2).
///   The pattern (rows and signs, 4 bytes per nonzero) is generated once in ``init(rows:columns:distribution:seed:)``.
/// - ``Distribution/gaussian``: i.i.d. `N(0, 1/d)` entries, applied to dense matrices with GEMM
///   in column blocks generated on the fly (never stored whole). It costs `O(d·m·n)`, more than
///   a QR of `A` when `d ≥ n`: use it for small problems or as a reference.
///
/// SRHT is not provided (it needs a fast transform; see the research digest §3).
///
/// ```swift
/// let s = SketchingOperator(rows: 4 * n, columns: a.rows, seed: 42)   // sparse sign, ζ = 8
/// let sa = s.apply(to: a)    // DenseMatrix, 4n × n; threaded, deterministic
/// let sb = s.applied(to: b)  // S·b
/// ```
///
/// Reference: R. Murray et al., "Randomized numerical linear algebra: a perspective on the
/// field with an eye to software", arXiv 2302.11474 (2023), §2; E. N. Epperly, "Fast and
/// forward stable randomized algorithms for linear least-squares problems", SIMAX 2024.
public struct SketchingOperator: Sendable {
  /// The family an embedding is drawn from.
  public enum Distribution: Sendable, Equatable, Hashable {
    /// ζ nonzeros `±1/√ζ` per column in distinct random rows (ζ is capped at the number of rows).
    case sparseSign(nonzerosPerColumn: Int = 8)
    /// Independent `N(0, 1/d)` entries.
    case gaussian
  }

  /// `d`, the sketch dimension (length of `S·x`).
  public let rows: Int
  /// `m`, the length of the vectors sketched (rows of the matrices sketched).
  public let columns: Int
  /// The distribution `S` was drawn from.
  public let distribution: Distribution
  /// The seed: with ``distribution`` and the shape, it determines `S` completely.
  public let seed: UInt64
  /// For a sparse sign sketch, the row of each nonzero, column by column (ζ per column), with
  /// the sign in the bit pattern: `e ≥ 0` is `+` in row `e`, `e < 0` is `−` in row `~e`.
  let pattern: [Int32]
  /// Nonzeros per column actually used (ζ capped at `rows`); 0 for a Gaussian sketch.
  let perColumn: Int

  /// Draws `S` (`rows × columns`) from `distribution` with `seed`.
  ///
  /// - Complexity: `O(ζ·columns)` for a sparse sign sketch (its pattern is generated here,
  ///   threaded); `O(1)` for a Gaussian one (entries are generated when applied).
  public init(rows: Int, columns: Int, distribution: Distribution = .sparseSign(), seed: UInt64 = 0) {
    precondition(rows > 0 && columns >= 0, "a sketch needs rows > 0 and columns ≥ 0")
    precondition(rows <= Int(Int32.max), "sketch dimension out of range")
    self.rows = rows
    self.columns = columns
    self.distribution = distribution
    self.seed = seed
    switch distribution {
    case .gaussian:
      perColumn = 0
      pattern = []
    case let .sparseSign(zeta):
      precondition(zeta >= 1, "a sparse sign sketch needs at least one nonzero per column")
      let k = min(zeta, rows)
      perColumn = k
      pattern = Self.sparseSignPattern(rows: rows, columns: columns, perColumn: k, seed: seed)
    }
  }

  /// The scale that makes `S` an isometry in expectation: `1/√ζ` (sparse sign) or `1/√d` (Gaussian).
  public var isometryScale: Double {
    switch distribution {
    case .sparseSign: return 1 / Double(perColumn).squareRoot()
    case .gaussian: return 1 / Double(rows).squareRoot()
    }
  }

  /// Nonzeros of `S`: `ζ·m` for a sparse sign sketch, `d·m` for a Gaussian one.
  public var nonzeros: Int {
    perColumn == 0 ? rows * columns : perColumn * columns
  }

  /// Column `j`'s ζ (row, sign) pairs, generated from `(seed, j)` alone: rows are drawn
  /// uniformly and redrawn on a repeat (a pure function of the counter, so still reproducible).
  private static func sparseSignPattern(rows d: Int, columns m: Int, perColumn k: Int, seed: UInt64) -> [Int32] {
    var out = [Int32](repeating: 0, count: m * k)
    out.withUnsafeMutableBufferPointer { buffer in
      let op = UncheckedSendable(buffer.baseAddress)
      Parallel.forEachChunk(m) { range in
        guard let p = op.value else { return }
        for j in range {
          let key = CounterRandom.streamKey(seed: seed, stream: UInt64(j))
          var counter: UInt64 = 0
          let base = j * k
          var filled = 0
          while filled < k {
            let bits = CounterRandom.bits(key: key, counter: counter)
            counter &+= 1
            let row = Int32(truncatingIfNeeded: CounterRandom.index(bits, below: d))
            var repeated = false
            for t in 0..<filled where (p[base + t] >= 0 ? p[base + t] : ~p[base + t]) == row {
              repeated = true
              break
            }
            if repeated { continue }
            // The lowest bit of the 64 decides the sign (the row came from the high bits).
            p[base + filled] = bits & 1 == 0 ? row : ~row
            filled += 1
          }
        }
      }
    }
    return out
  }

  /// The sketch as an explicit sparse matrix (`rows × columns`, CSR), for inspection and tests.
  ///
  /// Only for sparse sign sketches (a Gaussian one is dense; use ``denseMatrix()``).
  public func sparseMatrix() -> SparseMatrix {
    precondition(perColumn > 0, "sparseMatrix() is for sparse sign sketches")
    let scale = isometryScale
    var builder = CoordinateBuilder(rows: rows, columns: columns)
    builder.reserveCapacity(pattern.count)
    for j in 0..<columns {
      for t in 0..<perColumn {
        let e = pattern[j * perColumn + t]
        builder.appendUnchecked(row: Int(e >= 0 ? e : ~e), column: j, value: e >= 0 ? scale : -scale)
      }
    }
    return builder.build()
  }

  /// The sketch as a dense `rows × columns` matrix (small sketches only: tests, references).
  public func denseMatrix() -> DenseMatrix {
    var s = DenseMatrix(rows: rows, columns: columns)
    s.values.withUnsafeMutableBufferPointer { v in
      for j in 0..<columns {
        fillColumn(j, into: UnsafeMutableBufferPointer(rebasing: v[(j * rows)..<((j + 1) * rows)]))
      }
    }
    return s
  }

  /// Writes column `j` of `S` (with its scale) into `out` (`rows` entries).
  func fillColumn(_ j: Int, into out: UnsafeMutableBufferPointer<Double>) {
    switch distribution {
    case .gaussian:
      CounterRandom.fillGaussian(out, seed: seed, stream: UInt64(j), scale: isometryScale)
    case .sparseSign:
      for i in 0..<rows { out[i] = 0 }
      let scale = isometryScale
      for t in 0..<perColumn {
        let e = pattern[j * perColumn + t]
        if e >= 0 { out[Int(e)] = scale } else { out[Int(~e)] = -scale }
      }
    }
  }
}

// MARK: - Vectors

extension SketchingOperator: AdjointLinearOperator {
  /// `y = S·x` (`x` has ``columns`` entries, `y` has ``rows``).
  ///
  /// - Complexity: `O(ζ·m)` (sparse sign, one thread) or `O(d·m)` (Gaussian, `dgemv` on
  ///   generated column blocks).
  public func apply(_ x: UnsafeBufferPointer<Double>, into y: UnsafeMutableBufferPointer<Double>) {
    precondition(x.count == columns && y.count == rows, "sketch apply: sizes do not match")
    guard let yp = y.baseAddress else { return }
    yp.update(repeating: 0, count: rows)
    guard let xp = x.baseAddress else { return }
    switch distribution {
    case .sparseSign:
      let k = perColumn
      pattern.withUnsafeBufferPointer { pp in
        let p = pp.baseAddress!
        for j in 0..<columns {
          let xj = xp[j]
          for t in 0..<k {
            let e = p[j * k + t]
            if e >= 0 { yp[Int(e)] += xj } else { yp[Int(~e)] -= xj }
          }
        }
      }
      let scale = isometryScale
      for i in 0..<rows { yp[i] *= scale }
    case .gaussian:
      GaussianSketchKernels.applyToVector(self, xp, yp)
    }
  }

  /// `x = Sᵀ·y` (`y` has ``rows`` entries, `x` has ``columns``).
  ///
  /// - Complexity: `O(ζ·m)` split across ``Parallel/threads`` (sparse sign), `O(d·m)` (Gaussian).
  public func applyTranspose(_ y: UnsafeBufferPointer<Double>, into x: UnsafeMutableBufferPointer<Double>) {
    precondition(y.count == rows && x.count == columns, "sketch applyTranspose: sizes do not match")
    guard let xp = x.baseAddress else { return }
    guard let yp = y.baseAddress else {
      xp.update(repeating: 0, count: columns)
      return
    }
    switch distribution {
    case .sparseSign:
      let k = perColumn, scale = isometryScale
      pattern.withUnsafeBufferPointer { pp in
        let p = pp.baseAddress!
        Parallel.forEachChunk(columns) { range in
          for j in range {
            var s = 0.0
            for t in 0..<k {
              let e = p[j * k + t]
              if e >= 0 { s += yp[Int(e)] } else { s -= yp[Int(~e)] }
            }
            xp[j] = scale * s
          }
        }
      }
    case .gaussian:
      GaussianSketchKernels.applyTransposeToVector(self, yp, xp)
    }
  }
}
