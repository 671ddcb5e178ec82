"""Snapshot data -> the timeline of one pod. Pure: imports neither checks, render nor kube.

``types`` holds the nouns (Run, Mark, ContainerTimeline, PodSummary, Timeline), ``runs`` a container's
runs, ``marks`` the points on the timeline and their order, ``notes`` what the data lacks, ``build``
puts them together.
"""

from kubectl_sidecar.timeline.build import build_timeline
from kubectl_sidecar.timeline.runs import parse_forced_exit
from kubectl_sidecar.timeline.types import ContainerTimeline, Mark, PodSummary, Run, Timeline

__all__ = [
    "ContainerTimeline",
    "Mark",
    "PodSummary",
    "Run",
    "Timeline",
    "build_timeline",
    "parse_forced_exit",
]
