/* PETSc's own side of `make bench-scaleout`: an ex-style driver (as PETSc's
 * src/ksp/ksp/tutorials/ex10.c) that loads a matrix in PETSc's binary format (-f A.petsc), makes
 * b = A·1, solves with CG (unpreconditioned residual norm, rtol 1e-8, atol 0, as LinSolve's
 * criterion) and the PC of the options (-pc_type jacobi, -pc_type hypre, ...), and prints one JSON
 * line on rank 0: ranks, iterations, KSPSetUp and KSPSolve seconds (slowest rank), the true
 * relative residual. Build: mpicc $(pkg-config --cflags PETSc) petsc_ksp.c $(pkg-config --libs PETSc). */
#include <petscksp.h>

int main(int argc, char **argv) {
  char file[PETSC_MAX_PATH_LEN];
  PetscBool found;
  PetscViewer viewer;
  Mat A;
  Vec x, b, r;
  KSP ksp;
  KSPConvergedReason reason;
  PetscInt iterations;
  PetscReal rnorm, bnorm;
  PetscMPIInt size;
  double t0, t1, t2, local[2], slowest[2];

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-f", file, sizeof(file), &found));
  PetscCheck(found, PETSC_COMM_WORLD, PETSC_ERR_USER, "give the matrix with -f A.petsc");
  PetscCall(PetscViewerBinaryOpen(PETSC_COMM_WORLD, file, FILE_MODE_READ, &viewer));
  PetscCall(MatCreate(PETSC_COMM_WORLD, &A));
  PetscCall(MatSetType(A, MATAIJ));
  PetscCall(MatLoad(A, viewer));
  PetscCall(PetscViewerDestroy(&viewer));

  PetscCall(MatCreateVecs(A, &x, &b));
  PetscCall(VecDuplicate(b, &r));
  PetscCall(VecSet(x, 1.0));
  PetscCall(MatMult(A, x, b));
  PetscCall(VecSet(x, 0.0));

  PetscCall(KSPCreate(PETSC_COMM_WORLD, &ksp));
  PetscCall(KSPSetOperators(ksp, A, A));
  PetscCall(KSPSetType(ksp, KSPCG));
  PetscCall(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED));
  PetscCall(KSPSetTolerances(ksp, 1e-8, 0.0, PETSC_DEFAULT, 10000));
  PetscCall(KSPSetFromOptions(ksp));

  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  t0 = MPI_Wtime();
  PetscCall(KSPSetUp(ksp));
  t1 = MPI_Wtime();
  PetscCall(KSPSolve(ksp, b, x));
  t2 = MPI_Wtime();
  local[0] = t1 - t0;
  local[1] = t2 - t1;
  PetscCallMPI(MPI_Allreduce(local, slowest, 2, MPI_DOUBLE, MPI_MAX, PETSC_COMM_WORLD));

  PetscCall(KSPGetIterationNumber(ksp, &iterations));
  PetscCall(KSPGetConvergedReason(ksp, &reason));
  PetscCall(MatMult(A, x, r));
  PetscCall(VecAYPX(r, -1.0, b));
  PetscCall(VecNorm(r, NORM_2, &rnorm));
  PetscCall(VecNorm(b, NORM_2, &bnorm));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD,
                        "{\"ranks\": %d, \"iterations\": %" PetscInt_FMT ", \"reason\": %d, \"setupSeconds\": %.6g, "
                        "\"solveSeconds\": %.6g, \"relativeResidual\": %.6g}\n",
                        (int)size, iterations, (int)reason, slowest[0], slowest[1], (double)(rnorm / bnorm)));

  PetscCall(KSPDestroy(&ksp));
  PetscCall(VecDestroy(&x));
  PetscCall(VecDestroy(&b));
  PetscCall(VecDestroy(&r));
  PetscCall(MatDestroy(&A));
  PetscCall(PetscFinalize());
  return 0;
}
