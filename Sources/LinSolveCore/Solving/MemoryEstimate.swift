// Memory estimates and the memory budget: every method says up front how much it will
// allocate, so a 70-byte file that declares a 16,777,216 × 16,777,216 matrix is refused
// with a message instead of a 2 PB allocation or an out-of-memory kill.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// An estimate of the memory a computation will allocate, as a sum of named terms.
///
/// Estimates are upper-bound flavoured approximations (within a small factor), meant to
/// refuse hopeless requests before anything is allocated, not to predict the resident set
/// exactly. All arithmetic saturates at `Int.max`, so any input — including dimensions read
/// from a hostile header — gives a finite estimate and never traps.
///
/// ```swift
/// let e = MemoryEstimate.gmres(n: 1_000_000, restart: 30)
/// try MemoryBudget.check(e)          // throws LinSolveError.memoryLimitExceeded above the limit
/// print(e)                           // "≈ 252 MiB (GMRES(30): 33 vectors of 1000000)"
/// ```
///
/// The per-method estimates are in bytes of workspace the method allocates beyond its input
/// (the matrix and the right-hand side); add ``sparseMatrix(rows:nonzeros:)`` and
/// ``vectors(_:length:label:)`` for the input when a total is wanted (as the `solve` CLI does).
public struct MemoryEstimate: Sendable, Equatable, CustomStringConvertible {
  /// One named part of an estimate.
  public struct Term: Sendable, Equatable {
    /// What the bytes are for, e.g. `"dense 1000×100"` or `"GMRES(30): 33 vectors of 1000"`.
    public var label: String
    /// Bytes (saturated at `Int.max`).
    public var bytes: Int

    public init(label: String, bytes: Int) {
      self.label = label
      self.bytes = max(0, bytes)
    }
  }

  /// The parts, in the order they were added.
  public private(set) var terms: [Term]

  /// An estimate made of the given terms.
  public init(_ terms: [Term] = []) {
    self.terms = terms
  }

  /// One term.
  public init(label: String, bytes: Int) {
    self.terms = [Term(label: label, bytes: bytes)]
  }

  /// The total in bytes (a saturating sum of the terms).
  public var bytes: Int {
    terms.reduce(0) { MemoryEstimate.add($0, $1.bytes) }
  }

  /// The labels of the terms that dominate the total (each at least 10 % of it, at most
  /// three, largest first), joined with `" + "`; the empty string for an empty estimate.
  public var what: String {
    let total = bytes
    let sorted = terms.sorted { $0.bytes > $1.bytes }
    var shown = sorted.prefix(3).filter { total == 0 || Double($0.bytes) >= 0.1 * Double(total) }
    if shown.isEmpty, let first = sorted.first { shown = [first] }
    return shown.map(\.label).joined(separator: " + ")
  }

  /// `≈ 2.0 PiB (dense 16777216×16777216)`.
  public var description: String {
    let detail = what
    return "≈ " + MemoryBudget.format(bytes: bytes) + (detail.isEmpty ? "" : " (\(detail))")
  }

  /// The terms of both estimates.
  public static func + (lhs: MemoryEstimate, rhs: MemoryEstimate) -> MemoryEstimate {
    MemoryEstimate(lhs.terms + rhs.terms)
  }

  /// Adds the terms of `other`.
  public static func += (lhs: inout MemoryEstimate, rhs: MemoryEstimate) {
    lhs.terms += rhs.terms
  }

  // MARK: Saturating arithmetic

  /// `a + b`, or `Int.max` on overflow (negative operands count as 0).
  public static func add(_ a: Int, _ b: Int) -> Int {
    let (s, o) = max(0, a).addingReportingOverflow(max(0, b))
    return o ? Int.max : s
  }

  /// `a · b`, or `Int.max` on overflow (negative operands count as 0).
  public static func multiply(_ a: Int, _ b: Int) -> Int {
    let (p, o) = max(0, a).multipliedReportingOverflow(by: max(0, b))
    return o ? Int.max : p
  }

  /// The product of all factors, saturating.
  public static func product(_ factors: Int...) -> Int {
    factors.reduce(1) { multiply($0, $1) }
  }

  /// Bytes of `count` doubles.
  package static func doubles(_ count: Int) -> Int { multiply(count, 8) }

  // MARK: Building blocks

  /// `count` vectors of `length` doubles.
  public static func vectors(_ count: Int, length: Int, label: String) -> MemoryEstimate {
    MemoryEstimate(label: label, bytes: doubles(multiply(count, length)))
  }

