"""Options parsed from flags, validated before anything runs; the engine never sees a flag."""

from __future__ import annotations

import re
from dataclasses import field

from kubectl_sidecar.errors import UsageError
from kubectl_sidecar.record import record

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_request_timeout(text: str | None) -> float | None:
    """Parse ``--request-timeout`` as kubectl does: ``0``, ``5`` (seconds), ``5s``, ``1m``, ``1m30s``.

    Returns seconds, or ``None`` for ``0`` and no flag: the default deadline of every request (60 s,
    ``kube.wire.DEFAULT_REQUEST_SECONDS``; kubectl has none, the plugin bounds every read).
    """
    if text is None:
        return None
    value = text.strip()
    if re.fullmatch(r"\d+", value):
        seconds = float(value)
    else:
        pos = 0
        seconds = 0.0
        for match in _DURATION_PART.finditer(value):
            if match.start() != pos:
                break
            seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
            pos = match.end()
        if pos != len(value) or not value:
            raise UsageError(
                f'invalid --request-timeout "{text}": use a whole number of seconds or a '
                "duration such as 5s, 1m or 1m30s (0: the default, 60s)"
            )
    return None if seconds == 0 else seconds


@record(frozen=True)
class KubeOptions:
    """kubectl's connection flags, with kubectl's meaning. ``None`` means "not given"."""

    kubeconfig: str | None = None
    context: str | None = None
    cluster: str | None = None
    user: str | None = None
    namespace: str | None = None
    all_namespaces: bool = False
    request_timeout: float | None = None
    as_user: str | None = None
    as_groups: tuple = field(default_factory=tuple)
    server: str | None = None
    token: str | None = None
    certificate_authority: str | None = None
    insecure_skip_tls_verify: bool = False

    def __repr__(self) -> str:  # never show the token, even in a debug print
        shown = {k: ("<redacted>" if k == "token" and v else v) for k, v in self.__dict__.items()}
        return f"KubeOptions({shown})"


# The output formats: documents keep exact values (JSON, YAML); the rest are drawn for people.
DOCUMENT_FORMATS = ("json", "yaml")
# Pictures to share (render/pictures, docs/pictures.md): one pod each; check draws only html.
PICTURE_FORMATS = ("svg", "html", "mermaid", "trace")
TIMELINE_FORMATS = ("table", "wide", *DOCUMENT_FORMATS, *PICTURE_FORMATS)
CHECK_FORMATS = ("table", *DOCUMENT_FORMATS, "html")


@record(frozen=True)
class RenderOptions:
    """How to draw: the output format and what the terminal can show."""

    output: str = "table"  # table | wide | json | yaml | svg | html | mermaid | trace
    absolute_time: bool = False
    utc: bool = False
    chart: bool = True
    width: int = 80
    fit: bool = False  # the width is the terminal's (or COLUMNS): tables wrap to it; a pipe gets them whole
    colour: bool = False
    ascii_only: bool = False

    @property
    def is_document(self) -> bool:
        """JSON or YAML: a whole document, no table, chart or notes mixed in."""
        return self.output in DOCUMENT_FORMATS

    @property
    def is_picture(self) -> bool:
        """SVG, HTML, Mermaid or a Chrome trace: one whole file, no table or notes mixed in."""
        return self.output in PICTURE_FORMATS
