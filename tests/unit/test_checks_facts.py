"""Unit tests of the helpers the checks share (checks/prose.py, queries.py, platform.py, fixes.py), target
selection (select.py) and the report (findings.py): small, table-driven, on dicts shaped like API output."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from builders import T0, container, event, job, pod, running, status, terminated, ts, waiting

from kubectl_sidecar import model
from kubectl_sidecar.checks import CheckContext, check_timeline, fixes, make_finding, platform, prose, queries
from kubectl_sidecar.checks.catalogue import CODES, ERROR, INFO, WARNING
from kubectl_sidecar.errors import NotFoundError, UsageError
from kubectl_sidecar.findings import CheckReport, PodResult, severity_rank
from kubectl_sidecar.model import job_state, parse_cluster_version, parse_job
from kubectl_sidecar.render import document
from kubectl_sidecar.select import (
    KIND_ALL,
    KIND_JOB,
    KIND_POD,
    KIND_SELECTOR,
    Requirement,
    Target,
    job_selector,
    parse_label_selector,
    select,
)
from kubectl_sidecar.snapshot import Snapshot
from kubectl_sidecar.timeline import build_timeline

ACS = {"__IS_SIDECAR__": "true"}
NATIVE_KW = {"restart_policy": "Always"}


def timeline_of(pod_obj, events=(), version=None, node=None, job_obj=None):
    """The pod's timeline; a Scheduled event keeps SC011 (no events) out of the way."""
    scheduled = event(
        "Scheduled",
        at=0,
        component="default-scheduler",
        pod_name=pod_obj["metadata"]["name"],
        uid=pod_obj["metadata"]["uid"],
    )
    snap = Snapshot(pods=[pod_obj], events=[scheduled, *events])
    return build_timeline(
        pod_obj,
        snap.events_for(pod_obj),
        job=parse_job(job_obj) if job_obj is not None else None,
        node=node,
        cluster_version=parse_cluster_version(version) if version else None,
    )


def at(seconds):
    return T0 + timedelta(seconds=seconds)


# ------------------------------------------------------------------------------------------ time


@pytest.mark.parametrize(
    "a, b, expected",
    [
        (at(1), at(2), True),
        (at(2), at(1), False),
        (at(1), at(1.9), False),
        (at(1.9), at(2.0), True),
        (None, at(1), False),
        (at(1), None, False),
    ],
    ids=["earlier", "later", "same-second", "second-boundary", "none-a", "none-b"],
)
def test_earlier_means_an_earlier_second(a, b, expected):
    assert prose.earlier(a, b) is expected


def test_at_and_offset_read_from_the_pod_creation():
    tl = timeline_of(pod(containers=[container("app")], statuses=[status("app", running(3))]))
    assert prose.at(tl, at(25)) == f"{ts(25)} (+25s)"
    assert prose.offset(tl, None) == "?" and prose.at(tl, None) == "an unknown time"


@pytest.mark.parametrize(
    "code, reason, text",
    [
        (137, "Error", "137 (SIGKILL)"),
        (143, None, "143 (SIGTERM)"),
        (137, "OOMKilled", "137 (OOMKilled)"),
        (1, "Error", "1 (Error)"),
        (0, "Completed", "0 (Completed)"),
        (None, None, "an unknown code"),
        (2, None, "2"),
    ],
)
def test_describe_exit(code, reason, text):
    assert prose.describe_exit(code, reason) == text


# ------------------------------------------------------------------------------------------ containers


@pytest.mark.parametrize(
    "name, image, word",
    [
        ("fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:3.1.9", "fluent-bit"),
        ("shipper", "docker.io/timberio/vector:0.41.1", "vector"),
        ("proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.11.4", "cloud-sql-proxy"),
        ("log-agent", "registry.example.com/agent:1", "log-agent"),
        ("my-sidecar", "busybox:1.36", "sidecar"),
        ("exporter", "registry.example.com/etl/exporter:4.2.0", None),
        ("report", "registry.example.com/reports/generator:2.7.1", None),
    ],
)
def test_looks_like_sidecar(name, image, word):
    from kubectl_sidecar.model import parse_containers

    (c,) = parse_containers({"spec": {"containers": [{"name": name, "image": image}]}})
    assert queries.looks_like_sidecar(c) == word


