"""Read a live cluster as kubectl would: kubeconfig, flags, GET requests, pagination, watches, errors.

The only module that imports ``kubernetes``, and only inside functions, so ``--help``, ``demo`` and
``-f`` never pay for it. The library does what it is good at: kubeconfig entries, in-cluster config,
exec credential plugins, tokens, client certificates and the TLS-configured urllib3 pool. What it does
differently from kubectl is done here: several ``KUBECONFIG`` files merge with the first file winning
(``current-context`` included), the flags override the kubeconfig as cli-runtime does, credentials are
sent only over https, and ``--as``/``--as-group`` impersonate.

Every request is a GET (get, list, watch). Responses are read as raw JSON, never as typed models.
See docs/live.md for the requests each command makes, the RBAC they need and the errors they raise.
"""
from __future__ import annotations

import ipaddress
import json
import logging
import os
import queue
import socket
import sys
import threading
import urllib.parse
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import quote, urlsplit

from kubectl_sidecar import __version__
from kubectl_sidecar.errors import ApiError, ConfigError, NotFoundError, SidecarError
from kubectl_sidecar.model import as_dict, as_list, as_str, pod_finished, version_from_server_info
from kubectl_sidecar.options import KubeOptions
from kubectl_sidecar.snapshot import EVENTS_FORBIDDEN, EVENTS_LISTED, EVENTS_UNAVAILABLE, Snapshot

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
PAGE_SIZE = 500
MAX_KUBECONFIG_CHARS = 16 * 1024 * 1024
CONNECT_TIMEOUT = 30.0  # client-go's dialer timeout, used when --request-timeout is 0
MAX_ATTEMPTS = 4  # one request and up to three retries (429, 5xx, dropped connections)
BACKOFF_SECONDS = 0.25  # doubled at each retry
RETRY_AFTER_CAP = 5.0  # a server asking for a longer wait is not waited for longer than this
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
WATCH_TIMEOUT_SECONDS = 300  # server-side timeoutSeconds of one watch request; then we reconnect
WATCH_MAX_FAILURES = 6  # consecutive failed reconnections before --watch gives up

_SECTIONS = ("clusters", "users", "contexts")
_SECTION_KEY = {"clusters": "cluster", "users": "user", "contexts": "context"}
_LIST_KINDS = {"PodList": "Pod", "EventList": "Event", "JobList": "Job", "NodeList": "Node"}
_USER_AGENT = f"kubectl-sidecar/{__version__}"
_VIRTUAL_NODE_SELECTOR = "type=virtual-kubelet"


# ------------------------------------------------------------------------------------------- kubeconfig

def kubeconfig_paths(opts: KubeOptions, environ=None) -> tuple:
    """The kubeconfig files to merge, in precedence order, and whether they were named explicitly.

    As client-go: ``--kubeconfig`` (must exist), else ``KUBECONFIG`` (a path list; missing files are
    skipped), else ``~/.kube/config`` when it exists.
    """
    environ = os.environ if environ is None else environ
    if opts.kubeconfig:
        path = os.path.expanduser(opts.kubeconfig)
        if not os.path.exists(path):
            raise ConfigError(f'kubeconfig "{opts.kubeconfig}" does not exist (--kubeconfig)')
        return [path], True
    listed = environ.get("KUBECONFIG", "")
    if listed:
        paths: list = []
        for entry in listed.split(os.pathsep):
            path = os.path.expanduser(entry)
            if entry and path not in paths and os.path.exists(path):
                paths.append(path)
        return paths, False
    home = environ.get("HOME") or os.path.expanduser("~")
    default = os.path.join(home, ".kube", "config")
    return ([default] if os.path.exists(default) else []), False


def read_kubeconfig(path: str) -> dict:
    """Parse one kubeconfig file; every problem is a :class:`ConfigError` naming the file."""
    import yaml

    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(MAX_KUBECONFIG_CHARS + 1)  # capped: `--kubeconfig /dev/zero` never ends
    except OSError as err:
        raise ConfigError(f'kubeconfig "{path}" cannot be read: {err.strerror or err}') from None
    except UnicodeDecodeError:
        raise ConfigError(f'kubeconfig "{path}" is not UTF-8 text') from None
    if len(text) > MAX_KUBECONFIG_CHARS:
        raise ConfigError(f'kubeconfig "{path}" is larger than {MAX_KUBECONFIG_CHARS // (1024 * 1024)} MiB: '
                          "not a kubeconfig")
    try:
        data = yaml.safe_load(text)
    except yaml.reader.ReaderError as err:  # its str() spans two lines
        raise ConfigError(f'kubeconfig "{path}" holds a control character YAML does not allow '
                          f'(position {err.position})') from None
    except ValueError as err:  # an unquoted date that does not exist, an integer of over 4300 digits
        raise ConfigError(f'kubeconfig "{path}" holds a value that cannot be read ({_one_line(str(err), 80)})') \
            from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f'kubeconfig "{path}" is not valid YAML{where}: {err.problem or err.context}') from None
    except yaml.YAMLError as err:
        raise ConfigError(f'kubeconfig "{path}" is not valid YAML: {err}') from None
    if data is None:
        return {}  # an empty file is an empty config, as for kubectl
    if not isinstance(data, dict):
        raise ConfigError(f'kubeconfig "{path}" holds a {type(data).__name__}, not a kubeconfig mapping')
    for section in _SECTIONS:
        entries = data.get(section)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise ConfigError(f'kubeconfig "{path}": "{section}" must be a list')
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise ConfigError(f'kubeconfig "{path}": every entry of "{section}" needs a name')
            body = entry.get(_SECTION_KEY[section])
            if body is not None and not isinstance(body, dict):
                raise ConfigError(f'kubeconfig "{path}": {section[:-1]} "{entry["name"]}" must be a mapping')
    current = data.get("current-context")
    if current is not None and not isinstance(current, str):
        raise ConfigError(f'kubeconfig "{path}": current-context must be a string')
    return data


def merge_kubeconfigs(docs: list) -> dict:
    """Merge ``(path, kubeconfig)`` pairs as kubectl does: the first file to set a key wins.

    That holds for each named cluster, user and context, and for ``current-context`` (the Python
    client lets later files win there). Returns ``{"clusters": {name: (path, entry)}, "users": ...,
    "contexts": ..., "current-context": str | None}``.
    """
    merged: dict = {section: {} for section in _SECTIONS}
    merged["current-context"] = None
    for path, doc in docs:
        for section in _SECTIONS:
            for entry in doc.get(section) or []:
                merged[section].setdefault(entry["name"], (path, entry))
        current = doc.get("current-context")
        if not merged["current-context"] and current:
            merged["current-context"] = current
    return merged


@dataclass
class Connection:
    """What the kubeconfig and the flags resolved to (no secrets in ``repr``)."""

    configuration: object = field(repr=False)  # kubernetes.client.Configuration
    server: str = ""
    namespace: str = "default"
    context: str | None = None
    user: str | None = None
    in_cluster: bool = False
    impersonate_user: str | None = None
    impersonate_groups: tuple = ()
    credentials_withheld: bool = False  # a token or password exists but the server is plain http

    @property
    def source(self) -> str:
        """``context "prod" (https://1.2.3.4:6443)``: where a snapshot came from."""
        if self.in_cluster:
            return f"in-cluster config ({self.server})"
        if self.context:
            return f'context "{self.context}" ({self.server})'
        return f"server {self.server}"

    @property
    def described(self) -> str:
        """The API server as error messages name it."""
        if self.in_cluster:
            return f"the in-cluster API server {self.server}"
        if self.context:
            return f'the API server {self.server} (context "{self.context}")'
        return f"the API server {self.server}"


