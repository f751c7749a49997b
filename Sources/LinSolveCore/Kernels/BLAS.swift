import COpenBLAS

/// The thread count of OpenBLAS (dense BLAS/LAPACK and CHOLMOD's supernodal kernels).
///
/// OpenBLAS keeps its own thread pool, separate from ``Parallel/threads``. Idle OpenBLAS
/// threads spin for a while after each call; when Swift-threaded sparse loops run in between
/// (recycling solvers that call BLAS once per cycle), the two pools fight over the cores —
/// measured here: PCG went from 0.055 to 0.13 ms per iteration. Use 1 thread for sequences of
/// small dense calls inside iterative solves, and all cores for large dense work (`dgels`,
/// sketch QR, factorizations).
public enum BLAS {
  /// OpenBLAS threads (process-wide).
  public static var threads: Int {
    get { Int(openblas_get_num_threads()) }
    set { openblas_set_num_threads(Int32(max(1, newValue))) }
  }
}