def test_first_start_prefers_events_and_refuses_to_guess_when_the_first_run_is_lost():
    spec = [container("app"), container("agent", env=ACS)]
    lost = pod(
        containers=spec,
        statuses=[
            status("app", running(5)),
            status("agent", running(60), restarts=3, last=terminated(40, 50, 1)),
        ],
    )
    tl = timeline_of(lost)
    assert queries.first_start(tl.container("agent")) is None  # runs before +40s exist, their times do not
    tl = timeline_of(lost, [event("Started", container="agent", at=2, last=60, count=4)])
    assert queries.first_start(tl.container("agent")) == at(2)
    assert queries.first_start(tl.container("app")) == at(5)


def test_restarts_take_the_largest_count_and_keeps_restarting_needs_two_or_back_off():
    spec = [container("app"), container("agent", env=ACS)]
    once = timeline_of(
        pod(
            containers=spec,
            statuses=[
                status("app", running(5)),
                status("agent", running(60), restarts=1, last=terminated(2, 50, 1)),
            ],
        )
    )
    assert queries.restarts(once.container("agent")) == 1 and not queries.keeps_restarting(
        once.container("agent")
    )
    looping = timeline_of(
        pod(
            containers=spec,
            statuses=[
                status("app", running(5)),
                status("agent", waiting(), restarts=1, last=terminated(2, 50, 1)),
            ],
        )
    )
    assert queries.keeps_restarting(looping.container("agent"))
    counted = timeline_of(
        pod(containers=spec, statuses=[status("app", running(5)), status("agent", terminated(2, 50, 1))]),
        [event("Started", container="agent", at=2, last=90, count=3)],
    )
    assert queries.restarts(counted.container("agent")) == 2 and queries.keeps_restarting(
        counted.container("agent")
    )


def test_grace_seconds_from_deletion_then_spec_then_default():
    p = pod(containers=[container("app")], statuses=[status("app", running(3))])
    assert queries.grace_seconds(timeline_of(p)) == 30
    p["spec"]["terminationGracePeriodSeconds"] = 90
    assert queries.grace_seconds(timeline_of(p)) == 90
    p["metadata"]["deletionGracePeriodSeconds"] = 5
    assert queries.grace_seconds(timeline_of(p)) == 5
    del p["spec"]["terminationGracePeriodSeconds"], p["metadata"]["deletionGracePeriodSeconds"]
    assert queries.grace_seconds(timeline_of(p)) == 30


def test_env_is_compared_never_returned():
    p = pod(
        containers=[container("m", env={"__IS_SIDECAR__": "True", "TOKEN": "s3cret"})],
        statuses=[status("m", running(3))],
    )
    tl = timeline_of(p)
    c = tl.container("m").container
    assert queries.env_value_is(tl, c, "__IS_SIDECAR__", "true") is False
    assert queries.env_value_is(tl, c, "MISSING", "true") is None
    assert queries.env_names(tl, c) == [("__IS_SIDECAR__", True), ("TOKEN", True)]


@pytest.mark.parametrize(
    "command, args, script",
    [
        (["sh", "-c", "tail -F /x"], None, "tail -F /x"),
        (["/bin/bash", "-c"], ["exec app"], "exec app"),
        (["tail", "-F", "/x"], None, None),
        (None, None, None),
    ],
)
def test_shell_script(command, args, script):
    spec = container("s")
    if command:
        spec["command"] = command
    if args:
        spec["args"] = args
    tl = timeline_of(pod(containers=[spec], statuses=[status("s", running(3))]))
    assert queries.shell_script(tl, tl.container("s").container) == script


# ------------------------------------------------------------------------------------------ the cluster


@pytest.mark.parametrize(
    "version, native, known",
    [
        ("v1.30.2", True, True),
        ("1.29", True, True),
        ("v1.28.15-aliyun.1", None, True),
        ("1.27", False, True),
        (None, True, False),
    ],
)
def test_version_view(version, native, known):
    tl = timeline_of(
        pod(containers=[container("app")], statuses=[status("app", running(3))]), version=version
    )
    view = platform.version_view(tl)
    assert (view.native, view.known) == (native, known)
    assert (view.assumption is None) is known


