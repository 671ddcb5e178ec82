"""What a request asks for, and its failures in words: HTTP statuses, TLS, unreachable servers, timeouts,
dropped connections. The sentences users read on stderr are made here."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from kubectl_sidecar.errors import ApiError, NotFoundError, SidecarError
from kubectl_sidecar.kube.config import Connection
from kubectl_sidecar.kube.text import one_line
from kubectl_sidecar.raw import as_dict, as_str
from kubectl_sidecar.record import record

CONNECT_TIMEOUT = 30.0  # client-go's dialer timeout, used when --request-timeout is 0


@record(frozen=True)
class ApiTarget:
    """What a request asks for, for error messages: ``list events in namespace "x"``."""

    verb: str
    resource: str  # plural, with the group when there is one: "pods", "jobs.batch"
    name: str | None = None
    namespace: str | None = None
    kind: str = ""  # for "not found": "pod", "Job"

    def __str__(self) -> str:
        text = f"{self.verb} {self.resource}"
        if self.name:
            text += f' "{self.name}"'
        if self.namespace:
            text += f' in namespace "{self.namespace}"'
        elif self.verb in ("list", "watch") and self.resource not in ("nodes",):
            text += " in all namespaces"
        return text


def drop_reason(err: BaseException) -> str:
    """Say in words why a connection ended early (urllib3's messages are Python reprs)."""
    text = str(err)
    for item in (err,) + tuple(getattr(err, "args", ())):
        name = type(item).__name__
        if isinstance(item, ConnectionResetError) or "Connection reset" in text:
            return "connection reset by the server"
        if name == "IncompleteRead" or "IncompleteRead" in text:
            return "the answer was cut short"
        if name == "RemoteDisconnected" or "RemoteDisconnected" in text:
            return "the server closed the connection without answering"
    if isinstance(err, ValueError):
        return "the stream was closed"
    return "the connection ended unexpectedly"


def status_error(connection: Connection, status: int, body: bytes, target: ApiTarget) -> SidecarError:
    """The error for an HTTP status other than 200, in words."""
    try:
        doc = json.loads(body)
    except ValueError:
        doc = {}
    doc = as_dict(doc)
    message = one_line(as_str(doc.get("message")) or body[:200].decode("utf-8", "replace").strip())
    reason = as_str(doc.get("reason")) or ""
    described = connection.described
    if status == 401:
        hint = "the token, client certificate or credential plugin output is wrong or expired"
        if connection.credentials_withheld:
            hint = "credentials are sent only over https, as kubectl sends them, and this server is http"
        who = f' of user "{connection.user}"' if connection.user else ""
        return ApiError(
            f"{described} rejected the credentials{who} (401 Unauthorized): {hint}",
            status=401,
            verb=target.verb,
            resource=target.resource,
        )
    if status == 403:
        return ApiError(
            f"{described} refused to {target} (403 Forbidden)" + (f": {message}" if message else ""),
            status=403,
            verb=target.verb,
            resource=target.resource,
            detail=message,
        )
    if status == 404 and target.name:
        return NotFoundError(target.kind or target.resource, target.name, target.namespace, f"on {described}")
    if status == 404:
        return ApiError(
            f"{described} does not serve {target.resource} (404 Not Found)",
            status=404,
            verb=target.verb,
            resource=target.resource,
        )
    label = f"{status} {reason}".strip()
    return ApiError(
        f"{described} answered {label} to {target}" + (f": {message}" if message else ""),
        status=status,
        verb=target.verb,
        resource=target.resource,
    )


def tls_error(connection: Connection, err: Exception) -> ApiError:
    text = str(err)
    detail = text
    for marker in ("certificate verify failed: ", "CERTIFICATE_VERIFY_FAILED] "):
        if marker in text:
            detail = text.split(marker, 1)[1]
            detail = "certificate verify failed: " + detail.split(" (_ssl")[0].split("')")[0]
            break
    if any(
        m in text for m in ("PEM lib", "NO_START_LINE", "KEY_VALUES_MISMATCH", "NO_CERTIFICATE_OR_CRL_FOUND")
    ):
        detail = (
            "the client certificate, client key or certificate-authority data of the kubeconfig "
            "cannot be read (not valid PEM, or the key does not match the certificate)"
        )
    hint = ""
    if "verify failed" in detail:
        hint = "; check the cluster's certificate-authority or pass --certificate-authority"
    return ApiError(f"TLS with {connection.described} failed: {one_line(detail, 160)}{hint}")


def unreachable(connection: Connection, err: Exception) -> ApiError:
    text = str(err)
    lowered = text.lower()
    if "refused" in lowered:
        why = "connection refused"
    elif (
        "name or service not known" in lowered
        or "nodename nor servname" in lowered
        or "failed to resolve" in lowered
        or "temporary failure in name resolution" in lowered
    ):
        why = f"host name {urlsplit(connection.server).hostname} does not resolve"
    elif "no route" in lowered or "unreachable" in lowered:
        why = "no route to the host"
    else:
        why = one_line(text.split(": ", 1)[-1], 120)
    return ApiError(f"cannot reach {connection.described}: {why}")


def timeout_error(connection: Connection, timeout: float | None, connect: bool) -> ApiError:
    from kubectl_sidecar.timefmt import format_duration

    if timeout:
        return ApiError(
            f"{connection.described} did not answer within "
            f"{format_duration(timeout, precise=True)} (--request-timeout)"
        )
    if connect:
        return ApiError(f"{connection.described} did not accept a connection within {int(CONNECT_TIMEOUT)}s")
    return ApiError(f"{connection.described} stopped answering")
