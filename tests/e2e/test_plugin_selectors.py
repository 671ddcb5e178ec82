"""Label selectors for a Job's pods and field selectors for events, parsed and applied by the real
apiserver (the stand-in's parser could be kinder than the real one)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from . import cluster as c
from . import scenarios as sc


def _t(base: datetime, s: float) -> datetime:
    return base + timedelta(seconds=s)


def _finish(api: c.Api, pod: dict, base: datetime) -> dict:
    """Write the kubelet's final status of a native-sidecar Job pod that ran from base+1 to base+13."""
    return c.replace_pod_status(
        api,
        pod,
        {
            "phase": "Succeeded",
            "startTime": c.ts(base),
            "conditions": [
                c.condition("PodScheduled", True, base),
                c.condition("Initialized", True, _t(base, 1)),
            ],
            "initContainerStatuses": [c.terminated("sidecar", 143, _t(base, 1), _t(base, 13))],
            "containerStatuses": [c.terminated("app", 0, _t(base, 2), _t(base, 12))],
        },
    )


def _names(doc: dict) -> list[str]:
    return sorted(p["name"] for p in doc["pods"])


@pytest.fixture(scope="module")
def recreated_job(admin_api) -> dict:
    """Job "nightly" ran once (pod a), was deleted (no garbage collector runs: its pod stays, as a
    pod left behind does) and created again under the same name (pod b). Both pods carry job-name=nightly;
    only b carries the new Job's controller-uid, which its spec.selector names."""
    ns = c.create_namespace(admin_api, "recreated")["metadata"]["name"]
    sc.ensure_node(admin_api, "node-a")
    base = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
    old = c.create_job(admin_api, ns, sc.native_job_manifest("nightly"))
    a = _finish(admin_api, c.create_job_pod(admin_api, old, "nightly-aaaaa", "node-a"), base)
    admin_api.request(
        "DELETE",
        f"/apis/batch/v1/namespaces/{ns}/jobs/nightly",
        {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"},
    )
    new = c.create_job(admin_api, ns, sc.native_job_manifest("nightly"))
    b = _finish(admin_api, c.create_job_pod(admin_api, new, "nightly-bbbbb", "node-a"), _t(base, 600))
    for pod, t in ((a, base), (b, _t(base, 600))):
        c.create_scheduler_event(admin_api, pod, t)
    new = sc._complete_job(admin_api, new, _t(base, 600), _t(base, 614))
    return {"ns": ns, "old": old, "new": new, "a": a, "b": b}


def test_job_pods_come_from_the_jobs_selector_not_its_name(recreated_job, sidecar):
    r = recreated_job
    old_uid, new_uid = r["old"]["metadata"]["uid"], r["new"]["metadata"]["uid"]
    assert old_uid != new_uid
    first = sidecar.run("check", "job/nightly", "-n", r["ns"], "-o", "json")
    # the pod selector the plugin sent is the Job's own (audit log)
    sent = [
        e["requestURI"]
        for e in sidecar.requests(first)
        if (e.get("objectRef") or {}).get("resource") == "pods"
    ]
    assert len(sent) == 1 and f"labelSelector=batch.kubernetes.io%2Fcontroller-uid%3D{new_uid}" in sent[0]
    runs = [first] + sidecar.run_all(
        [
            (("check", "-l", "job-name=nightly", "-n", r["ns"], "-o", "json"), {}),
            (
                ("check", "-l", f"batch.kubernetes.io/controller-uid={old_uid}", "-n", r["ns"], "-o", "json"),
                {},
            ),
            (
                (
                    "check",
                    "-l",
                    "batch.kubernetes.io/job-name in (nightly,weekly),app",
                    "-n",
                    r["ns"],
                    "-o",
                    "json",
                ),
                {},
            ),
            (("check", "-l", "app!=nightly", "-n", r["ns"], "-o", "json"), {}),
        ]
    )
    for run in runs:
        assert run.returncode == 0, run
    docs = [run.json() for run in runs]
    assert _names(docs[0]) == ["nightly-bbbbb"]  # through spec.selector: the new Job's pods only
    assert docs[0]["jobs"][0]["pods"] == ["nightly-bbbbb"]
    assert _names(docs[1]) == ["nightly-aaaaa", "nightly-bbbbb"]
    assert _names(docs[2]) == ["nightly-aaaaa"]
    assert _names(docs[3]) == ["nightly-aaaaa", "nightly-bbbbb"]
    assert _names(docs[4]) == [] and docs[4]["summary"]["pods"] == 0
    assert runs[4].notes == ["no pods match app!=nightly"]


def test_a_pod_of_a_deleted_job_is_not_given_the_new_job_of_the_same_name(recreated_job, sidecar):
    """Pod a's owner (uid of the deleted Job) is gone; the Job now named "nightly" is another one."""
    r = recreated_job
    run = sidecar.run("timeline", "nightly-aaaaa", "-n", r["ns"], "-o", "json")
    assert run.returncode == 0, run
    assert [m for m in run.json()["marks"] if m["source"] == "job"] == []
    # the namespace check checks it on its own (it used to be dropped: claimed by the new Job's name)
    run = sidecar.run("check", "-n", r["ns"], "-o", "json")
    doc = run.json()
    assert _names(doc) == ["nightly-aaaaa", "nightly-bbbbb"]
    assert [(j["name"], j["pods"]) for j in doc["jobs"]] == [("nightly", ["nightly-bbbbb"])]
    run = sidecar.run("timeline", "nightly-bbbbb", "-n", r["ns"], "-o", "json")
    marks = [(m["kind"], m["time"]) for m in run.json()["marks"] if m["source"] == "job"]
    assert marks == [
        ("job started", r["new"]["status"]["startTime"]),
        ("job completed", r["new"]["status"]["completionTime"]),
    ]


@pytest.fixture(scope="module")
def expression_job(admin_api) -> dict:
    """A Job with manualSelector and every matchExpressions operator, and pods with and without the
    labels (a Job's pods are whatever its selector matches)."""
    ns = c.create_namespace(admin_api, "expressions")["metadata"]["name"]
    sc.ensure_node(admin_api, "node-a")
    manifest = sc.native_job_manifest("etl")
    manifest["spec"]["manualSelector"] = True
    manifest["spec"]["selector"] = {
        "matchLabels": {"app": "etl"},
        "matchExpressions": [
            {"key": "track", "operator": "In", "values": ["a", "b"]},
            {"key": "canary", "operator": "DoesNotExist"},
            {"key": "tier", "operator": "Exists"},
            {"key": "zone", "operator": "NotIn", "values": ["x"]},
        ],
    }
    manifest["spec"]["template"]["metadata"]["labels"] = {"app": "etl", "track": "a", "tier": "batch"}
    job = c.create_job(admin_api, ns, manifest)
    labels = {
        "etl-match1": {"app": "etl", "track": "a", "tier": "batch"},
        "etl-match2": {"app": "etl", "track": "b", "tier": "x", "zone": "y"},
        "etl-zone-x": {"app": "etl", "track": "b", "tier": "batch", "zone": "x"},
        "etl-track-c": {"app": "etl", "track": "c", "tier": "batch"},
        "etl-canary": {"app": "etl", "track": "a", "tier": "batch", "canary": "1"},
        "etl-no-tier": {"app": "etl", "track": "a"},
    }
    base = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=30)
    for name, lab in labels.items():
        body = c.job_pod_manifest(job, name, "node-a")
        body["metadata"]["labels"] = lab
        _finish(admin_api, c.create_pod(admin_api, ns, body), base)
    return {"ns": ns, "job": job}


