"""Draws the Poisson experiment's figures from its CSV files (matplotlib).

usage: python3 Examples/Experiments/plot_poisson.py [results]
writes results/poisson_iterations.svg and results/poisson_history.svg
"""
import csv
import sys
from collections import defaultdict

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

out = sys.argv[1] if len(sys.argv) > 1 else "results"

series = defaultdict(list)
with open(f"{out}/poisson.csv") as f:
    for row in csv.DictReader(f):
        if row["method"] == "Cholesky" or row["reason"] != "converged":
            continue
        series[(int(row["dimension"]), row["method"])].append((int(row["N"]), int(row["iterations"])))

fig, axes = plt.subplots(1, 2, figsize=(12, 5))
for ax, dim in zip(axes, (2, 3)):
    for (d, method), pts in sorted(series.items()):
        if d != dim or len(pts) < 2:
            continue
        n, it = np.array(pts, dtype=float).T
        slope = np.polyfit(np.log(n), np.log(it), 1)[0]
        ax.loglog(n, it, "o-", label=f"{method} (slope {slope:.2f})")
    ax.set_xlabel("N (grid points per direction)")
    ax.set_ylabel("iterations to ‖r‖/‖b‖ ≤ 1e-8")
    ax.set_title(f"{dim}-D Poisson")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(f"{out}/poisson_iterations.svg")
fig.savefig(f"{out}/poisson_iterations.png", dpi=80)

hist = defaultdict(list)
with open(f"{out}/poisson_history.csv") as f:
    for row in csv.DictReader(f):
        hist[row["method"]].append((int(row["iteration"]), float(row["relative_residual"])))
fig, ax = plt.subplots(figsize=(8, 5))
for method, pts in sorted(hist.items()):
    k, r = np.array(pts).T
    ax.semilogy(k, r, label=method)
ax.set_xscale("symlog", linthresh=10)
ax.set_xlabel("iteration")
ax.set_ylabel("‖r_k‖ / ‖b‖")
ax.set_title("Residual histories, 2-D Poisson N = 256")
ax.grid(True, which="both", alpha=0.3)
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(f"{out}/poisson_history.svg")
print(f"wrote {out}/poisson_iterations.svg and {out}/poisson_history.svg")
