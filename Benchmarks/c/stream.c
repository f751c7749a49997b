/* STREAM-style triad a[i] = b[i] + s·c[i] (gcc -O3 -march=native -fopenmp): the machine's
 * sustainable memory bandwidth, the ceiling for SpMV and CG.
 *
 *   stream_bench --threads 2 [--length 20000000] [--reps 20]
 *
 * Bytes per element: 24 (read b and c, write a), the STREAM convention: the write-allocate
 * read of a is not counted (the SpMV and CG byte models do not count it either). Arrays are
 * first touched by the threads that use them. Reports the median and the best rep as JSON.
 */
#include "bench_common.h"

#include <omp.h>

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  int threads = atoi(arg_value(argc, argv, "--threads", "2"));
  int64_t n = atoll(arg_value(argc, argv, "--length", "20000000"));
  int reps = atoi(arg_value(argc, argv, "--reps", "20"));
  omp_set_num_threads(threads);
  omp_set_dynamic(0);
  double *a = (double *)bench_alloc(sizeof(double) * (size_t)n);
  double *b = (double *)bench_alloc(sizeof(double) * (size_t)n);
  double *c = (double *)bench_alloc(sizeof(double) * (size_t)n);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) { a[i] = 0; b[i] = 1; c[i] = 2; }
  double *times = (double *)bench_alloc(sizeof(double) * (size_t)reps);
  const double s = 3.0;
  for (int r = -1; r < reps; r++) {
    double t0 = now_seconds();
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++) a[i] = b[i] + s * c[i];
    double t = now_seconds() - t0;
    if (r >= 0) times[r] = t;
  }
  /* keep the result alive */
  double check = a[n / 2] + a[n - 1];
  qsort(times, (size_t)reps, sizeof(double), cmp_double);
  double bytes = 24.0 * (double)n;
  char extra[256];
  snprintf(extra, sizeof extra,
           "\"bytes\": %.0f, \"gbps_median\": %.4f, \"gbps_best\": %.4f, \"check\": %g", bytes,
           bytes / times[reps / 2] / 1e9, bytes / times[0] / 1e9, check);
  emit("STREAM triad", "triad", 0, 0, n, 0, threads, 0, reps, times[reps / 2], 0, 0, 0, extra);
  return 0;
}
