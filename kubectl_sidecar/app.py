"""The application layer: snapshot in, timeline and rendered text out. No flags, no terminal, no network."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from kubectl_sidecar.errors import EXIT_CLEAN, UsageError
from kubectl_sidecar.options import DOCUMENT_FORMATS, KubeOptions, RenderOptions
from kubectl_sidecar.raw import as_dict, as_str
from kubectl_sidecar.record import record
from kubectl_sidecar.targets import split_target, timeline_pod_name  # noqa: F401 - the cli's names
from kubectl_sidecar.warmup import TIMELINE_MODULES, preload

if TYPE_CHECKING:  # loaded where they are used: a live timeline loads them while it waits on the network
    from kubectl_sidecar.findings import CheckReport, PodResult
    from kubectl_sidecar.knownsidecars import Catalogue
    from kubectl_sidecar.model import ClusterVersion
    from kubectl_sidecar.select import Target
    from kubectl_sidecar.snapshot import Snapshot


def timeline_for_pod(
    snapshot: Snapshot,
    pod: dict,
    *,
    declared_sidecars: Iterable[str] = (),
    now: datetime | None = None,
    cluster_version: ClusterVersion | None = None,
    read_notes: Sequence[str] = (),
    catalogue: Catalogue | None = None,
    now_source: str = "clock",
) -> PodResult:
    """Build the timeline of one pod of a snapshot, with everything the snapshot knows about it, and the
    findings on it beside it. ``cluster_version`` overrides the snapshot's server version; ``read_notes``
    (what a live read could not read) lead the timeline's notes."""
    from kubectl_sidecar import checks
    from kubectl_sidecar.findings import PodResult
    from kubectl_sidecar.model import node_version
    from kubectl_sidecar.timeline import build_timeline

    node = snapshot.node_for(pod)
    job = snapshot.job_for(pod)
    timeline = build_timeline(
        pod,
        snapshot.events_for(pod),
        job=snapshot.job_info(job) if job is not None else None,
        node=node,
        cluster_version=cluster_version or snapshot.server_version,
        declared_sidecars=declared_sidecars,
        events_state=snapshot.events_state,
        now=now,
        read_notes=read_notes,
        catalogue=catalogue,
        now_source=now_source,
    )
    context = checks.CheckContext(now=now, node_version=node_version(node))
    return PodResult(timeline, tuple(checks.check_timeline(timeline, context)))


def render_timeline(result: PodResult, opts: RenderOptions) -> str:
    """The whole stdout of ``timeline`` for one pod, as one string (written only once complete)."""
    # Each output imports only its renderers: tabulate (and wcwidth) cost more than a small check.
    if opts.is_document:
        from kubectl_sidecar.render import document

        return document.dump(document.pod_result_to_dict(result), opts.output)
    if opts.is_picture:
        from kubectl_sidecar.render.pictures import render_picture

        return render_picture(result, opts.output)
    from kubectl_sidecar.render import findings, gantt, table

    timeline = result.timeline
    wide = opts.output == "wide"
    parts = [
        table.render_table(
            timeline,
            wide=wide,
            absolute=opts.absolute_time,
            utc=opts.utc,
            width=opts.width if opts.fit else None,
        )
    ]
    if opts.chart:
        chart = gantt.render_gantt(timeline, width=opts.width, colour=opts.colour, ascii_only=opts.ascii_only)
        if chart:
            parts.append(chart)
    if result.findings:
        parts.append(
            findings.render_timeline_findings(result, width=opts.width, colour=opts.colour, details=wide)
        )
    return "\n".join(parts)


