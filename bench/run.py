#!/usr/bin/env python3
"""Benchmark kubectl-sidecar against kubectl on the same API server, as whole processes.

    python bench/run.py --pods 200 --repeat 10 --out bench/results/pods-200.json

Starts bench/server.py (the tests' API stand-in loaded with a synthetic Job of N pods, about 10 events
each) in its own process, then times, in alternation so both tools see the same machine noise:

- ``kubectl-sidecar check job/NAME`` against ``kubectl describe pods -l batch.kubernetes.io/job-name=NAME``
- ``kubectl-sidecar timeline POD`` against ``kubectl describe pod POD``
- ``kubectl-sidecar --help``

Each command runs once untimed first (warm caches, kubectl's discovery cache, output checked), then
``--repeat`` times. Wall time, CPU time and peak RSS of each run (GNU time's, see ``run_once``); the
median, min and max. Requests per command are counted by the server. Output goes to /dev/null for
both tools.
See docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RUN_TIMEOUT = 3600.0


class Server:
    """bench/server.py in a child process, driven over its stdin/stdout."""

    def __init__(
        self,
        pods: int,
        workdir: str,
        plain: bool = False,
        latency: float = 0.0,
        kind: str = "stand-in",
        index_events: bool = False,
    ):
        script = "server.py" if kind == "stand-in" else "realapi.py"
        cmd = [sys.executable, os.path.join(HERE, script), "--pods", str(pods), "--dir", workdir]
        if plain:
            cmd.append("--plain")
        if index_events:
            cmd.append("--index-events")
        if latency:
            cmd += ["--latency", str(latency)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("bench/server.py did not start")
        self.info = json.loads(line)
        if "error" in self.info:
            raise SystemExit(self.info["error"])

    def ask(self, command: str) -> dict:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


TIME = "/usr/bin/time"  # GNU time (Debian package "time"): measures its child from a small process


def run_once(argv: list, env: dict, capture: bool = False, cwd: str = ROOT) -> tuple:
    """Run one process; ``(seconds, peak_rss_mb, returncode, output_bytes, stderr_tail, cpu_seconds)``.

    Peak RSS and CPU come from GNU time (``%M``, ``%U``, ``%S``) when it is installed: a child
    started by this (Python) process would report at least this process's own peak RSS, because Linux
    counts the memory a child had before ``exec`` (``vfork`` shares ours) in its ``ru_maxrss``.
    Without it, ``wait4``'s rusage is used (then small peaks read as at least about 15 MB). Output is
    written to a file, never held here (kubectl describe of 5,000 pods prints 60 MB).
    """
    with (
        tempfile.TemporaryFile() as out_file,
        tempfile.TemporaryFile() as err_file,
        tempfile.NamedTemporaryFile(prefix="bench-time-", suffix=".txt") as measured,
    ):
        timed = [TIME, "-f", "%M %U %S", "-o", measured.name] + argv if os.access(TIME, os.X_OK) else argv
        start = time.perf_counter()
        proc = subprocess.Popen(
            timed,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out_file if capture else subprocess.DEVNULL,
            stderr=err_file if capture else subprocess.DEVNULL,
        )
        _pid, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        rss_mb, cpu = usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime
        if timed is not argv:
            fields = measured.read().decode().split()
            try:  # "Command exited with non-zero status N" comes first when it failed
                rss_mb, cpu = int(fields[-3]) / 1024.0, float(fields[-2]) + float(fields[-1])
            except (IndexError, ValueError):
                pass
        output_size = stderr_tail = b""
        if capture:
            output_size = out_file.seek(0, os.SEEK_END)
            err_file.seek(max(0, err_file.seek(0, os.SEEK_END) - 2000))
            stderr_tail = err_file.read()
    return elapsed, rss_mb, proc.returncode, output_size, stderr_tail, cpu


def machine() -> dict:
    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), ""
            )
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            kb = int(next(line.split()[1] for line in handle if line.startswith("MemTotal")))
            memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    kubectl_version = ""
    kubectl = shutil.which("kubectl")
    if kubectl:
        try:
            text = subprocess.run(
                [kubectl, "version", "--client", "-o", "json"], capture_output=True, text=True, timeout=30
            ).stdout
            kubectl_version = json.loads(text)["clientVersion"]["gitVersion"]
        except (OSError, ValueError, KeyError, subprocess.TimeoutExpired):
            pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "kubectl": kubectl_version,
    }


def summary(name: str, times: list, rss: list, cpu: list, requests: int | None) -> dict:
    """Wall-clock median/min/max, the highest peak RSS, and the median CPU time (user + system), which
    other load on the machine disturbs less than wall time."""
    return {
        "name": name,
        "median_s": round(statistics.median(times), 4),
        "min_s": round(min(times), 4),
        "max_s": round(max(times), 4),
        "peak_rss_mb": round(max(rss), 1),
        "cpu_median_s": round(statistics.median(cpu), 4),
        "runs": len(times),
        "requests": requests,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark kubectl-sidecar against kubectl (docs/performance.md)."
    )
    parser.add_argument("--pods", type=int, required=True, help="pods in the synthetic Job")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each command (default 5)")
    parser.add_argument("--out", help="write the results as JSON here")
    parser.add_argument("--kubectl", default=shutil.which("kubectl") or "/usr/bin/kubectl")
    parser.add_argument(
        "--plugin",
        default=None,
        help="command that runs the plugin (default: this Python with -m kubectl_sidecar, "
        "from this checkout)",
    )
    parser.add_argument(
        "--plugin-dir",
        default=ROOT,
        help="run the plugin from this checkout (PYTHONPATH and working directory), e.g. an "
        "older commit's, for before/after numbers (default: this one)",
    )
    parser.add_argument("--skip-kubectl", action="store_true", help="time the plugin only")
    parser.add_argument(
        "--plain-server",
        action="store_true",
        help="serve with the tests' stand-in exactly as it is (Nagle: about 40 ms per answer)",
    )
    parser.add_argument(
        "--index-events",
        action="store_true",
        help="the stand-in answers per-pod event lists from an index: kubectl's best case, "
        "faster than any real server",
    )
    parser.add_argument(
        "--server",
        choices=("stand-in", "kube-apiserver"),
        default="stand-in",
        help="stand-in: the tests' API stand-in (bench/server.py, default); kube-apiserver: a "
        "real one with etcd, from the e2e tier's cached binaries (bench/realapi.py)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds the server waits before each answer (a modelled network round trip)",
    )
    args = parser.parse_args(argv)
    if args.pods < 1 or args.repeat < 1:
        parser.error("--pods and --repeat must be at least 1")

    plugin = args.plugin.split() if args.plugin else [sys.executable, "-m", "kubectl_sidecar"]
    workdir = tempfile.mkdtemp(prefix="kubectl-sidecar-bench-")
    home = os.path.join(workdir, "home")
    os.makedirs(home)
    print(f"loading {args.pods} pods into the API stand-in...", file=sys.stderr, flush=True)
    loaded = time.perf_counter()
    if args.server == "kube-apiserver" and (args.plain_server or args.latency or args.index_events):
        parser.error("--plain-server, --index-events and --latency apply to the stand-in only")
    server = Server(
        args.pods,
        workdir,
        plain=args.plain_server,
        latency=args.latency,
        kind=args.server,
        index_events=args.index_events,
    )
    info = server.info
    print(
        f"serving {info['pods']} pods and {info['events']} pod events at {info['url']} "
        f"({time.perf_counter() - loaded:.1f} s)",
        file=sys.stderr,
        flush=True,
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "KUBECONFIG": info["kubeconfig"],
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "LANG": "C.UTF-8",
        "PYTHONPATH": os.path.abspath(args.plugin_dir),
    }
    job, pod = info["job"], info["pod"]
    pairs = [
        (
            "check",
            plugin + ["check", f"job/{job}"],
            [args.kubectl, "describe", "pods", "-l", f"batch.kubernetes.io/job-name={job}"],
        ),
        ("timeline", plugin + ["timeline", pod], [args.kubectl, "describe", "pod", pod]),
        ("help", plugin + ["--help"], None),
    ]
    names = {
        "check": (
            f"kubectl-sidecar check job/{job}",
            "kubectl describe pods -l batch.kubernetes.io/job-name=...",
        ),
        "timeline": ("kubectl-sidecar timeline POD", "kubectl describe pod POD"),
        "help": ("kubectl-sidecar --help", None),
    }
    results = []
    medians = {}
    try:
        for key, ours, theirs in pairs:
            commands = [("ours", ours)] + ([("kubectl", theirs)] if theirs and not args.skip_kubectl else [])
            requests = {}
            for who, argv_ in commands:  # warm-up: untimed, output checked, requests counted
                server.ask("reset")
                cwd = os.path.abspath(args.plugin_dir) if who == "ours" else ROOT
                _t, _rss, code, out_size, err, _cpu = run_once(argv_, env, capture=True, cwd=cwd)
                requests[who] = server.ask("count")
                ok_codes = (0, 1) if key == "check" and who == "ours" else (0,)
                if code not in ok_codes or not out_size:
                    raise SystemExit(
                        f"{' '.join(argv_)} failed (exit {code}): {err.decode(errors='replace')}"
                    )
            timings = {who: ([], [], []) for who, _argv in commands}
            for i in range(args.repeat):
                for who, argv_ in commands if i % 2 == 0 else list(reversed(commands)):
                    cwd = os.path.abspath(args.plugin_dir) if who == "ours" else ROOT
                    seconds, rss, code, _out, _err, cpu = run_once(argv_, env, cwd=cwd)
                    if code not in ((0, 1) if key == "check" and who == "ours" else (0,)):
                        raise SystemExit(f"{' '.join(argv_)} failed (exit {code})")
                    timings[who][0].append(seconds)
                    timings[who][1].append(rss)
                    timings[who][2].append(cpu)
                print(f"  {key} {i + 1}/{args.repeat}", file=sys.stderr, flush=True)
            for who, _argv in commands:
                name = names[key][0 if who == "ours" else 1]
                row = summary(name, *timings[who], requests[who]["requests"])
                row["requests_by_kind"] = requests[who]["by_kind"]
                results.append(row)
                medians[(key, who)] = row["median_s"]
    finally:
        server.close()
        shutil.rmtree(workdir, ignore_errors=True)

    ratios = {}
    if ("check", "kubectl") in medians:
        ratios["check_vs_kubectl_describe"] = round(
            medians[("check", "kubectl")] / medians[("check", "ours")], 2
        )
    if ("timeline", "kubectl") in medians:
        ratios["timeline_vs_kubectl_describe_pod"] = round(
            medians[("timeline", "ours")] / medians[("timeline", "kubectl")], 2
        )
    report = {
        "pods": args.pods,
        "events": info["events"],
        "repeat": args.repeat,
        "results": results,
        "ratios": ratios,
        "help_median_s": medians[("help", "ours")],
        "server": {
            "kind": info.get("server", "stand-in"),
            "plain": args.plain_server,
            "index_events": args.index_events,
            "latency_s": args.latency,
        },
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
    }
    print_table(report)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2)
            handle.write("\n")
    return 0


def print_table(report: dict) -> None:
    print(f"\n{report['pods']} pods, {report['events']} pod events, {report['repeat']} runs each")
    header = (
        f"{'command':<58} {'median s':>9} {'min s':>8} {'max s':>8} {'CPU s':>7} {'peak MB':>8} "
        f"{'requests':>8}"
    )
    print(header)
    print("-" * len(header))
    for row in report["results"]:
        print(
            f"{row['name']:<58} {row['median_s']:>9.3f} {row['min_s']:>8.3f} {row['max_s']:>8.3f} "
            f"{row['cpu_median_s']:>7.3f} {row['peak_rss_mb']:>8.1f} {row['requests']:>8}"
        )
    for key, value in report["ratios"].items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    sys.exit(main())
