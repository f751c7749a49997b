import ArgumentParser
import LinSolve

/// `--memory-limit`: what a solve may allocate, and the checks `solve` runs on the system it
/// has read before allocating any workspace.
///
/// Syntax: bytes with an optional binary suffix (`512M`, `4G`, `1.5G`, `64K`, `1048576`;
/// `K = 1024`, `KiB`/`KB` accepted), a percentage of the machine's memory (`50%`), or `none`.
/// Default: 3/4 of physical memory (`MemTotal`, or the cgroup limit when smaller).
enum MemoryLimit {
  /// The help text of `--memory-limit`.
  static let help: ArgumentHelp = ArgumentHelp(
    "Refuse a solve whose memory estimate (matrix, vectors and the method's workspace) is above this: bytes with an optional K, M, G, T suffix (binary: 1K = 1024), e.g. 512M, 4G; a percentage of physical memory, e.g. 50%; or none. Default: 75% (3/4 of physical memory).",
    valueName: "size")

  /// The limit in bytes that `text` asks for (`Int.max` for `none`).
  static func parse(_ text: String) throws -> Int {
    if text.lowercased() == "none" { return Int.max }
    guard let bytes = MemoryBudget.parseSize(text) else {
      throw ValidationError("--memory-limit '\(text)' is not a size: use bytes with an optional K, M, G or T suffix (1K = 1024), e.g. 512M or 4G, a percentage of physical memory such as 50%, or none")
    }
    return bytes
  }
}

extension SolveSystem {
  /// The checks between reading the system and solving it, in this order:
  ///
  /// 1. Structure. A square `A` with an empty row or column is structurally singular: an
  ///    error (exit 2) naming the first one (rows first). A tall `A` (least squares) with an
  ///    empty column is rank deficient: an error for the methods that need full column rank
  ///    (`lapack`, `sketch-lsqr`, `iterative-sketch` — their QR factor would have a zero
  ///    pivot), a note for `lsqr`, `lsmr`, `kaczmarz` and `sketch-project`, which return the
  ///    minimum-norm solution (0 in that column). Empty rows of a tall `A` are harmless.
  /// 2. Memory. The estimate for the resolved method (``MemoryEstimate``: the matrix, the
  ///    vectors, the method's and the preconditioner's workspace) against `--memory-limit`;
  ///    above it, an error naming the estimate and the limit. The limit also becomes
  ///    ``MemoryBudget/limitBytes``, so Cholesky and LU check their factor against it after
  ///    the symbolic analysis (the estimate here is their lower bound).
  func checkResources(_ a: SparseMatrix, method: Method, preconditioner: PreconditionerKind) throws {
    let name = method == self.method ? method.rawValue : "\(self.method.rawValue) (\(method.rawValue))"
    // 1. Structure.
    if a.rows == a.columns {
      do { try a.checkStructuralRank() } catch { throw CLIFailure.badInput("\(matrix): \(error)") }
    } else if let j = a.firstEmptyColumn() {
      if [.lapack, .sketchLSQR, .iterativeSketch].contains(method) {
        throw CLIFailure.badInput("\(matrix): matrix is rank deficient: column \(j + 1) has no entries (--method \(name) needs full column rank; lsqr and lsmr give the minimum-norm solution)")
      }
      if !json {
        standardError("solve: note: \(matrix): column \(j + 1) has no entries: x[\(j + 1)] is undetermined and the minimum-norm solution sets it to 0")
      }
    }

    // 2. Memory.
    let limit = try memoryLimit.map(MemoryLimit.parse) ?? MemoryBudget.defaultLimitBytes
    MemoryBudget.limitBytes = limit
    let estimate = memoryEstimate(a, method: method, preconditioner: preconditioner)
    guard estimate.bytes <= limit else {
      let source = memoryLimit == nil
        ? "the default --memory-limit, 3/4 of \(MemoryBudget.format(bytes: MemoryBudget.physicalMemoryBytes))"
        : "--memory-limit"
      throw CLIFailure.badInput("\(matrix): --method \(name) needs \(estimate), above the memory limit of \(MemoryBudget.format(bytes: limit)) (\(source))")
    }
  }

  /// What solving `a` by `method` needs: the matrix, `b`, `x` (and `x0`), the residual the
  /// verdict recomputes, and the method's workspace.
  func memoryEstimate(_ a: SparseMatrix, method: Method, preconditioner: PreconditionerKind) -> MemoryEstimate {
    let m = a.rows, n = a.columns, nnz = a.nonzeros
    var e = MemoryEstimate.matrix(a)
    e += .vectors(x0 == nil ? 3 : 4, length: max(m, n), label: "b, x and the residual")
    switch method {
    case .cg, .pcg:
      e += .conjugateGradient(n: n, preconditioned: preconditioner != .none)
    case .gmres:
      e += .gmres(n: n, restart: min(restart, max(n, 1)), preconditioned: preconditioner != .none)  // GMRES caps m at n
    case .minres:
      e += .minres(n: n, preconditioned: preconditioner != .none)
    case .bicgstab:
      e += .biCGSTAB(n: n, preconditioned: preconditioner != .none)
    case .amg:
      e += .vectors(2, length: n, label: "AMG iteration vectors")
      e += MemoryEstimate.sparseMatrix(rows: n, nonzeros: MemoryEstimate.multiply(nnz, 2), label: "AMG hierarchy (≈ 2× the matrix)")
    case .sor, .ssor:
      e += .sor(n: n)
    case .cholesky:
      e += .choleskyLowerBound(n: n, nonzeros: nnz)
    case .lu:
      e += .luLowerBound(n: n, nonzeros: nnz)
    case .lapack:
      e += .denseLeastSquares(rows: m, columns: n)
    case .lsqr:
      e += .lsqr(rows: m, columns: n, nonzeros: nnz)
    case .lsmr:
      e += .lsmr(rows: m, columns: n, nonzeros: nnz)
    case .sketchLSQR, .iterativeSketch:
      let factor = sketchOptions.sketchFactor ?? (method == .sketchLSQR ? 4 : 12)
      e += .sketching(rows: m, columns: n, nonzeros: nnz, factor: factor,
                      nonzerosPerColumn: sketchOptions.sketch == .gaussian ? nil : 8)
    case .kaczmarz, .sketchProject:
      e += .rowAction(rows: m, columns: n)
    case .auto:
      break  // resolved before this is called
    }
    if method.acceptsPreconditioner {
      switch preconditioner {
      case .none: break
      case .jacobi: e += .jacobi(n: n)
      case .ssor: e += .ssorPreconditioner(n: n)
      case .ic0, .learned: e += .incompleteFactorization(n: n, nonzeros: (nnz + n) / 2, label: "IC(0) factor")
      case .ilu0: e += .incompleteFactorization(n: n, nonzeros: nnz, label: "ILU(0) factor")
      case .cholesky: e += .choleskyLowerBound(n: n, nonzeros: nnz)
      case .nystrom: e += .nystrom(n: n, rank: min(sketchOptions.rank ?? 512, n))  // the rank is capped at n
      case .amgSA, .amg:
        // A rough bound, not a measurement of the hierarchy: the coarse operators plus the
        // prolongators and restrictions come to about 2× the matrix on Laplacians (operator
        // complexity ≈ 1.1–1.5), plus 4 vectors on the finest level and fewer below.
        e += MemoryEstimate.sparseMatrix(rows: n, nonzeros: MemoryEstimate.multiply(nnz, 2), label: "AMG-SA hierarchy (≈ 2× the matrix)")
        e += .vectors(4, length: n, label: "AMG cycle vectors")
      }
    }
    return e
  }
}
