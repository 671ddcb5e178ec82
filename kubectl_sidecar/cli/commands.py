"""The commands, thin: flags -> options, call the app, write stdout once, write the notes, return the code."""

from __future__ import annotations

import functools
import gc
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from kubectl_sidecar.cli.options import (
    cluster_version_option,
    colour_option,
    fail_on_option,
    kube_options,
    make_render_options,
    output_file_option,
    parse_version_flag,
    render_options,
)
from kubectl_sidecar.cli.terminal import emit, isatty, make_progress, make_reading, note, stderr
from kubectl_sidecar.errors import UsageError
from kubectl_sidecar.options import CHECK_FORMATS, KubeOptions, RenderOptions

if TYPE_CHECKING:  # app is imported when a command runs: --help stays quick
    from kubectl_sidecar.app import Outcome

FILENAME_HELP = (
    "Read objects from FILE, or from the .json, .yaml and .yml files of a directory (JSON or YAML, '-' "
    "for stdin), instead of the cluster; repeatable."
)
RECURSIVE_HELP = "Read the directories given with -f and every folder below them."


def filename_options(command: Callable) -> Callable:
    """-f FILE|DIR|- (repeatable) and -R, as kubectl's; the command gets ``filenames``: the files."""

    @click.option("-f", "--filename", "filenames", multiple=True, metavar="FILE|DIR|-", help=FILENAME_HELP)
    @click.option("-R", "--recursive", is_flag=True, help=RECURSIVE_HELP)
    @functools.wraps(command)
    def wrapper(*args: Any, filenames: tuple[str, ...], recursive: bool, **kwargs: Any) -> Any:
        if filenames:
            from kubectl_sidecar.files import expand_paths  # a directory: its files, as kubectl reads them

            filenames = tuple(expand_paths(filenames, recursive))
        return command(*args, filenames=filenames, **kwargs)

    return wrapper


SIDECAR_HELP = "Treat container NAME as a sidecar (for sidecars no marker reveals); repeatable."
CATALOGUE_HELP = (
    "Also recognise the sidecars of this catalogue file (the format of docs/sidecar-catalogue.md; "
    "before the built-in entries and $XDG_CONFIG_HOME/kubectl-sidecar/sidecars.yaml); repeatable."
)
NOW_HELP = (
    "With -f: the time the files were saved, RFC 3339 (2024-10-29T03:40:00Z) or relative to the clock "
    "(-10m, -1h30m). Without it, judgements rest on the latest time in the data."
)
catalogue_option = click.option(
    "--sidecar-catalogue", "catalogue_files", multiple=True, metavar="FILE", help=CATALOGUE_HELP
)
now_option = click.option("--now", "now_text", metavar="TIME", help=NOW_HELP)


