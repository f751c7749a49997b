import Foundation
import Testing
@testable import LinSolve

@Suite("Sequence workloads: shifted Laplacian")
struct ShiftedLaplacianSequenceTests {
  @Test("Equal seeds give equal sequences, different seeds different ones")
  func determinism() {
    let a = Array(ShiftedLaplacianSequence(variance: .high, count: 20, seed: 7))
    let b = Array(ShiftedLaplacianSequence(variance: .high, count: 20, seed: 7))
    let c = Array(ShiftedLaplacianSequence(variance: .high, count: 20, seed: 8))
    #expect(a.count == 20)
    #expect(a.map(\.context) == b.map(\.context))
    #expect(a.map(\.rhs) == b.map(\.rhs))
    #expect(a.map(\.matrix) == b.map(\.matrix))
    #expect(a.map(\.context) != c.map(\.context))
    #expect(a[0].rhs != c[0].rhs)
    #expect(a.allSatisfy { $0.initialGuess == nil })
  }

  @Test("Shifts lie in [−0.15, 0.45] with mean 0 and the Beta variance", arguments: ShiftedLaplacianSequence.Variance.allCases)
  func shifts(variance: ShiftedLaplacianSequence.Variance) {
    var sequence = ShiftedLaplacianSequence(gridSize: 2, variance: variance, seed: 3)  // small n: the shifts are what is tested
    let shifts = (0..<4000).map { _ in sequence.next()!.context! }
    #expect(shifts.allSatisfy { ShiftedLaplacianSequence.shiftRange.contains($0) })
    let mean = shifts.reduce(0, +) / Double(shifts.count)
    let sd = (shifts.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(shifts.count - 1)).squareRoot()
    // E[c] = 0; sd = 0.6·sd(Beta): 0.15 (high), 0.0866 (low).
    let expectedSD = variance == .high ? 0.15 : 0.6 * (12.0 / (64 * 9)).squareRoot()
    #expect(abs(mean) < 0.012, "mean \(mean)")
    #expect(abs(sd - expectedSD) < 0.1 * expectedSD, "sd \(sd), expected \(expectedSD)")
    if variance == .high {
      // Beta(0.5, 1.5) piles up at 0: P(c < −0.1) = P(Beta < 1/12) ≈ 0.36.
      #expect(shifts.filter { $0 < -0.1 }.count > shifts.count / 5)
    }
  }

  @Test("Right-hand sides are truncated normals, ‖b‖ ≤ √n")
  func rightHandSides() {
    let systems = Array(ShiftedLaplacianSequence(variance: .low, count: 200, seed: 11))
    let n = 100.0
    #expect(systems.allSatisfy { $0.rhs.count == 100 })
    #expect(systems.allSatisfy { Vector.norm($0.rhs) <= n.squareRoot() })
    // Conditioned on ‖b‖ ≤ √n the norms still sit just below √n (χ with 100 d.o.f.).
    let meanNorm = systems.map { Vector.norm($0.rhs) }.reduce(0, +) / Double(systems.count)
    #expect(meanNorm > 8.5 && meanNorm < 10, "mean ‖b‖ = \(meanNorm)")
    let entries = systems.flatMap(\.rhs)
    let mean = entries.reduce(0, +) / Double(entries.count)
    #expect(abs(mean) < 0.02)
  }

  @Test("A_t = Poisson2D(10) + c_t·I, symmetric, diagonal 4 + c_t")
  func matrices() {
    let base = Poisson.matrix2D(10)
    for system in ShiftedLaplacianSequence(variance: .high, count: 5, seed: 2) {
      let c = system.context!
      #expect(system.matrix == base.shifted(by: c))
      #expect(system.matrix.isSymmetric())
      #expect(system.matrix.diagonal().allSatisfy { $0 == 4 + c })
    }
  }

