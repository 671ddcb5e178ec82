"""Listed pods cut down to the fields the package reads (``model.slim``) change nothing.

Every demo scenario, every ``-f`` file of the corpus and of tests/data, and the benchmark's synthetic
Jobs are checked with their pods whole and slimmed: the report in every format, and every pod's whole
timeline document, must be identical. Values planted in the fields the slimmer drops must change nothing
either, and every field any reader touches while checking must be one the slimmer keeps, so a new read
of a dropped field fails here rather than silently reading nothing from a live cluster.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path

import pytest

from kubectl_sidecar import app, demo, files
from kubectl_sidecar.errors import NotFoundError, SidecarError
from kubectl_sidecar.kube import checkreads
from kubectl_sidecar.model import slim as slim_module
from kubectl_sidecar.model.slim import KEEP, POD_FIELDS, PodSlimmer, slim_pod
from kubectl_sidecar.model.vocab import SECTIONS, STATUS_KEYS
from kubectl_sidecar.options import CHECK_FORMATS
from kubectl_sidecar.raw import meta
from kubectl_sidecar.render.document import pod_result_to_dict
from kubectl_sidecar.select import KIND_ALL, Target
from kubectl_sidecar.snapshot import Snapshot

ROOT = Path(__file__).resolve().parents[2]
SENTINEL = "SENTINEL-7f3a"  # planted in dropped fields: it must never reach any output

_spec = importlib.util.spec_from_file_location("bench_synth_slim", ROOT / "bench" / "synth.py")
assert _spec is not None and _spec.loader is not None
synth = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(synth)


def _from_files(path: Path):
    return lambda: files.load_snapshot([str(path)])


def _synth_job() -> Snapshot:
    objects = synth.objects(60)  # every kind of pod: sidecar restarts, app failed, still running
    snapshot = Snapshot()
    snapshot.add_objects([objects["job"], *objects["pods"], *objects["events"], *objects["nodes"]])
    return snapshot


def _synth_namespaces() -> Snapshot:
    objects = synth.objects_namespaces(3, 20)
    snapshot = Snapshot()
    snapshot.add_objects(objects["jobs"] + objects["pods"] + objects["events"] + objects["nodes"])
    return snapshot


def _sources() -> list:
    found = [pytest.param(lambda s=s: demo.load_snapshot(s), id=f"demo-{s.name}") for s in demo.load_index()]
    paths = sorted((ROOT / "tests" / "corpus" / "files").iterdir()) + sorted(
        (ROOT / "tests" / "data").glob("*/*.yaml")
    )
    for path in paths:
        try:
            snapshot = files.load_snapshot([str(path)])
        except SidecarError:
            continue  # a file -f refuses: no pods to slim
        if snapshot.pods:
            found.append(pytest.param(_from_files(path), id=f"{path.parent.name}-{path.name}"))
    found.append(pytest.param(_synth_job, id="synth-job-60"))
    found.append(pytest.param(_synth_namespaces, id="synth-3-namespaces"))
    return found


SOURCES = _sources()


def outputs(snapshot: Snapshot) -> dict:
    """Everything ``check`` can print for every Job and pod of the snapshot, and every pod's timeline."""
    found: dict = {}
    for output in CHECK_FORMATS:
        snapshot._lookups = None
        snapshot._job_infos.clear()
        try:
            report = app.check_snapshot(snapshot, Target(kind=KIND_ALL), keep_timelines=output == "html")
            found[output] = app.render_check(report, output)
        except SidecarError as err:
            found[output] = f"error: {err}"
    for index, pod in enumerate(snapshot.pods):
        try:
            found[f"timeline {index}"] = json.dumps(pod_result_to_dict(app.timeline_for_pod(snapshot, pod)))
        except SidecarError as err:
            found[f"timeline {index}"] = f"error: {err}"
    return found


def with_pods(snapshot: Snapshot, change) -> Snapshot:
    """A copy of the snapshot whose pods are ``change(copy of pod)``."""
    return Snapshot(
        pods=[change(copy.deepcopy(p)) for p in snapshot.pods],
        events=list(snapshot.events),
        jobs=list(snapshot.jobs),
        nodes=list(snapshot.nodes),
        server_version=snapshot.server_version,
        events_state=snapshot.events_state,
        notes=list(snapshot.notes),
        source=snapshot.source,
    )


