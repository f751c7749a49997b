"""Draws the sketching experiment's figures from its CSV files (matplotlib).

usage: python3 Examples/Experiments/plot_sketch.py [results]

Each figure is drawn when its CSV files exist (`experiments sketch --workload X` writes only X's):
  results/sketch_tall_time.svg        seconds against m per method, one panel per n (κ = 1e6)
  results/sketch_tall_accuracy.svg    backward-error proxy and forward error per problem and method
  results/sketch_stability.svg        forward error, ‖Aᵀr‖/(‖A‖‖r‖) and Karlson–Waldén estimate against κ
  results/sketch_kaczmarz.svg         ‖r‖/‖b‖ against passes over A: Kaczmarz, block Kaczmarz, LSQR/CG
  results/sketch_kkt.svg              ‖r‖/‖b‖ against matvec-equivalents: sketch-and-project vs MINRES
  results/sketch_nystrom.svg          CG vs Nyström-PCG residual histories, and the kernel's Nyström spectrum
"""
import csv
import os
import sys
from collections import defaultdict

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

out = sys.argv[1] if len(sys.argv) > 1 else "results"
written = []

LABELS = {"lapack": "LAPACKE dgels", "sketchLSQR": "sketch-LSQR, warm (d=4n)",
          "sketchLSQRCold": "sketch-LSQR, cold (d=4n)", "iterativeSketch": "iterative sketching (d=12n)"}
COLORS = {"lapack": "black", "sketchLSQR": "#0072BD", "sketchLSQRCold": "#D95319", "iterativeSketch": "#77AC30"}
STYLES = {"lapack": "s-", "sketchLSQR": "o-", "sketchLSQRCold": "x--", "iterativeSketch": "^-"}


def rows(name):
    path = f"{out}/{name}"
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return list(csv.DictReader(f))


def save(fig, name):
    fig.tight_layout()
    fig.savefig(f"{out}/{name}")
    plt.close(fig)
    written.append(name)


# 1. Tall least squares: time against m.
tall = rows("sketch_tall.csv")
if tall:
    sizes = sorted({int(r["n"]) for r in tall if float(r["kappa"]) == 1e6})
    if sizes:
        fig, axes = plt.subplots(1, len(sizes), figsize=(5 * len(sizes), 4.5), squeeze=False)
        for ax, n in zip(axes[0], sizes):
            for key in LABELS:
                pts = sorted((int(r["m"]), float(r["seconds_median"]), float(r["seconds_min"]), float(r["seconds_max"]))
                             for r in tall if r["method"] == key and int(r["n"]) == n and float(r["kappa"]) == 1e6)
                if not pts:
                    continue
                m, t, lo, hi = np.array(pts).T
                ax.errorbar(m, t, yerr=[t - lo, hi - t], fmt=STYLES[key], color=COLORS[key], label=LABELS[key], capsize=3)
            sk = rows("sketch_sketchtime.csv") or []
            pts = sorted((int(r["m"]), float(r["seconds_median"])) for r in sk if int(r["n"]) == n and float(r["kappa"]) == 1e6)
            if pts:
                m, t = np.array(pts).T
                ax.plot(m, t, ":", color="grey", label="S·A alone (sparse sign, d=4n)")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("m (rows)")
            ax.set_ylabel("seconds (median; bars: min–max)")
            ax.set_title(f"n = {n}, κ = 1e6")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=7)
        fig.suptitle("Tall dense least squares: time against m (2 threads)")
        save(fig, "sketch_tall_time.svg")

    problems = sorted({(float(r["kappa"]), int(r["m"]), int(r["n"])) for r in tall})
    fig, axes = plt.subplots(1, 2, figsize=(14, 4.8))
    x = np.arange(len(problems))
    for i, key in enumerate(LABELS):
        be, fe = [], []
        for kappa, m, n in problems:
            r = next((r for r in tall if r["method"] == key and int(r["m"]) == m and int(r["n"]) == n
                      and float(r["kappa"]) == kappa), None)
            be.append(float(r["backward_error"]) if r else np.nan)
            fe.append(float(r["forward_error"]) if r else np.nan)
        axes[0].semilogy(x + (i - 1.5) * 0.12, be, STYLES[key][0], color=COLORS[key], label=LABELS[key])
        if key != "lapack":
            axes[1].semilogy(x + (i - 1.5) * 0.12, fe, STYLES[key][0], color=COLORS[key], label=LABELS[key])
    names = [f"{m // 1000}k×{n}\nκ={kappa:.0e}" for kappa, m, n in problems]
    for ax, title in zip(axes, ("backward-error proxy ‖Aᵀr‖/(‖A‖‖r‖)", "forward error ‖x − x_dgels‖/‖x_dgels‖")):
        ax.set_xticks(x)
        ax.set_xticklabels(names, fontsize=7)
        ax.set_title(title)
        ax.grid(True, axis="y", which="both", alpha=0.3)
        ax.legend(fontsize=7)
    save(fig, "sketch_tall_accuracy.svg")

