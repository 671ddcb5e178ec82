#!/usr/bin/env python3
"""Issue 16's benchmark in one run: every number docs/performance.md's "Round two" quotes.

    python bench/suite.py --out bench/results/round3.json              # about 15 minutes (make bench)
    python bench/suite.py --quick --out /tmp/round2-quick.json         # a smaller run, a few minutes

Runs, in this order (each section can be chosen with ``--sections``):

a. ``apiserver``: a real kube-apiserver + etcd (bench/realapi.py, the e2e tier's binaries) with a Job
   of 200 pods: ``timeline POD`` against ``kubectl describe pod POD`` and ``check job/report`` against
   ``kubectl describe pods -l batch.kubernetes.io/job-name=report``, in interleaved pairs (ours then
   kubectl, then kubectl then ours...), medians and the median of the pairs' ratios; ``--help``;
   the requests each command made (the audit log).
b. ``standin``: the same on the API stand-in (bench/server.py).
c. ``scale``: ``check -A`` over 100, 200 and 400 namespaces of a 50-pod Job each (5,000, 10,000 and
   20,000 pods) and ``check job/report`` of one Job of 5,000, 10,000 and 20,000 pods, on the stand-in
   (loading 20,000 pods through a real kube-apiserver takes too long). Each ``-A`` server and the Job
   server of the same pod count are up together and their runs interleave. CPU time (user + system)
   of the plugin's process, wall time, peak RSS. Linearity: CPU of ``-A`` over CPU of the Job of the
   same pods.
d. ``memory``: from the same Job runs (and b's 200 pods): peak RSS at each size and the growth in
   MiB per pod (least squares).
e. ``latency``: bench/latency.py, a TCP proxy that delays each direction by half a round trip, in front
   of a fresh kube-apiserver (``--latency-server stand-in`` for the stand-in) with the 200-pod Job, at
   0, 10 and 50 ms round trips: timeline and check against kubectl, in interleaved pairs.

Every command runs as a whole process (GNU time measures CPU and peak RSS), stdout to /dev/null, after
one untimed warm-up whose output and exit code are checked and whose requests are counted. A command
that fails (exit code, time-out) is reported with its exit code and the first line of its stderr; the
suite carries on. Each process is bounded by ``--timeout``; servers are stopped on exit, Ctrl-C or
SIGTERM. Prints summary tables, writes every sample to ``--out`` (JSON) and draws ``--plot``
(bench/plot.py, needs matplotlib). Only 127.0.0.1 is used. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from latency import DelayProxy  # noqa: E402
from run import TIME, machine  # noqa: E402

SECTIONS = ("apiserver", "standin", "scale", "memory", "latency")
JOB = "report"
RSS_TARGET_MB = 300.0  # the "300 MB": taken as 300 * 10^6 bytes (286.1 MiB), the stricter
MIB = 1024 * 1024


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---- processes ----------------------------------------------------------------------------------


def plugin_tree() -> str:
    """A fingerprint of the plugin's source files (path, size, mtime): other people may edit the
    package during a long run, and a row whose runs saw two versions says so."""
    entries = []
    for base, _dirs, files in os.walk(os.path.join(ROOT, "kubectl_sidecar")):
        for name in files:
            if name.endswith(".py"):
                try:
                    st = os.stat(os.path.join(base, name))
                except OSError:
                    continue
                entries.append(
                    f"{os.path.relpath(os.path.join(base, name), ROOT)}:{st.st_size}:{st.st_mtime_ns}"
                )
    return hashlib.sha1("\n".join(sorted(entries)).encode()).hexdigest()[:12]


def first_line(data: bytes) -> str:
    for line in data.decode(errors="replace").splitlines():
        if line.strip():
            return line.strip()[:300]
    return ""


def run_cmd(argv: list, env: dict, cwd: str, timeout: float, capture: bool = False) -> dict:
    """One process: ``{"wall_s", "cpu_s", "rss_mib", "rc", "out_bytes", "stderr"}``.

    ``rc`` is the exit code, or ``"timeout"`` (killed after ``timeout`` s) or ``"not found"``.
    GNU time measures CPU (user + system) and peak RSS from a small process of its own (a child of
    this Python process would report at least this one's peak). The process runs in its own session,
    so a time-out or Ctrl-C kills it and its children."""
    timed = [TIME, "-f", "%M %U %S"] if os.access(TIME, os.X_OK) else []
    with (
        tempfile.TemporaryFile() as out_file,
        tempfile.TemporaryFile() as err_file,
        tempfile.NamedTemporaryFile(prefix="bench-time-", suffix=".txt") as measured,
    ):
        command = (timed[:3] + ["-o", measured.name] if timed else []) + argv
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(
                command,
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=out_file if capture else subprocess.DEVNULL,
                stderr=err_file,
                start_new_session=True,
            )
        except OSError as err:
            return {"wall_s": 0.0, "cpu_s": 0.0, "rss_mib": 0.0, "rc": "not found", "stderr": str(err)}
        expired = threading.Event()

        def kill() -> None:
            expired.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # Ctrl-C: the child is in its own session, so it did not get SIGINT
            kill()
            proc.wait()
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        rc: int | str = "timeout" if expired.is_set() else os.waitstatus_to_exitcode(status)
        rss, cpu = usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime
        if timed:
            fields = measured.read().decode(errors="replace").split()
            try:  # "Command exited with non-zero status N" comes first when it failed
                rss, cpu = int(fields[-3]) / 1024.0, float(fields[-2]) + float(fields[-1])
            except (IndexError, ValueError):
                pass
        err_file.seek(0)
        err = err_file.read(64 * 1024)
        sample = {
            "wall_s": round(wall, 4),
            "cpu_s": round(cpu, 4),
            "rss_mib": round(rss, 1),
            "rc": rc,
        }
        if capture:
            sample["out_bytes"] = out_file.seek(0, os.SEEK_END)
        if rc != 0:
            sample["stderr"] = first_line(err) if rc != "timeout" else f"timed out after {timeout:.0f} s"
        return sample


class ServerProc:
    """bench/server.py or bench/realapi.py in a child process, driven over stdin/stdout (``reset``,
    ``count``). Every one started is stopped by ``stop_all`` (Ctrl-C, SIGTERM, the end)."""

    running: list = []

    def __init__(self, kind: str, pods: int, workdir: str, namespaces: int = 0, start_timeout: float = 900):
        script = "realapi.py" if kind == "kube-apiserver" else "server.py"
        self.kind = kind
        os.makedirs(workdir, exist_ok=True)
        cmd = [sys.executable, os.path.join(HERE, script), "--pods", str(pods), "--dir", workdir]
        if namespaces:
            cmd += ["--namespaces", str(namespaces)]
        self.stderr = open(os.path.join(workdir, "server.log"), "w+b")  # noqa: SIM115 - closed in stop
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            bufsize=1,
            cwd=ROOT,
        )
        ServerProc.running.append(self)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        started = time.monotonic()
        info = self._line(start_timeout)
        if info is None or "error" in info:
            self.stop()
            reason = info["error"] if info else "no answer"
            raise RuntimeError(
                f"{script} did not start ({reason}; log: {os.path.join(workdir, 'server.log')})"
            )
        self.info = info
        self.info["start_s"] = round(time.monotonic() - started, 1)

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _line(self, timeout: float) -> dict | None:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            return None
        if line is None:
            return None
        try:
            return json.loads(line)
        except ValueError:
            return {"error": f"unexpected output {line.strip()[:200]!r}"}

    def ask(self, command: str, timeout: float = 120) -> dict:
        try:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        except OSError as err:
            return {"error": str(err)}
        return self._line(timeout) or {"error": f"no answer to {command!r}"}

    def stop(self) -> None:
        if self in ServerProc.running:
            ServerProc.running.remove(self)
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        for sig, wait in ((None, 60), (signal.SIGTERM, 30), (signal.SIGKILL, 10)):
            if sig is not None:
                try:
                    self.proc.send_signal(sig)
                except OSError:
                    pass
            try:
                self.proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        if not self.stderr.closed:
            self.stderr.close()

    @classmethod
    def stop_all(cls) -> None:
        for server in list(cls.running):
            server.stop()


# ---- statistics ---------------------------------------------------------------------------------


def stats(samples: list, ok_codes: tuple) -> dict:
    """Wall median/min/max, CPU median, the highest peak RSS over the runs that exited as expected;
    failures with their exit code and first stderr line."""
    good = [s for s in samples if s["rc"] in ok_codes]
    out: dict = {"runs": len(samples), "ok": len(good)}
    if good:
        walls = [s["wall_s"] for s in good]
        cpus = [s["cpu_s"] for s in good]
        out.update(
            median_s=round(statistics.median(walls), 4),
            min_s=round(min(walls), 4),
            max_s=round(max(walls), 4),
            cpu_median_s=round(statistics.median(cpus), 4),
            peak_rss_mib=round(max(s["rss_mib"] for s in good), 1),
            rss_median_mib=round(statistics.median(s["rss_mib"] for s in good), 1),
        )
    trees = {s["plugin_tree"] for s in samples if s.get("plugin_tree")}
    if len(trees) > 1:
        out["plugin_versions"] = len(trees)  # the package changed between these runs
    failures = {}
    for s in samples:
        if s["rc"] not in ok_codes:
            key = (str(s["rc"]), s.get("stderr", ""))
            failures[key] = failures.get(key, 0) + 1
    if failures:
        out["failures"] = [{"rc": rc, "stderr": err, "times": n} for (rc, err), n in failures.items()]
    return out


def ok_codes_for(argv: list) -> tuple:
    """check exits 1 when a finding reaches --fail-on (the synthetic Jobs have failed pods)."""
    return (0, 1) if "check" in argv and "kubectl_sidecar" in " ".join(argv) else (0,)


class Bench:
    """Runs commands against a server: warm-ups, interleaved pairs, repeated runs."""

    def __init__(self, args, plugin: list, home: str):
        self.args = args
        self.plugin = plugin
        self.home = home

    def env(self, kubeconfig: str) -> dict:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.home,
            "KUBECONFIG": kubeconfig,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            **({"PYTHONPATH": ROOT} if self.args.install == "dev" else {}),
        }

    def is_plugin(self, argv: list) -> bool:
        return argv[: len(self.plugin)] == self.plugin

    def run(self, argv: list, env: dict, capture: bool = False) -> dict:
        # the checkout may change during a run (dev); an installed copy (venv) cannot
        tree = plugin_tree() if self.is_plugin(argv) and self.args.install == "dev" else None
        sample = run_cmd(argv, env, ROOT, self.args.timeout, capture=capture)
        if tree:
            sample["plugin_tree"] = tree
        return sample

    def warm_up(self, argv: list, env: dict, server: ServerProc | None) -> dict:
        """One untimed run: output and exit code checked, requests counted. The plugin's is tried
        again ``--retries`` times, ``--retry-wait`` seconds apart, when it fails: other people may be
        half-way through a change of the package."""
        attempts = 1 + (self.args.retries if self.is_plugin(argv) else 0)
        for attempt in range(1, attempts + 1):
            out = self._warm_up_once(argv, env, server)
            out["attempts"] = attempt
            if out["ok"] or attempt == attempts:
                return out
            log(f"  trying again in {self.args.retry_wait:g} s ({attempt}/{attempts - 1})")
            time.sleep(self.args.retry_wait)
            compile_plugin()
        return out

    def _warm_up_once(self, argv: list, env: dict, server: ServerProc | None) -> dict:
        if server is not None:
            server.ask("reset")
        sample = self.run(argv, env, capture=True)
        out: dict = {"rc": sample["rc"], "out_bytes": sample.get("out_bytes", 0)}
        if server is not None:
            count = server.ask("count")
            out["requests"] = count.get("requests")
            out["requests_by_kind"] = count.get("by_kind")
        ok = sample["rc"] in ok_codes_for(argv) and sample.get("out_bytes", 0) > 0
        out["ok"] = ok
        if not ok:
            out["stderr"] = sample.get("stderr") or "no output"
            log(f"  FAILED: {' '.join(argv[-4:])}: exit {sample['rc']}: {out['stderr']}")
        return out

    def pairs(self, label: str, ours: list, theirs: list, n: int, env: dict, server, kind: str) -> dict:
        """``n`` interleaved pairs (ours first in even pairs, kubectl first in odd ones).

        ``kind`` "slower" reports ours over kubectl (timeline: lower is better), "faster" kubectl over
        ours (check: higher is better); both as the median of the pairs' ratios and the ratio of the
        medians."""
        log(f"{label}: warm-up")
        warm = {"ours": self.warm_up(ours, env, server), "kubectl": self.warm_up(theirs, env, server)}
        samples: dict = {"ours": [], "kubectl": []}
        commands = [("ours", ours), ("kubectl", theirs)]
        for who in ("ours", "kubectl"):
            if not warm[who]["ok"]:
                commands = [c for c in commands if c[0] != who]
        for i in range(n):
            for who, argv in commands if i % 2 == 0 else list(reversed(commands)):
                samples[who].append(self.run(argv, env))
            log(f"{label}: pair {i + 1}/{n}")
        result: dict = {"pairs": n, "kind": kind}
        for who, argv in (("ours", ours), ("kubectl", theirs)):
            row = stats(samples[who], ok_codes_for(argv)) if samples[who] else {"runs": 0, "ok": 0}
            row["argv"] = display(argv)
            row["warm_up"] = warm[who]
            row["samples"] = samples[who]
            result[who] = row
        ratios = []
        for a, b in zip(samples["ours"], samples["kubectl"]):
            if a["rc"] in ok_codes_for(ours) and b["rc"] == 0 and a["wall_s"] > 0 and b["wall_s"] > 0:
                ratios.append(a["wall_s"] / b["wall_s"] if kind == "slower" else b["wall_s"] / a["wall_s"])
        if ratios:
            result["pair_ratios"] = [round(r, 3) for r in ratios]
            result["ratio"] = round(statistics.median(ratios), 3)
            om, km = result["ours"].get("median_s"), result["kubectl"].get("median_s")
            if om and km:
                result["ratio_of_medians"] = round(om / km if kind == "slower" else km / om, 3)
        return result

    def runner(self, argv: list, env: dict, server) -> tuple:
        """The warm-up's result, and a function that makes one timed run (for the caller to
        interleave with other commands' runs)."""
        warm = self.warm_up(argv, env, server)
        return warm, (lambda: self.run(argv, env))


def display(argv: list) -> str:
    words = []
    for word in argv:
        if word == sys.executable:
            words.append("python")
        else:
            words.append(word)
    return " ".join(words)


def proxied_kubeconfig(path: str, proxy: DelayProxy, out: str) -> str:
    """The server's kubeconfig with every cluster's server pointed at the proxy (same scheme; the
    certificates name 127.0.0.1, so TLS still verifies through it)."""
    with open(path, encoding="utf-8") as handle:
        config = json.load(handle)  # both servers write JSON
    for cluster in config.get("clusters", []):
        server = cluster["cluster"]["server"]
        scheme = server.split("://", 1)[0]
        cluster["cluster"]["server"] = f"{scheme}://{proxy.url_host}"
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(config, handle)
    os.chmod(out, 0o600)
    return out


def install_plugin(workdir: str, how: str) -> list:
    """The plugin's command line. ``venv`` (the default): installed as the README's first line installs
    it, ``pip install .`` into a fresh virtualenv, and run through its console script, so what the
    interpreter's own site-packages load at every start (an editable install's finder, other tools'
    ``.pth`` files: 24 ms on the machine of round two) is not counted against the plugin. ``dev``: the
    checkout, ``python -m kubectl_sidecar`` with the interpreter running this script."""
    if how == "dev":
        compile_plugin()
        return [sys.executable, "-m", "kubectl_sidecar"]
    venv = os.path.join(workdir, "venv")
    log(f"installing the plugin into {venv} (pip install .)")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=300)
    subprocess.run(
        [
            os.path.join(venv, "bin", "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            ROOT,
        ],
        check=True,
        timeout=1200,
        env=dict(os.environ, PYTHONDONTWRITEBYTECODE=""),
    )
    return [os.path.join(venv, "bin", "kubectl-sidecar")]


def compile_plugin() -> None:
    """PYTHONDONTWRITEBYTECODE is set: compile the package once, so no timed run compiles it."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", os.path.join(ROOT, "kubectl_sidecar")],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )


# ---- sections -----------------------------------------------------------------------------------


def server_section(bench: Bench, kind: str, workdir: str) -> dict:
    """(a) and (b): timeline and check against kubectl, --help, requests."""
    args = bench.args
    log(f"starting {kind} with a Job of {args.pods} pods")
    server = ServerProc(kind, args.pods, os.path.join(workdir, kind))
    try:
        info = server.info
        log(
            f"{info.get('server', kind)}: {info['pods']} pods, {info['events']} pod events ({info['start_s']} s)"
        )
        env = bench.env(info["kubeconfig"])
        pod = info["pod"]
        kubectl = args.kubectl
        compile_plugin()
        section: dict = {"server": info.get("server", kind), "pods": info["pods"], "events": info["events"]}
        section["timeline"] = bench.pairs(
            f"{kind} timeline",
            bench.plugin + ["timeline", pod],
            [kubectl, "describe", "pod", pod],
            args.timeline_pairs,
            env,
            server,
            "slower",
        )
        section["check"] = bench.pairs(
            f"{kind} check",
            bench.plugin + ["check", f"job/{JOB}"],
            [kubectl, "describe", "pods", "-l", f"batch.kubernetes.io/job-name={JOB}"],
            args.check_pairs,
            env,
            server,
            "faster",
        )
        help_argv = bench.plugin + ["--help"]
        warm = bench.warm_up(help_argv, env, None)
        runs = [bench.run(help_argv, env) for _ in range(5)] if warm["ok"] else []
        section["help"] = dict(stats(runs, (0,)), argv=display(help_argv), warm_up=warm, samples=runs)
        return section
    finally:
        server.stop()


def scale_section(bench: Bench, workdir: str) -> dict:
    """(c) and (d): check -A over many namespaces and check job/NAME of one Job of as many pods,
    each pair of servers of the same pod count up together, their runs interleaved."""
    args = bench.args
    per = args.pods_per_namespace
    groups = []  # (pods, [("all", namespaces) and/or ("job", pods)])
    for pods in sorted({k * per for k in args.namespaces} | set(args.job_sizes)):
        members = []
        if pods // per in args.namespaces and pods % per == 0:
            members.append(("all", pods // per))
        if pods in args.job_sizes:
            members.append(("job", pods))
        groups.append((pods, members))
    rows = []
    for pods, members in groups:
        servers = []
        try:
            for what, size in members:
                label = f"{size} namespaces x {per} pods" if what == "all" else f"one Job of {size} pods"
                log(f"loading {label} into the stand-in")
                server = ServerProc(
                    "stand-in",
                    per if what == "all" else size,
                    os.path.join(workdir, f"{what}-{size}"),
                    namespaces=size if what == "all" else 0,
                )
                log(
                    f"  {server.info['pods']} pods, {server.info['events']} pod events ({server.info['start_s']} s)"
                )
                servers.append((what, size, label, server))
            compile_plugin()
            runners = []
            for what, size, label, server in servers:
                argv = bench.plugin + (["check", "-A"] if what == "all" else ["check", f"job/{JOB}"])
                env = bench.env(server.info["kubeconfig"])
                log(f"{label}: warm-up")
                warm, run = bench.runner(argv, env, server)
                runners.append((what, size, label, server, argv, warm, run, []))
            for i in range(args.scale_runs):
                order = runners if i % 2 == 0 else list(reversed(runners))
                for _what, _size, _label, _server, _argv, warm, run, samples in order:
                    if warm["ok"]:
                        samples.append(run())
                log(f"{pods} pods: run {i + 1}/{args.scale_runs}")
            for what, size, label, server, argv, warm, _run, samples in runners:
                row = stats(samples, ok_codes_for(argv)) if samples else {"runs": 0, "ok": 0}
                row.update(
                    what=what,
                    label=label,
                    server=server.info.get("server", "stand-in"),
                    namespaces=size if what == "all" else 1,
                    pods=server.info["pods"],
                    events=server.info["events"],
                    argv=display(argv),
                    warm_up=warm,
                    samples=samples,
                )
                rows.append(row)
        finally:
            for _what, _size, _label, server in servers:
                server.stop()
    return {"pods_per_namespace": per, "rows": rows, "linearity": linearity(rows)}


def linearity(rows: list) -> list:
    """CPU of check -A over CPU of the Job of the same pods; and -A's growth between sizes."""
    out = []
    jobs = {r["pods"]: r for r in rows if r["what"] == "job" and r.get("cpu_median_s")}
    alls = sorted((r for r in rows if r["what"] == "all" and r.get("cpu_median_s")), key=lambda r: r["pods"])
    for row in alls:
        job = jobs.get(row["pods"])
        if job:
            out.append(
                {
                    "pods": row["pods"],
                    "namespaces": row["namespaces"],
                    "all_cpu_s": row["cpu_median_s"],
                    "job_cpu_s": job["cpu_median_s"],
                    "cpu_ratio": round(row["cpu_median_s"] / job["cpu_median_s"], 3),
                    "wall_ratio": round(row["median_s"] / job["median_s"], 3),
                }
            )
    for smaller, larger in zip(alls, alls[1:]):
        out.append(
            {
                "growth": f"{smaller['namespaces']} -> {larger['namespaces']} namespaces",
                "pods_ratio": round(larger["pods"] / smaller["pods"], 3),
                "cpu_ratio": round(larger["cpu_median_s"] / smaller["cpu_median_s"], 3),
            }
        )
    return out


def memory_section(report: dict) -> dict:
    """(d): peak RSS of check job/report by size, from (b) and (c); MiB per pod by least squares."""
    points = []
    for row in (report["sections"].get("scale") or {}).get("rows", []):
        if row["what"] == "job" and row.get("peak_rss_mib"):
            points.append(
                {
                    "pods": row["pods"],
                    "peak_rss_mib": row["peak_rss_mib"],
                    "rss_median_mib": row.get("rss_median_mib"),
                    "from": "scale",
                }
            )
    standin = report["sections"].get("standin") or {}
    check = (standin.get("check") or {}).get("ours") or {}
    if check.get("peak_rss_mib") and all(p["pods"] != standin["pods"] for p in points):
        points.append({"pods": standin["pods"], "peak_rss_mib": check["peak_rss_mib"], "from": "standin"})
    points.sort(key=lambda p: p["pods"])
    out: dict = {"points": points}
    if len(points) >= 2:
        xs = [p["pods"] for p in points]
        ys = [p["peak_rss_mib"] for p in points]
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        sxx = sum((x - mx) ** 2 for x in xs)
        if sxx:
            slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
            out["mib_per_pod"] = round(slope, 5)
            out["intercept_mib"] = round(my - slope * mx, 1)
            out["max_residual_mib"] = round(max(abs(y - (my + slope * (x - mx))) for x, y in zip(xs, ys)), 1)
    for pods in (5000, 20000):
        match = next((p for p in points if p["pods"] == pods), None)
        if match:
            out[f"peak_rss_mib_{pods}"] = match["peak_rss_mib"]
            out[f"peak_rss_mb_{pods}"] = round(match["peak_rss_mib"] * MIB / 1e6, 1)
    return out


def latency_section(bench: Bench, workdir: str) -> dict:
    """(e): timeline and check against kubectl through the delaying proxy, at each round trip."""
    args = bench.args
    kind = args.latency_server
    log(f"starting {kind} with a Job of {args.pods} pods, for the latency series")
    server = ServerProc(kind, args.pods, os.path.join(workdir, f"latency-{kind}"))
    rows = []
    try:
        info = server.info
        host, port = info["url"].split("://", 1)[1].rsplit(":", 1)
        compile_plugin()
        for rtt_ms in args.rtt:
            with DelayProxy(host, int(port), rtt_ms / 1000.0) as proxy:
                kubeconfig = proxied_kubeconfig(
                    info["kubeconfig"], proxy, os.path.join(workdir, f"kubeconfig-rtt-{rtt_ms:g}")
                )
                env = bench.env(kubeconfig)
                pod = info["pod"]
                row: dict = {"rtt_ms": rtt_ms}
                row["timeline"] = bench.pairs(
                    f"rtt {rtt_ms:g} ms timeline",
                    bench.plugin + ["timeline", pod],
                    [args.kubectl, "describe", "pod", pod],
                    args.latency_timeline_pairs,
                    env,
                    server,
                    "slower",
                )
                row["check"] = bench.pairs(
                    f"rtt {rtt_ms:g} ms check",
                    bench.plugin + ["check", f"job/{JOB}"],
                    [args.kubectl, "describe", "pods", "-l", f"batch.kubernetes.io/job-name={JOB}"],
                    args.latency_check_pairs,
                    env,
                    server,
                    "faster",
                )
                row["proxy"] = proxy.stats()
                rows.append(row)
        return {
            "server": info.get("server", kind),
            "pods": info["pods"],
            "events": info["events"],
            "rows": rows,
        }
    finally:
        server.stop()


# ---- goals and summary --------------------------------------------------------------------------


def goals(report: dict) -> list:
    s = report["sections"]
    out = []
    api = s.get("apiserver") or {}
    timeline = api.get("timeline") or {}
    if timeline.get("ratio") is not None:
        out.append(
            {
                "goal": "timeline at most 1.5x kubectl describe pod (kube-apiserver, median of >= 11 pairs)",
                "value": timeline["ratio"],
                "pairs": timeline["pairs"],
                "holds": timeline["ratio"] <= 1.5 and timeline["pairs"] >= 11,
            }
        )
    for key, where in (("apiserver", "kube-apiserver"), ("standin", "stand-in")):
        check = (s.get(key) or {}).get("check") or {}
        if check.get("ratio") is not None:
            out.append(
                {
                    "goal": f"check >= 10x faster than kubectl describe pods -l at {s[key]['pods']} pods ({where})",
                    "value": check["ratio"],
                    "holds": check["ratio"] >= 10 and s[key]["pods"] == 200,
                }
            )
    for entry in (s.get("scale") or {}).get("linearity", []):
        if "cpu_ratio" in entry and "namespaces" in entry:
            out.append(
                {
                    "goal": f"check -A of {entry['namespaces']} namespaces within 1.5x the CPU of one Job "
                    f"of the same {entry['pods']} pods",
                    "value": entry["cpu_ratio"],
                    "holds": entry["cpu_ratio"] <= 1.5,
                    "spec": entry["namespaces"] == 200 and entry["pods"] == 10000,
                }
            )
    memory = s.get("memory") or {}
    for point in memory.get("points", []):
        if point["pods"] >= 5000 and point["from"] == "scale":
            mb = point["peak_rss_mib"] * MIB / 1e6
            out.append(
                {
                    "goal": f"check job/NAME of {point['pods']} pods under 300 MB peak RSS",
                    "value": round(mb, 1),
                    "holds": mb < RSS_TARGET_MB,
                    "spec": point["pods"] == 20000,
                }
            )
    return out


def fmt_row(row: dict, name: str) -> str:
    if not row.get("ok"):
        failure = (row.get("failures") or [{}])[0]
        warm = row.get("warm_up") or {}
        rc = failure.get("rc", warm.get("rc", "?"))
        err = failure.get("stderr", warm.get("stderr", ""))
        return f"  {name:<52} FAILED (exit {rc}): {err[:90]}"
    requests = (row.get("warm_up") or {}).get("requests")
    extra = ""
    if row.get("failures"):
        extra += f"  ({sum(f['times'] for f in row['failures'])} failed: exit {row['failures'][0]['rc']})"
    if row.get("plugin_versions"):
        extra += f"  (the plugin changed during these runs: {row['plugin_versions']} versions)"
    return (
        f"  {name:<52} {row['ok']:>4} {row['median_s']:>9.3f} {row['min_s']:>7.3f}-{row['max_s']:<7.3f} "
        f"{row['cpu_median_s']:>7.3f} {row['peak_rss_mib']:>8.1f} {requests if requests is not None else '-':>8}"
        f"{extra}"
    )


HEADER = (
    f"  {'command':<52} {'runs':>4} {'median s':>9} {'min-max s':>15} {'CPU s':>7} {'peak MiB':>8} "
    f"{'requests':>8}"
)


def print_pair(pair: dict, ours: str, theirs: str) -> None:
    print(fmt_row(pair["ours"], ours))
    print(fmt_row(pair["kubectl"], theirs))
    if pair.get("ratio") is not None:
        what = "ours / kubectl" if pair["kind"] == "slower" else "kubectl / ours (x faster)"
        print(
            f"    {what}: {pair['ratio']:.2f} (median of {len(pair['pair_ratios'])} pair ratios; "
            f"ratio of medians {pair.get('ratio_of_medians', float('nan')):.2f})"
        )


def print_summary(report: dict) -> None:
    s = report["sections"]
    print(
        f"\nkubectl-sidecar benchmark, issue 16 ({'quick' if report['quick'] else 'full'} run): {report['command']}"
    )
    plugin = report["plugin"]
    print(
        f"plugin: commit {plugin['commit'][:10]}{' + uncommitted changes' if plugin['dirty'] else ''}; "
        f"{report['machine'].get('cores')} cores, Python {report['machine'].get('python')}, "
        f"kubectl {report['machine'].get('kubectl')}; {report['wall_s'] / 60:.1f} min"
    )
    for key, title in (("apiserver", "a"), ("standin", "b")):
        sec = s.get(key)
        if not sec:
            continue
        if "error" in sec:
            print(f"\n({title}) {key}: FAILED: {sec['error']}")
            continue
        print(f"\n({title}) {sec['server']}: a Job of {sec['pods']} pods, {sec['events']} pod events")
        print(HEADER)
        print_pair(sec["timeline"], "kubectl-sidecar timeline POD", "kubectl describe pod POD")
        print_pair(sec["check"], f"kubectl-sidecar check job/{JOB}", "kubectl describe pods -l job-name=...")
        print(fmt_row(sec["help"], "kubectl-sidecar --help"))
    scale = s.get("scale")
    if scale and "error" not in scale:
        print(
            f"\n(c) check -A over namespaces of {scale['pods_per_namespace']} pods, and one Job of as many pods"
        )
        print(HEADER)
        for row in scale["rows"]:
            name = ("check -A, " if row["what"] == "all" else "check job/report, ") + row["label"]
            print(fmt_row(row, f"{name} ({row['server']})"))
        for entry in scale["linearity"]:
            if "namespaces" in entry:
                print(
                    f"    {entry['pods']} pods: CPU of -A ({entry['namespaces']} namespaces) / CPU of one Job: "
                    f"{entry['cpu_ratio']:.2f} (wall {entry['wall_ratio']:.2f})"
                )
            else:
                print(
                    f"    -A {entry['growth']}: pods x{entry['pods_ratio']:.2f}, CPU x{entry['cpu_ratio']:.2f}"
                )
    elif scale:
        print(f"\n(c) scale: FAILED: {scale['error']}")
    memory = s.get("memory")
    if memory and memory.get("points"):
        print("\n(d) peak RSS of check job/report (MiB; MB = 10^6 bytes)")
        for point in memory["points"]:
            median = (
                f", median of the runs {point['rss_median_mib']:.1f} MiB"
                if point.get("rss_median_mib")
                else ""
            )
            print(
                f"    {point['pods']:>6} pods: {point['peak_rss_mib']:7.1f} MiB "
                f"({point['peak_rss_mib'] * MIB / 1e6:.1f} MB){median}"
            )
        if "mib_per_pod" in memory:
            print(
                f"    growth: {memory['mib_per_pod'] * 1000:.1f} MiB per 1,000 pods "
                f"(least squares; intercept {memory['intercept_mib']} MiB, "
                f"largest residual {memory['max_residual_mib']} MiB)"
            )
    latency = s.get("latency")
    if latency and "error" not in latency:
        print(f"\n(e) through the latency proxy, {latency['server']}, a Job of {latency['pods']} pods")
        print(HEADER)
        for row in latency["rows"]:
            print(f"  round trip {row['rtt_ms']:g} ms:")
            print_pair(row["timeline"], "kubectl-sidecar timeline POD", "kubectl describe pod POD")
            print_pair(
                row["check"], f"kubectl-sidecar check job/{JOB}", "kubectl describe pods -l job-name=..."
            )
    elif latency:
        print(f"\n(e) latency: FAILED: {latency['error']}")
    print("\nGoals")
    for goal in report["goals"]:
        flag = "yes" if goal["holds"] else "NO "
        note = "" if goal.get("spec", True) else "  (not the issue's size)"
        print(f"  [{flag}] {goal['goal']}: {goal['value']}{note}")


# ---- main ---------------------------------------------------------------------------------------


def plugin_state() -> dict:
    def git(*words: str) -> str:
        try:
            return subprocess.run(
                ["git", *words], cwd=ROOT, capture_output=True, text=True, timeout=30
            ).stdout.rstrip("\n")  # not strip(): a porcelain line starts with a space
        except (OSError, subprocess.TimeoutExpired):
            return ""

    dirty = [line[3:] for line in git("status", "--porcelain", "--", "kubectl_sidecar").splitlines()]
    return {"commit": git("rev-parse", "HEAD").strip(), "dirty": dirty}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="write every sample as JSON here")
    parser.add_argument(
        "--plot",
        default=None,
        help="draw the plot here (bench/plot.py; default docs/performance.png for a full run of "
        "every section, none for --quick or a subset)",
    )
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument(
        "--quick", action="store_true", help="a smaller run (a few minutes): fewer pairs, smaller sizes"
    )
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated, of {', '.join(SECTIONS)} (default: all)",
    )
    parser.add_argument("--pods", type=int, default=200, help="pods of the Job of sections a, b and e")
    parser.add_argument(
        "--timeline-pairs", type=int, help="interleaved pairs for timeline (default 11; quick 5)"
    )
    parser.add_argument("--check-pairs", type=int, help="interleaved pairs for check (default 11; quick 3)")
    parser.add_argument("--namespaces", help="namespaces of the check -A series (default 100,200,400)")
    parser.add_argument(
        "--pods-per-namespace", type=int, help="pods of each namespace's Job (default 50; quick 10)"
    )
    parser.add_argument(
        "--job-sizes", help="pods of the single-Job series (default 5000,10000,20000; quick 1000,2000,4000)"
    )
    parser.add_argument("--scale-runs", type=int, help="runs of each scale command (default 3; quick 1)")
    parser.add_argument("--rtt", help="round trips in ms of the latency series (default 0,10,50)")
    parser.add_argument("--latency-timeline-pairs", type=int, help="default 5; quick 3")
    parser.add_argument("--latency-check-pairs", type=int, help="default 3; quick 1")
    parser.add_argument("--latency-server", choices=("kube-apiserver", "stand-in"), default="kube-apiserver")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds any one process may take")
    parser.add_argument(
        "--install",
        choices=("venv", "dev"),
        default="venv",
        help="venv: pip install . into a fresh virtualenv, as the README installs it (default); "
        "dev: python -m kubectl_sidecar from the checkout",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=3,
        help="when the plugin's warm-up run fails, try again this many times (default 3)",
    )
    parser.add_argument(
        "--retry-wait", type=float, default=60.0, help="seconds between those tries (default 60)"
    )
    parser.add_argument("--kubectl", default=shutil.which("kubectl") or "/usr/bin/kubectl")
    args = parser.parse_args(argv)
    quick = args.quick
    defaults = {
        "timeline_pairs": 5 if quick else 11,
        "check_pairs": 3 if quick else 11,
        "namespaces": "100,200,400",
        "pods_per_namespace": 10 if quick else 50,
        "job_sizes": "1000,2000,4000" if quick else "5000,10000,20000",
        "scale_runs": 1 if quick else 3,
        "rtt": "0,10,50",
        "latency_timeline_pairs": 3 if quick else 5,
        "latency_check_pairs": 1 if quick else 3,
    }
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.namespaces = [int(x) for x in str(args.namespaces).split(",") if x]
    args.job_sizes = [int(x) for x in str(args.job_sizes).split(",") if x]
    args.rtt = [float(x) for x in str(args.rtt).split(",") if x]
    args.sections = [x.strip() for x in args.sections.split(",") if x.strip()]
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    if args.plot is None and not args.no_plot and not quick and args.sections == list(SECTIONS):
        args.plot = os.path.join(ROOT, "docs", "performance.png")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.monotonic()

    def terminate(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    workdir = tempfile.mkdtemp(prefix="kubectl-sidecar-suite-")
    home = os.path.join(workdir, "home")
    os.makedirs(home)
    bench = Bench(args, install_plugin(workdir, args.install), home)
    report: dict = {
        "suite": "issue16",
        "quick": args.quick,
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "command": " ".join(["python", "bench/suite.py"] + (sys.argv[1:] if argv is None else list(argv))),
        "settings": {k: v for k, v in vars(args).items() if k not in ("out", "plot", "no_plot", "kubectl")},
        "plugin": plugin_state(),
        "machine": machine(),
        "sections": {},
    }
    interrupted = False
    try:
        for name in args.sections:
            section_started = time.monotonic()
            state = plugin_state()  # others may commit or edit the plugin during a long run
            try:
                if name == "apiserver":
                    result = server_section(bench, "kube-apiserver", workdir)
                elif name == "standin":
                    result = server_section(bench, "stand-in", workdir)
                elif name == "scale":
                    result = scale_section(bench, workdir)
                elif name == "memory":
                    result = memory_section(report)
                else:
                    result = latency_section(bench, workdir)
            except Exception as err:  # noqa: BLE001 - reported, and the next section runs
                log(f"section {name} failed: {err}")
                result = {"error": f"{type(err).__name__}: {err}"}
            result["wall_s"] = round(time.monotonic() - section_started, 1)
            if name != "memory":  # computed from the others' runs, it measures nothing itself
                result["plugin"] = state
            report["sections"][name] = result
            log(f"section {name} done in {result['wall_s']} s")
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted: stopping the servers; the results so far follow")
    finally:
        ServerProc.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    if "memory" not in report["sections"] and not interrupted and "memory" in args.sections:
        report["sections"]["memory"] = memory_section(report)
    report["interrupted"] = interrupted
    report["wall_s"] = round(time.monotonic() - started, 1)
    report["goals"] = goals(report)
    print_summary(report)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=1)
            handle.write("\n")
        print(f"\nwrote {args.out}")
        if args.plot and not args.no_plot and not interrupted:
            done = subprocess.run(
                [sys.executable, os.path.join(HERE, "plot.py"), args.out, "--out", args.plot],
                cwd=ROOT,
                check=False,
                timeout=300,
            )
            if done.returncode:
                print(f"bench/plot.py failed (exit {done.returncode})", file=sys.stderr)
    print(f"total {report['wall_s'] / 60:.1f} min", file=sys.stderr)
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
