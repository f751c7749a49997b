/* Hand-written C peers of LinSolve's iterative kernels (gcc -O3 -march=native -fopenmp).
 *
 *   cg_bench --dim 2 --N 1024 --runs 3 --threads 2 \
 *            --methods cg,cg-fused,pcg-jacobi,spmv,sor,memory [--spmv-reps 50] [--sor-sweeps 10]
 *
 * Same matrix layout as LinSolve (CSR, int64 row pointers, int32 columns), x0 = 0, b = A·1,
 * stop when ‖r‖ ≤ 1e-8·‖b‖ (recursive residual), at most 10,000 iterations.
 *
 * - cg:         textbook CG, one OpenMP loop per vector operation (SpMV, dot, axpy, axpy, dot,
 *               xpby): what a user writes first, or gets from calling BLAS level 1.
 * - cg-fused:   the "hand-tuned C" bound: one persistent parallel region, three passes per
 *               iteration (q = Ap with pᵀq; x += αp, r −= αq with rᵀr; p = r + βp), partial sums
 *               in padded slots and barriers instead of fork/join.
 * - pcg-jacobi: the same with z = D⁻¹r and rᵀz folded into the second pass.
 * - spmv:       y = A·x alone, --spmv-reps times (one run = the median over the reps).
 * - sor:        forward SOR sweeps (sequential, as any SOR) each followed by the true residual
 *               r = b − Ax and its norm (parallel), like LinSolve's SORIteration.sweep().
 * - memory:     one cg-fused solve in this process; reports the peak RSS growth.
 * Each measurement is one JSON line (see bench_common.h).
 */
#include "bench_common.h"

#include <math.h>
#include <omp.h>

#define RTOL 1e-8
#define MAX_ITERATIONS 10000
#define PAD 8 /* doubles per partial-sum slot: one cache line each */
/* Loops shorter than this run on one thread: LinSolve's rule (2 × Parallel.minimumChunk). */
#define PAR_MIN 16384

static int g_dim;
static int64_t g_N;
static uint64_t g_checksum;

/* ‖b − Ax‖ / ‖b‖, computed after the timed region. */
static double true_relres(const csr_t *A, const double *b, const double *x) {
  double rr = 0, bb = 0;
#pragma omp parallel for reduction(+ : rr, bb) schedule(static) if (A->n >= PAR_MIN)
  for (int64_t i = 0; i < A->n; i++) {
    double s = 0;
    for (int64_t k = A->rowptr[i]; k < A->rowptr[i + 1]; k++) s += A->val[k] * x[A->col[k]];
    double r = b[i] - s;
    rr += r * r;
    bb += b[i] * b[i];
  }
  return sqrt(rr) / sqrt(bb);
}

static void spmv(const csr_t *A, const double *x, double *y) {
  const int64_t *rp = A->rowptr;
  const int32_t *cp = A->col;
  const double *vp = A->val;
#pragma omp parallel for schedule(static) if (A->n >= PAR_MIN)
  for (int64_t i = 0; i < A->n; i++) {
    double s = 0;
    for (int64_t k = rp[i]; k < rp[i + 1]; k++) s += vp[k] * x[cp[k]];
    y[i] = s;
  }
}

static double dot(int64_t n, const double *x, const double *y) {
  double s = 0;
#pragma omp parallel for reduction(+ : s) schedule(static) if (n >= PAR_MIN)
  for (int64_t i = 0; i < n; i++) s += x[i] * y[i];
  return s;
}

static void axpy(int64_t n, double a, const double *x, double *y) {
#pragma omp parallel for schedule(static) if (n >= PAR_MIN)
  for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}

static void xpby(int64_t n, const double *x, double b, double *y) {
#pragma omp parallel for schedule(static) if (n >= PAR_MIN)
  for (int64_t i = 0; i < n; i++) y[i] = x[i] + b * y[i];
}

