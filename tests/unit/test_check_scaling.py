"""``check -A`` grows with the data, not with its square: the snapshot's lookups come from indexes built
once, and give the answers a scan of every object would. Operation counts, never timings (speed is
measured in bench/)."""

from __future__ import annotations

import random

import pytest

from kubectl_sidecar import app
from kubectl_sidecar import snapshot as snapshot_module
from kubectl_sidecar.model import parse_event
from kubectl_sidecar.raw import as_dict, as_str, meta
from kubectl_sidecar.select import KIND_ALL, Target
from kubectl_sidecar.snapshot import Snapshot, job_refs, pod_namespace, ref_names


def cluster(namespaces: int, pods: int) -> Snapshot:
    """``namespaces`` namespaces, each with Job "report" (its own uid) of ``pods`` pods, 2 events per pod,
    one event on the Job."""
    objects: list = []
    for n in range(namespaces):
        ns, uid = f"ns-{n}", f"job-{n}"
        objects.append(
            {
                "kind": "Job",
                "metadata": {"name": "report", "namespace": ns, "uid": uid},
                "spec": {"selector": {"matchLabels": {"controller-uid": uid}}},
            }
        )
        objects.append(event(ns, "Job", "report", uid, "SuccessfulCreate", 0))
        for p in range(pods):
            name = f"report-{p}"
            objects.append(
                {
                    "kind": "Pod",
                    "metadata": {
                        "name": name,
                        "namespace": ns,
                        "uid": f"{uid}-{p}",
                        "labels": {"controller-uid": uid},
                        "ownerReferences": [{"kind": "Job", "name": "report", "uid": uid}],
                    },
                    "spec": {"nodeName": "node-1", "containers": [{"name": "app"}]},
                    "status": {"phase": "Succeeded"},
                }
            )
            objects += [
                event(ns, "Pod", name, f"{uid}-{p}", reason, p) for reason in ("Scheduled", "Started")
            ]
    objects.append({"kind": "Node", "metadata": {"name": "node-1"}})
    snapshot = Snapshot()
    snapshot.add_objects(objects)
    return snapshot


def event(namespace: str, kind: str, name: str, uid: str | None, reason: str, second: int) -> dict:
    return {
        "kind": "Event",
        "metadata": {"name": f"{name}.{reason}", "namespace": namespace, "uid": f"{uid}-{reason}"},
        "involvedObject": {"kind": kind, "name": name, "namespace": namespace, "uid": uid},
        "reason": reason,
        "firstTimestamp": f"2025-01-01T00:00:{second % 60:02d}Z",
    }


@pytest.mark.parametrize("namespaces", [1, 4, 16])
def test_check_all_namespaces_parses_each_event_once_and_indexes_once(monkeypatch, namespaces):
    parsed: list = []
    built: list = []
    real_lookups = snapshot_module._Lookups

    def counting_parse(raw):
        parsed.append(raw)
        return parse_event(raw)

    def counting_lookups(snapshot):
        built.append(snapshot)
        return real_lookups(snapshot)

    monkeypatch.setattr(snapshot_module, "parse_event", counting_parse)
    monkeypatch.setattr(snapshot_module, "_Lookups", counting_lookups)
    snap = cluster(namespaces, 5)
    report = app.check_snapshot(snap, Target(kind=KIND_ALL))
    assert len(report.jobs) == namespaces and len(report.results()) == namespaces * 5
    assert len(parsed) == len(snap.events) == namespaces * 11  # 10 pod events and 1 Job event each
    assert len(built) == 1


def test_each_job_gets_its_own_events_and_pods_their_own_job():
    snap = cluster(3, 2)
    for job in snap.jobs:
        (own,) = snap.events_of_job(job)
        assert own.object_namespace == meta(job, "namespace") and own.object_uid == meta(job, "uid")
    for pod in snap.pods:
        assert meta(snap.job_for(pod), "namespace") == pod_namespace(pod)
        assert {e.object_uid for e in snap.events_for(pod)} == {meta(pod, "uid")}
        assert snap.node_for(pod) is snap.nodes[0]


def test_a_report_keeps_each_pods_summary_not_its_timeline():
    report = app.check_snapshot(cluster(1, 2), Target(kind=KIND_ALL))
    for result in report.results():
        assert result.timeline.pod.name.startswith("report-") and result.timeline.events_state == "listed"
        assert result.timeline.marks == [] and result.timeline.containers == []


# --------------------------------------------------------------------- the indexes answer as the scans did


