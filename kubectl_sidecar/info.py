"""What the plugin tells about itself: ``version`` (as ``kubectl version``) and ``explain CODE`` (as
``rustc --explain``). No click: each returns the text for stdout and the notes for stderr.

The finding pages are bundled as package data (``kubectl_sidecar/checks/pages/``, a copy of
``docs/checks/`` that a test keeps identical), so a krew or pip install can read them offline.
"""

from __future__ import annotations

import re
from importlib import resources

from kubectl_sidecar import about
from kubectl_sidecar.errors import UsageError
from kubectl_sidecar.options import KubeOptions

_CODE = re.compile(r"SC\d{3}")


def version_document(kube: KubeOptions | None) -> dict:
    """The versions of ``version -o json|yaml``: the client's, and the server's unless ``kube`` is None.

    The server's is ``/version`` as the server sends it (``gitVersion``, ``major``, ``minor``, ...), as
    ``kubectl version`` shows it; an unreachable server raises the same errors as every other command.
    """
    document: dict = {"clientVersion": about.client_versions()}
    if kube is not None:
        from kubectl_sidecar.kube import fetch_server_version

        document["serverVersion"] = fetch_server_version(kube)
    return document


def render_version(document: dict, output: str) -> str:
    """``version``: ``kubectl version``'s ``Name: value`` lines, or the document as JSON or YAML."""
    if output in ("json", "yaml"):
        from kubectl_sidecar.render.document import dump

        return dump(document, output)
    client = document["clientVersion"]
    lines = [
        f"Plugin Version: v{client['pluginVersion']}",
        f"Python Version: {client['pythonVersion']} ({client['pythonImplementation']})",
    ]
    libraries = ", ".join(f"{name} {ver}" for name, ver in client["libraries"].items() if ver)
    lines.append(f"Client Libraries: {libraries}")
    server = document.get("serverVersion")
    if server is not None:
        lines.append(f"Server Version: {server.get('gitVersion') or '(not given)'}")
    from kubectl_sidecar.textsafe import terminal_safe

    return "".join(f"{terminal_safe(line)}\n" for line in lines)


def page_text(code: str) -> str:
    """The Markdown page of finding ``code`` (``SC003``), from the package."""
    return (resources.files("kubectl_sidecar.checks.pages") / f"{code}.md").read_text(encoding="utf-8")


def explain(code: str | None, *, width: int = 80, colour: bool = False) -> str:
    """``explain CODE``: the code's page drawn for the terminal; with no code, the list of codes."""
    from kubectl_sidecar.checks import CODES

    if code is None:
        rows = [(c.code, c.severity.value, c.title) for c in CODES.values()]
        sev = max(len("SEVERITY"), *(len(r[1]) for r in rows))
        listing = [f"{'CODE':<5}  {'SEVERITY':<{sev}}  FINDING"]
        listing += [f"{c:<5}  {s:<{sev}}  {t}" for c, s, t in rows]
        return "\n".join(listing) + "\n"
    wanted = code.strip().upper()
    if wanted not in CODES:
        from kubectl_sidecar.textsafe import terminal_safe

        raise UsageError(
            f'no finding code "{terminal_safe(code)}": choose one of {", ".join(CODES)} '
            "(kubectl sidecar explain lists them)"
        )
    from kubectl_sidecar.render.markdown import render_markdown

    text = render_markdown(page_text(wanted), width=min(width, 100), colour=colour, resolve=_resolve)
    return f"{text}\nOnline: {about.check_page_url(wanted)}\n"


def _resolve(target: str) -> str | None:
    """Where a link of a finding page leads, said for a terminal: another code, or a URL."""
    if target.startswith(("http://", "https://")):
        return target
    name = target.split("#", 1)[0]
    if _CODE.fullmatch(name.removesuffix(".md")):
        return f"kubectl sidecar explain {name.removesuffix('.md')}"
    if not name:
        return None
    path = name[3:] if name.startswith("../") else f"checks/{name}"
    return f"{about.PROJECT_URL}/blob/main/docs/{path}"
