/* CHOLMOD called directly from C (Debian libsuitesparse-dev), the peer of LinSolve's
 * CholeskyFactorization:
 *
 *   cholmod_bench --dim 2 --N 1024 --runs 3
 *
 * Per run: cholmod_analyze + cholmod_factorize + cholmod_solve on the same matrix LinSolve
 * factors, with the settings the Swift wrapper uses: the 32-bit interface, the CSR arrays seen
 * as the CSC of a symmetric matrix (stype = 1, no copy of the nonzeros), final_ll = 1, CHOLMOD's
 * default ordering choice (AMD, METIS if AMD fills badly) and supernodal/simplicial switch.
 * CHOLMOD's supernodal kernels call OpenBLAS: run.py sets OPENBLAS_NUM_THREADS the same for this
 * process and for LinSolve's. Narrowing the n + 1 row pointers to int32 is done once before the
 * timed region (it is the caller's conversion here; the Swift wrapper does it inside).
 */
#include "bench_common.h"

#include <math.h>
#include <suitesparse/cholmod.h>

int main(int argc, char **argv) {
  int dim = atoi(arg_value(argc, argv, "--dim", "2"));
  int64_t N = atoll(arg_value(argc, argv, "--N", "256"));
  int runs = atoi(arg_value(argc, argv, "--runs", "3"));
  int threads = atoi(arg_value(argc, argv, "--threads", "2"));

  csr_t A = poisson_csr(dim, N);
  const uint64_t checksum = csr_checksum(&A);
  const int64_t n = A.n;
  int32_t *pointers = (int32_t *)bench_alloc(sizeof(int32_t) * (size_t)(n + 1));
  for (int64_t i = 0; i <= n; i++) pointers[i] = (int32_t)A.rowptr[i];
  double *b = (double *)bench_alloc(sizeof(double) * (size_t)n);
  for (int64_t i = 0; i < n; i++) {
    double s = 0;
    for (int64_t k = A.rowptr[i]; k < A.rowptr[i + 1]; k++) s += A.val[k];
    b[i] = s; /* A·1 */
  }

  for (int run = 0; run < runs; run++) {
    cholmod_common common;
    cholmod_start(&common);
    common.print = 0;
    common.final_ll = 1;

    cholmod_sparse view;
    memset(&view, 0, sizeof view);
    view.nrow = (size_t)n;
    view.ncol = (size_t)n;
    view.nzmax = (size_t)A.nnz;
    view.p = pointers;
    view.i = A.col;
    view.x = A.val;
    view.stype = 1;
    view.itype = CHOLMOD_INT;
    view.xtype = CHOLMOD_REAL;
    view.dtype = CHOLMOD_DOUBLE;
    view.sorted = 1;
    view.packed = 1;

    cholmod_dense B;
    memset(&B, 0, sizeof B);
    B.nrow = (size_t)n;
    B.ncol = 1;
    B.nzmax = (size_t)n;
    B.d = (size_t)n;
    B.x = b;
    B.xtype = CHOLMOD_REAL;
    B.dtype = CHOLMOD_DOUBLE;

    double t0 = now_seconds();
    cholmod_factor *L = cholmod_analyze(&view, &common);
    double t1 = now_seconds();
    int ok = L && cholmod_factorize(&view, L, &common) && common.status == CHOLMOD_OK;
    double t2 = now_seconds();
    cholmod_dense *X = ok ? cholmod_solve(CHOLMOD_A, L, &B, &common) : NULL;
    double t3 = now_seconds();
    if (!X) {
      fprintf(stderr, "cholmod_bench: CHOLMOD failed (status %d)\n", common.status);
      return 1;
    }

    /* true residual, not timed */
    const double *x = (const double *)X->x;
    double rr = 0, bb = 0;
    for (int64_t i = 0; i < n; i++) {
      double s = 0;
      for (int64_t k = A.rowptr[i]; k < A.rowptr[i + 1]; k++) s += A.val[k] * x[A.col[k]];
      rr += (b[i] - s) * (b[i] - s);
      bb += b[i] * b[i];
    }
    const char *ordering = "other";
    switch (L->ordering) {
      case CHOLMOD_AMD: ordering = "AMD"; break;
      case CHOLMOD_METIS: ordering = "METIS"; break;
      case CHOLMOD_NESDIS: ordering = "NESDIS"; break;
      case CHOLMOD_NATURAL: ordering = "natural"; break;
      default: break;
    }
    char extra[320];
    snprintf(extra, sizeof extra,
             "\"analyze_seconds\": %.9g, \"factorize_seconds\": %.9g, \"solve_seconds\": %.9g, "
             "\"factor_nonzeros\": %.0f, \"supernodal\": %d, \"ordering\": \"%s\"",
             t1 - t0, t2 - t1, t3 - t2, common.lnz, (int)L->is_super, ordering);
    emit("CHOLMOD (C)", "cholesky", dim, N, n, A.nnz, threads, run, 0, t3 - t0, 0,
         sqrt(rr) / sqrt(bb), checksum, extra);
    cholmod_free_dense(&X, &common);
    cholmod_free_factor(&L, &common);
    cholmod_finish(&common);
  }
  return 0;
}