def test_version_view_falls_back_to_the_node_kubelet_version_and_says_so():
    tl = timeline_of(pod(containers=[container("app")], statuses=[status("app", running(3))]))
    node = {"status": {"nodeInfo": {"kubeletVersion": "v1.28.15-aliyun.1"}}}
    view = platform.version_view(tl, CheckContext(node_version=model.node_version(node)))
    assert view.native is None and "kubeletVersion v1.28.15-aliyun.1" in view.assumption
    assert model.node_version(None) is None and model.node_version({"status": {}}) is None


@pytest.mark.parametrize(
    "env, node_name, annotations, honoured",
    [
        (ACS, "virtual-kubelet-cn-shenzhen-f", {}, True),
        (ACS, "node-a", {"k8s.aliyun.com/eci-instance-id": "eci-1"}, True),
        (ACS, "ip-10-0-1-2.ec2.internal", {}, False),
        ({"__IS_SIDECAR__": "True"}, "virtual-kubelet-cn-shenzhen-f", {}, False),
        ({"ECI_CONTAINER_TYPE": "sidecar"}, "virtual-kubelet-cn-shenzhen-f", {}, True),
        ({"KRUISE_TERMINATE_SIDECAR_WHEN_JOB_EXIT": "true"}, "node-a", {}, None),
    ],
    ids=["acs-on-vk", "acs-eci-annotation", "acs-on-eks", "acs-not-true", "eci", "kruise-unknown"],
)
def test_legacy_honoured(env, node_name, annotations, honoured):
    p = pod(
        containers=[container("app"), container("agent", env=env)],
        node=node_name,
        annotations=annotations,
        statuses=[status("app", running(3)), status("agent", running(3))],
    )
    tl = timeline_of(p)
    assert platform.legacy_honoured(tl, tl.container("agent").container)[0] is honoured


def test_native_sidecar_yaml_moves_the_container_and_never_prints_env():
    p = pod(
        containers=[container("app"), container("agent", env={"__IS_SIDECAR__": "true", "KEY": "s3cret"})],
        job="nightly",
        statuses=[status("app", running(3)), status("agent", running(3))],
    )
    text = fixes.native_sidecar_yaml(timeline_of(p), ["agent"], drop_env="__IS_SIDECAR__")
    assert text.startswith("# Job nightly: spec.template.spec\ninitContainers:\n- name: agent\n")
    assert "restartPolicy: Always" in text and "drop the __IS_SIDECAR__ env entry" in text
    assert "s3cret" not in text and "- name: app                # unchanged" in text


# ------------------------------------------------------------------------------------------ checks on small pods


def _codes(tl, now=None):
    return sorted({f.code for f in check_timeline(tl, CheckContext(now=now))})


def test_sc001_same_second_is_a_tie_not_evidence():
    spec = [container("app"), container("istio-proxy")]
    tie = pod(containers=spec, statuses=[status("app", running(3)), status("istio-proxy", running(3))])
    assert _codes(timeline_of(tie, version="1.30")) == []
    late = pod(containers=spec, statuses=[status("app", running(3)), status("istio-proxy", running(4))])
    assert _codes(timeline_of(late, version="1.30")) == ["SC001"]


def test_sc002_ignores_the_exit_of_a_sidecar_after_the_apps_exited():
    spec = [container("app"), container("agent", env=ACS)]
    after = pod(
        containers=spec, statuses=[status("app", terminated(3, 20)), status("agent", terminated(2, 21, 1))]
    )
    assert "SC002" not in _codes(timeline_of(after, version="1.28"))
    during = pod(
        containers=spec, statuses=[status("app", terminated(3, 40)), status("agent", terminated(2, 21, 1))]
    )
    assert "SC002" in _codes(timeline_of(during, version="1.28"))


def test_sc003_needs_a_pod_meant_to_finish_and_still_running():
    spec = [container("report"), container("fluent-bit")]
    statuses = [status("report", terminated(3, 47)), status("fluent-bit", running(3))]
    assert _codes(timeline_of(pod(containers=spec, statuses=statuses, job="daily"), version="1.30")) == [
        "SC003"
    ]
    # a bare pod with restartPolicy Never runs to completion too (issue 13); one with Always never ends
    assert _codes(timeline_of(pod(containers=spec, statuses=statuses), version="1.30")) == ["SC003"]
    always = pod(containers=spec, statuses=statuses, restart_policy="Always")
    assert _codes(timeline_of(always, version="1.30")) == []
    deleting = pod(containers=spec, statuses=statuses, job="daily", deletion=50)
    assert _codes(timeline_of(deleting, version="1.30")) == []


