"""Write the check fixtures of this directory: real-looking `kubectl get job,pod,events,node -o yaml` output.

Each scenario is a List of a Job (or none), its pod(s), their events and the node, shaped like what the API
server returns: statuses in alphabetical order, kubelet events with whole-second times and counts,
scheduler events with microsecond eventTime, uids, ownerReferences and controller labels.

    python tests/data/checks/generate.py          # rewrite every fixture
    python tests/data/checks/generate.py --check  # exit 1 if a fixture differs from what this writes

tests/test_checks_fixtures.py runs the --check form, so the YAML and this file never drift apart.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # tests/: the one builders module

from builders import (  # noqa: E402
    ACS_ENV,
    VK_TOLERATION,
    World,
    pod_spec,
)
from builders import api_conditions as conditions  # noqa: E402
from builders import api_container as container  # noqa: E402
from builders import api_running as running  # noqa: E402
from builders import api_status as cstatus  # noqa: E402
from builders import api_terminated as terminated  # noqa: E402
from builders import api_waiting as waiting  # noqa: E402

# --------------------------------------------------------------------------------------------- scenarios


def sc001_mesh_proxy_late():
    w = World("sc001-mesh-proxy-late", "2025-05-20T09:00:00", "payments")
    node = "ip-10-0-4-21.ec2.internal"
    app = container("settle", "registry.example.com/payments/settle:3.4.0", args=["--batch=nightly"])
    proxy = container("istio-proxy", "docker.io/istio/proxyv2:1.22.3", args=["proxy", "sidecar"])
    spec = pod_spec([app, proxy], node=node)
    w.job("settle-batch", spec, status=w.job_status(active=1))
    pod = "settle-batch-q2w9r"
    w.pod(
        pod,
        spec,
        phase="Running",
        statuses=[
            cstatus(app, running(w.clock, 3), ready=True),
            cstatus(proxy, running(w.clock, 6), ready=True),
        ],
        conds=conditions(
            w.clock,
            PodReadyToStartContainers=(2,),
            Initialized=(0,),
            Ready=(8,),
            ContainersReady=(8,),
            PodScheduled=(0,),
        ),
    )
    w.scheduled(pod, node)
    w.lifecycle(pod, app, at=3)
    w.lifecycle(pod, proxy, at=6)
    w.event(
        pod,
        "Unhealthy",
        'Readiness probe failed: Get "http://10.0.3.18:15021/healthz/ready": dial tcp '
        "10.0.3.18:15021: connect: connection refused",
        container="istio-proxy",
        at=7,
        typ="Warning",
    )
    w.node(node, "v1.29.8-eks-a737599")
    return w.document("SC001: an Istio proxy injected as a regular container started 3s after the app")


def sc001_native_probe_early():
    w = World("sc001-native-probe-early", "2025-05-21T10:00:00", "web")
    node = "virtual-kubelet-cn-hangzhou-i"
    proxy = container(
        "envoy", "docker.io/envoyproxy/envoy:v1.31.2", restart_policy="Always", startup_probe=10
    )
    app = container("api", "registry.example.com/web/api:5.2.1")
    spec = pod_spec([app], [proxy], node=node, restart_policy="Always", tolerations=VK_TOLERATION)
    pod = "api-7c9d8f6b5-x2v4k"
    w.pod(
        pod,
        spec,
        phase="Running",
        init_statuses=[cstatus(proxy, running(w.clock, 2), ready=True, started=True)],
        statuses=[cstatus(app, running(w.clock, 4), ready=True)],
        conds=conditions(w.clock, Initialized=(4,), Ready=(13,), ContainersReady=(13,), PodScheduled=(0,)),
        annotations={"k8s.aliyun.com/eci-instance-id": "eci-bp1a2b3c4d5e6f7g8h9i"},
    )
    w.scheduled(pod, node)
    w.lifecycle(pod, proxy, "initContainers", at=2, host=node)
    w.lifecycle(pod, app, at=4, host=node)
    w.node(node, "v1.30.1-aliyun.1", virtual=True)
    return w.document("SC001: the app started 2s after a native sidecar whose startupProbe waits 10s")


def sc001_native_probe_waited():
    w = World("sc001-native-probe-waited", "2025-05-21T11:00:00", "web")
    node = "cn-hangzhou.10.0.1.40"
    proxy = container("envoy", "docker.io/envoyproxy/envoy:v1.31.2", restart_policy="Always", startup_probe=5)
    app = container("api", "registry.example.com/web/api:5.2.1")
    spec = pod_spec([app], [proxy], node=node, restart_policy="Always")
    pod = "api-7c9d8f6b5-m8n2p"
    w.pod(
        pod,
        spec,
        phase="Running",
        init_statuses=[cstatus(proxy, running(w.clock, 2), ready=True, started=True)],
        statuses=[cstatus(app, running(w.clock, 8), ready=True)],
        conds=conditions(w.clock, Initialized=(8,), Ready=(9,), ContainersReady=(9,), PodScheduled=(0,)),
    )
    w.scheduled(pod, node)
    w.lifecycle(pod, proxy, "initContainers", at=2, host=node)
    w.lifecycle(pod, app, at=8, host=node)
    w.node(node, "v1.31.1-aliyun.1")
    return w.document("no SC001: the kubelet waited for the native sidecar's startupProbe (5s delay)")


def sc002_sidecar_oomkilled():
    w = World("sc002-sidecar-oomkilled", "2025-07-01T02:00:00", "etl")
    node = "cn-beijing.10.2.0.14"
    shipper = container(
        "log-shipper",
        "docker.io/timberio/vector:0.41.1-distroless-libc",
        restart_policy="Always",
        memory="64Mi",
    )
    app = container("transform", "registry.example.com/etl/transform:1.9.0")
    spec = pod_spec([app], [shipper], node=node)
    w.job("transform-hourly", spec, status=w.job_status(active=1))
    pod = "transform-hourly-29180520-7zq4d"
    w.pod(
        pod,
        spec,
        phase="Running",
        init_statuses=[
            cstatus(
                shipper,
                running(w.clock, 95),
                restarts=1,
                ready=True,
                started=True,
                last=terminated(w.clock, 2, 84, 137, "OOMKilled"),
            )
        ],
        statuses=[cstatus(app, running(w.clock, 3), ready=True)],
        conds=conditions(
            w.clock,
            PodReadyToStartContainers=(2,),
            Initialized=(3,),
            Ready=(96,),
            ContainersReady=(96,),
            PodScheduled=(0,),
        ),
    )
    w.scheduled(pod, node)
    w.event(
        pod,
        "Pulled",
        f'Container image "{shipper["image"]}" already present on machine',
        container="log-shipper",
        section="initContainers",
        at=2,
        last=95,
        count=2,
    )
    w.event(
        pod,
        "Created",
        "Created container: log-shipper",
        container="log-shipper",
        section="initContainers",
        at=2,
        last=95,
        count=2,
    )
    w.event(
        pod,
        "Started",
        "Started container log-shipper",
        container="log-shipper",
        section="initContainers",
        at=2,
        last=95,
        count=2,
    )
    w.lifecycle(pod, app, at=3)
    w.node(node, "v1.30.7-aliyun.1")
    return w.document("SC002: a native log shipper was OOMKilled while the app ran (restarted 11s later)")


def sc002_pod_deleted():
    w = World("sc002-pod-deleted", "2025-07-02T02:00:00", "etl")
    node = "cn-beijing.10.2.0.15"
    shipper = container(
        "log-shipper", "docker.io/timberio/vector:0.41.1-distroless-libc", restart_policy="Always"
    )
    app = container("transform", "registry.example.com/etl/transform:1.9.0")
    spec = pod_spec([app], [shipper], node=node)
    pod = "transform-manual-5d4c"
    w.pod(
        pod,
        spec,
        phase="Running",
        deletion=60,
        init_statuses=[cstatus(shipper, terminated(w.clock, 2, 61, 0), started=False)],
        statuses=[cstatus(app, running(w.clock, 3), ready=True)],
        conds=conditions(
            w.clock, Initialized=(3,), Ready=(61, "False", "ContainersNotReady"), PodScheduled=(0,)
        ),
    )
    w.scheduled(pod, node)
    w.lifecycle(pod, shipper, "initContainers", at=2)
    w.lifecycle(pod, app, at=3)
    w.event(pod, "Killing", "Stopping container transform", container="transform", at=60)
    w.event(
        pod,
        "Killing",
        "Stopping container log-shipper",
        container="log-shipper",
        section="initContainers",
        at=60,
    )
    w.node(node, "v1.30.7-aliyun.1")
    return w.document("no SC002: the sidecar stopped while the app still ran, but the pod was being deleted")


def sc003_unhonoured_marker():
    w = World("sc003-unhonoured-marker", "2025-08-11T04:00:00", "batch")
    node = "ip-10-1-7-9.ec2.internal"
    app = container("import", "registry.example.com/batch/import:7.0.2")
    agent = container("log-agent", "docker.io/fluent/fluent-bit:3.1.9", env=ACS_ENV)
    spec = pod_spec([app, agent], node=node)
    w.job("import-daily", spec, status=w.job_status(active=1), deadline=3600)
    pod = "import-daily-29241600-tk7wz"
    w.pod(
        pod,
        spec,
        phase="Running",
        statuses=[
            cstatus(app, terminated(w.clock, 4, 130, 0)),
            cstatus(agent, running(w.clock, 4), ready=True),
        ],
        conds=conditions(
            w.clock,
            PodReadyToStartContainers=(3,),
            Initialized=(0,),
            Ready=(131, "False", "ContainersNotReady"),
            ContainersReady=(131, "False", "ContainersNotReady"),
            PodScheduled=(0,),
        ),
    )
    w.scheduled(pod, node)
    w.lifecycle(pod, app, at=4)
    w.lifecycle(pod, agent, at=4)
    w.node(node, "v1.28.13-eks-a737599")
    return w.document(
        "SC003: __IS_SIDECAR__ on an EKS cluster, where nothing acts on it: the Job cannot finish"
    )


def sc003_deadline_exceeded():
    w = World("sc003-deadline-exceeded", "2025-08-12T04:00:00", "batch")
    node = "gke-pool-1-a8f3c2d1-x9z2"
    app = container("migrate", "registry.example.com/batch/migrate:2.3.0")
    proxy = container("istio-proxy", "docker.io/istio/proxyv2:1.22.3", args=["proxy", "sidecar"])
    spec = pod_spec([app, proxy], node=node)
    w.job(
        "db-migrate",
        spec,
        status=w.job_status(
            failed=1,
            failed_at=600,
            failed_reason="DeadlineExceeded",
            failed_message="Job was active longer than specified deadline",
        ),
        deadline=600,
        backoff=0,
    )
    pod = "db-migrate-8w2kd"
    w.pod(
        pod,
        spec,
        phase="Failed",
        deletion=600,
        statuses=[
            cstatus(app, terminated(w.clock, 5, 48, 0)),
            cstatus(proxy, terminated(w.clock, 4, 601, 0)),
        ],
        conds=conditions(
            w.clock,
            Initialized=(0,),
            Ready=(601, "False", "PodFailed"),
            DisruptionTarget=(600, "True", "DeletionByJobController"),
            PodScheduled=(0,),
        ),
    )
    w.scheduled(pod, node)
    w.lifecycle(pod, proxy, at=4)
    w.lifecycle(pod, app, at=5)
    w.event(pod, "Killing", "Stopping container istio-proxy", container="istio-proxy", at=600)
    w.event(
        "db-migrate",
        "DeadlineExceeded",
        "Job was active longer than specified deadline",
        kind="Job",
        at=600,
        typ="Warning",
    )
    w.node(node, "v1.30.5-gke.1014001")
    return w.document("SC003 afterwards: the Job hit activeDeadlineSeconds 9 minutes after its app exited 0")


def sc003_worker_still_busy():
    w = World("sc003-worker-still-busy", "2025-08-13T04:00:00", "batch")
    node = "ip-10-1-7-10.ec2.internal"
    extract = container("extract", "registry.example.com/batch/extract:1.0.0")
    load = container("load", "registry.example.com/batch/load:1.0.0")
    spec = pod_spec([extract, load], node=node)
    w.job("etl-pair", spec, status=w.job_status(active=1))
    pod = "etl-pair-6hj2m"
    w.pod(
        pod,
        spec,
        phase="Running",
        statuses=[
            cstatus(extract, terminated(w.clock, 3, 40, 0)),
            cstatus(load, running(w.clock, 3), ready=True),
        ],
        conds=conditions(
            w.clock, Initialized=(0,), Ready=(41, "False", "ContainersNotReady"), PodScheduled=(0,)
        ),
    )
    w.scheduled(pod, node)
    w.lifecycle(pod, extract, at=3)
    w.lifecycle(pod, load, at=3)
    w.node(node, "v1.30.4-eks-a737599")
    return w.document(
        "no SC003 (yet): a second worker still runs 20s after the first exited; nothing says sidecar"
    )


def sc004_acs_128_status_updated():
    w = World("sc004-acs-128-status-updated", "2025-04-08T06:00:00", "etl")
    node = "virtual-kubelet-cn-shanghai-b"
    app = container("exporter", "registry.example.com/etl/exporter:4.1.0")
    agent = container("log-agent", "registry-cn-hangzhou.ack.aliyuncs.com/acs/ilogtail:v2.1.5", env=ACS_ENV)
    spec = pod_spec([app, agent], node=node, tolerations=VK_TOLERATION)
    w.job("weekly-export", spec, status=w.job_status(active=1))
    pod = "weekly-export-9pc4n"
    w.pod(
        pod,
        spec,
        phase="Running",
        statuses=[
            cstatus(app, running(w.clock, 12), ready=True),
            cstatus(
                agent,
                running(w.clock, 75),
                restarts=1,
                ready=True,
                last=terminated(w.clock, 11, 64, 2, "Error"),
            ),
        ],
        conds=conditions(w.clock, Initialized=(0,), Ready=(76,), ContainersReady=(76,), PodScheduled=(0,)),
        annotations={"k8s.aliyun.com/eci-instance-id": "eci-uf6a1b2c3d4e5f6g7h8j"},
    )
    w.scheduled(pod, node)
    w.event(
        pod,
        "Pulled",
        f'Container image "{agent["image"]}" already present on machine',
        container="log-agent",
        at=11,
        last=75,
        count=2,
        host=node,
    )
    w.event(
        pod,
        "Created",
        "Created container log-agent",
        container="log-agent",
        at=11,
        last=75,
        count=2,
        host=node,
    )
    w.event(
        pod,
        "Started",
        "Started container log-agent",
        container="log-agent",
        at=11,
        last=75,
        count=2,
        host=node,
    )
    w.lifecycle(pod, app, at=12, host=node)
    w.node(node, "v1.28.15-aliyun.1", virtual=True)
    return w.document(
        "no SC004: on ACS 1.28 a restarted legacy sidecar's status is updated (one restart: SC002)"
    )


def sc006_native_on_127():
    w = World("sc006-native-on-127", "2025-02-03T08:00:00", "ops")
    node = "node-pool-a-3"
    sidecar = container(
        "cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.11.4", restart_policy="Always"
    )
    app = container("report", "registry.example.com/ops/report:1.2.0")
    spec = pod_spec([app], [sidecar], node=node)
    pod = "report-manual-x8k2"
    w.pod(
        pod,
        spec,
        phase="Pending",
        init_statuses=[cstatus(sidecar, running(w.clock, 3), ready=False, started=True)],
        statuses=[cstatus(app, waiting("PodInitializing"))],
        conds=conditions(
            w.clock,
            Initialized=(0, "False", "ContainersNotInitialized"),
            Ready=(0, "False", "ContainersNotReady"),
            PodScheduled=(0,),
        ),
    )
    w.scheduled(pod, node)
    w.lifecycle(pod, sidecar, "initContainers", at=3)
    w.node(node, "v1.27.16")
    return w.document("SC006: restartPolicy: Always on an init container, read against a 1.27 cluster")


def sc006_dropped_on_128():
    w = World("sc006-dropped-on-128", "2025-02-04T08:00:00", "ops")
    node = "node-pool-a-4"
    sidecar = container("cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.11.4")
    app = container("report", "registry.example.com/ops/report:1.2.0")
    spec = pod_spec([app], [sidecar], node=node)
    w.job("nightly-report", spec, status=w.job_status(active=1))
    pod = "nightly-report-v7c2m"
    w.pod(
        pod,
        spec,
        phase="Pending",
        init_statuses=[cstatus(sidecar, running(w.clock, 3), ready=False, started=True)],
        statuses=[cstatus(app, waiting("PodInitializing"))],
        conds=conditions(
            w.clock,
            Initialized=(0, "False", "ContainersNotInitialized"),
            Ready=(0, "False", "ContainersNotReady"),
            PodScheduled=(0,),
        ),
    )
    w.scheduled(pod, node)
    w.lifecycle(pod, sidecar, "initContainers", at=3)
    w.node(node, "v1.28.15")
    return w.document("SC006: on 1.28 (gate off) restartPolicy was dropped: the proxy blocks the pod's start")


def sc006_kubelet_forbids():
    w = World("sc006-kubelet-forbids", "2025-02-05T08:00:00", "ops")
    node = "node-pool-old-1"
    sidecar = container("log-shipper", "docker.io/fluent/fluent-bit:3.1.9", restart_policy="Always")
    app = container("report", "registry.example.com/ops/report:1.2.0")
    spec = pod_spec([app], [sidecar], node=node)
    pod = "report-once-4kq8"
    w.pod(
        pod,
        spec,
        phase="Failed",
        start=1,
        reason="InitContainerRestartPolicyForbidden",
        message="Pod was rejected: Init container restart policy is forbidden",
        conds=conditions(w.clock, PodScheduled=(0,)),
    )
    w.scheduled(pod, node)
    w.event(
        pod,
        "InitContainerRestartPolicyForbidden",
        "Init container restart policy is forbidden",
        at=1,
        typ="Warning",
    )
    w.node(node, "v1.28.9")
    return w.document("SC006: a 1.28 kubelet with the SidecarContainers gate off rejected the pod")


def sc006_job_failed_create():
    w = World("sc006-job-failed-create", "2025-02-06T08:00:00", "ops")
    sidecar = container(
        "cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.11.4", startup_probe=0
    )
    app = container("report", "registry.example.com/ops/report:1.2.0")
    spec = pod_spec([app], [sidecar], node=None)
    spec.pop("nodeName")
    w.job("weekly-report", spec, status=w.job_status(active=0))
    w.event(
        "weekly-report",
        "FailedCreate",
        'Error creating: Pod "weekly-report-8s7fd" is invalid: '
        "spec.initContainers[0].startupProbe: Forbidden: may not be set for init containers without "
        "restartPolicy=Always",
        kind="Job",
        at=1,
        last=290,
        count=9,
        typ="Warning",
    )
    return w.document("SC006 on the Job: the API server (gate off) refused every pod; the Job has none")


def sc006_native_128_gate_on():
    w = World("sc006-native-128-gate-on", "2025-02-07T08:00:00", "ops")
    node = "node-pool-b-2"
    sidecar = container("log-shipper", "docker.io/fluent/fluent-bit:3.1.9", restart_policy="Always")
    app = container("report", "registry.example.com/ops/report:1.2.0")
    spec = pod_spec([app], [sidecar], node=node)
    w.job("hourly-report", spec, status=w.job_status(succeeded=1, complete=47))
    pod = "hourly-report-28ds9"
    w.pod(
        pod,
        spec,
        phase="Succeeded",
        init_statuses=[cstatus(sidecar, terminated(w.clock, 2, 45, 0), started=False)],
        statuses=[cstatus(app, terminated(w.clock, 3, 44, 0))],
        conds=conditions(w.clock, Initialized=(3,), Ready=(45, "False", "PodCompleted"), PodScheduled=(0,)),
    )
    w.scheduled(pod, node)
    w.lifecycle(pod, sidecar, "initContainers", at=2)
    w.lifecycle(pod, app, at=3)
    w.event(
        pod,
        "Killing",
        "Stopping container log-shipper",
        container="log-shipper",
        section="initContainers",
        at=44,
    )
    w.node(node, "v1.28.15")
    return w.document(
        "no SC006, no SC010: on 1.28 with the gate on the sidecar ran alongside the app, "
        "and exited 0 a second after its stop was requested"
    )


def sc008_native_crashloop():
    w = World("sc008-native-crashloop", "2025-03-09T12:00:00", "web")
    node = "cn-shenzhen.10.3.0.8"
    agent = container(
        "otel-collector", "docker.io/otel/opentelemetry-collector-contrib:0.108.0", restart_policy="Always"
    )
    app = container("checkout", "registry.example.com/web/checkout:8.1.4")
    spec = pod_spec([app], [agent], node=node, restart_policy="Always")
    pod = "checkout-6f7d9c8b4-r5t6y"
    w.pod(
        pod,
        spec,
        phase="Running",
        init_statuses=[
            cstatus(
                agent,
                waiting(
                    "CrashLoopBackOff",
                    "back-off 1m20s restarting failed container="
                    "otel-collector pod=checkout-6f7d9c8b4-r5t6y_web",
                ),
                restarts=4,
                started=False,
                last=terminated(w.clock, 150, 151, 1, "Error"),
            )
        ],
        statuses=[cstatus(app, running(w.clock, 3), ready=True)],
        conds=conditions(w.clock, Initialized=(3,), Ready=(5,), ContainersReady=(5,), PodScheduled=(0,)),
    )
    w.scheduled(pod, node)
    w.event(
        pod,
        "Pulled",
        f'Container image "{agent["image"]}" already present on machine',
        container="otel-collector",
        section="initContainers",
        at=2,
        last=150,
        count=5,
    )
    w.event(
        pod,
        "Created",
        "Created container: otel-collector",
        container="otel-collector",
        section="initContainers",
        at=2,
        last=150,
        count=5,
    )
    w.event(
        pod,
        "Started",
        "Started container otel-collector",
        container="otel-collector",
        section="initContainers",
        at=2,
        last=150,
        count=5,
    )
    w.event(
        pod,
        "BackOff",
        "Back-off restarting failed container otel-collector in pod checkout-6f7d9c8b4-r5t6y_web",
        container="otel-collector",
        section="initContainers",
        at=14,
        last=200,
        count=11,
        typ="Warning",
    )
    w.lifecycle(pod, app, at=3)
    w.node(node, "v1.31.1-aliyun.1")
    return w.document("SC008: a native OpenTelemetry collector in CrashLoopBackOff (4 restarts)")


def sc009_markers():
    w = World("sc009-markers", "2025-03-10T12:00:00", "web")
    node = "virtual-kubelet-cn-shenzhen-e"
    setup = container("setup", command=["sh", "-c", "cp /config/* /shared/"], env=ACS_ENV)
    native = container(
        "mesh-agent", "registry.example.com/mesh/agent:1.4.0", restart_policy="Always", env=ACS_ENV
    )
    app = container("web", "registry.example.com/web/frontend:12.0.3")
    metrics = container(
        "metrics",
        "registry.example.com/web/metrics-agent:2.0.0",
        env=[{"name": "__IS_SIDECAR__", "value": "True"}, {"name": "SCRAPE_INTERVAL", "value": "15s"}],
    )
    spec = pod_spec(
        [app, metrics], [setup, native], node=node, restart_policy="Always", tolerations=VK_TOLERATION
    )
    pod = "frontend-5b6c7d8e9f-k2l3m"
    w.pod(
        pod,
        spec,
        phase="Running",
        init_statuses=[
            cstatus(setup, terminated(w.clock, 2, 3, 0)),
            cstatus(native, running(w.clock, 4), ready=True, started=True),
        ],
        statuses=[
            cstatus(app, running(w.clock, 5), ready=True),
            cstatus(metrics, running(w.clock, 5), ready=True),
        ],
        conds=conditions(w.clock, Initialized=(5,), Ready=(6,), ContainersReady=(6,), PodScheduled=(0,)),
        annotations={"k8s.aliyun.com/eci-instance-id": "eci-wz9c8b7a6s5d4f3g2h1j"},
    )
    w.scheduled(pod, node)
    w.lifecycle(pod, setup, "initContainers", at=2, host=node)
    w.lifecycle(pod, native, "initContainers", at=4, host=node)
    w.lifecycle(pod, app, at=5, host=node)
    w.lifecycle(pod, metrics, at=5, host=node)
    w.node(node, "v1.28.15-aliyun.1", virtual=True)
    return w.document(
        "SC009: a legacy marker on an init container, native plus legacy on one container, "
        'and __IS_SIDECAR__ set to "True"'
    )


def sc010_handles_sigterm():
    w = World("sc010-handles-sigterm", "2025-03-11T08:00:00")
    node = "cn-hangzhou.10.0.1.24"
    sidecar = container(
        "sidecar",
        command=["sh", "-c", "trap 'exit 0' TERM; (touch /var/logs.txt && tail -F /var/logs.txt) & wait"],
        restart_policy="Always",
    )
    app = container(
        "app", command=["sh", "-c", 'for i in $(seq 1 10);do echo "logging" >> /var/logs.txt; sleep 1; done']
    )
    spec = pod_spec([app], [sidecar], node=node)
    w.job("test", spec, status=w.job_status(succeeded=1, complete=16))
    pod = "test-j7m2c"
    w.pod(
        pod,
        spec,
        phase="Succeeded",
        init_statuses=[cstatus(sidecar, terminated(w.clock, 2, 14, 0), started=False)],
        statuses=[cstatus(app, terminated(w.clock, 2, 13, 0))],
        conds=conditions(w.clock, Initialized=(2,), Ready=(14, "False", "PodCompleted"), PodScheduled=(0,)),
    )
    w.scheduled(pod, node, at=0.1)
    w.lifecycle(pod, sidecar, "initContainers", at=2)
    w.lifecycle(pod, app, at=2)
    w.event(
        pod, "Killing", "Stopping container sidecar", container="sidecar", section="initContainers", at=13
    )
    w.node(node, "v1.30.7-aliyun.1")
    return w.document(
        "no SC010: the native sidecar traps SIGTERM and exits 0 a second after its stop request"
    )


def sc011_no_events():
    """The seed's ACS run saved without its events: `kubectl get job,pod -o yaml`."""
    w = World("sc011-no-events", "2024-10-29T03:24:18")
    node = "virtual-kubelet-cn-shenzhen-f"
    app = container(
        "app", command=["sh", "-c", 'for i in $(seq 1 10);do echo "logging" >> /var/logs.txt; sleep 1; done']
    )
    sidecar = container(
        "sidecar", command=["sh", "-c", "touch /var/logs.txt && tail -F /var/logs.txt"], env=ACS_ENV
    )
    spec = pod_spec([app, sidecar], node=node, tolerations=VK_TOLERATION)
    w.job("test", spec, status=w.job_status(succeeded=1, complete=59))
    w.pod(
        "test-729nd",
        spec,
        phase="Succeeded",
        statuses=[
            cstatus(app, terminated(w.clock, 14, 25, 0)),
            cstatus(
                sidecar,
                terminated(
                    w.clock, 14, 55, 0, "Completed", "Force this container to be success(137, Error, )"
                ),
            ),
        ],
        conds=conditions(
            w.clock,
            ContainerHasSufficientDisk=(13,),
            Ready=(56, "False", "PodCompleted"),
            Initialized=(0, "True", "PodCompleted"),
            PodScheduled=(0,),
        ),
        annotations={"k8s.aliyun.com/eci-instance-id": "eci-wz9b1fk3x2g7h8j0q4rs"},
    )
    return w.document("SC011: the seed's ACS run without events (SC007 from the status, SC010 inferred)")


