#!/usr/bin/env python3
"""Multigrid against its peers on the same matrices, in the same run (`make bench-amg`).

For each problem — 2-D Poisson, 2-D diffusion with a high-contrast coefficient κ = exp(2.5 g)
(g a smooth Gaussian field), 2-D anisotropic diffusion, 2-D linear elasticity (pyamg's gallery,
Q1 plane strain) and 3-D Poisson — the matrix is written once as Matrix Market and solved to
rtol 1e-8 (b = A·1, true residual checked) by:
  LinSolve  `solve --method pcg --preconditioner amg` (Ruge–Stüben) and `amg-sa`, `--method auto`,
            `--preconditioner ic0` and `--method cholesky` (setup and solve as `solve --json`
            reports them),
  pyamg     smoothed aggregation and Ruge–Stüben, CG-accelerated (setup and solve timed here),
  PETSc     CG + hypre BoomerAMG, GAMG and block-Jacobi ICC on 1 and 2 ranks, when Debian's
            python3-petsc4py-real and openmpi-bin are installed (`Benchmarks/petsc_peer.py`).
Every peer runs with its own defaults. Writes results/amg.csv, results/amg.md (also printed) and
results/amg.svg; `--mode scaling` instead solves 2-D Poisson at N = 256 … 2048 with LinSolve's two
AMGs and hypre (1 rank) to show iteration counts against N (results/amg_scaling.*).

    python3 Benchmarks/amg.py --solve .build/release/solve --mode quick|full|scaling --out results
"""
import argparse, csv, json, os, subprocess, sys, tempfile, time

import numpy as np
import scipy.io
import scipy.sparse as sp


def laplacian_1d(n):
    return sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n))


def poisson(n, dim):
    t, eye = laplacian_1d(n), sp.identity(n)
    if dim == 2:
        return (sp.kron(eye, t) + sp.kron(t, eye)).tocsr()
    return (sp.kron(sp.kron(eye, eye), t) + sp.kron(sp.kron(eye, t), eye) + sp.kron(sp.kron(t, eye), eye)).tocsr()


def high_contrast_diffusion(n, seed=0):
    """−∇·(κ∇u) on the unit square, 5-point finite volumes with harmonic face averages, Dirichlet
    boundary; κ = exp(2.5 g), g a unit-variance Gaussian field with correlation length ~n/16 cells."""
    rng = np.random.default_rng(seed)
    k2 = np.fft.fftfreq(n)[:, None] ** 2 + np.fft.fftfreq(n)[None, :] ** 2
    g = np.real(np.fft.ifft2(np.fft.fft2(rng.standard_normal((n, n))) * np.exp(-k2 * (n / 16) ** 2 * np.pi ** 2 * 2)))
    kappa = np.exp(2.5 * (g - g.mean()) / g.std())
    index = np.arange(n * n).reshape(n, n)
    rows, cols, vals, diag = [], [], [], np.zeros(n * n)
    for di, dj in [(1, 0), (0, 1)]:
        a, b = kappa[: n - di, : n - dj], kappa[di:, dj:]
        c = (2 * a * b / (a + b)).ravel()
        i1, i2 = index[: n - di, : n - dj].ravel(), index[di:, dj:].ravel()
        rows += [i1, i2]
        cols += [i2, i1]
        vals += [-c, -c]
        np.add.at(diag, i1, c)
        np.add.at(diag, i2, c)
    boundary = np.zeros((n, n))
    boundary[0, :] += kappa[0, :]
    boundary[-1, :] += kappa[-1, :]
    boundary[:, 0] += kappa[:, 0]
    boundary[:, -1] += kappa[:, -1]
    diag += boundary.ravel()
    rows.append(np.arange(n * n))
    cols.append(np.arange(n * n))
    vals.append(diag)
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n * n, n * n))


def anisotropic(n, epsilon=0.001):
    """−ε u_xx − u_yy on an n × n grid, 5-point, Dirichlet boundary: strong coupling in y only."""
    t, eye = laplacian_1d(n), sp.identity(n)
    return (epsilon * sp.kron(eye, t) + sp.kron(t, eye)).tocsr()


def elasticity(n):
    """2-D linear elasticity, Q1 plane strain on an n × n grid (2 unknowns per node): pyamg's gallery."""
    import pyamg
    return pyamg.gallery.linear_elasticity((n, n), format="csr")[0].tocsr()


