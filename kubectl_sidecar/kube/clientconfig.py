"""The kubernetes client ``Configuration`` of one cluster and one user: loaded by the library's
kubeconfig loader, then adjusted as kubectl behaves (credentials only over https, kubectl's proxy rules).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from kubectl_sidecar.errors import ConfigError
from kubectl_sidecar.kube import shim
from kubectl_sidecar.raw import as_dict, as_str


class _LogCapture(logging.Handler):
    """Collects what the library logs (it logs exec-plugin failures instead of raising them)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


_LIBRARY: dict = {}  # the parts of the kubernetes package in use, loaded once (see _library)


def load_with_library(
    cluster: dict, cluster_path: str | None, user: dict, user_path: str | None, user_name: str | None
) -> Any:
    """Let the kubernetes library turn one cluster and one user into a client Configuration.

    Each entry keeps the path of the file it came from, so relative certificate paths resolve against
    that file, as kubectl resolves them. No persister: the kubeconfig is never written back.
    """
    library = shim.load()
    Configuration, ConfigException = library.Configuration, library.ConfigException
    ConfigNode, KubeConfigLoader = library.ConfigNode, library.KubeConfigLoader

    context = {"cluster": "cluster"}
    users = []
    if user:
        context["user"] = "user"
        users.append(ConfigNode("users[user]", {"name": "user", "user": user}, user_path))
    config = {
        "current-context": "context",
        "contexts": [{"name": "context", "context": context}],
        "clusters": [ConfigNode("clusters[cluster]", {"name": "cluster", "cluster": cluster}, cluster_path)],
        "users": users,
    }
    configuration = type.__call__(Configuration)
    capture = _LogCapture()
    root = logging.getLogger()
    root.addHandler(capture)
    try:
        loader = KubeConfigLoader(
            config_dict=ConfigNode("kubeconfig", config, cluster_path), config_base_path=None
        )
        loader.load_and_set(configuration)
    except ConfigException as err:
        raise ConfigError(f"the kubeconfig cannot be used: {one_line(str(err))}") from None
    except (OSError, ValueError) as err:  # unreadable certificate file, bad base64 data
        raise ConfigError(f"the kubeconfig cannot be used: {one_line(str(err))}") from None
    except Exception as err:  # the library's auth-providers fail in their own ways
        provider = as_str(as_dict(user.get("auth-provider")).get("name")) if user else None
        if provider is None:
            raise
        hint = ""
        if provider == "gcp":  # the library's gcp provider needs google-auth; kubectl dropped it in 1.26
            hint = (
                ": kubectl removed the gcp auth-provider in 1.26, use the gke-gcloud-auth-plugin "
                "credential plugin"
            )
        raise ConfigError(
            f'the auth-provider "{provider}" of user "{user_name}" failed ({type(err).__name__}){hint}'
        ) from None
    finally:
        root.removeHandler(capture)
    if (
        "exec" in user
        and capture.messages
        and "authorization" not in configuration.api_key
        and not getattr(configuration, "cert_file", None)
    ):
        raise ConfigError(
            f'the credential plugin (exec) of user "{user_name}" failed: {one_line(capture.messages[-1])}'
        )
    return configuration


def withhold_credentials_over_http(configuration: Any) -> bool:
    """kubectl sends bearer tokens and passwords only over TLS: drop them for a plain-http server."""
    if str(configuration.host).startswith("https://"):
        return False
    had = bool(configuration.api_key.get("authorization"))
    configuration.api_key.pop("authorization", None)
    configuration.refresh_api_key_hook = None
    return had


def set_proxy(configuration: Any, proxy_url: str | None, environ: Mapping[str, str]) -> None:
    """Proxy as kubectl chooses it: the cluster's proxy-url, else HTTPS_PROXY/HTTP_PROXY by the
    server's scheme, honouring NO_PROXY; loopback is never proxied."""
    configuration.no_proxy = None
    configuration.proxy = None
    if proxy_url:
        configuration.proxy = proxy_url
        return
    parts = urlsplit(configuration.host)
    host = parts.hostname or ""
    if _is_loopback(host):
        return
    names = ("HTTPS_PROXY", "https_proxy") if parts.scheme == "https" else ("HTTP_PROXY", "http_proxy")
    proxy = next((environ[n] for n in names if environ.get(n)), None)
    if not proxy:
        return
    no_proxy = environ.get("NO_PROXY") or environ.get("no_proxy") or ""
    for entry in (e.strip() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*" or host == entry.lstrip(".") or host.endswith("." + entry.lstrip(".")):
            return
        try:
            if ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                return
        except ValueError:
            pass
    configuration.proxy = proxy


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
