import LinSolvePETSc
import Testing

@Suite("RowPartition: PETSc's PETSC_DECIDE split of rows over ranks")
struct RowPartitionTests {
  @Test("Contiguous blocks covering 0..<n in rank order; the first n mod R ranks hold one more row",
        arguments: [(0, 1), (1, 1), (10, 1), (10, 2), (10, 3), (7, 4), (3, 5), (1024, 2), (1025, 3)])
  func split(rows: Int, ranks: Int) {
    let partition = RowPartition(rows: rows, ranks: ranks)
    var next = 0
    for rank in 0 ..< ranks {
      let range = partition.range(of: rank)
      #expect(range.lowerBound == next)
      #expect(range.count == rows / ranks + (rank < rows % ranks ? 1 : 0))
      next = range.upperBound
    }
    #expect(next == rows)
  }
}
