// MPI for Swift (Open MPI; Debian libopenmpi-dev). Open MPI's handles (MPI_COMM_WORLD, MPI_INT,
// MPI_MAX, …) are macros over addresses of globals, which Swift cannot import: each is given
// by a function here.
#ifndef LINSOLVE_CMPI_SHIM_H
#define LINSOLVE_CMPI_SHIM_H
#include <mpi.h>

static inline MPI_Comm linsolve_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype linsolve_mpi_int(void) { return MPI_INT; }
static inline MPI_Datatype linsolve_mpi_char(void) { return MPI_CHAR; }
static inline MPI_Datatype linsolve_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype linsolve_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Op linsolve_mpi_min(void) { return MPI_MIN; }
static inline MPI_Op linsolve_mpi_max(void) { return MPI_MAX; }
static inline MPI_Op linsolve_mpi_sum(void) { return MPI_SUM; }
static inline int linsolve_mpi_success(void) { return MPI_SUCCESS; }

#endif