/* Textbook CG: 6 separate parallel loops per iteration. Returns iterations. */
static long cg_plain(const csr_t *A, const double *b, double *x, double *r, double *p, double *q) {
  int64_t n = A->n;
  memset(x, 0, sizeof(double) * (size_t)n);
  spmv(A, x, q);
#pragma omp parallel for schedule(static) if (n >= PAR_MIN)
  for (int64_t i = 0; i < n; i++) { r[i] = b[i] - q[i]; p[i] = r[i]; }
  double bnorm = sqrt(dot(n, b, b));
  double rr = dot(n, r, r);
  double threshold = RTOL * bnorm;
  long k = 0;
  if (sqrt(rr) <= threshold) return 0;
  while (k < MAX_ITERATIONS) {
    spmv(A, p, q);
    double alpha = rr / dot(n, p, q);
    axpy(n, alpha, p, x);
    axpy(n, -alpha, q, r);
    double rrNew = dot(n, r, r);
    k++;
    if (sqrt(rrNew) <= threshold) break;
    xpby(n, r, rrNew / rr, p);
    rr = rrNew;
  }
  return k;
}

static inline void chunk_of(int64_t n, int t, int T, int64_t *lo, int64_t *hi) {
  int64_t base = n / T, extra = n % T;
  *lo = t * base + (t < extra ? t : extra);
  *hi = *lo + base + (t < extra ? 1 : 0);
}

static inline double sum_slots(const double *slots, int T) {
  double s = 0;
  for (int t = 0; t < T; t++) s += slots[t * PAD];
  return s;
}

