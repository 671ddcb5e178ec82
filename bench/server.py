"""The benchmark's API server: the tests' stand-in (tests/fakeapi) loaded with a synthetic Job.

Runs in its own process, so the timed processes are only the clients (kubectl, kubectl-sidecar):

    python bench/server.py --pods 200 --dir /tmp/x
    python bench/server.py --pods 50 --namespaces 200 --dir /tmp/x    # 200 Jobs of 50 pods, for check -A

prints one JSON line when it serves (``{"url", "kubeconfig", "job", "namespace", "namespaces", "pod",
"pods", "events"}``: ``pods`` in all, ``events`` of pods in all), then
answers commands on stdin, one per line, with one JSON line on stdout:

- ``reset``: forget the request log;
- ``count``: ``{"requests": n, "by_kind": {"get pods": n, "list events": n, ...}}`` since the last reset.

It stops when stdin closes.

Server settings. By default two artefacts of the stand-in are removed, neither of which a real API
server has: Python's http.server sends headers and body in two writes, so with Nagle's algorithm each
answer waits about 40 ms for the client's delayed ACK (Go's net/http sets TCP_NODELAY: so does this);
and the stand-in re-sorts every stored object on each list request (cached here: nothing changes once
loaded). Field selectors are still evaluated by scanning every event of the namespace, as
kube-apiserver does (it has no index on involvedObject): a per-pod event list costs about 18 ms at
2,000 events here and 21 ms on kube-apiserver v1.34 on the same machine (docs/performance.md).

``--plain`` serves with the stand-in exactly as the tests use it (40 ms per answer).
``--index-events`` also answers event lists that select ``involvedObject.name``/``uid`` from an index
(no scan): faster than any real server for kubectl's per-pod requests, to show kubectl's best case.
The stand-in's own code still applies every selector, paginates and encodes, so the answers are the
same bytes: ``--self-check`` compares them with the plain stand-in's for a set of requests.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

import synth  # noqa: E402
from fakeapi import FakeApiServer  # noqa: E402
from fakeapi import server as fake_server  # noqa: E402

_HINT = threading.local()
_INDEXED_FIELDS = ("involvedObject.uid", "involvedObject.name")


def accelerate(api: FakeApiServer, index_events: bool = True) -> None:
    """TCP_NODELAY, sorted snapshots of the (frozen) store cached, and (``index_events``) event lists
    by involved object answered from an index."""
    store = api.store
    plain_snapshot = store.snapshot
    cache: dict = {}
    index: dict = {}

    def snapshot(store_key, at_rv=None):
        key = (store_key, store.rv if at_rv is None or at_rv >= store.rv else at_rv)
        items = cache.get(key)
        if items is None:
            items = cache[key] = plain_snapshot(store_key, at_rv)
        hint = getattr(_HINT, "value", None)
        if hint is None or store_key != ("", "events"):
            return items
        field, value = hint
        by_value = index.get((key, field))
        if by_value is None:
            by_value = {}
            for pair in items:
                involved = pair[1].get("involvedObject") or {}
                by_value.setdefault(involved.get(field.split(".", 1)[1]) or "", []).append(pair)
            index[(key, field)] = by_value
        return by_value.get(value, [])

    store.snapshot = snapshot
    handler = fake_server._Handler
    # Python's http.server writes the headers and the body in two sends; with Nagle's algorithm on,
    # the body waits for the client's delayed ACK: about 40 ms per request on Linux loopback. Go's
    # net/http (a real API server) sets TCP_NODELAY, so does this.
    handler.disable_nagle_algorithm = True
    plain_list = handler._list

    def _list(self, info, r):
        hint = None
        if r.store_key == ("", "events"):
            _labels, fields = self._selectors(r)
            for wanted in _INDEXED_FIELDS:
                hint = next(((f, v) for f, op, v in fields if f == wanted and op in ("=", "==")), None)
                if hint:
                    break
        _HINT.value = hint
        try:
            return plain_list(self, info, r)
        finally:
            _HINT.value = None

    if index_events:
        handler._list = _list


def load(api: FakeApiServer, pods: int, namespaces: int = 0) -> dict:
    """The synthetic Job of ``pods`` pods in namespace ``bench``; with ``namespaces``, that many
    namespaces (``bench-000``...) with a Job of ``pods`` pods each (synth.objects_namespaces). The
    objects are stored as built (not copied: nothing else holds them), which halves the memory and
    the time of loading 20,000 pods."""
    data = synth.objects_namespaces(namespaces, pods) if namespaces else synth.objects(pods)
    jobs = data["jobs"] if namespaces else [data["job"]]
    for obj in jobs + data["nodes"] + data["pods"] + data["events"]:
        api.store.put(obj, copy=False)
    return data


def _kind_of(request) -> str:
    path = request.path
    if path == "/version":
        return "get /version"
    parts = path.strip("/").split("/")
    if (parts[0] == "api" and len(parts) <= 2) or (parts[0] == "apis" and len(parts) <= 3):
        return "discovery"  # /api, /api/v1, /apis, /apis/GROUP, /apis/GROUP/VERSION
    if "namespaces" in parts:
        rest = parts[parts.index("namespaces") + 2 :]
    else:
        rest = parts[2:] if parts[0] == "api" else parts[3:]
    resource = rest[0] if rest else "?"
    verb = "watch" if request.is_watch else ("get" if len(rest) > 1 else "list")
    return f"{verb} {resource}"


def serve(args) -> int:
    api = FakeApiServer(version="1.30.2", tables=True, latency=args.latency)
    data = load(api, args.pods, args.namespaces)
    if not args.plain:
        accelerate(api, index_events=args.index_events)
    api.start()
    os.makedirs(args.dir, exist_ok=True)
    namespace = synth.namespace_name(0) if args.namespaces else synth.NAMESPACE
    kubeconfig = api.write_kubeconfig(os.path.join(args.dir, "kubeconfig"), namespace=namespace)
    pod_events = sum(1 for e in data["events"] if e["involvedObject"]["kind"] == "Pod")
    pod_count = len(data["pods"])
    del data  # the store holds the objects
    print(
        json.dumps(
            {
                "url": api.url,
                "kubeconfig": kubeconfig,
                "job": synth.JOB_NAME,
                "namespace": namespace,
                "namespaces": args.namespaces or 1,
                "pod": synth.pod_name(min(19, args.pods - 1)),
                "pods": pod_count,
                "events": pod_events,
                "server_pid": os.getpid(),
                "server": "stand-in",
            }
        ),
        flush=True,
    )
    try:
        for line in sys.stdin:
            command = line.strip()
            if command == "reset":
                api.reset_log()
                print(json.dumps({"ok": True}), flush=True)
            elif command == "count":
                requests = api.requests
                print(
                    json.dumps(
                        {
                            "requests": len(requests),
                            "by_kind": dict(Counter(map(_kind_of, requests))),
                            "errors": len(api.errors),
                        }
                    ),
                    flush=True,
                )
            elif command:
                print(json.dumps({"error": f"unknown command {command!r}"}), flush=True)
    finally:
        api.stop()
    return 0


def self_check(pods: int) -> int:
    """The accelerated server answers the same bytes as the plain stand-in."""
    import urllib.request

    plain, fast = FakeApiServer(version="1.30.2"), FakeApiServer(version="1.30.2")
    load(plain, pods)
    load(fast, pods)
    accelerate(fast)
    ns = synth.NAMESPACE
    queries = [
        "/api/v1/namespaces/%s/events?fieldSelector=involvedObject.kind%%3DPod&limit=500" % ns,
        "/api/v1/namespaces/%s/pods?labelSelector=batch.kubernetes.io%%2Fcontroller-uid%%3D%s&limit=500"
        % (ns, synth.JOB_UID),
    ]
    for i in (0, 19, pods - 1):
        pod = synth.pod(i, synth.default_nodes(pods))
        name, uid = pod["metadata"]["name"], pod["metadata"]["uid"]
        queries += [
            "/api/v1/namespaces/%s/events?fieldSelector=involvedObject.name%%3D%s%%2CinvolvedObject.namespace%%3D%s"
            "%%2CinvolvedObject.uid%%3D%s&limit=500" % (ns, name, ns, uid),
            "/api/v1/namespaces/%s/events?fieldSelector=involvedObject.uid%%3D%s&limit=500" % (ns, uid),
            "/api/v1/namespaces/%s/events?fieldSelector=involvedObject.kind%%3DPod%%2CinvolvedObject.name%%3D%s"
            "%%2CinvolvedObject.uid%%3D&limit=500" % (ns, name),
            "/api/v1/namespaces/%s/events?fieldSelector=involvedObject.name%%3D%s&limit=3" % (ns, name),
        ]
    with plain, fast:
        for query in queries:
            answers = []
            token = None
            for server in (plain, fast):
                url = server.url + query
                body = urllib.request.urlopen(url).read()
                doc = json.loads(body)
                token = (doc.get("metadata") or {}).get("continue")
                answers.append((body, token))
            if answers[0] != answers[1]:
                print(f"DIFFERENT: {query}", file=sys.stderr)
                return 1
            if token:  # the next page too
                pages = [
                    urllib.request.urlopen(s.url + query + "&continue=" + token).read() for s in (plain, fast)
                ]
                if pages[0] != pages[1]:
                    print(f"DIFFERENT (page 2): {query}", file=sys.stderr)
                    return 1
    print(f"self-check: {len(queries)} requests answered identically ({pods} pods)")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--pods", type=int, default=200, help="pods in the Job (in each Job with --namespaces)"
    )
    parser.add_argument(
        "--namespaces",
        type=int,
        default=0,
        help="serve this many namespaces (bench-000...), each with a Job of --pods pods, "
        "for check -A (default: one Job in namespace bench)",
    )
    parser.add_argument("--dir", default=None, help="where to write the kubeconfig")
    parser.add_argument(
        "--plain",
        action="store_true",
        help="the tests' stand-in exactly as it is (Nagle: 40 ms per answer; re-sorts on each list)",
    )
    parser.add_argument(
        "--index-events",
        action="store_true",
        help="answer per-object event lists from an index (kubectl's best case; no real server does this)",
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds to wait before each answer")
    parser.add_argument(
        "--self-check", action="store_true", help="compare answers with and without speed-ups"
    )
    args = parser.parse_args(argv)
    if args.self_check:
        return self_check(args.pods)
    if not args.dir:
        parser.error("--dir is required")
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
