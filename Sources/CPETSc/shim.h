// PETSc 3.18 for Swift (Debian petsc-dev, real scalars). Functions, types, enums and string
// constants (KSPCG, PCHYPRE, INSERT_VALUES, …) import as they are; what is a macro over a
// global or an expression is given by a function here.
#ifndef LINSOLVE_CPETSC_SHIM_H
#define LINSOLVE_CPETSC_SHIM_H
#include <mpi.h>
#include <petscksp.h>

/// PETSC_COMM_WORLD (a macro in some PETSc builds, a global in others).
static inline MPI_Comm linsolve_petsc_comm_world(void) { return PETSC_COMM_WORLD; }

/// PetscInitialize without the command line: the caller's options are not PETSc's, which reads
/// only PETSC_OPTIONS and what is inserted with PetscOptionsInsertString.
static inline PetscErrorCode linsolve_petsc_initialize(void) { return PetscInitializeNoArguments(); }

/// Errors are returned to the caller, which reports them once, instead of PETSc printing a
/// traceback on every rank.
static inline PetscErrorCode linsolve_petsc_return_errors(void) {
  return PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
}

/// PETSc's text for an error code (never NULL).
static inline const char *linsolve_petsc_error_text(PetscErrorCode code) {
  const char *text = NULL;
  PetscErrorMessage(code, &text, NULL);
  return text ? text : "unknown PETSc error";
}

/// The specific message of the last error PETSc raised ("Unknown PC type: nonexistent"), or "".
static inline const char *linsolve_petsc_error_detail(PetscErrorCode code) {
  const char *text = NULL;
  char *specific = NULL;
  PetscErrorMessage(code, &text, &specific);
  return specific ? specific : "";
}

/// PETSC_DETERMINE (the current log stage).
static inline int linsolve_petsc_determine(void) { return PETSC_DETERMINE; }

#endif