def sc012_kruise_exit():
    w = World("sc012-kruise-exit", "2025-09-15T01:00:00", "data")
    node = "ip-10-2-3-4.ec2.internal"
    app = container("backup", "registry.example.com/data/backup:3.0.1")
    agent = container(
        "log-agent",
        "docker.io/fluent/fluent-bit:3.1.9",
        env=[{"name": "KRUISE_TERMINATE_SIDECAR_WHEN_JOB_EXIT", "value": "true"}],
    )
    spec = pod_spec([app, agent], node=node)
    w.job(
        "db-backup",
        spec,
        backoff=0,
        status=w.job_status(
            failed=1,
            failed_at=63,
            failed_reason="BackoffLimitExceeded",
            failed_message="Job has reached the specified backoff limit",
        ),
    )
    pod = "db-backup-29290860-bn4xs"
    w.pod(
        pod,
        spec,
        phase="Failed",
        statuses=[
            cstatus(app, terminated(w.clock, 3, 60, 0)),
            cstatus(agent, terminated(w.clock, 3, 62, 143, "Error")),
        ],
        conds=conditions(w.clock, Initialized=(0,), Ready=(62, "False", "PodFailed"), PodScheduled=(0,)),
    )
    w.scheduled(pod, node)
    w.lifecycle(pod, app, at=3)
    w.lifecycle(pod, agent, at=3)
    w.event(pod, "Killing", "Stopping container log-agent", container="log-agent", at=61)
    w.node(node, "v1.28.13-eks-a737599")
    return w.document("SC012: OpenKruise stopped the log agent, it exited 143 and failed the Job")


