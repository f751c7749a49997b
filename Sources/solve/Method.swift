import ArgumentParser
import LinSolve

/// Solution methods selectable with `--method`.
enum Method: String, ExpressibleByArgument, CaseIterable, Codable {
  case auto, cg, pcg, sor, ssor, gmres, minres, bicgstab, cholesky, lu, amg
  case lsqr, lsmr, lapack, kaczmarz
  case sketchLSQR = "sketch-lsqr"
  case iterativeSketch = "iterative-sketch"
  case sketchProject = "sketch-project"

  static var allValueStrings: [String] { allCases.map(\.rawValue) }

  var isDirect: Bool { self == .cholesky || self == .lu }
  /// Least-squares methods: they accept rectangular (tall) matrices.
  var isLeastSquares: Bool { [.lsqr, .lsmr, .lapack, .sketchLSQR, .iterativeSketch].contains(self) }
  /// Row-action methods (Kaczmarz, sketch-and-project): square or tall consistent systems.
  var isRowAction: Bool { self == .kaczmarz || self == .sketchProject }
  /// Methods that take `--preconditioner`.
  var acceptsPreconditioner: Bool { [.cg, .pcg, .gmres, .minres, .bicgstab].contains(self) }
}

extension Method {
  /// The CLI's name for a library method.
  init(_ method: SolverMethod) { self.init(rawValue: method.rawValue)! }

  /// The library's method (`auto` is resolved before this is asked).
  var solverMethod: SolverMethod {
    guard let method = SolverMethod(rawValue: rawValue) else { preconditionFailure("auto is resolved before solving") }
    return method
  }
}

/// `--preconditioner`: the library's kinds.
extension PreconditionerKind: ExpressibleByArgument {}

/// `--amg-smoother`.
extension MultigridSmoother: ExpressibleByArgument {}
extension MultigridCycle: ExpressibleByArgument {}
