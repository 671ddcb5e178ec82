"""Property-based tests: realistic pods with any field removed or given another type never break us.

The pods come from tests/builders.py and from the bundled demo files (their Pod, events, Job and Node).
A mutation picks any path in the object, uniformly over every key and list item at every depth, and
deletes it or replaces its value with a value of another type (None, bool, huge or negative numbers,
NaN, strings that look like times but are not, times out of range, lists, maps). The properties:

* building the timeline and rendering it in every format never raises;
* the JSON document still matches docs/timeline.schema.json;
* containers keep spec order (init, regular, ephemeral), whatever the statuses say;
* marks are in time order at whole-second precision;
* every run whose times are both known finishes at or after it starts, or a note says why not;
* the checks (kubectl_sidecar/checks) never raise on such pods, Jobs and events, name only known codes
  and containers, and the ``check`` report renders in every format.

CI is deterministic: ``derandomize=True`` makes hypothesis derive its examples from the test itself,
and no example database is read or written.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import builders as b
import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubectl_sidecar import app, checks, model, raw
from kubectl_sidecar.files import snapshot_from_sources
from kubectl_sidecar.findings import PodResult
from kubectl_sidecar.model import EventsState
from kubectl_sidecar.options import RenderOptions
from kubectl_sidecar.render import document
from kubectl_sidecar.select import KIND_ALL, Target
from kubectl_sidecar.snapshot import Snapshot
from kubectl_sidecar.timeline import build_timeline

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "kubectl_sidecar" / "demo"
SCHEMA = json.loads((ROOT / "docs" / "timeline.schema.json").read_text())
NOW = datetime(2025, 3, 4, 9, 0, 0, tzinfo=timezone.utc)

PROPERTY_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ACS = {"__IS_SIDECAR__": "true"}


# ------------------------------------------------------------------------------------------ base objects


def _builder_scenarios() -> list:
    """Snapshots built with tests/builders.py: (pod, events, job, node)."""
    native = b.pod(
        init_containers=[b.container("proxy", restart_policy="Always", startup_probe=True)],
        containers=[b.container("app")],
        job="test",
        phase="Succeeded",
        init_statuses=[b.status("proxy", b.terminated(1, 40, 137), started=False)],
        statuses=[b.status("app", b.terminated(2, 30))],
        conditions=[
            ("PodScheduled", "True", 0, None),
            ("Initialized", "True", 2, None),
            ("Ready", "False", 40, "PodCompleted"),
        ],
    )
    native_events = [
        b.event("Scheduled", at=0, component="default-scheduler"),
        b.event("Started", container="proxy", section="initContainers", at=1),
        b.event("Started", container="app", at=2),
        b.event("Killing", container="proxy", section="initContainers", at=31),
    ]
    acs = b.pod(
        containers=[b.container("app"), b.container("sidecar", env=ACS)],
        job="test",
        phase="Succeeded",
        statuses=[
            b.status("app", b.terminated(3, 13)),
            b.status(
                "sidecar",
                b.terminated(2, 14, 0, "Completed", "Force this container to be success(137, Error, )"),
            ),
        ],
    )
    crashloop = b.pod(
        containers=[b.container("app"), b.container("agent", env={"ECI_CONTAINER_TYPE": "sidecar"})],
        ephemeral=[b.container("debugger")],
        restart_policy="Always",
        deletion=300,
        grace=30,
        statuses=[
            b.status("app", b.waiting(), last=b.terminated(10, 11, 1), restarts=4),
            b.status("agent", b.running(2), ready=True),
        ],
    )
    crash_events = [
        b.event("BackOff", container="app", at=12, last=90, count=7, typ="Warning"),
        b.event("Started", container="app", at=10, last=60, count=5),
        {
            "reason": "Scheduled",
            "eventTime": b.ts(0.25),
            "firstTimestamp": None,
            "regarding": {"kind": "Pod", "name": "test-q8x5k", "namespace": "default"},
            "series": {"count": 2, "lastObservedTime": b.ts(1.5)},
            "note": "assigned",
        },
    ]
    return [
        (native, native_events, b.job(completion=45), None),
        (acs, [], b.job(completion=20), None),
        (crashloop, crash_events, None, None),
    ]


def _demo_scenarios() -> list:
    result = []
    for entry in yaml.safe_load((DEMO / "index.yaml").read_text()):
        snap = snapshot_from_sources([(entry["file"], (DEMO / entry["file"]).read_bytes())])
        pod = snap.find_pod(entry["pod"])
        # Round-trip through JSON: the demo files share nodes through YAML anchors; mutations must not.
        events = json.loads(json.dumps([e for e in snap.events]))
        node = snap.node_for(pod)
        result.append((json.loads(json.dumps(pod)), events, snap.job_for(pod), node))
    return result


SCENARIOS = _builder_scenarios() + _demo_scenarios()
SCENARIO_IDS = ["native", "acs", "crashloop"] + [
    e["name"] for e in yaml.safe_load((DEMO / "index.yaml").read_text())
]


# ------------------------------------------------------------------------------------------ mutations

_ODD_TIMES = [
    "",
    " ",
    "not a time",
    "2025-13-45T99:99:99Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00:00+05:00",
    "2025-03-04T08:00:00.123456Z",
    "2025-03-04T08:00:00",
    "2025-03-04",
    "1741075200",
    "2025-03-04T08:00:00+14:00",
]
_ODD_DATETIMES = [
    datetime.min,
    datetime.max,
    datetime(2025, 3, 4, 8, 0, 0),
    datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5))),
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 137, 2**31, 2**63, 10**18, -(10**18)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(_ODD_TIMES),
    st.sampled_from(_ODD_DATETIMES),  # what YAML makes of unquoted timestamps
    st.sampled_from(
        [
            "Always",
            "Never",
            "True",
            "False",
            "Pod",
            "Job",
            "Started",
            "Killing",
            "true",
            "sidecar",
            "__IS_SIDECAR__",
            "spec.containers{app}",
            "spec.initContainers{x}",
            "{",
        ]
    ),
)
odd_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["name", "kind", "startedAt", "state", "reason", "terminated", "running", "x"]),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=6,
)


def _paths(obj, prefix=()):
    """Every path to a key or list item, at every depth."""
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for key, value in items:
        path = prefix + (key,)
        yield path
        yield from _paths(value, path)


def _apply(root, path, op, value):
    parent = root
    for key in path[:-1]:
        parent = parent[key]
    if op == "delete":
        del parent[path[-1]]
    elif op == "wrap":  # a value of another type that still holds the original
        parent[path[-1]] = (
            [parent[path[-1]]] if not isinstance(parent[path[-1]], list) else {"0": parent[path[-1]]}
        )
    else:
        parent[path[-1]] = value


# The keys the package reads (grep '.get("' kubectl_sidecar): most mutations land on one of them or on
# an item of a list held under one of them, so 200 examples reach every field the code reads.
READ_KEYS = frozenset(
    """
    annotations completionTime component conditions containerStatuses containers count creationTimestamp
    deletionGracePeriodSeconds deletionTimestamp deprecatedCount deprecatedFirstTimestamp
    deprecatedLastTimestamp env ephemeralContainerStatuses ephemeralContainers eventTime exitCode fieldPath
    finishedAt firstTimestamp image initContainerStatuses initContainers involvedObject key kind labels
    lastObservedTime lastState lastTimestamp lastTransitionTime message metadata name namespace nodeName
    note ownerReferences phase ready reason regarding reportingComponent reportingController restartCount
    restartPolicy running series source spec startTime started startedAt startupProbe state status taints
    terminated type uid value waiting