def resolve_connection(opts: KubeOptions, environ=None) -> Connection:
    """Resolve the kubeconfig (or in-cluster config) and the flags into a ready client configuration."""
    environ = os.environ if environ is None else environ
    paths, explicit = kubeconfig_paths(opts, environ)
    merged = merge_kubeconfigs([(path, read_kubeconfig(path)) for path in paths])
    empty = not any(merged[s] for s in _SECTIONS) and not merged["current-context"]
    if empty and not explicit and not opts.server:
        if _in_cluster_possible(environ):
            return _in_cluster_connection(opts, environ)
        if opts.context or opts.cluster or opts.user:
            raise ConfigError(f"no kubeconfig found ({_looked_at(paths, environ)}) to take "
                              f"{'--context' if opts.context else '--cluster' if opts.cluster else '--user'} from")
        raise ConfigError(f"no kubeconfig found ({_looked_at(paths, environ)}) and not running in a pod: "
                          "set KUBECONFIG, pass --kubeconfig, or name a server with -s/--server")
    return _kubeconfig_connection(opts, merged, paths, environ)


def _looked_at(paths: list, environ) -> str:
    if environ.get("KUBECONFIG"):
        return f"KUBECONFIG={environ['KUBECONFIG']} names no existing file"
    return "~/.kube/config does not exist"


def _where(paths: list) -> str:
    if not paths:
        return "the flags"
    return f'kubeconfig "{paths[0]}"' if len(paths) == 1 else "kubeconfigs " + ", ".join(f'"{p}"' for p in paths)


def _choices(names) -> str:
    names = sorted(names)
    if not names:
        return ""
    shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
    return f" (choose one of: {shown})"


def _kubeconfig_connection(opts: KubeOptions, merged: dict, paths: list, environ) -> Connection:
    where = _where(paths)
    context_name = opts.context or merged["current-context"]
    context: dict = {}
    context_path = paths[0] if paths else None
    if context_name:
        if context_name not in merged["contexts"]:
            flag = "--context" if opts.context else "current-context"
            raise ConfigError(f'context "{context_name}" ({flag}) is not defined in {where}'
                              f'{_choices(merged["contexts"])}')
        context_path, entry = merged["contexts"][context_name]
        context = as_dict(entry.get("context"))
    elif not opts.server and not opts.cluster:
        raise ConfigError(f"{where} sets no current-context: choose a context with --context"
                          f'{_choices(merged["contexts"])}')

    cluster_name = opts.cluster or as_str(context.get("cluster"))
    cluster: dict = {}
    cluster_path = context_path
    if cluster_name:
        if cluster_name in merged["clusters"]:
            cluster_path, entry = merged["clusters"][cluster_name]
            cluster = dict(as_dict(entry.get("cluster")))
        elif not opts.server:
            owner = "--cluster" if opts.cluster else f'context "{context_name}"'
            raise ConfigError(f'{owner} names cluster "{cluster_name}", which {where} does not define'
                              f'{_choices(merged["clusters"])}')
    user_name = opts.user or as_str(context.get("user"))
    user: dict = {}
    user_path = context_path
    if user_name:
        if user_name in merged["users"]:
            user_path, entry = merged["users"][user_name]
            user = dict(as_dict(entry.get("user")))
        elif opts.user:
            raise ConfigError(f'--user names user "{user_name}", which {where} does not define'
                              f'{_choices(merged["users"])}')
        # a context naming a missing user is anonymous, as for kubectl

    _override_cluster(cluster, opts)
    _override_user(user, opts)
    server = as_str(cluster.get("server"))
    if not server:
        name = f'cluster "{cluster_name}"' if cluster_name else f'context "{context_name}"'
        raise ConfigError(f"{name} in {where} has no server: set one or pass -s/--server")
    cluster["server"] = _default_scheme(server, cluster, user)
    _check_server_url(cluster["server"], "-s/--server" if opts.server else where)
    for key in ("certificate-authority", "client-certificate", "client-key"):
        path_of = cluster_path if key == "certificate-authority" else user_path
        value = as_str((cluster if key == "certificate-authority" else user).get(key))
        if value and cluster["server"].startswith("https"):
            full = value if os.path.isabs(value) else os.path.join(os.path.dirname(path_of or ""), value)
            if not os.path.exists(full):
                raise ConfigError(f'{key} file "{value}" of {where} does not exist')

    configuration = _load_with_library(cluster, cluster_path, user, user_path, user_name)
    host = configuration.host
    withheld = _withhold_credentials_over_http(configuration)
    _set_proxy(configuration, as_str(cluster.get("proxy-url")), environ)
    namespace = opts.namespace or as_str(context.get("namespace")) or "default"
    as_user = opts.as_user or as_str(user.get("as"))
    as_groups = tuple(opts.as_groups) or tuple(str(g) for g in as_list(user.get("as-groups")))
    return Connection(configuration=configuration, server=host, namespace=namespace, context=context_name,
                      user=user_name, impersonate_user=as_user, impersonate_groups=as_groups,
                      credentials_withheld=withheld)


def _check_server_url(server: str, where: str) -> None:
    """Refuse a server address that is not a URL before any request is tried with it."""
    try:
        parts = urllib.parse.urlsplit(server)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        if valid:
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        valid = False
    if not valid or any(ch.isspace() or ord(ch) < 32 for ch in server):
        raise ConfigError(f'the API server address "{_one_line(server, 100)}" from {where} is not a valid '
                          "http(s) URL")


def _override_cluster(cluster: dict, opts: KubeOptions) -> None:
    """cli-runtime's cluster overrides: a CA or --insecure-skip-tls-verify replaces the other."""
    if opts.server:
        cluster["server"] = opts.server
    if opts.certificate_authority or opts.insecure_skip_tls_verify:
        for key in ("certificate-authority", "certificate-authority-data"):
            cluster.pop(key, None)
        cluster["insecure-skip-tls-verify"] = bool(opts.insecure_skip_tls_verify)
        if opts.certificate_authority:
            cluster["certificate-authority"] = os.path.abspath(os.path.expanduser(opts.certificate_authority))


def _override_user(user: dict, opts: KubeOptions) -> None:
    """``--token`` replaces every other way of getting a token (client certificates stay)."""
    if opts.token:
        for key in ("tokenFile", "exec", "auth-provider", "username", "password"):
            user.pop(key, None)
        user["token"] = opts.token


def _default_scheme(server: str, cluster: dict, user: dict) -> str:
    """A server without scheme is https when TLS settings are present, else http (client-go's rule)."""
    if "://" in server:
        return server
    tls = any(cluster.get(k) for k in ("certificate-authority", "certificate-authority-data",
                                        "insecure-skip-tls-verify")) or \
        any(user.get(k) for k in ("client-certificate", "client-certificate-data"))
    return ("https://" if tls else "http://") + server


