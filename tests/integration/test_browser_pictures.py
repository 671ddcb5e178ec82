"""The pictures as a person sees them: SVG and HTML in headless Chromium, Mermaid through the real
Mermaid library, with no request leaving the page.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON messages
ended by NUL on fds 3 and 4), so no socket is opened and no Python dependency is added. Each page is
loaded from a file; every request the page makes is recorded (``Network.requestWillBeSent``); the
screenshot is decoded (PNG, zlib) and sampled at the bars; the DOM is read back with ``getBBox``.

Needs ``chromium`` (Debian package; or $KUBECTL_SIDECAR_CHROMIUM) and mermaid's ``mermaid.min.js``
(npm, pinned in .ci/run; or $KUBECTL_SIDECAR_MERMAID). .ci/run installs both. When one is missing the
tests FAIL, unless KUBECTL_SIDECAR_SKIP_BROWSER=1 says to skip them (a developer's machine without a
browser); CI never sets it.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import queue
import re
import shutil
import struct
import subprocess
import threading
import zlib
from pathlib import Path

import pytest

from kubectl_sidecar import app, demo
from kubectl_sidecar.model import RunState
from kubectl_sidecar.render.pictures import render_picture
from kubectl_sidecar.render.pictures.layout import build_layout
from kubectl_sidecar.render.pictures.svg import ROLE_COLOURS
from kubectl_sidecar.render.rows import role_label

CACHE = Path(os.environ.get("KUBECTL_SIDECAR_CACHE", Path.home() / ".cache" / "kubectl-sidecar"))
MERMAID = Path(
    os.environ.get(
        "KUBECTL_SIDECAR_MERMAID", CACHE / "npm" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
    )
)
BOUND = 90.0  # seconds any one browser step may take before the test gives up (a hang, not a timing)
SCENARIOS = [s.name for s in demo.load_index()]


def _chromium() -> str | None:
    return (
        os.environ.get("KUBECTL_SIDECAR_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


def _require(what: str, present: bool) -> None:
    if present:
        return
    if os.environ.get("KUBECTL_SIDECAR_SKIP_BROWSER") == "1":
        pytest.skip(f"{what} is missing and KUBECTL_SIDECAR_SKIP_BROWSER=1")
    pytest.fail(f"{what} is missing: run .ci/run, or set KUBECTL_SIDECAR_SKIP_BROWSER=1 to skip these tests")


class Browser:
    """A headless Chromium on a DevTools pipe, one page attached (flat session)."""

    def __init__(self, binary: str, profile: Path):
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()
        # Copies above 10, so arranging fds 3 and 4 in the child cannot clobber one another.
        high_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
        high_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
        os.close(to_chrome_r)
        os.close(from_chrome_w)

        def arrange() -> None:
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self.process = subprocess.Popen(
            [
                binary,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-default-apps",
                "--disable-sync",
                "--allow-file-access-from-files",
                "--hide-scrollbars",
                "about:blank",
            ],
            pass_fds=(3, 4),
            preexec_fn=arrange,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(high_r)
        os.close(high_w)
        self.writer = os.fdopen(to_chrome_w, "wb", buffering=0)
        self.reader = os.fdopen(from_chrome_r, "rb", buffering=0)
        self.replies: dict[int, queue.Queue] = {}
        self.events: queue.Queue = queue.Queue()
        self.next_id = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]

    def _read(self) -> None:
        buffer = b""
        while True:
            chunk = self.reader.read(65536)
            if not chunk:
                return
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "id" in message:
                    self.replies[message["id"]].put(message)
                else:
                    self.events.put(message)

    def call(self, method: str, session: bool = False, **params) -> dict:
        with self.lock:
            self.next_id += 1
            ident = self.next_id
            self.replies[ident] = queue.Queue()
        message = {"id": ident, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self.writer.write(json.dumps(message).encode() + b"\0")
        reply = self.replies[ident].get(timeout=BOUND)
        assert "error" not in reply, (method, reply["error"])
        return reply["result"]

    def page(self, method: str, **params) -> dict:
        return self.call(method, session=True, **params)

    def open(self, url: str) -> list[str]:
        """Load ``url``; returns the URL of every request the page made (but the ``data:`` images
        Chromium's own UI draws, such as a <details> marker)."""
        while not self.events.empty():
            self.events.get_nowait()
        self.page("Page.navigate", url=url)
        requests = []
        while True:
            event = self.events.get(timeout=BOUND)
            if event["method"] == "Network.requestWillBeSent" and not event["params"]["request"][
                "url"
            ].startswith("data:"):
                requests.append(event["params"]["request"]["url"])
            if event["method"] == "Page.loadEventFired":
                return requests

    def evaluate(self, expression: str, *, await_promise: bool = False) -> object:
        reply = self.page(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=await_promise
        )
        if "exceptionDetails" in reply:
            raise RuntimeError(json.dumps(reply["exceptionDetails"])[:500])
        return reply["result"].get("value")

    def screenshot(self) -> tuple[int, int, list[bytes]]:
        data = base64.b64decode(self.page("Page.captureScreenshot", format="png")["data"])
        return decode_png(data)

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.process.wait(timeout=BOUND)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.writer.close()


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGBA bytes) of an 8-bit RGB or RGBA PNG, filters undone."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6), (depth, colour)
    size = 4 if colour == 6 else 3
    raw, stride, rows, prev = zlib.decompress(idat), width * size, [], bytearray(width * size)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - size] if i >= size else 0
            b, c = prev[i], prev[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(
            bytes(line)
            if size == 4
            else b"".join(bytes(line[i : i + 3]) + b"\xff" for i in range(0, stride, 3))
        )
        prev = line
    return width, height, rows


def pixel(shot: tuple[int, int, list[bytes]], x: float, y: float) -> tuple[int, int, int]:
    row = shot[2][int(y)]
    return tuple(row[int(x) * 4 : int(x) * 4 + 3])  # type: ignore[return-value]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    binary = _chromium()
    _require("chromium (apt-get install chromium)", binary is not None)
    assert binary is not None
    chrome = Browser(binary, tmp_path_factory.mktemp("chromium-profile"))
    chrome.page("Page.enable")
    chrome.page("Network.enable")
    chrome.page("Runtime.enable")
    chrome.page(
        "Emulation.setDeviceMetricsOverride", width=1200, height=1000, deviceScaleFactor=1, mobile=False
    )
    yield chrome
    chrome.close()


def demo_result(name):
    scenario = next(s for s in demo.load_index() if s.name == name)
    snapshot = demo.load_snapshot(scenario)
    return app.timeline_for_pod(snapshot, snapshot.find_pod(scenario.pod))


# What the page shows: ticks, each run's box, each text's box, the svg's box (page coordinates).
MEASURE = """(() => {
  const svg = document.querySelector('svg.timeline');
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; };
  return {
    svg: box(svg),
    ticks: [...svg.querySelectorAll('g.tick')].map(g => [+g.dataset.t, box(g.querySelector('line'))[0]]),
    runs: [...svg.querySelectorAll('g.row')].map(row => [row.dataset.container,
        [...row.querySelectorAll('g.run')].map(g => [box(g.querySelector('rect')),
            [...g.querySelectorAll('rect')].map(box)])]),
    texts: [...svg.querySelectorAll('text')].map(t => [t.textContent, box(t)]),
  };
})()"""


def check_chart(shot, seen: dict, result) -> None:
    """Bars where the times say, on the axis's scale; every label inside the picture; bars painted."""
    (t0, x0), (t1, x1) = seen["ticks"][0], seen["ticks"][-1]
    scale = (x1 - x0) / (t1 - t0)
    origin = result.timeline.origin
    rows = dict(seen["runs"])
    assert list(rows) == [c.name for c in result.timeline.containers]
    for ct in result.timeline.containers:
        runs = [r for r in ct.runs if r.state != RunState.IMPLIED and r.started_at is not None]
        assert len(rows[ct.name]) == len(runs)
        for run, (first, rects) in zip(runs, rows[ct.name]):
            left = min(r[0] for r in rects)
            assert left == pytest.approx(
                x0 + ((run.started_at - origin).total_seconds() - t0) * scale, abs=1.0
            )
            if run.finished_at is not None:
                right = max(r[0] + r[2] for r in rects)
                duration = (run.finished_at - run.started_at).total_seconds()
                assert right - left == pytest.approx(max(duration * scale, 1.0), abs=1.5)
            if run.state == RunState.RUNNING or (run.state == RunState.TERMINATED and first[2] > 4):
                colour = ROLE_COLOURS[str(ct.container.role)]
                want = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
                got = pixel(shot, first[0] + first[2] / 2, first[1] + first[3] / 2)
                assert all(abs(g - w) <= 8 for g, w in zip(got, want)), (ct.name, got, want)
    left, top, width, height = seen["svg"]
    words = [t for t, _ in seen["texts"]]
    for ct in result.timeline.containers:
        assert f"{ct.name} {role_label(ct.container)}" in words  # the row's label: name, then role
    for text, (x, _y, w, _h) in seen["texts"]:
        assert left - 0.5 <= x and x + w <= left + width + 0.5, f"label {text!r} runs off the picture"
    painted = sum(1 for row in shot[2] for i in range(0, len(row), 4) if row[i : i + 3] != b"\xff\xff\xff")
    assert painted > 0.01 * shot[0] * shot[1], "the screenshot is blank"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_svg_in_chromium(browser, scenario, tmp_path):
    result = demo_result(scenario)
    path = tmp_path / f"{scenario}.svg"
    path.write_text(render_picture(result, "svg"))
    requests = browser.open(path.as_uri())
    assert requests == [path.as_uri()]
    check_chart(browser.screenshot(), browser.evaluate(MEASURE), result)
    labels = browser.evaluate("[...document.querySelectorAll('g.mark text')].map(t => t.textContent)")
    points = [p.label for p in build_layout(result.timeline).points]
    assert sorted(labels) == sorted(points)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_html_in_chromium(browser, scenario, tmp_path):
    result = demo_result(scenario)
    path = tmp_path / f"{scenario}.html"
    path.write_text(render_picture(result, "html"))
    requests = browser.open(path.as_uri())
    assert requests == [path.as_uri()]
    check_chart(browser.screenshot(), browser.evaluate(MEASURE), result)
    rows = browser.evaluate("document.querySelectorAll('table.marks tbody tr').length")
    assert rows == len(result.timeline.marks)
    codes = browser.evaluate("[...document.querySelectorAll('.finding')].map(f => f.dataset.code)")
    assert sorted(codes) == sorted(f.code for f in result.findings)


def test_a_request_from_a_page_would_be_seen(browser, tmp_path):
    """The control: a page that does ask for something outside is caught by the same recording."""
    path = tmp_path / "leaky.html"
    path.write_text('<!DOCTYPE html><img src="http://example.invalid/pixel.png"><p>leaky</p>')
    requests = browser.open(path.as_uri())
    assert "http://example.invalid/pixel.png" in requests


def many_pods(folder: Path, copies: int) -> Path:
    """Three checked cases (no finding, a warning, an error) in ``copies`` namespaces each."""
    data = Path(__file__).resolve().parents[1] / "data" / "checks"
    docs = []
    for i in range(copies):
        for name in (
            "sc001-native-probe-waited.yaml",
            "sc002-sidecar-oomkilled.yaml",
            "sc003-deadline-exceeded.yaml",
        ):
            text = re.sub(r"namespace: (\S+)", rf"namespace: \1-{i}", (data / name).read_text())
            docs.append(re.sub(r"\b[0-9a-f]{8}-([0-9a-f]{4})-", rf"{i:08x}-\1-", text))
    path = folder / "many.yaml"
    path.write_text("\n---\n".join(docs))
    return path


def test_check_report_of_300_pods_in_chromium(browser, tmp_path):
    from click.testing import CliRunner

    from kubectl_sidecar.cli import cli

    report = tmp_path / "report.html"
    args = ["check", "-A", "-f", str(many_pods(tmp_path, 100)), "-o", "html", "--output-file", str(report)]
    assert CliRunner().invoke(cli, args, catch_exceptions=False).exit_code == 1
    assert browser.open(report.as_uri()) == [report.as_uri()]
    seen = browser.evaluate(
        "({pods: document.querySelectorAll('details.pod').length, open: document.querySelectorAll('details[open]').length,"
        " svgs: document.querySelectorAll('svg.timeline').length, scripts: document.scripts.length,"
        " order: [...document.querySelectorAll('details.pod')].map(d => d.querySelector('.finding')?.className || '')})"
    )
    assert seen["pods"] == 300 and seen["svgs"] == 300 and seen["scripts"] == 0 and seen["open"] == 0
    order = seen["order"]
    assert order[:100] == ["finding error"] * 100 and order[100:200] == ["finding warning"] * 100
    assert set(order[200:]) == {""}
    shot = browser.screenshot()
    painted = sum(1 for row in shot[2] for i in range(0, len(row), 4) if row[i : i + 3] != b"\xff\xff\xff")
    assert painted > 0.01 * shot[0] * shot[1]
    # Opened, a pod's chart is drawn where its times say (the first pod: an error).
    browser.evaluate("document.querySelector('details.pod').open = true")
    measured = browser.evaluate(
        MEASURE.replace(
            "document.querySelector('svg.timeline')", "document.querySelector('details[open] svg.timeline')"
        )
    )
    assert measured["ticks"] and measured["runs"]


MERMAID_PAGE = '<!DOCTYPE html><meta charset="utf-8"><script src="{src}"></script><p>mermaid</p>'
RENDER = """mermaid.initialize({startOnLoad: false});
mermaid.render('g%d', %s).then(r => r.svg)"""


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_mermaid_renders_with_the_real_library(browser, scenario, tmp_path):
    _require(f"mermaid ({MERMAID}; see .ci/run)", MERMAID.exists())
    page = tmp_path / "mermaid.html"
    page.write_text(MERMAID_PAGE.format(src=MERMAID.as_uri()))
    assert browser.open(page.as_uri()) == [page.as_uri(), MERMAID.as_uri()]
    result = demo_result(scenario)
    text = render_picture(result, "mermaid").removeprefix("```mermaid\n").removesuffix("```\n")
    svg = browser.evaluate(RENDER % (SCENARIOS.index(scenario), json.dumps(text)), await_promise=True)
    assert isinstance(svg, str) and svg.startswith("<svg") and 'aria-roledescription="gantt"' in svg
    assert "Syntax error" not in svg
    for ct in result.timeline.containers:
        assert f">{ct.name} " in svg or f">{ct.name}<" in svg  # each container's section is drawn
    with pytest.raises(RuntimeError):  # the control: Mermaid does reject a broken gantt
        browser.evaluate(
            RENDER % (99, json.dumps(text.replace("dateFormat x", "dateFormat x\n    run :: #;"))),
            await_promise=True,
        )
