"""Draws the Learning-to-Relax sequence experiment's figures from its CSV files (matplotlib).

usage: python3 Examples/Experiments/plot_sequence.py [results]

For every run <run> (files results/sequence_<run>_*.csv written by `experiments sequence`):
  results/sequence_<run>_cumulative.svg  cumulative iterations, wall and CPU seconds against the system index t
  results/sequence_<run>_omega.svg       the ω each learner chose against the context (and the oracles)
  results/sequence_<run>_contour.svg     heat equation only: iterations over (step, ω) with the choices
and results/sequence_overview.svg: every run's totals relative to the best fixed ω.
"""
import csv
import glob
import os
import sys
from collections import defaultdict

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

out = sys.argv[1] if len(sys.argv) > 1 else "results"

LEARNERS = [("tsallisINF", "Tsallis-INF", "#77AC30"),
            ("contextTsallisINF", "Tsallis-INF-CB", "#0072BD"),
            ("chebCB", "ChebCB", "#A2142F")]
ORACLES = [("gaussSeidel", "ω = 1", "#4DBEEE", ":"),
           ("bestFixed", "best fixed ω", "black", "--"),
           ("instanceOptimal", "instance-optimal (grid)", "#D95319", "-"),
           ("youngOptimal", "Young ω*", "#7E2F8E", "-."),
           ("cg", "CG (no preconditioner)", "grey", ":")]


