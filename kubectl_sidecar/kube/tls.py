"""TLS and proxies of one connection, with the standard library and urllib3 alone: the ``ssl.SSLContext``
of a cluster and user, the proxy kubectl would choose, and the urllib3 pool built on both.

As kubectl: a certificate authority replaces the system roots; ``insecure-skip-tls-verify`` turns
verification off and may not be combined with a certificate authority; ``tls-server-name`` is the name
the server's certificate is checked against; the proxy is the cluster's ``proxy-url`` (http, https or
socks5), else ``HTTPS_PROXY``/``HTTP_PROXY`` by the server's scheme, honouring ``NO_PROXY``.
"""

from __future__ import annotations

import os
import ssl
import warnings
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from kubectl_sidecar.errors import ConfigError
from kubectl_sidecar.kube.text import one_line, redact_url
from kubectl_sidecar.record import record


@record(frozen=True)
class TlsSettings:
    """What the SSL context is built from; ``where`` names the cluster and user in error sentences."""

    ca_file: str | None = None
    ca_data: str | None = None  # PEM text (already base64-decoded)
    cert_file: str | None = None
    cert_data: str | None = None  # PEM text
    key_file: str | None = None
    key_data: str | None = None  # PEM text: never printed, never in repr
    server_name: str | None = None
    insecure: bool = False
    where: str = "the kubeconfig"

    def __repr__(self) -> str:
        return f"TlsSettings(ca_file={self.ca_file!r}, insecure={self.insecure}, where={self.where!r})"


_UNREADABLE = (
    "the client certificate, client key or certificate-authority data of the kubeconfig cannot be read"
)


def build_context(tls: TlsSettings) -> ssl.SSLContext:
    """The one SSL context of a connection; a :class:`ConfigError` naming the part that cannot be read."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # client-go's minimum
    if tls.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif tls.ca_file or tls.ca_data:
        try:
            if tls.ca_file:
                context.load_verify_locations(cafile=tls.ca_file)
            else:
                context.load_verify_locations(cadata=tls.ca_data)
        except (ssl.SSLError, ValueError) as err:
            source = f'file "{tls.ca_file}"' if tls.ca_file else "data"
            raise ConfigError(
                f"{_UNREADABLE}: the certificate-authority {source} of {tls.where} holds no PEM "
                f"certificate ({_ssl_reason(err)})"
            ) from None
        except OSError as err:
            raise ConfigError(
                f'the certificate-authority file "{tls.ca_file}" of {tls.where} cannot be read: '
                f"{err.strerror or err}"
            ) from None
    else:
        context.load_default_certs()
    if (tls.cert_file or tls.cert_data) or (tls.key_file or tls.key_data):
        _load_client_certificate(context, tls)
    return context


def _ssl_reason(err: Exception) -> str:
    reason = getattr(err, "reason", None)
    return str(reason or type(err).__name__).lower().replace("_", " ")


def _load_client_certificate(context: ssl.SSLContext, tls: TlsSettings) -> None:
    """``load_cert_chain`` reads files only: data is written to 0600 temporary files, removed at once."""
    if not (tls.cert_file or tls.cert_data) or not (tls.key_file or tls.key_data):
        missing = "client-key" if tls.cert_file or tls.cert_data else "client-certificate"
        raise ConfigError(f"{tls.where} has a client certificate or key without its {missing}")
    written: list = []
    try:
        cert = tls.cert_file or _write_private(tls.cert_data or "", written)
        key = tls.key_file or _write_private(tls.key_data or "", written)
        # an encrypted key gets an empty password instead of a prompt on the terminal
        context.load_cert_chain(cert, key, password=lambda: b"")
    except ssl.SSLError as err:
        raise ConfigError(
            f"{_UNREADABLE}: the client certificate or key of {tls.where} is not valid PEM, is encrypted, "
            f"or the key does not match the certificate ({_ssl_reason(err)})"
        ) from None
    except OSError as err:
        name = getattr(err, "filename", None)
        raise ConfigError(
            f'the client certificate or key file "{name}" of {tls.where} cannot be read: '
            f"{err.strerror or err}"
        ) from None
    finally:
        for path in written:
            try:
                os.unlink(path)
            except OSError:
                pass


def _write_private(text: str, written: list) -> str:
    import tempfile  # only for client certificates given as data

    handle, path = tempfile.mkstemp(prefix="kubectl-sidecar-", suffix=".pem")  # mode 0600
    written.append(path)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    return path


# ------------------------------------------------------------------------------------------ proxies

_PROXY_SCHEMES = ("http", "https", "socks5")


def choose_proxy(server: str, proxy_url: str | None, environ: Mapping[str, str], where: str) -> str | None:
    """The proxy kubectl would use for ``server``: the cluster's ``proxy-url``, else the environment's."""
    if proxy_url:
        return check_proxy_url(proxy_url, f'proxy-url "{redact_url(proxy_url)}" of {where}')
    parts = urlsplit(server)
    host = parts.hostname or ""
    if _is_loopback(host):
        return None
    names = ("HTTPS_PROXY", "https_proxy") if parts.scheme == "https" else ("HTTP_PROXY", "http_proxy")
    name = next((n for n in names if environ.get(n)), None)
    if name is None:
        return None
    no_proxy = environ.get("NO_PROXY") or environ.get("no_proxy") or ""
    for entry in (e.strip() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*" or host == entry.lstrip(".") or host.endswith("." + entry.lstrip(".")):
            return None
        try:
            import ipaddress

            if ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                return None
        except ValueError:
            pass
    value = environ[name]
    if "://" not in value:  # as Go's ProxyFromEnvironment: "proxy:3128" is http://proxy:3128
        value = "http://" + value
    return check_proxy_url(value, f'{name}="{redact_url(environ[name])}" (the environment)')


def check_proxy_url(url: str, what: str) -> str:
    """Refuse a proxy URL kubectl would refuse (scheme http, https or socks5, a host, a number port).

    ``what`` names the URL in the sentence, userinfo already redacted."""
    try:
        parts = urlsplit(url)
        valid = parts.scheme in _PROXY_SCHEMES and bool(parts.hostname)
        if valid:
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        valid = False
    if not valid or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise ConfigError(
            f"the {one_line(what, 200)} is not a valid proxy URL: kubectl accepts http, https and socks5 "
            "URLs with a host"
        )
    return url


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        import ipaddress

        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ------------------------------------------------------------------------------------------ the pool


class _NoRetriesNoRedirects:
    """Every request without urllib3's retries and without following redirects, whoever calls it."""

    def urlopen(self, method: str, url: str, redirect: bool = True, **kw: Any) -> Any:
        kw["retries"] = False
        return super().urlopen(method, url, redirect=False, **kw)  # type: ignore[misc]


