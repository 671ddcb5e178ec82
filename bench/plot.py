#!/usr/bin/env python3
"""Plot benchmark results: bench/suite.py's (issue 16, one file) or bench/run.py's (one file per size).

pip install matplotlib   # for this script only: not a dependency of the plugin or its tests
python bench/plot.py bench/results/round3.json --out docs/performance.png     # the suite: four panels
python bench/plot.py bench/results/pods-*.json --out /tmp/sizes.png            # run.py: time and memory by size

The suite's four panels: (a)/(b) the 200-pod Job on kube-apiserver and the stand-in, both tools;
(c) CPU of ``check -A`` and of one Job against pods; (d) peak RSS against pods, the fit and the 300 MB
target; (e) wall time against the round trip, both tools.
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


def load_any(paths: list) -> list:
    reports = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            reports.append(json.load(handle))
    if any(r.get("suite") for r in reports) and len(reports) > 1:
        raise SystemExit("bench/plot.py: give one bench/suite.py result, or bench/run.py results only")
    return reports


COLOURS = {
    "ours timeline": "tab:cyan",
    "kubectl timeline": "tab:orange",
    "ours check": "tab:blue",
    "kubectl check": "tab:red",
}


def _median(row: dict):
    return row.get("median_s") if row and row.get("ok") else None


def plot_suite(plt, report: dict, out: str, title) -> None:
    """Four panels from one bench/suite.py report; a section that did not run leaves its panel
    with a note."""
    sections = report.get("sections", {})
    fig, axes = plt.subplots(2, 2, figsize=(13, 9.5), dpi=110)
    (servers, scale), (memory, latency) = axes

    # (a)/(b): the 200-pod Job, both servers: four bars each, log scale
    groups = [
        (k, sections[k]) for k in ("apiserver", "standin") if sections.get(k) and "error" not in sections[k]
    ]
    bars = [
        ("kubectl-sidecar timeline POD", "timeline", "ours", "ours timeline"),
        ("kubectl describe pod POD", "timeline", "kubectl", "kubectl timeline"),
        ("kubectl-sidecar check job/NAME", "check", "ours", "ours check"),
        ("kubectl describe pods -l job-name=NAME", "check", "kubectl", "kubectl check"),
    ]
    width = 0.2
    for b, (label, key, who, colour) in enumerate(bars):
        xs, ys, lo, hi = [], [], [], []
        for g, (_name, sec) in enumerate(groups):
            row = sec[key][who]
            if _median(row) is None:
                continue
            xs.append(g + (b - 1.5) * width)
            ys.append(row["median_s"])
            lo.append(row["median_s"] - row["min_s"])
            hi.append(row["max_s"] - row["median_s"])
        if xs:
            servers.bar(xs, ys, width, yerr=[lo, hi], capsize=2, label=label, color=COLOURS[colour])
            for x, y, up in zip(xs, ys, hi):
                servers.annotate(
                    f"{y:.2f}",
                    (x, y + up),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                    xytext=(0, 2),
                    textcoords="offset points",
                )
    servers.set_xticks(range(len(groups)))
    servers.set_xticklabels(
        [
            f"{sec['server']}\ntimeline: {sec['timeline'].get('ratio', float('nan')):.2f}x describe pod\n"
            f"check: {sec['check'].get('ratio', float('nan')):.1f}x faster than describe pods -l"
            for _name, sec in groups
        ],
        fontsize=8,
    )
    servers.set_yscale("log")
    bottom, top = servers.get_ylim()
    servers.set_ylim(bottom, top * 4)  # room for the legend above the bars
    servers.set_ylabel("wall time per run, s (median; bars: min-max)")
    pods = groups[0][1]["pods"] if groups else "?"
    servers.set_title(f"(a, b) a Job of {pods} pods: kube-apiserver, then the stand-in", fontsize=10)
    servers.legend(fontsize=7, loc="upper left")

    # (c): CPU against pods, check -A and one Job
    rows = (sections.get("scale") or {}).get("rows", [])
    for what, label, colour, marker in (
        (
            "all",
            "check -A (namespaces of %s pods)" % (sections.get("scale") or {}).get("pods_per_namespace"),
            "tab:purple",
            "o",
        ),
        ("job", "check job/NAME (one Job)", "tab:blue", "s"),
    ):
        pts = sorted(
            (r["pods"], r["cpu_median_s"], r) for r in rows if r["what"] == what and r.get("cpu_median_s")
        )
        if pts:
            scale.plot(
                [p for p, _c, _r in pts], [c for _p, c, _r in pts], marker=marker, color=colour, label=label
            )
            for p, c, r in pts:
                text = f"{r['namespaces']} ns: {c:.1f} s" if what == "all" else f"{c:.1f} s"
                scale.annotate(
                    text,
                    (p, c),
                    fontsize=7,
                    color=colour,
                    textcoords="offset points",
                    xytext=(5, 6 if what == "all" else -11),
                )
    ratios = [e for e in (sections.get("scale") or {}).get("linearity", []) if "namespaces" in e]
    scale.set_title(
        "(c) CPU (user + system) of the plugin's process; stand-in"
        + (
            "".join(f"\n-A / Job at {e['pods']:,} pods: {e['cpu_ratio']:.2f}" for e in ratios)
            if ratios
            else ""
        ),
        fontsize=10,
    )
    scale.set_xlabel("pods (about 10 events each)")
    scale.set_ylabel("CPU seconds (median)")
    scale.set_xlim(0, scale.get_xlim()[1] * 1.12)
    scale.set_ylim(0, scale.get_ylim()[1] * 1.1)
    scale.legend(fontsize=8, loc="upper left")

    # (d): peak RSS against pods, the fit, the target
    mem = sections.get("memory") or {}
    pts = mem.get("points", [])
    if pts:
        xs = [p["pods"] for p in pts]
        ys = [p["peak_rss_mib"] * 1048576 / 1e6 for p in pts]
        memory.plot(xs, ys, marker="o", color="tab:blue", label="check job/NAME, peak RSS")
        for x, y in zip(xs, ys):
            memory.annotate(f"{y:.0f} MB", (x, y), fontsize=7, textcoords="offset points", xytext=(5, -10))
        if "mib_per_pod" in mem:
            slope = mem["mib_per_pod"] * 1048576 / 1e6
            base = mem["intercept_mib"] * 1048576 / 1e6
            fit_x = [0, max(xs)]
            memory.plot(
                fit_x,
                [base + slope * x for x in fit_x],
                linestyle=":",
                color="tab:gray",
                label=f"least squares: {slope * 1000:.1f} MB per 1,000 pods",
            )
    memory.axhline(300, color="tab:red", linestyle="--", linewidth=0.8, label="300 MB target")
    memory.set_title("(d) peak RSS of check job/NAME (GNU time); stand-in", fontsize=10)
    memory.set_xlabel("pods in the Job")
    memory.set_ylabel("MB (10^6 bytes)")
    memory.set_xlim(left=0)
    memory.set_ylim(bottom=0)
    memory.legend(fontsize=8, loc="upper left")

    # (e): wall time against the round trip
    lat = sections.get("latency") or {}
    for key, who, label, colour, marker in (
        ("timeline", "ours", "kubectl-sidecar timeline POD", "ours timeline", "^"),
        ("timeline", "kubectl", "kubectl describe pod POD", "kubectl timeline", "v"),
        ("check", "ours", "kubectl-sidecar check job/NAME", "ours check", "o"),
        ("check", "kubectl", "kubectl describe pods -l job-name=NAME", "kubectl check", "s"),
    ):
        pts = [
            (r["rtt_ms"], _median(r[key][who]))
            for r in lat.get("rows", [])
            if _median(r[key][who]) is not None
        ]
        if pts:
            latency.plot(
                [p for p, _y in pts], [y for _p, y in pts], marker=marker, color=COLOURS[colour], label=label
            )
            for x, y in pts:
                latency.annotate(
                    f"{y:.2f}" if y < 10 else f"{y:.0f}",
                    (x, y),
                    fontsize=7,
                    color=COLOURS[colour],
                    textcoords="offset points",
                    xytext=(5, 3),
                )
    latency.set_yscale("log")
    bottom, top = latency.get_ylim()
    latency.set_ylim(bottom / 4, top)  # room for the legend under the lines
    latency.set_xlabel("round trip, ms (bench/latency.py: half each way, plus the TCP handshake)")
    latency.set_ylabel("wall time per run, s (median)")
    latency.set_title(
        f"(e) through a delaying proxy; {lat.get('server', '')}, a Job of {lat.get('pods', '?')} pods",
        fontsize=10,
    )
    latency.set_xlim(latency.get_xlim()[0], latency.get_xlim()[1] * 1.08)
    latency.legend(fontsize=7, loc="lower right")
    for axis in axes.flat:
        axis.grid(True, which="both", alpha=0.3)
    machine = report.get("machine", {})
    fig.suptitle(
        title
        or (
            f"kubectl-sidecar vs kubectl {machine.get('kubectl', '')} (bench/suite.py, {report.get('date', '')}): "
            f"{machine.get('cores', '?')} cores, Python {machine.get('python', '')}"
        ),
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(out)


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

    reports = load_any(args.results)
    if len(reports) == 1 and reports[0].get("suite"):
        plot_suite(plt, reports[0], args.out, args.title)
        print(f"wrote {args.out}")
        return 0
    reports = sorted(reports, key=lambda r: r["pods"])
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
