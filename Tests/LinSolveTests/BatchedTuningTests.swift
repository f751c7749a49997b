import Foundation
import LinSolvePETSc
import Testing

@testable import LinSolve

/// A tuner's whole state as JSON with sorted keys (equal strings: equal learners).
private func state(_ tuner: ParameterTuner) throws -> String {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys]
  return String(decoding: try encoder.encode(tuner), as: UTF8.self)
}

/// A noisy synthetic cost of ω at context c (the minimum moves with c).
private func cost(_ omega: Double, _ c: Double, _ stream: inout SeededGenerator) -> Double {
  let gap = omega - (1.5 + 0.5 * c)
  return (40 + 400 * gap * gap + 6 * stream.uniform()).rounded()
}

@Suite("Tuning: batched feedback (decide, then observe later), as sequences over MPI ranks use it")
struct BatchedTuningTests {
  static let strategies: [ParameterTuner.Strategy] = [
    .tsallisINF, .binnedTsallisINF(bins: 5, range: -0.15...0.65), .chebCB(range: -0.15...0.65), .fixed(1.5),
  ]

  /// Runs `rounds` rounds of `batch` systems on `copies` identical tuners (the ranks): each
  /// copy decides every system of the round in order, then observes every decision in order
  /// with the costs of the decisions of copy 0. Returns the choices, and checks the copies agree.
  static func pooled(
    _ tuner: ParameterTuner, batch: Int, rounds: Int, copies: Int = 1
  ) throws -> (choices: [Double], tuner: ParameterTuner) {
    var ranks = [ParameterTuner](repeating: tuner, count: copies)
    var stream = SeededGenerator(seed: 17)
    var choices: [Double] = []
    for _ in 0..<rounds {
      let contexts = (0..<batch).map { _ in -0.15 + 0.6 * stream.uniform() }
      var decisions: [[ParameterTuner.Decision]] = []
      for r in ranks.indices { decisions.append(try contexts.map { try ranks[r].decide(context: $0) }) }
      for r in ranks.indices { #expect(decisions[r] == decisions[0]) }
      let costs = zip(decisions[0], contexts).map { cost($0.value, $1, &stream) }
      for r in ranks.indices {
        for (decision, c) in zip(decisions[r], costs) { try ranks[r].observe(decision, cost: c) }
      }
      choices += decisions[0].map(\.value)
    }
    for r in ranks.indices { #expect(try state(ranks[r]) == state(ranks[0])) }
    return (choices, ranks[0])
  }

  @Test("Batches of one are exactly next/observe: the same choices and the same saved state", arguments: strategies)
  func batchOfOneIsSerial(strategy: ParameterTuner.Strategy) throws {
    let start = try ParameterTuner(strategy: strategy, seed: 0xC0FFEE)
    var serial = start
    var stream = SeededGenerator(seed: 17)
    var choices: [Double] = []
    for _ in 0..<120 {
      let c = -0.15 + 0.6 * stream.uniform()
      let omega = try serial.next(context: c)
      choices.append(omega)
      try serial.observe(cost: cost(omega, c, &stream))
    }
    let batched = try Self.pooled(start, batch: 1, rounds: 120)
    #expect(batched.choices == choices)
    #expect(try state(batched.tuner) == state(serial))
    #expect(batched.tuner.rounds == 120 && !batched.tuner.isAwaitingCost)
  }

  @Test("Batches of R on R identical copies stay identical and deterministic; decisions within a round see no feedback",
        arguments: strategies)
  func batchesOnCopies(strategy: ParameterTuner.Strategy) throws {
    let start = try ParameterTuner(strategy: strategy, seed: 7)
    let first = try Self.pooled(start, batch: 3, rounds: 40, copies: 3)
    let again = try Self.pooled(start, batch: 3, rounds: 40, copies: 2)
    #expect(first.choices == again.choices)
    #expect(first.tuner.rounds == 120)
    // Within a round only the generator moves: the learner's rounds and distribution stay.
    var tuner = first.tuner
    let before = tuner.probabilities
    let decisions = try (0..<3).map { _ in try tuner.decide(context: 0.1) }
    #expect(tuner.rounds == 120 && !tuner.isAwaitingCost)
    if case .tsallisINF = strategy {
      #expect(decisions.allSatisfy { $0.arm != nil })
      #expect(tuner.probabilities.count == before.count)
    }
  }

  @Test("A decision the learner cannot have made, a pending next, or a bad cost is refused and changes nothing")
  func misuse() throws {
    var tsallis = try ParameterTuner(strategy: .tsallisINF, seed: 1)
    var cheb = try ParameterTuner(strategy: .chebCB(range: 0...1), seed: 1)
    let foreign = try cheb.decide(context: 0.5)
    let own = try tsallis.decide()
    let saved = try state(tsallis)
    #expect(throws: TuningError.noPendingDecision) { try tsallis.observe(foreign, cost: 3) }
    #expect(throws: TuningError.invalidCost(-1)) { try tsallis.observe(own, cost: -1) }
    #expect(try state(tsallis) == saved)
    _ = try tsallis.next()
    #expect(throws: TuningError.decisionPending) { try tsallis.observe(own, cost: 3) }
    #expect(throws: TuningError.decisionPending) { try tsallis.decide() }
    try tsallis.observe(cost: 3)
    try tsallis.observe(own, cost: 4)
    #expect(tsallis.rounds == 2)
    try cheb.observe(foreign, cost: 5)
    #expect(cheb.rounds == 1)
  }
}

@Suite("SequenceRounds: systems spread over MPI ranks in rounds")
struct SequenceRoundsTests {
  @Test("Round-robin: system t on rank t mod R in round ⌊t/R⌋; every system once, in order",
        arguments: [(0, 1), (1, 1), (5, 1), (5, 2), (6, 2), (7, 3), (2, 4)])
  func schedule(systems: Int, ranks: Int) {
    let rounds = SequenceRounds(systems: systems, ranks: ranks)
    var seen: [Int] = []
    for round in 0..<rounds.count {
      let range = rounds.systems(in: round)
      #expect(!range.isEmpty && range.count <= ranks)
      for rank in 0..<ranks {
        let t = rounds.system(round: round, rank: rank)
        #expect(t == (range.contains(round * ranks + rank) ? round * ranks + rank : nil))
        if let t {
          #expect(rounds.rank(of: t) == rank)
          seen.append(t)
        }
      }
    }
    #expect(seen == Array(0..<systems))
  }
}

@Suite("PortfolioLearner: journals replayed, as --tune auto pools one learner over MPI ranks")
struct PortfolioJournalTests {
  /// Drives `learner` through `rounds` rounds of decisions, costs (some censored), completions
  /// and a drop, from `stream`.
  static func drive(_ learner: inout PortfolioLearner, rounds: Int, stream: inout SeededGenerator) throws {
    for t in 0..<rounds {
      let arm = t % 5 == 4 ? try { try learner.force(learner.activeArms[0]); return learner.activeArms[0] }() : try learner.next()
      let cost = 1 + Double(arm) + stream.uniform()
      if t == 6 {
        learner.drop(arm, because: "failed")
      } else if t % 3 == 2 {
        try learner.observe(cost: 2 * cost, censored: true)
        try learner.recordCompletion(of: learner.activeArms[0], cost: cost)
      } else {
        try learner.observe(cost: cost)
      }
    }
  }

  @Test("A journal replayed onto the learner it started from gives the journaling copy's state",
        arguments: PortfolioLearner.Policy.allCases)
  func replay(policy: PortfolioLearner.Policy) throws {
    let start = try PortfolioLearner(arms: ["a", "b", "c", "d"], seed: 5, policy: policy)
    var journaled = start
    journaled.journal = []
    var stream = SeededGenerator(seed: 2)
    try Self.drive(&journaled, rounds: 30, stream: &stream)
    var replayed = start
    for event in try #require(journaled.journal) { try replayed.apply(event) }
    journaled.journal = nil
    #expect(replayed == journaled)
    // A journal survives JSON (the ranks exchange them as bytes).
    let events = try JSONDecoder().decode(
      [PortfolioLearner.Event].self, from: JSONEncoder().encode(try #require({ () -> [PortfolioLearner.Event]? in
        var copy = start
        copy.journal = []
        var s = SeededGenerator(seed: 2)
        try Self.drive(&copy, rounds: 30, stream: &s)
        return copy.journal
      }())))
    var decoded = start
    for event in events { try decoded.apply(event) }
    #expect(decoded == journaled)
  }

