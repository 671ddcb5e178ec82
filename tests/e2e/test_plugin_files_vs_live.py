"""timeline and check over the real API give what ``-f`` files of the same objects give.

The objects are dumped from the real server with ``kubectl get job,pod,event -o json`` (and the node),
then the plugin reads the cluster live (as the e2e-plugin user, whose RBAC is the one docs/live.md
gives) and the dump with ``-f``. What may differ, by design, is pinned or stripped:

- the clock: a live run reads "now" (a running container's bar ends there, findings say how long
  ago), files have none (they end at their latest mark). The live runs get their clock pinned to the
  dump's latest mark;
- where the version came from: ``v1.34.4 (server)`` live, ``(flag)`` with ``--cluster-version``;
- findings evidence "the data ends at ..." (files only: they say where their data stops) and "judged at
  ..." (the time a finding rests on: the reading's clock live, the data's latest time from files).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from . import cluster as c
from . import scenarios as sc

VERSION = "v1.34.4"


def _latest_mark(doc: dict) -> str:
    times = [m["time"] for m in doc["marks"]] + [m["lastTime"] for m in doc["marks"] if m.get("lastTime")]
    latest = max(datetime.fromisoformat(t.replace("Z", "+00:00")) for t in times)
    return latest.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _strip_findings(findings: list) -> list:
    out = []
    for f in json.loads(_same_source(json.dumps(findings))):
        f = dict(f)
        f["evidence"] = [e for e in f["evidence"] if not e.startswith(SOURCE_DEPENDENT)]
        out.append(f)
    return out


def _same_source(text: str) -> str:
    return text.replace(f"{VERSION} (server)", f"{VERSION} (flag)")


SOURCE_DEPENDENT = ("the data ends at ", "judged at ")


def _table_lines(text: str) -> list[str]:
    """The lines of a text output without the evidence items that say where "now" came from (an item
    and its continuation lines, which are indented deeper than its "- ")."""
    out: list[str] = []
    skip_under: int | None = None
    for line in _same_source(text).splitlines():
        body = line.lstrip()
        indent = len(line) - len(body)
        if skip_under is not None and indent > skip_under and not body.startswith("- "):
            continue
        skip_under = None
        item = body[2:] if body.startswith("- ") else body
        if item.startswith(SOURCE_DEPENDENT) or any(f" {m}" in line for m in SOURCE_DEPENDENT[:1]):
            skip_under = indent
            continue
        out.append(line)
    return out


def dump(cluster: c.Cluster, tmp: Path, s: sc.Scenario) -> list[str]:
    """``kubectl get job,pod,event -o json`` of the scenario's namespace, and its nodes."""
    ns_file, node_file = tmp / f"{s.namespace}.json", tmp / f"{s.namespace}-nodes.json"
    ns_file.write_text(cluster.kubectl("get", "job,pod,event", "-n", s.namespace, "-o", "json").stdout)
    if not s.nodes:
        return ["-f", str(ns_file)]
    node_file.write_text(cluster.kubectl("get", "node", *s.nodes, "-o", "json").stdout)
    return ["-f", str(ns_file), "-f", str(node_file)]


