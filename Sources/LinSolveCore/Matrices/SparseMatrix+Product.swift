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
  /// - Precondition: `columns == b.rows`.
  /// - Complexity: O(flops + Σ_i c_i log c_i) time for `flops = Σ_{a_ik ≠ 0} nnz(row k of B)`
  ///   and `c_i` entries in row `i` of `C`; O(`b.columns`) scratch besides the result.
  public func multiplied(by b: SparseMatrix) -> SparseMatrix {
    precondition(columns == b.rows, "SpGEMM: A is \(rows)×\(columns), B is \(b.rows)×\(b.columns)")
    let m = rows, n = b.columns
    var outPointers = [Int](repeating: 0, count: m + 1)
    var outColumns: [Int32] = []
    var outValues: [Double] = []
    outColumns.reserveCapacity(max(nonzeros, b.nonzeros))
    outValues.reserveCapacity(max(nonzeros, b.nonzeros))
    var marker = [Int](repeating: -1, count: n)
    var accumulator = [Double](repeating: 0, count: n)
    var touched = [Int32](repeating: 0, count: n)
    rowPointers.withUnsafeBufferPointer { arp in
      columnIndices.withUnsafeBufferPointer { acp in
        values.withUnsafeBufferPointer { avp in
          b.rowPointers.withUnsafeBufferPointer { brp in
            b.columnIndices.withUnsafeBufferPointer { bcp in
              b.values.withUnsafeBufferPointer { bvp in
                marker.withUnsafeMutableBufferPointer { mark in
                  accumulator.withUnsafeMutableBufferPointer { acc in
                    touched.withUnsafeMutableBufferPointer { list in
                      for i in 0..<m {
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
                        var row = UnsafeMutableBufferPointer(rebasing: list[0..<count])
                        row.sort()
                        for j in row {
                          outColumns.append(j)
                          outValues.append(acc[Int(j)])
                        }
                        outPointers[i + 1] = outColumns.count
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
    return SparseMatrix(
      uncheckedRows: m, columns: n, rowPointers: outPointers, columnIndices: outColumns,
      values: outValues)
  }
}
