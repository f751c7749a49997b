import ArgumentParser
import Foundation
import LinSolve

/// `experiments learned`: the learned preconditioner (LinSolveLearned: a message-passing network
/// correcting IC(0), trained on the solved systems of a sequence; Li et al., ICML 2023;
/// PreCorrector, Trifonov et al. 2024) against IC(0), smoothed-aggregation AMG and the untrained
/// network, on three families: variable-coefficient Poisson, Darcy with a Gaussian-random-field
/// κ, and the heat equation.
///
/// For each family the first `--train` systems are solved with PCG + IC(0) and train the network;
/// the next `--held-out` systems are solved by PCG with each preconditioner. Reported per
/// preconditioner: mean iterations on the held-out systems, the ratio to IC(0)'s, mean seconds
/// per system (set-up + solve) and, for the trained network, the training time amortized over
/// the held-out systems. Also measured: one network evaluation against one application of the
/// factor — the cost a deep conjugate direction method (Kaneda et al., ICML 2023) would pay at
/// every iteration. Writes `results/learned_summary.csv` and `results/learned.md`.
struct LearnedExperiment: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "learned",
    abstract: "Learned preconditioner (a network correcting IC(0)) vs IC(0), AMG and the untrained network on three families.",
    discussion: """
      Default sizes (a few minutes on 2 cores): grids 96 × 96 (heat: nx = 97), 8 training and \
      12 held-out systems per family.
      """)

  @Option(help: "all | poisson | darcy | heat (comma-separated).")
  var family: String = "all"

  @Option(help: "Grid points per direction (n = grid²).")
  var grid: Int = 96

  @Option(help: "Training systems per family (solved with IC(0)).")
  var train: Int = 8

  @Option(help: "Held-out systems per family.")
  var heldOut: Int = 12

  @Option(help: "Adam steps.")
  var steps: Int = 100

  @Option(help: "Adam's step size.")
  var learningRate: Double = 0.02

  @Option(help: "Hidden units of the network.")
  var hidden: Int = 8

  @Option(help: "Seed of the families and of the network's initial weights.")
  var seed: UInt64 = 1

  @Option(help: "Relative tolerance.")
  var rtol: Double = 1e-8

  @Option(help: "Output folder.")
  var output: String = "results"

  struct Family {
    let name: String
    let label: String
    let systems: [(a: SparseMatrix, b: [Double])]
  }

  struct Row {
    var family: String, preconditioner: String
    var iterations: [Int] = [], setup: [Double] = [], solve: [Double] = [], converged = 0
    var training = 0.0
    var meanIterations: Double { Double(iterations.reduce(0, +)) / Double(max(iterations.count, 1)) }
    var meanSeconds: Double { (setup.reduce(0, +) + solve.reduce(0, +)) / Double(max(setup.count, 1)) }
    var meanWithTraining: Double { meanSeconds + training / Double(max(setup.count, 1)) }
  }

  func run() throws {
    guard train >= 1 && heldOut >= 1 && grid >= 4 else { throw ValidationError("--train, --held-out ≥ 1 and --grid ≥ 4") }
    let stopping = StoppingCriterion(rtol: rtol, maxIterations: 10_000)
    let options = LearnedTrainingOptions(hidden: hidden, steps: steps, learningRate: learningRate, seed: seed)
    let names = family == "all" ? ["poisson", "darcy", "heat"] : family.split(separator: ",").map(String.init)
    try warmUp(stopping)
    var csv: [[String]] = []
    var markdown = "# Learned preconditioner vs IC(0), AMG and the untrained network\n\n"
      + "PCG, rtol \(rtol), zero initial guess; \(train) training systems (solved with IC(0)), \(heldOut) held-out; "
      + "network: \(LearnedFactorModel.parameterCount(hidden: hidden)) parameters, \(steps) Adam steps; threads \(Parallel.threads).\n"
    for name in names {
      let family = try makeFamily(name)
      say("== \(family.label)")
      let training = Array(family.systems.prefix(train)), held = Array(family.systems.dropFirst(train))
      // Training data: the first systems, solved with IC(0) as the sequence solver does.
      var set = LearnedTrainingSet()
      for (a, b) in training {
        let result = try ConjugateGradient(stopping: stopping, preconditioner: IncompleteCholesky(a)).solve(a, b)
        try set.append(a, solution: result.x, rhs: b)
      }
      let ((model, report), _) = try timed { try LearnedTraining.train(on: set, options: options) }
      say(String(format: "  trained on %d systems in %.2f s: loss %.4g → %.4g", report.systems, report.seconds, report.initialLoss, report.finalLoss))

      var rows: [Row] = []
      rows.append(try measure(family.name, "ic0", held, stopping) { IncompleteCholesky() })
      rows.append(try measureAMG(family.name, held, stopping))
      rows.append(try measure(family.name, "untrained", held, stopping) {
        LearnedPreconditioner(model: LearnedFactorModel(hidden: hidden, seed: seed))
      })
      var trained = try measure(family.name, "learned", held, stopping) { LearnedPreconditioner(model: model) }
      trained.training = report.seconds
      rows.append(trained)

      // One network evaluation against one application of the factor (the per-iteration cost
      // of a method that evaluates a network at every iteration, as the deep conjugate direction
      // method does).
      let (network, sweep) = try evaluationCosts(model, held[0].a)
      say(String(format: "  one network evaluation %.3f ms, one application of L⁻ᵀL⁻¹ %.3f ms (%.0f×)", network * 1e3, sweep * 1e3, network / sweep))

      let ic = rows[0].meanIterations
      // Systems after which the training is paid back by faster solves (nil: slower per system).
      let saving = rows[0].meanSeconds - trained.meanSeconds
      let breakEven = saving > 0 ? Int((report.seconds / saving).rounded(.up)) : nil
      say("  training pays back " + (breakEven.map { "after \($0) systems" } ?? "never: the learned factor is slower per system than IC(0) here"))
      markdown += "\n## \(family.label)\n\n| preconditioner | mean iterations | ratio to IC(0) | s / system | s / system with training | converged |\n|---|---:|---:|---:|---:|---:|\n"
      for row in rows {
        let withTraining = row.training > 0 ? String(format: "%.4f", row.meanWithTraining) : "–"
        say("  \(pad(row.preconditioner, 10)) " + String(format: "%8.1f it  %6.3f× IC(0)  %8.4f s/system", row.meanIterations, row.meanIterations / ic, row.meanSeconds)
              + (row.training > 0 ? String(format: "  %8.4f s/system with training (%.2f s / %d)", row.meanWithTraining, row.training, held.count) : "")
              + "  \(row.converged)/\(held.count) converged")
        markdown += "| \(row.preconditioner) | " + String(format: "%.1f | %.3f | %.4f | ", row.meanIterations, row.meanIterations / ic, row.meanSeconds)
          + withTraining + " | \(row.converged)/\(held.count) |\n"
        csv.append([
          family.name, "\(held[0].a.rows)", "\(train)", "\(held.count)", row.preconditioner, "\(row.meanIterations)", "\(row.meanIterations / ic)",
          "\(row.setup.reduce(0, +) / Double(held.count))", "\(row.solve.reduce(0, +) / Double(held.count))", "\(row.meanSeconds)",
          "\(row.training)", "\(row.meanWithTraining)", "\(row.converged)", "\(report.initialLoss)", "\(report.finalLoss)",
          "\(network)", "\(sweep)", row.preconditioner == "learned" ? breakEven.map { "\($0)" } ?? "never" : "",
        ])
      }
      markdown += String(format: "\nTraining %.2f s (loss %.4g → %.4g); one network evaluation %.3f ms vs one application of the factor %.3f ms; ",
                         report.seconds, report.initialLoss, report.finalLoss, network * 1e3, sweep * 1e3)
        + (breakEven.map { "the training pays back after \($0) systems.\n" } ?? "the learned factor is slower per system than IC(0), so the training never pays back.\n")
    }
    try writeCSV("\(output)/learned_summary.csv", header: [
      "family", "n", "train", "held_out", "preconditioner", "mean_iterations", "ratio_to_ic0", "mean_setup_s", "mean_solve_s",
      "mean_seconds", "training_s", "mean_seconds_with_training", "converged", "initial_loss", "final_loss", "network_s", "apply_s",
      "break_even_systems",
    ], rows: csv)
    try markdown.write(toFile: "\(output)/learned.md", atomically: true, encoding: .utf8)
    say("wrote \(output)/learned_summary.csv, \(output)/learned.md")
  }

  /// PCG with a fresh preconditioner object set up for each held-out system.
  func measure(
    _ family: String, _ name: String, _ systems: [(a: SparseMatrix, b: [Double])], _ stopping: StoppingCriterion,
    _ make: () -> any Preconditioner
  ) throws -> Row {
    var row = Row(family: family, preconditioner: name)
    let m = make()
    for (a, b) in systems {
      let (_, setup) = try timed { try m.setUp(for: a) }
      let (result, solve) = try timed { try ConjugateGradient(stopping: stopping, preconditioner: m).solve(a, b) }
      let judged = result.judged(by: stopping, a: a, b: b)
      row.iterations.append(judged.iterations)
      row.setup.append(setup)
      row.solve.append(solve)
      if judged.reason == .converged { row.converged += 1 }
    }
    return row
  }

  /// PCG + smoothed-aggregation AMG as a sequence runs it (the hierarchy refreshed).
  func measureAMG(_ family: String, _ systems: [(a: SparseMatrix, b: [Double])], _ stopping: StoppingCriterion) throws -> Row {
    var row = Row(family: family, preconditioner: "amg-sa")
    let driver = try FixedStrategySequenceSolver(strategy: SequenceStrategy(method: .pcg, preconditioner: .amgSA), stopping: stopping)
    for (a, b) in systems {
      let step = try driver.solve(LinearSystem(matrix: a, rhs: b))
      row.iterations.append(step.result.iterations)
      row.setup.append(step.setupSeconds)
      row.solve.append(step.solveSeconds)
      if step.result.reason == .converged { row.converged += 1 }
    }
    return row
  }

  /// Seconds of one forward pass of the network and of one application of the learned factor.
  func evaluationCosts(_ model: LearnedFactorModel, _ a: SparseMatrix) throws -> (network: Double, apply: Double) {
    let m = LearnedPreconditioner(model: model)
    var network = Double.infinity
    for _ in 0..<3 {
      try m.setUp(for: a)
      network = min(network, m.networkSeconds)
    }
    let r = [Double](repeating: 1, count: a.rows)
    var z = r
    let repeats = 50
    let (_, seconds) = timed {
      r.withUnsafeBufferPointer { r in z.withUnsafeMutableBufferPointer { z in for _ in 0..<repeats { m.apply(r, into: z) } } }
    }
    return (network, seconds / Double(repeats))
  }

  func warmUp(_ stopping: StoppingCriterion) throws {
    let a = Poisson.matrix2D(32), b = [Double](repeating: 1, count: 1024)
    _ = try ConjugateGradient(stopping: stopping, preconditioner: IncompleteCholesky(a)).solve(a, b)
    _ = try FixedStrategySequenceSolver(strategy: SequenceStrategy(method: .pcg, preconditioner: .amgSA), stopping: stopping)
      .solve(LinearSystem(matrix: a, rhs: b))
  }

  func makeFamily(_ name: String) throws -> Family {
    let count = train + heldOut
    var generator = SeededGenerator(seed: seed &+ 101)
    switch name {
    case "poisson":
      // −∇·(a∇u) = f, a = exp(c₁ sin(2πk₁x + φ₁) cos(2πk₂y + φ₂) + c₂ …): a smooth field with
      // a contrast of up to e⁴, and a random positive source.
      let systems = (0..<count).map { _ -> (SparseMatrix, [Double]) in
        let c1 = 2 * generator.uniform(), c2 = generator.uniform()
        let k1 = 1 + Double(Int(3 * generator.uniform())), k2 = 1 + Double(Int(3 * generator.uniform()))
        let p1 = 6.28 * generator.uniform(), p2 = 6.28 * generator.uniform()
        let a = Diffusion.matrix2D(grid) { x, y in
          exp(c1 * sin(2 * .pi * k1 * x + p1) * cos(2 * .pi * k2 * y + p2) + c2 * sin(2 * .pi * (x + y) + p2))
        }
        let b = (0..<a.rows).map { _ in generator.uniform() }
        return (a, b)
      }
      return Family(name: "poisson", label: "variable-coefficient Poisson, grid \(grid) (n = \(grid * grid))", systems: systems)
    case "darcy":
      let darcy = DarcySequence.independent(grid: grid, count: count, seed: seed)
      return Family(
        name: "darcy", label: "Darcy, κ = exp(Gaussian random field), grid \(grid) (n = \(grid * grid))",
        systems: darcy.systems.map { ($0.matrix, $0.rhs) })
    case "heat":
      // Crank–Nicolson steps from t = 0.55 (κ between 3 and 10, I + sP with s ≈ 10²): each
      // right-hand side from the previous step's solution.
      let dt = 0.01, start = 55
      let heat = HeatEquation(nx: grid + 1, steps: start + count, dt: dt)
      var u = heat.initialCondition()
      var systems: [(SparseMatrix, [Double])] = []
      for k in start..<(start + count) {
        let system = heat.system(step: k, u: u)
        u = try ConjugateGradient(stopping: StoppingCriterion(rtol: 1e-12), preconditioner: IncompleteCholesky(system.matrix))
          .solve(system.matrix, system.rhs).x
        systems.append((system.matrix, system.rhs))
      }
      return Family(name: "heat", label: "heat equation (Crank–Nicolson, t ≥ 0.55), nx = \(grid + 1) (n = \(grid * grid))", systems: systems)
    default:
      throw ValidationError("unknown family '\(name)' (poisson, darcy, heat)")
    }
  }
}