  /// A CSR matrix: `rows + 1` row pointers (8 bytes), and 12 bytes (value and `Int32` column)
  /// per stored entry.
  public static func sparseMatrix(rows: Int, nonzeros: Int, label: String? = nil) -> MemoryEstimate {
    MemoryEstimate(
      label: label ?? "CSR matrix with \(nonzeros) entries",
      bytes: add(multiply(add(rows, 1), 8), multiply(nonzeros, 12)))
  }

  /// The CSR storage of `a`.
  public static func matrix(_ a: SparseMatrix) -> MemoryEstimate {
    sparseMatrix(rows: a.rows, nonzeros: a.nonzeros, label: "the matrix \(a.rows)×\(a.columns), \(a.nonzeros) entries")
  }

  /// A transposed copy of an `rows × columns` CSR matrix (what ``LSQR``, ``LSMR`` and the
  /// least-squares backward error use for `Aᵀ·v`).
  public static func transpose(rows: Int, columns: Int, nonzeros: Int) -> MemoryEstimate {
    sparseMatrix(rows: columns, nonzeros: nonzeros, label: "Aᵀ (\(columns)×\(rows), \(nonzeros) entries)")
  }

  // MARK: Krylov and stationary methods

  /// ``ConjugateGradient``: `x, r, p, A·p` (4 vectors), plus `z = M⁻¹r` when preconditioned.
  public static func conjugateGradient(n: Int, preconditioned: Bool) -> MemoryEstimate {
    let k = preconditioned ? 5 : 4
    return vectors(k, length: n, label: "CG: \(k) vectors of \(n)")
  }

  /// ``GMRES``(m): the `m + 1` Krylov basis vectors, `x` and two scratch vectors
  /// (`(m + 3)·n`), one more when preconditioned, and the `(m + 1) × m` Hessenberg matrix.
  public static func gmres(n: Int, restart: Int, preconditioned: Bool = false) -> MemoryEstimate {
    let k = add(restart, preconditioned ? 4 : 3)
    return MemoryEstimate([
      Term(label: "GMRES(\(restart)): \(k) vectors of \(n)", bytes: doubles(multiply(k, n))),
      Term(label: "GMRES(\(restart)) Hessenberg matrix", bytes: doubles(product(add(restart, 1), add(restart, 4)))),
    ])
  }

  /// ``BiCGSTAB``: about 8 vectors (10 when preconditioned).
  public static func biCGSTAB(n: Int, preconditioned: Bool = false) -> MemoryEstimate {
    let k = preconditioned ? 10 : 8
    return vectors(k, length: n, label: "BiCGSTAB: \(k) vectors of \(n)")
  }

  /// ``MINRES``: about 7 vectors (8 when preconditioned).
  public static func minres(n: Int, preconditioned: Bool = false) -> MemoryEstimate {
    let k = preconditioned ? 8 : 7
    return vectors(k, length: n, label: "MINRES: \(k) vectors of \(n)")
  }

  /// ``SOR`` and SSOR as iterations: the iterate and a residual vector (2 vectors) and the
  /// diagonal positions (`n` integers).
  public static func sor(n: Int) -> MemoryEstimate {
    vectors(3, length: n, label: "SOR: 3 vectors of \(n)")
  }

  // MARK: Preconditioners

  /// ``JacobiPreconditioner``: the inverse diagonal (one vector).
  public static func jacobi(n: Int) -> MemoryEstimate {
    vectors(1, length: n, label: "Jacobi: 1 vector of \(n)")
  }

  /// ``SSORPreconditioner``: the diagonal, its positions and one scratch vector (≈ 2 vectors
  /// and `n` integers).
  public static func ssorPreconditioner(n: Int) -> MemoryEstimate {
    vectors(3, length: n, label: "SSOR preconditioner: 3 vectors of \(n)")
  }

  /// ``IncompleteCholesky`` (IC(0)) and ``IncompleteLU`` (ILU(0)): a factor with the pattern of
  /// `A` (12 bytes per stored entry: a value and a column) plus two `n`-vectors (diagonal
  /// positions, a scratch vector).
  public static func incompleteFactorization(n: Int, nonzeros: Int, label: String = "incomplete factor") -> MemoryEstimate {
    MemoryEstimate(label: "\(label) (\(nonzeros) entries)", bytes: add(multiply(nonzeros, 12), doubles(multiply(2, n))))
  }

  /// ``NystromPreconditioner``: the `n × ℓ` test matrix, its image and the basis `U`
  /// (3·n·ℓ doubles).
  public static func nystrom(n: Int, rank: Int) -> MemoryEstimate {
    MemoryEstimate(label: "Nyström \(n)×\(rank) (3 blocks)", bytes: doubles(product(3, n, rank)))
  }

