"""The API stand-in (tests/fakeapi) behaves like a kube-apiserver for the clients the plugin uses:
the kubernetes Python client and kubectl."""

import http.client
import json
import os
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest
from fakeapi import DATA_DIR, FakeApiServer, unused_port, write_kubeconfig

CLUSTER = os.path.join(DATA_DIR, "cluster.json")
ACS = os.path.join(DATA_DIR, "acs-pod.yaml")
ETL_POD = "etl-20240501-x7k2p"
WEB_POD = "web-7d9c6b5f4-q2xkz"
ACS_POD = "report-28571530-kq9zt"


# ---------------------------------------------------------------------------------------------------
# helpers


def _ssl_context(api):
    return ssl.create_default_context(cafile=api.ca_path) if api.tls else None


def http_get(api, path, headers=None, method="GET", body=None, timeout=5):
    """(status, headers, body bytes) of one request."""
    req = urllib.request.Request(api.url + path, headers=headers or {}, method=method, data=body)
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=_ssl_context(api)) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def get_json(api, path, headers=None, expect=200):
    status, _headers, body = http_get(api, path, headers)
    assert status == expect, body
    return json.loads(body)


def watch_lines(api, path, headers=None, timeout=5, max_events=None, on_open=None):
    """Read a watch stream until it ends (or max_events); returns the decoded events."""
    conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        assert resp.status == 200
        assert resp.getheader("Transfer-Encoding") == "chunked"
        if on_open:
            on_open()
        events = []
        while max_events is None or len(events) < max_events:
            line = resp.readline()
            if not line:
                break
            events.append(json.loads(line))
        return events
    finally:
        conn.close()


def later(delay, func, *args):
    t = threading.Timer(delay, func, args)
    t.daemon = True
    t.start()
    return t


def names(items):
    return [i["metadata"]["name"] for i in items]


def pod(name, namespace="default", labels=None, phase="Running", node="node-a", **extra):
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "spec": {"nodeName": node, "containers": [{"name": "app", "image": "busybox"}]},
        "status": {"phase": phase},
    }
    obj.update(extra)
    return obj


def event(
    name,
    obj_name,
    reason="Started",
    namespace="default",
    kind="Pod",
    field_path="spec.containers{app}",
    uid="u-1",
    type_="Normal",
    component="kubelet",
):
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": namespace},
        "involvedObject": {
            "kind": kind,
            "name": obj_name,
            "namespace": namespace,
            "uid": uid,
            "fieldPath": field_path,
        },
        "reason": reason,
        "message": "m",
        "type": type_,
        "source": {"component": component},
        "firstTimestamp": "2024-05-01T09:00:00Z",
        "lastTimestamp": "2024-05-01T09:00:00Z",
        "count": 1,
    }


@pytest.fixture
def python_client(tmp_path):
    """make(api, **kubeconfig kwargs) -> kubernetes ApiClient for the stand-in."""
    kubernetes = pytest.importorskip("kubernetes")
    clients = []

    def make(api, **kwargs):
        path = api.write_kubeconfig(tmp_path / ("pyclient-%d" % len(clients)), **kwargs)
        c = kubernetes.config.new_client_from_config(config_file=path)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


# ---------------------------------------------------------------------------------------------------
# loading and kubeconfigs (pure parsing and selectors: tests/unit/test_fakeapi_selectors.py)


def test_events_v1_objects_are_stored_as_core_events(fake_api):
    fake_api.put(
        {
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": {"name": "p.1", "namespace": "ns"},
            "eventTime": "2024-05-01T09:00:00.000001Z",
            "reportingController": "default-scheduler",
            "reportingInstance": "sched-1",
            "action": "Binding",
            "reason": "Scheduled",
            "note": "Successfully assigned ns/p to n",
            "type": "Normal",
            "regarding": {"kind": "Pod", "name": "p", "namespace": "ns"},
        }
    )
    core = get_json(fake_api, "/api/v1/namespaces/ns/events/p.1")
    assert core["message"] == "Successfully assigned ns/p to n"
    assert core["involvedObject"]["name"] == "p"
    assert core["reportingComponent"] == "default-scheduler"
    assert core["firstTimestamp"] is None
    v1 = get_json(fake_api, "/apis/events.k8s.io/v1/namespaces/ns/events/p.1")
    assert v1["note"] == core["message"] and v1["regarding"] == core["involvedObject"]
    assert v1["reportingController"] == "default-scheduler" and v1["deprecatedSource"] == {}


def test_write_kubeconfig_multi_context_and_python_client(tmp_path):
    kubernetes = pytest.importorskip("kubernetes")
    path = write_kubeconfig(
        tmp_path / "kc",
        "http://127.0.0.1:1",
        token="t",
        namespace="ns",
        extra_contexts=[
            {
                "name": "other",
                "server": "https://127.0.0.1:2",
                "token": "t2",
                "insecure": True,
                "namespace": "o",
            },
            {"name": "same-cluster", "namespace": "x"},
        ],
    )
    with open(path) as f:
        cfg = json.load(f)
    assert cfg["current-context"] == "test"
    assert {c["name"] for c in cfg["clusters"]} == {"test-cluster", "other-cluster"}
    assert {u["name"] for u in cfg["users"]} == {"test-user", "other-user"}
    ctxs = {c["name"]: c["context"] for c in cfg["contexts"]}
    assert ctxs["same-cluster"] == {"cluster": "test-cluster", "user": "test-user", "namespace": "x"}
    contexts, active = kubernetes.config.list_kube_config_contexts(config_file=path)
    assert active["name"] == "test" and len(contexts) == 3
    # a second file of a KUBECONFIG=a:b list, without current-context
    second = write_kubeconfig(
        tmp_path / "kc2",
        "http://127.0.0.1:3",
        context="b",
        cluster="b-cluster",
        user="b-user",
        current_context=None,
    )
    with open(second) as f:
        assert "current-context" not in json.load(f)


