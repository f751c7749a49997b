import ArgumentParser
import LinSolve

/// Options of the least-squares and row-action methods.
struct SketchOptions: ParsableArguments {
  enum Distribution: String, ExpressibleByArgument, CaseIterable {
    case sparseSign = "sparse-sign"
    case gaussian
  }

  @Option(help: "Sketch for sketch-lsqr / iterative-sketch: sparse-sign (8 nonzeros per column) or gaussian.")
  var sketch: Distribution = .sparseSign

  @Option(help: "Sketch size d as a multiple of n (default 4 for sketch-lsqr, 12 for iterative-sketch).")
  var sketchFactor: Double?

  @Option(help: "Seed of the random sketch / sampling (results are reproducible for a seed).")
  var seed: UInt64 = 0

  @Option(help: "Nyström rank ℓ for --preconditioner nystrom (default: adaptive).")
  var rank: Int?

  @Option(help: "The shift μ > 0 of a matrix A + μI, for --preconditioner nystrom.")
  var shift: Double?

  var distribution: SketchingOperator.Distribution { sketch == .gaussian ? .gaussian : .sparseSign() }
}
