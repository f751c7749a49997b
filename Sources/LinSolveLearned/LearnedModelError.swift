/// Why a learned model cannot be used: a model file that is not one, from another version, or
/// trained on another sparsity pattern.
public enum LearnedModelError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file is not a learned-preconditioner model (not JSON, or fields missing or mistyped).
  case corrupt(String)
  /// The file's format version is not the one this build reads.
  case unsupportedVersion(found: Int, supported: Int)
  /// The network in the file does not have this build's features or shape.
  case shapeMismatch(String)
  /// The model was trained on matrices of another order or sparsity pattern.
  case patternMismatch(expected: PatternSignature, found: PatternSignature)
  /// A model used before it was given a pattern, or training without systems.
  case notTrained(String)

  public var description: String {
    switch self {
    case let .corrupt(reason): "not a learned-preconditioner model: \(reason)"
    case let .unsupportedVersion(found, supported):
      "learned-preconditioner model version \(found) is not supported (this build reads version \(supported))"
    case let .shapeMismatch(reason): "learned-preconditioner model does not match this build: \(reason)"
    case let .patternMismatch(expected, found):
      expected.rows != found.rows
        ? "learned model was trained on matrices of order \(expected.rows), not \(found.rows)"
        : "learned model was trained on another sparsity pattern (\(expected); this matrix: \(found))"
    case let .notTrained(reason): "learned model: \(reason)"
    }
  }
}