# ---------------------------------------------------------------------------------------------------
# lifecycle


def test_starts_and_stops_fast_even_with_open_connections():
    t0 = time.monotonic()
    api = FakeApiServer([pod("a")]).start()
    assert time.monotonic() - t0 < 0.5
    port = api.port
    # an idle keep-alive connection and an open watch
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/api/v1/pods")
    conn.getresponse().read()
    result = {}

    def watch():
        try:
            result["events"] = watch_lines(api, "/api/v1/pods?watch=1")
        except Exception as e:  # the connection is reset at stop
            result["error"] = e

    t = threading.Thread(target=watch)
    t.start()
    assert api.wait_for_watches(1)
    t1 = time.monotonic()
    api.stop()
    assert time.monotonic() - t1 < 1.0
    t.join(2)
    assert not t.is_alive()
    assert api.open_watches == 0
    conn.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    # restart on the same port with the same objects
    api.start()
    try:
        assert api.port == port
        assert names(get_json(api, "/api/v1/pods")["items"]) == ["a"]
    finally:
        api.stop()


def test_no_threads_left_behind():
    before = {t.ident for t in threading.enumerate()}
    for _ in range(5):
        with FakeApiServer([pod("a")]) as api:
            get_json(api, "/api/v1/pods")
    leftover = [t for t in threading.enumerate() if t.ident not in before and t.name.startswith("fakeapi")]
    assert leftover == []


def test_refused_url_refuses():
    url = FakeApiServer.refused_url()
    port = int(url.rsplit(":", 1)[1])
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    assert unused_port() > 0


def test_only_loopback():
    with pytest.raises(ValueError):
        FakeApiServer(host="0.0.0.0")


# ---------------------------------------------------------------------------------------------------
# discovery and version


def test_version_is_configurable(fake_api_factory):
    api = fake_api_factory(version="v1.28.15-aliyun.1")
    info = get_json(api, "/version")
    assert info["gitVersion"] == "v1.28.15-aliyun.1" and info["major"] == "1" and info["minor"] == "28"
    api2 = fake_api_factory(version="1.29.4", version_info={"minor": "29+", "platform": "linux/arm64"})
    info2 = get_json(api2, "/version")
    assert info2["gitVersion"] == "v1.29.4" and info2["minor"] == "29+" and info2["platform"] == "linux/arm64"


def test_legacy_discovery(fake_api):
    assert get_json(fake_api, "/api")["versions"] == ["v1"]
    groups = {g["name"]: g for g in get_json(fake_api, "/apis")["groups"]}
    assert groups["batch"]["preferredVersion"] == {"groupVersion": "batch/v1", "version": "v1"}
    assert "events.k8s.io" in groups
    core = {r["name"]: r for r in get_json(fake_api, "/api/v1")["resources"]}
    assert core["pods"]["namespaced"] and core["pods"]["kind"] == "Pod" and "list" in core["pods"]["verbs"]
    assert core["pods"]["shortNames"] == ["po"]
    assert core["pods/status"]["kind"] == "Pod" and core["pods/log"]["verbs"] == ["get"]
    assert not core["nodes"]["namespaced"]
    batch = get_json(fake_api, "/apis/batch/v1")
    assert batch["groupVersion"] == "batch/v1" and "jobs" in [r["name"] for r in batch["resources"]]
    events = get_json(fake_api, "/apis/events.k8s.io/v1")
    assert [r["name"] for r in events["resources"]] == ["events"]
    assert get_json(fake_api, "/apis/batch")["kind"] == "APIGroup"
    status, _h, _b = http_get(fake_api, "/apis/nope.example.com/v1")
    assert status == 404


def test_aggregated_discovery(fake_api):
    accept = (
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
        "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
    )
    status, headers, body = http_get(fake_api, "/apis", {"Accept": accept})
    assert status == 200
    assert headers["Content-Type"] == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    doc = json.loads(body)
    assert doc["kind"] == "APIGroupDiscoveryList" and doc["apiVersion"] == "apidiscovery.k8s.io/v2"
    batch = [g for g in doc["items"] if g["metadata"].get("name") == "batch"][0]
    jobs = batch["versions"][0]["resources"][0]
    assert jobs["resource"] == "jobs" and jobs["scope"] == "Namespaced"
    assert jobs["responseKind"] == {"group": "batch", "version": "v1", "kind": "Job"}
    core = get_json(fake_api, "/api", {"Accept": accept})
    assert "name" not in core["items"][0]["metadata"]
    pods = [r for r in core["items"][0]["versions"][0]["resources"] if r["resource"] == "pods"][0]
    assert {
        "subresource": "status",
        "responseKind": {"group": "", "version": "v1", "kind": "Pod"},
        "verbs": ["get", "patch", "update"],
    } in pods["subresources"]


def test_aggregated_discovery_can_be_turned_off(fake_api_factory):
    api = fake_api_factory(aggregated_discovery=False)
    accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
    assert get_json(api, "/api", {"Accept": accept})["kind"] == "APIVersions"


# ---------------------------------------------------------------------------------------------------
# reads