class _LogCapture(logging.Handler):
    """Collects what the library logs (it logs exec-plugin failures instead of raising them)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list = []

    def emit(self, record):
        self.messages.append(record.getMessage())


_LIBRARY: dict = {}  # the parts of the kubernetes package in use, loaded once (see _library)


def _library() -> dict:
    """``ApiClient``, ``Configuration``, ``ConfigException``, ``ConfigNode``, ``KubeConfigLoader`` and
    ``InClusterConfigLoader`` from the kubernetes package, without its API classes and models.

    ``import kubernetes`` runs ``kubernetes/client/__init__.py``, which imports every API class and
    model (about 1,200 modules: most of a command's run, and 30 MB). The configuration, the REST client
    and the kubeconfig loaders need none of them. So the packages ``kubernetes``, ``kubernetes.client``,
    ``kubernetes.client.models`` and ``kubernetes.config`` are created without running their
    ``__init__`` (see :class:`_LazyPackage`), and only the modules used are imported. When the package
    is already imported, or something fails, the plain imports are used.
    """
    if not _LIBRARY and "kubernetes" not in sys.modules:
        try:
            _LIBRARY.update(_load_library_parts())
        except Exception:
            _LIBRARY.clear()
            for name in [n for n in sys.modules if n == "kubernetes" or n.startswith("kubernetes.")]:
                del sys.modules[name]
    if not _LIBRARY:
        from kubernetes.client import ApiClient, Configuration
        from kubernetes.config.config_exception import ConfigException
        from kubernetes.config.incluster_config import InClusterConfigLoader
        from kubernetes.config.kube_config import ConfigNode, KubeConfigLoader

        _LIBRARY.update(ApiClient=ApiClient, Configuration=Configuration, ConfigException=ConfigException,
                        ConfigNode=ConfigNode, KubeConfigLoader=KubeConfigLoader,
                        InClusterConfigLoader=InClusterConfigLoader)
    return _LIBRARY


class _LazyPackage(types.ModuleType):
    """A package whose ``__init__`` has not run yet: it runs, in this same module object, the first
    time an attribute it lacks is asked for (``kubernetes.client.CoreV1Api``), so anyone else in the
    process still sees the whole package. Submodules import as usual meanwhile."""

    _loading = False  # while _load_library_parts imports submodules: never run an __init__

    def __getattr__(self, name: str):
        state = self.__dict__
        if _LazyPackage._loading or state.get("_lazy_done") or (name.startswith("__") and name != "__all__"):
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        state["_lazy_done"] = True
        loader = self.__spec__.loader
        if hasattr(loader, "exec_module"):
            loader.exec_module(self)
        else:  # zipimport before Python 3.10
            exec(loader.get_code(self.__name__), state)  # noqa: S102 - the package's own __init__
        return getattr(self, name)


def _load_library_parts() -> dict:
    import importlib
    import importlib.util

    packages = {}
    for name in ("kubernetes", "kubernetes.client", "kubernetes.client.models", "kubernetes.config"):
        spec = importlib.util.find_spec(name)  # the parent is in sys.modules by now: nothing runs
        if spec is None or spec.submodule_search_locations is None or spec.loader is None:
            raise ImportError(f"{name} is not a package")
        module = importlib.util.module_from_spec(spec)
        module.__class__ = _LazyPackage
        sys.modules[name] = packages[name] = module
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(packages[parent], child, module)
    _LazyPackage._loading = True
    try:
        configuration = importlib.import_module("kubernetes.client.configuration")
        api_client = importlib.import_module("kubernetes.client.api_client")
        # what kube_config and incluster_config import from the package
        packages["kubernetes.client"].Configuration = configuration.Configuration
        packages["kubernetes.client"].ApiClient = api_client.ApiClient
        kube_config = importlib.import_module("kubernetes.config.kube_config")
        return {"ApiClient": api_client.ApiClient, "Configuration": configuration.Configuration,
                "ConfigException": importlib.import_module("kubernetes.config.config_exception").ConfigException,
                "ConfigNode": kube_config.ConfigNode, "KubeConfigLoader": kube_config.KubeConfigLoader,
                "InClusterConfigLoader":
                    importlib.import_module("kubernetes.config.incluster_config").InClusterConfigLoader}
    finally:
        _LazyPackage._loading = False


def _load_with_library(cluster: dict, cluster_path, user: dict, user_path, user_name) -> object:
    """Let the kubernetes library turn one cluster and one user into a client Configuration.

    Each entry keeps the path of the file it came from, so relative certificate paths resolve against
    that file, as kubectl resolves them. No persister: the kubeconfig is never written back.
    """
    library = _library()
    Configuration, ConfigException = library["Configuration"], library["ConfigException"]
    ConfigNode, KubeConfigLoader = library["ConfigNode"], library["KubeConfigLoader"]

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
        loader = KubeConfigLoader(config_dict=ConfigNode("kubeconfig", config, cluster_path), config_base_path=None)
        loader.load_and_set(configuration)
    except ConfigException as err:
        raise ConfigError(f"the kubeconfig cannot be used: {_one_line(str(err))}") from None
    except (OSError, ValueError) as err:  # unreadable certificate file, bad base64 data
        raise ConfigError(f"the kubeconfig cannot be used: {_one_line(str(err))}") from None
    except Exception as err:  # the library's auth-providers fail in their own ways
        provider = as_str(as_dict(user.get("auth-provider")).get("name")) if user else None
        if provider is None:
            raise
        hint = ""
        if provider == "gcp":  # the library's gcp provider needs google-auth; kubectl dropped it in 1.26
            hint = (": kubectl removed the gcp auth-provider in 1.26, use the gke-gcloud-auth-plugin "
                    "credential plugin")
        raise ConfigError(f'the auth-provider "{provider}" of user "{user_name}" failed '
                          f"({type(err).__name__}){hint}") from None
    finally:
        root.removeHandler(capture)
    if "exec" in user and capture.messages and "authorization" not in configuration.api_key \
            and not getattr(configuration, "cert_file", None):
        raise ConfigError(f'the credential plugin (exec) of user "{user_name}" failed: '
                          f"{_one_line(capture.messages[-1])}")
    return configuration


def _withhold_credentials_over_http(configuration) -> bool:
    """kubectl sends bearer tokens and passwords only over TLS: drop them for a plain-http server."""
    if str(configuration.host).startswith("https://"):
        return False
    had = bool(configuration.api_key.get("authorization"))
    configuration.api_key.pop("authorization", None)
    configuration.refresh_api_key_hook = None
    return had


def _set_proxy(configuration, proxy_url: str | None, environ) -> None:
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


def _in_cluster_possible(environ) -> bool:
    return bool(environ.get("KUBERNETES_SERVICE_HOST") and environ.get("KUBERNETES_SERVICE_PORT")
                and os.path.isfile(os.path.join(SERVICE_ACCOUNT_DIR, "token")))


def _in_cluster_connection(opts: KubeOptions, environ) -> Connection:
    """The pod's service account, as client-go's in-cluster config (flags still override)."""
    library = _library()
    Configuration, ConfigException = library["Configuration"], library["ConfigException"]
    InClusterConfigLoader = library["InClusterConfigLoader"]

    configuration = type.__call__(Configuration)
    loader = InClusterConfigLoader(token_filename=os.path.join(SERVICE_ACCOUNT_DIR, "token"),
                                   cert_filename=os.path.join(SERVICE_ACCOUNT_DIR, "ca.crt"), environ=environ)
    try:
        loader.load_and_set(configuration)
    except ConfigException as err:
        raise ConfigError(f"the in-cluster config cannot be used: {_one_line(str(err))}") from None
    if opts.token:
        configuration.api_key["authorization"] = f"Bearer {opts.token}"
        configuration.refresh_api_key_hook = None
    if opts.certificate_authority:
        configuration.ssl_ca_cert = os.path.abspath(os.path.expanduser(opts.certificate_authority))
    if opts.insecure_skip_tls_verify:
        configuration.verify_ssl = False
    _set_proxy(configuration, None, environ)
    namespace = opts.namespace or environ.get("POD_NAMESPACE") or _read_text(
        os.path.join(SERVICE_ACCOUNT_DIR, "namespace")) or "default"
    return Connection(configuration=configuration, server=configuration.host, namespace=namespace,
                      in_cluster=True, impersonate_user=opts.as_user, impersonate_groups=tuple(opts.as_groups))


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip() or None
    except OSError:
        return None


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------------------------------- requests

@dataclass(frozen=True)
class Target:
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


def _drop_reason(err: BaseException) -> str:
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


class _Transient(Exception):
    """A failure worth another attempt: dropped connection, truncated answer."""


class Session:
    """One connection to one API server: GETs with retries, pagination and watches; raw JSON out.

    ``requests`` counts the HTTP requests made (watches included), for the request budgets.
    """

    def __init__(self, connection: Connection, *, sleep: Callable[[float], None] = time.sleep,
                 timeout: float | None = None):
        ApiClient = _library()["ApiClient"]

        self.connection = connection
        self.namespace = connection.namespace
        self.timeout = timeout
        self._sleep = sleep
        if len(connection.impersonate_groups) > 1 and not _urllib3_sends_repeated_headers():
            raise ConfigError("several --as-group values need urllib3 2 or later (urllib3 1.x would send them "
                              "joined in one header, which the API server reads as one group)")
        if not connection.configuration.verify_ssl:
            import urllib3

            # the user asked for it (--insecure-skip-tls-verify); kubectl prints no warning per request
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        self._api = ApiClient(connection.configuration)
        self._pool = self._api.rest_client.pool_manager
        self._lock = threading.Lock()
        self._auth_lock = threading.Lock()
        self.requests = 0

    @classmethod
    def open(cls, opts: KubeOptions, environ=None, **kwargs) -> Session:
        return cls(resolve_connection(opts, environ), timeout=opts.request_timeout, **kwargs)

    @property
    def source(self) -> str:
        return self.connection.source

    def close(self) -> None:
        try:
            self._pool.clear()
        except Exception:
            pass

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ----------------------------------------------------------------------------------- plumbing

    def _headers(self):
        try:
            from urllib3 import HTTPHeaderDict
        except ImportError:  # urllib3 1.x
            from urllib3._collections import HTTPHeaderDict

        headers = HTTPHeaderDict({"Accept": "application/json", "User-Agent": _USER_AGENT})
        auth: dict = {}
        with self._auth_lock:  # an expired exec-plugin token is refreshed once, not once per thread
            self._api.update_params_for_auth(auth, [], ["BearerToken"])
        for key, value in auth.items():
            scheme, _, credential = str(value).partition(" ")
            if scheme.lower() == "bearer":  # the in-cluster loader writes "bearer <file content>"
                value = f"Bearer {credential.strip()}"
            headers[key] = value
        if self.connection.impersonate_user:
            headers["Impersonate-User"] = self.connection.impersonate_user
        for group in self.connection.impersonate_groups:
            headers.add("Impersonate-Group", group)  # one header line per group, as kubectl sends them
        return headers

    def _timeout(self, stream: bool):
        import urllib3

        if stream:
            connect = min(CONNECT_TIMEOUT, self.timeout) if self.timeout else CONNECT_TIMEOUT
            return urllib3.Timeout(connect=connect, read=WATCH_TIMEOUT_SECONDS + 30)
        if self.timeout:
            return urllib3.Timeout(total=self.timeout)
        return urllib3.Timeout(connect=CONNECT_TIMEOUT, read=None)

    def _open(self, path: str, query: dict | None, target: Target, stream: bool):
        """One GET; the urllib3 response (body unread), or a mapped error."""
        import urllib3.exceptions as ux

        url = self.connection.server + path
        with self._lock:
            self.requests += 1
        try:
            return self._pool.request("GET", url, fields=list((query or {}).items()) or None,
                                      headers=self._headers(), timeout=self._timeout(stream),
                                      preload_content=False, retries=False, redirect=False)
        except ux.SSLError as err:
            raise self._tls_error(err) from None
        except ux.NewConnectionError as err:  # refused, unreachable, no such host (before ConnectTimeout)
            raise self._unreachable(err) from None
        except ux.ConnectTimeoutError:
            raise self._timeout_error(connect=True) from None
        except ux.ReadTimeoutError:
            raise self._timeout_error(connect=False) from None
        except (ux.ProtocolError, ConnectionError) as err:
            raise _Transient(_drop_reason(err)) from None
        except ux.ProxyError as err:
            raise ApiError(f"cannot reach {self.connection.described} through the proxy: "
                           f"{_one_line(str(err.original_error if hasattr(err, 'original_error') else err))}") from None
        except ux.HTTPError as err:
            raise ApiError(f"cannot talk to {self.connection.described}: {_one_line(str(err))}") from None

    def _read(self, response) -> bytes:
        import urllib3.exceptions as ux

        try:
            return response.read()
        except ux.ReadTimeoutError:
            raise self._timeout_error(connect=False) from None
        except (ux.ProtocolError, ux.SSLError, ConnectionError) as err:
            raise _Transient(_drop_reason(err)) from None
        finally:
            response.release_conn()

    def _retry_delay(self, response, attempt: int) -> float:
        backoff = BACKOFF_SECONDS * (2 ** (attempt - 1))
        header = response.headers.get("Retry-After") if response is not None else None
        if header:
            try:
                return min(RETRY_AFTER_CAP, max(0.0, float(header)))
            except ValueError:
                pass
        return min(RETRY_AFTER_CAP, backoff)

    def _send(self, path: str, query: dict | None, target: Target, stream: bool = False):
        """GET with bounded retries; returns ``(status, body)``, or the open response for a stream.

        Retried: 429 (after Retry-After, capped), 500/502/503/504, dropped connections and truncated
        bodies. Not retried: timeouts (they would multiply the wait), TLS and connection refusal.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._open(path, query, target, stream)
                if response.status in RETRY_STATUSES and attempt < MAX_ATTEMPTS:
                    delay = self._retry_delay(response, attempt)
                    self._read(response)
                    self._sleep(delay)
                    continue
                if stream and response.status == 200:
                    return response
                body = self._read(response)
                if response.status == 200 and not stream:
                    try:
                        return response.status, json.loads(body)
                    except ValueError:
                        if attempt < MAX_ATTEMPTS:
                            self._sleep(self._retry_delay(None, attempt))
                            continue
                        raise ApiError(f"{self.connection.described} answered {target} with something that "
                                       "is not JSON") from None
                raise self._status_error(response.status, body, target)
            except _Transient as err:
                if attempt >= MAX_ATTEMPTS:
                    raise ApiError(f"{self.connection.described} dropped the connection {attempt} times "
                                   f"({_one_line(str(err), 120)})") from None
                self._sleep(self._retry_delay(None, attempt))

    # ----------------------------------------------------------------------------------- errors

    def _status_error(self, status: int, body: bytes, target: Target) -> SidecarError:
        try:
            doc = json.loads(body)
        except ValueError:
            doc = {}
        doc = as_dict(doc)
        message = _one_line(as_str(doc.get("message")) or body[:200].decode("utf-8", "replace").strip())
        reason = as_str(doc.get("reason")) or ""
        described = self.connection.described
        if status == 401:
            hint = "the token, client certificate or credential plugin output is wrong or expired"
            if self.connection.credentials_withheld:
                hint = "credentials are sent only over https, as kubectl sends them, and this server is http"
            who = f' of user "{self.connection.user}"' if self.connection.user else ""
            return ApiError(f"{described} rejected the credentials{who} (401 Unauthorized): {hint}",
                            status=401, verb=target.verb, resource=target.resource)
        if status == 403:
            err = ApiError(f"{described} refused to {target} (403 Forbidden)" + (f": {message}" if message else ""),
                           status=403, verb=target.verb, resource=target.resource)
            err.detail = message  # the server's own words, for notes that already say the rest
            return err
        if status == 404 and target.name:
            return NotFoundError(target.kind or target.resource, target.name, target.namespace,
                                 f"on {described}")
        if status == 404:
            return ApiError(f"{described} does not serve {target.resource} (404 Not Found)", status=404,
                            verb=target.verb, resource=target.resource)
        label = f"{status} {reason}".strip()
        return ApiError(f"{described} answered {label} to {target}" + (f": {message}" if message else ""),
                        status=status, verb=target.verb, resource=target.resource)

    def _tls_error(self, err) -> ApiError:
        text = str(err)
        detail = text
        for marker in ("certificate verify failed: ", "CERTIFICATE_VERIFY_FAILED] "):
            if marker in text:
                detail = text.split(marker, 1)[1]
                detail = "certificate verify failed: " + detail.split(" (_ssl")[0].split("')")[0]
                break
        if any(m in text for m in ("PEM lib", "NO_START_LINE", "KEY_VALUES_MISMATCH", "NO_CERTIFICATE_OR_CRL_FOUND")):
            detail = ("the client certificate, client key or certificate-authority data of the kubeconfig "
                      "cannot be read (not valid PEM, or the key does not match the certificate)")
        hint = ""
        if "verify failed" in detail:
            hint = "; check the cluster's certificate-authority or pass --certificate-authority"
        return ApiError(f"TLS with {self.connection.described} failed: {_one_line(detail, 160)}{hint}")

    def _unreachable(self, err) -> ApiError:
        text = str(err)
        lowered = text.lower()
        if "refused" in lowered:
            why = "connection refused"
        elif "name or service not known" in lowered or "nodename nor servname" in lowered or \
                "failed to resolve" in lowered or "temporary failure in name resolution" in lowered:
            why = f"host name {urlsplit(self.connection.server).hostname} does not resolve"
        elif "no route" in lowered or "unreachable" in lowered:
            why = "no route to the host"
        else:
            why = _one_line(text.split(": ", 1)[-1], 120)
        return ApiError(f"cannot reach {self.connection.described}: {why}")

    def _timeout_error(self, connect: bool) -> ApiError:
        from kubectl_sidecar.timefmt import format_duration

        if self.timeout:
            return ApiError(f"{self.connection.described} did not answer within "
                            f"{format_duration(self.timeout, precise=True)} (--request-timeout)")
        if connect:
            return ApiError(f"{self.connection.described} did not accept a connection within "
                            f"{int(CONNECT_TIMEOUT)}s")
        return ApiError(f"{self.connection.described} stopped answering")

    # ----------------------------------------------------------------------------------- verbs

    def get(self, path: str, target: Target, query: dict | None = None) -> dict:
        """GET one object (or ``/version``) as a raw dict."""
        return as_dict(self._send(path, query, target)[1])

    def list(self, path: str, target: Target, query: dict | None = None) -> tuple:
        """List every item, following ``limit``/``continue``; items get ``kind`` and ``apiVersion``.

        Returns ``(items, resourceVersion)``. An expired continue token (410) restarts the list once,
        unpaginated, as client-go's pager does.
        """
        items: list = []
        token = None
        paginate = True
        while True:
            page_query = dict(query or {})
            if paginate:
                page_query["limit"] = str(PAGE_SIZE)
            if token:
                page_query["continue"] = token
            try:
                doc = self.get(path, target, page_query)
            except ApiError as err:
                if err.status == 410 and token and paginate:
                    items, token, paginate = [], None, False
                    continue
                raise
            kind = _LIST_KINDS.get(as_str(doc.get("kind")) or "")
            if kind is None and isinstance(doc.get("kind"), str) and doc["kind"].endswith("List"):
                kind = doc["kind"][:-4]
            api_version = as_str(doc.get("apiVersion"))
            strings: dict = {}  # one copy of each string value of the page (see _compact)
            for item in as_list(doc.get("items")):
                if isinstance(item, dict):
                    if kind and "kind" not in item:
                        item["kind"] = kind
                    if api_version and "apiVersion" not in item:
                        item["apiVersion"] = api_version
                    _compact(item, strings)
                    items.append(item)
            meta = as_dict(doc.get("metadata"))
            token = as_str(meta.get("continue"))
            if not token:
                return items, as_str(meta.get("resourceVersion")) or ""

    def watch(self, path: str, target: Target, query: dict, stop: threading.Event | None = None,
              opened: Callable | None = None) -> Iterator[dict]:
        """Stream watch events (``{"type", "object"}`` dicts) until the server ends the stream.

        A dropped stream raises :class:`_Transient`; HTTP errors raise as for :meth:`get`.
        """
        import urllib3.exceptions as ux

        watch_query = dict(query, watch="true", allowWatchBookmarks="true",
                           timeoutSeconds=str(WATCH_TIMEOUT_SECONDS))
        response = self._send(path, watch_query, target, stream=True)
        if opened is not None:
            opened(response)
        buffer = b""
        try:
            for chunk in response.stream(2 ** 16, decode_content=True):
                if stop is not None and stop.is_set():
                    return
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        yield _parse_watch_line(line)
            if buffer.strip():
                yield _parse_watch_line(buffer)
        except (ux.ProtocolError, ux.ReadTimeoutError, ux.SSLError, ConnectionError, OSError, ValueError) as err:
            if stop is not None and stop.is_set():
                return
            raise _Transient(_drop_reason(err)) from None
        finally:
            response.release_conn()


def _compact(obj: dict, strings: dict) -> None:
    """Make a listed object smaller in memory without changing anything the plugin reads.

    ``metadata.managedFields`` (server-side apply bookkeeping: often half of a pod's JSON, and never
    read here) is dropped, and every string value is replaced by one shared copy: the pods and events
    of a Job repeat the same images, names, reasons, node names and timestamps thousands of times, and
    JSON decoding makes a new string for each. A 5,000-pod check peaked at 568 MB before, 262 MB after.
    """
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    share = strings.setdefault
    stack = [obj]
    while stack:
        node = stack.pop()
        pairs = node.items() if type(node) is dict else enumerate(node)
        for key, value in pairs:
            kind = type(value)
            if kind is str:
                node[key] = share(value, value)
            elif kind is dict or kind is list:
                stack.append(value)


def _urllib3_sends_repeated_headers() -> bool:
    import urllib3

    return int(str(getattr(urllib3, "__version__", "2")).split(".")[0]) >= 2


def _parse_watch_line(line: bytes) -> dict:
    event = json.loads(line)
    if not isinstance(event, dict):
        raise ValueError("a watch event is not an object")
    return event


# ------------------------------------------------------------------------------------------- paths

def _pods_path(namespace: str | None, name: str | None = None) -> str:
    base = f"/api/v1/namespaces/{quote(namespace, safe='')}/pods" if namespace else "/api/v1/pods"
    return f"{base}/{quote(name, safe='')}" if name else base


def _events_path(namespace: str | None) -> str:
    return f"/api/v1/namespaces/{quote(namespace, safe='')}/events" if namespace else "/api/v1/events"


def _jobs_path(namespace: str | None, name: str | None = None) -> str:
    base = f"/apis/batch/v1/namespaces/{quote(namespace, safe='')}/jobs" if namespace else "/apis/batch/v1/jobs"
    return f"{base}/{quote(name, safe='')}" if name else base


def _node_path(name: str | None = None) -> str:
    return f"/api/v1/nodes/{quote(name, safe='')}" if name else "/api/v1/nodes"


def _field_value(value: str) -> str:
    """Escape a value for a field selector (``\\``, ``,`` and ``=`` are special)."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def label_selector(selector: dict) -> str:
    """A Job's ``spec.selector`` (matchLabels AND matchExpressions) as a label selector string."""
    selector = as_dict(selector)
    parts = [f"{key}={value}" for key, value in sorted(as_dict(selector.get("matchLabels")).items())]
    for expression in as_list(selector.get("matchExpressions")):
        expression = as_dict(expression)
        key = as_str(expression.get("key"))
        operator = as_str(expression.get("operator"))
        values = ",".join(str(v) for v in as_list(expression.get("values")))
        if not key or not operator:
            continue
        if operator == "In":
            parts.append(f"{key} in ({values})")
        elif operator == "NotIn":
            parts.append(f"{key} notin ({values})")
        elif operator == "Exists":
            parts.append(key)
        elif operator == "DoesNotExist":
            parts.append(f"!{key}")
        else:
            raise ApiError(f'the Job\'s selector uses an unknown operator "{operator}"')
    return ",".join(parts)


# ------------------------------------------------------------------------------------------- snapshots

def _note_optional(snapshot: Snapshot, err: SidecarError, verb: str, what: str, consequence: str) -> None:
    """Optional data that could not be read is a note, not a failure: say what and what follows."""
    status = getattr(err, "status", None)
    if status == 403:
        detail = getattr(err, "detail", "")
        snapshot.notes.append(f"{verb} {what} was forbidden (403{': ' + detail if detail else ''}): {consequence}")
    elif status == 404 or isinstance(err, NotFoundError):
        snapshot.notes.append(f"{what} does not exist (404): {consequence}")
    else:
        snapshot.notes.append(f"{verb} {what} failed ({err}): {consequence}")


def _run_parallel(calls: list) -> list:
    """Run independent reads at once; each result is a value or the SidecarError it raised.

    Daemon threads, not a ThreadPoolExecutor: on Ctrl-C the executor (and the interpreter at exit)
    would wait for the requests in flight, for ever when a server never answers and there is no
    --request-timeout.
    """
    def guarded(call):
        try:
            return call()
        except SidecarError as err:
            return err

    if len(calls) <= 1:
        return [guarded(call) for call in calls]
    results: list = [None] * len(calls)
    failures: list = []
    pending: queue.SimpleQueue = queue.SimpleQueue()
    for item in enumerate(calls):
        pending.put(item)

    def work():
        while True:
            try:
                index, call = pending.get_nowait()
            except queue.Empty:
                return
            try:
                results[index] = guarded(call)
            except BaseException as err:  # noqa: BLE001 - a bug: raised again in the caller's thread
                failures.append(err)

    workers = [threading.Thread(target=work, name="kubectl-sidecar-read", daemon=True)
               for _ in range(min(4, len(calls)))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if failures:
        raise failures[0]
    return results


def _read_version(session: Session, snapshot: Snapshot, result) -> None:
    if isinstance(result, SidecarError):
        _note_optional(snapshot, result, "reading", "the server version (/version)",
                       "pass --cluster-version to say which Kubernetes this is")
    else:
        snapshot.server_version = version_from_server_info(result)


def _owner_job(pod: dict) -> str | None:
    for ref in as_list(as_dict(pod.get("metadata")).get("ownerReferences")):
        ref = as_dict(ref)
        if ref.get("kind") == "Job" and as_str(ref.get("apiVersion", "batch/v1") or "").startswith("batch/"):
            return as_str(ref.get("name"))
    return None


def _pod_events(session: Session, namespace: str, pod: dict) -> tuple:
    """The events of one pod: by uid, and the uid-less ones by name (older ACS virtual nodes).

    The second selector asks for ``involvedObject.uid=`` (empty), so nothing is read twice; the
    union is still de-duplicated by event uid. Returns ``(events, [list resourceVersions])``.
    """
    meta = as_dict(pod.get("metadata"))
    name, uid = as_str(meta.get("name")) or "", as_str(meta.get("uid"))
    target = Target("list", "events", namespace=namespace)
    by_name = f"involvedObject.kind=Pod,involvedObject.name={_field_value(name)},involvedObject.uid="
    selectors = [f"involvedObject.uid={_field_value(uid)}", by_name] if uid else \
        [f"involvedObject.kind=Pod,involvedObject.name={_field_value(name)}"]
    results = _run_parallel([lambda s=s: session.list(_events_path(namespace), target, {"fieldSelector": s})
                             for s in selectors])
    for result in results:
        if isinstance(result, SidecarError):
            raise result
    return _dedupe([item for items, _rv in results for item in items]), [rv for _items, rv in results]


def _dedupe(events: list) -> list:
    seen: set = set()
    out = []
    for event in events:
        meta = as_dict(event.get("metadata"))
        key = as_str(meta.get("uid")) or (as_str(meta.get("namespace")), as_str(meta.get("name")))
        if key in seen:
            continue
        seen.add(key)
        out.append(event)
    return out


def _note_events_failure(snapshot: Snapshot, err: SidecarError, namespace: str | None) -> None:
    status = getattr(err, "status", None)
    where = f' in namespace "{namespace}"' if namespace else ""
    if status == 403:
        snapshot.events_state = EVENTS_FORBIDDEN
        snapshot.notes.append(f"listing events{where} was forbidden (403): {getattr(err, 'detail', '') or err}")
    else:
        snapshot.events_state = EVENTS_UNAVAILABLE
        snapshot.notes.append(f"events{where} could not be read: {err}")


def _pod_snapshot(session: Session, name: str) -> Snapshot:
    namespace = session.namespace
    snapshot = Snapshot(source=session.source)
    pod_target = Target("get", "pods", name=name, namespace=namespace, kind="pod")
    pod, version = _run_parallel([lambda: session.get(_pods_path(namespace, name), pod_target),
                                  lambda: session.get("/version", Target("get", "/version"))])
    if isinstance(pod, SidecarError):
        raise pod
    if not isinstance(pod, dict) or pod.get("kind", "Pod") != "Pod" or not isinstance(pod.get("metadata"), dict):
        what = pod.get("kind") if isinstance(pod, dict) and isinstance(pod.get("kind"), str) else "something else"
        raise ApiError(f'{session.connection.described} answered the GET of pod "{name}" with {what}, '
                       "not a Pod: is it a Kubernetes API server?")
    pod.setdefault("kind", "Pod")
    pod.setdefault("apiVersion", "v1")
    snapshot.pods.append(pod)
    _read_version(session, snapshot, version)

    node_name = as_str(as_dict(pod.get("spec")).get("nodeName"))
    job_name = _owner_job(pod)
    calls = [lambda: _pod_events(session, namespace, pod)]
    if node_name:
        calls.append(lambda: session.get(_node_path(node_name), Target("get", "nodes", name=node_name, kind="node")))
    if job_name:
        calls.append(lambda: session.get(_jobs_path(namespace, job_name),
                                         Target("get", "jobs.batch", name=job_name, namespace=namespace, kind="Job")))
    results = _run_parallel(calls)
    events = results[0]
    if isinstance(events, SidecarError):
        _note_events_failure(snapshot, events, namespace)
    else:
        snapshot.events.extend(events[0])
        snapshot.events_state = EVENTS_LISTED
    index = 1
    if node_name:
        _add_or_note(snapshot, results[index], "Node", f'node "{node_name}"',
                     "virtual-node detection rests on the node name and the pod's annotations")
        index += 1
    if job_name:
        _add_or_note(snapshot, results[index], "Job", f'Job "{job_name}"',
                     "the timeline leaves out the Job's start and completion")
    return snapshot


def _add_or_note(snapshot: Snapshot, result, kind: str, what: str, consequence: str) -> None:
    if isinstance(result, SidecarError):
        _note_optional(snapshot, result, "reading", what, consequence)
        return
    result.setdefault("kind", kind)
    result.setdefault("apiVersion", "batch/v1" if kind == "Job" else "v1")
    snapshot.add_objects([result])


def fetch_pod_snapshot(opts: KubeOptions, name: str) -> Snapshot:
    """Read one pod with its events, Job, node and the server version.

    Requests: GET the pod and ``/version`` (together), then, together: the events by uid and the
    uid-less ones by name (each paginated), the node (when bound) and the owning Job (when owned).
    """
    with Session.open(opts) as session:
        return _pod_snapshot(session, name)


def fetch_check_snapshot(opts: KubeOptions, *, job: str | None = None, pod: str | None = None,
                         selector: str | None = None) -> Snapshot:
    """Read what ``check`` inspects: a Job and its pods, one pod, pods by label, or a namespace.

    Events are read with O(1) requests per page: one namespace-wide list with
    ``fieldSelector=involvedObject.kind=Pod`` (for a single pod, its uid/name selectors). Nodes: the
    one node when every pod is on it, else one list of ``type=virtual-kubelet`` nodes.
    Budget for a Job of N pods and E events: ceil(N/500) + ceil(E/500) + 4 requests at most.
    """
    with Session.open(opts) as session:
        return _check_snapshot(session, job=job, pod=pod, selector=selector,
                               all_namespaces=opts.all_namespaces and not (job or pod))


def _check_snapshot(session: Session, *, job, pod, selector, all_namespaces: bool) -> Snapshot:
    namespace = None if all_namespaces else session.namespace
    snapshot = Snapshot(source=session.source)
    version_call = lambda: session.get("/version", Target("get", "/version"))
    pod_target = Target("list", "pods", namespace=namespace)
    job_target = Target("list", "jobs.batch", namespace=namespace)

    if pod:
        return _pod_snapshot(session, pod)
    if job:
        job_get = Target("get", "jobs.batch", name=job, namespace=namespace, kind="Job")
        job_obj, version = _run_parallel([lambda: session.get(_jobs_path(namespace, job), job_get), version_call])
        if isinstance(job_obj, SidecarError):
            raise job_obj
        job_obj.setdefault("kind", "Job")
        job_obj.setdefault("apiVersion", "batch/v1")
        snapshot.jobs.append(job_obj)
        spec_selector = as_dict(as_dict(job_obj.get("spec")).get("selector"))
        labels = label_selector(spec_selector)
        if not labels:
            uid = as_str(as_dict(job_obj.get("metadata")).get("uid")) or ""
            labels = f"batch.kubernetes.io/controller-uid={uid}"
        calls = [lambda: session.list(_pods_path(namespace), pod_target, {"labelSelector": labels}),
                 lambda: session.list(_events_path(namespace), Target("list", "events", namespace=namespace),
                                      {"fieldSelector": "involvedObject.kind=Pod"})]
        pods, events = _run_parallel(calls)
        if isinstance(pods, SidecarError):
            raise pods
        snapshot.pods.extend(pods[0])
        jobs_needed = False
    else:
        query = {"labelSelector": selector} if selector else {}
        calls = [lambda: session.list(_pods_path(namespace), pod_target, query),
                 lambda: session.list(_events_path(namespace), Target("list", "events", namespace=namespace),
                                      {"fieldSelector": "involvedObject.kind=Pod"}),
                 version_call]
        if not selector:
            calls.append(lambda: session.list(_jobs_path(namespace), job_target))
        results = _run_parallel(calls)
        pods, events, version = results[0], results[1], results[2]
        if isinstance(pods, SidecarError):
            raise pods
        snapshot.pods.extend(pods[0])
        jobs_needed = bool(selector)
        if not selector:
            if isinstance(results[3], SidecarError):
                _note_optional(snapshot, results[3], "listing", "Jobs", "pods are shown without their Jobs")
            else:
                snapshot.jobs.extend(results[3][0])
    _read_version(session, snapshot, version)

    if isinstance(events, SidecarError):
        _note_events_failure(snapshot, events, namespace)
    else:
        wanted = {(_meta(p, "namespace"), _meta(p, "name")) for p in snapshot.pods}
        for event in events[0]:
            involved = as_dict(event.get("involvedObject"))
            key = (as_str(involved.get("namespace")) or _meta(event, "namespace"), as_str(involved.get("name")))
            if key in wanted:
                snapshot.events.append(event)
        snapshot.events_state = EVENTS_LISTED

    later = []
    if jobs_needed:
        owners = sorted({j for j in (_owner_job(p) for p in snapshot.pods) if j})
        if len(owners) == 1:
            later.append(("job", lambda: session.get(_jobs_path(namespace, owners[0]), Target(
                "get", "jobs.batch", name=owners[0], namespace=namespace, kind="Job"))))
        elif owners:
            later.append(("jobs", lambda: session.list(_jobs_path(namespace), job_target)))
    podless = _podless_jobs(snapshot) if not isinstance(events, SidecarError) else []
    if podless:  # checked "by their status and events alone": their own events (FailedCreate) are needed
        selector_ = f"involvedObject.kind=Job,involvedObject.name={_field_value(podless[0][1])}" \
            if len(podless) == 1 and namespace else "involvedObject.kind=Job"
        later.append(("job-events", lambda: session.list(
            _events_path(namespace), Target("list", "events", namespace=namespace), {"fieldSelector": selector_})))
    nodes = sorted({n for n in (as_str(as_dict(p.get("spec")).get("nodeName")) for p in snapshot.pods) if n})
    if len(nodes) == 1:
        later.append(("node", lambda: session.get(_node_path(nodes[0]), Target("get", "nodes", name=nodes[0],
                                                                              kind="node"))))
    elif nodes:
        later.append(("nodes", lambda: session.list(_node_path(), Target("list", "nodes"),
                                                    {"labelSelector": _VIRTUAL_NODE_SELECTOR})))
    for (what, _call), result in zip(later, _run_parallel([call for _what, call in later])):
        if what == "job":
            _add_or_note(snapshot, result, "Job", f'Job "{owners[0]}"', "pods are shown without their Job")
        elif what == "jobs":
            if isinstance(result, SidecarError):
                _note_optional(snapshot, result, "listing", "Jobs", "pods are shown without their Jobs")
            else:
                snapshot.jobs.extend(result[0])
        elif what == "job-events":
            if isinstance(result, SidecarError):
                _note_optional(snapshot, result, "listing", "the events of Jobs without pods",
                               "those Jobs are checked by their status alone")
            else:
                wanted_jobs = set(podless)
                snapshot.events.extend(e for e in result[0] if _involved_key(e) in wanted_jobs)
        elif what == "node":
            _add_or_note(snapshot, result, "Node", f'node "{nodes[0]}"',
                         "virtual-node detection rests on the node name and the pod's annotations")
        elif isinstance(result, SidecarError):
            _note_optional(snapshot, result, "listing", "virtual-kubelet nodes",
                           "virtual-node detection rests on node names and the pods' annotations")
        else:
            snapshot.nodes.extend(result[0])
    return snapshot


def _podless_jobs(snapshot: Snapshot) -> list:
    """``(namespace, name)`` of the snapshot's Jobs none of whose pods it holds (by owner uid or name)."""
    owners = set()
    for pod in snapshot.pods:
        for ref in as_list(as_dict(pod.get("metadata")).get("ownerReferences")):
            ref = as_dict(ref)
            if ref.get("kind") == "Job":
                owners.add(as_str(ref.get("uid")))
                owners.add((_meta(pod, "namespace"), as_str(ref.get("name"))))
    return [(_meta(j, "namespace"), _meta(j, "name")) for j in snapshot.jobs
            if (_meta(j, "uid") or (_meta(j, "namespace"), _meta(j, "name"))) not in owners]


def _involved_key(event: dict) -> tuple:
    involved = as_dict(event.get("involvedObject"))
    return as_str(involved.get("namespace")) or _meta(event, "namespace"), as_str(involved.get("name"))


def _meta(obj: dict, key: str) -> str | None:
    return as_str(as_dict(as_dict(obj).get("metadata")).get(key))


def list_names(opts: KubeOptions, kind: str) -> list:
    """Names of the pods or Jobs in the namespace, sorted (for shell completion)."""
    if kind not in ("pod", "job"):
        raise ValueError(f"cannot list names of {kind}")
    with Session.open(opts) as session:
        namespace = session.namespace
        if kind == "pod":
            items, _rv = session.list(_pods_path(namespace), Target("list", "pods", namespace=namespace))
        else:
            items, _rv = session.list(_jobs_path(namespace), Target("list", "jobs.batch", namespace=namespace))
    return sorted({name for name in (_meta(item, "name") for item in items) if name})


# ------------------------------------------------------------------------------------------- watch

@dataclass
class PodUpdate:
    """One state of a followed pod: the snapshot to draw, and whether the pod is gone."""

    snapshot: Snapshot
    deleted: bool = False


class _Follower(threading.Thread):
    """Keeps one list+watch going (like an informer) and feeds what it sees into a queue.

    Reconnects after dropped or ended streams; re-lists after 410 Gone. Gives up (with an error on the
    queue) after WATCH_MAX_FAILURES reconnections in a row fail, or on 401/403/404.
    """

    def __init__(self, session: Session, key: str, path: str, target: Target, query: dict,
                 resource_version: str | None, out: queue.Queue, stop: threading.Event):
        super().__init__(name=f"kubectl-sidecar-watch-{key}", daemon=True)
        self.session, self.key, self.path, self.target, self.query = session, key, path, target, query
        self.resource_version = resource_version
        self.out, self.stop = out, stop
        self.response = None  # the open stream, to shut down from another thread
        self.watched = False  # a stream was opened once: the user may watch this

    def _opened(self, response) -> None:
        self.response = response
        self.watched = True

    def run(self) -> None:
        failures = 0
        while not self.stop.is_set():
            try:
                if not self.resource_version:
                    items, rv = self.session.list(self.path, self.target, self.query)
                    self.out.put((self.key, "RELIST", items))
                    self.resource_version = rv
                query = dict(self.query, resourceVersion=self.resource_version)
                opened_at = time.monotonic()
                seen = False
                for event in self.session.watch(self.path, self.target, query, self.stop, self._opened):
                    kind = event.get("type")
                    obj = as_dict(event.get("object"))
                    if kind == "ERROR":
                        if obj.get("code") == 410:
                            self.resource_version = None  # too old: list again
                            break
                        raise ApiError(f"the watch of {self.target.resource} failed: "
                                       f"{_one_line(as_str(obj.get('message')) or str(obj))}", status=obj.get("code"))
                    rv = _meta(obj, "resourceVersion")
                    if rv:
                        self.resource_version = rv
                    seen = True
                    failures = 0
                    if kind != "BOOKMARK":
                        self.out.put((self.key, kind, obj))
                if not seen and time.monotonic() - opened_at < 1.0 and self.resource_version:
                    self.session._sleep(0.2)  # a stream that ends at once: do not spin
            except ApiError as err:
                if err.status == 410:
                    self.resource_version = None
                    continue
                # A 403 after watching worked is most likely an API server that restarted: it answers 403
                # until its RBAC informers have synced (kubernetes#121635): one more failed attempt.
                restarting = err.status == 403 and self.watched
                if (err.status in (401, 403, 404) and not restarting) or failures >= WATCH_MAX_FAILURES:
                    self.out.put((self.key, "FAILED", err))
                    return
                failures += 1
                self.session._sleep(min(RETRY_AFTER_CAP, BACKOFF_SECONDS * 2 ** failures))
            except _Transient as err:
                if failures >= WATCH_MAX_FAILURES:
                    self.out.put((self.key, "FAILED", ApiError(
                        f"lost the watch on {self.session.connection.described}: {_one_line(str(err), 120)}")))
                    return
                failures += 1
                self.session._sleep(min(RETRY_AFTER_CAP, BACKOFF_SECONDS * 2 ** failures))
            except SidecarError as err:
                self.out.put((self.key, "FAILED", err))
                return

    def close(self) -> None:
        """Unblock the thread's read: shut the stream's socket down (urllib3 2.3+ has a method)."""
        response = self.response
        if response is None:
            return
        try:
            shutdown = getattr(response, "shutdown", None)
            if shutdown is not None:
                shutdown()
            else:  # urllib3 1.x: a read in another thread would block the pool's close at exit
                sock = getattr(getattr(response, "_connection", None), "sock", None)
                if sock is not None:
                    sock.shutdown(socket.SHUT_RDWR)
        except (OSError, AttributeError, RuntimeError, ValueError):  # released or closed: nothing to unblock
            pass


def follow_pod(opts: KubeOptions, name: str, *, session: Session | None = None,
               poll: float = 0.5) -> Iterator[PodUpdate]:
    """Yield the pod's snapshot, then a new one each time the pod or its events change.

    Watches the pod (``fieldSelector=metadata.name``, from the pod's resourceVersion) and its events
    (``involvedObject.kind=Pod,involvedObject.name``, listed first), in two threads. Ends after the
    update that says the pod was deleted; the caller decides when a finished pod is done.
    """
    own = session is None
    session = session or Session.open(opts)
    stop = threading.Event()
    followers: list = []
    try:
        snapshot = _pod_snapshot(session, name)
        yield PodUpdate(snapshot)
        namespace = session.namespace
        pod = snapshot.pods[0]
        events = {_event_key(e): e for e in snapshot.events}
        changes: queue.Queue = queue.Queue()
        followers = [
            _Follower(session, "pod", _pods_path(namespace), Target("watch", "pods", namespace=namespace),
                      {"fieldSelector": f"metadata.name={_field_value(name)}"}, _meta(pod, "resourceVersion"),
                      changes, stop),
        ]
        if snapshot.events_state == EVENTS_LISTED:
            followers.append(_Follower(
                session, "events", _events_path(namespace), Target("watch", "events", namespace=namespace),
                {"fieldSelector": f"involvedObject.kind=Pod,involvedObject.name={_field_value(name)}"}, None,
                changes, stop))
        for follower in followers:
            follower.start()
        while True:
            try:
                batch = [changes.get(timeout=poll)]
            except queue.Empty:
                continue
            while True:
                try:
                    batch.append(changes.get_nowait())
                except queue.Empty:
                    break
            deleted = False
            changed = False
            for key, kind, payload in batch:
                if kind == "FAILED":
                    raise payload
                if key == "pod":
                    if kind == "RELIST":
                        if not payload:
                            deleted = True
                        else:
                            pod = payload[0]
                        changed = True
                    elif kind == "DELETED":
                        pod, deleted, changed = payload or pod, True, True
                    elif kind in ("ADDED", "MODIFIED"):
                        pod, changed = payload, True
                else:
                    items = payload if kind == "RELIST" else [payload] if kind in ("ADDED", "MODIFIED") else []
                    for item in items:
                        item.setdefault("kind", "Event")
                        item.setdefault("apiVersion", "v1")
                        key_ = _event_key(item)
                        if events.get(key_) != item:
                            events[key_] = item
                            changed = True
                    # DELETED events (TTL expiry) stay: they are still the pod's history
            if not changed:
                continue
            if (deleted or pod_finished(pod)) and snapshot.events_state == EVENTS_LISTED:
                # The event stream may lag the pod's: read the events once more before the last update,
                # so a stop request written just before the final status is not lost.
                changed = _merge_final_events(session, namespace, name, events) or changed
            pod.setdefault("kind", "Pod")
            pod.setdefault("apiVersion", "v1")
            current = Snapshot(pods=[pod], events=list(events.values()), jobs=list(snapshot.jobs),
                               nodes=list(snapshot.nodes), server_version=snapshot.server_version,
                               events_state=snapshot.events_state, notes=list(snapshot.notes),
                               source=snapshot.source)
            yield PodUpdate(current, deleted=deleted)
            if deleted:
                return
    finally:
        stop.set()
        for follower in followers:
            follower.close()
        for follower in followers:
            follower.join(1.0)
        if own:
            session.close()


def _merge_final_events(session: Session, namespace: str, name: str, events: dict) -> bool:
    """List the pod's events once more into ``events``; True when that added or changed one."""
    try:
        items, _ = session.list(_events_path(namespace), Target("list", "events", namespace=namespace),
                                {"fieldSelector": f"involvedObject.kind=Pod,involvedObject.name={_field_value(name)}"})
    except SidecarError:
        return False  # the watch already gave what it could; the last state is still right
    changed = False
    for item in items:
        item.setdefault("kind", "Event")
        item.setdefault("apiVersion", "v1")
        key = _event_key(item)
        if events.get(key) != item:
            events[key] = item
            changed = True
    return changed


def _event_key(event: dict):
    meta = as_dict(event.get("metadata"))
    return as_str(meta.get("uid")) or (as_str(meta.get("namespace")), as_str(meta.get("name")))
