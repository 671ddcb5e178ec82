"""What the plugin says about itself: where it lives on the web and which versions it runs on.

``PROJECT_URL`` is the one home of the project's address: the krew manifest's ``homepage`` and its
release URIs (``scripts/build_krew.py``) and the stable URL of every finding code's page are made
from it, and a test holds the manifest to it. Standard library only: layer 0.
"""

from __future__ import annotations

import platform
import sys

from kubectl_sidecar import __version__

PROJECT_URL = "https://github.com/kubectl-sidecar/kubectl-sidecar"
# The libraries whose versions `kubectl sidecar version` shows: what reads and draws the data.
LIBRARIES = ("click", "PyYAML", "urllib3", "kubernetes", "python-dateutil", "tabulate")


def check_page_url(code: str) -> str:
    """The stable URL of a finding code's page (docs/checks/CODE.md on the project's main branch)."""
    return f"{PROJECT_URL}/blob/main/docs/checks/{code}.md"


def library_version(name: str) -> str | None:
    """The installed version of distribution ``name``, or ``None`` when it is not installed."""
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def client_versions() -> dict:
    """The plugin's, Python's and the client libraries' versions, as ``version -o json`` names them."""
    return {
        "pluginVersion": __version__,
        "pythonVersion": platform.python_version(),
        "pythonImplementation": platform.python_implementation(),
        "pythonExecutable": sys.executable or "",
        "libraries": {name: library_version(name) for name in LIBRARIES},
    }