def test_list_and_get_shapes(cluster_api):
    lst = get_json(cluster_api, "/api/v1/namespaces/batch-jobs/pods")
    assert lst["kind"] == "PodList" and lst["apiVersion"] == "v1"
    assert lst["metadata"]["resourceVersion"] == str(cluster_api.resource_version)
    assert names(lst["items"]) == [ETL_POD]
    # like the real server, list items carry no kind/apiVersion; single GETs do
    assert "kind" not in lst["items"][0] and "apiVersion" not in lst["items"][0]
    one = get_json(cluster_api, "/api/v1/namespaces/batch-jobs/pods/" + ETL_POD)
    assert one == cluster_api.get_object("Pod", "batch-jobs", ETL_POD)
    assert one["kind"] == "Pod" and one["status"]["initContainerStatuses"][0]["name"] == "log-shipper"
    # every object has its own resourceVersion, assigned at load
    assert int(one["metadata"]["resourceVersion"]) <= cluster_api.resource_version
    status = get_json(cluster_api, "/api/v1/namespaces/batch-jobs/pods/%s/status" % ETL_POD)
    assert status == one
    everything = get_json(cluster_api, "/api/v1/pods")
    assert names(everything["items"]) == [ACS_POD, ETL_POD, WEB_POD]  # sorted by namespace/name
    jobs = get_json(cluster_api, "/apis/batch/v1/jobs")
    assert (
        jobs["kind"] == "JobList"
        and jobs["apiVersion"] == "batch/v1"
        and names(jobs["items"]) == ["etl-20240501"]
    )
    nodes = get_json(cluster_api, "/api/v1/nodes")
    assert names(nodes["items"]) == ["node-a", "virtual-kubelet-cn-shenzhen-f"]
    assert get_json(cluster_api, "/api/v1/nodes/node-a")["kind"] == "Node"
    nss = names(get_json(cluster_api, "/api/v1/namespaces")["items"])
    assert nss == ["analytics", "batch-jobs", "shop"]
    svcs = get_json(cluster_api, "/api/v1/namespaces/shop/services")
    assert svcs == {
        "kind": "ServiceList",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": str(cluster_api.resource_version)},
        "items": [],
    }


def test_not_found_is_a_status(cluster_api):
    status, headers, body = http_get(cluster_api, "/api/v1/namespaces/shop/pods/nope")
    assert status == 404 and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'pods "nope" not found',
        "reason": "NotFound",
        "details": {"name": "nope", "kind": "pods"},
        "code": 404,
    }
    st = get_json(cluster_api, "/apis/batch/v1/namespaces/shop/jobs/nope", expect=404)
    assert st["message"] == 'jobs.batch "nope" not found' and st["details"]["group"] == "batch"
    assert http_get(cluster_api, "/api/v1/namespaces/shop/widgets")[0] == 404
    assert http_get(cluster_api, "/api/v1/namespaces/shop/nodes/node-a")[0] == 404  # cluster-scoped


@pytest.mark.parametrize(
    "query, expected",
    [
        ("labelSelector=app%3Dweb", [WEB_POD]),
        ("labelSelector=app%20in%20(web,etl)", [ETL_POD, WEB_POD]),
        ("labelSelector=app%20notin%20(web)", [ACS_POD, ETL_POD]),
        ("labelSelector=alibabacloud.com/acs", [ACS_POD]),
        ("labelSelector=!alibabacloud.com/acs", [ETL_POD, WEB_POD]),
        ("labelSelector=app!%3Detl", [ACS_POD, WEB_POD]),
        ("fieldSelector=status.phase%3DSucceeded", [ACS_POD, ETL_POD]),
        ("fieldSelector=status.phase!%3DSucceeded", [WEB_POD]),
        ("fieldSelector=spec.nodeName%3Dvirtual-kubelet-cn-shenzhen-f", [ACS_POD]),
        ("fieldSelector=spec.nodeName%3Dnode-a,status.phase%3D%3DRunning", [WEB_POD]),
        ("fieldSelector=metadata.namespace%3Dshop", [WEB_POD]),
        ("fieldSelector=metadata.name%3D" + ETL_POD, [ETL_POD]),
        ("fieldSelector=status.podIP%3D10.244.1.52", [WEB_POD]),
        ("labelSelector=job-name&fieldSelector=status.phase%3DSucceeded", [ACS_POD, ETL_POD]),
    ],
)
def test_pod_selectors(cluster_api, query, expected):
    assert names(get_json(cluster_api, "/api/v1/pods?" + query)["items"]) == expected


@pytest.mark.parametrize(
    "selector, expected_count",
    [
        ("involvedObject.name%3D" + ETL_POD, 9),
        (
            f"involvedObject.name%3D{ETL_POD},involvedObject.fieldPath%3Dspec.initContainers%7Blog-shipper%7D",
            5,
        ),
        ("involvedObject.kind%3DJob", 2),
        ("involvedObject.uid%3D7e8f9a0b-1c2d-4e3f-9a4b-5c6d7e8f9a0b", 9),
        ("involvedObject.namespace%3Dshop", 5),
        ("reason%3DKilling", 2),
        ("type%3DWarning", 2),
        ("type!%3DNormal", 2),
        ("source%3Djob-controller", 2),
        ("source%3Ddefault-scheduler", 1),  # no source.component: falls back to reportingComponent
        ("reportingComponent%3Ddefault-scheduler", 1),
        ("involvedObject.uid%3D", 3),  # the ACS virtual node's events carry no uid
    ],
)
def test_event_field_selectors(cluster_api, selector, expected_count):
    assert len(get_json(cluster_api, "/api/v1/events?fieldSelector=" + selector)["items"]) == expected_count


def test_events_k8s_io_view_and_selectors(cluster_api):
    lst = get_json(
        cluster_api,
        "/apis/events.k8s.io/v1/namespaces/batch-jobs/events?fieldSelector="
        "regarding.name%3D" + ETL_POD + ",reportingController%3Ddefault-scheduler",
    )
    assert lst["kind"] == "EventList" and lst["apiVersion"] == "events.k8s.io/v1"
    (ev,) = lst["items"]
    assert ev["reason"] == "Scheduled" and ev["eventTime"] == "2024-05-01T09:00:00.412137Z"
    assert ev["regarding"]["name"] == ETL_POD and ev["note"].startswith("Successfully assigned")
    assert "involvedObject" not in ev and ev["deprecatedFirstTimestamp"] is None
    # core field names are not selectable there, and unknown fields are rejected everywhere
    st = get_json(
        cluster_api, "/apis/events.k8s.io/v1/events?fieldSelector=involvedObject.name%3Dx", expect=400
    )
    assert st["reason"] == "BadRequest" and "field label not supported" in st["message"]
    assert get_json(cluster_api, "/api/v1/pods?fieldSelector=spec.bogus%3Dx", expect=400)["code"] == 400
    assert get_json(cluster_api, "/api/v1/pods?labelSelector=app%20in%20web", expect=400)["code"] == 400


