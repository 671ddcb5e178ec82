"""A cluster entry and a user entry of a kubeconfig -> TLS settings and credentials, as kubectl reads them.

Every field is typed as kubectl types it (strings, YAML booleans, base64 data). Credentials are read only
when the server is https (kubectl's rule): over plain http no token is sent and no exec plugin runs.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
import time
import urllib.parse

from kubectl_sidecar.errors import ConfigError
from kubectl_sidecar.kube.credentials import (
    Credentials,
    basic_authorization,
    oidc_authorization,
    parse_expiry,
)
from kubectl_sidecar.kube.kubeconfig import flag_field, mapping_field, text_field
from kubectl_sidecar.kube.text import one_line, redact_url, remember_secret
from kubectl_sidecar.kube.tls import TlsSettings
from kubectl_sidecar.options import KubeOptions
from kubectl_sidecar.record import record

_CREDENTIAL_KEYS = ("token", "tokenFile", "username", "password", "exec", "auth-provider")
_LIBRARY_PROVIDERS = ("gcp", "azure")  # the library's; kubectl removed both in 1.26


@record(frozen=True)
class Resolved:
    server: str  # scheme://host[:port][/path]: no userinfo, no trailing slash
    tls: TlsSettings
    credentials: Credentials
    withheld: bool


def resolve_user(
    server: str,
    server_where: str,
    cluster: dict,
    cluster_path: str | None,
    cluster_what: str,
    user: dict,
    user_path: str | None,
    user_what: str,
    user_name: str | None,
    opts: KubeOptions,
) -> Resolved:
    """TLS settings and credentials of one cluster and user (flags already applied to both)."""
    insecure = flag_field(cluster, "insecure-skip-tls-verify", cluster_what)
    ca_file = _path(text_field(cluster, "certificate-authority", cluster_what), cluster_path)
    ca_data = _base64_pem(cluster, "certificate-authority-data", cluster_what)
    cert_file = _path(text_field(user, "client-certificate", user_what), user_path)
    cert_data = _base64_pem(user, "client-certificate-data", user_what)
    key_file = _path(text_field(user, "client-key", user_what), user_path)
    key_data = _base64_pem(user, "client-key-data", user_what)
    for secret in (text_field(user, "client-key-data", user_what) or "", *(key_data or "").splitlines()):
        if not secret.startswith("-----"):  # the key's base64 lines, and the data as written
            remember_secret(secret.strip())
    server_name = text_field(cluster, "tls-server-name", cluster_what)
    flag_field(cluster, "disable-compression", cluster_what)  # typed like the rest; never compressed
    if "://" not in server:  # client-go: https when TLS settings are present, else http
        tls_set = insecure or ca_file or ca_data or cert_file or cert_data
        server = ("https://" if tls_set else "http://") + server
    server, userinfo = split_server(server, server_where)
    https = server.startswith("https://")
    if insecure and (ca_file or ca_data) and https:
        raise ConfigError(
            f"{cluster_what} sets insecure-skip-tls-verify together with a certificate authority: "
            "specifying a root certificates file with the insecure flag is not allowed (kubectl refuses it too)"
        )
    if https:
        for entry, key, full, what in (
            (cluster, "certificate-authority", ca_file, cluster_what),
            (user, "client-certificate", cert_file, user_what),
            (user, "client-key", key_file, user_what),
        ):
            if full and not os.path.exists(full):
                raise ConfigError(f'{key} file "{entry.get(key)}" of {what} does not exist')
    where = f"{cluster_what} and {user_what}" if user_name else cluster_what
    tls = TlsSettings(
        ca_file=ca_file,
        ca_data=ca_data,
        cert_file=cert_file if https else None,
        cert_data=cert_data if https else None,
        key_file=key_file if https else None,
        key_data=key_data if https else None,
        server_name=server_name,
        insecure=insecure,
        where=where,
    )
    if not https:  # kubectl reads no credentials for a plain-http server
        withheld = userinfo is not None or any(user.get(key) for key in _CREDENTIAL_KEYS)
        return Resolved(server, tls, Credentials(), withheld)
    credentials, exec_cert = _credentials(
        userinfo, cluster, cluster_path, user, user_path, user_what, user_name, opts
    )
    if exec_cert is not None:
        tls = dataclasses.replace(
            tls, cert_file=None, key_file=None, cert_data=exec_cert[0], key_data=exec_cert[1]
        )
    return Resolved(server, tls, credentials, False)


def _quoted(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) and value.isprintable() and len(value) < 64 else "(unnamed)"


def _path(value: str | None, base: str | None) -> str | None:
    """A path relative to the kubeconfig it was written in, as kubectl resolves it."""
    if not value:
        return None
    value = os.path.expanduser(value)
    return value if os.path.isabs(value) else os.path.join(os.path.dirname(base or ""), value)


def _base64_pem(entry: dict, key: str, what: str) -> str | None:
    value = text_field(entry, key, what)
    if value is None:
        return None
    try:
        data = base64.b64decode("".join(value.split()), validate=True)
        return data.decode("ascii")
    except (binascii.Error, ValueError):
        raise ConfigError(f'"{key}" of {what} is not base64-encoded PEM data') from None


def _credentials(
    userinfo: tuple[str, str] | None,
    cluster: dict,
    cluster_path: str | None,
    user: dict,
    user_path: str | None,
    user_what: str,
    user_name: str | None,
    opts: KubeOptions,
) -> tuple[Credentials, tuple[str, str] | None]:
    if opts.token:
        return Credentials(authorization=f"Bearer {opts.token}", field="the --token value"), None
    token = text_field(user, "token", user_what)
    if token:
        return Credentials(authorization=f"Bearer {token}", field=f"the token of {user_what}"), None
    token_file = text_field(user, "tokenFile", user_what)
    if token_file:
        path = _path(token_file, user_path) or token_file
        field = f'the token of {user_what} (tokenFile "{token_file}")'
        return Credentials(token_file=path, field=field), None
    exec_config = mapping_field(user, "exec", user_what)
    if exec_config:
        return _exec_credentials(exec_config, cluster, user_path, user_what, user_name)
    provider = mapping_field(user, "auth-provider", user_what)
    if provider:
        return _provider_credentials(
            provider, cluster, cluster_path, user, user_path, user_what, user_name
        ), None
    username = text_field(user, "username", user_what)
    password = text_field(user, "password", user_what)
    if username or password:
        auth = basic_authorization(username or "", password or "")
        return Credentials(authorization=auth, field=f"the username and password of {user_what}"), None
    if userinfo is not None:  # as Go's HTTP client: the URL's userinfo is basic auth
        auth = basic_authorization(*userinfo)
        return Credentials(authorization=auth, field="the userinfo of the server address"), None
    return Credentials(), None


def _exec_credentials(
    exec_config: dict, cluster: dict, user_path: str | None, user_what: str, user_name: str | None
) -> tuple[Credentials, tuple[str, str] | None]:
    from kubectl_sidecar.kube.clientconfig import run_exec_plugin

    command = exec_config.get("command")
    field = f'the token of {user_what} (exec plugin "{command}")'
    failed = f'the credential plugin (exec) of user "{user_name}" failed'
    cert: list = []

    def fetch() -> tuple[str | None, float | None]:
        status = run_exec_plugin(exec_config, user_path, cluster, user_name)
        token = status.get("token")
        if token is not None and not isinstance(token, str):
            raise ConfigError(f"{field} is not a string")
        cert_data, key_data = status.get("clientCertificateData"), status.get("clientKeyData")
        if cert_data or key_data:
            if not (isinstance(cert_data, str) and isinstance(key_data, str)):
                raise ConfigError(
                    f"{failed}: its output needs both clientCertificateData and clientKeyData, as strings"
                )
            cert[:] = [cert_data, key_data]
        if not token and not cert:
            raise ConfigError(f"{failed}: its output holds neither a token nor a client certificate")
        return token or None, parse_expiry(status.get("expirationTimestamp"), field)

    credentials = Credentials(fetch=fetch, field=field)
    return credentials, (cert[0], cert[1]) if cert else None


def _provider_credentials(
    provider: dict,
    cluster: dict,
    cluster_path: str | None,
    user: dict,
    user_path: str | None,
    user_what: str,
    user_name: str | None,
) -> Credentials:
    name = provider.get("name")
    if name == "oidc":
        config = mapping_field(provider, "config", f"the auth-provider of {user_what}")
        return Credentials(
            authorization=oidc_authorization(config, str(user_name)),
            field=f"the oidc id-token of {user_what}",
        )
    if name not in _LIBRARY_PROVIDERS:
        raise ConfigError(
            f"the auth-provider {_quoted(name)} of {user_what} is not one kubectl knows (it has oidc; gcp "
            "and azure were removed in kubectl 1.26): use an exec credential plugin"
        )
    from kubectl_sidecar.kube.clientconfig import library_auth_provider

    configuration = library_auth_provider(cluster, cluster_path, user, user_path, user_name)

    def fetch() -> tuple[str | None, float | None]:
        hook = getattr(configuration, "refresh_api_key_hook", None)
        if hook is not None:
            hook(configuration)
        value = str(configuration.api_key.get("authorization") or "")
        scheme, _, token = value.partition(" ")
        return (token.strip() if scheme.lower() == "bearer" else value) or None, time.time() + 60.0

    return Credentials(fetch=fetch, field=f'the token of the auth-provider "{name}" of {user_what}')


def split_server(server: str, where: str) -> tuple[str, tuple[str, str] | None]:
    """The base URL of a server address (no userinfo, no trailing slash) and its userinfo, if any.

    An address that is not an http(s) URL is refused before any request, its userinfo never shown.
    """
    try:
        parts = urllib.parse.urlsplit(server)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        valid = valid and not parts.query and not parts.fragment
        if valid:
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        valid = False
    if not valid or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in server):
        raise ConfigError(
            f'the API server address "{one_line(redact_url(server), 100)}" from {where} is not a valid '
            "http(s) URL"
        )
    netloc = parts.netloc.rpartition("@")[2]
    userinfo = None
    if parts.username is not None:
        userinfo = (urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or ""))
    return f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}", userinfo