  // MARK: Direct methods

  /// A lower bound on a Cholesky factorization: `L` holds at least the lower triangle of `A`
  /// (`(nnz + n)/2` entries at 15 bytes, as ``CholeskyFactorization/FactorEstimate/bytes``),
  /// plus CHOLMOD's `O(n)` workspace. The real figure comes from
  /// ``CholeskyFactorization/analyze(_:)``; see ``cholesky(_:n:)``.
  ///
  /// (This file is part of the fuzzing build, which compiles `Core/` and `IO/` only; the
  /// estimates that need the direct solvers' types are in `Direct/MemoryEstimate+Direct.swift`.)
  public static func choleskyLowerBound(n: Int, nonzeros: Int) -> MemoryEstimate {
    let lower = add(nonzeros, n) / 2
    return MemoryEstimate(label: "Cholesky factor, at least \(lower) entries",
                          bytes: add(multiply(lower, 15), doubles(multiply(6, n))))
  }

  /// A lower bound on an UMFPACK LU factorization: `L + U` hold at least the entries of `A`
  /// (12 bytes each), plus the `Int32` column pointers and the solve workspace (`Wi`: n
  /// integers, `W`: 5n doubles). The estimate from the symbolic analysis is
  /// ``LUFactorization/memoryEstimate(for:)``.
  public static func luLowerBound(n: Int, nonzeros: Int) -> MemoryEstimate {
    MemoryEstimate(label: "LU factors, at least \(nonzeros) entries",
                   bytes: add(multiply(nonzeros, 12), doubles(multiply(7, n))))
  }

  /// ``DenseLeastSquares`` (LAPACKE `dgels`): a dense column-major copy of `A` (m·n doubles),
  /// a copy of `b` (m) and LAPACK's blocked workspace (about 64·n), as one term.
  public static func denseLeastSquares(rows m: Int, columns n: Int) -> MemoryEstimate {
    MemoryEstimate(label: "dense \(m)×\(n)", bytes: doubles(add(multiply(m, n), add(m, multiply(65, n)))))
  }

  /// ``LSQR``: `u` (m), `v, w, x` and a scratch (4 of n), and the transpose of `A`.
  public static func lsqr(rows m: Int, columns n: Int, nonzeros: Int) -> MemoryEstimate {
    MemoryEstimate([
      Term(label: "LSQR vectors", bytes: doubles(add(multiply(2, m), multiply(4, n)))),
    ]) + transpose(rows: m, columns: n, nonzeros: nonzeros)
  }

  /// ``LSMR``: as LSQR with two more `n`-vectors.
  public static func lsmr(rows m: Int, columns n: Int, nonzeros: Int) -> MemoryEstimate {
    MemoryEstimate([
      Term(label: "LSMR vectors", bytes: doubles(add(multiply(2, m), multiply(6, n)))),
    ]) + transpose(rows: m, columns: n, nonzeros: nonzeros)
  }

  /// The sketch size `d = min(m, ⌈γ·n⌉)` of the sketching solvers (saturating).
  public static func sketchRows(rows m: Int, columns n: Int, factor: Double) -> Int {
    let d = (max(1, factor) * Double(max(0, n))).rounded(.up)
    return d >= Double(Int.max) ? m : min(m, Int(d))
  }

  /// ``SketchPreconditionedLSQR`` and ``IterativeSketching``: the dense sketch `S·A`
  /// (`d × n` doubles with `d = min(m, ⌈γn⌉)`), the sparse-sign pattern (`ζ` 4-byte rows per
  /// column of `S`, twice while `S·A` is formed) or nothing for a Gaussian sketch (generated
  /// on the fly), the LSQR vectors and the transpose of `A`.
  public static func sketching(
    rows m: Int, columns n: Int, nonzeros: Int, factor: Double, nonzerosPerColumn zeta: Int? = 8
  ) -> MemoryEstimate {
    let d = sketchRows(rows: m, columns: n, factor: factor)
    var e = MemoryEstimate([
      Term(label: "sketch \(d)×\(n) dense", bytes: doubles(multiply(d, n))),
    ])
    if let zeta { e += MemoryEstimate(label: "sparse-sign pattern", bytes: product(2, 4, zeta, m)) }
    return e + lsqr(rows: m, columns: n, nonzeros: nonzeros)
  }

