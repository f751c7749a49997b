import Foundation
import LinSolve
import Testing

/// `solve sequence --preconditioner learned --train K [--model FILE]` end to end.
@Suite("solve sequence --preconditioner learned")
struct LearnedCLITests {
  /// `count` variable-coefficient diffusion matrices on an `m × m` grid, written to a
  /// temporary directory.
  static func family(count: Int, grid m: Int, seed: UInt64 = 1) throws -> [String] {
    let dir = try CLI.temporaryDirectory()
    var generator = SeededGenerator(seed: seed)
    return try (0..<count).map { t in
      let c = 1.5 * generator.uniform(), phase = 6.3 * generator.uniform()
      let a = Diffusion.matrix2D(m) { x, y in exp(c * sin(2 * .pi * x + phase) * cos(2 * .pi * y)) }
      let path = dir.appendingPathComponent("A_\(t).mtx").path
      try MatrixMarket.write(a, to: path, symmetry: .symmetric)
      return path
    }
  }

  static func rows(_ run: CLIRun) throws -> [[String: Any]] {
    try #require(try run.json()["systems"] as? [[String: Any]])
  }

  @Test("trains on K systems, solves the rest with the learned factor, saves and reloads the model")
  func endToEnd() throws {
    let files = try Self.family(count: 5, grid: 14)
    let model = try CLI.temporaryDirectory().appendingPathComponent("m.json").path
    let run = try CLI.run(["sequence"] + files + ["--method", "pcg", "--preconditioner", "learned", "--train", "2", "--model", model, "--json"])
    #expect(run.status == 0, "\(run.stderr)")
    let systems = try Self.rows(run)
    #expect(systems.map { $0["strategy"] as? String } == ["pcg+ic0", "pcg+ic0", "pcg+learned", "pcg+learned", "pcg+learned"])
    for row in systems {
      #expect(row["reason"] as? String == "converged")
      #expect(try #require(row["relativeResidual"] as? Double) <= 1e-8)
    }
    #expect((systems[1]["notes"] as? [String])?.first?.hasPrefix("trained on 2 systems") == true)
    let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model))) as? [String: Any]
    #expect(saved?["format"] as? String == "linsolve-learned-preconditioner" && saved?["version"] as? Int == 1)

    // The saved model is loaded: nothing trained, every system with the learned factor.
    let again = try CLI.run(["sequence"] + files + ["--preconditioner", "learned", "--model", model, "--json"])
    #expect(again.status == 0, "\(again.stderr)")
    let reloaded = try Self.rows(again)
    #expect(reloaded.allSatisfy { $0["strategy"] as? String == "pcg+learned" && $0["reason"] as? String == "converged" })
    // Same model, same matrices: the same iterations as the first run's learned rows.
    #expect(reloaded[2...].map { $0["iterations"] as? Int } == systems[2...].map { $0["iterations"] as? Int })

    // The table form prints the rows and the training in the totals.
    let table = try CLI.run(["sequence"] + files + ["--preconditioner", "learned", "--train", "3"])
    #expect(table.status == 0)
    #expect(table.stdout.contains("pcg+learned") && table.stdout.contains("training"))
  }

  @Test("bad --train values, a model of another size and a corrupt model are one-line errors (exit 2)")
  func refusals() throws {
    let files = try Self.family(count: 3, grid: 10)
    func refused(_ arguments: [String], _ message: String) throws {
      let run = try CLI.run(["sequence"] + arguments)
      #expect(run.status == 2, "\(arguments): \(run.stderr)")
      #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
      #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
    }
    try refused(files + ["--preconditioner", "learned", "--train", "3"], "--train 3 leaves no system for the learned preconditioner")
    try refused(files + ["--preconditioner", "learned", "--train", "0"], "--train must be ≥ 1")
    try refused(files + ["--preconditioner", "learned"], "needs --train K")
    try refused(files + ["--method", "pcg", "--preconditioner", "ic0", "--train", "1"], "--train and --model go with --preconditioner learned")
    try refused(files + ["--method", "gmres", "--preconditioner", "learned", "--train", "1"], "goes with --method pcg")

    // A model trained on 10² unknowns meets 12² ones.
    let model = try CLI.temporaryDirectory().appendingPathComponent("m.json").path
    let trained = try CLI.run(["sequence"] + files + ["--preconditioner", "learned", "--train", "1", "--model", model])
    #expect(trained.status == 0, "\(trained.stderr)")
    let larger = try Self.family(count: 2, grid: 12)
    try refused(larger + ["--preconditioner", "learned", "--model", model], "\(model): learned model was trained on matrices of order 100, not 144")
    let json = try CLI.run(["sequence"] + larger + ["--preconditioner", "learned", "--model", model, "--json"])
    #expect(json.status == 2)
    #expect(try json.json()["file"] as? String == model)

    let corrupt = try CLI.file("bad.json", "{\"format\": \"linsolve-learned-preconditioner\", \"version\": 7}")
    try refused(files + ["--preconditioner", "learned", "--model", corrupt], "model version 7 is not supported")
    let garbage = try CLI.file("garbage.json", "[1, 2")
    try refused(files + ["--preconditioner", "learned", "--model", garbage], "not a learned-preconditioner model")

    // A single system: learned is a sequence preconditioner.
    let single = try CLI.run([files[0], "--method", "pcg", "--preconditioner", "learned"])
    #expect(single.status == 2 && single.stderr.contains("trained on a sequence"))
  }
}