def make_pool(context: ssl.SSLContext, tls: TlsSettings, proxy: str | None, maxsize: int) -> Any:
    """A urllib3 pool (PoolManager, ProxyManager or SOCKSProxyManager) using ``context`` for the server."""
    import urllib3

    kwargs: dict = {"maxsize": maxsize, "block": False, "retries": False, "ssl_context": context}
    if tls.server_name:
        kwargs["server_hostname"] = tls.server_name
    if tls.insecure:
        kwargs["cert_reqs"] = ssl.CERT_NONE
        kwargs["assert_hostname"] = False
    if proxy is None:
        return type("Pool", (_NoRetriesNoRedirects, urllib3.PoolManager), {})(num_pools=4, **kwargs)
    parts = urlsplit(proxy)
    if parts.scheme == "socks5":
        try:
            with warnings.catch_warnings():  # urllib3 warns in several lines before it raises
                warnings.simplefilter("ignore")
                from urllib3.contrib.socks import SOCKSProxyManager
        except ImportError:
            raise ConfigError(
                f'the proxy "{redact_url(proxy)}" is a SOCKS5 proxy, which needs the PySocks package: '
                "pip install PySocks (or kubectl-sidecar[socks])"
            ) from None
        # socks5h: the proxy resolves the server's name, as kubectl's socks5 dialer lets it
        socks = proxy.replace("socks5://", "socks5h://", 1)
        cls = type("SocksPool", (_NoRetriesNoRedirects, SOCKSProxyManager), {})
        return cls(socks, num_pools=4, **kwargs)
    headers = None
    if parts.username is not None:
        auth = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers = urllib3.make_headers(proxy_basic_auth=auth)
    plain = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
    cls = type("ProxyPool", (_NoRetriesNoRedirects, urllib3.ProxyManager), {})
    return cls(plain, num_pools=4, proxy_headers=headers, **kwargs)