def check_snapshot(
    snapshot: Snapshot,
    target: Target,
    *,
    declared_sidecars: Iterable[str] = (),
    now: datetime | None = None,
    fail_on: str = "error",
    progress: Callable[[int, int], None] | None = None,
    cluster_version: ClusterVersion | None = None,
    keep_timelines: bool = False,
    catalogue: Catalogue | None = None,
    now_source: str = "clock",
) -> CheckReport:
    """Check the Jobs and pods ``target`` names in ``snapshot``: every pod's timeline and findings.

    The report keeps each pod's findings and the summary of its timeline (:meth:`PodResult.for_report`),
    not the whole timeline. ``progress(done, total)`` is called after each pod, for a progress indicator. ``cluster_version``
    overrides the snapshot's server version.
    """
    from kubectl_sidecar import checks
    from kubectl_sidecar.findings import CheckReport, JobReport
    from kubectl_sidecar.select import select

    selection = select(snapshot, target)
    version = cluster_version or snapshot.server_version
    total = selection.pod_count()
    done = 0
    context = checks.CheckContext(now=now)

    def one(pod: dict) -> PodResult:
        nonlocal done
        result = timeline_for_pod(
            snapshot,
            pod,
            declared_sidecars=declared_sidecars,
            now=now,
            cluster_version=version,
            catalogue=catalogue,
            now_source=now_source,
        )
        done += 1
        if progress is not None:
            progress(done, total)
        # the timeline is freed once its findings are taken, unless a picture draws it (-o html)
        return result if keep_timelines else result.for_report()

    jobs = []
    for job, pods in selection.jobs:
        results = tuple(one(p) for p in pods)
        info = snapshot.job_info(job)
        job_findings = checks.check_job(info, snapshot.events_of_job(job), context)
        jobs.append(JobReport(job=info, pods=results, findings=tuple(job_findings)))
    return CheckReport(
        target=target,
        jobs=tuple(jobs),
        pods=tuple(one(p) for p in selection.pods),
        notes=tuple(selection.notes),
        cluster_version=version,
        fail_on=fail_on,
    )


def render_check(report: CheckReport, output: str, *, width: int = 80, colour: bool = False) -> str:
    """The whole stdout of ``check``."""
    if output in DOCUMENT_FORMATS:
        from kubectl_sidecar.render import document

        return document.dump_report(document.report_to_dict(report), output)
    if output == "html":
        from kubectl_sidecar.render.pictures.html import render_report_page

        return render_report_page(report)
    from kubectl_sidecar.render import findings

    return findings.render_report(report, width=width, colour=colour)


# ------------------------------------------------------------------------------------------ orchestration
# What the commands do, without click: load a snapshot (cluster, files or the demo), run timeline,
# check, follow or demo, and return an Outcome. Progress is drawn by callbacks the caller passes.


@record(frozen=True)
class Outcome:
    """What a command produced: stdout (written once, whole), notes for stderr (in order), the exit code."""

    text: str
    notes: tuple[str, ...] = ()
    exit_code: int = EXIT_CLEAN


def _now() -> datetime:
    """The clock, read where live data is interpreted (tests pin it through this module's ``datetime``)."""
    return datetime.now(timezone.utc)


def _preload_timeline() -> None:
    preload(TIMELINE_MODULES, then=_builtin_catalogue)  # while the reads wait on the network


def _builtin_catalogue() -> None:
    from kubectl_sidecar.knownsidecars.load import builtin

    builtin()  # parsed once per process (lru_cache)


def load_catalogue(files: Sequence[str]) -> Catalogue:
    """The sidecar catalogue: the files given, the user's config file, the built-in entries."""
    from kubectl_sidecar import knownsidecars

    return knownsidecars.load(files)


def snapshot_now(now_text: str | None, filenames: Sequence[str]) -> tuple[datetime | None, str]:
    """``--now`` for files: the time the judgement rests on, and its source (``flag``); live, the clock."""
    if now_text is None:
        return (None, "data") if filenames else (_now(), "clock")
    if not filenames:
        raise UsageError("--now gives the time of files (-f): live, now is the clock")
    from kubectl_sidecar.timefmt import parse_when

    when = parse_when(now_text, _now())
    if when is None:
        raise UsageError(
            f'--now "{now_text}" is not a time: give RFC 3339 (2024-10-29T03:40:00Z) or a relative time '
            "(-10m, -1h30m)"
        )
    return when, "flag"


