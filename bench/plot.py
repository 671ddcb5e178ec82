#!/usr/bin/env python3
"""Plot bench/run.py results: time and peak memory against the number of pods, for both tools.

pip install matplotlib   # for this script only: not a dependency of the plugin or its tests
python bench/plot.py bench/results/pods-*.json --out docs/performance.png
"""

from __future__ import annotations

import argparse
import json
import sys

SERIES = [
    # (label, result-name prefix, colour, marker)
    ("kubectl-sidecar check job/NAME", "kubectl-sidecar check", "tab:blue", "o"),
    ("kubectl describe pods -l job-name=NAME", "kubectl describe pods", "tab:red", "s"),
    ("kubectl-sidecar timeline POD", "kubectl-sidecar timeline", "tab:cyan", "^"),
    ("kubectl describe pod POD", "kubectl describe pod ", "tab:orange", "v"),
]


def load(paths: list) -> list:
    reports = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            reports.append(json.load(handle))
    return sorted(reports, key=lambda r: r["pods"])


def points(reports: list, prefix: str, key: str) -> tuple:
    xs, ys, lo, hi = [], [], [], []
    for report in reports:
        for row in report["results"]:
            if row["name"].startswith(prefix):
                xs.append(report["pods"])
                ys.append(row[key])
                lo.append(row[key] - row.get("min_s", row[key]) if key == "median_s" else 0)
                hi.append(row.get("max_s", row[key]) - row[key] if key == "median_s" else 0)
    return xs, ys, lo, hi


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", nargs="+", help="JSON files written by bench/run.py --out")
    parser.add_argument("--out", required=True, help="the PNG to write")
    parser.add_argument("--title", default=None)
    args = parser.parse_args(argv)
    try:
        import matplotlib
    except ImportError:
        print("bench/plot.py needs matplotlib: pip install matplotlib", file=sys.stderr)
        return 2
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    reports = load(args.results)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5), dpi=110)
    for label, prefix, colour, marker in SERIES:
        xs, ys, lo, hi = points(reports, prefix, "median_s")
        if xs:
            left.errorbar(xs, ys, yerr=[lo, hi], label=label, color=colour, marker=marker, capsize=3)
            for x, y in zip(xs, ys):
                if x >= 100:  # at 1 pod the four curves meet: the table has the numbers
                    left.annotate(
                        f"{y:.2f} s" if y < 10 else f"{y:.0f} s",
                        (x, y),
                        textcoords="offset points",
                        xytext=(6, -9 if "describe" in label else 4),
                        fontsize=7,
                        color=colour,
                    )
        xs, ys, _lo, _hi = points(reports, prefix, "peak_rss_mb")
        if xs:
            right.plot(xs, ys, label=label, color=colour, marker=marker)
    help_times = [(r["pods"], r["help_median_s"]) for r in reports if "help_median_s" in r]
    if help_times:
        left.plot(
            [p for p, _t in help_times],
            [t for _p, t in help_times],
            label="kubectl-sidecar --help",
            color="tab:gray",
            linestyle=":",
            marker=".",
        )
    for axis in (left, right):
        axis.set_xlabel("pods in the Job (about 10 events each)")
        axis.grid(True, which="both", alpha=0.3)
    left.set_xscale("log")
    left.set_yscale("log")  # memory stays on linear axes: a straight line there is linear growth
    left.set_ylabel("wall time per run, seconds (median; bars: min-max)")
    left.set_title("Time (log-log)")
    right.set_ylabel("peak RSS, MB")
    right.set_title("Memory (linear axes)")
    right.axhline(300, color="tab:blue", linestyle="--", linewidth=0.8)
    right.annotate(
        "300 MB target", (1, 300), textcoords="offset points", xytext=(2, 4), fontsize=7, color="tab:blue"
    )
    left.legend(fontsize=8, loc="upper left")
    machine = reports[-1].get("machine", {})
    server = reports[-1].get("server", {})
    fig.suptitle(
        args.title
        or (
            f"kubectl-sidecar vs kubectl {machine.get('kubectl', '')}, same server "
            f"({'the API stand-in, bench/server.py' if server.get('kind', 'stand-in') == 'stand-in' else server['kind']}), "
            f"{machine.get('cores', '?')} cores, Python {machine.get('python', '')}"
        ),
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