""".split()
)  # noqa: SIM905 - a word list reads best as words
_TIME_KEYS = frozenset(k for k in READ_KEYS if k.endswith(("Timestamp", "At", "Time")))


def _is_read(path) -> bool:
    last = path[-1]
    return last in READ_KEYS or (isinstance(last, int) and len(path) > 1 and path[-2] in READ_KEYS)


@st.composite
def mutated(draw):
    """A scenario with 1-4 mutations anywhere in its pod, events, Job or node."""
    index = draw(st.integers(0, len(SCENARIOS) - 1))
    pod, events, job, node = copy.deepcopy(SCENARIOS[index])
    bundle = {"pod": pod, "events": events, "job": job, "node": node}
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(bundle) if len(p) > 1]
        if not paths:
            break
        read = [p for p in paths if _is_read(p)]
        path = draw(st.sampled_from(read if read and draw(st.integers(0, 3)) else paths))
        op = draw(st.sampled_from(["delete", "replace", "replace", "wrap"]))
        value = None
        if op == "replace":
            odd_time = path[-1] in _TIME_KEYS and draw(st.booleans())
            value = draw(st.sampled_from(_ODD_TIMES + _ODD_DATETIMES) if odd_time else odd_values)
        _apply(bundle, path, op, value)
    return index, bundle


def _timeline(bundle):
    pod = bundle["pod"]
    events = bundle["events"] if isinstance(bundle["events"], list) else []
    snap = Snapshot(pods=[pod], events=[e for e in events], events_state=EventsState.LISTED)
    job = bundle["job"] if isinstance(bundle["job"], dict) else None
    node = bundle["node"] if isinstance(bundle["node"], dict) else None
    snap.jobs = [job] if job else []
    snap.nodes = [node] if node else []
    evs = snap.events_for(pod) if isinstance(pod, dict) else []
    return build_timeline(
        pod,
        evs,
        job=model.parse_job(job) if job else None,
        node=node,
        cluster_version=None,
        events_state=EventsState.LISTED,
        now=NOW,
    )


def _spec_order(pod) -> list:
    spec = raw.as_dict(raw.as_dict(pod).get("spec"))
    names, seen = [], set()
    for section in ("initContainers", "containers", "ephemeralContainers"):
        for entry in raw.as_list(spec.get(section)):
            name = raw.as_dict(entry).get("name")
            if isinstance(name, str) and name and name not in seen:
                seen.add(name)
                names.append(name)
    return names


# ------------------------------------------------------------------------------------------ properties


@PROPERTY_SETTINGS
@given(case=mutated())
def test_mutated_pods_build_and_render_in_every_format(case):
    _, bundle = case
    timeline = PodResult(_timeline(bundle))
    for output in ("table", "wide"):
        for ascii_only in (False, True):
            text = app.render_timeline(
                timeline, RenderOptions(output=output, ascii_only=ascii_only, width=100, utc=output == "wide")
            )
            assert isinstance(text, str)
    app.render_timeline(timeline, RenderOptions(output="table", absolute_time=True, colour=True, width=40))
    doc = json.loads(app.render_timeline(timeline, RenderOptions(output="json")))
    jsonschema.validate(doc, SCHEMA)
    assert yaml.safe_load(app.render_timeline(timeline, RenderOptions(output="yaml"))) == doc


@PROPERTY_SETTINGS
@given(case=mutated())
def test_containers_keep_spec_order(case):
    _, bundle = case
    timeline = _timeline(bundle)
    assert [c.name for c in timeline.containers] == _spec_order(bundle["pod"])


@PROPERTY_SETTINGS
@given(case=mutated())
def test_marks_are_in_time_order_at_second_precision(case):
    _, bundle = case
    seconds = [m.time.replace(microsecond=0) for m in _timeline(bundle).marks]
    assert seconds == sorted(seconds)


@PROPERTY_SETTINGS
@given(case=mutated())
def test_every_run_finishes_after_it_starts_or_a_note_says_why_not(case):
    _, bundle = case
    timeline = _timeline(bundle)
    doc = document.timeline_to_dict(timeline)
    for container in doc["containers"]:
        for run in container["runs"]:
            if run["startedAt"] and run["finishedAt"] and run["finishedAt"] < run["startedAt"]:
                assert any(
                    note.startswith(f"{container['name']}: a run finished before it started")
                    for note in doc["notes"]
                ), (container["name"], run, doc["notes"])


@st.composite
def odd_times(draw):
    """A scenario with 1-6 of its time fields set to times at or past the calendar's ends, or not times."""
    pod, events, job, node = copy.deepcopy(draw(st.sampled_from(SCENARIOS)))
    bundle = {"pod": pod, "events": events, "job": job, "node": node}
    paths = [p for p in _paths(bundle) if p[-1] in _TIME_KEYS]
    for path in draw(st.lists(st.sampled_from(paths), min_size=1, max_size=6, unique=True)):
        _apply(bundle, path, "replace", draw(st.sampled_from(_ODD_TIMES + _ODD_DATETIMES)))
    return bundle