def sc012_app_failed():
    w = World("sc012-app-failed", "2025-09-16T01:00:00", "data")
    node = "ip-10-2-3-5.ec2.internal"
    app = container("backup", "registry.example.com/data/backup:3.0.1")
    agent = container(
        "log-agent",
        "docker.io/fluent/fluent-bit:3.1.9",
        env=[{"name": "KRUISE_TERMINATE_SIDECAR_WHEN_JOB_EXIT", "value": "true"}],
    )
    spec = pod_spec([app, agent], node=node)
    w.job(
        "db-backup",
        spec,
        backoff=0,
        status=w.job_status(
            failed=1,
            failed_at=33,
            failed_reason="BackoffLimitExceeded",
            failed_message="Job has reached the specified backoff limit",
        ),
    )
    pod = "db-backup-29292300-p9q8r"
    w.pod(
        pod,
        spec,
        phase="Failed",
        statuses=[
            cstatus(app, terminated(w.clock, 3, 30, 2, "Error")),
            cstatus(agent, terminated(w.clock, 3, 32, 143, "Error")),
        ],
        conds=conditions(w.clock, Initialized=(0,), Ready=(32, "False", "PodFailed"), PodScheduled=(0,)),
    )
    w.scheduled(pod, node)
    w.lifecycle(pod, app, at=3)
    w.lifecycle(pod, agent, at=3)
    w.event(pod, "Killing", "Stopping container log-agent", container="log-agent", at=31)
    w.node(node, "v1.28.13-eks-a737599")
    return w.document("no SC012: the app itself failed (exit 2); the sidecar's 143 is not why the pod failed")


