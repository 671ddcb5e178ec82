"""Table-driven tests of the timeline engine on snapshots shaped like real API output."""

from __future__ import annotations

import pytest
from builders import T0, container, event, job, pod, running, status, terminated, ts, waiting

from kubectl_sidecar.model import (
    EventsState,
    RunState,
    parse_cluster_version,
    parse_containers,
    parse_event,
    parse_job,
)
from kubectl_sidecar.snapshot import Snapshot
from kubectl_sidecar.timeline import build_timeline, parse_forced_exit

RUN_IMPLIED, RUN_RUNNING = RunState.IMPLIED, RunState.RUNNING
RUN_TERMINATED, RUN_UNKNOWN = RunState.TERMINATED, RunState.UNKNOWN

ACS = {"__IS_SIDECAR__": "true"}


def timeline_of(pod_obj, events=(), state=EventsState.LISTED, **kwargs):
    snap = Snapshot(pods=[pod_obj], events=list(events), events_state=state)
    return build_timeline(pod_obj, snap.events_for(pod_obj), events_state=state, **kwargs)


def seq(tl, *, with_pod=False):
    """The marks as (container, kind) pairs, in timeline order."""
    return [(m.container, m.kind) for m in tl.marks if with_pod or m.container]


# ------------------------------------------------------------------------------------------ roles


@pytest.mark.parametrize(
    "spec, declared, expected",
    [
        ({"initContainers": [container("proxy", restart_policy="Always")]}, (), ("sidecar", "native")),
        ({"initContainers": [container("migrate")]}, (), ("init", None)),
        ({"containers": [container("shipper", env=ACS)]}, (), ("sidecar", "acs")),
        ({"containers": [container("shipper", env={"__IS_SIDECAR__": "True"})]}, (), ("sidecar", "acs")),
        ({"containers": [container("eci", env={"ECI_CONTAINER_TYPE": "sidecar"})]}, (), ("sidecar", "eci")),
        (
            {"containers": [container("k", env={"KRUISE_TERMINATE_SIDECAR_WHEN_JOB_EXIT": "true"})]},
            (),
            ("sidecar", "kruise"),
        ),
        ({"containers": [container("istio-proxy"), container("app")]}, (), ("sidecar", "mesh")),
        ({"containers": [container("linkerd-proxy"), container("app")]}, (), ("sidecar", "mesh")),
        ({"containers": [container("istio-proxy")]}, (), ("app", None)),  # a gateway: the proxy is the app
        ({"containers": [container("fluent-bit")]}, ("fluent-bit",), ("sidecar", "declared")),
        ({"containers": [container("fluent-bit")]}, (), ("app", None)),
        ({"initContainers": [container("legacy-init", env=ACS)]}, (), ("init", None)),
        ({"ephemeralContainers": [container("debugger")]}, (), ("ephemeral", None)),
    ],
    ids=[
        "native",
        "init",
        "acs",
        "acs-not-exactly-true",
        "eci",
        "kruise",
        "istio",
        "linkerd",
        "sole-proxy-is-the-app",
        "declared",
        "unmarked-app",
        "legacy-marker-on-init-is-ignored",
        "ephemeral",
    ],
)
def test_roles_come_from_the_spec(spec, declared, expected):
    c = parse_containers({"spec": spec}, declared)[0]
    assert (c.role, c.sidecar_kind) == expected


def test_acs_marker_records_whether_value_is_exactly_true():
    containers = parse_containers(
        {
            "spec": {
                "containers": [
                    container("a", env={"__IS_SIDECAR__": "true"}),
                    container("b", env={"__IS_SIDECAR__": "True"}),
                ]
            }
        }
    )
    assert [c.acs_marker_true for c in containers] == [True, False]


def test_conflicting_markers_are_all_recorded():
    (c,) = parse_containers({"spec": {"initContainers": [container("x", env=ACS, restart_policy="Always")]}})
    assert c.markers == ("native", "acs") and c.sidecar_kind == "native"


# ------------------------------------------------------------------------------------------ order