  @Test("skipDecisions moves explore-then-commit to the next untried arm and is not journaled")
  func skip() throws {
    var learner = try PortfolioLearner(arms: ["a", "b", "c"], seed: 1, policy: .exploreThenCommit, explorationOrder: [2, 0, 1])
    var second = learner
    second.journal = []
    second.skipDecisions(1)
    #expect(second.journal == [])
    #expect(try learner.next() == 2)
    #expect(try second.next() == 0)
    #expect(second.pendingArm == 0 && second.rounds == 0)
    #expect(throws: TuningError.decisionPending) { try second.apply(.chose(arm: 1, probabilities: [0, 1, 0], generator: SeededGenerator(seed: 1))) }
  }
}

@Suite("GramSolve: the coefficients of Fischer's projection on the PETSc engine")
struct GramSolveTests {
  @Test("Solves an SPD Gram system; a dependent column gets coefficient 0 and the rest still fit")
  func solve() {
    // G = XᵀX for X = [e1, e1 + e2, 2·e1] (the third dependent on the first).
    let g: [Double] = [1, 1, 2, 1, 2, 2, 2, 2, 4]
    let f: [Double] = [3, 7, 6]  // Xᵀb for b = 3·e1 + 4·e2
    let (c, dropped) = GramSolve.solve(gram: g, rhs: f, tolerance: 1e-10)
    #expect(dropped == 1 && c[2] == 0)
    // X c = c0·e1 + c1·(e1 + e2) = b: c1 = 4, c0 = −1.
    #expect(abs(c[0] + 1) < 1e-12 && abs(c[1] - 4) < 1e-12)
    let (single, none) = GramSolve.solve(gram: [4], rhs: [2], tolerance: 1e-10)
    #expect(single == [0.5] && none == 0)
    #expect(GramSolve.solve(gram: [0], rhs: [1], tolerance: 1e-10).coefficients == [0])
  }
}