def test_match_expressions_of_a_jobs_selector(expression_job, sidecar):
    r = sidecar.run("check", "etl", "-n", expression_job["ns"], "-o", "json")
    assert r.returncode == 0, r
    assert _names(r.json()) == ["etl-match1", "etl-match2"]
    (sent,) = [
        e["requestURI"] for e in sidecar.requests(r) if (e.get("objectRef") or {}).get("resource") == "pods"
    ]
    assert "labelSelector=app%3Detl%2Ctrack+in+%28a%2Cb%29%2C%21canary%2Ctier%2Czone+notin+%28x%29" in sent


@pytest.mark.parametrize(
    "selector, expected",
    [
        ("track in (a,b),!canary", ["etl-match1", "etl-match2", "etl-no-tier", "etl-zone-x"]),
        ("zone notin (x),tier", ["etl-canary", "etl-match1", "etl-match2", "etl-track-c"]),
        ("zone", ["etl-match2", "etl-zone-x"]),
        ("tier=batch,track!=a", ["etl-track-c", "etl-zone-x"]),
        ("canary==1", ["etl-canary"]),
    ],
)
def test_set_based_label_selectors(expression_job, sidecar, selector, expected):
    r = sidecar.run("check", "-l", selector, "-n", expression_job["ns"], "-o", "json")
    assert r.returncode == 0, r
    assert _names(r.json()) == expected


def test_a_bad_selector_is_refused_before_any_request(expression_job, sidecar):
    r = sidecar.run("check", "-l", "track in a,b", "-n", expression_job["ns"])
    assert r.returncode == 2 and "selector" in r.stderr, r
    assert sidecar.requests(r, timeout=1) == []


