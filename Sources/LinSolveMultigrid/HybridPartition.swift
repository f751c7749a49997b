import LinSolveCore

/// The row blocks of hybrid Gauss–Seidel (hypre's "hybrid" relaxation, Baker, Falgout, Kolev,
/// Yang 2011, "Multigrid smoothers for ultraparallel computing", SIAM J. Sci. Comput. 33): one
/// contiguous block of rows per thread, Gauss–Seidel inside a block, Jacobi between blocks.
///
/// Rows whose stored columns all lie in their own block need nothing; a *boundary row* also
/// couples to other blocks, and its row in CSR (columns ascending) splits into the entries
/// before the block, the in-block entries `innerStart ..< innerEnd`, and the entries after it.
/// A sweep first sums every boundary row's off-block part from the old iterate (all blocks in
/// parallel, nobody writing), then relaxes each block with those sums fixed, so the result does
/// not depend on which thread runs which block: deterministic for a given block count.
struct HybridPartition {
  /// Number of blocks (1: plain Gauss–Seidel).
  let blocks: Int
  /// Rows in block `c`: ``Parallel/chunk(_:of:count:)`` of the level's rows.
  let rows: Int
  /// Boundary rows, ascending; block `c`'s are `boundaryRows[firstBoundary[c] ..< firstBoundary[c + 1]]`.
  let boundaryRows: [Int]
  let firstBoundary: [Int]
  /// Storage range of each boundary row's in-block entries.
  let innerStart: [Int]
  let innerEnd: [Int]

  /// The partition of `a`'s rows into the blocks ``Parallel`` splits a loop of `a.rows` into now.
  init(_ a: SparseMatrix) {
    let n = a.rows
    blocks = Parallel.chunkCount(n)
    rows = n
    var boundary: [Int] = [], starts: [Int] = [], ends: [Int] = [], first = [0]
    if blocks > 1 {
      for c in 0..<blocks {
        let block = Parallel.chunk(c, of: blocks, count: n)
        for i in block {
          let rowStart = a.rowPointers[i], rowEnd = a.rowPointers[i + 1]
          guard rowStart < rowEnd else { continue }
          let lowest = Int(a.columnIndices[rowStart]), highest = Int(a.columnIndices[rowEnd - 1])
          guard lowest < block.lowerBound || highest >= block.upperBound else { continue }
          var lo = rowStart
          while lo < rowEnd && Int(a.columnIndices[lo]) < block.lowerBound { lo += 1 }
          var hi = lo
          while hi < rowEnd && Int(a.columnIndices[hi]) < block.upperBound { hi += 1 }
          boundary.append(i)
          starts.append(lo)
          ends.append(hi)
        }
        first.append(boundary.count)
      }
    }
    boundaryRows = boundary
    firstBoundary = first
    innerStart = starts
    innerEnd = ends
  }
}
