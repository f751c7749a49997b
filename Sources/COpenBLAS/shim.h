#ifndef LINSOLVE_COPENBLAS_SHIM_H
#define LINSOLVE_COPENBLAS_SHIM_H
#include <cblas.h>
/* OpenBLAS extensions: thread control (process-global). */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
#endif