/* Fused CG (dinv == NULL) or fused PCG-Jacobi: three passes and three barriers per iteration. */
static long cg_fused(const csr_t *A, const double *b, const double *dinv, double *x, double *r,
                     double *p, double *q, double *z) {
  const int64_t n = A->n;
  const int64_t *rp = A->rowptr;
  const int32_t *cp = A->col;
  const double *vp = A->val;
  int T = omp_get_max_threads();
  double *slots = (double *)bench_alloc(sizeof(double) * PAD * (size_t)T * 4);
  long iterations = 0;
#pragma omp parallel if (n >= PAR_MIN)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    double *s1 = slots, *s2 = slots + PAD * nt, *s3 = slots + 2 * PAD * nt, *s4 = slots + 3 * PAD * nt;
    int64_t lo, hi;
    chunk_of(n, t, nt, &lo, &hi);
    /* r = b − A·x with x = 0; z = D⁻¹r; p = z; ‖b‖², rᵀr, rᵀz */
    double bb = 0, rr0 = 0, rz0 = 0;
    for (int64_t i = lo; i < hi; i++) {
      x[i] = 0;
    }
#pragma omp barrier
    for (int64_t i = lo; i < hi; i++) {
      double s = 0;
      for (int64_t k = rp[i]; k < rp[i + 1]; k++) s += vp[k] * x[cp[k]];
      double ri = b[i] - s;
      r[i] = ri;
      double zi = dinv ? dinv[i] * ri : ri;
      if (dinv) z[i] = zi;
      p[i] = zi;
      bb += b[i] * b[i];
      rr0 += ri * ri;
      rz0 += ri * zi;
    }
    s1[t * PAD] = bb;
    s2[t * PAD] = rr0;
    s3[t * PAD] = rz0;
#pragma omp barrier
    const double threshold = RTOL * sqrt(sum_slots(s1, nt));
    double rr = sum_slots(s2, nt);
    double rho = sum_slots(s3, nt);
    long k = 0;
    int done = sqrt(rr) <= threshold;
    while (!done && k < MAX_ITERATIONS) {
      /* pass 1: q = A p, pᵀq */
      double pq = 0;
      for (int64_t i = lo; i < hi; i++) {
        double s = 0;
        for (int64_t kk = rp[i]; kk < rp[i + 1]; kk++) s += vp[kk] * p[cp[kk]];
        q[i] = s;
        pq += p[i] * s;
      }
      s4[t * PAD] = pq;
#pragma omp barrier
      const double alpha = rho / sum_slots(s4, nt);
      /* pass 2: x += αp, r −= αq, rᵀr (and z = D⁻¹r, rᵀz) */
      double rrl = 0, rzl = 0;
      if (dinv) {
        for (int64_t i = lo; i < hi; i++) {
          x[i] += alpha * p[i];
          double ri = r[i] - alpha * q[i];
          r[i] = ri;
          double zi = dinv[i] * ri;
          z[i] = zi;
          rrl += ri * ri;
          rzl += ri * zi;
        }
      } else {
        for (int64_t i = lo; i < hi; i++) {
          x[i] += alpha * p[i];
          double ri = r[i] - alpha * q[i];
          r[i] = ri;
          rrl += ri * ri;
        }
      }
      /* s1/s2 were last read before the previous barrier, so they can be written now. */
      s1[t * PAD] = rrl;
      s2[t * PAD] = rzl;
#pragma omp barrier
      rr = sum_slots(s1, nt);
      const double rhoNew = dinv ? sum_slots(s2, nt) : rr;
      k++;
      if (sqrt(rr) <= threshold) { done = 1; break; }
      const double beta = rhoNew / rho;
      rho = rhoNew;
      /* pass 3: p = z + βp */
      const double *zz = dinv ? z : r;
      for (int64_t i = lo; i < hi; i++) p[i] = zz[i] + beta * p[i];
#pragma omp barrier
    }
    if (t == 0) iterations = k;
  }
  free(slots);
  return iterations;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  g_dim = atoi(arg_value(argc, argv, "--dim", "2"));
  g_N = atoll(arg_value(argc, argv, "--N", "256"));
  int runs = atoi(arg_value(argc, argv, "--runs", "3"));
  int threads = atoi(arg_value(argc, argv, "--threads", "2"));
  const char *methods = arg_value(argc, argv, "--methods", "cg,cg-fused,pcg-jacobi,spmv,sor");
  int spmv_reps = atoi(arg_value(argc, argv, "--spmv-reps", "30"));
  int sor_sweeps = atoi(arg_value(argc, argv, "--sor-sweeps", "10"));
  double omega = atof(arg_value(argc, argv, "--omega", "1.9"));
  omp_set_num_threads(threads);
  omp_set_dynamic(0);

  double rss0 = current_rss_bytes();
  csr_t A = poisson_csr(g_dim, g_N);
  g_checksum = csr_checksum(&A);
  const int64_t n = A.n;
  const int eff = n >= PAR_MIN ? threads : 1; /* threads actually used */
  double *b = (double *)bench_alloc(sizeof(double) * (size_t)n);
  double *x = (double *)bench_alloc(sizeof(double) * (size_t)n);
  /* b = A·1 */
  for (int64_t i = 0; i < n; i++) x[i] = 1.0;
  spmv(&A, x, b);

  if (has_method(methods, "memory")) {
    /* Only CG here: matrix, b, and the 4 CG vectors (x, r, p, q). */
    double *r = (double *)bench_alloc(sizeof(double) * (size_t)n);
    double *p = (double *)bench_alloc(sizeof(double) * (size_t)n);
    double *q = (double *)bench_alloc(sizeof(double) * (size_t)n);
    double t0 = now_seconds();
    long it = cg_fused(&A, b, NULL, x, r, p, q, NULL);
    double t1 = now_seconds();
    double model = (double)A.nnz * 12 + (double)(n + 1) * 8 + 4.0 * 8 * (double)n;
    char extra[256];
    snprintf(extra, sizeof extra,
             "\"rss_baseline_bytes\": %.0f, \"rss_peak_bytes\": %.0f, \"model_bytes\": %.0f",
             rss0, peak_rss_bytes(), model);
    emit("C (fused)", "memory", g_dim, g_N, n, A.nnz, eff, 0, it, t1 - t0, 0,
         true_relres(&A, b, x), g_checksum, extra);
    return 0;
  }

  double *r = (double *)bench_alloc(sizeof(double) * (size_t)n);
  double *p = (double *)bench_alloc(sizeof(double) * (size_t)n);
  double *q = (double *)bench_alloc(sizeof(double) * (size_t)n);
  double *z = (double *)bench_alloc(sizeof(double) * (size_t)n);
  double *dinv = (double *)bench_alloc(sizeof(double) * (size_t)n);
  for (int64_t i = 0; i < n; i++) {
    for (int64_t k = A.rowptr[i]; k < A.rowptr[i + 1]; k++)
      if (A.col[k] == i) dinv[i] = 1.0 / A.val[k];
  }

  for (int run = 0; run < runs; run++) {
    if (has_method(methods, "cg")) {
      double t0 = now_seconds();
      long it = cg_plain(&A, b, x, r, p, q);
      double t1 = now_seconds();
      emit("C (plain)", "cg", g_dim, g_N, n, A.nnz, eff, run, it, t1 - t0, 0,
           true_relres(&A, b, x), g_checksum, NULL);
    }
    if (has_method(methods, "cg-fused")) {
      double t0 = now_seconds();
      long it = cg_fused(&A, b, NULL, x, r, p, q, NULL);
      double t1 = now_seconds();
      emit("C (fused)", "cg", g_dim, g_N, n, A.nnz, eff, run, it, t1 - t0, 0,
           true_relres(&A, b, x), g_checksum, NULL);
    }
    if (has_method(methods, "pcg-jacobi")) {
      double t0 = now_seconds();
      long it = cg_fused(&A, b, dinv, x, r, p, q, z);
      double t1 = now_seconds();
      emit("C (fused)", "pcg-jacobi", g_dim, g_N, n, A.nnz, eff, run, it, t1 - t0, 0,
           true_relres(&A, b, x), g_checksum, NULL);
    }
    if (has_method(methods, "spmv")) {
      for (int64_t i = 0; i < n; i++) x[i] = 1.0 + 1e-3 * (double)(i % 7);
      double *times = (double *)bench_alloc(sizeof(double) * (size_t)spmv_reps);
      spmv(&A, x, q); /* warm */
      for (int rep = 0; rep < spmv_reps; rep++) {
        double t0 = now_seconds();
        spmv(&A, x, q);
        times[rep] = now_seconds() - t0;
      }
      qsort(times, (size_t)spmv_reps, sizeof(double), cmp_double);
      char extra[128];
      snprintf(extra, sizeof extra, "\"reps\": %d, \"min_seconds\": %.9g", spmv_reps, times[0]);
      emit("C", "spmv", g_dim, g_N, n, A.nnz, eff, run, 1, times[spmv_reps / 2], 0, 0,
           g_checksum, extra);
      free(times);
    }
    if (has_method(methods, "sor")) {
      /* diagonal positions, as LinSolve's SORIteration precomputes them */
      int64_t *diag = (int64_t *)bench_alloc(sizeof(int64_t) * (size_t)n);
      for (int64_t i = 0; i < n; i++)
        for (int64_t k = A.rowptr[i]; k < A.rowptr[i + 1]; k++)
          if (A.col[k] == i) diag[i] = k;
      memset(x, 0, sizeof(double) * (size_t)n);
      double t0 = now_seconds();
      double rnorm = 0;
      for (int s = 0; s < sor_sweeps; s++) {
        for (int64_t i = 0; i < n; i++) {
          double acc = 0;
          for (int64_t k = A.rowptr[i]; k < A.rowptr[i + 1]; k++) acc += A.val[k] * x[A.col[k]];
          x[i] += omega * (b[i] - acc) / A.val[diag[i]];
        }
        double rr = 0;
        const int64_t *rp = A.rowptr;
        const int32_t *cp = A.col;
        const double *vp = A.val;
#pragma omp parallel for reduction(+ : rr) schedule(static) if (n >= PAR_MIN)
        for (int64_t i = 0; i < n; i++) {
          double acc = 0;
          for (int64_t k = rp[i]; k < rp[i + 1]; k++) acc += vp[k] * x[cp[k]];
          double ri = b[i] - acc;
          r[i] = ri;
          rr += ri * ri;
        }
        rnorm = sqrt(rr);
      }
      double t1 = now_seconds();
      double bn = sqrt(dot(n, b, b));
      char extra[128];
      snprintf(extra, sizeof extra, "\"omega\": %g", omega);
      emit("C", "sor-sweep", g_dim, g_N, n, A.nnz, eff, run, sor_sweeps, t1 - t0, 0,
           rnorm / bn, g_checksum, extra);
      free(diag);
    }
  }
  return 0;
}
