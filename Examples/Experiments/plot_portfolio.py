"""Draws the sequence-portfolio experiment's figure from its CSV files (matplotlib).

usage: python3 Examples/Experiments/plot_portfolio.py [results]
reads  results/portfolio_summary.csv and results/portfolio_<workload>_tuned.csv
writes results/portfolio.svg: per workload, every fixed strategy's total time (bars; the best in
       hindsight darker, runs stopped at the cap or failed marked ×) and the tuned run's (--tune auto, red; with
       context bins, orange), as a ratio to the best fixed strategy; below, the tuned run's
       strategy per system.
"""
import csv
import os
import sys
from collections import OrderedDict

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

out = sys.argv[1] if len(sys.argv) > 1 else "results"
path = os.path.join(out, "portfolio_summary.csv")
if not os.path.exists(path):
    sys.exit(f"no {path}: run `experiments portfolio` first")

workloads = OrderedDict()
with open(path) as f:
    for row in csv.DictReader(f):
        workloads.setdefault(row["workload"], []).append(row)

fig, axes = plt.subplots(2, len(workloads), figsize=(max(5.4 * len(workloads), 7.0), 8), squeeze=False,
                         gridspec_kw={"height_ratios": [3, 2]}, constrained_layout=True)
for column, (workload, rows) in enumerate(workloads.items()):
    ax = axes[0][column]
    fixed = [r for r in rows if r["kind"] == "fixed"]
    tuned = [r for r in rows if r["kind"] == "tuned"][0]
    contextual = [r for r in rows if r["kind"] == "tuned-contexts"]
    done = [float(r["total_seconds"]) for r in fixed if r["total_seconds"]]
    best = min(done) if done else None
    labels, heights, colours = [], [], []
    for r in fixed:
        labels.append(r["run"])
        if r["total_seconds"]:
            t = float(r["total_seconds"])
            heights.append(t / best)
            colours.append("#1f4e79" if t == best else "#8fb3d9")
        else:
            heights.append(0)
            colours.append("white")
    labels.append("tuned")
    heights.append(float(tuned["total_seconds"]) / best if best else 0)
    colours.append("#c0392b")
    for r in contextual:
        labels.append("tuned, bins")
        heights.append(float(r["total_seconds"]) / best if best else 0)
        colours.append("#e59866")
    y = range(len(labels))
    ax.barh(y, heights, color=colours, edgecolor="black", linewidth=0.4)
    for i, r in enumerate(fixed):
        if not r["total_seconds"]:
            # Stopped (past the cap, or a factorization projected past it) or failed: see the note.
            ax.text(1.02, i, "× stopped" if "stopped" in r["note"] else "× failed", va="center", fontsize=8)
    ax.axvline(1, color="black", linewidth=0.6, linestyle=":")
    ax.axvline(1.1, color="grey", linewidth=0.6, linestyle="--")
    ax.set_yticks(list(y))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("total time / best fixed in hindsight")
    ax.set_title(f"{workload} (n = {rows[0]['n']}, {rows[0]['systems']} systems)", fontsize=10)

    ax = axes[1][column]
    systems_path = os.path.join(out, f"portfolio_{workload}_tuned.csv")
    if os.path.exists(systems_path):
        with open(systems_path) as f:
            per = list(csv.DictReader(f))
        arms = [r["run"] for r in fixed]
        index = {name: i for i, name in enumerate(arms)}
        xs = [int(r["system"]) for r in per]
        chosen = [index.get(r["chosen"], len(arms)) for r in per]
        finished = [index.get(r["finished_by"], len(arms)) for r in per]
        ax.scatter(xs, chosen, marker="o", s=18, facecolors="none", edgecolors="#c0392b", label="chosen")
        ax.scatter(xs, finished, marker=".", s=30, color="black", label="finished by")
        ax.set_yticks(range(len(arms) + 1))
        ax.set_yticklabels(arms + ["direct fallback"], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("system")
        ax.legend(fontsize=7, loc="lower right")

target = os.path.join(out, "portfolio.svg")
fig.savefig(target)
print(f"wrote {target}")
