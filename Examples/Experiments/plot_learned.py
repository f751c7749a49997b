"""Draws the learned-preconditioner experiment's figure from its CSV file (matplotlib).

usage: python3 Examples/Experiments/plot_learned.py [results]
reads  results/learned_summary.csv
writes results/learned.svg: per family, the mean PCG iterations on the held-out systems as a
       ratio to IC(0)'s (left; the 0.85 target dotted), and the mean seconds per system, the
       trained network's with its training time amortized over the held-out systems hatched
       on top (right, log scale).
"""
import csv
import os
import sys
from collections import OrderedDict

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

out = sys.argv[1] if len(sys.argv) > 1 else "results"
path = os.path.join(out, "learned_summary.csv")
if not os.path.exists(path):
    sys.exit(f"no {path}: run `experiments learned` first")

families = OrderedDict()
with open(path) as f:
    for row in csv.DictReader(f):
        families.setdefault(row["family"], []).append(row)

order = ["ic0", "amg-sa", "untrained", "learned"]
colours = {"ic0": "#8fb3d9", "amg-sa": "#7f8c8d", "untrained": "#f5b7b1", "learned": "#c0392b"}
width = 0.8 / len(order)
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
for f_index, (family, rows) in enumerate(families.items()):
    by = {r["preconditioner"]: r for r in rows}
    for k, name in enumerate(order):
        if name not in by:
            continue
        r = by[name]
        x = f_index + (k - (len(order) - 1) / 2) * width
        label = name if f_index == 0 else None
        left.bar(x, float(r["ratio_to_ic0"]), width, color=colours[name], edgecolor="black", linewidth=0.4, label=label)
        left.text(x, float(r["ratio_to_ic0"]) + 0.02, f"{float(r['mean_iterations']):.0f}", ha="center", fontsize=7)
        seconds = float(r["mean_seconds"])
        right.bar(x, seconds, width, color=colours[name], edgecolor="black", linewidth=0.4, label=label)
        if float(r["training_s"]) > 0:
            extra = float(r["mean_seconds_with_training"]) - seconds
            right.bar(x, extra, width, bottom=seconds, color="white", edgecolor=colours[name], hatch="///", linewidth=0.4,
                      label="training / held-out system" if f_index == 0 else None)
names = [f"{family}\n(n = {rows[0]['n']})" for family, rows in families.items()]
for ax in (left, right):
    ax.set_xticks(range(len(families)))
    ax.set_xticklabels(names, fontsize=9)
left.axhline(1, color="black", linewidth=0.6, linestyle=":")
left.axhline(0.85, color="#c0392b", linewidth=0.8, linestyle="--", label="target 0.85")
left.set_ylabel("mean PCG iterations / IC(0)'s (held-out systems)")
left.set_title("iterations (numbers: mean iterations)", fontsize=10)
top = max(float(r["ratio_to_ic0"]) for rows in families.values() for r in rows)
left.set_ylim(0, 1.5 * max(top, 1))
left.legend(fontsize=8, loc="upper right", ncol=3)
right.set_yscale("log")
right.set_ylabel("seconds per held-out system (set-up + solve)")
right.set_title("wall time; hatched: training amortized", fontsize=10)
low = min(float(r["mean_seconds"]) for rows in families.values() for r in rows)
high = max(float(r["mean_seconds_with_training"]) for rows in families.values() for r in rows)
right.set_ylim(low / 2, high * 8)
right.legend(fontsize=8, loc="upper left", ncol=3)
first = next(iter(families.values()))[0]
fig.suptitle(f"Learned preconditioner (network correcting IC(0)), trained on {first['train']} systems, "
             f"{first['held_out']} held out", fontsize=11)
fig.tight_layout()
target = os.path.join(out, "learned.svg")
fig.savefig(target)
print(f"wrote {target}")