@pytest.fixture(scope="module")
def reborn_pod(admin_api) -> dict:
    """Pod "web-0" was deleted and created again under the same name (as a StatefulSet does): the old
    pod's events (old uid) are still there. The new one also has an event without involvedObject.uid
    (older ACS virtual nodes wrote those), a Job-kind event of the same name and a pod "web-0x"."""
    ns = c.create_namespace(admin_api, "reborn")["metadata"]["name"]
    sc.ensure_node(admin_api, "node-a")
    base = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=20)
    spec = {
        "restartPolicy": "Always",
        "nodeName": "node-a",
        "initContainers": [{"name": "proxy", "image": c.IMAGE, "restartPolicy": "Always"}],
        "containers": [{"name": "web", "image": c.IMAGE}],
    }
    old = c.create_pod(admin_api, ns, {"metadata": {"name": "web-0"}, "spec": spec})
    for reason, fp in (("Started", "spec.initContainers{proxy}"), ("Started", "spec.containers{web}")):
        c.create_event(
            admin_api,
            old,
            reason,
            f"Started container {fp[fp.index('{') + 1 : -1]}",
            first=base,
            field_path=fp,
        )
    c.delete_pod(admin_api, old)
    new = c.create_pod(admin_api, ns, {"metadata": {"name": "web-0"}, "spec": spec})
    t = _t(base, 300)
    own = [c.create_scheduler_event(admin_api, new, t)]
    own.append(
        c.create_event(
            admin_api,
            new,
            "Started",
            "Started container proxy",
            first=_t(t, 1),
            field_path="spec.initContainers{proxy}",
        )
    )
    own.append(
        c.create_event(
            admin_api,
            new,
            "Started",
            "Started container web",
            first=_t(t, 2),
            field_path="spec.containers{web}",
        )
    )
    uidless = dict(new, metadata=dict(new["metadata"], uid=""))
    ev = c.create_event(
        admin_api,
        uidless,
        "Pulled",
        "Container image already present on machine",
        first=_t(t, 1),
        field_path="spec.containers{web}",
        host="virtual-kubelet-cn-shenzhen-f",
    )
    assert "uid" not in ev["involvedObject"] or not ev["involvedObject"]["uid"]
    own.append(ev)
    job_like = {
        "kind": "Job",
        "apiVersion": "batch/v1",
        "metadata": {"name": "web-0", "namespace": ns, "uid": ""},
    }
    c.create_event(
        admin_api, job_like, "SuccessfulCreate", "Created pod: web-0-xyz", first=t, component="job-controller"
    )
    other = c.create_pod(admin_api, ns, {"metadata": {"name": "web-0x"}, "spec": spec})
    c.create_event(
        admin_api, other, "Started", "Started container web", first=t, field_path="spec.containers{web}"
    )
    c.replace_pod_status(
        admin_api,
        new,
        {
            "phase": "Running",
            "startTime": c.ts(t),
            "conditions": [c.condition("PodScheduled", True, t)],
            "initContainerStatuses": [c.running("proxy", _t(t, 1))],
            "containerStatuses": [c.running("web", _t(t, 2))],
        },
    )
    return {"ns": ns, "pod": admin_api.get(f"/api/v1/namespaces/{ns}/pods/web-0"), "own": own}


def test_events_are_selected_by_name_and_told_apart_by_uid(reborn_pod, e2e_cluster, sidecar):
    """One list of the events of pods named web-0 (issue 16: one list, not two), then the old pod's
    dropped by uid in the client; the uid-less event (older ACS virtual nodes) is kept."""
    r = reborn_pod
    run = sidecar.run("timeline", "web-0", "-n", r["ns"], "-o", "json")
    assert run.returncode == 0, run
    doc = run.json()
    assert doc["events"] == {
        "state": "listed",
        "count": len(r["own"]),
    }  # 4: not the old pod's, web-0x's or the Job's
    assert any(m["reason"] == "Pulled" for m in doc["marks"])  # the uid-less one
    selectors = sorted(
        e["requestURI"].split("fieldSelector=")[1].split("&")[0]
        for e in sidecar.requests(run)
        if (e.get("objectRef") or {}).get("resource") == "events"
    )
    uid = r["pod"]["metadata"]["uid"]
    assert selectors == ["involvedObject.kind%3DPod%2CinvolvedObject.name%3Dweb-0"]
    # kubectl selects by uid (as describe does): it misses the uid-less event the plugin shows
    by_uid = json.loads(
        e2e_cluster.kubectl(
            "get", "events", "-n", r["ns"], "--field-selector", f"involvedObject.uid={uid}", "-o", "json"
        ).stdout
    )["items"]
    assert len(by_uid) == len(r["own"]) - 1
    # check reads the namespace's pod events in one list and matches them the same way
    chk = sidecar.run("check", "pod/web-0", "-n", r["ns"], "-o", "json")
    assert chk.returncode == 0 and chk.json()["pods"][0]["events"] == "listed", chk