def test_pagination(fake_api):
    for i in range(7):
        fake_api.put(pod("p%d" % i, namespace="a" if i % 2 else "b"))
    first = get_json(fake_api, "/api/v1/pods?limit=3")
    assert len(first["items"]) == 3 and first["metadata"]["remainingItemCount"] == 4
    token = first["metadata"]["continue"]
    rv = first["metadata"]["resourceVersion"]
    # changes after the first page do not show up in later pages (a consistent snapshot)
    fake_api.put(pod("p99", namespace="b"))
    fake_api.delete("Pod", "b", "p6")
    second = get_json(fake_api, "/api/v1/pods?limit=3&continue=" + token)
    assert second["metadata"]["resourceVersion"] == rv
    third = get_json(fake_api, "/api/v1/pods?limit=3&continue=" + second["metadata"]["continue"])
    assert "continue" not in third["metadata"] and "remainingItemCount" not in third["metadata"]
    got = [
        (p["metadata"]["namespace"], p["metadata"]["name"])
        for p in first["items"] + second["items"] + third["items"]
    ]
    assert got == sorted(got) and len(got) == 7 and ("b", "p6") in got and ("b", "p99") not in got
    # namespaced + selector: full pages of matches, no remainingItemCount (like the real server)
    page = get_json(fake_api, "/api/v1/namespaces/b/pods?limit=2&labelSelector=!nope")
    assert (
        len(page["items"]) == 2
        and "remainingItemCount" not in page["metadata"]
        and page["metadata"]["continue"]
    )
    # a continue token older than the compaction point has expired
    fake_api.compact()
    st = get_json(fake_api, "/api/v1/pods?limit=3&continue=" + token, expect=410)
    assert (
        st["reason"] == "Expired" and st["code"] == 410 and "continue parameter is too old" in st["message"]
    )
    fresh = get_json(fake_api, "/api/v1/pods?limit=100&continue=" + st["metadata"]["continue"])
    assert ("b", "p99") in [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in fresh["items"]]
    assert get_json(fake_api, "/api/v1/pods?limit=1&continue=garbage", expect=400)["reason"] == "BadRequest"
    st = get_json(fake_api, "/api/v1/pods?limit=1&resourceVersion=5&continue=" + token, expect=400)
    assert st["message"] == "specifying resource version is not allowed when using continue"


def test_resource_versions_on_lists(fake_api):
    fake_api.put(pod("a"))
    old_rv = fake_api.resource_version
    fake_api.put(pod("b"))
    exact = get_json(fake_api, "/api/v1/pods?resourceVersion=%d&resourceVersionMatch=Exact" % old_rv)
    assert names(exact["items"]) == ["a"] and exact["metadata"]["resourceVersion"] == str(old_rv)
    assert names(get_json(fake_api, "/api/v1/pods?resourceVersion=%d" % old_rv)["items"]) == ["a", "b"]
    assert names(get_json(fake_api, "/api/v1/pods?resourceVersion=0")["items"]) == ["a", "b"]
    st = get_json(fake_api, "/api/v1/pods?resourceVersion=999999", expect=504)
    assert st["message"].startswith("Too large resource version")
    fake_api.compact()
    get_json(fake_api, "/api/v1/pods?resourceVersion=%d&resourceVersionMatch=Exact" % old_rv, expect=410)


def test_old_watch_paths_and_status_subresources(cluster_api):
    events = watch_lines(cluster_api, "/api/v1/watch/namespaces/shop/pods?timeoutSeconds=1")
    assert [e["object"]["metadata"]["name"] for e in events] == [WEB_POD]
    assert get_json(cluster_api, "/api/v1/nodes/node-a/status")["metadata"]["name"] == "node-a"
    assert (
        get_json(cluster_api, "/apis/batch/v1/namespaces/batch-jobs/jobs/etl-20240501/status")["kind"]
        == "Job"
    )
    assert http_get(cluster_api, "/api/v1/nodes/node-a/bogus")[0] == 404


def test_table_output(cluster_api):
    accept = {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}
    status, headers, body = http_get(cluster_api, "/api/v1/namespaces/shop/pods", accept)
    assert status == 200 and headers["Content-Type"].startswith("application/json;as=Table")
    table = json.loads(body)
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert [c["name"] for c in table["columnDefinitions"]][:5] == [
        "Name",
        "Ready",
        "Status",
        "Restarts",
        "Age",
    ]
    (row,) = table["rows"]
    assert row["cells"][:3] == [WEB_POD, "3/3", "Running"]  # the native sidecar counts as a container
    assert row["cells"][3].startswith("2 (") and row["cells"][6] == "node-a"
    assert row["object"]["kind"] == "PartialObjectMetadata" and row["object"]["metadata"]["name"] == WEB_POD
    etl = get_json(
        cluster_api, "/api/v1/namespaces/batch-jobs/pods/%s?includeObject=Object" % ETL_POD, accept
    )
    assert etl["rows"][0]["cells"][2] == "Completed" and etl["rows"][0]["object"]["kind"] == "Pod"
    jobs = get_json(cluster_api, "/apis/batch/v1/jobs", accept)
    assert jobs["rows"][0]["cells"][:4] == ["etl-20240501", "Complete", "1/1", "4m12s"]
    evs = get_json(
        cluster_api, "/api/v1/namespaces/batch-jobs/events?fieldSelector=reason%3DScheduled", accept
    )
    assert evs["rows"][0]["cells"][1:4] == ["Normal", "Scheduled", "pod/" + ETL_POD]
    assert evs["rows"][0]["cells"][5] == "default-scheduler, default-scheduler-control-plane"
    nodes = get_json(cluster_api, "/api/v1/nodes", accept)
    assert [r["cells"][:3] for r in nodes["rows"]] == [
        ["node-a", "Ready", "worker"],
        ["virtual-kubelet-cn-shenzhen-f", "Ready", "agent"],
    ]


