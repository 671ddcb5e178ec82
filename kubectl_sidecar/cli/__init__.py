"""The command line: flags -> options, call the app, write stdout once, map errors to exit codes.

Exit codes: 0 clean, 1 findings at or above ``--fail-on``, 2 could not inspect (usage, input, config,
access, not found), 3 internal error. Data goes to stdout, notes to stderr.
"""
from __future__ import annotations

import functools
import gc
import os
import shutil
import sys
from datetime import datetime, timezone
from importlib import resources

import click

from kubectl_sidecar import __version__
from kubectl_sidecar.errors import (
    EXIT_CANNOT_INSPECT, EXIT_INTERNAL, SidecarError, UsageError,
)
from kubectl_sidecar.model import parse_cluster_version
from kubectl_sidecar.options import KubeOptions, RenderOptions, parse_request_timeout

OUTPUT_FORMATS = ("table", "wide", "json", "yaml")
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class SidecarGroup(click.Group):
    """A group whose ``main`` turns every failure into one sentence on stderr and an exit code."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            code = super().main(args=args, prog_name=prog_name or "kubectl-sidecar",
                                complete_var=complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:  # pragma: no cover - click returns these itself
            code = exc.exit_code
        except click.UsageError as exc:
            exc.show()
            code = EXIT_CANNOT_INSPECT
        except click.ClickException as exc:
            exc.show()
            code = EXIT_CANNOT_INSPECT
        except click.Abort:
            click.echo("Aborted.", err=True)
            code = 130
        except SidecarError as exc:
            click.echo(f"error: {exc}", err=True)
            code = exc.exit_code
        except KeyboardInterrupt:
            code = 130
        except BrokenPipeError:
            _silence_broken_pipe()
            code = 0
        except Exception as exc:  # noqa: BLE001 - the last line of defence: no tracebacks for users
            if os.environ.get("KUBECTL_SIDECAR_DEBUG"):
                raise
            click.echo(f"internal error: {type(exc).__name__}: {exc} (this is a bug in kubectl-sidecar; "
                       "rerun with KUBECTL_SIDECAR_DEBUG=1 for a traceback and report it)", err=True)
            code = EXIT_INTERNAL
        if not standalone_mode:
            return code
        sys.exit(code or 0)


def _silence_broken_pipe() -> None:
    """After a closed pipe (``| head``), point stdout at devnull so interpreter shutdown stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


# --------------------------------------------------------------------------------------------- options

