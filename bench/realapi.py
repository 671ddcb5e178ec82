"""The benchmark's calibration server: a real kube-apiserver + etcd on 127.0.0.1, loaded with the same
synthetic Job as bench/server.py, with the same stdin/stdout protocol (``reset``, ``count``).

    python bench/realapi.py --pods 200 --dir /tmp/x

It uses the e2e tier's cluster (tests/e2e/cluster.py: the binaries that scripts/build-e2e-binaries.sh
built, certificates, tokens, an audit log). Nothing is built here: without cached binaries it stops
with a message. Pods, their statuses and events are written through the API (no kubelet or
controllers run), so uids, creation times and resourceVersions are the server's own; requests are
counted from the audit log. Only loopback traffic.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))

import synth  # noqa: E402
from e2e import cluster as e2e  # noqa: E402

WRITERS = 8


def _clean_meta(
    meta: dict,
    keep=("name", "namespace", "labels", "annotations", "generateName", "finalizers", "ownerReferences"),
) -> dict:
    return {k: v for k, v in meta.items() if k in keep}


def load(api, pods: int) -> dict:
    """Write the synthetic Job into the cluster; returns counts."""
    data = synth.objects(pods, managed_fields=False)  # the server keeps its own managedFields
    ns = synth.NAMESPACE
    e2e.create_namespace(api, ns)
    for node in data["nodes"]:
        e2e.create_node(api, node["metadata"]["name"])
    manifest = json.loads(json.dumps(data["job"]))
    manifest["metadata"] = {"name": synth.JOB_NAME, "labels": {"app": synth.JOB_NAME}}
    manifest["spec"].pop("selector", None)
    manifest["spec"].pop("manualSelector", None)
    manifest["spec"]["template"]["metadata"] = {"labels": {"app": synth.JOB_NAME}}
    status = manifest.pop("status")
    job = e2e.create_job(api, ns, manifest)
    e2e.set_job_status(api, job, status)
    job_uid = job["metadata"]["uid"]
    labels = job["spec"]["template"]["metadata"]["labels"]  # with the controller-uid the server chose

    def write_pod(i: int) -> int:
        pod = json.loads(json.dumps(data["pods"][i]))
        meta = _clean_meta(pod["metadata"])
        meta["labels"] = dict(labels)
        meta["ownerReferences"] = [dict(ref, uid=job_uid) for ref in meta.get("ownerReferences", [])]
        meta["finalizers"] = []
        status = pod.pop("status")
        created = api.post(
            f"/api/v1/namespaces/{ns}/pods",
            {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod["spec"]},
        )
        created["status"] = status
        api.put(f"/api/v1/namespaces/{ns}/pods/{meta['name']}/status", created)
        uid = created["metadata"]["uid"]
        written = 0
        for event in synth.pod_events(i, synth.default_nodes(pods)):
            event["metadata"] = _clean_meta(event["metadata"], keep=("name", "namespace"))
            event["involvedObject"]["uid"] = uid
            event["involvedObject"].pop("resourceVersion", None)
            api.post(f"/api/v1/namespaces/{ns}/events", event)
            written += 1
        return written

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        events = sum(pool.map(write_pod, range(pods)))
    return {"events": events}


def serve(args) -> int:
    try:
        binaries = e2e.find_binaries(build=False)
    except e2e.E2ESetupError as err:
        print(
            json.dumps({"error": f"no kube-apiserver/etcd built (run scripts/build-e2e-binaries.sh): {err}"}),
            flush=True,
        )
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="kubectl-sidecar-bench-apiserver-", dir=args.dir))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop etcd and kube-apiserver too
    cluster = e2e.Cluster(binaries, workdir)
    try:
        cluster.start()
        api = cluster.api(e2e.ADMIN)
        started = time.monotonic()
        counts = load(api, args.pods)
        loaded = time.monotonic() - started
        config = json.loads(Path(cluster.kubeconfigs[e2e.ADMIN]).read_text())
        for context in config["contexts"]:
            context["context"]["namespace"] = synth.NAMESPACE
        kubeconfig = os.path.join(args.dir, "kubeconfig")
        with open(kubeconfig, "w", encoding="utf-8") as handle:
            json.dump(config, handle)
        os.chmod(kubeconfig, 0o600)
        print(
            json.dumps(
                {
                    "url": cluster.server,
                    "kubeconfig": kubeconfig,
                    "job": synth.JOB_NAME,
                    "namespace": synth.NAMESPACE,
                    "pod": synth.pod_name(min(19, args.pods - 1)),
                    "pods": args.pods,
                    "events": counts["events"],
                    "server_pid": os.getpid(),
                    "server": f"kube-apiserver {binaries.k8s_version}",
                    "load_seconds": round(loaded, 1),
                }
            ),
            flush=True,
        )
        offset = cluster.audit_offset()
        for line in sys.stdin:
            command = line.strip()
            if command == "reset":
                time.sleep(0.2)  # the last command's audit lines
                offset = cluster.audit_offset()
                print(json.dumps({"ok": True}), flush=True)
            elif command == "count":
                time.sleep(0.5)
                events = [
                    e
                    for e in cluster.audit_events(offset)
                    if (e.get("user") or {}).get("username") == e2e.ADMIN
                ]
                kinds = Counter(
                    f"{e.get('verb')} {(e.get('objectRef') or {}).get('resource') or e.get('requestURI')}"
                    for e in events
                )
                print(json.dumps({"requests": len(events), "by_kind": dict(kinds), "errors": 0}), flush=True)
            elif command:
                print(json.dumps({"error": f"unknown command {command!r}"}), flush=True)
    finally:
        cluster.stop()
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pods", type=int, default=200)
    parser.add_argument("--dir", required=True, help="where to write the kubeconfig and the cluster's state")
    args = parser.parse_args(argv)
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
