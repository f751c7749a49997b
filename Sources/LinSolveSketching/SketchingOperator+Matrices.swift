import Dispatch
import LinSolveCore

// Sketching a tall matrix: S·A for a dense (column-major) or CSR A.
//
// Every kernel here is deterministic *and independent of the thread count*: work is split so
// that each output entry is accumulated by one thread in an order fixed by the data (columns of
// A ascending, or the nonzeros of S's row ascending), never by how the work was divided.

extension SketchingOperator {
  /// `S·A` for a dense `A` with ``columns`` rows: a dense `rows × a.columns` matrix.
  ///
  /// Sparse sign: the columns of `A` are processed in blocks of 8, each block by one thread,
  /// scattering `±A[j, block]` into the ζ rows of column `j` of `S` (one pass over `A`, one
  /// over the pattern of `S` per block). Gaussian: `dgemm` on column blocks of `S` generated on
  /// the fly (OpenBLAS threads; its results may depend on OpenBLAS's own thread count).
  ///
  /// - Complexity: `O(ζ·m·n)` (sparse sign) or `O(d·m·n)` (Gaussian).
  public func apply(to a: DenseMatrix) -> DenseMatrix {
    precondition(a.rows == columns, "sketch: A has \(a.rows) rows, the sketch has \(columns) columns")
    switch distribution {
    case .sparseSign: return sparseSignTimesDense(a)
    case .gaussian: return GaussianSketchKernels.applyToDense(self, a)
    }
  }

  /// `S·A` for a CSR `A` with ``columns`` rows: a dense `rows × a.columns` matrix.
  ///
  /// Sparse sign: row `r` of `S·A` is `Σ ±A[j, :]` over the nonzeros `(r, j)` of `S`, summed
  /// in ascending `j`; rows of the result are split across threads, accumulated row-major and
  /// transposed into the column-major result. Gaussian: column blocks of `S` are generated and
  /// each nonzero `a_jc` adds `a_jc·S[:, j]` to column `c` (columns split across threads).
  ///
  /// - Complexity: `O(ζ·nnz(A) + d·n)` (sparse sign) or `O(d·nnz(A))` (Gaussian); memory
  ///   `2·d·n` doubles for the sparse sign kernel.
  public func apply(to a: SparseMatrix) -> DenseMatrix {
    precondition(a.rows == columns, "sketch: A has \(a.rows) rows, the sketch has \(columns) columns")
    switch distribution {
    case .sparseSign: return sparseSignTimesSparse(a)
    case .gaussian: return GaussianSketchKernels.applyToSparse(self, a)
    }
  }

  // MARK: Sparse sign kernels

  private func sparseSignTimesDense(_ a: DenseMatrix) -> DenseMatrix {
    let d = rows, m = columns, n = a.columns, k = perColumn
    var out = DenseMatrix(rows: d, columns: n)
    guard n > 0, m > 0 else { return out }
    let width = 8
    let blocks = (n + width - 1) / width
    let workers = SketchThreads.workers(items: blocks, work: m * n)
    let scale = isometryScale
    out.values.withUnsafeMutableBufferPointer { ov in
      a.values.withUnsafeBufferPointer { av in
        pattern.withUnsafeBufferPointer { pv in
          let o = UncheckedSendable(ov.baseAddress!), ap = UncheckedSendable(av.baseAddress!)
          let p = UncheckedSendable(pv.baseAddress!)
          SketchThreads.run(workers) { w in
            let acc = UnsafeMutablePointer<SIMD8<Double>>.allocate(capacity: d)
            defer { acc.deallocate() }
            var block = w
            while block < blocks {
              let c0 = block * width, cw = min(width, n - c0)
              Self.sparseSignBlock(
                p.value, k: k, m: m, d: d, a: ap.value + c0 * m, columnsInBlock: cw, acc: acc)
              for t in 0..<cw {
                let column = o.value + (c0 + t) * d
                for r in 0..<d { column[r] = scale * acc[r][t] }
              }
              block += workers
            }
          }
        }
      }
    }
    return out
  }

  /// `acc (d × 8, row-major) = Σ_j ±e_{row(j,t)} ⊗ A[j, c0 ..< c0 + cw]` (unscaled).
  @inline(__always)
  private static func sparseSignBlock(
    _ p: UnsafePointer<Int32>, k: Int, m: Int, d: Int, a: UnsafePointer<Double>, columnsInBlock cw: Int,
    acc: UnsafeMutablePointer<SIMD8<Double>>
  ) {
    acc.update(repeating: SIMD8(repeating: 0), count: d)
    if cw == 8 {
      let a0 = a, a1 = a + m, a2 = a + 2 * m, a3 = a + 3 * m
      let a4 = a + 4 * m, a5 = a + 5 * m, a6 = a + 6 * m, a7 = a + 7 * m
      for j in 0..<m {
        let v = SIMD8(a0[j], a1[j], a2[j], a3[j], a4[j], a5[j], a6[j], a7[j])
        let base = p + j * k
        for t in 0..<k {
          let e = base[t]
          let negative = e >> 31  // 0 or −1
          let row = Int(e ^ negative)
          acc[row] += Double(negative | 1) * v
        }
      }
    } else {
      for j in 0..<m {
        var v = SIMD8<Double>(repeating: 0)
        for t in 0..<cw { v[t] = a[j + t * m] }
        let base = p + j * k
        for t in 0..<k {
          let e = base[t]
          let negative = e >> 31
          acc[Int(e ^ negative)] += Double(negative | 1) * v
        }
      }
    }
  }