def run_timeline(
    name: str | None,
    *,
    filenames: Sequence[str] = (),
    cluster_version: ClusterVersion | None = None,
    declared: Iterable[str] = (),
    catalogue_files: Sequence[str] = (),
    now_text: str | None = None,
    kube: KubeOptions,
    render: RenderOptions,
) -> Outcome:
    """``timeline``: one pod from files (``-f``) or from the cluster, rendered whole."""
    now, now_source = snapshot_now(now_text, filenames)
    if filenames:
        from kubectl_sidecar import files

        catalogue = load_catalogue(catalogue_files)
        snapshot = files.load_snapshot(filenames, cluster_version=cluster_version)
        result = timeline_for_pod(
            snapshot,
            snapshot.find_pod(name, kube.namespace),
            declared_sidecars=declared,
            now=now,
            catalogue=catalogue,
            now_source=now_source,
        )
    else:
        if name is None:
            raise UsageError("name the pod to show (or read files with -f)")
        from kubectl_sidecar import early

        # the reads __main__ started while the command line loaded, else the same reads now
        snapshot = early.pod_snapshot(kube, name, cluster_version, meanwhile=_preload_timeline)
        catalogue = load_catalogue(catalogue_files)
        # live: what could not be read (403/404 notes) belongs in -o json/yaml too
        result = timeline_for_pod(
            snapshot,
            snapshot.find_pod(name, None),
            declared_sidecars=declared,
            now=_now(),
            read_notes=snapshot.notes,
            catalogue=catalogue,
        )
    if render.is_document:
        notes = list(snapshot.notes)
    else:
        notes = list(dict.fromkeys(snapshot.notes + result.timeline.notes))
    return Outcome(render_timeline(result, render), tuple(notes))


def follow_timeline(
    name: str | None,
    *,
    filenames: Sequence[str] = (),
    cluster_version: ClusterVersion | None = None,
    declared: Iterable[str] = (),
    catalogue_files: Sequence[str] = (),
    kube: KubeOptions,
    render: RenderOptions,
    terminal: bool,
    write: Callable[[str], None],
    notify: Callable[[str], None],
) -> int:
    """``timeline --watch``: follow a live pod; returns the exit code (0, also on Ctrl-C).

    ``terminal``: stdout is a terminal, so table output redraws each state whole instead of appending.
    """
    if filenames:
        raise UsageError("--watch follows a live pod: it cannot be used with -f")
    if name is None:
        raise UsageError("name the pod to show (or read files with -f)")
    from kubectl_sidecar import kube as kubeapi

    catalogue = load_catalogue(catalogue_files)

    def build(snapshot: Snapshot) -> PodResult:
        return timeline_for_pod(
            snapshot,
            snapshot.find_pod(name, None),
            declared_sidecars=declared,
            now=_now(),
            catalogue=catalogue,
        )

    updates = kubeapi.follow_pod(kube, name, cluster_version=cluster_version)
    try:
        return follow(
            updates,
            build=build,
            render=lambda result: render_timeline(result, render),
            opts=render,
            write=write,
            notify=notify,
            redraw=terminal and not render.is_document,
        )
    except KeyboardInterrupt:
        return 0
    finally:
        updates.close()


def follow(
    updates: Iterable[Any],
    *,
    build: Callable[[Snapshot], PodResult],
    render: Callable[[PodResult], str],
    opts: RenderOptions,
    write: Callable[[str], None],
    notify: Callable[[str], None],
    redraw: bool,
) -> int:
    """Print each new state of the pod until it is deleted or finished; returns 0.

    Args:
        updates: ``kube.PodUpdate`` objects (``snapshot``, ``deleted``), the first being the initial state.
        build: snapshot -> timeline.
        render: timeline -> the whole text of one state (table and chart, or a document).
        write: writes to stdout (flushes); notify: writes a note to stderr.
        redraw: clear the terminal and draw each state whole (a terminal); otherwise append.
    """
    from kubectl_sidecar.model import pod_finished
    from kubectl_sidecar.render.follow import FollowView, PodState

    view = FollowView(opts, redraw=redraw)
    for update in updates:
        snapshot = update.snapshot
        result = build(snapshot)
        timeline = result.timeline
        pod = snapshot.pods[0] if snapshot.pods else {}
        state = PodState(
            name=as_str(as_dict(pod.get("metadata")).get("name")) or "?",
            phase=as_str(as_dict(pod.get("status")).get("phase")),
            finished=update.deleted or pod_finished(pod),
            deleted=update.deleted,
        )
        step = view.step(timeline, render(result), state, list(snapshot.notes) + list(timeline.notes))
        if step.output:
            write(step.output)
        for text in step.notes:
            notify(text)
        if step.done:
            return 0
    return 0


