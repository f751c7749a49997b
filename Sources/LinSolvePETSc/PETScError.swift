#if PETSc
import CPETSc
import Foundation

/// A PETSc or MPI call that returned an error code: the call, the code and PETSc's text for it.
///
/// PETSc's own error handler is replaced by `PetscReturnErrorHandler` (``PETScSession``), so
/// nothing is printed by PETSc: the caller reports this error once.
public struct PETScError: Error, CustomStringConvertible, Sendable {
  /// The function that failed, e.g. `KSPSetUp`.
  public var call: String
  /// The `PetscErrorCode` (or MPI error class) it returned.
  public var code: Int32
  /// PETSc's description of the code.
  public var reason: String

  public var description: String { "PETSc: \(call) failed: \(reason) (error \(code))" }
}

/// Throws ``PETScError`` when `code` is not 0.
@inline(__always)
func check(_ code: PetscErrorCode, _ call: @autoclosure () -> String) throws(PETScError) {
  guard code != 0 else { return }
  let text = String(cString: linsolve_petsc_error_text(code))
  let detail = String(cString: linsolve_petsc_error_detail(code)).trimmingCharacters(in: .whitespacesAndNewlines)
  throw PETScError(call: call(), code: Int32(code), reason: detail.isEmpty ? text : "\(text): \(detail)")
}
#endif