  @Test("Jacobi radius and Young's ω match the paper's values")
  func young() {
    let s = ShiftedLaplacianSequence()
    #expect(abs(s.jacobiSpectralRadius(shift: 0) - 3.83797 / 4) < 1e-5)
    #expect(abs(s.youngOmega(shift: 0) - 1.5604) < 1e-4)
    #expect(abs(s.youngOmega(shift: -0.15) - 1.8536) < 1e-4)
    #expect(abs(s.youngOmega(shift: 0.45) - 1.3279) < 1e-4)
    // 1 + (ρ/(1 + √(1 − ρ²)))² = 2/(1 + √(1 − ρ²)).
    for rho in [0.1, 0.5, 0.9, 0.99] {
      #expect(abs(ShiftedLaplacianSequence.youngOmega(jacobiSpectralRadius: rho) - 2 / (1 + (1 - rho * rho).squareRoot())) < 1e-12)
    }
  }

  @Test("SOR at Young's ω and at ω = 1 reproduces the paper's counts (41 and 223 sweeps at c = 0)")
  func youngCounts() throws {
    let s = ShiftedLaplacianSequence()
    let a = s.matrix(shift: 0)
    let b = [Double](repeating: 1, count: 100)
    let stopping = StoppingCriterion(rtol: 1e-8, maxIterations: 10_000)
    // The paper's deterministic counts: ω* → 41, ω = 1 → 223 (digest §6.1).
    #expect(try SOR(omega: s.youngOmega(shift: 0), stopping: stopping).solve(a, b).iterations == 41)
    #expect(try SOR(omega: 1, stopping: stopping).solve(a, b).iterations == 223)
  }

  @Test("Finer grids scale the shift by h², keeping every A_t positive definite")
  func finerGrid() throws {
    let s = ShiftedLaplacianSequence(gridSize: 30, variance: .high, count: 1, seed: 1)
    #expect(s.dimension == 900)
    #expect(abs(s.shiftScale - (11.0 / 31) * (11.0 / 31)) < 1e-15)
    // λ_min(A + cI) = 8 sin²(π/(2(m+1))) + c·scale > 0 at the worst shift, for several sizes.
    for m in [10, 30, 100, 316, 1000] {
      let lambda = 8 * pow(sin(Double.pi / Double(2 * (m + 1))), 2)
      let scale = pow(11 / Double(m + 1), 2)
      #expect(lambda - 0.15 * scale > 0.07 * lambda, "m = \(m)")
    }
    let worst = s.matrix(shift: -0.15)
    #expect(try CholeskyFactorization(worst).isFactorized)
    #expect(s.youngOmega(shift: -0.15) < 2 && s.youngOmega(shift: -0.15) > s.youngOmega(shift: 0.45))
  }
}

@Suite("Sequence workloads: heat equation")
struct HeatEquationTests {
  @Test("κ(t) = max(0.1 sin 2πt, −10 sin 2πt), context range ≈ [0, 10]")
  func coefficient() {
    #expect(HeatEquation.coefficient(at: 0) == 0)
    #expect(abs(HeatEquation.coefficient(at: 0.25) - 0.1) < 1e-15)
    #expect(abs(HeatEquation.coefficient(at: 0.75) - 10) < 1e-12)
    #expect((0..<1000).allSatisfy { HeatEquation.coefficient(at: Double($0) * 0.001) >= 0 })
    let range = HeatEquation(nx: 4).contextRange
    #expect(range.lowerBound == 0)
    #expect(range.upperBound > 9.99 && range.upperBound <= 10)
  }

  @Test("Bump: 1 at the centre, 0 from the radius on")
  func bump() {
    #expect(HeatEquation.bump(squaredDistance: 0, radius: 0.25) == 1)
    #expect(HeatEquation.bump(squaredDistance: 0.0625, radius: 0.25) == 0)
    #expect(HeatEquation.bump(squaredDistance: 1, radius: 0.25) == 0)
    let mid = HeatEquation.bump(squaredDistance: 0.25 * 0.0625, radius: 0.25)
    #expect(abs(mid - exp(1 - 1 / 0.75)) < 1e-15)
    let heat = HeatEquation(nx: 8)
    let u0 = heat.initialCondition()
    #expect(u0.max() == 1)  // (½, ½) is a grid point for even nx
    #expect(u0.allSatisfy { $0 >= 0 && $0 <= 1 })
  }

