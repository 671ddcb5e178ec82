"""What the data lacks: events unavailable (SC011), so findings rest on statuses alone."""

from __future__ import annotations

from kubectl_sidecar.checks import catalogue, prose
from kubectl_sidecar.checks.context import CheckContext
from kubectl_sidecar.findings import Finding
from kubectl_sidecar.model import EventsState
from kubectl_sidecar.timeline import Timeline

_WHY = {
    EventsState.ABSENT: "the input holds no events",
    EventsState.FORBIDDEN: "listing events was forbidden (RBAC)",
    EventsState.UNAVAILABLE: "the API server did not answer for events",
}
_FIX = {
    EventsState.ABSENT: "Save the events with the pods: kubectl get job,pod,events -o yaml > snapshot.yaml",
    EventsState.FORBIDDEN: "Ask for list/watch on events in the namespace (a Role with resources: [events]).",
    EventsState.UNAVAILABLE: "Run the check again; the API server's events endpoint failed this time.",
}


def check_events_available(timeline: Timeline, context: CheckContext) -> list[Finding]:
    """SC011: no events to read for the pod; stop requests, restarts and stale statuses may go unseen."""
    state = timeline.events_state
    if state in _WHY:
        why, fix = _WHY[state], _FIX[state]
    elif timeline.events_count == 0:
        age = ""
        if context.now is not None and timeline.pod.created is not None:
            age = f" (the pod is {prose.span((context.now - timeline.pod.created).total_seconds())} old)"
        why = "no events were found for this pod: they expire after 1 hour by default" + age
        fix = (
            "Check sooner after the pod runs, or keep events longer (kube-apiserver --event-ttl), or "
            "export them to a store (an event exporter)."
        )
    else:
        return []
    message = (
        f"{why}: findings rest on statuses alone; stop requests, restarts after the last status "
        "update and stale statuses cannot be seen"
    )
    evidence = [f"events: {state}, {timeline.events_count} for this pod"]
    return [catalogue.make_finding("SC011", timeline, None, message, evidence=evidence, fix=fix)]
