import Foundation
import Testing
@testable import LinSolve

/// The divergence test (``StoppingCriterion/dtol``, PETSc's `-ksp_divtol`): a method outside
/// its theory stops early with ``StopReason/diverged`` instead of running to `maxIterations`.
@Suite("Divergence tolerance")
struct DivergenceTests {
  static let convectionDiffusion: SparseMatrix = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return try! MatrixMarket.readMatrix(path: root.appendingPathComponent("Data/convdiff_20.mtx").path)
  }()

  @Test("CG on the nonsymmetric convection–diffusion matrix stops with diverged once ‖r‖ > dtol·‖r₀‖")
  func cgOnNonsymmetric() throws {
    let a = Self.convectionDiffusion
    #expect(!a.isSymmetric(tolerance: 1e-12))
    let b = a.applied(to: [Double](repeating: 1, count: a.columns))
    // The residual of CG on this matrix grows to ≈ 3.7e3·‖r₀‖ over 10,000 iterations, below
    // PETSc's default 1e5: a tighter dtol catches it.
    let result = try ConjugateGradient(stopping: StoppingCriterion(dtol: 100)).solve(a, b)
    #expect(result.reason == .diverged)
    #expect(result.iterations < 1_000, "\(result.iterations) iterations")
    #expect(result.residualNorm > 100 * Vector.norm(b))
    // Without the test it runs to the cap.
    let capped = try ConjugateGradient(stopping: StoppingCriterion(maxIterations: 2_000, dtol: nil)).solve(a, b)
    #expect(capped.reason == .maxIterations)
  }

  @Test("SOR on a symmetric indefinite matrix stops with diverged at the default dtol")
  func sorOnIndefinite() throws {
    let a = Poisson.matrix2D(12).shifted(by: -1)
    var rng = TestRandom(seed: 7)
    let b = rng.vector(a.rows)
    let result = try SOR(omega: 1.7).solve(a, b, x0: nil, monitor: nil)
    #expect(result.reason == .diverged)
    #expect(result.iterations < 1_000, "\(result.iterations) iterations")
    #expect(result.residualNorm > StoppingCriterion.defaultDivergenceTolerance * Vector.norm(b))
    #expect(result.residualNorm.isFinite)
  }

  @Test("The tracker: diverged only above dtol·‖r₀‖; nil never; dtol < 1 is refused")
  func tracker() throws {
    var tracker = ConvergenceTracker(criterion: StoppingCriterion(rtol: 1e-6, dtol: 10), rhsNorm: 1, monitor: nil, recordHistory: false)
    #expect(tracker.start(residualNorm: 2) == nil)
    #expect(tracker.step(residualNorm: 20) == nil)  // = dtol·‖r₀‖: not above
    #expect(tracker.step(residualNorm: 20.5) == .diverged)
    var off = ConvergenceTracker(criterion: StoppingCriterion(rtol: 1e-6, dtol: nil), rhsNorm: 1, monitor: nil, recordHistory: false)
    #expect(off.start(residualNorm: 1) == nil)
    #expect(off.step(residualNorm: 1e300) == nil)
    #expect(throws: LinSolveError.self) { try StoppingCriterion(dtol: 0.5).validate() }
  }
}
