#!/usr/bin/env python3
"""SciPy peer of the LinSolve benchmark suite (make bench).

    python3 scipy_bench.py --dim 2 --N 1024 --runs 3 --methods cg,pcg-jacobi,spsolve
    python3 scipy_bench.py --mmread FILE --runs 3

- cg:         scipy.sparse.linalg.cg(A, b, rtol=1e-8, atol=0, maxiter=10000); iterations are
              counted with the callback (SciPy calls it once per product A·p).
- pcg-jacobi: the same with M = D⁻¹ (a diagonal sparse matrix).
- spsolve:    scipy.sparse.linalg.spsolve(A.tocsc(), b) (SuperLU with COLAMD; SciPy's default
              direct solver: an LU, SciPy has no sparse Cholesky).
- mmread:     scipy.io.mmread(FILE) (the fast_matrix_market backend), seconds per read.

The matrix is built to be identical to LinSolve's Poisson.stencil (canonical CSR: sorted columns,
no duplicates, no explicit zeros) with int32 indices, and the structural checksum of
bench_common.h is computed to prove it. SciPy's SpMV and vector updates run on one thread; its
dot products and norms go through NumPy's BLAS (OPENBLAS_NUM_THREADS, set by run.py).
One JSON object per measurement on stdout.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import scipy
import scipy.io
import scipy.sparse as sp
import scipy.sparse.linalg as spla

RTOL = 1e-8
MAX_ITERATIONS = 10000
MASK = (1 << 64) - 1


def poisson(dim, N):
    """The (2·dim+1)-point Laplacian, unscaled, lexicographic (x fastest), canonical CSR."""
    T = sp.diags_array([-np.ones(N - 1), np.full(N, 2.0), -np.ones(N - 1)], offsets=[-1, 0, 1])
    I = sp.identity(N, format="csr")
    if dim == 2:
        A = sp.kron(I, T) + sp.kron(T, I)
    else:
        A = sp.kron(sp.kron(I, I), T) + sp.kron(sp.kron(I, T), I) + sp.kron(sp.kron(T, I), I)
    A = sp.csr_array(A)
    A.eliminate_zeros()
    A.sum_duplicates()
    A.sort_indices()
    A.indices = A.indices.astype(np.int32)
    A.indptr = A.indptr.astype(np.int32)
    return A


def checksum(A):
    """Σ_k (k+1)·((row+1)·1000003 + col+1)·value  (mod 2^64), as in bench_common.h."""
    n = A.shape[0]
    rows = np.repeat(np.arange(n, dtype=np.uint64), np.diff(A.indptr).astype(np.int64))
    k = np.arange(1, A.nnz + 1, dtype=np.uint64)
    key = (rows + np.uint64(1)) * np.uint64(1000003) + A.indices.astype(np.uint64) + np.uint64(1)
    vals = A.data.astype(np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        terms = k * key * vals
        h = int(terms.sum(dtype=np.uint64)) & MASK
    return f"{h:016x}"


def emit(**fields):
    print(json.dumps(fields), flush=True)


def blas_threads():
    try:
        from threadpoolctl import threadpool_info

        return max((p.get("num_threads", 1) for p in threadpool_info()), default=1)
    except Exception:
        return int(os.environ.get("OPENBLAS_NUM_THREADS", os.cpu_count() or 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dim", type=int, default=2)
    ap.add_argument("--N", type=int, default=256)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--methods", default="cg,pcg-jacobi,spsolve")
    ap.add_argument("--mmread", default=None)
    args = ap.parse_args()

    if args.mmread:
        size = os.path.getsize(args.mmread)
        for run in range(args.runs):
            t0 = time.perf_counter()
            M = scipy.io.mmread(args.mmread)
            t1 = time.perf_counter()
            emit(peer="SciPy", method="mmread", problem="file", N=0, n=M.shape[0], nnz=int(M.nnz),
                 threads=os.cpu_count(), run=run, iterations=0, seconds=t1 - t0,
                 setup_seconds=0, relres=0, checksum="", bytes=size, mb_per_s=size / (t1 - t0) / 1e6)
            del M
        return

    A = poisson(args.dim, args.N)
    n = A.shape[0]
    h = checksum(A)
    b = A @ np.ones(n)
    bnorm = np.linalg.norm(b)
    methods = args.methods.split(",")
    common = dict(problem=f"{args.dim}d", N=args.N, n=n, nnz=int(A.nnz), checksum=h)
    bt = blas_threads()

    for run in range(args.runs):
        for method in ("cg", "pcg-jacobi"):
            if method not in methods:
                continue
            t0 = time.perf_counter()
            M = sp.diags_array(1.0 / A.diagonal()).tocsr() if method == "pcg-jacobi" else None
            t1 = time.perf_counter()
            count = [0]

            def callback(_xk):
                count[0] += 1

            x, info = spla.cg(A, b, rtol=RTOL, atol=0.0, maxiter=MAX_ITERATIONS, M=M,
                              callback=callback)
            t2 = time.perf_counter()
            relres = float(np.linalg.norm(b - A @ x) / bnorm)
            emit(peer="SciPy", method=method, threads=1, blas_threads=bt, run=run,
                 iterations=count[0], seconds=t2 - t1, setup_seconds=t1 - t0, relres=relres,
                 info=int(info), **common)
        if "spsolve" in methods:
            Ac = A.tocsc()
            t0 = time.perf_counter()
            x = spla.spsolve(Ac, b)
            t1 = time.perf_counter()
            relres = float(np.linalg.norm(b - A @ x) / bnorm)
            emit(peer="SciPy", method="cholesky", solver="spsolve (SuperLU)", threads=1,
                 blas_threads=bt, run=run, iterations=0, seconds=t1 - t0, setup_seconds=0,
                 relres=relres, **common)


if __name__ == "__main__":
    sys.exit(main())