SCENARIOS = [
    sc001_mesh_proxy_late,
    sc001_native_probe_early,
    sc001_native_probe_waited,
    sc002_sidecar_oomkilled,
    sc002_pod_deleted,
    sc003_unhonoured_marker,
    sc003_deadline_exceeded,
    sc003_worker_still_busy,
    sc004_acs_128_status_updated,
    sc006_native_on_127,
    sc006_dropped_on_128,
    sc006_kubelet_forbids,
    sc006_job_failed_create,
    sc006_native_128_gate_on,
    sc008_native_crashloop,
    sc009_markers,
    sc010_handles_sigterm,
    sc011_no_events,
    sc012_kruise_exit,
    sc012_app_failed,
]


def render(scenario) -> tuple:
    title, doc = scenario()
    name = scenario.__name__.replace("_", "-")
    text = f"# {title}\n# Generated by generate.py ({scenario.__name__}): edit that, not this file.\n"
    text += yaml.safe_dump(doc, sort_keys=False, width=120, allow_unicode=True)
    return name + ".yaml", text


def main(argv: list) -> int:
    stale = []
    for scenario in SCENARIOS:
        filename, text = render(scenario)
        path = HERE / filename
        if "--check" in argv:
            if not path.exists() or path.read_text() != text:
                stale.append(filename)
        else:
            path.write_text(text)
    if stale:
        print("stale fixtures (run python tests/data/checks/generate.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
