/* Shared by the C and C++ peers of the LinSolve benchmark suite (make bench).
 *
 * - poisson_csr(): the 2-D 5-point / 3-D 7-point Laplacian exactly as LinSolve's
 *   Poisson.stencil builds it (unscaled: 4 or 6 on the diagonal, -1 off it; unknowns numbered
 *   lexicographically, x fastest; columns ascending in each row). CSR with int64 row pointers
 *   and int32 column indices: the same layout as LinSolve's SparseMatrix.
 * - csr_checksum(): a structural hash every peer computes the same way, so run.py can check that
 *   all peers solved the same matrix.
 * - emit(): one JSON object per measurement on stdout (the format run.py reads).
 */
#ifndef LINSOLVE_BENCH_COMMON_H
#define LINSOLVE_BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

typedef struct {
  int64_t n, nnz;
  int64_t *rowptr; /* n + 1 */
  int32_t *col;    /* nnz */
  double *val;     /* nnz */
} csr_t;

static inline void *bench_alloc(size_t bytes) {
  void *p = NULL;
  if (bytes == 0) bytes = 64;
  if (posix_memalign(&p, 64, bytes) != 0) {
    fprintf(stderr, "out of memory (%zu bytes)\n", bytes);
    exit(3);
  }
  return p;
}

/* The (2·dim+1)-point Laplacian on an N^dim grid (dim = 2 or 3). */
static inline csr_t poisson_csr(int dim, int64_t N) {
  csr_t A;
  int64_t n = 1, stride[3] = {1, 1, 1}, coord[3] = {0, 0, 0};
  for (int d = 0; d < dim; d++) n *= N;
  for (int d = 1; d < dim; d++) stride[d] = stride[d - 1] * N;
  int64_t cap = n * (2 * dim + 1);
  A.n = n;
  A.rowptr = (int64_t *)bench_alloc(sizeof(int64_t) * (size_t)(n + 1));
  A.col = (int32_t *)bench_alloc(sizeof(int32_t) * (size_t)cap);
  A.val = (double *)bench_alloc(sizeof(double) * (size_t)cap);
  int64_t k = 0;
  A.rowptr[0] = 0;
  for (int64_t i = 0; i < n; i++) {
    for (int d = dim - 1; d >= 0; d--)
      if (coord[d] > 0) { A.col[k] = (int32_t)(i - stride[d]); A.val[k] = -1.0; k++; }
    A.col[k] = (int32_t)i; A.val[k] = 2.0 * dim; k++;
    for (int d = 0; d < dim; d++)
      if (coord[d] < N - 1) { A.col[k] = (int32_t)(i + stride[d]); A.val[k] = -1.0; k++; }
    A.rowptr[i + 1] = k;
    for (int d = 0; d < dim; d++) {
      if (++coord[d] < N) break;
      coord[d] = 0;
    }
  }
  A.nnz = k;
  return A;
}

static inline void csr_free(csr_t *A) {
  free(A->rowptr); free(A->col); free(A->val);
  A->rowptr = NULL; A->col = NULL; A->val = NULL;
}

/* h = Σ_k (k+1)·((row+1)·1000003 + col+1)·(int64)value  (mod 2^64). Values are integers here. */
static inline uint64_t checksum_generic(int64_t n, const void *rowptr, int rowptr64,
                                        const int32_t *col, const double *val) {
  uint64_t h = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t s = rowptr64 ? ((const int64_t *)rowptr)[i] : ((const int32_t *)rowptr)[i];
    int64_t e = rowptr64 ? ((const int64_t *)rowptr)[i + 1] : ((const int32_t *)rowptr)[i + 1];
    for (int64_t k = s; k < e; k++) {
      uint64_t key = (uint64_t)(i + 1) * 1000003u + (uint64_t)(col[k] + 1);
      h += (uint64_t)(k + 1) * key * (uint64_t)(int64_t)val[k];
    }
  }
  return h;
}

static inline uint64_t csr_checksum(const csr_t *A) {
  return checksum_generic(A->n, A->rowptr, 1, A->col, A->val);
}

static inline double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Current resident set size in bytes (from /proc/self/statm). */
static inline double current_rss_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    fclose(f);
  }
  return (double)resident * 4096.0;
}

/* Peak resident set size in bytes (getrusage). */
static inline double peak_rss_bytes(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)u.ru_maxrss * 1024.0;
}

/* One measurement as a JSON object on one line. `extra` is either NULL or a fragment of JSON
 * members ("\"a\": 1, \"b\": 2") appended to the object. */
static inline void emit(const char *peer, const char *method, int dim, int64_t N, int64_t n,
                        int64_t nnz, int threads, int run, long iterations, double seconds,
                        double setup_seconds, double relres, uint64_t checksum,
                        const char *extra) {
  printf("{\"peer\": \"%s\", \"method\": \"%s\", \"problem\": \"%dd\", \"N\": %lld, \"n\": %lld, "
         "\"nnz\": %lld, \"threads\": %d, \"run\": %d, \"iterations\": %ld, \"seconds\": %.9g, "
         "\"setup_seconds\": %.9g, \"relres\": %.6g, \"checksum\": \"%016llx\"%s%s}\n",
         peer, method, dim, (long long)N, (long long)n, (long long)nnz, threads, run, iterations,
         seconds, setup_seconds, relres, (unsigned long long)checksum, extra ? ", " : "",
         extra ? extra : "");
  fflush(stdout);
}

/* A tiny "--key value" argument reader. */
static inline const char *arg_value(int argc, char **argv, const char *key, const char *fallback) {
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], key) == 0) return argv[i + 1];
  return fallback;
}

static inline int has_method(const char *list, const char *name) {
  size_t len = strlen(name);
  const char *p = list;
  while ((p = strstr(p, name)) != NULL) {
    int starts = (p == list) || p[-1] == ',';
    int ends = p[len] == '\0' || p[len] == ',';
    if (starts && ends) return 1;
    p += len;
  }
  return 0;
}

#endif
