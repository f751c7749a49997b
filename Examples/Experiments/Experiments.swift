import ArgumentParser
import Foundation
import LinSolve

/// `experiments`: the reproducible experiments behind LinSolve's README figures. Each
/// subcommand writes CSV files under `results/`; `make <experiment>` also draws the figures.
@main
struct Experiments: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "experiments",
    abstract: "Run LinSolve's experiments and write CSV results under results/.",
    subcommands: [
      PoissonExperiment.self, SequenceExperiment.self, SketchExperiment.self, RecycleExperiment.self, PortfolioExperiment.self, LearnedExperiment.self,
    ])
}

/// Writes rows to a CSV file (creating the folder), atomically.
func writeCSV(_ path: String, header: [String], rows: [[String]]) throws {
  let url = URL(fileURLWithPath: path)
  try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
  let text = ([header] + rows).map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n"
  try text.write(to: url, atomically: true, encoding: .utf8)
}

/// Wall-clock seconds of a block.
func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
  let clock = ContinuousClock()
  var result: T?
  let elapsed = try clock.measure { result = try body() }
  return (result!, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
}

/// Least-squares slope of log y against log x.
func logLogSlope(_ x: [Double], _ y: [Double]) -> Double? {
  guard x.count >= 2 else { return nil }
  let lx = x.map { log($0) }, ly = y.map { log($0) }
  let mx = lx.reduce(0, +) / Double(lx.count), my = ly.reduce(0, +) / Double(ly.count)
  var sxy = 0.0, sxx = 0.0
  for (a, b) in zip(lx, ly) {
    sxy += (a - mx) * (b - my)
    sxx += (a - mx) * (a - mx)
  }
  return sxx > 0 ? sxy / sxx : nil
}

/// `s` padded with spaces to `width` characters.
func pad(_ s: String, _ width: Int) -> String {
  s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

/// Prints a line and flushes, so progress shows up at once when the output is piped to a file.
func say(_ line: String = "") {
  print(line)
  fflush(nil)
}
