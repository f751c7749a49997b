import LinSolveCore

/// A Krylov solver that carries a ``RecycleSpace`` from one solve to the next: call
/// ``solve(_:_:x0:operatorChanged:monitor:)`` once per system of a sequence and the space
/// learnt on earlier systems deflates (or augments) the later ones; ``reset()`` forgets it.
///
/// ```swift
/// let solver = DeflatedCG(recycleDimension: 10)
/// for system in sequence {
///   let result = try solver.solve(system.matrix, system.rhs)   // the space carries over
///   print(result.matvecs, solver.lastStatistics.rebuildMatvecs)
/// }
/// ```
///
/// ``SolveResult/matvecs`` counts every product with `A`, including the k products spent
/// recomputing the space's image when the matrix changed (also reported apart in
/// ``lastStatistics``), so results compare directly with a solver that recycles nothing.
/// Conformers are classes: the space is state, and copies would silently fork it.
public protocol RecyclingSolver: AnyObject, IterativeSolver {
  /// The space carried between solves. Set it to inject a basis (e.g. known eigenvectors);
  /// read it to extract one (PETSc's `KSPHPDDMSetDeflationMat`/`GetDeflationMat`).
  var space: RecycleSpace { get set }
  /// The recycling costs of the last solve.
  var lastStatistics: RecycleStatistics { get }
  /// The recycling costs summed since creation or the last ``reset()``.
  var totalStatistics: RecycleStatistics { get }
  /// Whether each solve refreshes the space from its own Krylov information (default `true`);
  /// `false` keeps the space fixed (it is still rebuilt when the operator changes).
  var updatesSpace: Bool { get set }

  /// Solves `A x = b` from `x0` (zero when `nil`), deflating with the carried space and
  /// refreshing it afterwards.
  ///
  /// - Parameter operatorChanged: whether `A` (or the preconditioner) differs from the one the
  ///   space's image was computed for; `nil` to let the space decide (it compares a
  ///   ``SparseMatrix`` with the one it kept, and treats any other operator as changed). See
  ///   ``RecycleSpace``.
  func solve(
    _ a: some LinearOperator, _ b: [Double], x0: [Double]?, operatorChanged: Bool?, monitor: SolveMonitor?
  ) throws -> SolveResult

  /// Forgets the space and the totals; the next solve starts from nothing.
  func reset()
}

extension RecyclingSolver {
  /// Solves `A x = b` from `x0`, letting the space decide whether `A` changed.
  public func solve(
    _ a: some LinearOperator, _ b: [Double], x0: [Double]? = nil, monitor: SolveMonitor? = nil
  ) throws -> SolveResult {
    try solve(a, b, x0: x0, operatorChanged: nil, monitor: monitor)
  }

  /// Solves one system of a sequence, from its ``LinearSystem/initialGuess``.
  public func solve(_ system: LinearSystem, monitor: SolveMonitor? = nil) throws -> SolveResult {
    try solve(system.matrix, system.rhs, x0: system.initialGuess, operatorChanged: nil, monitor: monitor)
  }

  /// Solves the systems of `sequence` one after another in `order` (default: as given),
  /// carrying the space; results are in the order solved.
  ///
  /// - Parameter order: a permutation of the sequence's indices, e.g. from ``SystemOrdering``.
  public func solve(_ sequence: SystemSequence, order: [Int]? = nil) throws -> [SolveResult] {
    let order = order ?? Array(sequence.indices)
    guard order.sorted() == Array(sequence.indices) else {
      throw LinSolveError.invalidParameter(name: "order", reason: "not a permutation of the sequence's indices")
    }
    return try order.map { try solve(sequence[$0]) }
  }
}

extension RecyclingSolver {
  /// Runs one solve's `body` on the space moved out of `self` (so that its storage can be used
  /// through pointers) with fresh statistics (one solve); puts the space back and hands the
  /// statistics to `record` however `body` ends, the dimension set to the space's.
  func withCheckedOutSpace<R>(
    record: (RecycleStatistics) -> Void,
    _ body: (inout RecycleSpace, inout RecycleStatistics) throws -> R
  ) rethrows -> R {
    var stats = RecycleStatistics()
    stats.solves = 1
    var space = self.space
    self.space = RecycleSpace(normalization: space.normalization)
    defer {
      stats.dimension = space.dimension
      self.space = space
      record(stats)
    }
    return try body(&space, &stats)
  }
}
