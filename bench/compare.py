#!/usr/bin/env python3
"""Before and after: ``timeline POD`` from several checkouts, interleaved, against ``kubectl describe pod``.

    git worktree add /tmp/before 0fac86c
    python bench/realapi.py --pods 200 --dir /tmp/ra &      # a real kube-apiserver; see its output
    python bench/compare.py --kubeconfig /tmp/ra/kubeconfig --pod report-wkclb -n bench \\
        --variant "before=/tmp/before" --variant "after=." --variant "after, declined=.:--cluster-version 1.34"

Each variant is ``NAME=TREE[:EXTRA ARGS]``: the plugin's entry point run as its console script runs it,
with ``PYTHONPATH=TREE`` (so every checkout goes through the same interpreter and the same installed
dependencies) and the extra arguments appended. Bytecode is compiled first, so no run compiles. Each round runs every variant and
kubectl once, in alternating order; the table gives median wall and CPU (user + system) times and the
median, over the rounds, of each variant's time over kubectl's in the same round. Only the
kubeconfig's server is contacted (loopback, when it is bench/realapi.py's). docs/performance.md,
"Round three", was made with this.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import time

# What the console script pip writes does (without ``-m``, whose runpy costs every run some 8 ms)
CONSOLE_SCRIPT = (
    "import sys; from kubectl_sidecar.__main__ import main; sys.argv[0] = 'kubectl-sidecar'; main()"
)


def run(argv: list[str], env: dict) -> tuple[float, float]:
    """Wall and CPU seconds of one run; an exit code other than 0 or 1 stops the comparison."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    stderr = child.stderr.read().decode(errors="replace") if child.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"{' '.join(argv)} exited {code}: {stderr.strip()[:300]}")
    return wall, usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--pod", required=True)
    parser.add_argument("-n", "--namespace", default="default")
    parser.add_argument("--variant", action="append", required=True, metavar="NAME=TREE[:EXTRA ARGS]")
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--kubectl", default="kubectl")
    args = parser.parse_args(argv)

    base = dict(os.environ, KUBECONFIG=args.kubeconfig, PYTHONDONTWRITEBYTECODE="")
    base.pop("NO_COLOR", None)
    commands: dict[str, tuple[list[str], dict]] = {
        "kubectl describe pod": ([args.kubectl, "describe", "pod", args.pod, "-n", args.namespace], base)
    }
    for spec in args.variant:
        name, _, rest = spec.partition("=")
        tree, _, extra = rest.partition(":")
        tree = os.path.abspath(tree)
        compileall.compile_dir(os.path.join(tree, "kubectl_sidecar"), quiet=1)
        command = [sys.executable, "-c", CONSOLE_SCRIPT, "timeline", args.pod, "-n", args.namespace]
        commands[name] = (command + extra.split(), dict(base, PYTHONPATH=tree))

    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for round_no in range(args.warmup + args.rounds):
        order = list(commands) if round_no % 2 else list(reversed(commands))
        for name in order:
            measured = run(*commands[name])
            if round_no >= args.warmup:
                samples[name].append(measured)
        print(f"round {round_no + 1}/{args.warmup + args.rounds}", file=sys.stderr, flush=True)

    reference = [wall for wall, _cpu in samples["kubectl describe pod"]]
    print(f"{'command':36} {'wall ms':>8} {'CPU ms':>8} {'/ kubectl':>10}   ({args.rounds} rounds)")
    for name, values in samples.items():
        walls = [wall for wall, _cpu in values]
        ratio = statistics.median(w / k for w, k in zip(walls, reference))
        cpu = statistics.median(c for _w, c in values)
        print(f"{name:36} {statistics.median(walls) * 1000:8.1f} {cpu * 1000:8.1f} {ratio:10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