  @Test("Step matrices are symmetric positive definite with one pattern; rhs = (2I − A)u + dt·f")
  func systems() throws {
    let heat = HeatEquation(nx: 10, steps: 1000)
    #expect(heat.dimension == 81)
    let u = heat.initialCondition()
    let chol = CholeskyFactorization()
    for k in [0, 100, 249, 600, 750, 999] {
      let a = heat.matrix(step: k)
      #expect(a.isSymmetric())
      #expect(a.rowPointers == heat.poisson.rowPointers && a.columnIndices == heat.poisson.columnIndices)
      let s = 0.5 * HeatEquation.coefficient(at: (Double(k) + 0.5) * 1e-3) * 1e-3 * 100
      #expect(abs(a.diagonal()[0] - (1 + 4 * s)) < 1e-12)
      try chol.factorize(a)  // SPD, or CHOLMOD throws
      let system = heat.system(step: k, u: u)
      #expect(system.context == HeatEquation.coefficient(at: Double(k) * 1e-3))
      #expect(system.initialGuess == u)
      var au = [Double](repeating: 0, count: u.count)
      a.multiply(u, into: &au)
      let f = heat.forcing(at: (Double(k) + 0.5) * 1e-3)
      for i in u.indices { #expect(abs(system.rhs[i] - (2 * u[i] - au[i] + 1e-3 * f[i])) < 1e-12) }
    }
    #expect(chol.symbolicAnalyses == 1 && chol.numericFactorizations == 6)
  }

  @Test("The exact trajectory: direct solves, warm starts chained, u stays bounded and non-negative")
  func trajectory() throws {
    let heat = HeatEquation(nx: 12, steps: 300)
    var steps = heat.trajectory()
    var previous = heat.initialCondition()
    var count = 0
    var peak = 0.0
    while let step = try steps.next() {
      #expect(step.index == count)
      #expect(step.system.initialGuess == previous)
      let r = step.system.matrix.residualNorm(x: step.solution, b: step.system.rhs)
      #expect(r <= 1e-12 * Vector.norm(step.system.rhs))
      // Crank–Nicolson is not positivity-preserving for large κ·dt/dx², so only loosely ≥ 0.
      #expect(step.solution.allSatisfy { $0.isFinite && $0 > -1e-3 })
      peak = max(peak, step.solution.max()!)
      previous = step.solution
      count += 1
    }
    #expect(count == 300)
    #expect(steps.factorization.symbolicAnalyses == 1)
    #expect(peak > 0.1 && peak < 10, "peak u = \(peak)")
  }

  @Test("Warm-started SSOR-PCG solves a step; SSOR needs fewer iterations than plain CG at κ = 10")
  func pcgStep() throws {
    let heat = HeatEquation(nx: 16, steps: 800)
    let u = heat.initialCondition()
    let k = 749  // κ(t + dt/2) ≈ 10
    let system = heat.system(step: k, u: u)
    let stopping = StoppingCriterion(rtol: 1e-8)
    let ssor = try SSORPreconditioner(system.matrix, omega: 1.4, ordering: .backwardForward)
    let pcg = try ConjugateGradient(stopping: stopping, preconditioner: ssor).solve(
      system.matrix, system.rhs, x0: system.initialGuess)
    let cg = try ConjugateGradient(stopping: stopping).solve(system.matrix, system.rhs, x0: system.initialGuess)
    #expect(pcg.converged && cg.converged)
    #expect(pcg.iterations < cg.iterations)
    #expect(pcg.trueResidualNorm <= 1.01e-8 * Vector.norm(system.rhs))
  }
}