def test_containers_in_spec_order_not_status_order():
    p = pod(
        init_containers=[container("zz-init")],
        containers=[container("zeta"), container("alpha"), container("mid")],
        ephemeral=[container("debug")],
        statuses=[status("alpha", running(5)), status("mid", running(5)), status("zeta", running(5))],
        init_statuses=[status("zz-init", terminated(1, 4))],
    )
    tl = timeline_of(p)
    assert [c.name for c in tl.containers] == ["zz-init", "zeta", "alpha", "mid", "debug"]


@pytest.mark.parametrize(
    "events, expected",
    [
        # Everything in one second: the sidecar (legacy-marked, started first by ACS) before the app,
        # created < started within each; list order of the events is reversed on purpose.
        (
            [
                event("Started", container="app", at=3),
                event("Created", container="app", at=3),
                event("Started", container="sidecar", at=3),
                event("Created", container="sidecar", at=3),
            ],
            [("sidecar", "created"), ("sidecar", "started"), ("app", "created"), ("app", "started")],
        ),
        # App exit, the stop request and the sidecar's exit in one second.
        (
            [event("Killing", container="sidecar", at=13, message="Stopping container sidecar")],
            [("app", "finished"), ("sidecar", "stop requested"), ("sidecar", "finished")],
        ),
    ],
    ids=["same-second-starts", "same-second-stop"],
)
def test_same_second_ties_are_broken_by_meaning(events, expected):
    p = pod(
        containers=[container("app"), container("sidecar", env=ACS)],
        statuses=[status("app", terminated(3, 13)), status("sidecar", terminated(3, 13, 137))],
    )
    marks = [m for m in seq(timeline_of(p, events)) if m in expected]
    assert marks == expected


def test_init_container_finishes_before_the_app_is_created_in_the_same_second():
    p = pod(
        init_containers=[container("migrate")],
        containers=[container("app")],
        init_statuses=[status("migrate", terminated(1, 5))],
        statuses=[status("app", running(5))],
    )
    evs = [event("Created", container="app", at=5), event("Started", container="app", at=5)]
    assert seq(timeline_of(p, evs)) == [
        ("migrate", "started"),
        ("migrate", "finished"),
        ("app", "created"),
        ("app", "started"),
    ]


def test_native_sidecar_starts_before_app_and_stops_after_it():
    p = pod(
        init_containers=[container("proxy", restart_policy="Always")],
        containers=[container("app")],
        init_statuses=[status("proxy", terminated(2, 13, 143))],
        statuses=[status("app", terminated(2, 12))],
        phase="Succeeded",
    )
    evs = [
        event("Started", container="app", at=2),
        event("Started", container="proxy", section="initContainers", at=2),
        event("Killing", container="proxy", section="initContainers", at=12),
    ]
    assert seq(timeline_of(p, evs)) == [
        ("proxy", "started"),
        ("app", "started"),
        ("app", "finished"),
        ("proxy", "stop requested"),
        ("proxy", "finished"),
    ]


def test_killing_is_a_stop_request_not_the_stop():
    p = pod(
        containers=[container("app"), container("sidecar", env=ACS)],
        statuses=[status("app", terminated(1, 10)), status("sidecar", terminated(1, 40, 137))],
    )
    tl = timeline_of(p, [event("Killing", container="sidecar", at=10, message="Stopping container sidecar")])
    kinds = {(m.container, m.kind): m for m in tl.marks}
    assert kinds[("sidecar", "stop requested")].time == T0.replace(second=10)
    assert kinds[("sidecar", "finished")].time == T0.replace(second=40)
    assert kinds[("sidecar", "finished")].exit_code == 137


def test_conditions_are_ordered_by_transition_time_not_list_position():
    p = pod(
        containers=[container("app")],
        statuses=[status("app", running(3))],
        conditions=[
            ("Ready", "True", 4, None),
            ("PodScheduled", "True", 0, None),
            ("ContainersReady", "True", 4, None),
            ("Initialized", "True", 1, None),
        ],
    )
    details = [m.detail for m in timeline_of(p).marks if m.sources == ("condition",)]
    assert details == ["PodScheduled=True", "Initialized=True", "ContainersReady=True", "Ready=True"]