def kube_options(func):
    """kubectl's connection flags (cli-runtime), with kubectl's names and meaning."""
    decorators = [
        click.option("--kubeconfig", metavar="PATH", help="Path to the kubeconfig file to use."),
        click.option("--context", metavar="NAME", help="The name of the kubeconfig context to use."),
        click.option("--cluster", metavar="NAME", help="The name of the kubeconfig cluster to use."),
        click.option("--user", metavar="NAME", help="The name of the kubeconfig user to use."),
        click.option("-n", "--namespace", metavar="NS", help="The namespace; defaults to the context's, then "
                                                                  "'default'. With -f: pick the pod's namespace."),
        click.option("--request-timeout", metavar="DURATION", default="0", show_default=True,
                     help="Wait this long for each request (5s, 1m, 1m30s); 0 means no timeout."),
        click.option("--as", "as_user", metavar="USER", help="Username to impersonate for the operation."),
        click.option("--as-group", "as_groups", metavar="GROUP", multiple=True,
                     help="Group to impersonate; repeat for several."),
        click.option("-s", "--server", metavar="URL", help="The address and port of the Kubernetes API server."),
        click.option("--token", metavar="TOKEN", help="Bearer token for authentication to the API server."),
        click.option("--certificate-authority", metavar="PATH", help="Path to a CA certificate file."),
        click.option("--insecure-skip-tls-verify", is_flag=True, default=False,
                     help="Do not check the server's certificate (insecure)."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        kwargs["kube"] = KubeOptions(
            kubeconfig=kwargs.pop("kubeconfig"), context=kwargs.pop("context"), cluster=kwargs.pop("cluster"),
            user=kwargs.pop("user"), namespace=kwargs.pop("namespace"),
            all_namespaces=bool(kwargs.pop("all_namespaces", False)),
            request_timeout=parse_request_timeout(kwargs.pop("request_timeout")),
            as_user=kwargs.pop("as_user"), as_groups=tuple(kwargs.pop("as_groups")),
            server=kwargs.pop("server"), token=kwargs.pop("token"),
            certificate_authority=kwargs.pop("certificate_authority"),
            insecure_skip_tls_verify=kwargs.pop("insecure_skip_tls_verify"),
        )
        return func(*args, **kwargs)

    return wrapper


def render_options(func):
    """Output flags shared by the commands that draw a timeline."""
    decorators = [
        click.option("-o", "--output", type=click.Choice(OUTPUT_FORMATS), default="table", show_default=True,
                     help="table (with a Gantt chart), wide (adds sources and messages), json or yaml."),
        click.option("--absolute-time", is_flag=True, help="Wall-clock times in the local zone, as kubectl "
                                                           "describe prints them, instead of offsets."),
        click.option("--utc", is_flag=True, help="Wall-clock times in UTC."),
        click.option("--chart/--no-chart", default=True, show_default=True, help="Draw the Gantt chart."),
        click.option("--ascii", "ascii_only", is_flag=True, help="Draw with ASCII only."),
        click.option("--color", "colour", type=click.Choice(("auto", "always", "never")), default="auto",
                     show_default=True, help="Colour the chart: auto means only on a terminal. "
                                             "NO_COLOR always turns it off."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        kwargs["render"] = make_render_options(
            output=kwargs.pop("output"), absolute_time=kwargs.pop("absolute_time"), utc=kwargs.pop("utc"),
            chart=kwargs.pop("chart"), ascii_only=kwargs.pop("ascii_only"), colour=kwargs.pop("colour"),
        )
        return func(*args, **kwargs)

    return wrapper


def make_render_options(*, output: str, absolute_time: bool, utc: bool, chart: bool, ascii_only: bool,
                        colour: str, stream=None) -> RenderOptions:
    """Decide width, colour and glyphs from the flags and the terminal we write to."""
    stream = stream or sys.stdout
    is_tty = _isatty(stream)
    no_colour = bool(os.environ.get("NO_COLOR"))
    use_colour = not no_colour and (colour == "always" or (colour == "auto" and is_tty))
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    return RenderOptions(output=output, absolute_time=absolute_time, utc=utc, chart=chart,
                         width=_terminal_width(is_tty), colour=use_colour,
                         ascii_only=ascii_only or (encoding not in ("utf8", "") and not encoding.startswith("utf")))


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _terminal_width(is_tty: bool) -> int:
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return max(int(columns), 40)
    if is_tty:
        return max(shutil.get_terminal_size((80, 24)).columns, 40)
    return 80


def without_gc(func):
    """Run ``func`` with the cyclic garbage collector off (reference counting still frees everything).

    A check of a large Job allocates hundreds of thousands of objects that live until it ends (the
    API's JSON, the timelines), none in cycles; each automatic collection walks all of them again,
    which made the collector more than a third of a 5,000-pod check. Collection resumes afterwards.
    """
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        enabled = gc.isenabled()
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return wrapper


def cluster_version_option(func):
    return click.option("--cluster-version", metavar="X.Y",
                        help="The server version that files lack (e.g. 1.28 or v1.28.15-aliyun.1).")(func)


def parse_version_flag(text: str | None):
    if text is None:
        return None
    version = parse_cluster_version(text)
    if version is None:
        raise UsageError(f'invalid --cluster-version "{text}": use a version such as 1.29 or v1.28.15-aliyun.1')
    return version


def split_target(target: str | None, default_kind: str) -> tuple:
    """``NAME``, ``pod/NAME``, ``pods/NAME``, ``job.batch/NAME`` -> (kind, name)."""
    if target is None:
        return default_kind, None
    if "/" in target:
        kind, _, name = target.partition("/")
        kind = kind.lower().split(".")[0]
        kind = {"po": "pod", "pods": "pod", "jobs": "job"}.get(kind, kind)
        if kind not in ("pod", "job") or not name:
            raise UsageError(f'cannot read "{target}": name a pod (pod/NAME) or a Job (job/NAME)')
        return kind, name
    return default_kind, target


def emit(text: str) -> None:
    """Write a complete result to stdout at once."""
    click.echo(text, nl=False, color=True)  # we decided on colour already; click would strip it


def note(text: str) -> None:
    click.echo(f"note: {text}", err=True)


# --------------------------------------------------------------------------------------------- commands

@click.group(cls=SidecarGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="kubectl-sidecar", message="%(prog)s %(version)s")
def cli():
    """See when the sidecars and app containers of a pod started and stopped, and what is wrong.

    \b
    Examples:
      kubectl sidecar demo                      # no cluster needed
      kubectl sidecar timeline my-job-x7k2p -n batch
      kubectl get job,pod,events -o json > snap.json
      kubectl sidecar timeline -f snap.json --cluster-version 1.28
    """


@cli.command()
@click.argument("pod", required=False)
@click.option("-f", "--filename", "filenames", multiple=True, metavar="FILE",
              help="Read objects from FILE (JSON or YAML, '-' for stdin) instead of the cluster; repeatable.")
@cluster_version_option
@click.option("--sidecar", "declared", multiple=True, metavar="NAME",
              help="Treat container NAME as a sidecar (for sidecars no marker reveals); repeatable.")
@click.option("-w", "--watch", "follow", is_flag=True,
              help="After the timeline, follow the pod live (redraw on a terminal, append new marks "
                   "otherwise) until it is deleted or finished, or Ctrl-C.")
@render_options
@kube_options
def timeline(pod, filenames, cluster_version, declared, follow, render, kube):
    """Show the start/exit timeline of a pod's app and sidecar containers.

    POD is a pod name (or pod/NAME). With -f, POD may be left out when the files hold one pod.

    \b
    Examples:
      kubectl sidecar timeline test-729nd
      kubectl sidecar timeline test-729nd -o wide --absolute-time
      kubectl sidecar timeline test-729nd --watch
      kubectl get pod,events -o yaml > pod.yaml && kubectl sidecar timeline -f pod.yaml
    """
    from kubectl_sidecar import app

    kind, name = split_target(pod, "pod")
    if kind != "pod":
        raise UsageError("timeline shows one pod: name it as NAME or pod/NAME (use `check` for a Job)")
    version = parse_version_flag(cluster_version)
    if follow and filenames:
        raise UsageError("--watch follows a live pod: it cannot be used with -f")
    if filenames:
        from kubectl_sidecar import files

        snapshot = files.load_snapshot(filenames, cluster_version=version)
        now = None
        namespace = kube.namespace
    else:
        if name is None:
            raise UsageError("name the pod to show (or read files with -f)")
        if follow:
            from kubectl_sidecar import watch as live

            return live.follow_pod(kube, name, declared=declared, opts=render, cluster_version=version,
                                   write=emit, notify=note,
                                   redraw=_isatty(sys.stdout) and render.output in ("table", "wide"))
        from kubectl_sidecar import kube as kubeapi

        snapshot = kubeapi.fetch_pod_snapshot(kube, name)
        if version is not None:
            snapshot.server_version = version
        now = datetime.now(timezone.utc)
        namespace = None
    pod_obj = snapshot.find_pod(name, namespace)
    result = app.timeline_for_pod(snapshot, pod_obj, declared_sidecars=declared, now=now)
    if now is not None:  # live: what could not be read (403/404 notes) belongs in -o json/yaml too
        result.notes[:0] = [text for text in snapshot.notes if text not in result.notes]
    emit(app.render_timeline(result, render))
    if render.output not in ("json", "yaml"):
        for text in dict.fromkeys(snapshot.notes + result.notes):
            note(text)
    else:
        for text in snapshot.notes:
            note(text)
    return 0


CHECK_OUTPUTS = ("table", "json", "yaml")
FAIL_ON = ("info", "warning", "error")
PROGRESS_MIN_PODS = 20  # below this a check is quick: no progress indicator


def make_progress(stream, minimum: int = PROGRESS_MIN_PODS):
    """A ``progress(done, total)`` that redraws one stderr line on a terminal; ``None`` elsewhere."""
    if not _isatty(stream):
        return None

    def progress(done: int, total: int) -> None:
        if total < minimum:
            return
        stream.write(f"\rchecking pods: {done}/{total}" if done < total else "\r\x1b[K")
        stream.flush()

    return progress


@cli.command()
@click.argument("target", required=False)
@click.option("-l", "--selector", metavar="SELECTOR",
              help="Check the pods matching this label selector (a=b, a!=b, a in (x,y), a, !a; "
                   "comma-separated).")
@click.option("-A", "--all-namespaces", "all_namespaces", is_flag=True,
              help="Check every Job and pod of every namespace (no TARGET).")
@click.option("-f", "--filename", "filenames", multiple=True, metavar="FILE",
              help="Read objects from FILE (JSON or YAML, '-' for stdin) instead of the cluster; repeatable.")
@cluster_version_option
@click.option("--sidecar", "declared", multiple=True, metavar="NAME",
              help="Treat container NAME as a sidecar (for sidecars no marker reveals); repeatable.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="error", show_default=True,
              help="Exit 1 when a finding of this severity or higher is found.")
@click.option("-o", "--output", type=click.Choice(CHECK_OUTPUTS), default="table", show_default=True,
              help="table (findings grouped by pod, with evidence and fixes), json or yaml (a CheckReport).")
@click.option("--color", "colour", type=click.Choice(("auto", "always", "never")), default="auto",
              show_default=True,
              help="Colour severities: auto means only on a terminal. NO_COLOR turns it off.")
@kube_options
@without_gc
def check(target, selector, filenames, cluster_version, declared, fail_on, output, colour, kube):
    """Find what is wrong with the sidecars of a Job's pods, a pod, or a namespace.

    TARGET is a Job (NAME or job/NAME: every pod of it, through the Job's selector, plus its status)
    or a pod (pod/NAME). With -l, the pods matching the selector; with no TARGET, every Job and every
    pod not owned by a Job in the namespace (-A: in every namespace).

    Exit codes: 0 when no finding reaches --fail-on, 1 when one does, 2 when the target could not be
    inspected. Codes and fixes: docs/checks/.

    \b
    Examples:
      kubectl sidecar check daily-report -n reports
      kubectl sidecar check pod/test-729nd --fail-on warning
      kubectl sidecar check -A -o json | jq '.findings[] | select(.severity == "error")'
      kubectl get job,pod,events,node -o yaml > snap.yaml
      kubectl sidecar check -f snap.yaml --cluster-version 1.28
    """
    from kubectl_sidecar import app
    from kubectl_sidecar.checks import targets

    if target is not None and selector is not None:
        raise UsageError("give a TARGET or -l SELECTOR, not both")
    kind, name = split_target(target, "job")
    if kube.all_namespaces and name is not None and not filenames:
        raise UsageError("a Job or pod cannot be named across all namespaces: drop -A, or name the "
                         "namespace with -n")
    if selector is not None:
        targets.parse_label_selector(selector)  # refuse a bad selector before any request
    version = parse_version_flag(cluster_version)
    stderr = click.get_text_stream("stderr")
    if filenames:
        from kubectl_sidecar import files

        snapshot = files.load_snapshot(filenames, cluster_version=version)
        now = None
        namespace = None if kube.all_namespaces else kube.namespace
    else:
        from kubectl_sidecar import kube as kubeapi

        reading = _isatty(stderr)
        if reading:
            stderr.write("reading the cluster...")
            stderr.flush()
        try:
            snapshot = kubeapi.fetch_check_snapshot(kube, job=name if kind == "job" else None,
                                                    pod=name if kind == "pod" else None, selector=selector)
        finally:
            if reading:
                stderr.write("\r\x1b[K")
                stderr.flush()
        if version is not None:
            snapshot.server_version = version
        now = datetime.now(timezone.utc)
        namespace = None  # the snapshot holds only what the namespace (or -A) named
    if selector is not None:
        target_kind = targets.KIND_SELECTOR
    else:
        target_kind = kind if name is not None else targets.KIND_ALL
    wanted = targets.Target(kind=target_kind, name=name, selector=selector, namespace=namespace)
    report = app.check_snapshot(snapshot, wanted, declared_sidecars=declared, now=now, fail_on=fail_on,
                                progress=make_progress(stderr))
    opts = make_render_options(output="table", absolute_time=False, utc=False, chart=False, ascii_only=False,
                               colour=colour)
    emit(app.render_check(report, output, width=opts.width, colour=opts.colour))
    for text in snapshot.notes + report.notes:
        note(text)
    return report.exit_code()


def _demo_index() -> list:
    import yaml

    return yaml.safe_load(resources.files("kubectl_sidecar").joinpath("demo/index.yaml").read_text("utf-8"))


@cli.command()
@click.argument("name", required=False)
@click.option("--list", "list_only", is_flag=True, help="List the scenarios and exit.")
@render_options
def demo(name, list_only, render):
    """Show bundled scenarios: no cluster and no network needed.

    The scenarios are files read through exactly the path `timeline -f` takes. With no NAME, every
    scenario is shown in turn.

    \b
    Examples:
      kubectl sidecar demo
      kubectl sidecar demo --list
      kubectl sidecar demo stale-status -o wide
    """
    from kubectl_sidecar import app, files

    index = _demo_index()
    if list_only:
        width = max(len(s["name"]) for s in index)
        emit("".join(f"{s['name']:<{width}}  {s['title']}\n" for s in index))
        return 0
    chosen = index if name is None else [s for s in index if s["name"] == name]
    if not chosen:
        names = ", ".join(s["name"] for s in index)
        raise UsageError(f'no demo scenario "{name}": choose one of {names}')
    out = []
    for scenario in chosen:
        data = resources.files("kubectl_sidecar").joinpath("demo", scenario["file"]).read_bytes()
        snapshot = files.snapshot_from_sources([(f"demo/{scenario['file']}", data)],
                                               cluster_version=parse_cluster_version(scenario["clusterVersion"]))
        pod_obj = snapshot.find_pod(scenario["pod"])
        result = app.timeline_for_pod(snapshot, pod_obj)
        text = app.render_timeline(result, render)
        if render.output in ("table", "wide"):
            head = f"== {scenario['name']}: {scenario['title']} (Kubernetes {scenario['clusterVersion']})"
            notes = "".join(f"note: {n}\n" for n in result.notes)
            text = f"{head}\n\n{text}{notes}"
        out.append(text)
    separator = "---\n" if render.output == "yaml" else "\n"
    if render.output == "json" and len(out) > 1:
        import json

        emit(json.dumps({"apiVersion": "v1", "kind": "List", "items": [json.loads(t) for t in out]}, indent=2,
                        ensure_ascii=False) + "\n")
    else:
        emit(separator.join(out))
    return 0


@cli.command()
@click.argument("shell", type=click.Choice(("bash", "zsh", "fish")))
def completion(shell):
    """Print a completion script for the kubectl-sidecar command (bash, zsh or fish).

    The script completes `kubectl-sidecar ...` typed as one word. `kubectl sidecar <TAB>` is completed
    by kubectl itself (1.26+), which runs the executable kubectl_complete-sidecar from PATH: see
    docs/install.md, "Shell completion".

    \b
    Examples:
      source <(kubectl sidecar completion bash)
      source <(kubectl sidecar completion zsh)
      kubectl sidecar completion fish > ~/.config/fish/completions/kubectl-sidecar.fish
    """
    from kubectl_sidecar import completion as completing

    emit(completing.script(shell))
    return 0


def main() -> None:
    """Console-script entry point (``kubectl-sidecar``; kubectl finds it as ``kubectl sidecar``)."""
    from kubectl_sidecar import completion as completing

    completing.hook(sys.argv)  # kubectl_complete-sidecar / __complete: answers and exits
    cli.main(prog_name="kubectl-sidecar")
