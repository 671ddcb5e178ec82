"""The API stand-in's pure parts (tests/fakeapi): label and field selectors, apimachinery's durations,
loading kubectl output. No server here: the served behaviour is tested in
tests/integration/test_fakeapi.py."""

import json
import os

import pytest
from fakeapi import DATA_DIR, SelectorError, load_objects, parse_field_selector, parse_label_selector
from fakeapi.selectors import label_selector_matches
from fakeapi.tables import human_duration

CLUSTER = os.path.join(DATA_DIR, "cluster.json")
ACS = os.path.join(DATA_DIR, "acs-pod.yaml")


def names(items):
    return [i["metadata"]["name"] for i in items]


def pod(name):
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": {}},
        "spec": {"nodeName": "node-a", "containers": [{"name": "app", "image": "busybox"}]},
        "status": {"phase": "Running"},
    }


# ---------------------------------------------------------------------------------------------------
# selectors


@pytest.mark.parametrize(
    "selector, labels, expected",
    [
        ("app=web", {"app": "web"}, True),
        ("app==web", {"app": "web"}, True),
        ("app=web", {"app": "db"}, False),
        ("app!=web", {"app": "db"}, True),
        ("app!=web", {}, True),  # != matches objects without the label
        ("app!=web", {"app": "web"}, False),
        ("app in (web, db)", {"app": "db"}, True),
        ("app in (web,db)", {"app": "api"}, False),
        ("app notin (web,db)", {"app": "api"}, True),
        ("app notin (web,db)", {}, True),
        ("app notin (web,db)", {"app": "web"}, False),
        ("app", {"app": ""}, True),
        ("app", {}, False),
        ("!app", {}, True),
        ("!app", {"app": "x"}, False),
        ("app=web,tier in (frontend),!legacy", {"app": "web", "tier": "frontend"}, True),
        ("app=web,tier in (frontend),!legacy", {"app": "web", "tier": "frontend", "legacy": "1"}, False),
        ("batch.kubernetes.io/job-name=etl-1", {"batch.kubernetes.io/job-name": "etl-1"}, True),
        ("gen>3", {"gen": "4"}, True),
        ("gen<3", {"gen": "4"}, False),
        ("app=", {"app": ""}, True),
        ("", {"anything": "x"}, True),
    ],
)
def test_label_selector(selector, labels, expected):
    assert label_selector_matches(parse_label_selector(selector), labels) is expected


@pytest.mark.parametrize(
    "selector",
    ["app in web", "app=(x)", "=x", "app=a b", "app in ()", "a,", "bad key!=1", "-x=1", "app=" + "v" * 64],
)
def test_label_selector_errors(selector):
    with pytest.raises(SelectorError):
        parse_label_selector(selector)


def test_field_selector_parsing():
    assert parse_field_selector("status.phase=Running,spec.nodeName!=node-a,metadata.name==x") == [
        ("status.phase", "=", "Running"),
        ("spec.nodeName", "!=", "node-a"),
        ("metadata.name", "=", "x"),
    ]
    assert parse_field_selector(r"involvedObject.fieldPath=spec.containers{a\,b},reason=a\=b") == [
        ("involvedObject.fieldPath", "=", "spec.containers{a,b}"),
        ("reason", "=", "a=b"),
    ]
    assert parse_field_selector("spec.nodeName=") == [("spec.nodeName", "=", "")]
    assert parse_field_selector("") == []
    with pytest.raises(SelectorError):
        parse_field_selector("status.phase")
    with pytest.raises(SelectorError):
        parse_field_selector(r"reason=a\x")


def test_human_duration_matches_apimachinery():
    cases = {
        0: "0s",
        59: "59s",
        119: "119s",
        120: "2m",
        125: "2m5s",
        600: "10m",
        3 * 3600: "3h",
        3 * 3600 + 60: "3h1m",
        9 * 3600: "9h",
        50 * 3600: "2d2h",
        10 * 86400: "10d",
        800 * 86400: "2y70d",
    }
    for seconds, text in cases.items():
        assert human_duration(seconds) == text, seconds


# ---------------------------------------------------------------------------------------------------
# loading


def test_load_objects_reads_kubectl_output_shapes(tmp_path):
    objs = load_objects([CLUSTER, ACS])
    kinds = [o["kind"] for o in objs]
    assert kinds.count("Pod") == 3 and kinds.count("Job") == 1 and kinds.count("Node") == 2
    assert kinds.count("Event") == 11 + 5 + 3
    # a raw API list: items without kind/apiVersion
    raw = tmp_path / "raw.json"
    raw.write_text(
        json.dumps(
            {
                "kind": "PodList",
                "apiVersion": "v1",
                "metadata": {},
                "items": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}],
            }
        )
    )
    loaded = load_objects(raw)
    assert [(o["kind"], o["apiVersion"], o["metadata"]["name"]) for o in loaded] == [
        ("Pod", "v1", "a"),
        ("Pod", "v1", "b"),
    ]
    # dicts, a single object file, several JSON documents in a row
    single = tmp_path / "one.json"
    single.write_text(json.dumps(pod("x")) + "\n" + json.dumps(pod("y")))
    assert names(load_objects([pod("d"), str(single)])) == ["d", "x", "y"]