def test_sc003_waits_for_a_platform_that_honours_the_marker():
    spec = [container("report"), container("agent", env=ACS)]
    statuses = [status("report", terminated(3, 47)), status("agent", running(3))]
    p = pod(containers=spec, statuses=statuses, job="daily", node="virtual-kubelet-cn-shenzhen-f")
    tl = timeline_of(p, version="1.28")
    assert _codes(tl, now=at(60)) == []  # ACS stops it after the app: give it time
    (finding,) = check_timeline(tl, CheckContext(now=at(47 + 600)))
    assert finding.code == "SC003" and "should have stopped it" in finding.evidence[1]


def test_sc003_a_sidecar_that_exited_is_not_an_app_that_exited():
    """Found by the e2e tier (stale-legacy-sidecar): a legacy sidecar crashed (its status stuck at
    terminated) while the app still works. The app is not "outliving the apps": no SC003."""
    spec = [container("app"), container("sidecar", env=ACS)]
    statuses = [status("app", running(3)), status("sidecar", terminated(22, 40, 1), restarts=1)]
    p = pod(containers=spec, statuses=statuses, job="stale")
    for version in ("1.28", "1.34"):
        assert "SC003" not in _codes(timeline_of(p, version=version), now=at(40 + 3600))
    # the unmarked helper next to it still blocks once the app has exited
    spec.append(container("fluent-bit"))
    statuses = [
        status("app", terminated(3, 30)),
        status("sidecar", terminated(22, 40, 1), restarts=1),
        status("fluent-bit", running(3)),
    ]
    p = pod(containers=spec, statuses=statuses, job="stale")
    (finding,) = [
        f
        for f in check_timeline(timeline_of(p, version="1.34"), CheckContext(now=at(3600)))
        if f.code == "SC003"
    ]
    assert finding.container == "fluent-bit" and finding.message.split(": ", 1)[1].startswith("app exited")


def test_sc004_restart_count_on_a_never_pod_with_a_terminated_state():
    spec = [container("app"), container("agent", env=ACS)]
    p = pod(
        containers=spec,
        node="virtual-kubelet-cn-shenzhen-f",
        statuses=[status("app", running(3)), status("agent", terminated(2, 30, 1), restarts=2)],
    )
    findings = check_timeline(timeline_of(p, version="1.30"), CheckContext())
    stale = next(f for f in findings if f.code == "SC004")
    assert "restartCount 2 in a pod with restartPolicy Never" in " ".join(stale.evidence)
    assert "running or restarting" in stale.message


def test_sc006_128_working_alongside_apps_is_fine_but_stuck_is_not():
    init = [container("proxy", **NATIVE_KW)]
    works = pod(
        containers=[container("app")],
        init_containers=init,
        init_statuses=[status("proxy", running(2))],
        statuses=[status("app", running(3))],
    )
    assert _codes(timeline_of(works, version="1.28")) == []
    stuck = pod(
        containers=[container("app")],
        init_containers=init,
        conditions=[("Initialized", "False", 0, None)],
        init_statuses=[status("proxy", running(2))],
        statuses=[status("app", waiting("PodInitializing"))],
    )
    assert _codes(timeline_of(stuck, version="1.28")) == ["SC006"]
    assert _codes(timeline_of(stuck, version="1.29")) == []


def test_sc006_plain_init_container_running_long_on_129():
    p = pod(
        containers=[container("app")],
        init_containers=[container("setup")],
        conditions=[("Initialized", "False", 0, None)],
        init_statuses=[status("setup", running(2))],
        statuses=[status("app", waiting("PodInitializing"))],
    )
    tl = timeline_of(p, version="1.30")
    assert _codes(tl, now=at(60)) == []  # a slow init container is not a finding
    (finding,) = check_timeline(tl, CheckContext(now=at(2 + 600)))
    assert finding.code == "SC006" and "no restartPolicy: Always" in finding.message
    assert "restartPolicy: Always" in finding.fix_yaml


