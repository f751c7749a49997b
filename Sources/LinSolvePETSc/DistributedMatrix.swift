#if PETSc
import CMPI
import CPETSc
import LinSolveCore

/// A square sparse matrix distributed by rows over the ranks of a ``PETScSession``: a PETSc
/// `MATAIJ` (`MATMPIAIJ` on several ranks, `MATSEQAIJ` on one), preallocated exactly.
///
/// Each rank passes the rows it owns (``RowPartition``) and nothing else is kept: the diagonal
/// block (columns this rank owns) and the off-diagonal block are counted per row first, so
/// assembly allocates once and moves no entry between ranks.
public final class DistributedMatrix {
  /// The PETSc matrix (owned: destroyed with this object).
  public let mat: Mat
  /// The global order n.
  public let order: Int
  /// The global number of stored entries.
  public let nonzeros: Int
  /// The rows (and the entries of vectors) this rank owns.
  public let ownedRows: Range<Int>

  /// Assembles the rows of `a` this rank owns under ``RowPartition`` (collective).
  ///
  /// - Parameter a: the whole matrix (every rank may have read it), square, n below
  ///   `PetscInt.max`. Only the owned rows are read.
  public init(rowsOf a: SparseMatrix, session: PETScSession) throws(PETScError) {
    precondition(a.rows == a.columns, "DistributedMatrix needs a square matrix")
    guard a.rows < Int(PetscInt.max) && a.nonzeros < Int(PetscInt.max) else {
      throw PETScError(call: "MatCreate", code: 0, reason: "n = \(a.rows) is too large for this PETSc's 32-bit indices")
    }
    let owned = RowPartition(rows: a.rows, ranks: session.ranks).range(of: session.rank)
    order = a.rows
    nonzeros = a.nonzeros
    ownedRows = owned
    var diagonal = [PetscInt](), offDiagonal = [PetscInt]()
    diagonal.reserveCapacity(owned.count)
    offDiagonal.reserveCapacity(owned.count)
    for i in owned {
      var inside = 0
      for k in a.rowPointers[i] ..< a.rowPointers[i + 1] where owned.contains(Int(a.columnIndices[k])) { inside += 1 }
      diagonal.append(PetscInt(inside))
      offDiagonal.append(PetscInt(a.rowPointers[i + 1] - a.rowPointers[i] - inside))
    }
    var m: Mat?
    try check(MatCreate(session.communicator, &m), "MatCreate")
    guard let m else { throw PETScError(call: "MatCreate", code: 0, reason: "no matrix returned") }
    mat = m
    let local = PetscInt(owned.count), global = PetscInt(a.rows)
    try check(MatSetSizes(m, local, local, global, global), "MatSetSizes")
    try check(MatSetType(m, "aij"), "MatSetType")
    try check(MatSeqAIJSetPreallocation(m, 0, diagonal), "MatSeqAIJSetPreallocation")
    try check(MatMPIAIJSetPreallocation(m, 0, diagonal, 0, offDiagonal), "MatMPIAIJSetPreallocation")
    var columns = [PetscInt]()
    for i in owned {
      let entries = a.rowPointers[i] ..< a.rowPointers[i + 1]
      columns.removeAll(keepingCapacity: true)
      for k in entries { columns.append(PetscInt(a.columnIndices[k])) }
      var row = PetscInt(i)
      try a.values[entries].withUnsafeBufferPointer { (values) throws(PETScError) in
        try check(
          MatSetValues(m, 1, &row, PetscInt(entries.count), columns, values.baseAddress, INSERT_VALUES), "MatSetValues")
      }
    }
    try check(MatAssemblyBegin(m, MAT_FINAL_ASSEMBLY), "MatAssemblyBegin")
    try check(MatAssemblyEnd(m, MAT_FINAL_ASSEMBLY), "MatAssemblyEnd")
  }

  deinit {
    var m: Mat? = mat
    _ = MatDestroy(&m)
  }

  /// `y = A x` (collective).
  public func multiply(_ x: DistributedVector, into y: DistributedVector) throws(PETScError) {
    try check(MatMult(mat, x.vec, y.vec), "MatMult")
  }
}
#endif
