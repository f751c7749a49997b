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
  /// max |a_ij| over all ranks.
  public let largestMagnitude: Double
  /// The rows (and the entries of vectors) this rank owns.
  public let ownedRows: Range<Int>
  /// The most entries in a row, over all ranks.
  public let longestRow: Int

  /// Assembles the rows of `a` this rank owns under ``RowPartition`` (collective).
  ///
  /// - Parameter a: a square matrix, n below `PetscInt.max`, holding at least the rows this
  ///   rank owns (the whole matrix, or the block `MatrixMarket.readMatrix(path:rows:)` read);
  ///   only those rows are used.
  public init(rowsOf a: SparseMatrix, session: PETScSession) throws(PETScError) {
    precondition(a.rows == a.columns, "DistributedMatrix needs a square matrix")
    guard a.rows < Int(PetscInt.max) && a.nonzeros < Int(PetscInt.max) else {
      throw PETScError(call: "MatCreate", code: 0, reason: "n = \(a.rows) is too large for this PETSc's 32-bit indices")
    }
    let owned = RowPartition(rows: a.rows, ranks: session.ranks).range(of: session.rank)
    order = a.rows
    ownedRows = owned
    var longest = 0, entries = 0, largest = 0.0
    var diagonal = [PetscInt](), offDiagonal = [PetscInt]()
    diagonal.reserveCapacity(owned.count)
    offDiagonal.reserveCapacity(owned.count)
    for i in owned {
      var inside = 0
      for k in a.rowPointers[i] ..< a.rowPointers[i + 1] where owned.contains(Int(a.columnIndices[k])) { inside += 1 }
      longest = max(longest, a.rowPointers[i + 1] - a.rowPointers[i])
      entries += a.rowPointers[i + 1] - a.rowPointers[i]
      for k in a.rowPointers[i] ..< a.rowPointers[i + 1] { largest = max(largest, abs(a.values[k])) }
      diagonal.append(PetscInt(inside))
      offDiagonal.append(PetscInt(a.rowPointers[i + 1] - a.rowPointers[i] - inside))
    }
    longestRow = Int(session.maximum(Double(longest)))
    nonzeros = session.sum(entries)
    largestMagnitude = session.maximum(largest)
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

  /// A matrix with the same layout: `mat` (owned), from ``magnitudes()``.
  private init(mat: Mat, like other: DistributedMatrix) {
    self.mat = mat
    order = other.order
    nonzeros = other.nonzeros
    largestMagnitude = other.largestMagnitude
    ownedRows = other.ownedRows
    longestRow = other.longestRow
  }

  /// |A|: a copy with every entry replaced by its absolute value (collective; for the
  /// rounding bound of a residual, ``residualCertificate(x:b:)``).
  public func magnitudes() throws(PETScError) -> DistributedMatrix {
    var copy: Mat?
    try check(MatDuplicate(mat, MAT_COPY_VALUES, &copy), "MatDuplicate")
    guard let copy else { throw PETScError(call: "MatDuplicate", code: 0, reason: "no matrix returned") }
    let result = DistributedMatrix(mat: copy, like: self)
    var type: MatType?
    try check(MatGetType(copy, &type), "MatGetType")
    if let type, String(cString: type) == "mpiaij" {
      var diagonalBlock: Mat?, offDiagonalBlock: Mat?, columnMap: UnsafePointer<PetscInt>?
      try check(MatMPIAIJGetSeqAIJ(copy, &diagonalBlock, &offDiagonalBlock, &columnMap), "MatMPIAIJGetSeqAIJ")
      try Self.takeAbsoluteValues(diagonalBlock)
      try Self.takeAbsoluteValues(offDiagonalBlock)
    } else {
      try Self.takeAbsoluteValues(copy)
    }
    return result
  }

  /// |a_ij| in place in a `MATSEQAIJ` matrix.
  private static func takeAbsoluteValues(_ block: Mat?) throws(PETScError) {
    var info = MatInfo()
    try check(MatGetInfo(block, MAT_LOCAL, &info), "MatGetInfo")
    var values: UnsafeMutablePointer<PetscScalar>?
    try check(MatSeqAIJGetArray(block, &values), "MatSeqAIJGetArray")
    if let values { for k in 0 ..< Int(info.nz_used) { values[k] = abs(values[k]) } }
    try check(MatSeqAIJRestoreArray(block, &values), "MatSeqAIJRestoreArray")
  }

  deinit {
    var m: Mat? = mat
    _ = MatDestroy(&m)
  }

  /// Whether |a_ij − a_ji| ≤ `tolerance`·max|a| for all i, j (`MatIsSymmetric`; collective):
  /// `SparseMatrix.isSymmetric(tolerance:)` across ranks.
  public func isSymmetric(tolerance: Double) throws(PETScError) -> Bool {
    var symmetric = PETSC_FALSE
    try check(MatIsSymmetric(mat, tolerance * largestMagnitude, &symmetric), "MatIsSymmetric")
    return symmetric == PETSC_TRUE
  }

  /// Whether every diagonal entry is positive (collective).
  public func hasPositiveDiagonal() throws(PETScError) -> Bool {
    var v: Vec?
    try check(MatCreateVecs(mat, &v, nil), "MatCreateVecs")
    defer { _ = VecDestroy(&v) }
    try check(MatGetDiagonal(mat, v), "MatGetDiagonal")
    var smallest: PetscReal = 0
    try check(VecMin(v, nil, &smallest), "VecMin")
    return smallest > 0
  }

  /// `y = A x` (collective).
  public func multiply(_ x: DistributedVector, into y: DistributedVector) throws(PETScError) {
    try check(MatMult(mat, x.vec, y.vec), "MatMult")
  }
}
#endif
