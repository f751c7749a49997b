#!/usr/bin/env python3
"""`make bench-scaleout`: one system on 1 and 2 MPI ranks, LinSolve's PETSc engine
(`mpirun -np R solve A.mtx --engine petsc`) against PETSc's own ex-style driver
(Benchmarks/c/petsc_ksp.c) on the same matrix, CG with the same PCs and criterion (rtol 1e-8,
unpreconditioned norm, b = A·1), and LinSolve's native solve for reference.

    python3 Benchmarks/scaleout.py --solve .build-petsc/release/solve --driver .build-bench-peers/petsc_ksp \
        [--sizes 256 512] [--ranks 1 2] [--out results]

Writes results/scaleout.csv and results/scaleout.md (also printed). Seconds are KSPSetUp
(setup) and KSPSolve (solve) on the slowest rank; `read` is LinSolve's parse-and-assemble.

Then a sequence of T shifted 2-D Poisson systems A + c_t·I (`--sequence-grid`, `--sequence-systems`)
through `solve sequence`: one process, spread over R ranks (`mpirun -np R solve sequence`, the
ω learner pooled), and on the PETSc engine (each system across the R ranks); the wall seconds of
the whole command (start-up and reading included) and the iterations summed over the systems,
in results/scaleout_sequence.{csv,md}.
"""
import argparse
import csv
import json
import os
import subprocess
import tempfile
import time

import numpy as np
import scipy.io
import scipy.sparse as sp

MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe"]
# LinSolve's name and PETSc's -pc_type for each preconditioner compared.
PRECONDITIONERS = [("jacobi", ["-pc_type", "jacobi"]), ("amg", ["-pc_type", "hypre", "-pc_hypre_type", "boomeramg"])]


def poisson2d(n):
    t = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n))
    eye = sp.identity(n)
    return (sp.kron(eye, t) + sp.kron(t, eye)).tocsr()


def write_petsc_binary(a, path):
    """PETSc's binary matrix format: class id, sizes, row lengths, columns, values (big-endian)."""
    a = a.tocsr()
    a.sort_indices()
    with open(path, "wb") as f:
        np.array([1211216, a.shape[0], a.shape[1], a.nnz], dtype=">i4").tofile(f)
        np.diff(a.indptr).astype(">i4").tofile(f)
        a.indices.astype(">i4").tofile(f)
        a.data.astype(">f8").tofile(f)


def last_json(output):
    return json.loads([line for line in output.splitlines() if line.startswith("{")][-1])


def run_linsolve(solve, mtx, ranks, pc, engine):
    command = [solve, mtx, "--method", "cg", "--preconditioner", pc, "--rtol", "1e-8", "--json"]
    if engine == "petsc":
        command = MPIRUN + ["-np", str(ranks)] + command + ["--engine", "petsc"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=600)
    r = last_json(out.stdout)
    return dict(iterations=r["iterations"], read=r["readSeconds"], setup=r["setupSeconds"], solve=r["solveSeconds"],
                relres=r["relativeResidual"])


def run_driver(driver, petsc, ranks, options):
    command = MPIRUN + ["-np", str(ranks), driver, "-f", petsc] + options
    out = subprocess.run(command, capture_output=True, text=True, timeout=600)
    r = last_json(out.stdout)
    return dict(iterations=r["iterations"], read=None, setup=r["setupSeconds"], solve=r["solveSeconds"],
                relres=r["relativeResidual"])


def run_sequence(command, ranks):
    """Wall seconds and the JSON of one `solve sequence` (under mpirun when `ranks`)."""
    if ranks:
        command = MPIRUN + ["-np", str(ranks)] + command
    start = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: exit {out.returncode}: {out.stderr.strip()[-500:]}")
    return wall, last_json(out.stdout)


