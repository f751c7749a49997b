/// One system `A x = b` of a sequence, with the scalar that describes it (a diagonal shift, a
/// time-step coefficient, …) when there is one, and an optional warm start.
public struct LinearSystem: Sendable {
  /// The matrix `A`.
  public var matrix: SparseMatrix
  /// The right-hand side `b`.
  public var rhs: [Double]
  /// A scalar feature of the system that a contextual tuner may use (e.g. `c` in `A + cI`).
  public var context: Double?
  /// A starting guess (e.g. the previous time step's solution); zero when `nil`.
  public var initialGuess: [Double]?
  /// A label for reports (a file name, "t = 12", …).
  public var name: String?

  public init(matrix: SparseMatrix, rhs: [Double], context: Double? = nil, initialGuess: [Double]? = nil, name: String? = nil) {
    self.matrix = matrix
    self.rhs = rhs
    self.context = context
    self.initialGuess = initialGuess
    self.name = name
  }
}

/// An ordered collection of related systems: the unit that the ω tuners, the recycling
/// solvers and the experiments share, so one sequence can be run through every strategy and
/// compared row by row.
///
/// Sequences whose systems depend on earlier solutions (a time stepper) or that would not fit in
/// memory are produced one system at a time by their generators instead; this type is for
/// sequences that are known up front (files given to `solve sequence`, sampled families).
public struct SystemSequence: Sendable, RandomAccessCollection {
  public var systems: [LinearSystem]

  public init(_ systems: [LinearSystem]) { self.systems = systems }

  public var startIndex: Int { systems.startIndex }
  public var endIndex: Int { systems.endIndex }
  public subscript(position: Int) -> LinearSystem { systems[position] }

  /// The same systems in the order given by `permutation` (e.g. from a similarity ordering).
  public func reordered(by permutation: [Int]) -> SystemSequence {
    precondition(permutation.sorted() == Array(systems.indices), "not a permutation of the sequence")
    return SystemSequence(permutation.map { systems[$0] })
  }
}
