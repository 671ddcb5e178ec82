"""Where to connect and as whom: kubeconfig files, in-cluster config and the flags, resolved as kubectl does.

The kubernetes library does what it is good at (kubeconfig entries, in-cluster config, exec credential
plugins, tokens, client certificates). What it does differently from kubectl is done here: several
``KUBECONFIG`` files merge with the first file winning (``current-context`` included), the flags override
the kubeconfig as cli-runtime does, credentials are sent only over https, and ``--as``/``--as-group``
impersonate. Shell completion reads context, cluster and user names through :func:`kubeconfig_names`.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kubectl_sidecar.errors import ConfigError
from kubectl_sidecar.kube import shim
from kubectl_sidecar.kube.clientconfig import (
    load_with_library,
    one_line,
    set_proxy,
    withhold_credentials_over_http,
)
from kubectl_sidecar.options import KubeOptions
from kubectl_sidecar.raw import as_dict, as_list, as_str

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
MAX_KUBECONFIG_CHARS = 16 * 1024 * 1024

_SECTIONS = ("clusters", "users", "contexts")
_SECTION_KEY = {"clusters": "cluster", "users": "user", "contexts": "context"}


def kubeconfig_paths(opts: KubeOptions, environ: Mapping[str, str] | None = None) -> tuple[list[str], bool]:
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
    data = _load_yaml(path)
    if data is None:
        return {}  # an empty file is an empty config, as for kubectl
    if not isinstance(data, dict):
        raise ConfigError(f'kubeconfig "{path}" holds a {type(data).__name__}, not a kubeconfig mapping')
    _check_sections(path, data)
    return data


def kubeconfig_names(
    section: str, kubeconfig: str | None = None, environ: Mapping[str, str] | None = None
) -> list:
    """Names in one section (contexts, clusters, users) of the kubeconfigs kubectl would read, sorted.

    For shell completion: the files of :func:`kubeconfig_paths`; never contacts a server; a file that
    cannot be read lists nothing, a malformed entry is skipped.
    """
    try:
        paths, _explicit = kubeconfig_paths(KubeOptions(kubeconfig=kubeconfig), environ)
    except ConfigError:
        return []
    names: dict = {}
    for path in paths:
        try:
            doc = _load_yaml(path)
        except ConfigError:
            continue
        entries = doc.get(section) if isinstance(doc, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                names.setdefault(entry["name"], None)
    return sorted(names)


def _load_yaml(path: str) -> Any:
    """Read and parse one kubeconfig file (capped), without checking its shape."""
    import yaml

    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(MAX_KUBECONFIG_CHARS + 1)  # capped: `--kubeconfig /dev/zero` never ends
    except OSError as err:
        raise ConfigError(f'kubeconfig "{path}" cannot be read: {err.strerror or err}') from None
    except UnicodeDecodeError:
        raise ConfigError(f'kubeconfig "{path}" is not UTF-8 text') from None
    if len(text) > MAX_KUBECONFIG_CHARS:
        raise ConfigError(
            f'kubeconfig "{path}" is larger than {MAX_KUBECONFIG_CHARS // (1024 * 1024)} MiB: '
            "not a kubeconfig"
        )
    try:
        data = yaml.safe_load(text)
    except yaml.reader.ReaderError as err:  # its str() spans two lines
        raise ConfigError(
            f'kubeconfig "{path}" holds a control character YAML does not allow (position {err.position})'
        ) from None
    except ValueError as err:  # an unquoted date that does not exist, an integer of over 4300 digits
        raise ConfigError(
            f'kubeconfig "{path}" holds a value that cannot be read ({one_line(str(err), 80)})'
        ) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(
            f'kubeconfig "{path}" is not valid YAML{where}: {err.problem or err.context}'
        ) from None
    except yaml.YAMLError as err:
        raise ConfigError(f'kubeconfig "{path}" is not valid YAML: {err}') from None
    return data


def _check_sections(path: str, data: dict) -> None:
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

    configuration: Any = field(repr=False)  # kubernetes.client.Configuration
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


def resolve_connection(opts: KubeOptions, environ: Mapping[str, str] | None = None) -> Connection:
    """Resolve the kubeconfig (or in-cluster config) and the flags into a ready client configuration."""
    environ = os.environ if environ is None else environ
    paths, explicit = kubeconfig_paths(opts, environ)
    merged = merge_kubeconfigs([(path, read_kubeconfig(path)) for path in paths])
    empty = not any(merged[s] for s in _SECTIONS) and not merged["current-context"]
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
        context = as_dict(entry.get("context"))
    elif not opts.server and not opts.cluster:
        raise ConfigError(
            f"{where} sets no current-context: choose a context with --context{_choices(merged['contexts'])}"
        )

    cluster_name = opts.cluster or as_str(context.get("cluster"))
    cluster: dict = {}
    cluster_path = context_path
    if cluster_name:
        if cluster_name in merged["clusters"]:
            cluster_path, entry = merged["clusters"][cluster_name]
            cluster = dict(as_dict(entry.get("cluster")))
        elif not opts.server:
            owner = "--cluster" if opts.cluster else f'context "{context_name}"'
            raise ConfigError(
                f'{owner} names cluster "{cluster_name}", which {where} does not define'
                f"{_choices(merged['clusters'])}"
            )
    user_name = opts.user or as_str(context.get("user"))
    user: dict = {}
    user_path = context_path
    if user_name:
        if user_name in merged["users"]:
            user_path, entry = merged["users"][user_name]
            user = dict(as_dict(entry.get("user")))
        elif opts.user:
            raise ConfigError(
                f'--user names user "{user_name}", which {where} does not define{_choices(merged["users"])}'
            )
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

    configuration = load_with_library(cluster, cluster_path, user, user_path, user_name)
    host = configuration.host
    withheld = withhold_credentials_over_http(configuration)
    set_proxy(configuration, as_str(cluster.get("proxy-url")), environ)
    namespace = opts.namespace or as_str(context.get("namespace")) or "default"
    as_user = opts.as_user or as_str(user.get("as"))
    as_groups = tuple(opts.as_groups) or tuple(str(g) for g in as_list(user.get("as-groups")))
    return Connection(
        configuration=configuration,
        server=host,
        namespace=namespace,
        context=context_name,
        user=user_name,
        impersonate_user=as_user,
        impersonate_groups=as_groups,
        credentials_withheld=withheld,
    )


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
        raise ConfigError(
            f'the API server address "{one_line(server, 100)}" from {where} is not a valid http(s) URL'
        )


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
    tls = any(
        cluster.get(k)
        for k in ("certificate-authority", "certificate-authority-data", "insecure-skip-tls-verify")
    ) or any(user.get(k) for k in ("client-certificate", "client-certificate-data"))
    return ("https://" if tls else "http://") + server


def _in_cluster_possible(environ: Mapping[str, str]) -> bool:
    return bool(
        environ.get("KUBERNETES_SERVICE_HOST")
        and environ.get("KUBERNETES_SERVICE_PORT")
        and os.path.isfile(os.path.join(SERVICE_ACCOUNT_DIR, "token"))
    )


def _in_cluster_connection(opts: KubeOptions, environ: Mapping[str, str]) -> Connection:
    """The pod's service account, as client-go's in-cluster config (flags still override)."""
    library = shim.load()
    Configuration, ConfigException = library.Configuration, library.ConfigException
    InClusterConfigLoader = library.InClusterConfigLoader

    configuration = type.__call__(Configuration)
    loader = InClusterConfigLoader(
        token_filename=os.path.join(SERVICE_ACCOUNT_DIR, "token"),
        cert_filename=os.path.join(SERVICE_ACCOUNT_DIR, "ca.crt"),
        environ=environ,
    )
    try:
        loader.load_and_set(configuration)
    except ConfigException as err:
        raise ConfigError(f"the in-cluster config cannot be used: {one_line(str(err))}") from None
    if opts.token:
        configuration.api_key["authorization"] = f"Bearer {opts.token}"
        configuration.refresh_api_key_hook = None
    if opts.certificate_authority:
        configuration.ssl_ca_cert = os.path.abspath(os.path.expanduser(opts.certificate_authority))
    if opts.insecure_skip_tls_verify:
        configuration.verify_ssl = False
    set_proxy(configuration, None, environ)
    namespace = (
        opts.namespace
        or environ.get("POD_NAMESPACE")
        or _read_text(os.path.join(SERVICE_ACCOUNT_DIR, "namespace"))
        or "default"
    )
    return Connection(
        configuration=configuration,
        server=configuration.host,
        namespace=namespace,
        in_cluster=True,
        impersonate_user=opts.as_user,
        impersonate_groups=tuple(opts.as_groups),
    )


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip() or None
    except OSError:
        return None
