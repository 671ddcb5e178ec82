"""What the checks may know beyond the timeline: the time of the reading and the node's version."""

from __future__ import annotations

from datetime import datetime

from kubectl_sidecar.model import ClusterVersion
from kubectl_sidecar.record import record


@record(frozen=True)
class CheckContext:
    """The time of the reading (``None`` for files: the checks never read the clock)."""

    now: datetime | None = None
    # The kubeletVersion of the pod's node: the version to go by when the server's is unknown (files).
    node_version: ClusterVersion | None = None
