/// A linear map `y = A·x` that solvers can apply without knowing how it is stored.
///
/// ``SparseMatrix``, preconditioners, direct factorizations and user closures
/// (``ClosureOperator``) all conform. Implementations must not allocate in
/// ``apply(_:into:)``: solvers call it once or twice per iteration.
///
/// The shape follows SciPy's `LinearOperator` and Ginkgo's `LinOp`.
public protocol LinearOperator {
  /// Number of rows of the operator (length of `y`).
  var rows: Int { get }
  /// Number of columns of the operator (length of `x`).
  var columns: Int { get }
  /// Computes `y = A·x`. `x` has ``columns`` entries, `y` has ``rows``; they must not alias.
  func apply(_ x: UnsafeBufferPointer<Double>, into y: UnsafeMutableBufferPointer<Double>)
}

extension LinearOperator {
  /// Computes `y = A·x` on arrays (convenience over the buffer-pointer form).
  ///
  /// `y` is resized to ``rows`` if its count differs.
  @inlinable
  public func apply(_ x: [Double], into y: inout [Double]) {
    precondition(x.count == columns, "x has \(x.count) entries, operator has \(columns) columns")
    if y.count != rows { y = [Double](repeating: 0, count: rows) }
    x.withUnsafeBufferPointer { xp in
      y.withUnsafeMutableBufferPointer { yp in apply(xp, into: yp) }
    }
  }

  /// Returns `A·x` as a new array.
  @inlinable
  public func applied(to x: [Double]) -> [Double] {
    var y = [Double](repeating: 0, count: rows)
    apply(x, into: &y)
    return y
  }

  /// Whether the operator is square.
  public var isSquare: Bool { rows == columns }
}

/// A ``LinearOperator`` defined by a closure: a matrix-free operator.
///
/// ```swift
/// let laplacian = ClosureOperator(rows: n, columns: n) { x, y in
///   for i in 0..<n { y[i] = 2 * x[i] - (i > 0 ? x[i-1] : 0) - (i < n-1 ? x[i+1] : 0) }
/// }
/// ```
///
/// The closure is `@Sendable` (it may capture only `Sendable` values, and no `var`s), so the
/// operator is `Sendable` as checked by the compiler.
public struct ClosureOperator: LinearOperator, Sendable {
  public let rows: Int
  public let columns: Int
  private let body: @Sendable (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Void

  public init(
    rows: Int, columns: Int,
    _ body: @escaping @Sendable (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Void
  ) {
    self.rows = rows
    self.columns = columns
    self.body = body
  }

  public func apply(_ x: UnsafeBufferPointer<Double>, into y: UnsafeMutableBufferPointer<Double>) {
    body(x, y)
  }
}
