"""``check -A`` grows with the data, not with its square: the snapshot's lookups come from indexes built
once, and give the answers a scan of every object would. Operation counts, never timings (speed is
measured in bench/)."""

from __future__ import annotations

import random

import pytest

from kubectl_sidecar import app
from kubectl_sidecar import select as select_module
from kubectl_sidecar import snapshot as snapshot_module
from kubectl_sidecar.model import parse_event
from kubectl_sidecar.raw import as_dict, as_str, meta
from kubectl_sidecar.select import KIND_ALL, Target, job_selector, matches, pods_of_job, select
from kubectl_sidecar.snapshot import Snapshot, job_refs, owned_by, owner_job_ref, pod_namespace, ref_names


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


# ------------------------------------------------------------------ select: the Jobs' pods from the indexes


def scanned_pods_of_job(snapshot: Snapshot, job: dict) -> list:
    """``select.pods_of_job`` as it was: every pod of the snapshot for every Job."""
    namespace = select_module.job_namespace(job)
    requirements = job_selector(job)
    pods = []
    for pod in snapshot.pods:
        if namespace is not None and pod_namespace(pod) not in (namespace, None):
            continue
        if requirements is not None:
            if requirements and matches(pod, requirements):
                pods.append(pod)
        elif owned_by(pod, job):
            pods.append(pod)
    return sorted(pods, key=select_module._pod_sort_key)


def scanned_lone_pods(snapshot: Snapshot, namespace: str | None) -> list:
    """The pods ``check -A`` shows on their own, as it found them: every Job for every pod."""
    jobs = [j for j in snapshot.jobs if select_module._in_namespace(j, namespace)]
    claimed = {id(p) for job in jobs for p in scanned_pods_of_job(snapshot, job)}
    return [
        pod
        for pod in sorted(snapshot.pods, key=select_module._pod_sort_key)
        if id(pod) not in claimed
        and select_module._in_namespace(pod, namespace)
        and not (owner_job_ref(pod) is not None and any(owned_by(pod, j) for j in jobs))
    ]


def labelled_tangle(seed: int) -> Snapshot:
    """:func:`tangled`, with selectors on some Jobs (matchLabels, matchExpressions of each operator, empty
    ones) and labels on the pods (shared, absent, of the wrong type)."""
    rng = random.Random(seed)
    snap = tangled(seed)
    keys, values = ["app", "controller-uid", "tier"], ["a", "b", "1", 1, None, ["a"]]
    for pod in snap.pods:
        if rng.random() < 0.8:
            labels = {k: rng.choice(values) for k in rng.sample(keys, rng.randint(0, 3))}
            pod["metadata"]["labels"] = labels if rng.random() < 0.95 else ["not", "a", "dict"]
        pod["metadata"]["creationTimestamp"] = rng.choice(
            [None, "2025-01-01T00:00:00Z", "2025-01-01T00:00:01Z"]
        )
    for job in snap.jobs:
        shape = rng.random()
        if shape < 0.3:
            continue  # ownerReferences decide
        selector: dict = {}
        if shape < 0.8:
            selector["matchLabels"] = {
                k: rng.choice(["a", "b", "1"]) for k in rng.sample(keys, rng.randint(0, 2))
            }
        if shape > 0.5:
            selector["matchExpressions"] = [
                {
                    "key": rng.choice(keys),
                    "operator": rng.choice(["In", "NotIn", "Exists", "DoesNotExist", "Bogus"]),
                    "values": rng.sample(["a", "b", "1"], rng.randint(0, 3)),
                }
                for _ in range(rng.randint(0, 2))
            ]
        job["spec"] = {"selector": selector}
    snap.add_objects([])  # the lists changed in place
    return snap


@pytest.mark.parametrize("seed", range(300))
def test_the_jobs_pods_and_the_lone_pods_are_those_the_scans_found(seed):
    snap = labelled_tangle(seed)
    for job in snap.jobs:
        assert ids(pods_of_job(snap, job)) == ids(scanned_pods_of_job(snap, job))
    for namespace in ("a", "b", None):
        selection = select(snap, Target(kind=KIND_ALL, namespace=namespace))
        assert ids(selection.pods) == ids(scanned_lone_pods(snap, namespace))
        for job, pods in selection.jobs:
            assert ids(pods) == ids(scanned_pods_of_job(snap, job))


def ids(pods: list) -> list:
    return [id(p) for p in pods]


class CountingPod(dict):
    """A pod that counts every read of its top-level fields (``metadata``, ``spec``, ``status``)."""

    reads = 0

    def get(self, key, default=None):
        CountingPod.reads += 1
        return super().get(key, default)

    def __getitem__(self, key):
        CountingPod.reads += 1
        return super().__getitem__(key)


@pytest.mark.parametrize("shared_namespace", [False, True], ids=["a-namespace-each", "one-namespace"])
@pytest.mark.parametrize("with_selector", [True, False], ids=["selector", "owner-references"])
def test_selecting_many_jobs_reads_each_pod_a_fixed_number_of_times(
    monkeypatch, with_selector, shared_namespace
):
    """``check -A`` selects 4, 16 and 64 Jobs of 5 pods (each in its namespace, or all in one): the reads
    of pods per pod do not grow with the Jobs (a scan of every pod per Job read each pod once per Job),
    and each Job's selector is matched against its own pods alone."""
    matched: list = []
    real_matches = select_module.matches

    def counting_matches(obj, requirements):
        matched.append(obj)
        return real_matches(obj, requirements)

    monkeypatch.setattr(select_module, "matches", counting_matches)
    per_pod = {}
    for jobs in (4, 16, 64):
        snap = cluster(jobs, 5)
        for obj in snap.jobs + snap.pods:
            if shared_namespace:
                obj["metadata"]["namespace"] = "shared"
            if not with_selector:
                obj.pop("spec", None) if obj in snap.jobs else obj["metadata"].pop("labels")
        snap.pods = [CountingPod(pod) for pod in snap.pods]
        matched.clear()
        CountingPod.reads = 0
        selection = select(snap, Target(kind=KIND_ALL))
        assert [len(pods) for _job, pods in selection.jobs] == [5] * jobs and selection.pods == []
        assert len(matched) == (jobs * 5 if with_selector else 0)
        per_pod[jobs] = CountingPod.reads / len(snap.pods)
    assert per_pod[64] == per_pod[16] == per_pod[4] < 20, per_pod