def check_target(
    target: str | None, selector: str | None, *, all_namespaces: bool, namespace: str | None, from_files: bool
) -> Target:
    """What ``check`` inspects, from its TARGET argument, ``-l``, ``-A`` and ``-n``; refused before any read."""
    from kubectl_sidecar import select as targets

    if target is not None and selector is not None:
        raise UsageError("give a TARGET or -l SELECTOR, not both")
    kind, name = split_target(target, "job")
    if all_namespaces and name is not None and not from_files:
        raise UsageError(
            "a Job or pod cannot be named across all namespaces: drop -A, or name the namespace with -n"
        )
    if selector is not None:
        targets.parse_label_selector(selector)  # refuse a bad selector before any request
        kind = targets.KIND_SELECTOR
    elif name is None:
        kind = targets.KIND_ALL
    # from files, the namespace picks among what the files hold; live, the reads were limited to it
    where = (None if all_namespaces else namespace) if from_files else None
    return targets.Target(kind=kind, name=name, selector=selector, namespace=where)


def run_check(
    target: Target,
    *,
    filenames: Sequence[str] = (),
    cluster_version: ClusterVersion | None = None,
    declared: Iterable[str] = (),
    catalogue_files: Sequence[str] = (),
    now_text: str | None = None,
    fail_on: str = "error",
    output: str = "table",
    kube: KubeOptions,
    width: int = 80,
    colour: bool = False,
    reading: Callable[[bool], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Outcome:
    """``check``: read the target from files or the cluster, check it, render the report.

    ``reading(True)`` / ``reading(False)`` bracket the cluster reads; ``progress(done, total)`` follows
    each pod checked.
    """
    now, now_source = snapshot_now(now_text, filenames)
    catalogue = load_catalogue(catalogue_files)
    if filenames:
        from kubectl_sidecar import files

        snapshot = files.load_snapshot(filenames, cluster_version=cluster_version)
    else:
        from kubectl_sidecar import kube as kubeapi
        from kubectl_sidecar.select import KIND_JOB, KIND_POD

        if reading is not None:
            reading(True)
        try:
            snapshot = kubeapi.fetch_check_snapshot(
                kube,
                job=target.name if target.kind == KIND_JOB else None,
                pod=target.name if target.kind == KIND_POD else None,
                selector=target.selector,
                cluster_version=cluster_version,
            )
        finally:
            if reading is not None:
                reading(False)
        now = _now()
    report = check_snapshot(
        snapshot,
        target,
        declared_sidecars=declared,
        now=now,
        fail_on=fail_on,
        progress=progress,
        keep_timelines=output == "html",
        catalogue=catalogue,
        now_source=now_source,
    )
    text = render_check(report, output, width=width, colour=colour)
    return Outcome(text, tuple(snapshot.notes) + tuple(report.notes), report.exit_code())


def run_demo(name: str | None, *, list_only: bool = False, render: RenderOptions) -> Outcome:
    """``demo``: the bundled scenarios (all, or the one named), or their list."""
    from kubectl_sidecar import demo

    index = demo.load_index()
    if list_only:
        width = max(len(s.name) for s in index)
        return Outcome("".join(f"{s.name:<{width}}  {s.title}\n" for s in index))
    chosen = index if name is None else [s for s in index if s.name == name]
    if not chosen:
        names = ", ".join(s.name for s in index)
        raise UsageError(f'no demo scenario "{name}": choose one of {names}')
    if render.is_picture and len(chosen) > 1:
        raise UsageError(f"-o {render.output} draws one scenario: name it (kubectl sidecar demo --list)")
    if (
        render.is_document and len(chosen) > 1
    ):  # several scenarios: one List, in JSON and in YAML (kubectl's way)
        from kubectl_sidecar.render import document

        items = [document.pod_result_to_dict(_demo_result(demo, scenario)) for scenario in chosen]
        return Outcome(document.dump({"apiVersion": "v1", "kind": "List", "items": items}, render.output))
    from kubectl_sidecar.textsafe import terminal_safe

    out = []
    for scenario in chosen:
        result = _demo_result(demo, scenario)
        text = render_timeline(result, render)
        if not render.is_document and not render.is_picture:
            from kubectl_sidecar.render.fit import wrap_text

            head = wrap_text(
                f"== {scenario.name}: {scenario.title} (Kubernetes {scenario.cluster_version})",
                render.width,
                indent="   ",
            )
            notes = "".join(
                wrap_text(f"note: {terminal_safe(n)}", render.width) + "\n" for n in result.timeline.notes
            )
            text = f"{head}\n\n{text}{notes}"
        out.append(text)
    return Outcome("\n".join(out))


def _demo_result(demo: Any, scenario: Any) -> PodResult:
    snapshot = demo.load_snapshot(scenario)
    return timeline_for_pod(snapshot, snapshot.find_pod(scenario.pod))
