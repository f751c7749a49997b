#ifndef LINSOLVE_CLAPACKE_SHIM_H
#define LINSOLVE_CLAPACKE_SHIM_H
#include <lapacke.h>
#endif
