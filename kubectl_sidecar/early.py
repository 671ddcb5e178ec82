"""Early reads: a live ``timeline POD`` sends its first requests before the command line is parsed.

A live timeline spends a third of its time importing click and the command line (some 35 ms), then
waits as long again for the API server. The entry point (``__main__``) therefore looks at the command
line first, with :func:`scan`, a strict subset of the ``timeline`` command's grammar: the pod's name and
the flags that decide what is read (kubectl's connection flags) or only how it is drawn. When every word
is understood, :func:`start` opens the session (the kubeconfig is resolved, the TLS context built) and
starts the very reads the command would make (:func:`kube.reads.read_pod`) in a thread, and click loads
meanwhile. When the command runs, :func:`take` hands it their snapshot, or the error they raised, if
and only if click parsed the same options and pod name; otherwise the reads are ignored and the
command reads as always.

Nothing differs but the moment the same code runs: the same session, the same requests, the same
errors (a broken kubeconfig is reported by ``take``, from the one resolution; an exec credential
plugin runs once). Anything else on the line (``-f``, ``--watch``, ``--now``, ``--cluster-version``,
``--help``, a second argument, an unknown flag, a value that starts with ``-`` or that click would
refuse) declines, so no request goes out for a command line click would refuse. ``tests/unit/test_early.py``
checks ``scan`` against click's own parsing of the same lines.
"""

from __future__ import annotations

import re
import sys
import threading
from dataclasses import field
from typing import TYPE_CHECKING, Any, Callable

from kubectl_sidecar.errors import UsageError
from kubectl_sidecar.options import TIMELINE_FORMATS, KubeOptions, parse_request_timeout
from kubectl_sidecar.record import record
from kubectl_sidecar.targets import timeline_pod_name

if TYPE_CHECKING:
    from kubectl_sidecar.model import ClusterVersion
    from kubectl_sidecar.snapshot import Snapshot

COMMAND = "timeline"
# kubectl's connection flags (cli/options.kube_options): flag -> KubeOptions field
KUBE_VALUES = {
    "--kubeconfig": "kubeconfig",
    "--context": "context",
    "--cluster": "cluster",
    "--user": "user",
    "-n": "namespace",
    "--namespace": "namespace",
    "--request-timeout": "request_timeout",
    "--as": "as_user",
    "--as-group": "as_groups",  # repeatable
    "-s": "server",
    "--server": "server",
    "--token": "token",
    "--certificate-authority": "certificate_authority",
}
KUBE_FLAGS = {"--insecure-skip-tls-verify": "insecure_skip_tls_verify"}
# Flags that change only how the timeline is drawn, with the values click accepts (None: any word)
DRAWING_VALUES: dict[str, tuple[str, ...] | None] = {
    "-o": TIMELINE_FORMATS,
    "--output": TIMELINE_FORMATS,
    "--color": ("auto", "always", "never"),
    "--sidecar": None,
}
DRAWING_FLAGS = frozenset({"--absolute-time", "--utc", "--chart", "--no-chart", "--ascii"})
SHORT_WITH_VALUE = frozenset(flag for flag in (*KUBE_VALUES, *DRAWING_VALUES) if not flag.startswith("--"))
# A pod's name as the API server accepts it (a DNS subdomain): anything else is left to the command
_POD_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")
# Between the reads' threads and the imports of the main thread, hand the interpreter over often: a
# read waiting for its turn (5 ms by default) is a read the server does not see
SWITCH_SECONDS = 0.0005


@record(frozen=True)
class Line:
    """What :func:`scan` understood: the pod and the connection options, as click would make them."""

    name: str
    kube: KubeOptions