def test_sc010_blames_only_the_native_sidecar_that_used_up_the_grace_period():
    init = [container("first", **NATIVE_KW), container("second", **NATIVE_KW)]
    p = pod(
        containers=[container("app")],
        init_containers=init,
        phase="Succeeded",
        init_statuses=[status("first", terminated(1, 43, 137)), status("second", terminated(2, 43, 137))],
        statuses=[status("app", terminated(3, 13))],
    )
    events = [event("Killing", container=c, section="initContainers", at=13) for c in ("first", "second")]
    (finding,) = check_timeline(timeline_of(p, events, version="1.30"), CheckContext())
    assert (finding.code, finding.container) == ("SC010", "second")
    assert any("first was killed at the same time" in e for e in finding.evidence)


def test_sc010_not_for_oomkilled_or_a_quick_kill():
    init = [container("s", **NATIVE_KW)]
    oom = pod(
        containers=[container("app")],
        init_containers=init,
        phase="Succeeded",
        init_statuses=[status("s", terminated(1, 43, 137, reason="OOMKilled"))],
        statuses=[status("app", terminated(3, 13))],
    )
    assert (
        _codes(
            timeline_of(
                oom, [event("Killing", container="s", section="initContainers", at=13)], version="1.30"
            )
        )
        == []
    )
    quick = pod(
        containers=[container("app")],
        init_containers=init,
        phase="Succeeded",
        init_statuses=[status("s", terminated(1, 15, 137))],
        statuses=[status("app", terminated(3, 13))],
    )
    assert (
        _codes(
            timeline_of(
                quick, [event("Killing", container="s", section="initContainers", at=13)], version="1.30"
            )
        )
        == []
    )


def test_sc012_not_for_a_native_sidecar():
    p = pod(
        containers=[container("app")],
        init_containers=[container("s", **NATIVE_KW)],
        phase="Failed",
        job="backup",
        init_statuses=[status("s", terminated(1, 15, 143))],
        statuses=[status("app", terminated(3, 13, 0))],
    )
    assert "SC012" not in _codes(timeline_of(p, version="1.30"))


def test_checks_tolerate_a_pod_with_no_status_at_all():
    p = pod(containers=[container("app"), container("agent", env=ACS)])
    del p["status"]
    assert _codes(timeline_of(p)) == ["SC005"]


# ------------------------------------------------------------------------------------------ selectors and targets


@pytest.mark.parametrize(
    "text, labels, matches",
    [
        ("app=web", {"app": "web"}, True),
        ("app==web", {"app": "api"}, False),
        ("app!=web", {}, True),
        ("app in (web, api),tier", {"app": "api", "tier": "x"}, True),
        ("app notin (web)", {"app": "web"}, False),
        ("!canary", {"canary": "1"}, False),
        ("batch.kubernetes.io/job-name=daily", {"batch.kubernetes.io/job-name": "daily"}, True),
        ("app=", {"app": ""}, True),
    ],
)
def test_label_selector(text, labels, matches):
    requirements = parse_label_selector(text)
    assert all(r.matches(labels) for r in requirements) is matches


@pytest.mark.parametrize("text", ["", "a b", "in (x)", "a in x", "a=(b)", "=b"])
def test_bad_label_selector_is_a_usage_error(text):
    with pytest.raises(UsageError):
        parse_label_selector(text)


def test_job_selector_reads_match_labels_and_expressions():
    j = {
        "spec": {
            "selector": {
                "matchLabels": {"a": "1"},
                "matchExpressions": [
                    {"key": "b", "operator": "In", "values": ["x", "y"]},
                    {"key": "c", "operator": "Bogus"},
                ],
            }
        }
    }
    assert job_selector(j) == [Requirement("a", "In", ("1",)), Requirement("b", "In", ("x", "y"))]
    assert job_selector({"spec": {}}) is None