PROBLEMS = {
    "quick": [("2-D Poisson 256²", lambda: poisson(256, 2)), ("2-D diffusion κ contrast, 256²", lambda: high_contrast_diffusion(256)),
              ("2-D anisotropic ε = 0.001, 256²", lambda: anisotropic(256)), ("2-D elasticity 128²", lambda: elasticity(128)),
              ("3-D Poisson 32³", lambda: poisson(32, 3))],
    "full": [("2-D Poisson 1024²", lambda: poisson(1024, 2)), ("2-D diffusion κ contrast, 1024²", lambda: high_contrast_diffusion(1024)),
             ("2-D anisotropic ε = 0.001, 1024²", lambda: anisotropic(1024)), ("2-D elasticity 512²", lambda: elasticity(512)),
             ("3-D Poisson 100³", lambda: poisson(100, 3))],
    "scaling": [(f"2-D Poisson {n}²", (lambda n=n: poisson(n, 2))) for n in (256, 512, 1024, 2048)],
}

LINSOLVE = [("LinSolve AMG (RS) + CG", ["--method", "pcg", "--preconditioner", "amg"]),
            ("LinSolve AMG-SA + CG", ["--method", "pcg", "--preconditioner", "amg-sa"]),
            ("LinSolve auto", ["--method", "auto"]),
            ("LinSolve IC(0) + CG", ["--method", "pcg", "--preconditioner", "ic0"]),
            ("LinSolve CHOLMOD", ["--method", "cholesky"])]


def run_linsolve(solve, path, options):
    out = subprocess.run([solve, path, "--json", "--max-iterations", "20000", "--memory-limit", "none"] + options,
                         capture_output=True, text=True)
    if out.returncode not in (0, 1):
        return None
    r = json.loads(out.stdout)
    return dict(setup=r["setupSeconds"], solve=r["solveSeconds"], iterations=r["iterations"],
                residual=r["relativeResidual"], converged=r["converged"],
                note=r["method"] + (f" + {r['preconditioner']}" if r.get("preconditioner") not in (None, "", "none") else ""))


PETSC_DIR = "/usr/lib/petscdir/petsc3.18/x86_64-linux-gnu-real"
PETSC = [("PETSc CG + hypre BoomerAMG", "hypre"), ("PETSc CG + GAMG", "gamg"), ("PETSc CG + bjacobi ICC", "icc")]


def write_petsc_binary(a, path):
    """PETSc's binary matrix format: class id, sizes, row lengths, columns, values (big-endian)."""
    a = a.tocsr()
    a.sort_indices()
    with open(path, "wb") as f:
        np.array([1211216, a.shape[0], a.shape[1], a.nnz], dtype=">i4").tofile(f)
        np.diff(a.indptr).astype(">i4").tofile(f)
        a.indices.astype(">i4").tofile(f)
        a.data.astype(">f8").tofile(f)


def run_petsc(path, pc, ranks):
    """One solve through Debian's python3 + petsc4py (`Benchmarks/petsc_peer.py`); None if unavailable."""
    command = ["/usr/bin/python3", os.path.join(os.path.dirname(__file__), "petsc_peer.py"), path, pc]
    if ranks > 1:
        command = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", str(ranks)] + command
    env = dict(os.environ, PETSC_DIR=PETSC_DIR, OMPI_MCA_plm_rsh_agent="")
    try:
        out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0 or not out.stdout.strip():
        return None
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return dict(setup=r["setup"], solve=r["solve"], iterations=r["iterations"], residual=r["residual"],
                converged=r["converged"], note=f"{ranks} rank{'s' if ranks > 1 else ''}")