def read_columns(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    return {h: np.array([float(r[i]) for r in body]) for i, h in enumerate(header)}


def read_summary(path):
    with open(path) as f:
        return {row["strategy"]: row for row in csv.DictReader(f)}


def runs():
    for path in sorted(glob.glob(f"{out}/sequence_*_summary.csv")):
        yield os.path.basename(path)[len("sequence_"):-len("_summary.csv")]


def plot_cumulative(run, summary):
    c = read_columns(f"{out}/sequence_{run}_cumulative.csv")
    t = c["step"]
    best_omega = float(summary["bestFixed"]["omega"])
    units = {"iterations": "cumulative iterations", "seconds": "cumulative wall-clock seconds",
             "cpu": "cumulative CPU seconds"}
    fig, axes = plt.subplots(1, 3, figsize=(19, 5))
    for ax, unit in zip(axes, units):
        top = 0.0
        for key, label, color, style in ORACLES:
            col = f"{key}_{unit}"
            if col not in c:
                continue
            name = f"{label} ({best_omega:.2f})" if key == "bestFixed" else label
            ax.plot(t, c[col], style, color=color, lw=2, label=f"{name}: {c[col][-1]:,.{0 if unit == 'iterations' else 2}f}")
            if key in ("bestFixed", "instanceOptimal"):
                top = max(top, c[col][-1])
        for omega in ("1.20", "1.40", "1.60", "1.80"):
            col = f"fixed_{omega}_{unit}"
            if col in c and abs(float(omega) - best_omega) > 1e-9:
                ax.plot(t, c[col], "--", lw=0.8, alpha=0.6, label=f"ω = {omega}")
        for key, label, color in LEARNERS:
            col = f"{key}_{unit}"
            if col not in c:
                continue
            ax.plot(t, c[col], color=color, lw=2, label=f"{label} (mean): {c[col][-1]:,.{0 if unit == 'iterations' else 2}f}")
            if f"{key}_iterations_min" in c and unit == "iterations":
                ax.fill_between(t, c[f"{key}_iterations_min"], c[f"{key}_iterations_max"], color=color, alpha=0.2)
            top = max(top, c[col][-1])
        ax.set_ylim(0, 1.5 * top)
        ax.set_xlim(0, t[-1])
        ax.set_xlabel("system t")
        ax.set_ylabel(units[unit])
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle(f"{run}: cumulative cost (learners: mean over seeds, band = min–max)")
    fig.tight_layout()
    fig.savefig(f"{out}/sequence_{run}_cumulative.svg")
    plt.close(fig)


def plot_omega(run, summary):
    acts = defaultdict(list)
    with open(f"{out}/sequence_{run}_actions.csv") as f:
        for row in csv.DictReader(f):
            acts[row["strategy"]].append((int(row["step"]), float(row["context"]), int(row["seed"]), float(row["omega"])))
    steps = max(s for s, _, _, _ in acts["instanceOptimal"])
    best_omega = float(summary["bestFixed"]["omega"])
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), sharey=True)
    rng = np.random.default_rng(0)
    for ax, (key, label, color) in zip(axes, LEARNERS):
        opt = np.array([(c, w) for s, c, _, w in acts["instanceOptimal"]])
        ax.scatter(opt[:, 0], opt[:, 1] + rng.uniform(-0.01, 0.01, len(opt)), s=3, color="#D95319", alpha=0.25,
                   label="instance-optimal (grid)")
        if acts["youngOptimal"]:
            y = np.array(sorted((c, w) for _, c, _, w in acts["youngOptimal"]))
            ax.plot(y[:, 0], y[:, 1], color="#7E2F8E", lw=2, label="Young ω*")
        late = np.array([(c, w) for s, c, seed, w in acts[key] if s > steps // 2 and seed == 1])
        if len(late):
            ax.scatter(late[:, 0], late[:, 1] + rng.uniform(-0.01, 0.01, len(late)), s=4, color=color, alpha=0.5,
                       label=f"{label}, seed 1, t > {steps // 2}")
        ax.axhline(best_omega, color="black", ls="--", lw=1, label=f"best fixed ω = {best_omega:.2f}")
        ax.set_title(label)
        ax.set_xlabel("context (shift c, κ(t) or s)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("ω")
    fig.suptitle(f"{run}: ω chosen against the context")
    fig.tight_layout()
    fig.savefig(f"{out}/sequence_{run}_omega.svg")
    plt.close(fig)


def moving_mean(x, w=25):
    k = np.ones(w) / w
    return np.convolve(np.pad(x, (w // 2, w - 1 - w // 2), mode="edge"), k, mode="valid")


def plot_contour(run, summary):
    c = read_columns(f"{out}/sequence_{run}_table.csv")
    omegas = sorted(float(h[3:]) for h in c if h.startswith("it_"))
    table = np.array([c[f"it_{w:.2f}"] for w in omegas])
    t = c["step"]
    fig, ax = plt.subplots(figsize=(12, 5))
    im = ax.pcolormesh(t, omegas, np.log10(np.maximum(table, 1)), shading="nearest", cmap="viridis")
    fig.colorbar(im, ax=ax, label="log10 iterations")
    opt = np.array([omegas[i] for i in np.argmin(table, axis=0)])
    ax.plot(t, moving_mean(opt), color="white", lw=2, label="instance-optimal (moving mean, 25 steps)")
    acts = defaultdict(list)
    with open(f"{out}/sequence_{run}_actions.csv") as f:
        for row in csv.DictReader(f):
            if row["seed"] == "1":
                acts[row["strategy"]].append(float(row["omega"]))
    for key, label, color in LEARNERS:
        if acts[key]:
            ax.plot(t, moving_mean(np.array(acts[key])), color=color, lw=1.5, label=f"{label} seed 1 (moving mean)")
    ax.axhline(float(summary["bestFixed"]["omega"]), color="black", ls=":", lw=2, label="best fixed ω")
    ax.set_xlabel("simulation step")
    ax.set_ylabel("ω")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(f"{run}: SSOR-PCG iterations over (step, ω)")
    fig.tight_layout()
    fig.savefig(f"{out}/sequence_{run}_contour.svg")
    plt.close(fig)


def plot_overview(names):
    keys = [("instanceOptimal", "instance-optimal"), ("tsallisINF", "Tsallis-INF"),
            ("contextTsallisINF", "Tsallis-INF-CB"), ("chebCB", "ChebCB")]
    data = {k: [] for k, _ in keys}
    for run in names:
        s = read_summary(f"{out}/sequence_{run}_summary.csv")
        best = float(s["bestFixed"]["iterations_mean"])
        for k, _ in keys:
            data[k].append(float(s[k]["iterations_mean"]) / best)
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(max(8, 1.2 * len(names)), 5))
    for i, (k, label) in enumerate(keys):
        ax.bar(x + (i - 1.5) * 0.2, data[k], 0.2, label=label)
    ax.axhline(1, color="black", lw=1)
    ax.set_xticks(x)
    ax.set_xticklabels(names, rotation=30, ha="right", fontsize=7)
    ax.set_ylabel("total iterations / best fixed ω")
    ax.set_title("Learning to Relax: every run against the best fixed ω in hindsight")
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(f"{out}/sequence_overview.svg")
    plt.close(fig)


names = list(runs())
written = []
for run in names:
    summary = read_summary(f"{out}/sequence_{run}_summary.csv")
    plot_cumulative(run, summary)
    plot_omega(run, summary)
    written += [f"sequence_{run}_cumulative.svg", f"sequence_{run}_omega.svg"]
    if run.startswith("heat"):
        plot_contour(run, summary)
        written.append(f"sequence_{run}_contour.svg")
if names:
    plot_overview(names)
    written.append("sequence_overview.svg")
print(f"wrote {len(written)} figures under {out}/: " + ", ".join(written))
