"""The catalogue of well-known sidecars: which containers are proxies, agents and shippers, and how each
is told to exit. Data, not code: ``sidecars.yaml`` beside this module, documented in
docs/sidecar-catalogue.md, extended by the user's own file of the same format (``load``).

A container matches an entry by its image repository, its command, its name, or (with the injector's
pod annotation present) by being named in that annotation's value. The built-in file is parsed on first
use only (``builtin``), so commands that never classify a container never pay for it.
"""

from __future__ import annotations

from kubectl_sidecar.knownsidecars.entries import (
    BY_ANNOTATION,
    BY_COMMAND,
    BY_ENV,
    BY_IMAGE,
    BY_NAME,
    CATEGORIES,
    Catalogue,
    KnownSidecar,
    Match,
    command_matches,
    image_matches,
    image_repository,
)
from kubectl_sidecar.knownsidecars.load import builtin, config_path, load

__all__ = [
    "BY_ANNOTATION",
    "BY_COMMAND",
    "BY_ENV",
    "BY_IMAGE",
    "BY_NAME",
    "CATEGORIES",
    "Catalogue",
    "KnownSidecar",
    "Match",
    "builtin",
    "command_matches",
    "config_path",
    "image_matches",
    "image_repository",
    "load",
]
