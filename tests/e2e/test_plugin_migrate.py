"""`migrate` against the real kube-apiserver: the seed's ACS Job, migrated by the plugin, is accepted as
a Job and as its pod, reads back with an init container of restartPolicy Always, and `check` and
`timeline` on it (statuses written as a 1.34 kubelet writes them) show the native sidecar."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import yaml

from . import cluster as c
from . import scenarios as sc

SEED_ACS = Path(__file__).resolve().parents[1] / "data" / "seed" / "acs-optimized-job.yaml"


def _s(base: _dt.datetime, seconds: float) -> _dt.datetime:
    return base + _dt.timedelta(seconds=seconds)


def test_the_migrated_seed_job_is_accepted_and_checked_as_native(admin_api, namespace, sidecar):
    migrated = sidecar.run("migrate", "-f", SEED_ACS, "-o", "yaml", "--cluster-version", "1.34", user=None)
    assert migrated.returncode == 0, migrated
    manifest = yaml.safe_load(migrated.stdout)
    manifest["metadata"]["name"] = "migrated"

    job = c.create_job(admin_api, namespace, manifest)
    back = admin_api.get(f"/apis/batch/v1/namespaces/{namespace}/jobs/migrated")
    spec = back["spec"]["template"]["spec"]
    assert [(i["name"], i.get("restartPolicy")) for i in spec["initContainers"]] == [("sidecar", "Always")]
    assert [x["name"] for x in spec["containers"]] == ["app"]
    assert "env" not in spec["initContainers"][0]

    node = sc.ensure_node(admin_api, "node-migrate")
    pod = c.create_job_pod(admin_api, job, "migrated-k8x2p", node)
    assert pod["spec"]["initContainers"][0]["restartPolicy"] == "Always"
    t = c.at("2024-10-29T04:00:00Z")
    side_start, app_start, app_end, side_end = _s(t, 2), _s(t, 3), _s(t, 13), _s(t, 44)
    c.replace_pod_status(
        admin_api,
        pod,
        {
            "phase": "Succeeded",
            "qosClass": "BestEffort",
            "startTime": c.ts(t),
            "conditions": [
                c.condition("Initialized", True, side_start, "PodCompleted"),
                c.condition("Ready", False, app_end, "PodCompleted"),
                c.condition("ContainersReady", False, app_end, "PodCompleted"),
                c.condition("PodScheduled", True, t),
            ],
            "initContainerStatuses": [c.terminated("sidecar", 137, side_start, side_end)],
            "containerStatuses": [c.terminated("app", 0, app_start, app_end)],
        },
    )

    timeline = sidecar.run("timeline", "migrated-k8x2p", "-n", namespace, "-o", "json")
    assert timeline.returncode == 0, timeline
    roles = {x["name"]: (x["section"], x["role"], x["sidecarKind"]) for x in timeline.json()["containers"]}
    assert roles == {"sidecar": ("initContainers", "sidecar", "native"), "app": ("containers", "app", None)}

    check = sidecar.run("check", "job/migrated", "-n", namespace, "-o", "json")
    assert check.returncode == 0, check
    codes = {(f["code"], f["container"]) for f in check.json()["findings"]}
    assert not {code for code, _ in codes} & {"SC003", "SC004", "SC005", "SC009"}  # nothing legacy is left