def scan(args: list[str]) -> Line | None:
    """The pod and connection options of ``timeline POD [flags]`` (``args`` without the program name),
    or ``None`` when any word is not certain to mean for click what it means here."""
    if len(args) < 2 or args[0] != COMMAND:
        return None
    values: dict[str, Any] = {"as_groups": ()}
    positional: list[str] = []
    words = iter(args[1:])
    for word in words:
        if word == "--":
            positional.extend(words)
            break
        if not word.startswith("-") or word == "-":
            positional.append(word)
            continue
        if word.startswith("--"):  # --flag, --flag=value
            flag, equals, attached = word.partition("=")
            has_value = bool(equals)
        elif len(word) > 2:  # -ojson, -nbatch: click's attached short value (never -n=x: that is "=x")
            flag, has_value, attached = word[:2], True, word[2:]
            if flag not in SHORT_WITH_VALUE or attached.startswith("="):
                return None
        else:
            flag, has_value, attached = word, False, ""
        if flag in KUBE_FLAGS or flag in DRAWING_FLAGS:
            if has_value:
                return None  # click refuses a value for a flag
            if flag in KUBE_FLAGS:
                values[KUBE_FLAGS[flag]] = True
            continue
        if flag not in KUBE_VALUES and flag not in DRAWING_VALUES:
            return None  # -f, --watch, --now, --help, anything unknown: the command decides alone
        value = attached if has_value else next(words, None)
        if not value or value.startswith("-"):
            return None
        if flag in DRAWING_VALUES:
            choices = DRAWING_VALUES[flag]
            if choices is not None and value not in choices:
                return None
            continue
        key = KUBE_VALUES[flag]
        if key == "as_groups":
            values[key] = (*values[key], value)
        else:
            values[key] = value  # click: the last one wins
    if len(positional) != 1:
        return None
    try:
        name = timeline_pod_name(positional[0])
        values["request_timeout"] = parse_request_timeout(values.get("request_timeout", "0"))
    except UsageError:
        return None
    if name is None or not _POD_NAME.fullmatch(name):
        return None
    return Line(name=name, kube=KubeOptions(**values))


@record
class _Reads:
    """The early reads of one command line: their thread, then their snapshot or error."""

    line: Line
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


_started: _Reads | None = None


def start(args: list[str]) -> None:
    """Start the reads of ``args`` (the command line without the program name) when :func:`scan`
    understands it; otherwise do nothing. Opening the session happens here, in the calling thread: an
    error there (a broken kubeconfig) is kept for :func:`take`, which raises it where the command would."""
    global _started
    line = scan(args)
    if line is None:
        return
    reads = _Reads(line)
    _started = reads
    from kubectl_sidecar.kube import reads as planned
    from kubectl_sidecar.kube.session import Session

    try:
        session = Session.open(line.kube)
    except Exception as err:  # noqa: BLE001 - raised again by take, where the command would raise it
        reads.error = err
        reads.done.set()
        return

    def work() -> None:
        try:
            with session:
                reads.result = planned.read_pod(session, line.name)
        except BaseException as err:  # noqa: BLE001 - raised again by take, in the command's thread
            reads.error = err
        finally:
            reads.done.set()

    sys.setswitchinterval(SWITCH_SECONDS)
    threading.Thread(target=work, name="kubectl-sidecar-early", daemon=True).start()


def take(kube: KubeOptions, name: str, meanwhile: Callable[[], None] | None = None) -> Snapshot | None:
    """The snapshot the early reads made for exactly these options and pod (raising their error), or
    ``None`` when none were started for them. ``meanwhile`` is called first when they are still out:
    what the command will load anyway is loaded while the server answers."""
    global _started
    reads, _started = _started, None
    try:
        if reads is None or reads.line != Line(name=name, kube=kube):
            return None
        if meanwhile is not None and not reads.done.is_set():
            meanwhile()
        reads.done.wait()
    finally:
        sys.setswitchinterval(_DEFAULT_SWITCH)
    if reads.error is not None:
        raise reads.error
    result: Snapshot = reads.result
    return result


_DEFAULT_SWITCH = sys.getswitchinterval()


def pod_snapshot(
    kube: KubeOptions,
    name: str,
    cluster_version: ClusterVersion | None,
    *,
    meanwhile: Callable[[], None] | None = None,
) -> Snapshot:
    """``timeline``'s snapshot: the early reads' when they were made for these options, else read now;
    either way ``meanwhile`` is called while the reads wait (what to load meanwhile)."""
    taken = take(kube, name, meanwhile) if cluster_version is None else None
    if taken is not None:
        return taken
    from kubectl_sidecar import kube as kubeapi

    if meanwhile is not None:
        meanwhile()
    return kubeapi.fetch_pod_snapshot(kube, name, cluster_version=cluster_version)