# ------------------------------------------------------------------------------------------ runs


@pytest.mark.parametrize(
    "st, expected_states, implied",
    [
        (
            status("app", running(30), last=terminated(10, 20, 1), restarts=1),
            [RUN_TERMINATED, RUN_RUNNING],
            0,
        ),
        (
            status("app", running(90), last=terminated(60, 80, 1), restarts=4),
            [RUN_IMPLIED, RUN_TERMINATED, RUN_RUNNING],
            3,
        ),
        (status("app", waiting(), last=terminated(60, 80, 1), restarts=2), [RUN_IMPLIED, RUN_TERMINATED], 2),
        (status("app", waiting("ContainerCreating", "")), [], 0),
        (status("app", terminated(5, 9)), [RUN_TERMINATED], 0),
    ],
    ids=["one-restart", "restarts-beyond-laststate", "crashloop-waiting", "never-started", "finished-once"],
)
def test_runs_from_state_laststate_and_restart_count(st, expected_states, implied):
    ct = timeline_of(pod(containers=[container("app")], statuses=[st])).container("app")
    assert [r.state for r in ct.runs] == expected_states
    assert sum(r.count for r in ct.runs if r.state == RUN_IMPLIED) == implied


def test_implied_runs_are_said_to_exist():
    tl = timeline_of(
        pod(
            containers=[container("app")],
            statuses=[status("app", running(90), last=terminated(60, 80, 1), restarts=4)],
        )
    )
    assert any("restartCount implies 3 earlier run(s)" in n for n in tl.notes)


def test_started_events_after_a_terminated_status_are_runs_the_status_does_not_show():
    # The legacy sidecar's status stayed "terminated" with restartCount 0; events saw it start again.
    p = pod(
        containers=[container("app"), container("agent", env=ACS)],
        statuses=[status("app", running(2)), status("agent", terminated(2, 60, 1))],
    )
    evs = [
        event("Started", container="agent", at=2, last=95, count=3),
        event("BackOff", container="agent", at=61, last=70, count=2, typ="Warning"),
    ]
    ct = timeline_of(p, evs).container("agent")
    assert [r.state for r in ct.runs] == [RUN_TERMINATED, RUN_IMPLIED, RUN_UNKNOWN]
    assert ct.runs[-1].started_at == T0.replace(minute=1, second=35)
    assert ct.total_runs() == 3


def test_started_event_matching_the_status_run_is_not_a_second_run():
    p = pod(containers=[container("app")], statuses=[status("app", running(3))])
    ct = timeline_of(p, [event("Started", container="app", at=2)]).container("app")
    assert [r.state for r in ct.runs] == [RUN_RUNNING]
    (start,) = [
        m for m in timeline_of(p, [event("Started", container="app", at=2)]).marks if m.kind == "started"
    ]
    assert start.sources == ("status", "event")


def test_runs_from_events_alone_when_the_pod_has_no_status():
    p = pod(containers=[container("app")], statuses=[])
    tl = timeline_of(p, [event("Started", container="app", at=4)])
    assert [r.state for r in tl.container("app").runs] == [RUN_UNKNOWN]
    assert any("no container statuses" in n for n in tl.notes)


@pytest.mark.parametrize(
    "message, expected",
    [
        ("Force this container to be success(137, Error, )", (137, "Error")),
        ("Force this container to be success(143, Error, terminated)", (143, "Error")),
        ("force container success (1, OOMKilled)", (1, "OOMKilled")),
        ("ignore exit code: original exit code 2, reason: Error", (2, "Error")),
        ("Completed", (None, None)),
        (None, (None, None)),
        ("(137, Error)", (None, None)),
    ],
    ids=["acs-seed", "acs-with-message", "loose-parens", "eci-text", "plain", "none", "no-force-word"],
)
def test_forced_exit_parsing(message, expected):
    assert parse_forced_exit(message) == expected