def test_select_finds_job_pods_by_selector_and_orphans_by_owner():
    j = job("daily", uid="uid-1")
    mine = pod(name="daily-a", job="daily")
    mine["metadata"]["labels"]["batch.kubernetes.io/controller-uid"] = "uid-1"
    other = pod(name="web-1", uid="u2")
    snapshot = Snapshot(pods=[other, mine], jobs=[j])
    everything = select(snapshot, Target(KIND_ALL))
    assert [
        (job_obj["metadata"]["name"], [p["metadata"]["name"] for p in pods])
        for job_obj, pods in everything.jobs
    ] == [("daily", ["daily-a"])]
    assert [p["metadata"]["name"] for p in everything.pods] == ["web-1"]
    assert select(snapshot, Target(KIND_JOB, "daily")).pod_count() == 1
    assert select(snapshot, Target(KIND_POD, "web-1")).pods == [other]
    assert select(snapshot, Target(KIND_SELECTOR, selector="job-name=daily")).pods == [mine]
    with pytest.raises(NotFoundError):
        select(snapshot, Target(KIND_JOB, "nope"))
    with pytest.raises(NotFoundError):
        select(snapshot, Target(KIND_JOB, "daily", namespace="other"))


def test_a_pod_left_by_a_deleted_job_is_not_the_pod_of_a_new_job_of_the_same_name():
    """Found by the e2e tier: Job "daily" was deleted (its pod stays when no garbage collector removes
    it) and created again. The old pod's owner uid is the deleted Job's: it is not the new Job's pod,
    so the namespace check must still check it (it was dropped), and its timeline must not show the
    new Job's start and completion."""
    new = job("daily", uid="uid-new", start=600, completion=620)
    left = pod(name="daily-old", job="daily")  # ownerReference uid 0b7c2d4e-job: the deleted Job
    current = pod(name="daily-new", uid="u-new", job="daily")
    current["metadata"]["ownerReferences"][0]["uid"] = "uid-new"
    current["metadata"]["labels"]["batch.kubernetes.io/controller-uid"] = "uid-new"
    snapshot = Snapshot(pods=[left, current], jobs=[new])
    everything = select(snapshot, Target(KIND_ALL))
    assert [[p["metadata"]["name"] for p in pods] for _job, pods in everything.jobs] == [["daily-new"]]
    assert [p["metadata"]["name"] for p in everything.pods] == ["daily-old"]
    assert snapshot.job_for(left) is None and snapshot.job_for(current) is new
    # without uids to compare (hand-written files), the name still links them
    del left["metadata"]["ownerReferences"][0]["uid"]
    assert snapshot.job_for(left) is new


def test_select_notes_a_job_without_pods_and_an_empty_namespace():
    snapshot = Snapshot(jobs=[job("lonely", uid="uid-9")])
    selection = select(snapshot, Target(KIND_JOB, "lonely"))
    assert selection.pod_count() == 0 and "has no pods" in selection.notes[0]
    assert "no Jobs and no pods" in select(Snapshot(), Target(KIND_ALL, namespace="x")).notes[0]


# ------------------------------------------------------------------------------------------ report


@pytest.mark.parametrize(
    "status_obj, spec, state",
    [
        ({"conditions": [{"type": "Complete", "status": "True"}]}, {}, "Complete"),
        ({"conditions": [{"type": "Failed", "status": "True"}]}, {}, "Failed"),
        ({"conditions": [{"type": "FailureTarget", "status": "True"}]}, {}, "Failing"),
        ({}, {"suspend": True}, "Suspended"),
        ({"active": 1}, {}, "Running"),
        ({}, {}, "Pending"),
    ],
)
def test_job_state(status_obj, spec, state):
    assert job_state({"status": status_obj, "spec": spec}) == state


@pytest.mark.parametrize(
    "fail_on, severities, exit_code",
    [
        ("error", [], 0),
        ("error", [INFO, WARNING], 0),
        ("error", [ERROR], 1),
        ("warning", [WARNING], 1),
        ("warning", [INFO], 0),
        ("info", [INFO], 1),
    ],
)
def test_exit_code_follows_fail_on(fail_on, severities, exit_code):
    code_of = {INFO: "SC005", WARNING: "SC002", ERROR: "SC003"}
    tl = timeline_of(pod(containers=[container("app")], statuses=[status("app", running(3))]))
    findings = tuple(make_finding(code_of[s], tl, "app", "m", evidence=("e",), fix="f") for s in severities)
    report = CheckReport(target=Target(KIND_ALL), pods=(PodResult(tl, findings),), fail_on=fail_on)
    assert report.exit_code() == exit_code
    assert document.report_summary(report)["failed"] is bool(exit_code)