def run_pyamg(a, builder):
    b = a @ np.ones(a.shape[0])
    start = time.perf_counter()
    ml = builder(a)
    setup = time.perf_counter() - start
    residuals = []
    start = time.perf_counter()
    x = ml.solve(b, tol=1e-8, accel="cg", residuals=residuals, maxiter=500)
    solve = time.perf_counter() - start
    rel = np.linalg.norm(b - a @ x) / np.linalg.norm(b)
    return dict(setup=setup, solve=solve, iterations=len(residuals) - 1, residual=rel, converged=rel <= 1e-8 * (1 + 1e-6),
                note=f"operator complexity {ml.operator_complexity():.2f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--solve", default=".build/release/solve")
    parser.add_argument("--mode", choices=["quick", "full", "scaling"], default="quick")
    parser.add_argument("--out", default="results")
    args = parser.parse_args()
    try:
        import pyamg
    except ImportError:
        pyamg = None
        print("pyamg not installed: its rows are skipped (pip install pyamg)", file=sys.stderr)
    os.makedirs(args.out, exist_ok=True)
    scaling = args.mode == "scaling"
    if scaling:
        pyamg = None
    linsolve = [p for p in LINSOLVE if not scaling or "AMG" in p[0]]
    petsc = [p for p in PETSC if not scaling or p[1] == "hypre"]
    stem = "amg_scaling" if scaling else "amg"
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, make in PROBLEMS[args.mode]:
            try:
                a = make()
            except ImportError as error:
                print(f"== {name}: skipped ({error})", file=sys.stderr)
                continue
            path = os.path.join(scratch, "a.mtx")
            scipy.io.mmwrite(path, a)
            print(f"== {name}: n = {a.shape[0]:,}, nnz = {a.nnz:,}", file=sys.stderr)
            for peer, options in linsolve:
                if peer.endswith("CHOLMOD") and name.startswith("3-D") and a.shape[0] > 100_000:
                    continue  # fill makes it minutes; its row is not informative here
                r = run_linsolve(args.solve, path, options)
                if r:
                    rows.append(dict(problem=name, peer=peer, **r))
            if os.path.exists(PETSC_DIR):
                petsc_path = os.path.join(scratch, "a.petsc")
                write_petsc_binary(a, petsc_path)
                for peer, pc in petsc:
                    for ranks in ((1,) if scaling else (1, 2)):
                        r = run_petsc(petsc_path, pc, ranks)
                        if r:
                            rows.append(dict(problem=name, peer=f"{peer} ({ranks})", **r))
            if pyamg:
                for peer, builder in [("pyamg SA + CG", pyamg.smoothed_aggregation_solver), ("pyamg RS + CG", pyamg.ruge_stuben_solver)]:
                    rows.append(dict(problem=name, peer=peer, **run_pyamg(a, builder)))
    for r in rows:
        r["total"] = r["setup"] + r["solve"]
    with open(os.path.join(args.out, stem + ".csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["problem", "peer", "setup", "solve", "total", "iterations", "residual", "converged", "note"])
        writer.writeheader()
        writer.writerows(rows)
    lines = ["# Multigrid and its peers (`make bench-amg`, mode " + args.mode + ")", "",
             "Setup + solve in seconds, rtol 1e-8, b = A·1, true residual; `÷ best` is the time over the fastest row's.", "",
             "| problem | peer | setup s | solve s | total s | iterations | rel. residual | ÷ best | notes |", "|---|---|---|---|---|---|---|---|---|"]
    for problem in dict.fromkeys(r["problem"] for r in rows):
        group = [r for r in rows if r["problem"] == problem]
        base = min((r["total"] for r in group if r["converged"]), default=None)
        for r in group:
            ratio = f"{r['total'] / base:.2f}" if base else "–"
            lines.append(f"| {problem} | {r['peer']} | {r['setup']:.3f} | {r['solve']:.3f} | {r['total']:.3f} | {r['iterations']} | "
                         f"{r['residual']:.1e} | {ratio} | {r['note']} |")
    text = "\n".join(lines) + "\n"
    open(os.path.join(args.out, stem + ".md"), "w").write(text)
    print(text)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        problems = list(dict.fromkeys(r["problem"] for r in rows))
        peers = list(dict.fromkeys(r["peer"] for r in rows))
        if scaling:
            sizes = [int(p.split()[-1].rstrip("²")) for p in problems]
            fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
            for peer in peers:
                group = [next((r for r in rows if r["problem"] == p and r["peer"] == peer), None) for p in problems]
                left.plot(sizes, [r["iterations"] if r else np.nan for r in group], "o-", label=peer)
                right.plot([n * n for n in sizes], [r["total"] if r else np.nan for r in group], "o-", label=peer)
            left.set_xscale("log", base=2)
            left.set_xlabel("N (2-D Poisson N²)")
            left.set_ylabel("CG iterations to rtol 1e-8")
            left.set_ylim(bottom=0)
            right.set_xscale("log")
            right.set_yscale("log")
            right.set_xlabel("unknowns")
            right.set_ylabel("setup + solve (s)")
            left.legend(fontsize=8)
            fig.tight_layout()
            fig.savefig(os.path.join(args.out, stem + ".svg"))
            print(f"wrote {args.out}/{stem}.csv, {stem}.md, {stem}.svg", file=sys.stderr)
            return
        fig, ax = plt.subplots(figsize=(9, 4.5))
        width = 0.8 / len(peers)
        for k, peer in enumerate(peers):
            values = [next((r["total"] for r in rows if r["problem"] == p and r["peer"] == peer), np.nan) for p in problems]
            ax.bar(np.arange(len(problems)) + k * width, values, width, label=peer)
        ax.set_xticks(np.arange(len(problems)) + 0.4 - width / 2)
        ax.set_xticklabels(problems, fontsize=8)
        ax.set_yscale("log")
        ax.set_ylabel("setup + solve (s)")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(args.out, stem + ".svg"))
    except ImportError:
        print("matplotlib not installed: no SVG", file=sys.stderr)
    print(f"wrote {args.out}/{stem}.csv, {stem}.md, {stem}.svg", file=sys.stderr)


if __name__ == "__main__":
    main()