def test_forced_exit_fills_original_code_and_reason():
    p = pod(
        containers=[container("app"), container("sidecar", env=ACS)],
        statuses=[
            status("app", terminated(14, 25)),
            status(
                "sidecar",
                terminated(14, 55, 0, "Completed", "Force this container to be success(137, Error, )"),
            ),
        ],
    )
    (run,) = timeline_of(p).container("sidecar").runs
    assert (run.exit_code, run.original_exit_code, run.original_reason) == (0, 137, "Error")


# ------------------------------------------------------------------------------------------ events


def test_aggregated_event_gives_first_and_last_marks():
    p = pod(
        containers=[container("app")],
        statuses=[status("app", waiting(), last=terminated(10, 11, 1), restarts=5)],
    )
    tl = timeline_of(p, [event("BackOff", container="app", at=12, last=45, count=6, typ="Warning")])
    backoffs = [m for m in tl.marks if m.kind == "back-off"]
    assert [(m.detail, m.aggregate) for m in backoffs] == [("x6 over 33s", "first"), ("last of 6", "last")]
    assert backoffs[0].last == T0.replace(second=45)


def test_series_event_from_events_k8s_io():
    raw = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "reason": "BackOff",
        "note": "Back-off",
        "regarding": {
            "kind": "Pod",
            "name": "p",
            "namespace": "default",
            "fieldPath": "spec.containers{app}",
        },
        "eventTime": "2025-03-04T08:00:10.123456Z",
        "series": {"count": 4, "lastObservedTime": "2025-03-04T08:00:50.000001Z"},
    }
    ev = parse_event(raw)
    assert (ev.count, ev.container, ev.precision, ev.message) == (4, "app", "us", "Back-off")
    assert (ev.last - ev.first).total_seconds() == pytest.approx(39.876545)


def test_scheduler_event_with_event_time_and_null_timestamps():
    p = pod(containers=[container("app")], statuses=[status("app", running(2))])
    tl = timeline_of(
        p,
        [
            event(
                "Scheduled",
                event_time=0.25,
                component="default-scheduler",
                message="Successfully assigned default/test-q8x5k to node-a",
            )
        ],
    )
    (mark,) = [m for m in tl.marks if m.kind == "scheduled"]
    assert mark.precision == "us" and mark.time == T0.replace(microsecond=250000) and mark.container is None


def test_events_are_matched_by_field_path_never_by_message():
    p = pod(
        containers=[container("app"), container("sidecar", env=ACS)],
        statuses=[status("app", running(3)), status("sidecar", running(3))],
    )
    tl = timeline_of(p, [event("Killing", container="sidecar", at=9, message="Stopping container app")])
    (stop,) = [m for m in tl.marks if m.kind == "stop requested"]
    assert stop.container == "sidecar"


@pytest.mark.parametrize(
    "uid, matched",
    [("4e6f8a0b-2c4d-4e6f-8a0b-2c4d6e8f0a1b", True), (None, True), ("a-previous-pod-with-this-name", False)],
    ids=["same-uid", "no-uid-old-acs", "other-pod-same-name"],
)
def test_events_matched_by_uid_or_by_name_when_the_uid_is_missing(uid, matched):
    p = pod(containers=[container("app")], statuses=[status("app", running(3))])
    snap = Snapshot(pods=[p], events=[event("Started", container="app", at=3, uid=uid)])
    assert bool(snap.events_for(p)) is matched


def test_events_read_twice_are_deduplicated():
    p = pod(containers=[container("app")], statuses=[status("app", running(3))])
    ev = event("Started", container="app", at=3)
    ev["metadata"]["uid"] = "ev-1"
    assert len(Snapshot(pods=[p], events=[ev, dict(ev)]).events_for(p)) == 1