  /// ``RandomizedKaczmarz`` and ``SketchAndProject``: row norms and sampling weights (2 of m),
  /// the iterate and scratch (3 of n), and a `k × k` Gram block for block size `k`.
  public static func rowAction(rows m: Int, columns n: Int, blockSize k: Int = 1) -> MemoryEstimate {
    MemoryEstimate(label: "row-action vectors", bytes: doubles(add(add(multiply(2, m), multiply(3, n)), multiply(k, k))))
  }

  // MARK: Recycling

  /// ``DeflatedCG`` with a `k`-dimensional recycle space: `U`, `A·U` and the new basis
  /// (3 blocks of `n × k`), CG's 5 vectors and the `k × k` Gram matrices.
  public static func deflatedCG(n: Int, k: Int) -> MemoryEstimate {
    MemoryEstimate([
      Term(label: "recycle space: 3 blocks of \(n)×\(k)", bytes: doubles(product(3, n, k))),
      Term(label: "CG: 5 vectors of \(n)", bytes: doubles(multiply(5, n))),
      Term(label: "Gram matrices", bytes: doubles(product(2, k, k))),
    ])
  }

  /// ``GCRODR``(m, k): the Arnoldi basis (`m + 1` vectors), `U` and `C` and their updates
  /// (4 blocks of `n × k`), a few vectors, and the small dense matrices.
  public static func gcrodr(n: Int, restart m: Int, k: Int) -> MemoryEstimate {
    MemoryEstimate([
      Term(label: "GCRO-DR(\(m), \(k)) basis: \(add(m, 4)) vectors of \(n)", bytes: doubles(multiply(add(m, 4), n))),
      Term(label: "recycle space: 4 blocks of \(n)×\(k)", bytes: doubles(product(4, n, k))),
      Term(label: "small dense matrices", bytes: doubles(product(3, add(m, k + 1), add(m, k + 1)))),
    ])
  }
}

/// The memory budget: how much a solve may allocate, and the check against it.
///
/// The limit is ``limitBytes``: process-wide, initially ``defaultLimitBytes`` = 3/4 of the
/// machine's memory (``physicalMemoryBytes``: `MemTotal` from `/proc/meminfo`, or the cgroup
/// limit of the process when that is smaller; `sysconf` elsewhere).
/// ``CholeskyFactorization`` and ``LUFactorization`` take their ``CholeskyFactorization/memoryLimitBytes``
/// default from it when created, ``DenseLeastSquares`` checks against it, and the `solve` CLI
/// sets it from `--memory-limit`.
public enum MemoryBudget {
  /// The fraction of physical memory the default limit allows: 3/4.
  public static let defaultFraction = 0.75

  /// The memory available to this process: `MemTotal` from `/proc/meminfo` (or
  /// `sysconf(_SC_PHYS_PAGES) · pagesize`), lowered to the cgroup limit (v2 `memory.max`,
  /// v1 `memory.limit_in_bytes`) when one is set.
  public static var physicalMemoryBytes: Int { physical }

  private static let physical: Int = {
    var total = meminfoTotal() ?? 0
    if total <= 0 {
      let pages = Int(sysconf(Int32(_SC_PHYS_PAGES))), size = Int(sysconf(Int32(_SC_PAGESIZE)))
      total = pages > 0 && size > 0 ? MemoryEstimate.multiply(pages, size) : Int.max
    }
    if let cgroup = cgroupLimit(), cgroup > 0 { total = min(total, cgroup) }
    return total
  }()

  /// `defaultFraction · physicalMemoryBytes`.
  public static var defaultLimitBytes: Int {
    let p = physicalMemoryBytes
    return p == Int.max ? Int.max : Int(Double(p) * defaultFraction)
  }

  private static let limit = Mutex<Int>(defaultLimitBytes)

  /// The process-wide limit in bytes (initially ``defaultLimitBytes``). Factorizations
  /// created afterwards take it as their default ``LUFactorization/memoryLimitBytes``.
  public static var limitBytes: Int {
    get { limit.withLock { $0 } }
    set { limit.withLock { $0 = max(0, newValue) } }
  }

  /// Throws ``LinSolveError/memoryLimitExceeded(estimatedBytes:limitBytes:what:)`` when
  /// `estimate` is above `limit`.
  ///
  /// - Parameter what: what needs the memory, for the message (default: the estimate's
  ///   dominant terms).
  public static func check(_ estimate: MemoryEstimate, limit: Int = limitBytes, what: String? = nil)
    throws(LinSolveError)
  {
    let bytes = estimate.bytes
    guard bytes <= limit else {
      throw LinSolveError.memoryLimitExceeded(
        estimatedBytes: bytes, limitBytes: limit, what: what ?? estimate.what)
    }
  }

