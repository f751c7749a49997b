import Foundation
import LinSolve

#if canImport(Glibc)
import Glibc
#endif

/// The `--state` file of `solve sequence --tune omega` and `--tune auto`: the learner and what
/// it was made with — a ``ParameterTuner`` (ω) or a ``PortfolioLearner`` (strategies; its arms
/// and seed are what it was made with, the method is `auto`).
///
/// The tuner records its grid, learner (strategy, context range), cost kind and seed; the file
/// adds the method whose ω is learned. A state is only ever used with the options it was made
/// with: an option given on the command line that differs is an error naming both values, an
/// option left out takes the saved value, and `--reset-state` starts a new learner instead.
/// Files written before the method was recorded (a bare `ParameterTuner`, format 1) are read,
/// with the method unchecked.
struct LearnerState: Codable {
  static let currentFormat = 2
  /// The largest state file read (a learner at ``TuningLimits`` is far smaller).
  static let maximumBytes = 256 << 20

  var formatVersion = LearnerState.currentFormat
  /// `sor`, `ssor`, `ssor-pcg` or `auto`; nil for a format-1 file.
  var method: String?
  /// The ω learner (`--tune omega`).
  var tuner: ParameterTuner?
  /// The strategy learner (`--tune auto`).
  var portfolio: PortfolioLearner?
  /// The strategy learners, one per context bin (`--tune auto --context`), and the bins.
  var portfolioBins: [PortfolioLearner]?
  var contextBins: ContextBins?

  init(method: String, tuner: ParameterTuner) {
    self.method = method
    self.tuner = tuner
  }

  init(portfolio: PortfolioLearner) {
    method = "auto"
    self.portfolio = portfolio
  }

  /// A portfolio's learners: one (no bins), or one per context bin.
  init(portfolio learners: [PortfolioLearner], bins: ContextBins?) {
    method = "auto"
    if let bins {
      portfolioBins = learners
      contextBins = bins
    } else {
      portfolio = learners[0]
    }
  }

  /// The state saved at `path`, or nil when there is no file. Throws ``CLIFailure/badInput(_:)``
  /// for a file that is not a regular file, is too large, or is not a consistent learner.
  static func read(_ path: String) throws -> LearnerState? {
    var info = stat()
    guard stat(path, &info) == 0 else {
      if errno == ENOENT { return nil }
      throw CLIFailure.badInput("\(path): cannot read the learner state: \(String(cString: strerror(errno)))")
    }
    guard UInt32(info.st_mode) & 0o170000 == 0o100000 else {
      throw CLIFailure.badInput("\(path): the learner state must be a regular file")
    }
    guard Int(info.st_size) <= maximumBytes else {
      throw CLIFailure.badInput("\(path): \(info.st_size) bytes is too large for a learner state (limit \(maximumBytes))")
    }
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw CLIFailure.badInput("\(path): cannot read the learner state: \(error.localizedDescription)")
    }
    let decoder = JSONDecoder()
    do {
      return try decoder.decode(LearnerState.self, from: data)
    } catch let current {
      if let tuner = try? decoder.decode(ParameterTuner.self, from: data) {
        var state = LearnerState(method: "", tuner: tuner)
        state.method = nil
        return state
      }
      throw CLIFailure.badInput("\(path): not a saved learner: \(Self.reason(current))")
    }
  }

  init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    formatVersion = try c.decode(Int.self, forKey: .formatVersion)
    guard formatVersion == Self.currentFormat else {
      throw DecodingError.dataCorruptedError(
        forKey: .formatVersion, in: c, debugDescription: "unsupported learner state format \(formatVersion)")
    }
    method = try c.decode(String.self, forKey: .method)
    tuner = try c.decodeIfPresent(ParameterTuner.self, forKey: .tuner)
    portfolio = try c.decodeIfPresent(PortfolioLearner.self, forKey: .portfolio)
    portfolioBins = try c.decodeIfPresent([PortfolioLearner].self, forKey: .portfolioBins)
    contextBins = try c.decodeIfPresent(ContextBins.self, forKey: .contextBins)
    let learners = [tuner != nil, portfolio != nil, portfolioBins != nil].filter { $0 }.count
    guard learners == 1, (tuner == nil) == (method == "auto") else {
      throw DecodingError.dataCorruptedError(
        forKey: .method, in: c, debugDescription: "a state holds one learner: a tuner for an ω method or a portfolio for auto")
    }
    guard (portfolioBins == nil) == (contextBins == nil), portfolioBins.map({ $0.count == contextBins!.count }) ?? true else {
      throw DecodingError.dataCorruptedError(
        forKey: .portfolioBins, in: c, debugDescription: "the portfolio's learners do not match its context bins")
    }
  }

  /// Writes the state by the rules of ``OutputFile`` (a regular file is replaced atomically).
  func write(to path: String) throws {
    let bytes: [UInt8]
    do {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      bytes = [UInt8](try encoder.encode(self))
    } catch {
      throw CLIFailure.badInput("\(path): cannot save the learner: \(error.localizedDescription)")
    }
    do throws(OutputFileError) { try OutputFile.write(bytes, to: path) } catch {
      throw CLIFailure.badInput("\(path): cannot save the learner: \(error.reason)")
    }
  }

  /// A decoding error in one line.
  private static func reason(_ error: any Error) -> String {
    switch error as? DecodingError {
    case let .dataCorrupted(context)?: return context.debugDescription
    case let .keyNotFound(key, _)?: return "missing \(key.stringValue)"
    case let .typeMismatch(_, context)?, let .valueNotFound(_, context)?:
      return "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
    default: return "\(error)"
    }
  }
}

/// An exclusive `flock` on `<state>.lock`, held while a process reads the learner state, solves
/// with its choice and saves the update, so that processes sharing a state file take turns and
/// no round is lost. (The lock is on a separate file because the state itself is replaced by
/// rename at every save.) Released when the object is.
final class StateLock {
  private let descriptor: Int32

  init(statePath: String) throws {
    let path = statePath + ".lock"
    var fd: Int32
    repeat { fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) } while fd < 0 && errno == EINTR
    guard fd >= 0 else {
      throw CLIFailure.badInput("\(path): cannot create the lock of the learner state: \(String(cString: strerror(errno)))")
    }
    var status: Int32
    repeat { status = flock(fd, LOCK_EX) } while status != 0 && errno == EINTR
    guard status == 0 else {
      let reason = String(cString: strerror(errno))
      close(fd)
      throw CLIFailure.badInput("\(path): cannot lock the learner state: \(reason)")
    }
    descriptor = fd
  }

  deinit {
    _ = flock(descriptor, LOCK_UN)
    close(descriptor)
  }
}
