"""Pictures to share (render/pictures): SVG, HTML, Mermaid and Chrome trace, in-process and pure.

What a browser must see (geometry, screenshots, Mermaid's own parser, no request) is checked in
tests/integration/test_browser_pictures.py; here: the files' structure, escaping, the times they carry
against the timeline's, goldens, and the CLI wiring (formats, --output-file, demo, check -o html).
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
import yaml
from builders import container, event, job, pod, status, terminated
from click.testing import CliRunner

from kubectl_sidecar import app, demo
from kubectl_sidecar.cli import cli
from kubectl_sidecar.model import RunState
from kubectl_sidecar.render.pictures import render_picture
from kubectl_sidecar.render.pictures.layout import build_layout
from kubectl_sidecar.render.pictures.mermaid import mermaid_text
from kubectl_sidecar.render.pictures.text import xml_escape
from kubectl_sidecar.snapshot import Snapshot

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
SCENARIOS = [
    s["name"] for s in yaml.safe_load((ROOT / "kubectl_sidecar" / "demo" / "index.yaml").read_text())
]
CORPUS = ROOT / "tests" / "corpus" / "files"
SVG_NS = "{http://www.w3.org/2000/svg}"
README_IMAGE = ROOT / "docs" / "images" / "acs-forced-exit.svg"

# The Trace Event format's complete (X), instant (i) and metadata (M) events, as chrome://tracing and
# Perfetto read them (docs: "Trace Event Format", Google, the JSON Object Format).
TRACE_SCHEMA = {
    "type": "object",
    "required": ["traceEvents"],
    "properties": {
        "traceEvents": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["ph", "pid", "tid", "name"],
                "properties": {
                    "ph": {"enum": ["X", "i", "M"]},
                    "pid": {"type": "integer"},
                    "tid": {"type": "integer", "minimum": 0},
                    "name": {"type": "string"},
                    "cat": {"type": "string"},
                    "ts": {"type": "integer"},
                    "dur": {"type": "integer", "minimum": 0},
                    "s": {"enum": ["g", "p", "t"]},
                    "args": {"type": "object"},
                },
                "allOf": [
                    {"if": {"properties": {"ph": {"const": "X"}}}, "then": {"required": ["ts", "dur"]}},
                    {"if": {"properties": {"ph": {"const": "i"}}}, "then": {"required": ["ts", "s"]}},
                    {"if": {"properties": {"ph": {"const": "M"}}}, "then": {"required": ["args"]}},
                ],
            },
        },
        "displayTimeUnit": {"enum": ["ms", "ns"]},
        "otherData": {"type": "object"},
    },
}


def run(*args):
    env = {"COLUMNS": "100", "NO_COLOR": "", "TZ": "UTC", "KUBECTL_SIDECAR_DEBUG": ""}
    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:
        runner = CliRunner()
    return runner.invoke(cli, list(args), env=env, catch_exceptions=False)


def demo_result(name):
    scenario = next(s for s in demo.load_index() if s.name == name)
    snapshot = demo.load_snapshot(scenario)
    return app.timeline_for_pod(snapshot, snapshot.find_pod(scenario.pod))


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text)
    assert path.exists(), f"missing golden file {path}: run with UPDATE_GOLDEN=1 and review the diff"
    assert text == path.read_text()


def hostile_result():
    """A pod whose names, reasons and messages try to break out of XML, HTML, Mermaid and JSON."""
    evil = "<script>alert(1)</script>&\"'\x1b]0;x\x07\u202e\ufffe"
    p = pod(
        name="evil-pod",
        containers=[container("app"), container("side", env={"__IS_SIDECAR__": "true"})],
        statuses=[
            status("app", terminated(2, 10, code=1, reason=evil, message=f"line one\n{evil}")),
            status(
                "side", terminated(1, 12, code=0, message="Force this container to be success(137, Error, )")
            ),
        ],
        phase="Failed",
        job="x]]><!--",
    )
    events = [event("Killing", container="side", at=10, pod_name="evil-pod", message=f"Stopping {evil}:#;")]
    snapshot = Snapshot()
    snapshot.add_objects([p, *events, job(name="x]]><!--", start=0)])
    return app.timeline_for_pod(snapshot, snapshot.find_pod("evil-pod"))


# ------------------------------------------------------------------------------------------ SVG


def parse_svg(text: str) -> ET.Element:
    root = ET.fromstring(text.encode())
    assert root.tag == f"{SVG_NS}svg"
    return root


def assert_self_contained_svg(root: ET.Element) -> None:
    for element in root.iter():
        assert element.tag not in (f"{SVG_NS}script", f"{SVG_NS}foreignObject", f"{SVG_NS}image"), element.tag
        for key, value in element.attrib.items():
            assert not key.startswith("on"), key
            if key.endswith("href"):
                assert value.startswith("#"), value
            assert "url(" not in value or re.fullmatch(r"url\(#[\w-]+\)", value), value


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_svg_matches_golden_and_is_self_contained(scenario):
    result = run("demo", scenario, "-o", "svg")
    assert result.exit_code == 0, result.stderr
    root = parse_svg(result.stdout)
    assert_self_contained_svg(root)
    check_golden(f"demo-{scenario}.svg", result.stdout)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_svg_bars_are_placed_at_the_runs_times(scenario):
    """Each run's bar starts at its startedAt and spans to its finishedAt, on one scale read from the
    axis ticks (a bar drawn at the wrong time or width fails)."""
    res = demo_result(scenario)
    root = parse_svg(render_picture(res, "svg"))
    ticks = [
        (float(g.get("data-t")), float(g.find(f"{SVG_NS}line").get("x1")))
        for g in root.iter()
        if g.get("class") == "tick"
    ]
    assert len(ticks) >= 3
    (t0, x0), (t1, x1) = ticks[0], ticks[-1]
    scale = (x1 - x0) / (t1 - t0)
    origin = res.timeline.origin
    rows = {g.get("data-container"): g for g in root.iter() if g.get("class") == "row"}
    assert list(rows) == [c.name for c in res.timeline.containers]
    for ct in res.timeline.containers:
        runs = [r for r in ct.runs if r.state != RunState.IMPLIED and r.started_at is not None]
        groups = [g for g in rows[ct.name] if g.get("class") == "run"]
        assert len(groups) == len(runs)
        for run_, group in zip(runs, groups):
            rects = [r for r in group if r.get("class", "").startswith("seg ")]
            left = min(float(r.get("x")) for r in rects)
            right = max(float(r.get("x")) + float(r.get("width")) for r in rects)
            start = (run_.started_at - origin).total_seconds()
            assert left == pytest.approx(x0 + (start - t0) * scale, abs=0.02)
            if run_.finished_at is not None:
                duration = (run_.finished_at - run_.started_at).total_seconds()
                assert right - left == pytest.approx(max(duration * scale, 1.0), abs=0.05)


def test_svg_labels_every_container_role_exit_and_stop():
    root = parse_svg(render_picture(demo_result("acs-forced-exit"), "svg"))
    text = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG_NS}text"))
    for label in ("app", "sidecar", "sidecar/acs", "exit 0", "exit 0, forced (137)", "stop requested"):
        assert label in text
    for label in ("job started", "scheduled", "initialized", "completed", "job completed"):
        assert label in text
    assert "Kubernetes v1.28.15-aliyun.1" in text and "Job test" in text and "pod test-729nd" in text
    titles = [t.text for t in root.iter(f"{SVG_NS}title")]
    assert any("2024-10-29T03:25:13Z" in t and "real exit was 137" in t for t in titles)


def test_svg_escapes_cluster_text():
    text = render_picture(hostile_result(), "svg")
    root = parse_svg(text)  # well-formed XML despite <, &, quotes, ESC, BEL, U+FFFE
    assert_self_contained_svg(root)
    assert "<script" not in text and "\x1b" not in text and "\ufffe" not in text and "\u202e" not in text
    assert "&lt;script&gt;" in text and "^[]0;x^G" in text and "\\u202e" in text


def test_xml_escape_keeps_line_feeds_only_when_asked():
    assert xml_escape("a\nb<") == "a\\nb&lt;"
    assert xml_escape("a\nb<", lines=True) == "a\nb&lt;"


def test_readme_image_is_the_current_svg_of_the_seed_example():
    """docs/images/acs-forced-exit.svg is what `demo acs-forced-exit -o svg` draws today."""
    expected = run("demo", "acs-forced-exit", "-o", "svg").stdout
    if UPDATE:
        README_IMAGE.parent.mkdir(exist_ok=True)
        README_IMAGE.write_text(expected)
    assert README_IMAGE.read_text() == expected, "stale: run with UPDATE_GOLDEN=1 and review the diff"
    assert "docs/images/acs-forced-exit.svg" in (ROOT / "README.md").read_text()


# ------------------------------------------------------------------------------------------ HTML


class PageParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(tag, k, v) for k, v in attrs]

    def handle_data(self, data):
        self.text.append(data)


def parse_page(text: str) -> PageParser:
    parser = PageParser()
    parser.feed(text)
    parser.close()
    assert "script" not in parser.tags and "iframe" not in parser.tags and "link" not in parser.tags
    for tag, key, value in parser.attrs:
        assert not key.startswith("on"), (tag, key)
        if key in ("href", "src", "xlink:href", "action"):
            assert (value or "").startswith("#"), (tag, key, value)
    assert ("meta", "http-equiv", "Content-Security-Policy") in parser.attrs
    return parser


def test_html_page_holds_chart_findings_and_every_mark():
    result = run("demo", "acs-forced-exit", "-o", "html")
    assert result.exit_code == 0
    page = parse_page(result.stdout)
    text = " ".join(page.text)
    res = demo_result("acs-forced-exit")
    assert page.tags.count("svg") == 1
    assert page.tags.count("tr") == len(res.timeline.marks) + 1
    for finding in res.findings:
        assert finding.code in text and finding.doc in text and finding.evidence[0] in text
    assert "2024-10-29T03:24:18.213471Z" in text  # exact times, microseconds kept


def test_html_escapes_cluster_text():
    text = render_picture(hostile_result(), "html")
    parse_page(text)
    assert "<script" not in text and "\x1b" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_check_html_puts_pods_with_errors_first(tmp_path):
    names = ("sc001-native-probe-waited.yaml", "sc002-sidecar-oomkilled.yaml", "sc003-deadline-exceeded.yaml")
    files = [arg for n in names for arg in ("-f", str(ROOT / "tests" / "data" / "checks" / n))]
    result = run("check", *files, "-A", "-o", "html", "--fail-on", "info")
    assert result.exit_code == 1, result.stderr
    page = parse_page(result.stdout)
    assert "script" not in page.tags
    json_report = json.loads(run("check", *files, "-A", "-o", "json").stdout)
    pods = {f["pod"] for f in json_report["findings"] if f["pod"]}
    assert pods and all(p in result.stdout for p in pods)
    severities = re.findall(r'<details class="pod"[^>]*><summary>.*?</details>', result.stdout, re.S)
    worst = [("error" if 'class="finding error"' in s else "other") for s in severities]
    assert worst == sorted(worst, key=lambda w: w != "error") and "error" in worst
    assert result.stdout.count("<svg") == len(severities)


def test_output_file_is_written_whole_and_stdout_stays_empty(tmp_path):
    target = tmp_path / "out.svg"
    result = run("demo", "native", "-o", "svg", "--output-file", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert target.read_text() == run("demo", "native", "-o", "svg").stdout
    assert [p.name for p in tmp_path.iterdir()] == ["out.svg"]


def test_output_file_in_a_missing_folder_is_one_sentence_exit_2(tmp_path):
    result = run("demo", "native", "-o", "svg", "--output-file", str(tmp_path / "no" / "x.svg"))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "cannot write --output-file" in result.stderr


def test_demo_picture_needs_one_scenario():
    result = run("demo", "-o", "svg")
    assert result.exit_code == 2 and result.stdout == ""
    assert "draws one scenario" in result.stderr


# ------------------------------------------------------------------------------------------ Mermaid


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_mermaid_matches_golden(scenario):
    result = run("demo", scenario, "-o", "mermaid")
    assert result.exit_code == 0
    assert result.stdout.startswith("```mermaid\ngantt\n") and result.stdout.endswith("```\n")
    check_golden(f"demo-{scenario}.mermaid.md", result.stdout)


def test_mermaid_task_lines_hold_no_separator_of_their_own():
    text = render_picture(hostile_result(), "mermaid")
    for line in text.splitlines()[1:-1]:
        if ":" in line and not line.lstrip().startswith(("title", "axisFormat")):
            name, _, rest = line.partition(":")
            assert not re.search(r"[#;<>&\"']", name), line
            assert re.fullmatch(r"((done|active|crit|milestone), )*t\d+, \d+, \d+", rest), line
    assert mermaid_text("a:b#c;d\ne<f>") == "a b c d e f"


def test_mermaid_times_are_the_runs_times():
    res = demo_result("acs-forced-exit")
    text = render_picture(res, "mermaid")
    side = next(c for c in res.timeline.containers if c.name == "sidecar").runs[0]
    start, end = (int(t.timestamp() * 1000) for t in (side.started_at, side.finished_at))
    lines = text.split("section sidecar", 1)[1].splitlines()
    assert any(
        line.strip().startswith("run 1 :done,") and line.endswith(f"{start}, {int(start + 11000)}")
        for line in lines
    )
    assert any(line.strip().startswith("stopping :crit,") and line.endswith(f", {end}") for line in lines)


# ------------------------------------------------------------------------------------------ trace


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_trace_is_valid_and_its_times_are_the_timeline_times(scenario):
    res = demo_result(scenario)
    result = run("demo", scenario, "-o", "trace")
    assert result.exit_code == 0
    trace = json.loads(result.stdout)
    jsonschema.validate(trace, TRACE_SCHEMA)
    timeline = res.timeline
    zero = timeline.origin + timedelta(seconds=build_layout(timeline).lo)
    assert trace["otherData"]["zero"].startswith(zero.strftime("%Y-%m-%dT%H:%M:%S"))

    def micros(t):
        return round((t - zero).total_seconds() * 1e6)

    events = trace["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    assert [names[i + 1].split(" ")[0] for i in range(len(timeline.containers))] == [
        c.name for c in timeline.containers
    ]
    for index, ct in enumerate(timeline.containers):
        runs = [r for r in ct.runs if r.state != RunState.IMPLIED and r.started_at is not None]
        slices = [
            e for e in events if e["ph"] == "X" and e["tid"] == index + 1 and e["name"].startswith("run ")
        ]
        assert len(slices) == len(runs)
        for run_, piece in zip(runs, slices):
            assert piece["ts"] == micros(run_.started_at)
            if run_.finished_at is not None:
                assert piece["ts"] + piece["dur"] == micros(run_.finished_at)
        for child in (
            e for e in events if e["ph"] == "X" and e["tid"] == index + 1 and e["name"] == "stopping"
        ):
            parent = next(s for s in slices if s["ts"] <= child["ts"] <= s["ts"] + s["dur"])
            assert child["ts"] + child["dur"] <= parent["ts"] + parent["dur"]
    instants = [e for e in events if e["ph"] == "i"]
    assert [e["ts"] for e in instants] == [micros(m.time) for m in timeline.marks]


def test_trace_escapes_what_a_terminal_would_run():
    text = render_picture(hostile_result(), "trace")
    assert "\x1b" not in text and "\u202e" not in text
    assert json.loads(text)["otherData"]["pod"] == "evil-pod"


# ------------------------------------------------------------------------------------------ corpus


@pytest.mark.parametrize("output", ["svg", "html", "mermaid", "trace"])
def test_every_usable_corpus_file_draws(output):
    from unit.test_corpus_files import EXPECTED, RENDERS

    for name in sorted(n for n, e in EXPECTED.items() if e == RENDERS):
        result = run("timeline", "-f", str(CORPUS / name), "-o", output)
        assert result.exit_code == 0, (name, result.stderr)
        if output == "svg":
            assert_self_contained_svg(parse_svg(result.stdout))
        elif output == "html":
            parse_page(result.stdout)
        elif output == "trace":
            jsonschema.validate(json.loads(result.stdout), TRACE_SCHEMA)