def _dicts(value) -> list:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def plant(pod):
    """The pod with :data:`SENTINEL` in fields the slimmer drops: those a pod as listed carries (volumes,
    mounts, resources, probes, security contexts, IPs, container ids, env valueFrom...)."""
    if not isinstance(pod, dict):
        return pod
    metadata, spec, status = pod.get("metadata"), pod.get("spec"), pod.get("status")
    pod["extra"] = SENTINEL
    if isinstance(metadata, dict):
        metadata.update(
            resourceVersion=SENTINEL, generateName=SENTINEL, managedFields=[{"manager": SENTINEL}]
        )
    if isinstance(spec, dict):
        spec.update(
            volumes=[{"name": SENTINEL, "emptyDir": {}}],
            affinity={"nodeAffinity": SENTINEL},
            securityContext={"runAsUser": SENTINEL},
            tolerations=[{"key": SENTINEL}],
            serviceAccountName=SENTINEL,
        )
        for section in SECTIONS:
            for container in _dicts(spec.get(section)):
                container.update(
                    volumeMounts=[{"name": SENTINEL, "mountPath": "/x"}],
                    resources={"limits": {"memory": SENTINEL}},
                    securityContext={"privileged": SENTINEL},
                    livenessProbe={"exec": {"command": [SENTINEL]}},
                    ports=[{"containerPort": SENTINEL}],
                )
                if isinstance(container.get("startupProbe"), dict):
                    container["startupProbe"]["exec"] = {"command": [SENTINEL]}
                for entry in _dicts(container.get("env")):
                    entry["valueFrom"] = {"secretKeyRef": {"name": SENTINEL}}
    if isinstance(status, dict):
        status.update(podIP=SENTINEL, podIPs=[{"ip": SENTINEL}], hostIP=SENTINEL, qosClass=SENTINEL)
        for condition in _dicts(status.get("conditions")):
            condition["lastProbeTime"] = SENTINEL
        for key in STATUS_KEYS.values():
            for entry in _dicts(status.get(key)):
                entry.update(containerID=SENTINEL, imageID=SENTINEL, image=SENTINEL)
                for state_key in ("state", "lastState"):
                    state = entry.get(state_key)
                    if isinstance(state, dict) and isinstance(state.get("terminated"), dict):
                        state["terminated"].update(containerID=SENTINEL, signal=SENTINEL)
                    if isinstance(state, dict) and isinstance(state.get("waiting"), dict):
                        state["waiting"]["message"] = SENTINEL
    return pod


@pytest.mark.parametrize("load", SOURCES)
def test_check_says_the_same_of_slim_pods(load):
    snapshot = load()
    whole = outputs(snapshot)
    planted = with_pods(snapshot, plant)
    slim = with_pods(planted, slim_pod)
    shared = with_pods(planted, PodSlimmer())
    assert outputs(planted) == whole  # what the slimmer drops is never read
    assert outputs(slim) == whole
    assert outputs(shared) == whole
    assert SENTINEL not in repr(slim.pods) and SENTINEL not in repr(shared.pods)
    assert SENTINEL not in repr(whole)


# ------------------------------------------------------------------------- every field read is one kept


class Recorded(dict):
    """A mapping that records the path of every key read of it (and of what it holds) in ``reads``."""

    def __init__(self, value: dict, path: tuple, reads: set):
        super().__init__(value)
        self._path, self._reads = path, reads

    def _child(self, key, value):
        return record(value, (*self._path, key), self._reads)

    def get(self, key, default=None):
        self._reads.add((*self._path, key))
        return self._child(key, super().__getitem__(key)) if super().__contains__(key) else default

    def __getitem__(self, key):
        self._reads.add((*self._path, key))
        return self._child(key, super().__getitem__(key))

    def __contains__(self, key):
        self._reads.add((*self._path, key))
        return super().__contains__(key)

    def __iter__(self):
        self._reads.add((*self._path, "*"))
        return super().__iter__()

    def keys(self):
        self._reads.add((*self._path, "*"))
        return super().keys()

    def values(self):
        self._reads.add((*self._path, "*"))
        return [self._child(k, v) for k, v in super().items()]

    def items(self):
        self._reads.add((*self._path, "*"))
        return [(k, self._child(k, v)) for k, v in super().items()]

    def _changed(self, *args, **kwargs):
        self._reads.add(("changed", *self._path))
        raise AssertionError(f"a reader changed the pod at {self._path}: pods share values once slimmed")

    __setitem__ = __delitem__ = setdefault = pop = popitem = update = clear = _changed


