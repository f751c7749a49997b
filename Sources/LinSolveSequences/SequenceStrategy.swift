import LinSolveCore

/// One way of solving every system of a sequence: a method, its preconditioner and parameters,
/// and the reuse policy — an arm of a ``PortfolioSequenceSolver``, or the one strategy of a
/// ``FixedStrategySequenceSolver``.
///
/// What is reused from system to system is what ``PreparedSolver`` keeps: CHOLMOD's and
/// UMFPACK's symbolic analyses while the sparsity pattern is unchanged, an AMG hierarchy
/// refreshed (or rebuilt when the iteration count grows). ``warmStart`` adds the previous
/// system's solution as the initial guess of an iterative method.
///
/// ```swift
/// let strategy = SequenceStrategy(method: .pcg, preconditioner: .ic0, warmStart: true)
/// print(strategy.name)   // "pcg+ic0+warm"
/// ```
public struct SequenceStrategy: Sendable, Equatable, Hashable, CustomStringConvertible {
  public var method: SolverMethod
  /// Ignored (taken as `none`) by methods that take no preconditioner.
  public var preconditioner: PreconditionerKind
  /// ω of SOR, SSOR and the SSOR preconditioner.
  public var omega: Double
  /// GMRES's restart length.
  public var restart: Int
  /// Start each iterative solve from the previous system's solution.
  public var warmStart: Bool

  public init(
    method: SolverMethod, preconditioner: PreconditionerKind = .none, omega: Double = 1, restart: Int = 40,
    warmStart: Bool = false
  ) {
    self.method = method
    self.preconditioner = method.acceptsPreconditioner ? preconditioner : .none
    self.omega = omega
    self.restart = restart
    self.warmStart = warmStart && !method.isDirect
  }

  /// Whether ω is a parameter of this strategy.
  var usesOmega: Bool { method == .sor || method == .ssor || preconditioner == .ssor }

  /// `cholesky`, `pcg+ic0`, `ssor(1.5)`, `pcg+ssor(1.2)+warm`, `gmres(30)+ilu0`.
  public var name: String {
    var text = method.rawValue
    if method == .gmres && restart != 40 { text += "(\(restart))" }
    if method == .sor || method == .ssor { text += "(\(Self.format(omega)))" }
    if preconditioner != .none {
      text += "+" + preconditioner.rawValue + (preconditioner == .ssor ? "(\(Self.format(omega)))" : "")
    }
    return warmStart ? text + "+warm" : text
  }

  public var description: String { name }

  /// Reads a ``name``: `method[(p)][+preconditioner[(ω)]][+warm]`, where `p` is ω for
  /// `sor`/`ssor` and the restart length for `gmres` (`cholesky`, `pcg+amg-sa+warm`,
  /// `ssor(1.6)`, `gmres(30)+ilu0`).
  ///
  /// - Throws: ``LinSolveError/invalidParameter(name:reason:)`` for an unknown method,
  ///   preconditioner or parameter, and for a strategy that fails ``validate()``.
  public init(name: String) throws {
    func split(_ part: Substring) throws -> (String, Double?) {
      guard let open = part.firstIndex(of: "(") else { return (String(part), nil) }
      guard part.last == ")", let value = Double(part[part.index(after: open)..<part.index(before: part.endIndex)]) else {
        throw LinSolveError.invalidParameter(name: "strategy", reason: "'\(part)' in '\(name)' is not name(number)")
      }
      return (String(part[..<open]), value)
    }
    var parts = name.split(separator: "+", omittingEmptySubsequences: false)
    let warm = parts.count > 1 && parts.last == "warm"
    if warm { parts.removeLast() }
    guard (1...2).contains(parts.count) else {
      throw LinSolveError.invalidParameter(name: "strategy", reason: "'\(name)' is not method[+preconditioner][+warm]")
    }
    let (methodName, parameter) = try split(parts[0])
    guard let method = SolverMethod(rawValue: methodName) else {
      throw LinSolveError.invalidParameter(name: "strategy", reason: "'\(methodName)' in '\(name)' is not a method")
    }
    var omega = 1.0, restart = 40
    var preconditioner = PreconditionerKind.none
    if let parameter {
      switch method {
      case .sor, .ssor: omega = parameter
      case .gmres where parameter == parameter.rounded() && abs(parameter) < 1e9: restart = Int(parameter)
      default: throw LinSolveError.invalidParameter(name: "strategy", reason: "'\(parts[0])' in '\(name)' takes no parameter")
      }
    }
    if parts.count == 2 {
      let (kindName, value) = try split(parts[1])
      guard let kind = PreconditionerKind(rawValue: kindName), method.acceptsPreconditioner else {
        throw LinSolveError.invalidParameter(name: "strategy", reason: "'\(parts[1])' in '\(name)' is not a preconditioner of \(methodName)")
      }
      if let value {
        guard kind == .ssor else { throw LinSolveError.invalidParameter(name: "strategy", reason: "'\(parts[1])' in '\(name)' takes no parameter") }
        omega = value
      }
      preconditioner = kind
    }
    self.init(method: method, preconditioner: preconditioner, omega: omega, restart: restart, warmStart: warm)
    try validate()
  }

  /// The configuration ``PreparedSolver`` runs, with `stopping` and, for the fallbacks of a
  /// portfolio, `fallBack` (Cholesky → LU, IC(0) → Jacobi).
  public func configuration(stopping: StoppingCriterion, fallBack: Bool = false) -> SolverConfiguration {
    SolverConfiguration(
      method: method, preconditioner: preconditioner, stopping: stopping, omega: omega, restart: restart,
      fallBack: fallBack)
  }

  /// Checks that the strategy solves square systems one at a time: not a least-squares or
  /// row-action method, not the Nyström preconditioner (it needs a shift), ω in (0, 2).
  ///
  /// - Throws: ``LinSolveError/invalidParameter(name:reason:)``.
  public func validate() throws {
    guard method.needsSquareMatrix else {
      throw LinSolveError.invalidParameter(name: "method", reason: "\(method.rawValue) is not a square-system method for a sequence")
    }
    guard preconditioner != .nystrom else {
      throw LinSolveError.invalidParameter(name: "preconditioner", reason: "nystrom needs a shift and is not offered for sequences")
    }
    if usesOmega {
      guard omega > 0 && omega < 2 else { throw LinSolveError.invalidParameter(name: "omega", reason: "\(omega) is not in (0, 2)") }
    }
    guard restart >= 1 else { throw LinSolveError.invalidParameter(name: "restart", reason: "\(restart) is not positive") }
  }

  private static func format(_ x: Double) -> String { "\(x)" }
}
