// The sparse × sparse product (SpGEMM).

extension SparseMatrix {
  /// The product `C = A·B` of two sparse matrices (SpGEMM), in CSR with the columns of each row
  /// sorted and no duplicates.
  ///
  /// Gustavson's row-by-row algorithm (F. G. Gustavson, "Two fast algorithms for sparse matrices:
  /// multiplication and permuted transposition", ACM TOMS 4, 1978): row `i` of `C` is
  /// `Σ_k a_ik · (row k of B)`, accumulated in a dense array of `B.columns` values with a marker
  /// array recording which columns row `i` has touched; the touched columns are then sorted and
  /// copied out. Every structural product is kept, even if the sum cancels to 0, so the pattern
  /// of `C` depends only on the patterns of `A` and `B` (a Galerkin product `PᵀAP` of a
  /// symmetric pattern has a symmetric pattern).
  ///
  /// Two passes over row chunks on ``Parallel``'s threads, as in hypre's and Kokkos' SpGEMM: a
  /// symbolic pass counts each row's entries, then the numeric pass writes every row straight
  /// into its place in exactly sized arrays. Each row is computed the same way whatever the
  /// thread count, so the result is bit-identical for any ``Parallel/threads``.
  ///
  /// - Precondition: `columns == b.rows`.
  /// - Complexity: O(flops + Σ_i c_i log c_i) time for `flops = Σ_{a_ik ≠ 0} nnz(row k of B)`
  ///   and `c_i` entries in row `i` of `C`; O(`b.columns`) scratch per thread besides the result.
  public func multiplied(by b: SparseMatrix) -> SparseMatrix {
    precondition(columns == b.rows, "SpGEMM: A is \(rows)×\(columns), B is \(b.rows)×\(b.columns)")
    let m = rows, n = b.columns
    // Chunks by rows of A, long enough to pay for a dispatch and the per-thread scratch.
    let chunks = m == 0 ? 1 : Swift.min(Parallel.chunkCount(nonzeros), Swift.max(1, m / 64))
    var outPointers = [Int](repeating: 0, count: m + 1)
    let scratch = Gustavson.Scratch(chunks: chunks, columns: n)
    defer { scratch.deallocate() }
    let operands = UncheckedSendable((self, b))
    // Symbolic: outPointers[i + 1] = entries in row i.
    outPointers.withUnsafeMutableBufferPointer { counts in
      let shared = UncheckedSendable(counts.baseAddress!)
      Parallel.run(chunks) { c in
        let (a, b) = operands.value
        Gustavson.count(a, b, rows: Parallel.chunk(c, of: chunks, count: m), marker: scratch.marker(c), into: shared.value + 1)
      }
      for i in 0..<m { counts[i + 1] += counts[i] }
    }
    let total = outPointers[m]
    var outValues = [Double]()
    let outColumns = [Int32](unsafeUninitializedCapacity: total) { columns, columnsCount in
      outValues = [Double](unsafeUninitializedCapacity: total) { values, valuesCount in
        let shared = UncheckedSendable((columns.baseAddress, values.baseAddress))
        outPointers.withUnsafeBufferPointer { pointers in
          let pointers = UncheckedSendable(pointers.baseAddress!)
          Parallel.run(chunks) { c in
            let (a, b) = operands.value
            let (columns, values) = shared.value
            Gustavson.multiply(
              a, b, rows: Parallel.chunk(c, of: chunks, count: m), scratch: scratch, chunk: c,
              pointers: pointers.value, columns: columns, values: values)
          }
        }
        valuesCount = total
      }
      columnsCount = total
    }
    return SparseMatrix(
      uncheckedRows: m, columns: n, rowPointers: outPointers, columnIndices: outColumns,
      values: outValues)
  }
}

