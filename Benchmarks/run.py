#!/usr/bin/env python3
"""Runs LinSolve and its peers side by side and writes results/bench.{csv,md,svg}.

    python3 Benchmarks/run.py --mode quick|full --peers .build-bench-peers \
        --swift .build/release/linsolve-bench --out results

(`make bench-quick` and `make bench` build everything and call this.)

Peers, all on the same matrices (checked by a structural checksum) and settings (x0 = 0,
b = A·1, stop at ‖r‖ ≤ 1e-8·‖b‖, at most 10,000 iterations):
  C (plain), C (fused)   hand-written CG / PCG-Jacobi / SpMV / SOR over CSR (Benchmarks/c/cg.c)
  Eigen                  ConjugateGradient (Identity, Diagonal; Lower|Upper, OpenMP), SimplicialLLT
  SciPy                  scipy.sparse.linalg.cg, spsolve; scipy.io.mmread
  CHOLMOD (C)            analyze + factorize + solve called from C
  STREAM triad           memory bandwidth with 1 and 2 threads
  LinSolve               linsolve-bench (Benchmarks/Swift)

Runs are interleaved (round r runs every peer once, then round r + 1), so a burst of noise
from other processes on the machine hits all peers alike; every figure is the median over the
rounds, and every ratio compares medians from this one invocation.
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

THREADS = 2  # LinSolve's Parallel.threads and the OpenMP peers' team size

MODES = {
    # make bench-quick: small sizes, under a minute once built.
    "quick": {
        "workloads": [(2, 256, 3), (3, 32, 3)],
        "cholesky": {(2, 256)},
        "eigen_llt": {(2, 256)},
        "spsolve": {(2, 256)},
        "mm": (2, 256),
        "mm_runs": 3,
        "memory": (2, 256),
        "stream_rounds": 1,
        "stream_length": 10_000_000,
        "adjacent_stream": ("10000000", "5"),
        "kernel_threads": (THREADS,),
        "spmv_reps": 20,
        "sor_sweeps": 5,
        "target_size": (2, 256),
        "spmv_target_sizes": [(2, 256)],
        "kernels": [(2, 256)],
    },
    # make bench: the full table.
    "full": {
        "workloads": [(2, 256, 5), (2, 512, 5), (2, 1024, 3), (3, 64, 5), (3, 100, 3)],
        "cholesky": {(2, 256), (2, 512), (2, 1024), (3, 64)},
        "eigen_llt": {(2, 256), (2, 512), (2, 1024)},
        "spsolve": {(2, 256), (2, 512), (2, 1024)},
        "mm": (2, 1024),
        "mm_runs": 3,
        "memory": (2, 1024),
        "stream_rounds": 3,
        "stream_length": 40_000_000,
        "adjacent_stream": ("20000000", "10"),
        "kernel_threads": (THREADS, 1),
        "spmv_reps": 30,
        "sor_sweeps": 10,
        "target_size": (2, 1024),
        "spmv_target_sizes": [(2, 1024), (3, 100)],
        "kernels": [(2, 256), (2, 1024), (3, 100)],
    },
}

TIMEOUT = 1800  # seconds per peer process

ITERATIVE = ("cg", "pcg-jacobi", "pcg-ic0")


# ---------------------------------------------------------------------------------------------
# Byte models (bytes moved per iteration, the minimum for the method, the same for every peer):
# matrix = 12·nnz + 8·(n+1)  (8-byte value + 4-byte column index per nonzero, 8-byte row pointer)
def matrix_bytes(n, nnz):
    return 12 * nnz + 8 * (n + 1)


KERNEL_BYTES = {"kernel:dot": 16, "kernel:axpy": 24, "kernel:xpby": 24}


def bytes_per_iteration(method, n, nnz):
    m = matrix_bytes(n, nnz)
    if method == "kernel:spmv":
        return m + 16 * n
    if method == "kernel:split-row-sum":  # values and row pointers only
        return 8 * nnz + 8 * (n + 1)
    if method in KERNEL_BYTES:
        return KERNEL_BYTES[method] * n
    if method == "spmv":  # A, x read once (stencil reuse in cache), y written
        return m + 16 * n
    if method == "cg":  # q=Ap & pᵀq: 2 vectors; x,r update & rᵀr: 6; p=r+βp: 3
        return m + 8 * n * 11
    if method == "pcg-jacobi":  # as CG, second pass also reads D⁻¹ and writes z: 13
        return m + 8 * n * 13
    if method == "pcg-ic0":  # CG + rᵀz, plus L and Lᵀ by rows (2 sweeps over 12·nnz(L) + pointers)
        nnz_l = (nnz - n) // 2
        return m + 8 * n * 13 + 24 * nnz_l + 16 * (n + 1) + 56 * n
    if method == "sor-sweep":  # sweep (A, diag index, b, x r/w) + residual (A, x, b, r)
        return 2 * m + 56 * n
    return None


BYTE_MODELS = [
    ("matrix", "12·nnz + 8·(n+1): 8-byte value + 4-byte column per nonzero, 8-byte row pointers"),
    ("spmv", "matrix + 16·n (x read once, y written)"),
    ("cg", "matrix + 11·8·n (q=Ap with pᵀq: p, q; x+=αp, r−=αq with rᵀr: x, p, r, q, x, r; p=r+βp: r, p, p)"),
    ("pcg-jacobi", "matrix + 13·8·n (as CG, the second pass also reads D⁻¹ and writes z)"),
    ("pcg-ic0", "matrix + 13·8·n + 2·(12·nnz(L) + 8·(n+1)) + 56·n, nnz(L) = (nnz−n)/2 (two triangular sweeps)"),
    ("sor-sweep", "2·matrix + 56·n (the sweep, then the residual b − Ax LinSolve computes after each sweep)"),
]


# ---------------------------------------------------------------------------------------------
def run_process(cmd, env_extra=None, label=""):
    env = dict(os.environ)
    env.update(env_extra or {})
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        print(f"  ! {label}: timed out after {TIMEOUT} s", file=sys.stderr)
        return []
    if p.returncode != 0:
        print(f"  ! {label}: exit {p.returncode}: {p.stderr.strip()[-500:]}", file=sys.stderr)
    records = []
    for line in p.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                print(f"  ! {label}: bad line {line[:120]}", file=sys.stderr)
    print(f"  {label:<58} {time.time() - t0:7.1f} s", file=sys.stderr, flush=True)
    return records


class Runner:
    def __init__(self, args):
        self.args = args
        self.mode = MODES[args.mode]
        self.peers = Path(args.peers)
        self.swift = args.swift
        self.records = []

    def add(self, records, round_index, config):
        for r in records:
            r["run"] = round_index
            r["config_threads"] = config
            self.records.append(r)

    def stream(self):
        for rnd in range(self.mode["stream_rounds"]):
            for t in (1, 2):
                cmd = [str(self.peers / "stream_bench"), "--threads", str(t),
                       "--length", str(self.mode["stream_length"])]
                self.add(run_process(cmd, {"OMP_NUM_THREADS": str(t)}, f"STREAM triad, {t} thread(s)"), rnd, t)

    def workload(self, dim, N, rounds):
        m = self.mode
        key = (dim, N)
        common = ["--dim", str(dim), "--N", str(N), "--runs", "1"]
        omp = {"OMP_NUM_THREADS": str(THREADS), "OPENBLAS_NUM_THREADS": str(THREADS)}
        name = f"{dim}-D N={N}"
        for rnd in range(rounds):
            print(f"- {name}, round {rnd + 1}/{rounds}", file=sys.stderr)
            self.add(run_process(
                [str(self.peers / "cg_bench"), *common, "--threads", str(THREADS),
                 "--methods", "cg,cg-fused,pcg-jacobi,spmv,sor",
                 "--spmv-reps", str(m["spmv_reps"]), "--sor-sweeps", str(m["sor_sweeps"])],
                omp, f"C: cg, cg-fused, pcg-jacobi, spmv, sor ({name})"), rnd, THREADS)
            self.add(run_process(
                [str(self.peers / "cg_bench"), *common, "--threads", "1", "--methods", "cg-fused,spmv",
                 "--spmv-reps", str(m["spmv_reps"])],
                {"OMP_NUM_THREADS": "1"}, f"C: cg-fused, spmv, 1 thread ({name})"), rnd, 1)
            eig = "cg,pcg-jacobi" + (",llt" if key in m["eigen_llt"] else "")
            self.add(run_process(
                [str(self.peers / "eigen_bench"), *common, "--threads", str(THREADS), "--methods", eig],
                omp, f"Eigen: {eig} ({name})"), rnd, THREADS)
            sci = "cg,pcg-jacobi" + (",spsolve" if key in m["spsolve"] else "")
            self.add(run_process(
                [sys.executable, str(ROOT / "Benchmarks/python/scipy_bench.py"), *common, "--methods", sci],
                {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}, f"SciPy: {sci} ({name})"), rnd, 1)
            # STREAM right before LinSolve's SpMV: the bandwidth the machine had at that moment.
            length, reps = m["adjacent_stream"]
            for r in run_process([str(self.peers / "stream_bench"), "--threads", str(THREADS),
                                  "--length", length, "--reps", reps],
                                 {"OMP_NUM_THREADS": str(THREADS)}, f"STREAM triad, {THREADS} threads ({name})"):
                r.update(problem=f"{dim}d", N=N)
                self.add([r], rnd, THREADS)
            ls = "cg,pcg-jacobi,pcg-ic0,spmv,sor" + (",cholesky" if key in m["cholesky"] else "")
            self.add(run_process(
                [self.swift, "solve", *common, "--threads", str(THREADS), "--methods", ls,
                 "--spmv-reps", str(m["spmv_reps"]), "--sor-sweeps", str(m["sor_sweeps"])],
                omp, f"LinSolve: {ls} ({name})"), rnd, THREADS)
            self.add(run_process(
                [self.swift, "solve", *common, "--threads", "1", "--methods", "cg,spmv",
                 "--spmv-reps", str(m["spmv_reps"])],
                {"OPENBLAS_NUM_THREADS": "1"}, f"LinSolve: cg, spmv, 1 thread ({name})"), rnd, 1)
            if key in m["cholesky"]:
                self.add(run_process(
                    [str(self.peers / "cholmod_bench"), *common, "--threads", str(THREADS)],
                    omp, f"CHOLMOD (C) ({name})"), rnd, THREADS)

    def kernels(self):
        for dim, N in self.mode.get("kernels", []):
            for t in self.mode["kernel_threads"]:
                self.add(run_process([self.swift, "kernels", "--dim", str(dim), "--N", str(N), "--threads", str(t)],
                                     {}, f"LinSolve: kernels, {t} thread(s) ({dim}-D N={N})"), 0, t)

    def memory(self):
        dim, N = self.mode["memory"]
        args = ["--dim", str(dim), "--N", str(N), "--threads", str(THREADS)]
        self.add(run_process([self.swift, "memory", *args], {}, f"LinSolve: CG peak memory ({dim}-D N={N})"), 0, THREADS)
        self.add(run_process([str(self.peers / "cg_bench"), *args, "--methods", "memory"],
                             {"OMP_NUM_THREADS": str(THREADS)}, f"C (fused): CG peak memory ({dim}-D N={N})"), 0, THREADS)

    def matrix_market(self):
        dim, N = self.mode["mm"]
        data = Path(self.args.out) / "bench-data"
        data.mkdir(parents=True, exist_ok=True)
        path = data / f"poisson{dim}d_{N}.mtx"
        if not path.exists():
            run_process([self.swift, "mmwrite", "--dim", str(dim), "--N", str(N), "--file", str(path)],
                        {}, f"write {path}")
        runs = self.mode["mm_runs"]
        for rnd in range(runs):
            for r in run_process([self.swift, "mmread", "--file", str(path), "--runs", "1"], {},
                                 f"LinSolve: Matrix Market read ({path.name})"):
                r.update(problem=f"{dim}d", N=N)
                self.add([r], rnd, 1)
            for r in run_process([sys.executable, str(ROOT / "Benchmarks/python/scipy_bench.py"),
                                  "--mmread", str(path), "--runs", "1"], {},
                                 f"SciPy: scipy.io.mmread ({path.name})"):
                r.update(problem=f"{dim}d", N=N)
                self.add([r], rnd, r.get("threads", 1))


# ---------------------------------------------------------------------------------------------
def median(xs):
    return statistics.median(xs) if xs else None


def aggregate(records):
    groups = defaultdict(list)
    for r in records:
        key = (r["peer"], r["method"], r["problem"], int(r["N"]), int(r["config_threads"]))
        groups[key].append(r)
    rows = []
    for (peer, method, problem, N, config), rs in groups.items():
        secs = [float(r["seconds"]) for r in rs]
        its = sorted({int(r["iterations"]) for r in rs})
        first = rs[0]
        n, nnz = int(first["n"]), int(first["nnz"])
        row = {
            "peer": peer, "method": method, "problem": problem, "N": N, "n": n, "nnz": nnz,
            "threads": max(int(r["threads"]) for r in rs), "config_threads": config, "runs": len(rs),
            "iterations": its[-1] if len(its) == 1 else "/".join(map(str, its)),
            "seconds_median": median(secs), "seconds_min": min(secs), "seconds_max": max(secs),
            "setup_seconds_median": median([float(r.get("setup_seconds", 0)) for r in rs]),
            "relres": max(float(r.get("relres", 0) or 0) for r in rs),
            "checksums": {r.get("checksum", "") for r in rs},
            "notes": "",
        }
        it_count = its[-1] if its else 0
        if method in ITERATIVE or method in ("spmv", "sor-sweep") or method.startswith("kernel:"):
            row["ms_per_iter"] = 1e3 * row["seconds_median"] / max(1, it_count)
            b = bytes_per_iteration(method, n, nnz)
            row["bytes_per_iter"] = b
            row["gb_per_s"] = b / (row["ms_per_iter"] * 1e-3) / 1e9 if b else None
        if method == "triad":
            row["gb_per_s"] = median([float(r["gbps_median"]) for r in rs])
            row["gb_per_s_best"] = max(float(r["gbps_best"]) for r in rs)
            row["notes"] = f"best rep {row['gb_per_s_best']:.1f} GB/s; 24 bytes per element; {n:,} elements"
        if method == "kernel:split-row-sum":
            fr = median([float(r["two_thread_fraction"]) for r in rs])
            delays = [float(r["helper_start_median_seconds"]) for r in rs
                      if r.get("helper_start_median_seconds") is not None]
            row["notes"] = (f"{100 * fr:.0f} % of calls ran on 2 threads"
                            + (f"; helper thread started {1e6 * median(delays):.0f} µs after the call" if delays else ""))
        if method == "mmread":
            size = float(first["bytes"])
            row["mb_per_s"] = size / row["seconds_median"] / 1e6
            row["gb_per_s"] = size / row["seconds_median"] / 1e9
            row["notes"] = f"file {size / 1e6:.1f} MB, page cache warm"
        if method == "memory":
            growth = float(first["rss_peak_bytes"]) - float(first["rss_baseline_bytes"])
            model = float(first["model_bytes"])
            row["rss_growth_mb"] = growth / 1e6
            row["model_mb"] = model / 1e6
            row["notes"] = f"peak RSS − baseline = {growth / 1e6:.1f} MB; model {model / 1e6:.1f} MB; ratio {growth / model:.3f}"
        if method == "cholesky":
            ex = [k for k in ("analyze_seconds", "factorize_seconds", "solve_seconds") if k in first]
            parts = [f"{k.split('_')[0]} {median([float(r[k]) for r in rs]):.3f} s" for k in ex]
            if first.get("ordering"):
                parts.append(f"ordering {first['ordering']}")
            if first.get("factor_nonzeros"):
                parts.append(f"nnz(L) {float(first['factor_nonzeros']) / 1e6:.1f}M")
            if first.get("solver"):
                parts.insert(0, first["solver"])
            row["notes"] = "; ".join(parts)
        if config == 1 and peer not in ("SciPy",) and method in ("spmv", "cg"):
            row["notes"] = "run with 1 thread (compare with the 1-thread rows)"
        if peer == "Eigen" and method in ITERATIVE:
            row["notes"] = "iterations = Eigen's iterations() + 1 (it does not count the last one)"
        if peer == "SciPy" and method in ITERATIVE:
            row["notes"] = "SpMV and updates on 1 thread; BLAS dot with OPENBLAS_NUM_THREADS=1"
        if peer == "LinSolve" and method == "pcg-ic0":
            row["notes"] = f"IC(0) setup {row['setup_seconds_median']:.3f} s (not in s/solve); no peer"
        if len(its) > 1:
            row["notes"] = (row["notes"] + "; " if row["notes"] else "") + "iteration count varied between runs"
        rows.append(row)

    # LinSolve ÷ peer, for the same method, problem and size.
    linsolve = {}
    for row in rows:
        if row["peer"] == "LinSolve":
            linsolve[(row["method"], row["problem"], row["N"], row["config_threads"])] = row
    for row in rows:
        key = (row["method"], row["problem"], row["N"])
        ref = linsolve.get(key + (row["config_threads"],)) or linsolve.get(key + (THREADS,))
        if not ref:
            continue
        if "ms_per_iter" in row and "ms_per_iter" in ref:
            row["linsolve_over_peer"] = ref["ms_per_iter"] / row["ms_per_iter"]
        elif row["seconds_median"]:
            row["linsolve_over_peer"] = ref["seconds_median"] / row["seconds_median"]
    return rows


PEER_ORDER = ["LinSolve", "C (fused)", "C (plain)", "C", "Eigen", "SciPy", "CHOLMOD (C)", "STREAM triad"]
METHOD_ORDER = ["cg", "pcg-jacobi", "pcg-ic0", "spmv", "sor-sweep", "cholesky", "mmread", "memory", "triad"]


def sort_key(row):
    prob = {"2d": 0, "3d": 1}.get(row["problem"], 2)
    return (prob, row["N"], METHOD_ORDER.index(row["method"]) if row["method"] in METHOD_ORDER else 99,
            -row["config_threads"],
            PEER_ORDER.index(row["peer"]) if row["peer"] in PEER_ORDER else 99)


CSV_FIELDS = ["peer", "method", "problem", "N", "n", "nnz", "threads", "runs", "iterations",
              "seconds_median", "seconds_min", "seconds_max", "setup_seconds_median", "ms_per_iter",
              "bytes_per_iter", "gb_per_s", "linsolve_over_peer", "relres", "mb_per_s",
              "rss_growth_mb", "model_mb", "notes"]


def write_csv(rows, path):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        for row in rows:
            out = {}
            for k in CSV_FIELDS:
                v = row.get(k, "")
                if isinstance(v, float):
                    v = f"{v:.6g}"
                out[k] = "" if v is None else v
            w.writerow(out)


# ---------------------------------------------------------------------------------------------
def fmt(x, digits=3):
    if x is None or x == "":
        return "–"
    if isinstance(x, str):
        return x
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def check_consistency(rows, records):
    """Same matrix everywhere (checksum per problem/size) and the same iteration counts."""
    lines = []
    ok = True
    sums = defaultdict(set)
    for r in records:
        if r.get("checksum") and r["problem"] in ("2d", "3d") and r["method"] != "triad":
            sums[(r["problem"], int(r["N"]))].add(r["checksum"])
    for (prob, N), s in sorted(sums.items()):
        if len(s) == 1:
            lines.append(f"- {prob.upper()} N = {N}: every peer built/read the same matrix (checksum {next(iter(s))}).")
        else:
            ok = False
            lines.append(f"- **{prob.upper()} N = {N}: checksums differ: {sorted(s)}**")
    its = defaultdict(dict)
    for row in rows:
        if row["method"] in ("cg", "pcg-jacobi"):
            its[(row["problem"], row["N"], row["method"])][row["peer"]] = row["iterations"]
    for (prob, N, method), by_peer in sorted(its.items()):
        values = set(by_peer.values())
        text = ", ".join(f"{p} {v}" for p, v in sorted(by_peer.items(), key=lambda kv: PEER_ORDER.index(kv[0]) if kv[0] in PEER_ORDER else 99))
        if len(values) == 1:
            lines.append(f"- {prob.upper()} N = {N} {method}: identical iteration counts ({text}).")
        else:
            nums = [int(str(v).split("/")[0]) for v in values]
            spread = (max(nums) - min(nums)) / max(nums)
            flag = "within 1 %" if spread <= 0.01 else "**differ by more than 1 %**"
            if spread > 0.01:
                ok = False
            lines.append(f"- {prob.upper()} N = {N} {method}: iteration counts {flag} ({text}); "
                         "rounding differs with the order of summation.")
    bad = [row for row in rows if row["method"] in ITERATIVE and row["relres"] > 2e-8]
    for row in bad:
        ok = False
        lines.append(f"- **{row['peer']} {row['method']} {row['problem']} N = {row['N']}: true ‖b−Ax‖/‖b‖ = {row['relres']:.2e}**")
    if not bad:
        lines.append("- Every iterative solve ended with a true relative residual ‖b − Ax‖/‖b‖ ≤ 2e-8 "
                     "(stopping uses the recursive residual, 1e-8).")
    return ok, lines


def find(rows, peer, method, problem, N, config=THREADS):
    for row in rows:
        if (row["peer"], row["method"], row["problem"], row["N"], row["config_threads"]) == (peer, method, problem, N, config):
            return row
    return None


def targets(rows, mode):
    out = []
    dim, N = mode["target_size"]
    prob = f"{dim}d"
    size = f"{dim}-D N = {N}" + (" (bench-quick stand-in for N = 1024)" if N != 1024 else "")

    def verdict(ok):
        return "**met**" if ok else "**missed**"

    ls = find(rows, "LinSolve", "cg", prob, N)
    for peer, limit in (("C (fused)", 1.10), ("Eigen", 0.6)):
        p = find(rows, peer, "cg", prob, N)
        if ls and p:
            ratio = ls["ms_per_iter"] / p["ms_per_iter"]
            out.append((f"CG {size}, {THREADS} threads: LinSolve ms/iter ≤ {limit} × {peer}",
                        f"{ls['ms_per_iter']:.3f} vs {p['ms_per_iter']:.3f} ms/iter: ratio {ratio:.3f}",
                        verdict(ratio <= limit)))
    ls1, c1 = find(rows, "LinSolve", "cg", prob, N, 1), find(rows, "C (fused)", "cg", prob, N, 1)
    if ls1 and c1:
        ratio = ls1["ms_per_iter"] / c1["ms_per_iter"]
        out.append((f"(context) CG {size}, both on 1 thread: LinSolve ÷ C (fused)",
                    f"{ls1['ms_per_iter']:.3f} vs {c1['ms_per_iter']:.3f} ms/iter: ratio {ratio:.3f}",
                    "info: the kernels alone, without threading"))
    for d, n_ in mode["spmv_target_sizes"]:
        s = find(rows, "LinSolve", "spmv", f"{d}d", n_)
        stream = find(rows, "STREAM triad", "triad", f"{d}d", n_, THREADS) or find(rows, "STREAM triad", "triad", "0d", 0, THREADS)
        if s and stream:
            frac = s["gb_per_s"] / stream["gb_per_s"]
            out.append((f"SpMV {d}-D N = {n_} (n = {s['n']:,}) ≥ 80 % of STREAM triad ({THREADS} threads, run just before)",
                        f"{s['gb_per_s']:.2f} of {stream['gb_per_s']:.2f} GB/s: {100 * frac:.0f} %",
                        verdict(frac >= 0.8) if s["n"] >= 1_000_000 else "n/a: n < 10⁶, the matrix fits in cache"))
    for row in sorted((r for r in rows if r["peer"] == "CHOLMOD (C)"), key=sort_key):
        ls = find(rows, "LinSolve", "cholesky", row["problem"], row["N"])
        if ls:
            ratio = ls["seconds_median"] / row["seconds_median"]
            out.append((f"Cholesky {row['problem'].upper()} N = {row['N']}: LinSolve ≤ 1.05 × CHOLMOD from C",
                        f"{ls['seconds_median']:.3f} vs {row['seconds_median']:.3f} s: ratio {ratio:.3f}",
                        verdict(ratio <= 1.05)))
    mm = [r for r in rows if r["peer"] == "LinSolve" and r["method"] == "mmread"]
    for r in mm:
        out.append((f"Matrix Market read ({r['nnz']:,} nonzeros) ≥ 50 MB/s",
                    f"{r['mb_per_s']:.0f} MB/s", verdict(r["mb_per_s"] >= 50)))
    mem = [r for r in rows if r["peer"] == "LinSolve" and r["method"] == "memory"]
    for r in mem:
        ratio = r["rss_growth_mb"] / r["model_mb"]
        out.append((f"CG peak memory {r['problem'].upper()} N = {r['N']} ≤ 1.3 × (matrix + 4 vectors)",
                    f"{r['rss_growth_mb']:.1f} MB over a {r['model_mb']:.1f} MB model: {ratio:.3f}",
                    verdict(ratio <= 1.3)))
    return out


def markdown(rows, records, meta, mode):
    L = []
    L.append(f"# LinSolve benchmarks ({meta['mode']})\n")
    L.append(f"{meta['date']} · {meta['cpu']} · {meta['cores']} cores · load average "
             f"{meta['load_start']} at the start, {meta['load_end']} at the end · {meta['elapsed']:.0f} s.\n")
    L.append("Times are medians over interleaved rounds of this one invocation; ratios compare those "
             "medians. `LinSolve ÷ peer` < 1 means LinSolve is faster. On a shared machine single "
             "timings are noisy: read the ratios, and rerun on a quiet machine before concluding.\n")
    ok, check_lines = check_consistency(rows, records)
    L.append("## Targets\n")
    L.append("| target | measured | |")
    L.append("|---|---|---|")
    for t, m, v in targets(rows, mode):
        L.append(f"| {t} | {m} | {v} |")
    L.append("")
    stream = [r for r in rows if r["method"] == "triad" and r["problem"] == "0d"]
    if stream:
        L.append("## Memory bandwidth (STREAM triad)\n")
        L.append("| threads | GB/s (median) | best |")
        L.append("|---|---|---|")
        for r in sorted(stream, key=lambda r: r["config_threads"]):
            L.append(f"| {r['threads']} | {r['gb_per_s']:.2f} | {r['gb_per_s_best']:.2f} |")
        L.append("")
    workloads = sorted({(r["problem"], r["N"]) for r in rows if r["method"] in ITERATIVE + ("spmv", "sor-sweep")})
    for prob, N in workloads:
        sub = sorted((r for r in rows if r["problem"] == prob and r["N"] == N
                      and r["method"] in ITERATIVE + ("spmv", "sor-sweep")), key=sort_key)
        n, nnz = sub[0]["n"], sub[0]["nnz"]
        L.append(f"## {prob[0]}-D Poisson N = {N} (n = {n:,}, nnz = {nnz:,})\n")
        L.append("| method | peer | threads | iterations | s / solve | ms / iter | best ms / iter | GB/s | LinSolve ÷ peer | notes |")
        L.append("|---|---|---|---|---|---|---|---|---|---|")
        for r in sub:
            its = r["iterations"] if r["method"] in ITERATIVE else ("1 SpMV" if r["method"] == "spmv" else f"{r['iterations']} sweeps")
            best = None
            if r.get("ms_per_iter") and r["seconds_median"]:
                best = r["ms_per_iter"] * r["seconds_min"] / r["seconds_median"]
            L.append(f"| {r['method']} | {r['peer']} | {r['threads']} | {its} | {fmt(r['seconds_median'])} | "
                     f"{fmt(r.get('ms_per_iter'))} | {fmt(best)} | {fmt(r.get('gb_per_s'))} | {fmt(r.get('linsolve_over_peer'))} | {r['notes']} |")
        tri = find(rows, "STREAM triad", "triad", prob, N, THREADS)
        if tri:
            L.append(f"| triad | STREAM triad (just before LinSolve, each round) | {tri['threads']} | – | – | – | – | "
                     f"{fmt(tri['gb_per_s'])} | – | best rep {tri['gb_per_s_best']:.1f} GB/s |")
        L.append("")
    chol = sorted((r for r in rows if r["method"] == "cholesky"), key=sort_key)
    if chol:
        L.append("## Direct solvers (analyze + factorize + solve)\n")
        L.append("| problem | peer | threads | s / solve | LinSolve ÷ peer | notes |")
        L.append("|---|---|---|---|---|---|")
        for r in chol:
            L.append(f"| {r['problem'].upper()} N = {r['N']} | {r['peer']} | {r['threads']} | {fmt(r['seconds_median'])} | "
                     f"{fmt(r.get('linsolve_over_peer'))} | {r['notes']} |")
        L.append("")
        L.append("Threads: OpenBLAS threads for CHOLMOD (both LinSolve's and the C call); SimplicialLLT "
                 "and SuperLU are sequential. SciPy has no sparse Cholesky: `spsolve` is an LU (SuperLU, COLAMD).\n")
    mm = sorted((r for r in rows if r["method"] == "mmread"), key=sort_key)
    if mm:
        L.append("## Matrix Market read\n")
        L.append("| file | peer | threads | s / read | MB/s | LinSolve ÷ peer | notes |")
        L.append("|---|---|---|---|---|---|---|")
        for r in mm:
            L.append(f"| {r['problem'].upper()} N = {r['N']} ({r['nnz']:,} nonzeros) | {r['peer']} | {r['threads']} | "
                     f"{fmt(r['seconds_median'])} | {r['mb_per_s']:.0f} | {fmt(r.get('linsolve_over_peer'))} | {r['notes']} |")
        L.append("")
    mem = [r for r in rows if r["method"] == "memory"]
    if mem:
        L.append("## Peak memory of one CG solve\n")
        L.append("Measured in a fresh process: peak RSS (getrusage) minus the RSS before the matrix was built; "
                 "model = matrix (12·nnz + 8·(n+1)) + 4 vectors of n doubles.\n")
        L.append("| problem | peer | RSS growth (MB) | model (MB) | ratio |")
        L.append("|---|---|---|---|---|")
        for r in sorted(mem, key=sort_key):
            L.append(f"| {r['problem'].upper()} N = {r['N']} | {r['peer']} | {r['rss_growth_mb']:.1f} | "
                     f"{r['model_mb']:.1f} | {r['rss_growth_mb'] / r['model_mb']:.3f} |")
        L.append("")
    kern = sorted((r for r in rows if r["method"].startswith("kernel:")),
                  key=lambda r: ({"2d": 0, "3d": 1}.get(r["problem"], 2), r["N"], -r["config_threads"], r["method"]))
    if kern:
        L.append("## LinSolve kernels alone (where a CG iteration's time goes)\n")
        L.append("Public kernels timed one at a time (median of 50 calls; caches flushed before each call when "
                 "matrix + 4 vectors exceed the last-level cache, as in a CG solve). `dispatch-*` is `Parallel.sum` / "
                 "`Parallel.forEachChunk` with an empty body: the cost of splitting one loop across threads. "
                 "A CG iteration is one fused SpMV + pᵀq, one fused x/r update + rᵀr and one xpby. "
                 "`split-row-sum` runs a loop as long as the SpMV's through `Parallel.forEachChunk` and records "
                 "which thread ran each chunk: it shows whether the split really ran on two threads.\n")
        L.append("| problem | threads | kernel | µs / call | GB/s | notes |")
        L.append("|---|---|---|---|---|---|")
        for r in kern:
            gbs = r.get("gb_per_s")
            L.append(f"| {r['problem'].upper()} N = {r['N']} | {r['threads']} | {r['method'][7:]} | "
                     f"{1e6 * r['seconds_median']:.1f} | {fmt(gbs) if gbs else '–'} | {r['notes']} |")
        L.append("")
    L.append("## Checks\n")
    L.extend(check_lines)
    L.append("")
    L.append("## Bytes-per-iteration models (GB/s = model bytes ÷ time; the same model for every peer)\n")
    for k, v in BYTE_MODELS:
        L.append(f"- `{k}`: {v}")
    L.append("- write-allocate traffic is not counted (as in STREAM, which counts 24 bytes per triad element); "
             "Eigen and SciPy use 4-byte row pointers, which the model does not credit them with.")
    L.append("")
    L.append("Threads: LinSolve's kernels (`Parallel.threads` = 2) and the C/OpenMP peers split loops only "
             "when n ≥ 16,384 (LinSolve's rule, copied by the C peer), so the `threads` column shows what "
             "was actually used. Eigen runs its sparse product on 2 OpenMP threads, its vector operations on one.")
    return "\n".join(L) + "\n", ok


def figure(rows, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is missing: no figure", file=sys.stderr)
        return
    fig, axes = plt.subplots(1, 2, figsize=(12, 5), sharey=False)
    colors = {"LinSolve": "tab:red", "C (fused)": "tab:blue", "C (plain)": "tab:cyan", "C": "tab:blue",
              "Eigen": "tab:green", "SciPy": "tab:orange"}
    styles = {"cg": "-", "pcg-jacobi": "--", "pcg-ic0": "-.", "spmv": ":", "sor-sweep": (0, (1, 3))}
    markers = {"cg": "o", "pcg-jacobi": "s", "pcg-ic0": "^", "spmv": "x", "sor-sweep": "d"}
    for ax, prob, title in ((axes[0], "2d", "2-D Poisson (5-point)"), (axes[1], "3d", "3-D Poisson (7-point)")):
        series = defaultdict(list)
        for r in rows:
            if r["problem"] != prob or not r.get("ms_per_iter") or r["method"].startswith("kernel:"):
                continue
            if r["config_threads"] == THREADS or r["peer"] == "SciPy":
                series[(r["peer"], r["method"])].append((r["n"], r["ms_per_iter"]))
        for (peer, method), pts in sorted(series.items(), key=lambda kv: (PEER_ORDER.index(kv[0][0]) if kv[0][0] in PEER_ORDER else 99, kv[0][1])):
            pts.sort()
            label = f"{peer} {method}" + (" (1 thread)" if peer == "SciPy" else "")
            ax.plot([p[0] for p in pts], [p[1] for p in pts], linestyle=styles.get(method, "-"),
                    marker=markers.get(method, "o"), color=colors.get(peer, "gray"), label=label,
                    linewidth=2.2 if peer == "LinSolve" else 1.3)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("n (unknowns)")
        ax.set_ylabel("ms per iteration (per SpMV / per sweep)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
    fig.suptitle("LinSolve and peers: median ms per iteration (2 threads unless noted)")
    fig.tight_layout()
    fig.savefig(path, format="svg")
    plt.close(fig)


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=sorted(MODES), default="quick")
    ap.add_argument("--peers", default=str(ROOT / ".build-bench-peers"))
    ap.add_argument("--swift", default=str(ROOT / ".build/release/linsolve-bench"))
    ap.add_argument("--out", default=str(ROOT / "results"))
    ap.add_argument("--raw", default=None, help="re-aggregate a saved bench-raw.jsonl instead of running")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    mode = MODES[args.mode]
    t0 = time.time()
    meta = {"mode": f"make bench{'-quick' if args.mode == 'quick' else ''}",
            "date": time.strftime("%Y-%m-%d %H:%M"), "cpu": cpu_name(), "cores": os.cpu_count(),
            "load_start": " ".join(f"{x:.2f}" for x in os.getloadavg())}
    if args.raw:
        records = [json.loads(l) for l in open(args.raw) if l.strip()]
    else:
        runner = Runner(args)
        runner.stream()
        for dim, N, rounds in mode["workloads"]:
            runner.workload(dim, N, rounds)
        runner.matrix_market()
        runner.memory()
        runner.kernels()
        runner.stream()  # again at the end: the bandwidth the machine had during the run
        records = runner.records
        with open(out / "bench-raw.jsonl", "w") as f:
            for r in records:
                f.write(json.dumps(r) + "\n")
    meta["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    meta["elapsed"] = time.time() - t0
    rows = sorted(aggregate(records), key=sort_key)
    write_csv(rows, out / "bench.csv")
    md, ok = markdown(rows, records, meta, mode)
    (out / "bench.md").write_text(md)
    figure(rows, out / "bench.svg")
    print(md)
    print(f"wrote {out / 'bench.csv'}, {out / 'bench.md'}, {out / 'bench.svg'}, {out / 'bench-raw.jsonl'}",
          file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