def test_severities_order_and_every_code_has_one():
    assert severity_rank(INFO) < severity_rank(WARNING) < severity_rank(ERROR)
    assert all(c.severity in (INFO, WARNING, ERROR) for c in CODES.values())
    assert [c for c in CODES] == [f"SC{n:03d}" for n in range(1, len(CODES) + 1)]


class _NoClock(datetime):
    """A datetime whose clock cannot be read: a check that asks it for the time fails."""

    @classmethod
    def now(cls, tz=None):
        raise AssertionError("a check read the clock")

    @classmethod
    def utcnow(cls):
        raise AssertionError("a check read the clock")

    @classmethod
    def today(cls):
        raise AssertionError("a check read the clock")


def _check_modules():
    import importlib
    import pkgutil

    import kubectl_sidecar.checks as package

    yield package
    for info in pkgutil.iter_modules(package.__path__):
        yield importlib.import_module(f"{package.__name__}.{info.name}")


def test_now_is_never_read_from_the_clock(monkeypatch):
    """Checks are pure: with the clock unreadable they still run, and only ``context.now`` moves them."""
    patched = 0
    for module in _check_modules():
        if getattr(module, "datetime", None) is datetime:
            monkeypatch.setattr(module, "datetime", _NoClock)
            patched += 1
    assert patched, "no check module imports datetime: patch where the clock could be read"
    with pytest.raises(AssertionError, match="read the clock"):
        _NoClock.now(timezone.utc)
    p = pod(
        containers=[container("report"), container("load")],
        job="d",
        statuses=[status("report", terminated(3, 47)), status("load", running(3))],
    )
    tl = timeline_of(p, version="1.30")
    # Live readings: 13 s after the app's exit "load" may still be at work (info); years later it blocks
    # the pod (error).
    years_later = datetime(2030, 1, 1, tzinfo=timezone.utc)
    soon = [document.finding_to_dict(f) for f in check_timeline(tl, CheckContext(now=at(60)))]
    later = [document.finding_to_dict(f) for f in check_timeline(tl, CheckContext(now=years_later))]
    assert [(f["code"], f["severity"]) for f in soon] == [("SC003", "info")]
    assert [(f["code"], f["severity"]) for f in later] == [("SC003", "error")]


@pytest.mark.parametrize(
    "containers, now, severity, wording",
    [
        # nothing names "worker" a sidecar: right after the app exits it may be an app at work
        ([container("worker", image="example.com/tools/worker:1")], 47 + 60, INFO, "may not finish"),
        # ... and past queries.BLOCK_AFTER it is most likely an unmarked sidecar
        ([container("worker", image="example.com/tools/worker:1")], 47 + 400, ERROR, "cannot finish"),
        # the catalogue knows it (by image): certain at once
        ([container("proxy", image="docker.io/istio/proxyv2:1.22.0")], 47 + 60, ERROR, "cannot finish"),
        # a known sidecar beside an unrecognised container: the least certain decides
        (
            [
                container("proxy", image="docker.io/istio/proxyv2:1.22.0"),
                container("worker", image="example.com/tools/worker:1"),
            ],
            47 + 60,
            INFO,
            "may not finish",
        ),
    ],
    ids=["unrecognised-early", "unrecognised-overdue", "known", "known-and-unrecognised"],
)
def test_sc003_severity_rises_with_what_is_known(containers, now, severity, wording):
    """Issue 13: a regular container still running after every app ended is reported whether or not
    anything names it a sidecar; the severity rises with what is known (catalogue match, time)."""
    spec = [container("report"), *containers]
    statuses = [status("report", terminated(3, 47))] + [status(c["name"], running(3)) for c in containers]
    tl = timeline_of(pod(containers=spec, statuses=statuses, job="daily"), version="1.30")
    (finding,) = [f for f in check_timeline(tl, CheckContext(now=at(now))) if f.code == "SC003"]
    assert finding.severity == severity and wording in finding.message


def test_a_finding_is_never_more_severe_than_its_code():
    with pytest.raises(ValueError, match="more severe"):
        make_finding("SC007", None, None, "x", job="j", severity=ERROR)