def record(value, path: tuple, reads: set):
    if isinstance(value, dict):
        return Recorded(value, path, reads)
    if isinstance(value, list):
        return [record(item, (*path, "[]"), reads) for item in value]
    return value


def kept(path: tuple) -> bool:
    """Whether :data:`POD_FIELDS` keeps what ``path`` reads (``[]`` an item of a list, ``*`` every key)."""
    rule = POD_FIELDS
    for step in path:
        if rule is KEEP:
            return True
        if isinstance(rule, list):
            if step != "[]":
                return False
            rule = rule[0]
        elif isinstance(rule, dict):
            if step not in rule:
                return False
            rule = rule[step]
        else:
            return False
    return True


def test_kept_reads_a_path_as_the_rules_say():
    assert kept(("metadata", "labels", "*")) and kept(
        ("metadata", "annotations", "k8s.aliyun.com/k8s-version")
    )
    assert kept(("spec", "initContainers", "[]", "env", "[]", "value"))
    assert kept(("spec", "initContainers", "[]", "startupProbe", "initialDelaySeconds"))
    assert not kept(("spec", "initContainers", "[]", "startupProbe", "exec"))
    assert not kept(("spec", "containers", "[]", "env", "[]", "valueFrom"))
    assert not kept(("spec", "containers", "[]", "env", "name")) and not kept(
        ("spec", "containers", "[]", "*")
    )
    assert (
        not kept(("spec", "volumes")) and not kept(("status", "*")) and not kept(("spec", "containers", "x"))
    )


def test_every_field_the_checks_read_is_kept():
    reads: set = set()
    for load in SOURCES:
        snapshot = load.values[0]()
        snapshot.pods = [record(pod, (), reads) for pod in snapshot.pods]
        outputs(snapshot)
    assert ("spec", "initContainers", "[]", "env", "[]", "value") in reads  # the recorder sees deep reads
    assert sorted(path for path in reads if not kept(path)) == []  # and nothing changed any pod


def test_the_fields_kept_are_these():
    """The allowlist, spelled out: a field added to it (or dropped from it) is a decision to review here."""

    def leaves(rule, path=()):
        if rule is KEEP:
            return [path]
        if isinstance(rule, list):
            return leaves(rule[0], (*path, "[]"))
        if isinstance(rule, dict):
            return [leaf for key, inner in rule.items() for leaf in leaves(inner, (*path, key))]
        raise AssertionError(f"a rule that is not KEEP, a dict or a list at {path}")

    container = [
        "name",
        "image",
        "restartPolicy",
        "startupProbe.initialDelaySeconds",
        "command",
        "args",
        "env[].name",
        "env[].value",
    ]
    state = [
        "running.startedAt",
        *(f"terminated.{k}" for k in ("exitCode", "reason", "message", "startedAt", "finishedAt")),
        "waiting.reason",
    ]
    container_status = [
        "name",
        "ready",
        "started",
        "restartCount",
        *(f"state.{s}" for s in state),
        *(f"lastState.{s}" for s in state),
    ]
    expected = [
        "apiVersion",
        "kind",
        "metadata.name",
        "metadata.namespace",
        "metadata.uid",
        "metadata.creationTimestamp",
        "metadata.deletionTimestamp",
        "metadata.deletionGracePeriodSeconds",
        "metadata.labels",
        "metadata.annotations",
        "metadata.ownerReferences",
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.terminationGracePeriodSeconds",
        *(f"spec.{section}[].{field}" for section in SECTIONS for field in container),
        "status.phase",
        "status.reason",
        "status.message",
        "status.startTime",
        *(f"status.conditions[].{k}" for k in ("type", "status", "reason", "message", "lastTransitionTime")),
        *(f"status.{key}[].{field}" for key in STATUS_KEYS.values() for field in container_status),
    ]
    found = [".".join(leaf).replace(".[]", "[]") for leaf in leaves(POD_FIELDS)]
    assert found == expected


def test_slim_pod_keeps_env_names_and_values_not_value_from():
    pod = {
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                    "env": [
                        {"name": "__IS_SIDECAR__", "value": "true"},
                        {"name": "FROM_SECRET", "valueFrom": {"secretKeyRef": {"name": SENTINEL}}},
                        "not an entry",
                    ],
                }
            ],
            "volumes": [{"name": "data", "emptyDir": {}}],
        }
    }
    env = [{"name": "__IS_SIDECAR__", "value": "true"}, {"name": "FROM_SECRET"}, "not an entry"]
    assert slim_pod(pod) == {"spec": {"containers": [{"name": "app", "env": env}]}}


