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

# Methods that coincide on Poisson (PCG-Jacobi is CG: the diagonal is constant) stay visible
# through distinct markers and line styles; each panel's legend sits below it, off the data.
STYLES = [("o", "-"), ("s", "--"), ("^", ":"), ("D", "-."), ("v", "-"), ("x", "--"), ("+", ":"), ("*", "-.")]

fig, axes = plt.subplots(1, 2, figsize=(12, 6.5))
for ax, dim in zip(axes, (2, 3)):
    drawn = {}
    for index, ((d, method), pts) in enumerate(sorted(item for item in series.items() if item[0][0] == dim)):
        if len(pts) < 2:
            continue
        n, it = np.array(pts, dtype=float).T
        slope = np.polyfit(np.log(n), np.log(it), 1)[0]
        marker, style = STYLES[index % len(STYLES)]
        same = drawn.get(tuple(sorted(pts)))
        label = f"{method} (slope {slope:.2f})" + (f", same counts as {same}" if same else "")
        ax.loglog(n, it, marker=marker, linestyle=style, markerfacecolor="none",
                  markersize=10 if same else 6, label=label)
        drawn.setdefault(tuple(sorted(pts)), method)
    ax.set_xlabel("N (grid points per direction)")
    ax.set_ylabel("iterations to ‖r‖/‖b‖ ≤ 1e-8")
    ax.set_title(f"{dim}-D Poisson")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)
fig.tight_layout()
fig.savefig(f"{out}/poisson_iterations.svg")
fig.savefig(f"{out}/poisson_iterations.png", dpi=80)

hist = defaultdict(list)
sizes = set()
with open(f"{out}/poisson_history.csv") as f:
    for row in csv.DictReader(f):
        hist[row["method"]].append((int(row["iteration"]), float(row["relative_residual"])))
        if row.get("N"):
            sizes.add(row["N"])
fig, ax = plt.subplots(figsize=(8, 5))
for index, (method, pts) in enumerate(sorted(hist.items())):
    k, r = np.array(pts).T
    ax.semilogy(k, r, linestyle=STYLES[index % len(STYLES)][1], label=method)
ax.set_xscale("symlog", linthresh=10)
ax.set_xlabel("iteration")
ax.set_ylabel("‖r_k‖ / ‖b‖")
size = ", ".join(sorted(sizes, key=int)) if sizes else "?"
ax.set_title(f"Residual histories, 2-D Poisson N = {size}")
ax.grid(True, which="both", alpha=0.3)
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(f"{out}/poisson_history.svg")
print(f"wrote {out}/poisson_iterations.svg and {out}/poisson_history.svg")