@PROPERTY_SETTINGS
@given(bundle=odd_times())
def test_times_out_of_range_or_malformed_never_raise(bundle):
    timeline = _timeline(bundle)
    for opts in (RenderOptions(output="table", absolute_time=True), RenderOptions(output="wide", utc=True)):
        app.render_timeline(PodResult(timeline), opts)
    jsonschema.validate(
        json.loads(app.render_timeline(PodResult(timeline), RenderOptions(output="json"))), SCHEMA
    )


@pytest.mark.parametrize("index", range(len(SCENARIOS)), ids=SCENARIO_IDS)
def test_unmutated_scenarios_keep_their_runs_in_order(index):
    """The base objects themselves are sound: every known run finishes after it starts, with no note."""
    pod, events, job, node = copy.deepcopy(SCENARIOS[index])
    timeline = _timeline({"pod": pod, "events": events, "job": job, "node": node})
    for ct in timeline.containers:
        for run in ct.runs:
            if run.started_at and run.finished_at:
                assert run.finished_at >= run.started_at
    assert not any("finished before it started" in n for n in timeline.notes)
    assert [c.name for c in timeline.containers] == _spec_order(pod)


# ------------------------------------------------------------------------------------------ checks


def _snapshot(bundle) -> Snapshot:
    snap = Snapshot(events_state=EventsState.LISTED, source="mutated")
    snap.add_objects(
        o
        for o in [bundle["pod"], bundle["job"], bundle["node"]]
        if isinstance(o, dict) and isinstance(o.get("kind"), str)
    )
    if isinstance(bundle["events"], list):
        snap.events.extend(e for e in bundle["events"] if isinstance(e, dict))
    return snap


@PROPERTY_SETTINGS
@given(case=mutated())
def test_checks_never_raise_and_name_only_what_exists(case):
    _, bundle = case
    timeline = _timeline(bundle)
    node = bundle["node"] if isinstance(bundle["node"], dict) else None
    context = checks.CheckContext(now=NOW, node_version=model.node_version(node))
    names = {c.name for c in timeline.containers}
    found = checks.check_timeline(timeline, context)
    if isinstance(bundle["job"], dict):
        found += checks.check_job(
            model.parse_job(bundle["job"]), _snapshot(bundle).events_of_job(bundle["job"]), context
        )
    for finding in found:
        assert finding.code in checks.CODES
        assert finding.container is None or finding.container in names, finding
        json.dumps(document.finding_to_dict(finding))


@PROPERTY_SETTINGS
@given(case=mutated())
def test_check_reports_of_mutated_snapshots_render_in_every_format(case):
    _, bundle = case
    report = app.check_snapshot(_snapshot(bundle), Target(kind=KIND_ALL), now=NOW)
    for output in ("table", "json", "yaml"):
        assert isinstance(app.render_check(report, output, width=100), str)
    json.loads(app.render_check(report, "json"))