@pytest.fixture(scope="module")
def fresh_scenarios(admin_api: c.Api) -> dict[str, sc.Scenario]:
    """The same Jobs with times of today (the seed ones are dated 2024 while the apiserver stamps
    creationTimestamp now, so their timelines start with a clock-skew note)."""
    base = (datetime.now(timezone.utc) - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = {}
    for name, build in (
        ("native-seed", sc.build_native_seed_job),
        ("unmarked-sidecar", sc.build_unmarked_sidecar_job),
        ("stale-legacy-sidecar", sc.build_stale_legacy_sidecar_job),
    ):
        ns = c.create_namespace(admin_api, f"fresh-{name}")["metadata"]["name"]
        out[f"fresh-{name}"] = build(admin_api, ns, base=base)
    ns = c.create_namespace(admin_api, "refused")["metadata"]["name"]
    out["refused-native-sidecar"] = sc.build_refused_native_sidecar_job(admin_api, ns, base=base)
    return out


WITH_PODS = list(sc.ALL_SMALL_BUILDERS) + [
    "fresh-native-seed",
    "fresh-unmarked-sidecar",
    "fresh-stale-legacy-sidecar",
]
ALL = WITH_PODS + ["refused-native-sidecar"]


def _scenario(name, e2e_scenarios, extra) -> sc.Scenario:
    return extra[name] if name in extra else e2e_scenarios[name]


@pytest.fixture(params=WITH_PODS)
def scenario(request, e2e_scenarios, fresh_scenarios) -> sc.Scenario:
    return _scenario(request.param, e2e_scenarios, fresh_scenarios)


@pytest.fixture(params=ALL)
def any_scenario(request, e2e_scenarios, fresh_scenarios) -> tuple[str, sc.Scenario]:
    return request.param, _scenario(request.param, e2e_scenarios, fresh_scenarios)


def test_timeline_live_equals_files(scenario, e2e_cluster, sidecar, tmp_path):
    s = scenario
    pod, ns = s.pod["metadata"]["name"], s.namespace
    files = dump(e2e_cluster, tmp_path, s)
    outputs = ("table", "wide", "json")
    offline = dict(
        zip(
            outputs,
            sidecar.run_all(
                [
                    (
                        ("timeline", pod, "-n", ns, *files, "--cluster-version", VERSION, "-o", o),
                        {"user": None},
                    )
                    for o in outputs
                ]
            ),
        )
    )
    for r in offline.values():
        assert r.returncode == 0, r
    now = _latest_mark(offline["json"].json())
    live = dict(
        zip(outputs, sidecar.run_all([(("timeline", pod, "-n", ns, "-o", o), {"now": now}) for o in outputs]))
    )
    for r in live.values():
        assert r.returncode == 0, r

    assert _same_source(live["table"].stdout) == offline["table"].stdout
    assert live["table"].notes == offline["table"].notes  # nothing forbidden for the documented RBAC
    # -o wide prints the findings' evidence: only where "now" came from may differ
    assert _table_lines(live["wide"].stdout) == _table_lines(offline["wide"].stdout)

    doc_live, doc_off = live["json"].json(), offline["json"].json()
    assert (doc_live["cluster"].pop("versionSource"), doc_off["cluster"].pop("versionSource")) == (
        "server",
        "flag",
    )
    assert doc_live["cluster"]["version"] == VERSION and doc_live["cluster"]["nativeSidecars"] is True
    for key in ("pod", "cluster", "origin", "containers", "marks", "events", "notes"):
        assert doc_live[key] == doc_off[key], key
    assert _strip_findings(doc_live["findings"]) == _strip_findings(doc_off["findings"])
    assert doc_live["events"] == {"state": "listed", "count": len(s.events)}


def test_check_live_equals_files(any_scenario, e2e_cluster, sidecar, tmp_path):
    """Targets job/NAME, NAME, pod/NAME and the whole namespace, as JSON; the job's table too."""
    _name, s = any_scenario
    ns, job = s.namespace, s.job["metadata"]["name"]
    files = dump(e2e_cluster, tmp_path, s)
    if s.pods:
        pod = s.pod["metadata"]["name"]
        tl = sidecar.run(
            "timeline", pod, "-n", ns, *files, "--cluster-version", VERSION, "-o", "json", user=None
        )
        now = _latest_mark(tl.json())
        targets = ([f"job/{job}"], [job], [f"pod/{pod}"], [])
    else:
        now = s.job["status"]["startTime"]
        targets = ([f"job/{job}"], [job], [], [])
    wanted = [(t, "json") for t in targets] + [(targets[0], "table"), (targets[3], "table")]
    offline = sidecar.run_all(
        [
            (("check", *t, "-n", ns, *files, "--cluster-version", VERSION, "-o", o), {"user": None})
            for t, o in wanted
        ]
    )
    live = sidecar.run_all([(("check", *t, "-n", ns, "-o", o), {"now": now}) for t, o in wanted])
    for off, lv in zip(offline, live):
        assert off.returncode in (0, 1), off
        assert lv.returncode == off.returncode, (lv, off)
        if "json" in off.args:
            a, b = lv.json(), off.json()
            assert (a["cluster"].pop("versionSource"), b["cluster"].pop("versionSource")) == (
                "server",
                "flag",
            )
            assert a["target"].pop("namespace") is None and b["target"].pop("namespace") == ns
            for key in ("target", "cluster", "jobs", "pods", "summary", "notes"):
                assert a[key] == b[key], (off.args, key)
            assert _strip_findings(a["findings"]) == _strip_findings(b["findings"]), off.args
        else:  # the table: its evidence lines aside
            assert _table_lines(lv.stdout) == _table_lines(off.stdout), off.args


EXPECTED_CODES = {
    # what each scenario shows on this 1.34 server (live and from files alike)
    "acs-seed": ({"SC005", "SC007", "SC010"}, 0),
    "native-seed": ({"SC010"}, 0),
    "unmarked-sidecar": ({"SC003"}, 1),
    "stale-legacy-sidecar": ({"SC004", "SC005", "SC008"}, 0),
    "fresh-native-seed": ({"SC010"}, 0),
    "fresh-unmarked-sidecar": ({"SC003"}, 1),
    "fresh-stale-legacy-sidecar": ({"SC004", "SC005", "SC008"}, 0),
    "refused-native-sidecar": ({"SC006"}, 1),
}


def test_findings_of_each_scenario(any_scenario, sidecar):
    """The failure modes are found over the real API: forced exit code and legacy marker (ACS seed),
    ignored SIGTERM (native seed), a Job blocked by an unmarked sidecar (exit 1), a stale legacy status
    with restarts. No SC003 for the stale one: its exited sidecar is not an app that exited (a bug
    this tier found), and a Job whose pods the API server refused is found by its own FailedCreate
    events (SC006 on the Job: another bug this tier found, live check never read a Job's events)."""
    name, s = any_scenario
    codes, exit_code = EXPECTED_CODES[name]
    r = sidecar.run("check", s.job["metadata"]["name"], "-n", s.namespace, "-o", "json")
    assert r.returncode == exit_code, r
    doc = r.json()
    assert set(doc["summary"]["byCode"]) == codes, doc["summary"]
    assert doc["cluster"] == {"version": VERSION, "versionSource": "server", "nativeSidecars": True}
    if s.name == "stale-legacy-sidecar":
        (sc004,) = [f for f in doc["findings"] if f["code"] == "SC004"]
        exp = s.expect["stale"]["sidecar"]
        assert exp["status_finished_at"] in sc004["message"] and exp["last_started_event"] in sc004["message"]
    if s.name == "acs-seed":
        (sc007,) = [f for f in doc["findings"] if f["code"] == "SC007"]
        assert "137" in sc007["message"] and re.search(r"reason Error", sc007["message"])
    if s.name == "unmarked-sidecar":
        (sc003,) = doc["findings"]
        assert sc003["container"] == "log-shipper" and sc003["job"] == s.job["metadata"]["name"]
    assert json.dumps(doc).count("forbidden") == 0
    if name == "refused-native-sidecar":
        (sc006,) = doc["findings"]
        assert (sc006["pod"], sc006["job"], sc006["container"]) == (
            None,
            s.job["metadata"]["name"],
            "sidecar",
        )
        note = (
            f"Job {s.job['metadata']['name']} has no pods (not created yet, or deleted, e.g. by "
            "ttlSecondsAfterFinished): only its status and events were checked"
        )
        assert doc["jobs"][0]["pods"] == [] and r.notes == [note]
