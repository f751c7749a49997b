import Foundation
import LinSolveCore

/// A ``LearnedFactorModel`` as versioned JSON (`solve sequence --model FILE`):
///
/// ```json
/// {"format": "linsolve-learned-preconditioner", "version": 1, "hidden": 8,
///  "nodeFeatures": 4, "edgeFeatures": 2,
///  "pattern": {"rows": 4096, "nonzeros": 20224, "hash": "…"},
///  "parameters": [...], "training": {"systems": 8, "steps": 100, …}}
/// ```
///
/// Reading checks the format name, the version, the feature counts and the parameter count;
/// the pattern is checked when the model meets a matrix
/// (``LearnedModelError/patternMismatch(expected:found:)``).
public struct LearnedModelFile: Codable, Sendable, Equatable {
  /// The `format` of every model file.
  public static let formatName = "linsolve-learned-preconditioner"
  /// The version this build writes and reads.
  public static let currentVersion = 1

  public var format: String
  public var version: Int
  public var hidden: Int
  public var nodeFeatures: Int
  public var edgeFeatures: Int
  public var pattern: PatternSignature
  public var parameters: [Double]
  /// How the model was trained, when it was (informative; not checked).
  public var training: LearnedTrainingReport?

  /// The file of a trained model.
  ///
  /// - Throws: ``LearnedModelError/notTrained(_:)`` for a model without a pattern.
  public init(model: LearnedFactorModel, training: LearnedTrainingReport? = nil) throws {
    guard let pattern = model.pattern else { throw LearnedModelError.notTrained("an untrained model has no pattern to save") }
    format = Self.formatName
    version = Self.currentVersion
    hidden = model.hidden
    nodeFeatures = LearnedFactorModel.nodeFeatureCount
    edgeFeatures = LearnedFactorModel.edgeFeatureCount
    self.pattern = pattern
    parameters = model.parameters
    self.training = training
  }

  /// The model, checked against this build.
  ///
  /// - Throws: ``LearnedModelError``: another format, version, features or parameter count.
  public func model() throws -> LearnedFactorModel {
    guard format == Self.formatName else { throw LearnedModelError.corrupt("format is '\(format)', not '\(Self.formatName)'") }
    guard version == Self.currentVersion else {
      throw LearnedModelError.unsupportedVersion(found: version, supported: Self.currentVersion)
    }
    guard nodeFeatures == LearnedFactorModel.nodeFeatureCount && edgeFeatures == LearnedFactorModel.edgeFeatureCount else {
      throw LearnedModelError.shapeMismatch(
        "\(nodeFeatures) node and \(edgeFeatures) edge features, this build uses \(LearnedFactorModel.nodeFeatureCount) and \(LearnedFactorModel.edgeFeatureCount)")
    }
    guard pattern.rows >= 0 && pattern.nonzeros >= 0 else { throw LearnedModelError.corrupt("negative pattern sizes") }
    return try LearnedFactorModel(hidden: hidden, parameters: parameters, pattern: pattern)
  }

  /// The JSON text (keys sorted, so a model file is reproducible byte for byte).
  public func encoded() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return try encoder.encode(self)
  }

  /// Decodes and checks a model file's bytes.
  ///
  /// - Throws: ``LearnedModelError/corrupt(_:)`` for bytes that are not a model file (the
  ///   version is checked first, so a file from another version says so), and the errors of
  ///   ``model()``.
  public static func decode(_ data: Data) throws -> (file: LearnedModelFile, model: LearnedFactorModel) {
    struct Header: Decodable {
      var format: String?
      var version: Int?
    }
    let decoder = JSONDecoder()
    let header: Header
    do { header = try decoder.decode(Header.self, from: data) } catch { throw LearnedModelError.corrupt("not JSON") }
    guard header.format == formatName else {
      throw LearnedModelError.corrupt(header.format.map { "format is '\($0)', not '\(formatName)'" } ?? "no \"format\": \"\(formatName)\"")
    }
    if let version = header.version, version != currentVersion {
      throw LearnedModelError.unsupportedVersion(found: version, supported: currentVersion)
    }
    let file: LearnedModelFile
    do { file = try decoder.decode(LearnedModelFile.self, from: data) } catch let error as DecodingError {
      throw LearnedModelError.corrupt(Self.describe(error))
    }
    return (file, try file.model())
  }

  /// Reads and checks the model file at `path`.
  ///
  /// - Throws: ``LearnedModelError`` (see ``decode(_:)``), or the file system's error.
  public static func read(path: String) throws -> (file: LearnedModelFile, model: LearnedFactorModel) {
    try decode(try Data(contentsOf: URL(fileURLWithPath: path)))
  }

  private static func describe(_ error: DecodingError) -> String {
    switch error {
    case let .keyNotFound(key, _): "missing \"\(key.stringValue)\""
    case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
      "bad value at \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\""
    @unknown default: "unreadable"
    }
  }
}
