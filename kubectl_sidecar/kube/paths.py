"""The API paths and field selectors the plugin reads (core/v1 pods, events, nodes; batch/v1 Jobs)."""

from __future__ import annotations

from urllib.parse import quote

VIRTUAL_NODE_SELECTOR = "type=virtual-kubelet"


def pods_path(namespace: str | None, name: str | None = None) -> str:
    base = f"/api/v1/namespaces/{quote(namespace, safe='')}/pods" if namespace else "/api/v1/pods"
    return f"{base}/{quote(name, safe='')}" if name else base


def events_path(namespace: str | None) -> str:
    return f"/api/v1/namespaces/{quote(namespace, safe='')}/events" if namespace else "/api/v1/events"


def jobs_path(namespace: str | None, name: str | None = None) -> str:
    base = (
        f"/apis/batch/v1/namespaces/{quote(namespace, safe='')}/jobs" if namespace else "/apis/batch/v1/jobs"
    )
    return f"{base}/{quote(name, safe='')}" if name else base


def node_path(name: str | None = None) -> str:
    return f"/api/v1/nodes/{quote(name, safe='')}" if name else "/api/v1/nodes"


def field_value(value: str) -> str:
    """Escape a value for a field selector (``\\``, ``,`` and ``=`` are special)."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def pod_events_selector(name: str) -> str:
    """The field selector of the events of the pods named ``name`` (with or without uid)."""
    return f"involvedObject.kind=Pod,involvedObject.name={field_value(name)}"