  /// Bytes in binary units with three significant digits at most: `512 B`, `1.0 KiB`,
  /// `17.3 GiB`, `2.0 PiB`; `Int.max` (a saturated estimate) prints as `≥ 8.0 EiB`.
  public static func format(bytes: Int) -> String {
    if bytes == Int.max { return "≥ 8.0 EiB" }
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var value = Double(max(0, bytes))
    var u = 0
    while value >= 1024 && u < units.count - 1 {
      value /= 1024
      u += 1
    }
    if u == 0 { return "\(max(0, bytes)) B" }
    if value < 99.95 {  // one decimal: 17.3 GiB
      let tenths = Int((value * 10).rounded())
      return "\(tenths / 10).\(tenths % 10) \(units[u])"
    }
    let whole = Int(value.rounded())  // none: 256 MiB
    if whole >= 1024 && u < units.count - 1 { return "1.0 \(units[u + 1])" }
    return "\(whole) \(units[u])"
  }

  /// Parses a size: a non-negative number of bytes with an optional binary suffix `K`, `M`,
  /// `G`, `T`, `P` (`1K = 1024`; `KiB`, `KB`, `k`, … are accepted too, all binary), e.g.
  /// `512M`, `4G`, `1.5G`, `1048576`; or a percentage of ``physicalMemoryBytes``, e.g. `50%`.
  /// `nil` for anything else (or a value that does not fit in an `Int`).
  public static func parseSize(_ text: String) -> Int? {
    var s = Substring(text.trimmingBlanks)
    guard !s.isEmpty else { return nil }
    if s.hasSuffix("%") {
      s.removeLast()
      guard let p = Double(s), p.isFinite, p >= 0, p <= 100 else { return nil }
      let bytes = Double(physicalMemoryBytes) * p / 100
      return bytes >= Double(Int.max) ? Int.max : Int(bytes)
    }
    let lower = s.lowercased()
    var number = Substring(lower)
    for suffix in ["ib", "b"] where number.hasSuffix(suffix) && number.count > suffix.count {
      number = number.dropLast(suffix.count)
      break
    }
    var scale = 1.0
    let unitLetters: [Character] = ["k", "m", "g", "t", "p"]
    if let last = number.last, let k = unitLetters.firstIndex(of: last) {
      scale = Double(1 << (10 * (k + 1)))
      number = number.dropLast()
    } else if lower.hasSuffix("ib") {
      return nil  // "ib" without a unit letter
    }
    guard !number.isEmpty, number.allSatisfy({ $0.isNumber || $0 == "." }),
      let value = Double(number), value.isFinite, value >= 0
    else { return nil }
    let bytes = (value * scale).rounded(.down)
    guard bytes < Double(Int.max) else { return nil }
    return Int(bytes)
  }

  // MARK: Reading the machine

  /// `MemTotal` of `/proc/meminfo`, in bytes.
  package static func meminfoTotal() -> Int? {
    guard let text = readSmallFile("/proc/meminfo") else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("MemTotal:") {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      guard fields.count >= 2, let kib = Int(fields[1]) else { return nil }
      return MemoryEstimate.multiply(kib, 1024)
    }
    return nil
  }

  /// The cgroup memory limit of this process, if one is set: `memory.max` of its cgroup v2,
  /// else the cgroup v1 `memory.limit_in_bytes` (whose "unlimited" is a huge number, which
  /// the caller's `min` ignores).
  static func cgroupLimit() -> Int? {
    var paths: [String] = []
    if let cgroup = readSmallFile("/proc/self/cgroup") {
      for line in cgroup.split(separator: "\n") where line.hasPrefix("0::") {
        let path = String(line.dropFirst(3))
        paths.append("/sys/fs/cgroup" + (path == "/" ? "" : path) + "/memory.max")
      }
    }
    paths += ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
    for path in paths {
      if let text = readSmallFile(path), let value = Int(text.trimmingBlanks) { return value }
    }
    return nil
  }

  /// The first 64 KiB of a (pseudo) file as text, or `nil`.
  static func readSmallFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes = [UInt8](repeating: 0, count: 1 << 16)
    var count = 0
    while count < bytes.count {
      let got = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
      if got < 0 && errno == EINTR { continue }
      if got <= 0 { break }
      count += got
    }
    return String(decoding: bytes[0..<count], as: UTF8.self)
  }
}

extension StringProtocol {
  /// The string without leading and trailing spaces, tabs and newlines.
  fileprivate var trimmingBlanks: String {
    let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
    guard let first = firstIndex(where: { !blank($0) }), let last = lastIndex(where: { !blank($0) }) else { return "" }
    return String(self[first...last])
  }
}