def scanned_job_for(snapshot: Snapshot, pod: dict) -> dict | None:
    """``Snapshot.job_for`` as it was: every Job for every ownerReference."""
    for ref in job_refs(pod):
        for job in snapshot.jobs:
            if as_dict(job.get("metadata")).get("namespace", pod_namespace(pod)) != pod_namespace(pod):
                continue
            if ref_names(ref, job):
                return job
    return None


def scanned_events_of_job(snapshot: Snapshot, job: dict) -> list:
    """``Snapshot.events_of_job`` as it was: every event for every Job."""
    name, namespace, uid = meta(job, "name"), meta(job, "namespace"), meta(job, "uid")
    result = []
    for raw in snapshot.events:
        involved = as_dict(raw.get("involvedObject")) or as_dict(raw.get("regarding"))
        if as_str(involved.get("kind")) != "Job":
            continue
        found = parse_event(raw)
        if found is None or found.object_kind != "Job" or found.object_name != name:
            continue
        if namespace and found.object_namespace not in (namespace, None):
            continue
        if uid and found.object_uid and found.object_uid != uid:
            continue
        result.append(found)
    return sorted(result, key=lambda e: (e.first, e.last))


def scanned_node_for(snapshot: Snapshot, pod: dict) -> dict | None:
    node_name = as_str(as_dict(pod.get("spec")).get("nodeName"))
    for node in snapshot.nodes:
        if node_name and as_dict(node.get("metadata")).get("name") == node_name:
            return node
    return None


def tangled(seed: int) -> Snapshot:
    """Jobs and pods that share names across namespaces, with and without uids and namespaces (files
    written by hand), events about Jobs with and without namespaces and uids, nodes named twice."""
    rng = random.Random(seed)
    pick = rng.choice
    spaces = ["a", "b", None, "", 5]
    names = ["x", "y", None]
    uids = ["u1", "u2", "", None, 7]

    def metadata(**fields) -> dict:
        return {k: v for k, v in fields.items() if v != "-"}

    objects: list = []
    for _ in range(rng.randint(0, 6)):
        objects.append(
            {
                "kind": "Job",
                "metadata": metadata(name=pick(names), namespace=pick([*spaces, "-"]), uid=pick(uids)),
            }
        )
    for i in range(rng.randint(0, 6)):
        refs = [
            metadata(kind=pick(["Job", "Job", "ReplicaSet"]), name=pick([*names, 3]), uid=pick([*uids, "-"]))
            for _ in range(rng.randint(0, 2))
        ]
        objects.append(
            {
                "kind": "Pod",
                "metadata": metadata(name=f"p{i}", namespace=pick(spaces[:3]), ownerReferences=refs),
                "spec": {"nodeName": pick(["n1", "n2", ""])},
            }
        )
    for i in range(rng.randint(0, 8)):
        involved = metadata(
            kind=pick(["Job", "Pod"]), name=pick(names), namespace=pick([*spaces[:3], "-"]), uid=pick(uids)
        )
        objects.append(
            {
                "kind": "Event",
                "metadata": {"name": f"e{i}", "uid": f"e{i}"},
                "involvedObject": involved,
                "reason": "FailedCreate",
                "firstTimestamp": f"2025-01-01T00:00:0{rng.randint(0, 3)}Z",
            }
        )
    objects += [{"kind": "Node", "metadata": {"name": pick(["n1", "n2"]), "n": i}} for i in range(3)]
    snapshot = Snapshot()
    snapshot.add_objects(objects)
    return snapshot


@pytest.mark.parametrize("seed", range(300))
def test_indexed_lookups_answer_as_the_scans_did(seed):
    snap = tangled(seed)
    for pod in snap.pods:
        assert snap.job_for(pod) is scanned_job_for(snap, pod)
        assert snap.node_for(pod) is scanned_node_for(snap, pod)
    for job in snap.jobs:
        assert snap.events_of_job(job) == scanned_events_of_job(snap, job)
    for namespace in ("a", "b", None):
        expected = [p for p in snap.pods if namespace is None or pod_namespace(p) in (namespace, None)]
        assert snap.pods_in(namespace) == expected


def test_the_indexes_follow_lists_that_change():
    snap = cluster(1, 1)
    (pod,) = snap.pods
    assert len(snap.events_for(pod)) == 2
    snap.events = []
    assert snap.events_for(pod) == []
    newer = {"kind": "Job", "metadata": {"name": "report", "namespace": "ns-0", "uid": "job-0"}}
    snap.jobs = [newer]  # a new list: the Job is found in it
    assert snap.job_for(pod) is newer