def sequences(solve, scratch, n, systems, ranks_list):
    """The sequence rows: one process vs R ranks (spread) vs the PETSc engine on R ranks."""
    rng = np.random.default_rng(1)
    shifts = rng.uniform(0.0, 0.5, systems)
    files = []
    for t, c in enumerate(shifts):
        path = os.path.join(scratch, f"seq_{t:03d}.mtx")
        scipy.io.mmwrite(path, (poisson2d(n) + c * sp.identity(n * n)).tocsr(), symmetry="general")
        files.append(path)
    contexts = os.path.join(scratch, "contexts.txt")
    with open(contexts, "w") as f:
        f.write("\n".join(f"{c:.17g}" for c in shifts) + "\n")
    cases = [
        ("pcg+ic0", ["--method", "pcg", "--preconditioner", "ic0"]),
        ("ssor-pcg, ω learned (chebcb)", ["--method", "ssor-pcg", "--tune=omega", "--context", contexts]),
    ]
    rows = []
    for label, options in cases:
        base = [solve, "sequence"] + files + options + ["--json"]
        variants = [("one process", None, base)]
        for ranks in ranks_list:
            variants.append(("spread over ranks", ranks, base))
            variants.append(("--engine petsc", ranks, base + ["--engine", "petsc"]))
        for who, ranks, command in variants:
            wall, r = run_sequence(command, ranks)
            worst = max(row["relativeResidual"] for row in r["systems"])
            rows.append(dict(problem=f"{systems} × 2-D Poisson {n}² + c·I", strategy=label, who=who, ranks=ranks or 1,
                             wall=wall, iterations=r["totalIterations"], seconds=r["totalSeconds"], worst_relres=worst))
    return rows


def write_table(rows, fields, out, name):
    with open(os.path.join(out, name + ".csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    fmt = lambda v: "" if v is None else (f"{v:.3g}" if isinstance(v, float) else str(v))
    lines = ["| " + " | ".join(fields) + " |", "|" + "---|" * len(fields)]
    lines += ["| " + " | ".join(fmt(r[k]) for k in fields) + " |" for r in rows]
    table = "\n".join(lines)
    with open(os.path.join(out, name + ".md"), "w") as f:
        f.write(table + "\n")
    print(table)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--solve", required=True)
    parser.add_argument("--driver", required=True)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--out", default="results")
    parser.add_argument("--sequence-grid", type=int, default=256, help="N of the sequence's N×N grids (0: no sequence rows)")
    parser.add_argument("--sequence-systems", type=int, default=8)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for n in args.sizes:
            a = poisson2d(n)
            mtx, petsc = os.path.join(scratch, "a.mtx"), os.path.join(scratch, "a.petsc")
            scipy.io.mmwrite(mtx, a, symmetry="general")
            write_petsc_binary(a, petsc)
            for pc, options in PRECONDITIONERS:
                runs = [("LinSolve native", 1, run_linsolve(args.solve, mtx, 1, pc, "native"))]
                for ranks in args.ranks:
                    runs.append(("LinSolve --engine petsc", ranks, run_linsolve(args.solve, mtx, ranks, pc, "petsc")))
                    runs.append(("PETSc ex-style driver", ranks, run_driver(args.driver, petsc, ranks, options)))
                for who, ranks, r in runs:
                    rows.append(dict(problem=f"2-D Poisson {n}²", n=n * n, preconditioner=pc, who=who, ranks=ranks, **r))
        fields = ["problem", "n", "preconditioner", "who", "ranks", "iterations", "read", "setup", "solve", "relres"]
        write_table(rows, fields, args.out, "scaleout")
        if args.sequence_grid > 0:
            ranks = [r for r in args.ranks if r > 1] or [2]
            print()
            write_table(sequences(args.solve, scratch, args.sequence_grid, args.sequence_systems, ranks),
                        ["problem", "strategy", "who", "ranks", "wall", "iterations", "seconds", "worst_relres"],
                        args.out, "scaleout_sequence")


if __name__ == "__main__":
    main()