@pytest.mark.parametrize(
    "state, count, fragment",
    [
        (EventsState.ABSENT, 0, "the input holds no events"),
        (EventsState.FORBIDDEN, 0, "listing events was forbidden"),
        (EventsState.UNAVAILABLE, 0, "events could not be read"),
        (EventsState.LISTED, 0, "events expire after 1 hour"),
    ],
)
def test_missing_events_still_give_a_timeline_and_say_so(state, count, fragment):
    p = pod(containers=[container("app")], statuses=[status("app", terminated(3, 9))])
    tl = timeline_of(p, [], state=state)
    assert [m.kind for m in tl.marks if m.container] == ["started", "finished"]
    assert any(fragment in n for n in tl.notes)


def test_expired_events_note_says_how_old_the_pod_is():
    from datetime import timedelta

    p = pod(containers=[container("app")], statuses=[status("app", terminated(3, 9))])
    tl = timeline_of(p, [], now=T0 + timedelta(hours=3, minutes=5))
    assert any("3h05m old" in n for n in tl.notes)


# ------------------------------------------------------------------------------------------ pod and job


def test_deletion_request_is_deadline_minus_grace():
    p = pod(containers=[container("app")], statuses=[status("app", running(3))], deletion=100, grace=30)
    kinds = {m.kind: m.time for m in timeline_of(p).marks}
    assert kinds["deletion requested"] == T0.replace(minute=1, second=10)
    assert kinds["grace period ends"] == T0.replace(minute=1, second=40)


def test_job_start_and_completion_are_marks():
    p = pod(containers=[container("app")], statuses=[status("app", terminated(3, 9))], job="test", created=1)
    tl = build_timeline(p, [], job=parse_job(job(start=0, completion=12)))
    assert [m.kind for m in tl.marks][0] == "job started" and tl.marks[-1].kind == "job completed"
    assert tl.pod.job == "test"


def test_cluster_version_from_pod_annotation_when_server_version_unknown():
    p = pod(
        containers=[container("app")],
        statuses=[],
        annotations={"k8s.aliyun.com/k8s-version": "v1.22.3-aliyun.1"},
    )
    tl = build_timeline(p, [])
    assert (tl.cluster_version.minor, tl.cluster_version.source, tl.platform.acs) == (
        22,
        "pod annotation",
        True,
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1.28", (1, 28)),
        ("v1.30.2", (1, 30)),
        ("v1.28.15-aliyun.1", (1, 28)),
        ("1.29+", None),
        ("latest", None),
        ("", None),
    ],
)
def test_parse_cluster_version(text, expected):
    version = parse_cluster_version(text)
    assert (None if version is None else (version.major, version.minor)) == expected


# ------------------------------------------------------------------------------------------ odd input


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: p.pop("status"),
        lambda p: p["status"].update(containerStatuses=None),
        lambda p: p["status"].update(containerStatuses="oops"),
        lambda p: p["status"]["containerStatuses"][0].update(state=[]),
        lambda p: p["status"]["containerStatuses"][0].update(restartCount="many"),
        lambda p: p["status"]["containerStatuses"][0]["state"]["terminated"].update(
            startedAt=12, exitCode="x"
        ),
        lambda p: p["metadata"].update(creationTimestamp="not a time"),
        lambda p: p["spec"].update(containers=[None, 3, {"name": 5}]),
        lambda p: p.update(spec=None),
        lambda p: p["status"].update(
            conditions=[{"type": None}, "x", {"type": "Ready", "lastTransitionTime": []}]
        ),
    ],
    ids=[
        "no-status",
        "null-statuses",
        "string-statuses",
        "state-list",
        "restartcount-str",
        "bad-times",
        "bad-created",
        "bad-containers",
        "null-spec",
        "bad-conditions",
    ],
)
def test_odd_fields_never_crash(mutate):
    p = pod(containers=[container("app")], statuses=[status("app", terminated(3, 9))])
    mutate(p)
    evs = [
        event("Started", container="app", at=3),
        {"reason": None},
        {"reason": "X", "firstTimestamp": "bad"},
        {"reason": "Started", "involvedObject": "nope", "lastTimestamp": ts(4)},
    ]
    tl = timeline_of(p, evs)
    assert tl.pod is not None