  private func sparseSignTimesSparse(_ a: SparseMatrix) -> DenseMatrix {
    let d = rows, m = columns, n = a.columns, k = perColumn
    var out = DenseMatrix(rows: d, columns: n)
    guard n > 0, m > 0 else { return out }
    // Sᵀ's pattern by rows of S: for each sketch row r, the columns j (sign packed as in
    // `pattern`), ascending — a counting sort of the column-major pattern.
    var rowStart = [Int](repeating: 0, count: d + 1)
    for e in pattern { rowStart[Int(e >= 0 ? e : ~e) + 1] += 1 }
    for r in 0..<d { rowStart[r + 1] += rowStart[r] }
    var next = rowStart
    var byRow = [Int32](repeating: 0, count: pattern.count)
    for j in 0..<m {
      for t in 0..<k {
        let e = pattern[j * k + t]
        let r = Int(e >= 0 ? e : ~e)
        byRow[next[r]] = e >= 0 ? Int32(j) : ~Int32(j)
        next[r] += 1
      }
    }
    // Row-major accumulation, then a transpose into the column-major result.
    let scratch = UnsafeMutableBufferPointer<Double>.allocate(capacity: d * n)
    defer { scratch.deallocate() }
    let workers = SketchThreads.workers(items: d, work: k * a.nonzeros + d * n)
    let scale = isometryScale
    rowStart.withUnsafeBufferPointer { rsv in
      byRow.withUnsafeBufferPointer { brv in
        a.rowPointers.withUnsafeBufferPointer { apv in
          a.columnIndices.withUnsafeBufferPointer { acv in
            a.values.withUnsafeBufferPointer { avv in
              let rs = UncheckedSendable(rsv.baseAddress!), br = UncheckedSendable(brv.baseAddress)
              let ap = UncheckedSendable(apv.baseAddress!)
              let ac = UncheckedSendable(acv.baseAddress), av = UncheckedSendable(avv.baseAddress)
              let sc = UncheckedSendable(scratch.baseAddress!)
              SketchThreads.run(workers) { w in
                for r in Parallel.chunk(w, of: workers, count: d) {
                  let row = sc.value + r * n
                  row.update(repeating: 0, count: n)
                  guard let br = br.value, let ac = ac.value, let av = av.value else { continue }
                  for q in rs.value[r]..<rs.value[r + 1] {
                    let e = br[q]
                    let negative = e >> 31
                    let j = Int(e ^ negative)
                    let sign = Double(negative | 1)
                    for kk in ap.value[j]..<ap.value[j + 1] { row[Int(ac[kk])] += sign * av[kk] }
                  }
                }
              }
            }
          }
        }
      }
    }
    out.values.withUnsafeMutableBufferPointer { ov in
      let o = UncheckedSendable(ov.baseAddress!), sc = UncheckedSendable(scratch.baseAddress!)
      SketchThreads.run(SketchThreads.workers(items: n, work: d * n)) { w in
        for c in Parallel.chunk(w, of: SketchThreads.workers(items: n, work: d * n), count: n) {
          let column = o.value + c * d
          for r in 0..<d { column[r] = scale * sc.value[r * n + c] }
        }
      }
    }
    return out
  }
}

/// How the sketching kernels use threads: a fixed number of workers, each doing a share of
/// independent items. Which worker does an item never changes its result.
enum SketchThreads {
  /// Workers for `items` independent pieces of total `work` flops: 1 below 2¹⁶ (dispatch costs
  /// more than it saves), otherwise ``Parallel/threads`` (at most `items`).
  static func workers(items: Int, work: Int) -> Int {
    work < (1 << 16) ? 1 : max(1, min(Parallel.threads, items))
  }

  /// Runs `body(w)` for `w` in `0..<workers`, concurrently when `workers > 1`.
  static func run(_ workers: Int, _ body: (Int) -> Void) {
    if workers <= 1 {
      body(0)
      return
    }
    Parallel.run(workers, body)
  }
}