@pytest.mark.parametrize(
    "pod",
    [
        None,
        [],
        "pod",
        {"metadata": "not a dict"},
        {"spec": {"containers": "x"}},
        {"status": {"conditions": [1, {}]}},
    ],
    ids=["none", "list", "string", "metadata-string", "containers-string", "conditions-mixed"],
)
def test_slim_pod_keeps_values_of_the_wrong_shape_as_they_are(pod):
    assert slim_pod(pod) == pod


# ---------------------------------------------------------------------------- the live read slims pods


class SnapshotReader:
    """A :class:`~kubectl_sidecar.kube.reads.Reader` serving a snapshot's objects (selectors ignored: the
    planner keeps the events of the pods it read)."""

    namespace = "default"
    source = "fake"
    described = "the fake API server"

    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot

    def get(self, path, target, query=None):
        if path == "/version":
            return {"gitVersion": "v1.29.3"}
        for node in self.snapshot.nodes:
            if path == f"/api/v1/nodes/{meta(node, 'name')}":
                return copy.deepcopy(node)
        raise NotFoundError("thing", path, None, "on the fake")

    def list(self, path, target, query=None, each=None):
        kinds = {
            "/api/v1/pods": self.snapshot.pods,
            "/api/v1/events": self.snapshot.events,
            "/apis/batch/v1/jobs": self.snapshot.jobs,
            "/api/v1/nodes": self.snapshot.nodes,
        }
        items = [copy.deepcopy(item) for item in kinds[path] if isinstance(item, dict)]
        if each is not None:
            items = [record for record in map(each, items) if record is not None]
        return items, "1"


def read_all(reader: SnapshotReader) -> Snapshot | str:
    try:
        return checkreads.read_check(reader, all_namespaces=True)
    except SidecarError as err:  # a listed pod the server could not have sent (no name): refused alike
        return f"error: {err}"


@pytest.mark.parametrize("load", SOURCES)
def test_a_live_check_reads_slim_pods_and_says_the_same(monkeypatch, load):
    reader = SnapshotReader(with_pods(load(), plant))
    slim = read_all(reader)
    monkeypatch.setattr(checkreads, "PodSlimmer", lambda: lambda pod: pod)
    whole = read_all(reader)
    if isinstance(slim, str) or isinstance(whole, str):
        assert slim == whole and slim.startswith("error: ")
        return
    assert SENTINEL in repr(whole.pods) and SENTINEL not in repr(slim.pods)
    assert outputs(slim) == outputs(whole)


def test_a_jobs_pods_share_what_they_have_alike():
    objects = synth.objects(60)
    slimmer = PodSlimmer()
    pods = [slimmer(copy.deepcopy(p)) for p in objects["pods"]]
    first, *others = pods
    for pod in others:
        assert pod["spec"]["containers"] is first["spec"]["containers"]
        assert pod["spec"]["initContainers"] is first["spec"]["initContainers"]
        assert pod["metadata"]["ownerReferences"] is first["metadata"]["ownerReferences"]
        assert pod["metadata"]["labels"] is first["metadata"]["labels"]
        assert pod["status"] is not first["status"] and pod["metadata"] is not first["metadata"]
    assert pods == [slim_pod(p) for p in objects["pods"]]


def test_values_that_differ_are_not_shared_and_what_is_remembered_is_bounded(monkeypatch):
    monkeypatch.setattr(slim_module, "MAX_SHARED", 3)
    slimmer = PodSlimmer()
    pods = [slimmer({"metadata": {"labels": {"i": str(i % 5)}}}) for i in range(10)]
    labels = [p["metadata"]["labels"] for p in pods]
    assert labels == [{"i": str(i % 5)} for i in range(10)]
    assert [labels[i] is labels[i + 5] for i in range(5)] == [True, True, True, False, False]
    fresh = PodSlimmer()
    one = [fresh({"metadata": {"labels": {"a": value}}})["metadata"]["labels"] for value in (1, 1.0, 1)]
    assert one[0] is one[2] and one[0] is not one[1]  # equal JSON text only: 1 and 1.0 are not