def test_pod_log(fake_api):
    fake_api.put(pod("one"))
    fake_api.put(pod("two", spec={"containers": [{"name": "a"}, {"name": "b"}]}))
    fake_api.set_log("default", "one", "app", "line 1\nline 2\n")
    status, headers, body = http_get(fake_api, "/api/v1/namespaces/default/pods/one/log?tailLines=1")
    assert status == 200 and body == b"line 2\n" and headers["Content-Type"] == "text/plain"
    st = get_json(fake_api, "/api/v1/namespaces/default/pods/two/log", expect=400)
    assert "a container name must be specified for pod two, choose one of: [a b]" == st["message"]
    assert get_json(fake_api, "/api/v1/namespaces/default/pods/two/log?container=b&previous=true", expect=400)


def test_only_get_is_served_and_every_request_is_logged(fake_api):
    fake_api.put(pod("a"))
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        status, _h, body = http_get(fake_api, "/api/v1/namespaces/default/pods/a", method=method, body=b"{}")
        assert status == 405 and json.loads(body)["reason"] == "MethodNotAllowed"
    assert fake_api.get_object("Pod", "default", "a") is not None
    writes = fake_api.writes()
    assert [w.method for w in writes] == ["POST", "PUT", "PATCH", "DELETE"]
    assert writes[0].body == b"{}" and writes[0].status == 405
    fake_api.reset_log()
    get_json(fake_api, "/api/v1/namespaces/default/pods?labelSelector=a%3Db&limit=5")
    (req,) = fake_api.requests
    method, path, query, headers = req
    assert (method, path, query) == (
        "GET",
        "/api/v1/namespaces/default/pods",
        {"labelSelector": "a=b", "limit": "5"},
    )
    assert headers["host"] == headers["Host"] and req.status == 200
    assert len(fake_api.requests_to(r"/pods$", method="GET")) == 1


# ---------------------------------------------------------------------------------------------------
# watches


def test_watch_from_now_and_from_a_resource_version(fake_api):
    fake_api.put(pod("a", labels={"app": "x"}))
    rv = fake_api.resource_version
    fake_api.put(pod("b", labels={"app": "x"}))
    # no resourceVersion: synthetic ADDED for what exists, then changes
    events = watch_lines(
        fake_api,
        "/api/v1/namespaces/default/pods?watch=1&timeoutSeconds=1",
        on_open=lambda: fake_api.put(pod("c")),
    )
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "a"),
        ("ADDED", "b"),
        ("ADDED", "c"),
    ]
    assert events[0]["object"]["kind"] == "Pod" and events[0]["object"]["apiVersion"] == "v1"
    # from rv: only what happened after it, in order, with the objects' new resourceVersions

    def changes():
        changed = fake_api.get_object("Pod", "default", "a")
        changed["metadata"]["labels"]["app"] = "y"  # leaves the selector: the watcher sees DELETED
        fake_api.put(changed)
        fake_api.delete("Pod", "default", "b")

    events = watch_lines(
        fake_api,
        "/api/v1/namespaces/default/pods?watch=true&resourceVersion=%d"
        "&labelSelector=app%%3Dx&timeoutSeconds=1" % rv,
        on_open=changes,
    )
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "b"),
        ("DELETED", "a"),
        ("DELETED", "b"),
    ]
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert rvs == sorted(rvs) and rvs[-1] == fake_api.resource_version
    assert events[1]["object"]["metadata"]["labels"] == {"app": "x"}  # the last matching state