/// Gaussian sketches: column blocks of `S` are generated on the fly (never the whole `d × m`)
/// and multiplied with BLAS. The block width depends only on `d`, so results do not depend on
/// ``Parallel/threads``.
enum GaussianSketchKernels {
  /// Columns of `S` generated at a time: about 16 MB of `S`.
  static func blockWidth(_ s: SketchingOperator) -> Int {
    max(1, min(s.columns, (1 << 21) / max(1, s.rows)))
  }

  /// Generates columns `j0 ..< j0 + width` of `S` (scaled) into `block` (`d × width`).
  static func generate(_ s: SketchingOperator, from j0: Int, width: Int, into block: UnsafeMutablePointer<Double>) {
    let d = s.rows, scale = s.isometryScale, seed = s.seed
    let out = UncheckedSendable(block)
    SketchThreads.run(SketchThreads.workers(items: width, work: d * width * 16)) { w in
      let workers = SketchThreads.workers(items: width, work: d * width * 16)
      for t in Parallel.chunk(w, of: workers, count: width) {
        CounterRandom.fillGaussian(
          UnsafeMutableBufferPointer(start: out.value + t * d, count: d), seed: seed,
          stream: UInt64(j0 + t), scale: scale)
      }
    }
  }

  /// Runs `body(j0, width, block)` over the column blocks of `S`.
  static func forEachBlock(
    _ s: SketchingOperator, _ body: (_ j0: Int, _ width: Int, _ block: UnsafeMutablePointer<Double>) -> Void
  ) {
    let bw = blockWidth(s)
    let block = UnsafeMutablePointer<Double>.allocate(capacity: s.rows * bw)
    defer { block.deallocate() }
    var j0 = 0
    while j0 < s.columns {
      let width = min(bw, s.columns - j0)
      generate(s, from: j0, width: width, into: block)
      body(j0, width, block)
      j0 += width
    }
  }

  static func applyToVector(_ s: SketchingOperator, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>) {
    forEachBlock(s) { j0, width, block in
      // y ← y + S[:, J] x[J]
      BLAS.gemv(transpose: false, rows: s.rows, columns: width, block, lda: s.rows, x + j0, beta: 1, y)
    }
  }

  static func applyTransposeToVector(_ s: SketchingOperator, _ y: UnsafePointer<Double>, _ x: UnsafeMutablePointer<Double>) {
    forEachBlock(s) { j0, width, block in
      // x[J] ← S[:, J]ᵀ y
      BLAS.gemv(transpose: true, rows: s.rows, columns: width, block, lda: s.rows, y, beta: 0, x + j0)
    }
  }

  static func applyToDense(_ s: SketchingOperator, _ a: DenseMatrix) -> DenseMatrix {
    var out = DenseMatrix(rows: s.rows, columns: a.columns)
    guard a.columns > 0 else { return out }
    out.values.withUnsafeMutableBufferPointer { ov in
      a.values.withUnsafeBufferPointer { av in
        var first = true
        forEachBlock(s) { j0, width, block in
          // SA ← SA + S[:, J] A[J, :]
          BLAS.gemm(
            transposeA: false, transposeB: false, m: s.rows, n: a.columns, k: width, block, lda: s.rows,
            av.baseAddress! + j0, ldb: a.rows, beta: first ? 0 : 1, into: ov.baseAddress!, ldc: s.rows)
          first = false
        }
      }
    }
    return out
  }

  static func applyToSparse(_ s: SketchingOperator, _ a: SparseMatrix) -> DenseMatrix {
    let d = s.rows, n = a.columns
    var out = DenseMatrix(rows: d, columns: n)
    guard n > 0, a.nonzeros > 0 else { return out }
    out.values.withUnsafeMutableBufferPointer { ov in
      a.rowPointers.withUnsafeBufferPointer { apv in
        a.columnIndices.withUnsafeBufferPointer { acv in
          a.values.withUnsafeBufferPointer { avv in
            let o = UncheckedSendable(ov.baseAddress!), ap = UncheckedSendable(apv.baseAddress!)
            let ac = UncheckedSendable(acv.baseAddress!), av = UncheckedSendable(avv.baseAddress!)
            forEachBlock(s) { j0, width, block in
              let bp = UncheckedSendable(block)
              let nnz = ap.value[j0 + width] - ap.value[j0]
              let workers = SketchThreads.workers(items: n, work: d * nnz)
              // Column c of SA gathers a_jc·S[:, j]; each worker owns a range of columns.
              SketchThreads.run(workers) { w in
                let mine = Parallel.chunk(w, of: workers, count: n)
                for j in j0..<(j0 + width) {
                  let sj = bp.value + (j - j0) * d
                  for kk in ap.value[j]..<ap.value[j + 1] {
                    let c = Int(ac.value[kk])
                    guard mine.contains(c) else { continue }
                    let v = av.value[kk]
                    let column = o.value + c * d
                    for r in 0..<d { column[r] += v * sj[r] }
                  }
                }
              }
            }
          }
        }
      }
    }
    return out
  }
}
