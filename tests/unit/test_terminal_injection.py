"""Terminal escape injection (issue 12): text from a cluster or a file reaches a terminal made visible.

A hostile snapshot carries OSC (window title, OSC 8 hyperlinks), CSI (clear screen), CR, LF, BEL, DEL,
C1 (one-byte CSI and OSC) and bidi overrides in event messages and reasons, termination reasons and
messages, a container name, the pod name, annotation values and the node name; a YAML file carries the
same with YAML's own escapes (``"\\e[2J"``). Every text output (the timeline table, ``-o wide``, the
Gantt chart, ``check``, ``--watch`` rows, notes on stderr) must hold no control, DEL, C1 or bidi
character, except newlines and, with colour on, our own SGR sequences; the visible forms (``^[``,
``\\r``) must be there, in aligned columns. ``-o json`` and ``-o yaml`` keep the exact values and
escape them in their own syntax, so their text holds no such character either.

The oracles here are written out by hand (``VISIBLE_HEAD``, ``FORBIDDEN``): none calls the sanitiser.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import yaml
from clirunner import cli_runner

from kubectl_sidecar.cli import cli
from kubectl_sidecar.snapshot import Snapshot

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "kubectl_sidecar" / "demo" / "acs-legacy-forced-exit.yaml"
ESCAPES = Path(__file__).resolve().parents[1] / "corpus" / "files" / "hostile-escapes.yaml"

HOSTILE = (
    "\x1b]0;pwned\x07"  # OSC: set the window title
    "\x1b]8;;http://evil.example/\x07link\x1b]8;;\x07"  # OSC 8: a hidden hyperlink
    "\x1b[2J"  # CSI: clear the screen
    "\rFAKE ROW\n"  # CR and LF: a fake table row
    "\x07\x7f"  # BEL, DEL
    "\x9b31m\x9d0;t\x9c"  # C1: one-byte CSI, one-byte OSC, ST
    "\u202eevil\u202c\u2066iso\u2069"  # bidi override and isolate
)
# What the start of HOSTILE looks like once made visible (up to its first space, where text may wrap).
VISIBLE_HEAD = "^[]0;pwned^G^[]8;;http://evil.example/^Glink^[]8;;^G^[[2J\\rFAKE"
VISIBLE_TAIL = "\\n^G^?\\u009b31m\\u009d0;t\\u009c\\u202eevil\\u202c\\u2066iso\\u2069"

POD = "test-729nd" + HOSTILE
SIDECAR = "side" + HOSTILE + "car"
NODE = "virtual-kubelet-cn-shenzhen-f" + HOSTILE
APP_REASON = "Completed" + HOSTILE
APP_MESSAGE = "done" + HOSTILE
KILL_MESSAGE = "Stopping " + HOSTILE
ODD_REASON = "Odd" + HOSTILE
ANNOTATION = "eci-" + HOSTILE
GHOST = "ghost" + HOSTILE  # a status the spec does not declare: its name reaches a note
ODD_KIND = "Widget" + HOSTILE  # an object of an unknown kind: its kind reaches a note

# No C0 control but LF, no DEL, no C1, no bidi control, no lone surrogate.
FORBIDDEN = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f\x80-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
SGR = re.compile("\x1b\\[[0-9;]*m")
CLEAR_SCREEN = "\x1b[H\x1b[2J"


def _rewrite(value):
    """The demo scenario with hostile names: the pod, the sidecar container and the node renamed."""
    if isinstance(value, dict):
        return {key: _rewrite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rewrite(item) for item in value]
    if isinstance(value, str):
        if value == "sidecar":
            return SIDECAR
        value = value.replace("test-729nd", POD).replace("virtual-kubelet-cn-shenzhen-f", NODE)
        return value.replace("{sidecar}", "{" + SIDECAR + "}").replace(
            "container sidecar", "container " + SIDECAR
        )
    return value


def hostile_items(*, finished: bool = True) -> list[dict]:
    """The seed scenario (an ACS Job: pod, events, node) with hostile text in every field the brief names."""
    items = _rewrite(yaml.safe_load(DEMO.read_text())["items"])
    pod = next(i for i in items if i["kind"] == "Pod")
    pod["metadata"]["annotations"]["k8s.aliyun.com/eci-instance-id"] = ANNOTATION
    pod["metadata"]["annotations"]["ProviderCreate"] = HOSTILE
    app, sidecar = pod["status"]["containerStatuses"]
    app["state"]["terminated"].update(reason=APP_REASON, message=APP_MESSAGE)
    ghost = copy.deepcopy(app)
    ghost["name"] = GHOST
    pod["status"]["containerStatuses"].append(ghost)
    killing = next(i for i in items if i["kind"] == "Event" and i["reason"] == "Killing")
    killing["message"] = KILL_MESSAGE
    odd = copy.deepcopy(killing)
    odd["metadata"]["name"] += "-odd"
    odd["reason"] = ODD_REASON
    items.append(odd)
    items.append({"apiVersion": "v1", "kind": ODD_KIND, "metadata": {"name": "w"}})
    if not finished:
        pod["status"]["phase"] = "Running"
        app["state"] = {"running": {"startedAt": app["state"]["terminated"]["startedAt"]}}
        sidecar["state"] = {"running": {"startedAt": sidecar["state"]["terminated"]["startedAt"]}}
        ghost["state"] = copy.deepcopy(app["state"])
        items = [i for i in items if i["kind"] != "Event" or i["reason"] in ("Scheduled", "Pulling")]
    return items


@pytest.fixture
def hostile_file(tmp_path) -> str:
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": hostile_items()}))
    return str(path)


def run(*args, columns="100"):
    """The CLI in-process; ``columns=""`` is a pipe: the table keeps each mark on one line (no wrapping)."""
    env = {"COLUMNS": columns, "NO_COLOR": "", "TZ": "UTC", "KUBECTL_SIDECAR_DEBUG": ""}
    return cli_runner().invoke(cli, list(args), env=env, catch_exceptions=False)


def assert_terminal_safe(text: str, *, colour: bool = False, own: tuple[str, ...] = ()) -> None:
    """No control, DEL, C1 or bidi character but LF; with ``colour``, SGR sequences are ours."""
    for sequence in own:
        text = text.replace(sequence, "")
    if colour:
        text = SGR.sub("", text)
    bad = sorted({ascii(c) for c in FORBIDDEN.findall(text)})
    assert not bad, f"raw characters reach the terminal: {bad}"


def table_lines(stdout: str) -> list[str]:
    """The timeline table: the header and its rows, up to the first blank line."""
    return stdout.split("\n\n", 1)[0].splitlines()


def assert_table_aligned(lines: list[str], headers: list[str]) -> None:
    """One line per row (no fake row), every column starting under its header, hostile ones too."""
    assert lines[0].split() == headers
    starts = [lines[0].index(h) for h in headers]
    for line in lines[1:]:
        assert line[:1] in ("+", "-"), f"a fake row: {line!r}"
        for start in starts[1:]:
            assert line[start - 1 : start] in (" ", ""), f"a column out of line: {line!r}"
    hostile_rows = [line for line in lines if line[starts[1] :].startswith("side" + VISIBLE_HEAD)]
    assert hostile_rows, "the hostile container has no row"
    assert all(line[starts[2] :].startswith("sidecar/acs ") for line in hostile_rows), hostile_rows


# ------------------------------------------------------------------------------- text outputs


@pytest.mark.parametrize(
    "args, colour, visible",
    [
        (
            ("timeline",),
            False,
            [
                "side" + VISIBLE_HEAD,  # container name
                "exit 0 (Completed" + VISIBLE_HEAD,  # termination reason
                "Odd" + VISIBLE_HEAD,  # event reason
                "accepted by the kubelet on virtual-kubelet-cn-shenzhen-f" + VISIBLE_HEAD,  # node name
                "pod test-729nd" + VISIBLE_HEAD,  # pod name (the chart's pod line)
                VISIBLE_TAIL,
            ],
        ),
        (
            ("timeline", "-o", "wide"),
            False,
            ["Stopping " + VISIBLE_HEAD, "done" + VISIBLE_HEAD, "Odd" + VISIBLE_HEAD],
        ),
        (("timeline", "--color", "always"), True, ["side" + VISIBLE_HEAD, "Odd" + VISIBLE_HEAD]),
        (("timeline", "--ascii"), False, ["side" + VISIBLE_HEAD, "pod test-729nd" + VISIBLE_HEAD]),
        (("check",), False, ["pod default/test-729nd" + VISIBLE_HEAD, "SC010  side" + VISIBLE_HEAD]),
        (("check", "--color", "always"), True, ["side" + VISIBLE_HEAD]),
    ],
    ids=["table", "wide", "table-colour", "ascii", "check", "check-colour"],
)
def test_text_output_shows_hostile_text_visibly(hostile_file, args, colour, visible):
    # a timeline's table as in a pipe (each mark on one line); check at 100 columns
    result = run(*args, "-f", hostile_file, columns="" if args[0] == "timeline" else "100")
    assert result.exit_code == 0, result.stderr
    assert_terminal_safe(result.stdout, colour=colour)
    assert_terminal_safe(result.stderr)
    for fragment in visible:
        assert fragment in result.stdout, fragment
    if colour:
        assert SGR.search(result.stdout), "colour was asked for: our SGR sequences must stay"


@pytest.mark.parametrize("wide", [False, True], ids=["table", "wide"])
def test_table_columns_stay_aligned(hostile_file, wide):
    result = run("timeline", "-f", hostile_file, *(["-o", "wide"] if wide else []), columns="")
    headers = ["TIME", "CONTAINER", "ROLE", "EVENT", "DETAIL"] + (["SOURCE", "MESSAGE"] if wide else [])
    assert_table_aligned(table_lines(result.stdout), headers)


def test_gantt_rows_stay_aligned(hostile_file):
    result = run("timeline", "-f", hostile_file, "--color", "always")
    rows = [SGR.sub("", line) for line in result.stdout.splitlines() if "│" in line]
    assert any(row.startswith("side^[]0;pwned^G") for row in rows), rows
    assert len({row.index("│") for row in rows}) == 1, rows  # every bar starts in the same column
    assert all(len(row) <= 100 for row in rows), rows


def test_notes_on_stderr_are_made_visible(hostile_file):
    result = run("timeline", "-f", hostile_file)
    assert_terminal_safe(result.stderr)
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("note: ") for line in lines), lines  # no fake note lines
    assert any("ghost" + VISIBLE_HEAD in line for line in lines), lines
    assert any("Widget" + VISIBLE_HEAD in line for line in lines), lines


def test_note_writes_one_visible_line(capsys):
    from kubectl_sidecar.cli.terminal import note

    note(f"pod {POD} was deleted")
    err = capsys.readouterr().err
    assert_terminal_safe(err)
    assert err == f"note: pod test-729nd{VISIBLE_HEAD} ROW{VISIBLE_TAIL} was deleted\n"


# ------------------------------------------------------------------------------- --watch


def _follow_hostile(monkeypatch, *, terminal: bool, output: str = "table"):
    """``timeline POD --watch`` in-process: the live reading replaced by two states of the hostile pod."""
    import kubectl_sidecar.kube as kube
    from kubectl_sidecar.cli import commands
    from kubectl_sidecar.kube.follow import PodUpdate

    def states():
        for finished in (False, True):
            items = hostile_items(finished=finished)
            yield PodUpdate(
                Snapshot(
                    pods=[i for i in items if i["kind"] == "Pod"],
                    events=[i for i in items if i["kind"] == "Event"],
                    source="test",
                    notes=[f"could not read the node {NODE}"],
                )
            )

    writes: list[str] = []
    emit = commands.emit

    def record(text: str) -> None:
        writes.append(text)
        emit(text)

    monkeypatch.setattr(kube, "follow_pod", lambda *args, **kwargs: states())
    monkeypatch.setattr(commands, "isatty", lambda stream: terminal)
    monkeypatch.setattr(commands, "emit", record)
    return run("timeline", "pod/" + POD, "--watch", "-o", output), writes


def test_watch_appended_rows_and_notes_are_made_visible(monkeypatch):
    result, (first, appended) = _follow_hostile(monkeypatch, terminal=False)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == first + appended
    assert_terminal_safe(result.stdout)
    assert_terminal_safe(result.stderr)
    assert "side" + VISIBLE_HEAD in first
    assert "exit 0 (Completed" + VISIBLE_HEAD in appended  # a row of the second state alone
    rows = appended.splitlines()
    assert all(line[:1] in ("+", "-") for line in rows), rows  # no fake row
    # the ROLE column lines up below a hostile container name: sidecar/acs where app rows have app
    sidecar_roles = {line.index("sidecar/acs") for line in rows if "sidecar/acs" in line}
    app_roles = {line.index(" app ", line.index("app") + 3) + 1 for line in rows if line.split()[1] == "app"}
    assert len(sidecar_roles) == 1 and sidecar_roles == app_roles, rows
    lines = result.stderr.splitlines()
    assert all(line.startswith("note: ") for line in lines), lines
    assert "note: following pod test-729nd" + VISIBLE_HEAD in result.stderr
    assert "note: could not read the node virtual-kubelet-cn-shenzhen-f" + VISIBLE_HEAD in result.stderr


def test_watch_redraw_is_made_visible_but_keeps_clearing_the_screen(monkeypatch):
    result, writes = _follow_hostile(monkeypatch, terminal=True)
    assert result.exit_code == 0, result.stderr
    assert len(writes) == 2 and writes[1].startswith(CLEAR_SCREEN)  # ours: the redraw itself
    assert_terminal_safe(result.stdout, own=(CLEAR_SCREEN,))
    assert_terminal_safe(result.stderr)
    assert "pod test-729nd" + VISIBLE_HEAD in result.stdout


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_watch_documents_keep_exact_values(monkeypatch, fmt):
    result, writes = _follow_hostile(monkeypatch, terminal=False, output=fmt)
    assert result.exit_code == 0, result.stderr
    assert_terminal_safe(result.stdout)
    docs = [_parse(text, fmt) for text in writes]
    assert [d["pod"]["name"] for d in docs] == [POD, POD]
    assert [c["name"] for c in docs[1]["containers"]] == ["app", SIDECAR]


# ------------------------------------------------------------------------------- -o json|yaml


def _parse(text: str, fmt: str):
    return json.loads(text) if fmt == "json" else yaml.safe_load(text)


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_timeline_documents_keep_exact_values(hostile_file, fmt):
    result = run("timeline", "-f", hostile_file, "-o", fmt)
    assert result.exit_code == 0, result.stderr
    assert_terminal_safe(result.stdout)  # escaped by the format, never raw
    doc = _parse(result.stdout, fmt)
    assert doc["pod"]["name"] == POD
    assert doc["pod"]["node"] == NODE
    assert [c["name"] for c in doc["containers"]] == ["app", SIDECAR]
    app = doc["containers"][0]["runs"][-1]
    assert (app["reason"], app["message"]) == (APP_REASON, APP_MESSAGE)
    messages = {m["message"] for m in doc["marks"]}
    assert KILL_MESSAGE in messages
    assert any(m["detail"] == ODD_REASON for m in doc["marks"]), [m["detail"] for m in doc["marks"]]
    assert f"node name {NODE}" in doc["cluster"]["evidence"]


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_check_documents_keep_exact_values(hostile_file, fmt):
    result = run("check", "-f", hostile_file, "-o", fmt)
    assert result.exit_code == 0, result.stderr
    assert_terminal_safe(result.stdout)
    doc = _parse(result.stdout, fmt)
    assert [(p["name"], p["node"]) for p in doc["pods"]] == [(POD, NODE)]
    assert {f["container"] for f in doc["findings"]} == {SIDECAR}
    assert all(f["pod"] == POD for f in doc["findings"])
    assert any(SIDECAR in f["message"] for f in doc["findings"])


# ------------------------------------------------------------------------------- YAML escapes in -f


def _escaped_values() -> dict:
    items = yaml.safe_load(ESCAPES.read_text())["items"]
    pod = next(i for i in items if i["kind"] == "Pod")
    event = next(i for i in items if i["kind"] == "Event")
    terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    return {
        "pod": pod["metadata"]["name"],
        "node": pod["spec"]["nodeName"],
        "app": pod["spec"]["containers"][0]["name"],
        "proxy": pod["spec"]["initContainers"][0]["name"],
        "reason": terminated["reason"],
        "message": terminated["message"],
        "event_reason": event["reason"],
        "event_message": event["message"],
    }


def test_the_yaml_escapes_file_really_holds_hostile_values():
    values = _escaped_values()
    assert "\x1b" in values["pod"] and "\r" in values["app"] and "\u202e" in values["proxy"]
    assert "\x9b" in values["reason"] and "\x7f" in values["message"] and "\x1b" in values["event_reason"]
    assert b"\x1b" not in ESCAPES.read_bytes()  # escaped in YAML: the raw-ESC guard lets it through


@pytest.mark.parametrize(
    "args, visible",
    [
        (
            ("timeline",),
            ["app\\r^[[2Kfake", "proxy\\u202eevil", "Odd^[[2J\\u202d", "node-^[[2J\\u009d0;t\\u009c-1"],
        ),
        (
            ("timeline", "-o", "wide"),
            ["exit 1 (Error\\r\\u009b2J\\u0085\\u2066x\\u2069)", "bad^?^[[31mred\\u2028line"],
        ),
        (("check",), ["web-^[]0;pwned^G-1"]),
    ],
    ids=["table", "wide", "check"],
)
def test_yaml_escapes_reach_the_terminal_visibly(args, visible):
    result = run(*args, "-f", str(ESCAPES))
    assert result.exit_code == 0, result.stderr
    assert_terminal_safe(result.stdout)
    assert_terminal_safe(result.stderr)
    for fragment in visible:
        assert fragment in result.stdout, fragment
    if args == ("timeline", "-o", "wide"):
        # the message column is cut at the message's first LF, never at its CR
        assert "look ^[]0;title^G here\\rFAKE ROW" in result.stdout and "second line" not in result.stdout


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_yaml_escapes_keep_exact_values_in_documents(fmt):
    values = _escaped_values()
    result = run("timeline", "-f", str(ESCAPES), "-o", fmt)
    assert result.exit_code == 0, result.stderr
    assert_terminal_safe(result.stdout)
    doc = _parse(result.stdout, fmt)
    assert (doc["pod"]["name"], doc["pod"]["node"]) == (values["pod"], values["node"])
    assert [c["name"] for c in doc["containers"]] == [values["proxy"], values["app"]]
    run_ = doc["containers"][1]["runs"][-1]
    assert (run_["reason"], run_["message"]) == (values["reason"], values["message"])
    assert values["event_message"] in {m["message"] for m in doc["marks"]}


# ------------------------------------------------------------------------------- lone surrogates


@pytest.mark.parametrize("output", ["table", "wide", "json", "yaml"])
def test_a_lone_surrogate_from_json_is_shown_not_a_crash(tmp_path, output):
    """JSON's ``"\\ud800"`` reads as a lone surrogate, which no terminal encoding can print."""
    items = hostile_items()
    pod = next(i for i in items if i["kind"] == "Pod")
    pod["status"]["containerStatuses"][0]["state"]["terminated"]["reason"] = "Comp\ud800leted"
    path = tmp_path / "surrogate.json"
    path.write_text(json.dumps({"kind": "List", "items": items}))  # ASCII: the surrogate as \ud800
    result = run("timeline", "-f", str(path), "-o", output)
    assert result.exit_code == 0, result.stderr
    assert_terminal_safe(result.stdout)
    if output in ("json", "yaml"):
        assert _parse(result.stdout, output)["containers"][0]["runs"][-1]["reason"] == "Comp\ud800leted"
    else:
        assert "exit 0 (Comp\\ud800leted)" in result.stdout