def test_watch_bookmarks_drops_and_gone(fake_api):
    fake_api.put(pod("a"))
    rv = fake_api.resource_version
    events = watch_lines(
        fake_api,
        "/api/v1/pods?watch=1&resourceVersion=%d&allowWatchBookmarks=true" % rv,
        on_open=lambda: later(0.05, fake_api.bookmark) and later(0.2, fake_api.drop_watches),
    )
    assert events == [
        {
            "type": "BOOKMARK",
            "object": {
                "kind": "Pod",
                "apiVersion": "v1",
                "metadata": {"resourceVersion": str(rv), "creationTimestamp": None},
            },
        }
    ]
    # sendInitialEvents (watch-list): the initial events end with an annotated bookmark
    events = watch_lines(
        fake_api,
        "/api/v1/pods?watch=1&sendInitialEvents=true&allowWatchBookmarks=true"
        "&resourceVersionMatch=NotOlderThan&timeoutSeconds=1",
    )
    assert [e["type"] for e in events] == ["ADDED", "BOOKMARK"]
    assert events[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    # a resourceVersion older than the compaction point: an ERROR event carrying a 410 Status
    fake_api.put(pod("b"))
    fake_api.compact()
    events = watch_lines(fake_api, "/api/v1/pods?watch=1&resourceVersion=%d" % rv)
    assert events == [
        {
            "type": "ERROR",
            "object": {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": "too old resource version: %d (%d)" % (rv, fake_api.resource_version),
                "reason": "Expired",
                "code": 410,
            },
        }
    ]


def test_abrupt_watch_drop(fake_api):
    def drop():
        fake_api.put(pod("x"))
        later(0.1, fake_api.drop_watches, True)

    with pytest.raises((http.client.IncompleteRead, ConnectionError, http.client.HTTPException)):
        watch_lines(
            fake_api, "/api/v1/pods?watch=1&resourceVersion=%d" % fake_api.resource_version, on_open=drop
        )


def test_watch_table_events(cluster_api):
    accept = {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}
    events = watch_lines(cluster_api, "/api/v1/namespaces/shop/pods?watch=1&timeoutSeconds=1", accept)
    (ev,) = events
    assert ev["type"] == "ADDED" and ev["object"]["kind"] == "Table"
    assert ev["object"]["rows"][0]["cells"][0] == WEB_POD and ev["object"]["columnDefinitions"]


# ---------------------------------------------------------------------------------------------------
# faults and auth


def test_forbidden_names_verb_and_resource(cluster_api):
    cluster_api.fail(r"/events$", status=403, times=None)
    st = get_json(cluster_api, "/api/v1/namespaces/shop/events", expect=403)
    assert st["message"] == (
        'events is forbidden: User "test-user" cannot list resource "events" '
        'in API group "" in the namespace "shop"'
    )
    assert st["reason"] == "Forbidden" and st["details"] == {"kind": "events"}
    st = get_json(cluster_api, "/api/v1/events?watch=1", expect=403)
    assert 'cannot watch resource "events" in API group "" at the cluster scope' in st["message"]
    cluster_api.clear_faults()
    cluster_api.fail(r"/jobs/", status=403)
    st = get_json(cluster_api, "/apis/batch/v1/namespaces/batch-jobs/jobs/etl-20240501", expect=403)
    assert st["message"] == (
        'jobs.batch "etl-20240501" is forbidden: User "test-user" cannot get resource '
        '"jobs" in API group "batch" in the namespace "batch-jobs"'
    )
    assert st["details"] == {"name": "etl-20240501", "group": "batch", "kind": "jobs"}
    get_json(cluster_api, "/apis/batch/v1/namespaces/batch-jobs/jobs/etl-20240501")  # times=1 used up


@pytest.mark.parametrize(
    "code, reason",
    [
        (401, "Unauthorized"),
        (404, "NotFound"),
        (410, "Expired"),
        (429, "TooManyRequests"),
        (500, "InternalError"),
        (503, "ServiceUnavailable"),
        (504, "Timeout"),
    ],
)
def test_status_faults(fake_api, code, reason):
    rule = fake_api.fail(r"^/api/v1/pods$", status=code, times=2, method="GET")
    for _ in range(2):
        status, headers, body = http_get(fake_api, "/api/v1/pods")
        st = json.loads(body)
        assert status == code and st["code"] == code and st["reason"] == reason and st["kind"] == "Status"
    assert rule.hits == 2
    if code == 429:
        assert headers["Retry-After"] == "1" and st["details"]["retryAfterSeconds"] == 1
    assert http_get(fake_api, "/api/v1/pods")[0] == 200


def test_fault_options(fake_api):
    fake_api.put(pod("a"))
    fake_api.fail("/pods", status=503, query="limit=", headers={"Retry-After": "3"})
    assert http_get(fake_api, "/api/v1/pods")[0] == 200  # no limit in the query: not matched
    status, headers, _b = http_get(fake_api, "/api/v1/pods?limit=5")
    assert status == 503 and headers["Retry-After"] == "3"
    fake_api.fail("/pods", status=500, method="POST")
    assert http_get(fake_api, "/api/v1/pods")[0] == 200
    fake_api.fail("/pods", body={"kind": "PodList", "items": "surprise"})
    assert get_json(fake_api, "/api/v1/pods")["items"] == "surprise"
    fake_api.fail("/pods", delay=0.3)
    t0 = time.monotonic()
    assert names(get_json(fake_api, "/api/v1/pods")["items"]) == ["a"]
    assert time.monotonic() - t0 >= 0.3


def test_connection_faults(fake_api):
    fake_api.put(pod("a", annotations={"x": "y" * 2000}))
    fake_api.fail("/pods", mode="truncate")
    status, _h, body = http_get(fake_api, "/api/v1/pods")
    assert status == 200
    with pytest.raises(ValueError):
        json.loads(body)
    fake_api.fail("/pods", mode="reset")
    with pytest.raises(
        (http.client.IncompleteRead, ConnectionError, http.client.HTTPException, urllib.error.URLError)
    ):
        http_get(fake_api, "/api/v1/pods")
    fake_api.fail("/pods", mode="close")
    with pytest.raises((ConnectionError, http.client.HTTPException, urllib.error.URLError)):
        http_get(fake_api, "/api/v1/pods")
    fake_api.fail("/pods", delay=5)
    with pytest.raises((socket.timeout, urllib.error.URLError)):
        http_get(fake_api, "/api/v1/pods", timeout=0.3)
    assert http_get(fake_api, "/api/v1/pods")[0] == 200


def test_watch_fault_in_stream(fake_api):
    fake_api.fail("/pods", status=410, in_stream=True)
    events = watch_lines(fake_api, "/api/v1/pods?watch=1&resourceVersion=5")
    assert events[0]["type"] == "ERROR" and events[0]["object"]["code"] == 410
    assert events[0]["object"]["message"] == "too old resource version: 5 (0)"


def test_bearer_token_over_tls(fake_api_tls):
    assert fake_api_tls.url.startswith("https://127.0.0.1:")
    status, _h, body = http_get(fake_api_tls, "/api/v1/pods")
    assert status == 401 and json.loads(body)["message"] == "Unauthorized"
    status, _h, _b = http_get(fake_api_tls, "/api/v1/pods", {"Authorization": "Bearer wrong"})
    assert status == 401
    lst = get_json(fake_api_tls, "/api/v1/pods", {"Authorization": "Bearer " + fake_api_tls.token})
    assert lst["kind"] == "PodList"
    # the certificate is for 127.0.0.1 and signed by the session CA
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(fake_api_tls.url + "/version", timeout=5, context=ssl.create_default_context())


# ---------------------------------------------------------------------------------------------------
# the kubernetes Python client


def test_python_client_lists_and_gets(cluster_api, python_client):
    from kubernetes import client

    api_client = python_client(cluster_api)
    core = client.CoreV1Api(api_client)
    resp = core.list_namespaced_pod("batch-jobs", _preload_content=False)
    data = json.loads(resp.data)
    stored = cluster_api.get_object("Pod", "batch-jobs", ETL_POD)
    assert data["items"] == [{k: v for k, v in stored.items() if k not in ("kind", "apiVersion")}]
    typed = core.read_namespaced_pod_status(ETL_POD, "batch-jobs")
    assert typed.status.init_container_statuses[0].state.terminated.exit_code == 143
    evs = json.loads(
        core.list_namespaced_event(
            "batch-jobs",
            field_selector="involvedObject.name=%s,reason=Started" % ETL_POD,
            _preload_content=False,
        ).data
    )
    assert sorted(e["involvedObject"]["fieldPath"] for e in evs["items"]) == [
        "spec.containers{etl}",
        "spec.initContainers{log-shipper}",
    ]
    jobs = client.BatchV1Api(api_client).list_job_for_all_namespaces(label_selector="app=etl")
    assert [j.metadata.name for j in jobs.items] == ["etl-20240501"]
    ev1 = client.EventsV1Api(api_client).list_namespaced_event(
        "batch-jobs", field_selector="regarding.name=" + ETL_POD, _preload_content=False
    )
    assert len(json.loads(ev1.data)["items"]) == 9
    page = core.list_pod_for_all_namespaces(limit=2)
    assert page.metadata.remaining_item_count == 1
    rest = core.list_pod_for_all_namespaces(limit=2, _continue=page.metadata._continue)
    assert [p.metadata.name for p in page.items + rest.items] == [ACS_POD, ETL_POD, WEB_POD]
    assert client.VersionApi(api_client).get_code().git_version == "v1.30.2"
    assert cluster_api.writes() == []


def test_python_client_watch(fake_api, python_client):
    from kubernetes import client, watch

    core = client.CoreV1Api(python_client(fake_api))
    fake_api.put(pod("a"))
    rv = core.list_namespaced_pod("default").metadata.resource_version

    def changes():
        fake_api.put(pod("b"))
        fake_api.delete("Pod", "default", "a")

    later(0.2, changes)
    seen = [
        (e["type"], e["object"]["metadata"]["name"])
        for e in watch.Watch().stream(
            core.list_namespaced_pod, "default", resource_version=rv, timeout_seconds=1, deserialize=False
        )
    ]
    assert seen == [("ADDED", "b"), ("DELETED", "a")]
    (req,) = [r for r in fake_api.requests if r.is_watch]
    assert req.query["watch"] == "True" and req.query["resourceVersion"] == rv
    assert req.query["timeoutSeconds"] == "1"
    # too old: the client raises the 410 it found in the stream
    fake_api.compact()
    with pytest.raises(client.ApiException) as exc:
        list(
            watch.Watch().stream(core.list_namespaced_pod, "default", resource_version=rv, timeout_seconds=1)
        )
    assert exc.value.status == 410


def test_python_client_errors(fake_api, fake_api_tls, python_client):
    from kubernetes import client

    core = client.CoreV1Api(python_client(fake_api))
    fake_api.fail("/events", status=403)
    with pytest.raises(client.ApiException) as exc:
        core.list_namespaced_event("ns")
    assert exc.value.status == 403 and "cannot list resource" in json.loads(exc.value.body)["message"]
    # TLS with the token in the kubeconfig works; without it: 401
    tls_core = client.CoreV1Api(python_client(fake_api_tls))
    assert tls_core.list_namespaced_pod("default").items == []
    anon = client.CoreV1Api(python_client(fake_api_tls, token=None))
    with pytest.raises(client.ApiException) as exc:
        anon.list_namespaced_pod("default")
    assert exc.value.status == 401


# ---------------------------------------------------------------------------------------------------
# the real kubectl


def _kubectl_json(kubectl, api, *args):
    proc = kubectl(api, *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.kubectl
def test_kubectl_get_pod_json_is_the_stored_object(cluster_api, kubectl):
    got = _kubectl_json(kubectl, cluster_api, "get", "pod", WEB_POD, "-n", "shop", "-o", "json")
    assert got == cluster_api.get_object("Pod", "shop", WEB_POD)
    got = _kubectl_json(kubectl, cluster_api, "get", "job", "etl-20240501", "-n", "batch-jobs", "-o", "json")
    assert got == cluster_api.get_object("Job", "batch-jobs", "etl-20240501")
    assert cluster_api.writes() == []
    assert cluster_api.errors == []


@pytest.mark.kubectl
def test_kubectl_get_events_field_selector(cluster_api, kubectl):
    got = _kubectl_json(
        kubectl,
        cluster_api,
        "get",
        "events",
        "-n",
        "batch-jobs",
        "--field-selector",
        "involvedObject.name=" + ETL_POD,
        "-o",
        "json",
    )
    expected = [
        e
        for e in cluster_api.objects("Event", namespace="batch-jobs")
        if e["involvedObject"]["name"] == ETL_POD
    ]
    assert len(expected) == 9
    assert got["kind"] == "List"
    assert sorted(names(got["items"])) == sorted(names(expected))
    assert sorted(got["items"], key=lambda e: e["metadata"]["name"]) == sorted(
        expected, key=lambda e: e["metadata"]["name"]
    )


@pytest.mark.kubectl
def test_kubectl_describe_pod_shows_containers_and_events(cluster_api, kubectl):
    proc = kubectl(cluster_api, "describe", "pod", ETL_POD, "-n", "batch-jobs")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Init Containers:\n  log-shipper:" in out and "Containers:\n  etl:" in out
    assert "Exit Code:    143" in out
    assert "Successfully assigned batch-jobs/%s to node-a" % ETL_POD in out
    assert "Stopping container log-shipper" in out and "Started container etl" in out
    event_requests = cluster_api.requests_to("/events$")
    assert event_requests and "involvedObject.uid=" in event_requests[0].query["fieldSelector"]
    assert cluster_api.writes() == []


@pytest.mark.kubectl
def test_kubectl_get_with_chunks(cluster_api, kubectl):
    got = _kubectl_json(kubectl, cluster_api, "get", "pods", "-A", "--chunk-size=2", "-o", "json")
    assert names(got["items"]) == [ACS_POD, ETL_POD, WEB_POD]
    pod_requests = cluster_api.requests_to(r"^/api/v1/pods$")
    assert [r.query.get("limit") for r in pod_requests] == ["2", "2"]
    assert "continue" in pod_requests[1].query


@pytest.mark.kubectl
def test_kubectl_get_prints_the_server_table(cluster_api, kubectl):
    proc = kubectl(cluster_api, "get", "pods", "-A")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert lines[2].split()[:4] == ["batch-jobs", ETL_POD, "0/2", "Completed"]
    assert lines[3].split()[:4] == ["shop", WEB_POD, "3/3", "Running"]
    proc = kubectl(cluster_api, "get", "jobs", "-n", "batch-jobs")
    assert proc.stdout.splitlines()[1].split()[:4] == ["etl-20240501", "Complete", "1/1", "4m12s"]
    proc = kubectl(cluster_api, "get", "events", "-n", "analytics")
    assert "Force" not in proc.stdout and "Stopping container sls-agent" in proc.stdout


@pytest.mark.kubectl
def test_kubectl_with_legacy_discovery(fake_api_factory, kubectl):
    api = fake_api_factory([CLUSTER], aggregated_discovery=False)
    got = _kubectl_json(kubectl, api, "get", "jobs.batch", "-A", "-o", "json")
    assert names(got["items"]) == ["etl-20240501"]
    paths = [r.path for r in api.requests]
    assert "/apis/batch/v1" in paths and "/api/v1" in paths


@pytest.mark.kubectl
def test_kubectl_watch(fake_api, kubectl, tmp_path):
    from fakeapi.kubectl import KUBECTL, kubectl_env

    fake_api.put(pod("a"))
    home = tmp_path / "h"
    home.mkdir()
    kc = fake_api.write_kubeconfig(home / "kc")
    proc = subprocess.Popen(
        [KUBECTL, "get", "pods", "--watch", "-o", "json"],
        env=kubectl_env(kc, str(home)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert fake_api.wait_for_watches(1, timeout=20), proc.stderr.read() if proc.poll() is not None else ""
        changed = fake_api.get_object("Pod", "default", "a")
        changed["status"]["phase"] = "Succeeded"
        fake_api.put(changed)
        fake_api.put(pod("b"))
        decoder = json.JSONDecoder()
        buf, objs = "", []
        deadline = time.monotonic() + 10
        while len(objs) < 3 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            buf += line
            try:
                obj, _end = decoder.raw_decode(buf.strip())
            except ValueError:
                continue
            objs.append(obj)
            buf = ""
    finally:
        proc.terminate()
        proc.communicate(timeout=5)
    assert [(o["metadata"]["name"], o["status"]["phase"]) for o in objs] == [
        ("a", "Running"),
        ("a", "Succeeded"),
        ("b", "Running"),
    ]
    (watch_req,) = [r for r in fake_api.requests if r.is_watch]
    assert watch_req.query["watch"] == "true" and watch_req.query["resourceVersion"]


@pytest.mark.kubectl
def test_kubectl_token_over_tls(fake_api_tls, kubectl, kubeconfig):
    fake_api_tls.put(pod("a"))
    proc = kubectl(fake_api_tls, "get", "pods", "-o", "name")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "pod/a"
    assert all(
        r.headers.get("Authorization") == "Bearer " + fake_api_tls.token for r in fake_api_tls.requests
    )
    # (with no credentials at all kubectl would prompt for a username on the 401)
    wrong_token = kubeconfig(fake_api_tls, token="not-the-token")
    proc = kubectl(wrong_token, "get", "pods")
    assert proc.returncode == 1
    assert "error: You must be logged in to the server (Unauthorized)" in proc.stderr
    # a CA the server does not use: kubectl refuses the certificate
    wrong_ca = kubeconfig(fake_api_tls, ca_path=None, insecure=False)
    proc = kubectl(wrong_ca, "get", "pods")
    assert proc.returncode == 1 and "certificate" in proc.stderr


@pytest.mark.kubectl
def test_kubectl_reports_forbidden(cluster_api, kubectl):
    cluster_api.fail("/pods", status=403, times=None)
    proc = kubectl(cluster_api, "get", "pods", "-n", "shop")
    assert proc.returncode == 1
    assert (
        'pods is forbidden: User "test-user" cannot list resource "pods" in API group "" '
        'in the namespace "shop"'
    ) in proc.stderr


@pytest.mark.kubectl
def test_kubectl_multi_file_kubeconfig(fake_api_factory, kubectl, kubeconfig):
    a = fake_api_factory([pod("in-a")])
    b = fake_api_factory([pod("in-b")])
    first = kubeconfig(a, context="ctx-a", cluster="cluster-a", user="user-a")
    second = kubeconfig(b, context="ctx-b", cluster="cluster-b", user="user-b", current_context="ctx-b")
    proc = kubectl(first + os.pathsep + second, "get", "pods", "-o", "name")
    assert proc.stdout.strip() == "pod/in-a"  # the first file to set current-context wins
    proc = kubectl(first + os.pathsep + second, "--context", "ctx-b", "get", "pods", "-o", "name")
    assert proc.stdout.strip() == "pod/in-b"