def without_gc(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``func`` with the cyclic garbage collector off (reference counting still frees everything).

    A check of a large Job allocates hundreds of thousands of objects that live until it ends (the
    API's JSON, the timelines), none in cycles; each automatic collection walks all of them again,
    which made the collector more than a third of a 5,000-pod check. Collection resumes afterwards.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return wrapper


def _finish(outcome: Outcome, output_file: str | None = None) -> int:
    """Write an app Outcome: stdout (or ``--output-file``) once, then the notes; return its exit code."""
    if output_file:
        write_file(output_file, outcome.text)
    else:
        emit(outcome.text)
    for text in outcome.notes:
        note(text)
    return outcome.exit_code


def write_file(path: str, text: str) -> None:
    """``--output-file``: write ``text`` whole, through a temporary file beside it (never half a file)."""
    import os
    import tempfile

    folder = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(prefix=".kubectl-sidecar-", dir=folder)
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                stream.write(text)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as error:
        raise UsageError(f'cannot write --output-file "{path}": {error.strerror or error}') from None


@click.command()
@click.argument("pod", required=False)
@filename_options
@cluster_version_option
@click.option("--sidecar", "declared", multiple=True, metavar="NAME", help=SIDECAR_HELP)
@catalogue_option
@now_option
@click.option(
    "-w",
    "--watch",
    "follow",
    is_flag=True,
    help="After the timeline, follow the pod live (redraw on a terminal, append new marks "
    "otherwise) until it is deleted or finished, or Ctrl-C.",
)
@render_options
@kube_options
def timeline(
    pod: str | None,
    filenames: tuple[str, ...],
    cluster_version: str | None,
    declared: tuple[str, ...],
    catalogue_files: tuple[str, ...],
    now_text: str | None,
    follow: bool,
    output_file: str | None,
    render: RenderOptions,
    kube: KubeOptions,
) -> int:
    """Show the start/exit timeline of a pod's app and sidecar containers.

    POD is a pod name (or pod/NAME). With -f, POD may be left out when the files hold one pod.

    \b
    Examples:
      kubectl sidecar timeline test-729nd
      kubectl sidecar timeline test-729nd -o wide --absolute-time
      kubectl sidecar timeline test-729nd --watch
      kubectl sidecar timeline test-729nd -o svg --output-file test-729nd.svg
      kubectl get pod,events -o yaml > pod.yaml && kubectl sidecar timeline -f pod.yaml
    """
    from kubectl_sidecar import app

    name = app.timeline_pod_name(pod)
    version = parse_version_flag(cluster_version)
    if follow:
        if now_text is not None:
            raise UsageError("--now gives the time of files (-f): --watch follows the clock")
        if output_file or render.is_picture:
            raise UsageError("--watch prints to the terminal: it cannot draw pictures or write --output-file")
        return app.follow_timeline(
            name,
            filenames=filenames,
            cluster_version=version,
            declared=declared,
            catalogue_files=catalogue_files,
            kube=kube,
            render=render,
            terminal=isatty(sys.stdout),
            write=emit,
            notify=note,
        )
    outcome = app.run_timeline(
        name,
        filenames=filenames,
        cluster_version=version,
        declared=declared,
        catalogue_files=catalogue_files,
        now_text=now_text,
        kube=kube,
        render=render,
    )
    return _finish(outcome, output_file)


@click.command()
@click.argument("target", required=False)
@click.option(
    "-l",
    "--selector",
    metavar="SELECTOR",
    help="Check the pods matching this label selector (a=b, a!=b, a in (x,y), a, !a; comma-separated).",
)
@click.option(
    "-A",
    "--all-namespaces",
    "all_namespaces",
    is_flag=True,
    help="Check every Job and pod of every namespace (no TARGET).",
)
@filename_options
@cluster_version_option
@click.option("--sidecar", "declared", multiple=True, metavar="NAME", help=SIDECAR_HELP)
@catalogue_option
@now_option
@fail_on_option
@click.option(
    "-o",
    "--output",
    type=click.Choice(CHECK_FORMATS),
    default="table",
    show_default=True,
    help="table (findings grouped by pod, with evidence and fixes), json or yaml (a CheckReport), or html "
    "(one file: a summary, then every pod with its chart and findings, errors first).",
)
@output_file_option
@colour_option("Colour severities: auto means only on a terminal. NO_COLOR turns it off.")
@kube_options
@without_gc
def check(
    target: str | None,
    selector: str | None,
    filenames: tuple[str, ...],
    cluster_version: str | None,
    declared: tuple[str, ...],
    catalogue_files: tuple[str, ...],
    now_text: str | None,
    fail_on: str,
    output: str,
    output_file: str | None,
    colour: str,
    kube: KubeOptions,
) -> int:
    """Find what is wrong with the sidecars of a Job's pods, a pod, or a namespace.

    TARGET is a Job (NAME or job/NAME: every pod of it, through the Job's selector, plus its status)
    or a pod (pod/NAME). With -l, the pods matching the selector; with no TARGET, every Job and every
    pod not owned by a Job in the namespace (-A: in every namespace).

    Exit codes: 0 when no finding reaches --fail-on, 1 when one does, 2 when the target could not be
    inspected. Codes and fixes: kubectl sidecar explain CODE.

    \b
    Examples:
      kubectl sidecar check daily-report -n reports
      kubectl sidecar check pod/test-729nd --fail-on warning
      kubectl sidecar check -A -o json | jq '.findings[] | select(.severity == "error")'
      kubectl get job,pod,events,node -o yaml > snap.yaml
      kubectl sidecar check -f snap.yaml --cluster-version 1.28
    """
    from kubectl_sidecar import app

    wanted = app.check_target(
        target,
        selector,
        all_namespaces=kube.all_namespaces,
        namespace=kube.namespace,
        from_files=bool(filenames),
    )
    version = parse_version_flag(cluster_version)
    errors = stderr()
    opts = make_render_options(
        output="table", absolute_time=False, utc=False, chart=False, ascii_only=False, colour=colour
    )
    outcome = app.run_check(
        wanted,
        filenames=filenames,
        cluster_version=version,
        declared=declared,
        catalogue_files=catalogue_files,
        now_text=now_text,
        fail_on=fail_on,
        output=output,
        kube=kube,
        width=opts.width,
        colour=opts.colour,
        reading=make_reading(errors),
        progress=make_progress(errors),
    )
    return _finish(outcome, output_file)


@click.command()
@click.argument("name", required=False)
@click.option("--list", "list_only", is_flag=True, help="List the scenarios and exit.")
@render_options
def demo(name: str | None, list_only: bool, output_file: str | None, render: RenderOptions) -> int:
    """Show bundled scenarios: no cluster and no network needed.

    The scenarios are files read through exactly the path `timeline -f` takes. With no NAME, every
    scenario is shown in turn.

    \b
    Examples:
      kubectl sidecar demo
      kubectl sidecar demo --list
      kubectl sidecar demo stale-status -o wide
      kubectl sidecar demo acs-forced-exit -o svg > acs.svg
    """
    from kubectl_sidecar import app

    return _finish(app.run_demo(name, list_only=list_only, render=render), output_file)


@click.command()
@click.argument("shell", type=click.Choice(("bash", "zsh", "fish")))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> int:
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
    from kubectl_sidecar import shellcomp

    emit(shellcomp.script(shell, root=ctx.find_root().command))
    return 0


@click.command()
@click.option(
    "--client", "client_only", is_flag=True, help="Show the plugin's own versions only: read no cluster."
)
@click.option(
    "-o",
    "--output",
    type=click.Choice(("json", "yaml")),
    help="json or yaml: the versions as one document (clientVersion, serverVersion).",
)
@kube_options
def version(client_only: bool, output: str | None, kube: KubeOptions) -> int:
    """Print the plugin's, Python's and the client libraries' versions, and the cluster's.

    As kubectl version: the server's version is read from the current context (or the connection flags)
    unless --client is given; when it cannot be read, the client's versions are printed, then the error.

    \b
    Examples:
      kubectl sidecar version --client
      kubectl sidecar version --context prod -o json
    """
    from kubectl_sidecar import info
    from kubectl_sidecar.errors import SidecarError

    try:
        document = info.version_document(None if client_only else kube)
    except SidecarError:
        emit(info.render_version(info.version_document(None), output or "text"))
        raise
    emit(info.render_version(document, output or "text"))
    return 0


@click.command()
@click.argument("code", required=False)
@colour_option("Bold headings: auto means only on a terminal. NO_COLOR turns it off.")
def explain(code: str | None, colour: str) -> int:
    """Explain a finding code: what it means, why it matters, how to fix it, with YAML.

    CODE is a code that check and timeline report (SC001 ... SC012). With no CODE, list every code. The
    pages are bundled with the plugin; each also lives online (the URL is printed last).

    \b
    Examples:
      kubectl sidecar explain
      kubectl sidecar explain SC003
      kubectl sidecar explain SC010 | less
    """
    from kubectl_sidecar import info

    opts = make_render_options(
        output="table", absolute_time=False, utc=False, chart=False, ascii_only=False, colour=colour
    )
    emit(info.explain(code, width=opts.width, colour=opts.colour))
    return 0
