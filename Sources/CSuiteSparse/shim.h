#ifndef LINSOLVE_CSUITESPARSE_SHIM_H
#define LINSOLVE_CSUITESPARSE_SHIM_H
/* Debian's SuiteSparse 5.12 ships no pkg-config files; headers live in <suitesparse/>. */
#include <suitesparse/cholmod.h>
#include <suitesparse/umfpack.h>
#endif
