// libFuzzer entry point for the Matrix Market reader (`make fuzz`).
//
// Built by the Makefile with `swiftc -sanitize=fuzzer,address -parse-as-library` together with
// the sources of LinSolveCore (matrices, kernels, I/O), not through SwiftPM: libFuzzer supplies `main`.
// Every input must either parse into a valid matrix with finite values or throw a
// `MatrixMarketError`; anything else (a trap, an out-of-bounds access, a leak, a hang) is a bug.
// Crashes it finds are kept as regression files in Tests/LinSolveTests/FuzzRegressions/.

@_cdecl("LLVMFuzzerTestOneInput")
public func matrixMarketFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: data, count: size)
  do {
    let content = try MatrixMarket.read(bytes: bytes, name: "fuzz")
    switch content {
    case .sparse(let a):
      // A parsed matrix must be a valid CSR matrix with finite values.
      precondition(a.rowPointers.count == a.rows + 1 && a.rowPointers.last == a.nonzeros)
      precondition(a.allFinite)
      precondition((try? SparseMatrix(rows: a.rows, columns: a.columns, rowPointers: a.rowPointers,
                                      columnIndices: a.columnIndices, values: a.values)) != nil)
    case .dense(let d):
      precondition(d.values.count == d.rows * d.columns)
      precondition(d.values.allSatisfy { $0.isFinite })
    }
  } catch {
    // A MatrixMarketError is the expected answer to bad input.
  }
  return 0
}