# 2. Stability sweep.
stab = rows("sketch_stability.csv")
if stab:
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    columns = [("forward_error", "forward error vs dgels"), ("backward_error", "‖Aᵀr‖/(‖A‖‖r‖)"),
               ("karlson_walden", "Karlson–Waldén backward error / ‖A‖₂")]
    for ax, (col, title) in zip(axes, columns):
        for key in LABELS:
            if col == "forward_error" and key == "lapack":
                continue
            pts = sorted((float(r["kappa"]), float(r[col])) for r in stab if r["method"] == key and r.get(col))
            if not pts:
                continue
            k, v = np.array(pts).T
            ax.loglog(k, np.maximum(v, 1e-18), STYLES[key], color=COLORS[key], label=LABELS[key])
        ax.axhline(np.finfo(float).eps / 2, color="grey", ls=":", lw=1, label="u")
        ax.set_xlabel("κ(A)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    m, n = stab[0]["m"], stab[0]["n"]
    fig.suptitle(f"Stability sweep, {m}×{n}, b = Ax + 1e-3 noise")
    save(fig, "sketch_stability.svg")

# 3. Kaczmarz vs Krylov.
hist = rows("sketch_kaczmarz_history.csv")
if hist:
    summary = {(r["problem"], r["method"]): r for r in rows("sketch_kaczmarz.csv") or []}
    series = defaultdict(list)
    for r in hist:
        series[(r["problem"], r["method"])].append((float(r["passes"]), float(r["relative_residual"])))
    problems = list(dict.fromkeys(p for p, _ in series))
    titles = {"gaussian": "Gaussian 20000×500, consistent", "spd": "dense SPD n = 2000, κ = 100", "poisson": "2-D Poisson 64²"}
    fig, axes = plt.subplots(1, len(problems), figsize=(5.5 * len(problems), 4.6), squeeze=False)
    for ax, p in zip(axes[0], problems):
        for (q, method), pts in series.items():
            if q != p:
                continue
            x, y = np.array(pts).T
            s = summary.get((p, method))
            label = method + (f": {float(s['passes']):.1f} passes, {float(s['seconds']):.2f} s" if s else "")
            ax.loglog(np.maximum(x, 1e-2), y, label=label)
        ax.axhline(1e-8, color="grey", ls=":", lw=1)
        ax.set_xlabel("passes over A")
        ax.set_ylabel("‖r‖ / ‖b‖")
        ax.set_title(titles.get(p, p))
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Kaczmarz vs Krylov: residual against passes over A")
    save(fig, "sketch_kaczmarz.svg")

# 4. KKT: sketch-and-project vs MINRES.
kkt = rows("sketch_kkt_history.csv")
if kkt:
    series = defaultdict(list)
    for r in kkt:
        series[r["method"]].append((float(r["matvecs"]), float(r["relative_residual"])))
    fig, ax = plt.subplots(figsize=(8, 5))
    for method, pts in series.items():
        x, y = np.array(pts).T
        ax.loglog(np.maximum(x, 0.5), y, label=method)
    for t in (1e-2, 1e-6):
        ax.axhline(t, color="grey", ls=":", lw=1)
    info = rows("sketch_kkt.csv")
    extra = f" (cond(K) = {float(info[0]['cond']):.0f}, κ_F² = {float(info[0]['kappa_F2']):.2g})" if info else ""
    ax.set_xlabel("matrix–vector-product equivalents")
    ax.set_ylabel("‖r‖ / ‖b‖")
    ax.set_title("KKT system [[H, Gᵀ], [G, 0]], n = 200, m = 50" + extra, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    save(fig, "sketch_kkt.svg")

# 5. Nyström PCG.
nys = rows("sketch_nystrom_history.csv")
if nys:
    summary = {(r["problem"], r["mu"], r["method"]): r for r in rows("sketch_nystrom.csv") or []}
    series = defaultdict(list)
    for r in nys:
        series[(r["problem"], r["mu"], r["method"])].append((int(r["iteration"]), float(r["relative_residual"])))
    panels = list(dict.fromkeys((p, mu) for p, mu, _ in series))
    spectrum = rows("sketch_nystrom_spectrum.csv")
    count = len(panels) + (1 if spectrum else 0)
    fig, axes = plt.subplots(1, count, figsize=(5.2 * count, 4.6), squeeze=False)
    for ax, (p, mu) in zip(axes[0], panels):
        for (q, m2, method), pts in series.items():
            if (q, m2) != (p, mu):
                continue
            k, r = np.array(pts).T
            s = summary.get((p, mu, method))
            label = method + (f": {s['iterations']} it, {float(s['total_seconds']):.1f} s" if s else "")
            ax.semilogy(k, r, label=label)
        ax.set_xscale("symlog", linthresh=10)
        ax.set_xlabel("iteration")
        ax.set_ylabel("‖r_k‖ / ‖b‖")
        ax.set_title(f"RBF kernel, μ = {float(mu):.0e}" if p == "kernel" else "2-D Poisson 64² (flat spectrum)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    if spectrum:
        ax = axes[0][-1]
        i = np.array([int(r["index"]) for r in spectrum])
        lam = np.array([float(r["eigenvalue"]) for r in spectrum])
        ax.loglog(i, np.maximum(lam, 1e-18), color="black", label="Nyström eigenvalue estimates λ̂_i")
        for mu in sorted({float(mu) for p, mu in panels if p == "kernel"}):
            ax.axhline(mu, ls=":", color="#D95319" if mu < 1e-3 else "#0072BD", label=f"μ = {mu:.0e}")
        ax.set_xlabel("i")
        ax.set_title("RBF kernel spectrum (top ℓ)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("CG vs Nyström PCG (rtol 1e-8)")
    save(fig, "sketch_nystrom.svg")

print(f"wrote {len(written)} figures under {out}/: " + ", ".join(written))
