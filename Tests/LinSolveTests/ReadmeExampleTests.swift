import Foundation
import Testing
import LinSolve

// The README's library example, verbatim between the markers: this file compiling is what
// proves the example compiles, and the test below proves the README still shows it.
// README-EXAMPLE-BEGIN
func readmeExample() throws -> Double {
  let A = Poisson.matrix2D(64)                          // 4096×4096, 5-point Laplacian
  let b = A.applied(to: [Double](repeating: 1, count: A.columns))

  let cholesky = try CholeskyFactorization(A)           // CHOLMOD: analyse + factorize
  let x = try cholesky.solve(b)                         // reuse for many right-hand sides

  let residual = A.residualNorm(x: x, b: b) / Vector.norm(b)
  print("‖b − Ax‖/‖b‖ =", residual)
  return residual
}
// README-EXAMPLE-END

@Suite("README")
struct ReadmeExampleTests {
  @Test("The library example runs and is accurate")
  func exampleRuns() throws {
    #expect(try readmeExample() <= 1e-12)
  }

  @Test("README.md shows the example that this file compiles")
  func readmeShowsExample() throws {
    let here = URL(fileURLWithPath: #filePath)
    let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    let source = try String(contentsOf: here, encoding: .utf8)
    let example = try #require(
      source.components(separatedBy: "// README-EXAMPLE-BEGIN\n").dropFirst().first?
        .components(separatedBy: "// README-EXAMPLE-END").first)
    #expect(readme.contains(example), "README.md's library example differs from ReadmeExampleTests.swift")
  }
}
