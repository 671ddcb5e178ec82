"""Where to connect and as whom: kubeconfig files, in-cluster config and the flags, resolved as kubectl does.

The result is a :class:`Connection`: the server's base URL, the namespace, and what the requests need,
built with the standard library and urllib3 (:meth:`Connection.pool`: one TLS context, the proxy;
:meth:`Connection.headers`: credentials and impersonation). As kubectl: several ``KUBECONFIG`` files
merge with the first file winning (``current-context`` included), the flags override the kubeconfig as
cli-runtime does, credentials are read and sent only over https, ``--as``/``--as-group`` impersonate.
The kubernetes package is loaded only for exec credential plugins and the library's auth-providers
(:mod:`.clientconfig`). Shell completion reads names through :func:`kubeconfig_names`.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import field
from typing import Any

from kubectl_sidecar.errors import ConfigError
from kubectl_sidecar.kube.credentials import Credentials, check_header_value
from kubectl_sidecar.kube.kubeconfig import (
    MAX_KUBECONFIG_CHARS,
    SECTIONS,
    kubeconfig_names,
    kubeconfig_paths,
    merge_kubeconfigs,
    read_kubeconfig,
    strings_field,
    text_field,
)
from kubectl_sidecar.kube.text import one_line
from kubectl_sidecar.kube.tls import TlsSettings, build_context, choose_proxy, make_pool
from kubectl_sidecar.kube.userauth import Resolved, resolve_user, split_server
from kubectl_sidecar.options import KubeOptions
from kubectl_sidecar.record import record

__all__ = [
    "MAX_KUBECONFIG_CHARS",
    "SERVICE_ACCOUNT_DIR",
    "Connection",
    "kubeconfig_names",
    "kubeconfig_paths",
    "merge_kubeconfigs",
    "one_line",
    "read_kubeconfig",
    "resolve_connection",
]

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


@record
class Connection:
    """What the kubeconfig and the flags resolved to (no secrets in ``repr``, no userinfo anywhere)."""

    server: str = ""  # scheme://host[:port][/path]: no userinfo, no trailing slash
    namespace: str = "default"
    context: str | None = None
    user: str | None = None
    in_cluster: bool = False
    impersonate_user: str | None = None
    impersonate_groups: tuple = ()
    credentials_withheld: bool = False  # credentials exist but the server is plain http
    tls: TlsSettings = field(default_factory=TlsSettings, repr=False)
    proxy: str | None = field(default=None, repr=False)
    credentials: Credentials = field(default_factory=Credentials, repr=False)
    _context: Any = field(default=None, repr=False, compare=False)
    _lock: Any = field(default_factory=threading.Lock, repr=False, compare=False)

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

    def pool(self, maxsize: int = 4) -> Any:
        """The transport to this server: one SSL context (built once), no retries, no redirects, no
        decoding. Direct connections use the standard library (:class:`~.transport.StdlibTransport`:
        importing urllib3 would cost more than the requests); a proxy goes through urllib3."""
        with self._lock:
            if self._context is None and self.server.startswith("https://"):
                self._context = build_context(self.tls)
        if self.proxy is None:
            from kubectl_sidecar.kube.transport import StdlibTransport

            return StdlibTransport(self._context, self.tls.server_name, maxsize)
        import urllib3

        from kubectl_sidecar.kube.transport import Urllib3Transport

        if len(self.impersonate_groups) > 1 and int(urllib3.__version__.split(".")[0]) < 2:
            raise ConfigError(
                "several --as-group values through a proxy need urllib3 2 or later (urllib3 1.x would "
                "send them joined in one header, which the API server reads as one group)"
            )
        if self.tls.insecure:  # asked for (--insecure-skip-tls-verify); kubectl warns not per request
            warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)
        return Urllib3Transport(make_pool(self._context, self.tls, self.proxy, maxsize))

    def headers(self) -> list[tuple[str, str]]:
        """Authorization and impersonation headers, each value checked; thread-safe."""
        pairs: list[tuple[str, str]] = []
        authorization = self.credentials.authorization()
        if authorization:
            pairs.append(("Authorization", authorization))
        if self.impersonate_user:
            pairs.append(("Impersonate-User", check_header_value(self.impersonate_user, "the --as user")))
        for group in self.impersonate_groups:  # one header line per group, as kubectl sends them
            pairs.append(("Impersonate-Group", check_header_value(group, "an --as-group group")))
        return pairs


def resolve_connection(opts: KubeOptions, environ: Mapping[str, str] | None = None) -> Connection:
    """Resolve the kubeconfig (or in-cluster config) and the flags into a :class:`Connection`."""
    environ = os.environ if environ is None else environ
    paths, explicit = kubeconfig_paths(opts, environ)
    merged = merge_kubeconfigs([(path, read_kubeconfig(path)) for path in paths])
    empty = not any(merged[s] for s in SECTIONS) and not merged["current-context"]
    if empty and not explicit and not opts.server:
        if _in_cluster_possible(environ):
            return _in_cluster_connection(opts, environ)
        if opts.context or opts.cluster or opts.user:
            raise ConfigError(
                f"no kubeconfig found ({_looked_at(paths, environ)}) to take "
                f"{'--context' if opts.context else '--cluster' if opts.cluster else '--user'} from"
            )
        raise ConfigError(
            f"no kubeconfig found ({_looked_at(paths, environ)}) and not running in a pod: "
            "set KUBECONFIG, pass --kubeconfig, or name a server with -s/--server"
        )
    return _kubeconfig_connection(opts, merged, paths, environ)


def _looked_at(paths: list, environ: Mapping[str, str]) -> str:
    if environ.get("KUBECONFIG"):
        return f"KUBECONFIG={environ['KUBECONFIG']} names no existing file"
    return "~/.kube/config does not exist"


def _where(paths: list) -> str:
    if not paths:
        return "the flags"
    return (
        f'kubeconfig "{paths[0]}"' if len(paths) == 1 else "kubeconfigs " + ", ".join(f'"{p}"' for p in paths)
    )


def _choices(names: Iterable[str]) -> str:
    names = sorted(names)
    if not names:
        return ""
    shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
    return f" (choose one of: {shown})"


def _kubeconfig_connection(
    opts: KubeOptions, merged: dict, paths: list, environ: Mapping[str, str]
) -> Connection:
    where = _where(paths)
    context_name = opts.context or merged["current-context"]
    context: dict = {}
    context_path = paths[0] if paths else None
    if context_name:
        if context_name not in merged["contexts"]:
            flag = "--context" if opts.context else "current-context"
            raise ConfigError(
                f'context "{context_name}" ({flag}) is not defined in {where}{_choices(merged["contexts"])}'
            )
        context_path, entry = merged["contexts"][context_name]
        context = entry.get("context") or {}
    elif not opts.server and not opts.cluster:
        raise ConfigError(
            f"{where} sets no current-context: choose a context with --context{_choices(merged['contexts'])}"
        )
    context_what = f'context "{context_name}" in kubeconfig "{context_path}"'

    cluster_name = opts.cluster or text_field(context, "cluster", context_what)
    cluster: dict = {}
    cluster_path = context_path
    if cluster_name:
        if cluster_name in merged["clusters"]:
            cluster_path, entry = merged["clusters"][cluster_name]
            cluster = dict(entry.get("cluster") or {})
        elif not opts.server:
            owner = "--cluster" if opts.cluster else f'context "{context_name}"'
            raise ConfigError(
                f'{owner} names cluster "{cluster_name}", which {where} does not define'
                f"{_choices(merged['clusters'])}"
            )
    user_name = opts.user or text_field(context, "user", context_what)
    user: dict = {}
    user_path = context_path
    if user_name:
        if user_name in merged["users"]:
            user_path, entry = merged["users"][user_name]
            user = dict(entry.get("user") or {})
        elif opts.user:
            raise ConfigError(
                f'--user names user "{user_name}", which {where} does not define{_choices(merged["users"])}'
            )
        # a context naming a missing user is anonymous, as for kubectl

    cluster_what = f'cluster "{cluster_name}" in kubeconfig "{cluster_path}"' if cluster_name else "the flags"
    user_what = f'user "{user_name}" in kubeconfig "{user_path}"' if user_name else "the flags"
    _override_cluster(cluster, opts)
    _override_user(user, opts)
    server = text_field(cluster, "server", cluster_what)
    if not server:
        name = f'cluster "{cluster_name}"' if cluster_name else f'context "{context_name}"'
        raise ConfigError(f"{name} in {where} has no server: set one or pass -s/--server")
    server_where = "-s/--server" if opts.server else where
    resolved = resolve_user(
        server, server_where, cluster, cluster_path, cluster_what, user, user_path, user_what, user_name, opts
    )
    proxy = choose_proxy(
        resolved.server, text_field(cluster, "proxy-url", cluster_what), environ, cluster_what
    )
    namespace = opts.namespace or text_field(context, "namespace", context_what) or "default"
    as_user = opts.as_user or text_field(user, "as", user_what)
    as_groups = tuple(opts.as_groups) or strings_field(user, "as-groups", user_what)
    _check_impersonation(opts, as_user, as_groups, user_what)
    return _connection(resolved, proxy, namespace, context_name, user_name, as_user, as_groups)


def _connection(
    resolved: Resolved,
    proxy: str | None,
    namespace: str,
    context: str | None,
    user: str | None,
    as_user: str | None,
    as_groups: tuple,
    in_cluster: bool = False,
) -> Connection:
    connection = Connection(
        server=resolved.server,
        namespace=namespace,
        context=context,
        user=user,
        in_cluster=in_cluster,
        impersonate_user=as_user,
        impersonate_groups=as_groups,
        credentials_withheld=resolved.withheld,
        tls=resolved.tls,
        proxy=proxy,
        credentials=resolved.credentials,
    )
    connection.headers()  # every header value checked now, before any request
    return connection


def _check_impersonation(opts: KubeOptions, as_user: str | None, as_groups: tuple, user_what: str) -> None:
    if as_user:
        check_header_value(as_user, "the --as value" if opts.as_user else f'"as" of {user_what}')
    for group in as_groups:
        check_header_value(group, "an --as-group value" if opts.as_groups else f'"as-groups" of {user_what}')


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


# ------------------------------------------------------------------------------------------ in-cluster


def _in_cluster_possible(environ: Mapping[str, str]) -> bool:
    return bool(
        environ.get("KUBERNETES_SERVICE_HOST")
        and environ.get("KUBERNETES_SERVICE_PORT")
        and os.path.isfile(os.path.join(SERVICE_ACCOUNT_DIR, "token"))
    )


def _in_cluster_connection(opts: KubeOptions, environ: Mapping[str, str]) -> Connection:
    """The pod's service account, as client-go's in-cluster config (flags still override)."""
    host = environ["KUBERNETES_SERVICE_HOST"]
    port = environ["KUBERNETES_SERVICE_PORT"]
    address = f"https://{'[' + host + ']' if ':' in host else host}:{port}"
    server, _userinfo = split_server(address, "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT")
    token_file = os.path.join(SERVICE_ACCOUNT_DIR, "token")
    if opts.token:
        credentials = Credentials(authorization=f"Bearer {opts.token}", field="the --token value")
    else:
        credentials = Credentials(token_file=token_file, field=f'the service account token "{token_file}"')
    ca_file = os.path.join(SERVICE_ACCOUNT_DIR, "ca.crt")
    if opts.certificate_authority:
        tls = TlsSettings(ca_file=os.path.abspath(os.path.expanduser(opts.certificate_authority)))
    elif opts.insecure_skip_tls_verify:
        tls = TlsSettings(insecure=True)
    else:  # client-go: without a readable ca.crt, the system roots
        tls = TlsSettings(ca_file=ca_file if os.path.isfile(ca_file) else None, where="the in-cluster config")
    namespace = (
        opts.namespace
        or environ.get("POD_NAMESPACE")
        or _read_text(os.path.join(SERVICE_ACCOUNT_DIR, "namespace"))
        or "default"
    )
    _check_impersonation(opts, opts.as_user, tuple(opts.as_groups), "the flags")
    resolved = Resolved(server=server, tls=tls, credentials=credentials, withheld=False)
    proxy = choose_proxy(server, None, environ, "the in-cluster config")
    return _connection(
        resolved, proxy, namespace, None, None, opts.as_user, tuple(opts.as_groups), in_cluster=True
    )


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read(4096).strip() or None
    except (OSError, UnicodeDecodeError):
        return None