/// The two passes of ``SparseMatrix/multiplied(by:)`` over a range of rows.
private enum Gustavson {
  /// Per-chunk marker, accumulator and touched-column list, `columns` long each.
  struct Scratch: @unchecked Sendable {
    let columns: Int
    let markers: UnsafeMutableBufferPointer<Int>
    let accumulators: UnsafeMutableBufferPointer<Double>
    let lists: UnsafeMutableBufferPointer<Int32>

    init(chunks: Int, columns: Int) {
      self.columns = columns
      markers = .allocate(capacity: Swift.max(1, chunks * columns))
      markers.initialize(repeating: -1)
      accumulators = .allocate(capacity: Swift.max(1, chunks * columns))
      lists = .allocate(capacity: Swift.max(1, chunks * columns))
    }

    func marker(_ c: Int) -> UnsafeMutablePointer<Int> { markers.baseAddress! + c * columns }

    func deallocate() {
      markers.deallocate()
      accumulators.deallocate()
      lists.deallocate()
    }
  }

  /// `counts[i] = ` entries of row `i` of `A·B` for `i` in `rows`. Leaves `marker` holding row
  /// numbers (a later pass over other rows still sees them as untouched).
  static func count(
    _ a: SparseMatrix, _ b: SparseMatrix, rows: Range<Int>, marker: UnsafeMutablePointer<Int>,
    into counts: UnsafeMutablePointer<Int>
  ) {
    a.rowPointers.withUnsafeBufferPointer { arp in
      a.columnIndices.withUnsafeBufferPointer { acp in
        b.rowPointers.withUnsafeBufferPointer { brp in
          b.columnIndices.withUnsafeBufferPointer { bcp in
            for i in rows {
              var count = 0
              for ka in arp[i]..<arp[i + 1] {
                let k = Int(acp[ka])
                for kb in brp[k]..<brp[k + 1] {
                  let j = Int(bcp[kb])
                  if marker[j] != i {
                    marker[j] = i
                    count += 1
                  }
                }
              }
              counts[i] = count
            }
          }
        }
      }
    }
  }

  /// Rows `rows` of `A·B` written at `pointers[i] ..< pointers[i + 1]` of `columns`/`values`.
  /// The marker is reset to -1 first (the symbolic pass left row numbers in it).
  static func multiply(
    _ a: SparseMatrix, _ b: SparseMatrix, rows: Range<Int>, scratch: Scratch, chunk c: Int,
    pointers: UnsafePointer<Int>, columns: UnsafeMutablePointer<Int32>?, values: UnsafeMutablePointer<Double>?
  ) {
    guard let columns, let values else { return }
    let mark = scratch.marker(c)
    let acc = scratch.accumulators.baseAddress! + c * scratch.columns
    let list = scratch.lists.baseAddress! + c * scratch.columns
    mark.update(repeating: -1, count: scratch.columns)
    a.rowPointers.withUnsafeBufferPointer { arp in
      a.columnIndices.withUnsafeBufferPointer { acp in
        a.values.withUnsafeBufferPointer { avp in
          b.rowPointers.withUnsafeBufferPointer { brp in
            b.columnIndices.withUnsafeBufferPointer { bcp in
              b.values.withUnsafeBufferPointer { bvp in
                for i in rows {
                  var count = 0
                  for ka in arp[i]..<arp[i + 1] {
                    let k = Int(acp[ka])
                    let aik = avp[ka]
                    for kb in brp[k]..<brp[k + 1] {
                      let j = Int(bcp[kb])
                      if mark[j] != i {
                        mark[j] = i
                        acc[j] = aik * bvp[kb]
                        list[count] = Int32(j)
                        count += 1
                      } else {
                        acc[j] += aik * bvp[kb]
                      }
                    }
                  }
                  var row = UnsafeMutableBufferPointer(start: list, count: count)
                  row.sort()
                  let start = pointers[i]
                  for (q, j) in row.enumerated() {
                    columns[start + q] = j
                    values[start + q] = acc[Int(j)]
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}
