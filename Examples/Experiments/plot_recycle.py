"""Draws the Krylov-recycling experiment's figures from its CSV files (matplotlib).

usage: python3 Examples/Experiments/plot_recycle.py [results]
reads  results/recycle_<workload>_summary.csv and results/recycle_<workload>_systems.csv
writes results/recycle_<workload>_<preconditioner>.svg: products with A per system against the
       position in the solve order, one line per strategy (left), and wall/CPU seconds per system,
       one bar per strategy (right).
"""
import csv
import glob
import os
import sys
from collections import defaultdict

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

out = sys.argv[1] if len(sys.argv) > 1 else "results"

summaries = sorted(glob.glob(os.path.join(out, "recycle_*_summary.csv")))
if not summaries:
    sys.exit(f"no {out}/recycle_*_summary.csv: run `experiments recycle` first")

written = []
for summary_path in summaries:
    workload = os.path.basename(summary_path)[len("recycle_"):-len("_summary.csv")]
    with open(summary_path) as f:
        summary = list(csv.DictReader(f))
    systems_path = os.path.join(out, f"recycle_{workload}_systems.csv")
    per_system = defaultdict(list)
    if os.path.exists(systems_path):
        with open(systems_path) as f:
            for row in csv.DictReader(f):
                per_system[(row["preconditioner"], row["strategy"])].append(
                    (int(row["position"]), int(row["matvecs"])))

    by_pc = defaultdict(list)
    for row in summary:
        by_pc[row["preconditioner"]].append(row)

    for pc, rows in by_pc.items():
        grid, steps = rows[0]["N"], rows[0]["steps"]
        fig, (left, right) = plt.subplots(1, 2, figsize=(14, 5.5), gridspec_kw={"width_ratios": [1.4, 1]})
        iterative = [r for r in rows if float(r["matvecs_per_system"]) > 0]
        spread = [float(r["matvecs_per_system"]) for r in iterative]
        for r in iterative:
            pts = sorted(per_system.get((pc, r["strategy"]), []))
            if not pts:
                continue
            x, y = zip(*pts)
            style = "o-" if len(pts) <= 12 else "-"
            left.plot(x, y, style, markersize=3, linewidth=1.2,
                      label=f"{r['label']} ({float(r['matvecs_per_system']):.0f}/system)")
        if spread and max(spread) > 8 * min(spread):
            left.set_yscale("log")
        left.set_xlabel("position in the solve order")
        left.set_ylabel("products with A (rebuilds of A·U included)")
        left.set_title(f"{workload}, N = {grid}, T = {steps}, preconditioner {pc}: products per system")
        left.grid(True, which="both", alpha=0.3)
        left.legend(fontsize=7, loc="best")

        labels = [r["strategy"] for r in rows]
        wall = [float(r["seconds_per_system"]) for r in rows]
        cpu = [float(r["cpu_seconds_per_system"]) for r in rows]
        positions = range(len(rows))
        right.barh([p + 0.2 for p in positions], wall, height=0.4, label="wall")
        right.barh([p - 0.2 for p in positions], cpu, height=0.4, label="CPU (process)")
        for p, r in zip(positions, rows):
            mv = float(r["matvecs_per_system"])
            note = f"{mv:.0f} mv" if mv > 0 else r["solver_preconditioner"]
            right.text(max(wall[p], cpu[p]) * 1.02, p, note, va="center", fontsize=7)
        right.set_yticks(list(positions))
        right.set_yticklabels(labels, fontsize=8)
        right.invert_yaxis()
        right.set_xscale("log")
        right.set_xlabel("seconds per system (log scale)")
        right.set_title("seconds per system")
        right.grid(True, axis="x", which="both", alpha=0.3)
        right.legend(fontsize=8, loc="lower right")

        fig.tight_layout()
        path = os.path.join(out, f"recycle_{workload}_{pc}.svg")
        fig.savefig(path)
        plt.close(fig)
        written.append(path)

print("wrote " + ", ".join(written))
