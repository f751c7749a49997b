import LinSolveCore

/// The finite set of candidate values ("arms") a tuner chooses from.
///
/// The default, ``defaultOmega``, is the grid of *Learning to Relax* (Khodak, Chow, Balcan,
/// Talwalkar, ICLR 2024): 20 values of SOR's ω evenly spaced from 1.0 to 1.95 (step 0.05),
/// so the fixed settings 1.0, 1.2, …, 1.8 are grid points.
///
/// A grid knows nothing about what its values mean; the solver that receives a value checks
/// its range (for ω, `SOR.validate(omega:)`).
///
/// ```swift
/// let grid = try ParameterGrid(parsing: "1.0:1.95:20")   // == .defaultOmega
/// let list = try ParameterGrid(parsing: "1.0,1.5,1.8")
/// ```
public struct ParameterGrid: Sendable, Equatable, Hashable, RandomAccessCollection, CustomStringConvertible {
  /// The candidate values, in the order given (arm `i` is `values[i]`).
  public let values: [Double]

  /// A grid of the given values.
  ///
  /// - Throws: ``TuningError/invalidGrid(_:)`` if `values` is empty, holds NaN or ±Inf, or
  ///   has more than ``TuningLimits/maximumArms`` values.
  public init(_ values: [Double]) throws {
    guard !values.isEmpty else { throw TuningError.invalidGrid("a grid needs at least one value") }
    guard values.count <= TuningLimits.maximumArms else {
      throw TuningError.invalidGrid("\(values.count) values are more than the limit of \(TuningLimits.maximumArms)")
    }
    if let bad = values.first(where: { !$0.isFinite }) {
      throw TuningError.invalidGrid("\(bad) is not a finite value")
    }
    self.values = values
  }

  /// `count` evenly spaced values from `start` to `stop`, both included (MATLAB/NumPy
  /// `linspace`); the last value is exactly `stop`. A count of 1 gives `[start]`.
  ///
  /// - Throws: ``TuningError/invalidGrid(_:)`` unless `1 ≤ count ≤ TuningLimits.maximumArms`
  ///   and both ends are finite (checked before anything is allocated).
  public init(linspace start: Double, _ stop: Double, count: Int) throws {
    guard count >= 1 else { throw TuningError.invalidGrid("count \(count) is not at least 1") }
    guard count <= TuningLimits.maximumArms else {
      throw TuningError.invalidGrid("count \(count) is more than the limit of \(TuningLimits.maximumArms) values")
    }
    guard start.isFinite, stop.isFinite else {
      throw TuningError.invalidGrid("the ends \(start) and \(stop) must be finite")
    }
    if count == 1 {
      try self.init([start])
      return
    }
    let step = (stop - start) / Double(count - 1)
    var values = (0..<count).map { start + Double($0) * step }
    values[count - 1] = stop
    try self.init(values)
  }

  /// Parses `start:stop:count` (e.g. `1.0:1.95:20`, the form of `--grid`) or a
  /// comma-separated list of values (`1.0,1.5,1.8`). Spaces around the parts are ignored.
  ///
  /// - Throws: ``TuningError/invalidGrid(_:)`` naming the part that is not a number, a
  ///   count that is not a positive integer, or any of the checks of the other initialisers.
  public init(parsing text: String) throws {
    func number(_ part: Substring) throws -> Double {
      let trimmed = part.trimmedOfBlanks()
      guard let value = Double(trimmed) else {
        throw TuningError.invalidGrid("'\(trimmed)' in '\(text)' is not a number")
      }
      return value
    }
    if text.contains(":") {
      let parts = text.split(separator: ":", omittingEmptySubsequences: false)
      guard parts.count == 3 else {
        throw TuningError.invalidGrid("'\(text)' is not start:stop:count (e.g. 1.0:1.95:20)")
      }
      let countText = parts[2].trimmedOfBlanks()
      guard let count = Int(countText) else {
        throw TuningError.invalidGrid("the count '\(countText)' in '\(text)' is not an integer")
      }
      try self.init(linspace: try number(parts[0]), try number(parts[1]), count: count)
    } else {
      let parts = text.split(separator: ",", omittingEmptySubsequences: false)
      try self.init(try parts.map(number))
    }
  }

  /// ω ∈ linspace(1.0, 1.95, 20): the arms of *Learning to Relax* (ICLR 2024 code).
  public static let defaultOmega = try! ParameterGrid(linspace: 1.0, 1.95, count: 20)

  /// The index of the value nearest to `value` (the first one on a tie).
  public func nearestIndex(to value: Double) -> Int {
    var best = 0
    for i in values.indices where abs(values[i] - value) < abs(values[best] - value) { best = i }
    return best
  }

  /// The index of a value equal to `value`, if there is one.
  public func index(of value: Double) -> Int? { values.firstIndex(of: value) }

  public var startIndex: Int { 0 }
  public var endIndex: Int { values.count }
  public subscript(position: Int) -> Double { values[position] }

  /// `start:stop:count` when the values are evenly spaced (to 1e-12 of the range), else a
  /// comma-separated list; either form is accepted by ``init(parsing:)``.
  public var description: String {
    if values.count >= 2, let first = values.first, let last = values.last, first != last {
      let step = (last - first) / Double(values.count - 1)
      let even = values.indices.allSatisfy {
        abs(values[$0] - (first + Double($0) * step)) <= 1e-12 * abs(last - first)
      }
      if even { return "\(first):\(last):\(values.count)" }
    }
    return values.map { "\($0)" }.joined(separator: ",")
  }
}

extension ParameterGrid: Codable {
  /// Decodes a list of values and checks it like ``init(_:)``.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let values = try container.decode([Double].self)
    do {
      try self.init(values)
    } catch {
      throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(error)")
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(values)
  }
}

extension Substring {
  /// The text without leading and trailing spaces and tabs.
  fileprivate func trimmedOfBlanks() -> String {
    var slice = self[...]
    while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
    while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
    return String(slice)
  }
}
