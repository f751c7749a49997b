import LinSolveCore
import LinSolveMultigrid

/// One way of solving every system of a sequence: a method, its preconditioner and parameters,
/// and the reuse policy — an arm of a ``PortfolioSequenceSolver``, or the one strategy of a
/// ``FixedStrategySequenceSolver``.
///
/// What is reused from system to system is what ``PreparedSolver`` keeps: CHOLMOD's and
/// UMFPACK's symbolic analyses and IC(0)'s and ILU(0)'s patterns while the sparsity pattern is
/// unchanged, an AMG hierarchy refreshed (or rebuilt when the iteration count grows; with
/// ``rebuildsMultigrid`` rebuilt for every system). ``warmStart`` adds the previous system's
/// solution as the initial guess of an iterative method.
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
  /// The AMG's strength threshold θ (``MultigridOptions/theta``; `nil`: the method's default).
  public var theta: Double?
  /// Reuse policy of an AMG: rebuild the hierarchy for every system instead of refreshing it.
  public var rebuildsMultigrid: Bool
  /// Start each iterative solve from the previous system's solution.
  public var warmStart: Bool

  public init(
    method: SolverMethod, preconditioner: PreconditionerKind = .none, omega: Double = 1, restart: Int = 40,
    theta: Double? = nil, rebuildsMultigrid: Bool = false, warmStart: Bool = false
  ) {
    self.method = method
    self.preconditioner = method.acceptsPreconditioner ? preconditioner : .none
    self.omega = omega
    self.restart = restart
    self.theta = theta
    self.rebuildsMultigrid = rebuildsMultigrid
    self.warmStart = warmStart && !method.isDirect
  }

  /// Whether ω is a parameter of this strategy.
  var usesOmega: Bool { method == .sor || method == .ssor || preconditioner == .ssor }
  /// Whether it runs an AMG (`--method amg` or a multigrid preconditioner).
  public var usesMultigrid: Bool { method == .amg || preconditioner.isMultigrid }

  /// `cholesky`, `pcg+ic0`, `ssor(1.5)`, `pcg+ssor(1.2)+warm`, `gmres(30)+ilu0`,
  /// `pcg+amg-sa(0.08)+rebuild+warm`, `amg(0.25)`.
  public var name: String {
    var text = method.rawValue
    if method == .gmres && restart != 40 { text += "(\(restart))" }
    if method == .sor || method == .ssor { text += "(\(omega))" }
    if method == .amg, let theta { text += "(\(theta))" }
    if preconditioner != .none {
      text += "+" + preconditioner.rawValue
      if preconditioner == .ssor { text += "(\(omega))" }
      if preconditioner.isMultigrid, let theta { text += "(\(theta))" }
    }
    if rebuildsMultigrid { text += "+rebuild" }
    return warmStart ? text + "+warm" : text
  }

  public var description: String { name }

  /// Reads a ``name``: `method[(p)][+preconditioner[(q)]][+rebuild][+warm]`, where `p` is ω for
  /// `sor`/`ssor`, the restart length for `gmres` and θ for `amg`, and `q` is ω for `ssor` and
  /// θ for a multigrid (`cholesky`, `pcg+amg-sa+warm`, `ssor(1.6)`, `gmres(30)+ilu0`,
  /// `pcg+amg-sa(0.08)+rebuild`).
  ///
  /// - Throws: ``LinSolveError/invalidParameter(name:reason:)`` for an unknown method,
  ///   preconditioner or parameter, and for a strategy that fails ``validate()``.
  public init(name: String) throws {
    func bad(_ reason: String) -> LinSolveError { .invalidParameter(name: "strategy", reason: reason) }
    func split(_ part: Substring) throws -> (String, Double?) {
      guard let open = part.firstIndex(of: "(") else { return (String(part), nil) }
      guard part.last == ")", let value = Double(part[part.index(after: open)..<part.index(before: part.endIndex)]) else {
        throw bad("'\(part)' in '\(name)' is not name(number)")
      }
      return (String(part[..<open]), value)
    }
    var parts = name.split(separator: "+", omittingEmptySubsequences: false)
    let warm = parts.count > 1 && parts.last == "warm"
    if warm { parts.removeLast() }
    let rebuild = parts.count > 1 && parts.last == "rebuild"
    if rebuild { parts.removeLast() }
    guard (1...2).contains(parts.count) else { throw bad("'\(name)' is not method[+preconditioner][+rebuild][+warm]") }
    let (methodName, parameter) = try split(parts[0])
    guard let method = SolverMethod(rawValue: methodName) else { throw bad("'\(methodName)' in '\(name)' is not a method") }
    var omega = 1.0, restart = 40
    var theta: Double?
    var preconditioner = PreconditionerKind.none
    if let parameter {
      switch method {
      case .sor, .ssor: omega = parameter
      case .gmres where parameter == parameter.rounded() && abs(parameter) < 1e9: restart = Int(parameter)
      case .amg: theta = parameter
      default: throw bad("'\(parts[0])' in '\(name)' takes no parameter")
      }
    }
    if parts.count == 2 {
      let (kindName, value) = try split(parts[1])
      guard let kind = PreconditionerKind(rawValue: kindName), method.acceptsPreconditioner else {
        throw bad("'\(parts[1])' in '\(name)' is not a preconditioner of \(methodName)")
      }
      if let value {
        if kind == .ssor {
          omega = value
        } else if kind.isMultigrid {
          theta = value
        } else {
          throw bad("'\(parts[1])' in '\(name)' takes no parameter")
        }
      }
      preconditioner = kind
    }
    self.init(
      method: method, preconditioner: preconditioner, omega: omega, restart: restart, theta: theta,
      rebuildsMultigrid: rebuild, warmStart: warm)
    try validate()
  }

  /// The configuration ``PreparedSolver`` runs, with `stopping` and, for the fallbacks of a
  /// portfolio, `fallBack` (Cholesky → LU, IC(0) → Jacobi).
  public func configuration(stopping: StoppingCriterion, fallBack: Bool = false) -> SolverConfiguration {
    SolverConfiguration(
      method: method, preconditioner: preconditioner, stopping: stopping, omega: omega, restart: restart,
      fallBack: fallBack, multigrid: MultigridOptions(theta: theta))
  }

  /// Checks that the strategy solves square systems one at a time: not a least-squares or
  /// row-action method, not the Nyström preconditioner (it needs a shift), ω in (0, 2), θ in
  /// [0, 1] and the rebuild policy only with an AMG.
  ///
  /// - Throws: ``LinSolveError/invalidParameter(name:reason:)``.
  public func validate() throws {
    guard method.needsSquareMatrix else {
      throw LinSolveError.invalidParameter(name: "method", reason: "\(method.rawValue) is not a square-system method for a sequence")
    }
    guard preconditioner != .nystrom else {
      throw LinSolveError.invalidParameter(name: "preconditioner", reason: "nystrom needs a shift and is not offered for sequences")
    }
    guard preconditioner != .learned else {
      throw LinSolveError.invalidParameter(name: "preconditioner", reason: "learned is not a strategy: it is trained with --train K")
    }
    if usesOmega {
      guard omega > 0 && omega < 2 else { throw LinSolveError.invalidParameter(name: "omega", reason: "\(omega) is not in (0, 2)") }
    }
    guard restart >= 1 else { throw LinSolveError.invalidParameter(name: "restart", reason: "\(restart) is not positive") }
    guard usesMultigrid || (theta == nil && !rebuildsMultigrid) else {
      throw LinSolveError.invalidParameter(name: "strategy", reason: "θ and +rebuild go with an AMG (\(name))")
    }
    try MultigridOptions(theta: theta).validate()
  }
}
