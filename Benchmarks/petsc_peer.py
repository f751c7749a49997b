#!/usr/bin/python3
"""One PETSc solve for `Benchmarks/amg.py`: CG preconditioned by hypre BoomerAMG, GAMG or
block-Jacobi ICC on a matrix in PETSc's binary format, b = A·1, rtol 1e-8 (unpreconditioned
residual norm, as LinSolve's criterion), printing one JSON line: setup and solve seconds,
iterations, the true relative residual. Runs under Debian's python3 with python3-petsc4py-real:

    PETSC_DIR=/usr/lib/petscdir/petsc3.18/x86_64-linux-gnu-real python3 Benchmarks/petsc_peer.py A.petsc hypre
    mpirun -np 2 ... (the same, on 2 ranks; every rank takes part in the collective norms)
"""
import json, sys, time

import petsc4py

petsc4py.init(sys.argv[:1])
from petsc4py import PETSc


def main():
    path, pc = sys.argv[1], sys.argv[2]
    comm = PETSc.COMM_WORLD
    a = PETSc.Mat().create(comm=comm)
    a.setType(PETSc.Mat.Type.AIJ)
    a.load(PETSc.Viewer().createBinary(path, "r", comm=comm))
    x, b = a.createVecs()
    one = b.duplicate()
    one.set(1.0)
    a.mult(one, b)
    ksp = PETSc.KSP().create(comm=comm)
    ksp.setOperators(a)
    ksp.setType("cg")
    ksp.setNormType(PETSc.KSP.NormType.UNPRECONDITIONED)
    ksp.setTolerances(rtol=1e-8, atol=0.0, max_it=20000)
    p = ksp.getPC()
    if pc == "hypre":
        p.setType("hypre")
        p.setHYPREType("boomeramg")
    elif pc == "gamg":
        p.setType("gamg")
    else:  # block-Jacobi with ICC(0) on each rank's block
        p.setType("bjacobi")
        PETSc.Options().setValue("sub_pc_type", "icc")
    ksp.setFromOptions()
    comm.barrier()
    start = time.perf_counter()
    ksp.setUp()
    comm.barrier()
    setup = time.perf_counter() - start
    start = time.perf_counter()
    ksp.solve(b, x)
    comm.barrier()
    solve = time.perf_counter() - start
    r = b.duplicate()
    a.mult(x, r)
    r.aypx(-1.0, b)
    relative = r.norm() / b.norm()  # collective: every rank calls it
    if comm.getRank() == 0:
        print(json.dumps(dict(setup=setup, solve=solve, iterations=ksp.getIterationNumber(), residual=relative,
                              converged=ksp.getConvergedReason() > 0, ranks=comm.getSize())))


if __name__ == "__main__":
    main()
