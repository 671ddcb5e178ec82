"""Credentials, TLS settings and kubeconfig limits resolved without a server (no sockets, no processes).

Every refusal is a :class:`ConfigError` (exit 2) whose sentence names the field and never holds its value:
each test plants a distinctive secret and checks it is absent from the sentence.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import tempfile
import threading
import time

import pytest
import urllib3  # noqa: F401 - before the purity guard: urllib3's import probes IPv6 with a socket

from kubectl_sidecar import yamlsafe
from kubectl_sidecar.errors import ConfigError
from kubectl_sidecar.kube import config, credentials, tls
from kubectl_sidecar.kube.config import Connection, resolve_connection
from kubectl_sidecar.kube.credentials import Credentials, check_header_value, oidc_authorization
from kubectl_sidecar.kube.text import one_line, redact_url
from kubectl_sidecar.options import KubeOptions

SECRET = "S3CRET-c4n4ry-91f2"


@pytest.fixture(autouse=True)
def no_environment(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "SERVICE_ACCOUNT_DIR", str(tmp_path / "no-service-account"))


def kubeconfig(
    tmp_path, cluster: dict | None = None, user: dict | None = None, raw: str | None = None
) -> str:
    path = tmp_path / "kubeconfig"
    if raw is not None:
        path.write_text(raw)
        return str(path)
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "t",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:6443", **(cluster or {})}}],
        "users": [{"name": "u", "user": user if user is not None else {"token": SECRET}}],
        "contexts": [{"name": "t", "context": {"cluster": "c", "user": "u"}}],
    }
    path.write_text(json.dumps(doc))
    return str(path)


def refused(path: str, *fragments: str, environ: dict | None = None, **flags: object) -> str:
    with pytest.raises(ConfigError) as caught:
        resolve_connection(KubeOptions(kubeconfig=path, **flags), environ or {}).pool()
    sentence = str(caught.value)
    for fragment in fragments:
        assert fragment in sentence, sentence
    assert SECRET not in sentence and "\n" not in sentence, sentence
    assert base64.b64encode(SECRET.encode()).decode()[:12] not in sentence
    return sentence


def jwt(claims: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.{SECRET}"


# ------------------------------------------------------------------------------------------ header values


@pytest.mark.parametrize(
    "value, problem",
    [
        (f"A\n{SECRET}", "holds a line break"),
        (f"{SECRET}\r\n", "holds a line break"),
        (f"{SECRET}\x00", "holds a control character (U+0000)"),
        (f"{SECRET}\x7f", "holds a control character (U+007F)"),
        (f"{SECRET}→", "holds a character outside Latin-1"),
    ],
    ids=["lf", "crlf", "nul", "del", "non-latin-1"],
)
def test_header_values_are_checked_and_never_shown(value, problem):
    with pytest.raises(ConfigError) as caught:
        check_header_value(value, 'the token of user "u"')
    assert str(caught.value).startswith(f'the token of user "u" {problem}')
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    "user, flags, fragment",
    [
        ({"token": f"A\n{SECRET}"}, {}, 'the token of user "u" in kubeconfig'),
        ({}, {"token": f"A\n{SECRET}"}, "the --token value holds a line break"),
        ({"token": "ok", "as": f"bob\nX: {SECRET}"}, {}, '"as" of user "u" in kubeconfig'),
        ({"token": "ok"}, {"as_user": f"bob\nX: {SECRET}"}, "the --as value holds a line break"),
        ({"token": "ok"}, {"as_groups": ("dev", f"ops\r{SECRET}")}, "an --as-group value holds a line break"),
        ({"token": f"é{SECRET}✓"}, {}, "holds a character outside Latin-1"),
    ],
    ids=["kubeconfig-token", "flag-token", "kubeconfig-as", "flag-as", "flag-as-group", "non-latin-1"],
)
def test_unsendable_credentials_are_refused_before_any_request(tmp_path, user, flags, fragment):
    refused(kubeconfig(tmp_path, user=user), fragment, **flags)


def test_a_token_file_is_trimmed_but_two_lines_are_refused(tmp_path):
    token = tmp_path / "token"
    token.write_text(f"  {SECRET}\n\n")
    connection = resolve_connection(
        KubeOptions(kubeconfig=kubeconfig(tmp_path, user={"tokenFile": "token"})), {}
    )
    assert connection.headers() == [("Authorization", f"Bearer {SECRET}")]
    token.write_text(f"{SECRET}\nsecond-line\n")
    sentence = refused(
        kubeconfig(tmp_path, user={"tokenFile": str(token)}), 'tokenFile "', "holds a line break"
    )
    assert str(token) in sentence


def test_a_token_file_is_read_again_after_a_minute(tmp_path):
    token = tmp_path / "token"
    token.write_text("one")
    now = [1000.0]
    creds = Credentials(token_file=str(token), field="the token", clock=lambda: now[0])
    token.write_text("two")
    assert creds.authorization() == "Bearer one"
    now[0] += credentials.TOKEN_FILE_PERIOD
    assert creds.authorization() == "Bearer two"


def test_an_expired_fetched_token_is_fetched_once_whatever_the_threads():
    now = [1000.0]
    calls: list = []
    gate = threading.Barrier(8)

    def fetch():
        calls.append(now[0])
        time.sleep(0.01)  # let the other threads pile up on the lock
        return f"token-{len(calls)}", now[0] + 3600

    creds = Credentials(fetch=fetch, field="the exec token", clock=lambda: now[0])
    now[0] += 3600
    seen: list = []

    def ask():
        gate.wait()
        seen.append(creds.authorization())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 2 and set(seen) == {"Bearer token-2"}


def test_an_exec_token_with_crlf_is_refused_on_refresh_too():
    answers = iter([("good", 10.0), (f"{SECRET}\r\n", 99999.0)])
    now = [0.0]
    creds = Credentials(
        fetch=lambda: next(answers), field='the token of user "u" (exec plugin "p")', clock=lambda: now[0]
    )
    now[0] = 100.0
    with pytest.raises(ConfigError, match="holds a line break") as caught:
        creds.authorization()
    assert SECRET not in str(caught.value)


# ------------------------------------------------------------------------------------------ server URL


def test_userinfo_leaves_the_server_and_becomes_basic_auth(tmp_path):
    path = kubeconfig(tmp_path, cluster={"server": f"https://admin:{SECRET}@127.0.0.1:6443/prefix/"}, user={})
    connection = resolve_connection(KubeOptions(kubeconfig=path), {})
    assert connection.server == "https://127.0.0.1:6443/prefix"
    assert SECRET not in connection.source + connection.described + repr(connection)
    expected = "Basic " + base64.b64encode(f"admin:{SECRET}".encode()).decode()
    assert connection.headers() == [("Authorization", expected)]


def test_userinfo_is_never_echoed_in_a_refusal(tmp_path):
    path = kubeconfig(tmp_path, cluster={"server": f"https://admin:{SECRET}@[::1"})
    refused(path, 'the API server address "https://***@[::1" from kubeconfig')


def test_no_credentials_over_http(tmp_path):
    path = kubeconfig(tmp_path, cluster={"server": f"http://admin:{SECRET}@127.0.0.1:8080"})
    connection = resolve_connection(KubeOptions(kubeconfig=path), {})
    assert connection.headers() == [] and connection.credentials_withheld
    assert connection.server == "http://127.0.0.1:8080"


def test_redaction_of_urls_in_text():
    assert redact_url(f"Get https://admin:{SECRET}@h:1/api: refused") == "Get https://***@h:1/api: refused"
    assert SECRET not in one_line(f"proxy socks5://u:{SECRET}@p:1080 failed")
    assert redact_url("https://host/a@b") == "https://host/a@b"


# ------------------------------------------------------------------------------------------ TLS


@pytest.mark.parametrize("value", ["false", "no", "0", "off", "true"], ids=str)
def test_insecure_skip_tls_verify_must_be_a_yaml_boolean(tmp_path, value):
    path = kubeconfig(tmp_path, cluster={"insecure-skip-tls-verify": value})
    refused(
        path,
        '"insecure-skip-tls-verify" of cluster "c"',
        "must be true or false (a YAML boolean), not a string",
    )


def test_unquoted_yaml_booleans_are_booleans(tmp_path):
    text = (
        "current-context: t\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1', "
        "insecure-skip-tls-verify: no}\nusers: [{name: u, user: {token: x}}]\n"
        "contexts: [{name: t, context: {cluster: c, user: u}}]\n"
    )
    connection = resolve_connection(KubeOptions(kubeconfig=kubeconfig(tmp_path, raw=text)), {})
    assert connection.tls.insecure is False


def test_insecure_with_a_certificate_authority_is_refused_as_kubectl_refuses_it(tmp_path):
    ca = tmp_path / "ca.crt"
    ca.write_text("x")
    path = kubeconfig(tmp_path, cluster={"insecure-skip-tls-verify": True, "certificate-authority": str(ca)})
    refused(path, "specifying a root certificates file with the insecure flag is not allowed")
    # the flag replaces the kubeconfig's CA, as cli-runtime does
    connection = resolve_connection(KubeOptions(kubeconfig=path, insecure_skip_tls_verify=True), {})
    assert connection.tls.insecure and connection.tls.ca_file is None


@pytest.mark.parametrize(
    "cluster, fragment",
    [
        ({"certificate-authority-data": 12345}, '"certificate-authority-data" of cluster "c" in kubeconfig'),
        ({"certificate-authority-data": "!!not base64!!"}, "is not base64-encoded PEM data"),
        (
            {"certificate-authority-data": base64.b64encode(b"not a certificate").decode()},
            "certificate-authority data of the kubeconfig cannot be read",
        ),
        ({"proxy-url": "not a url"}, 'the proxy-url "not a url" of cluster "c"'),
        ({"proxy-url": "ftp://127.0.0.1:21"}, "kubectl accepts http, https and socks5"),
        ({"proxy-url": f"http://u:{SECRET}@proxy:bad"}, 'the proxy-url "http://***@proxy:bad"'),
        ({"server": ["x"]}, '"server" of cluster "c" in kubeconfig'),
    ],
    ids=[
        "ca-data-number",
        "ca-data-not-base64",
        "ca-data-not-pem",
        "proxy-not-url",
        "proxy-ftp",
        "proxy-userinfo",
        "server-list",
    ],
)
def test_cluster_fields_kubectl_would_refuse(tmp_path, cluster, fragment):
    refused(kubeconfig(tmp_path, cluster=cluster), fragment)


def test_a_socks5_proxy_without_pysocks_is_one_sentence(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "urllib3.contrib.socks", None)  # as if PySocks were missing
    path = kubeconfig(tmp_path, cluster={"proxy-url": "socks5://127.0.0.1:1080"})
    refused(path, "SOCKS5 proxy, which needs the PySocks package: pip install PySocks")


def test_proxy_choice_follows_kubectl():
    env = {"HTTPS_PROXY": "http://proxy:3128", "HTTP_PROXY": "plain:3128"}
    server = "https://api.example.com:6443"
    assert tls.choose_proxy(server, None, env, "x") == "http://proxy:3128"
    assert tls.choose_proxy(server, None, dict(env, NO_PROXY=".example.com"), "x") is None
    assert tls.choose_proxy(server, "socks5://cluster-proxy:1", env, "x") == "socks5://cluster-proxy:1"
    assert tls.choose_proxy("https://127.0.0.1:6443", None, env, "x") is None  # loopback: never proxied
    assert tls.choose_proxy("http://10.0.0.1:8080", None, dict(env, NO_PROXY="10.0.0.0/8"), "x") is None
    assert (
        tls.choose_proxy("http://10.0.0.1:8080", None, env, "x") == "http://plain:3128"
    )  # Go's default scheme
    with pytest.raises(
        ConfigError, match=r'HTTPS_PROXY="ftp://\*\*\*@p:1" \(the environment\) is not a valid'
    ):
        tls.choose_proxy(server, None, {"HTTPS_PROXY": f"ftp://u:{SECRET}@p:1"}, "x")


def test_a_direct_connection_uses_the_standard_library_with_one_context(tmp_path):
    """No proxy: http.client through StdlibTransport (urllib3 is not even imported for it); every pool
    of the connection shares the one SSL context. Redirects, retries and Accept-Encoding on sockets:
    tests/integration/test_transport.py."""
    from kubectl_sidecar.kube.transport import StdlibTransport

    connection = resolve_connection(KubeOptions(kubeconfig=kubeconfig(tmp_path)), {})
    first, second = connection.pool(maxsize=3), connection.pool()
    assert isinstance(first, StdlibTransport) and isinstance(second, StdlibTransport)
    context = first._context
    assert context is second._context and context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_behind_a_proxy_the_urllib3_pool_has_one_context_no_retries_no_redirects_no_accept_encoding(tmp_path):
    from kubectl_sidecar.kube.transport import Urllib3Transport

    path = kubeconfig(tmp_path, cluster={"proxy-url": "http://proxy.test:3128"})
    connection = resolve_connection(KubeOptions(kubeconfig=path), {})
    wrapper = connection.pool(maxsize=3)
    assert isinstance(wrapper, Urllib3Transport)
    pool = wrapper._pool
    first = pool.connection_from_url("https://127.0.0.1:6443")
    second = pool.connection_from_url("https://127.0.0.1:6444")
    context = first.conn_kw["ssl_context"]
    assert (
        context is second.conn_kw["ssl_context"] is connection.pool()._pool.connection_pool_kw["ssl_context"]
    )
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert first.retries.total is False and first.pool.maxsize == 3
    assert "accept-encoding" not in {k.lower() for k in pool.headers}
    sent: list = []

    class Answer:  # a redirect that must not be followed
        status = 302
        headers: dict = {}

        def get_redirect_location(self):
            return "https://127.0.0.1:6443/elsewhere"

    class FakeHostPool:
        def urlopen(self, method, url, **kw):
            sent.append((url, kw))
            return Answer()

    pool.connection_from_host = lambda *args, **kwargs: FakeHostPool()
    assert isinstance(pool.urlopen("GET", "https://127.0.0.1:6443/api", redirect=True, retries=5), Answer)
    assert [(url, kw["retries"]) for url, kw in sent] == [("/api", False)]  # tunnelled: the path form


def test_client_key_data_is_written_only_while_loading(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    os.mkdir(tmp_path / "tmp")
    key = base64.b64encode(
        f"-----BEGIN PRIVATE KEY-----\n{SECRET}\n-----END PRIVATE KEY-----\n".encode()
    ).decode()
    cert = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").decode()
    seen_modes: list = []
    real = ssl.SSLContext.load_cert_chain

    def spy(self, certfile, keyfile=None, password=None):
        seen_modes.append(oct(os.stat(keyfile).st_mode & 0o777))
        return real(self, certfile, keyfile, password)

    monkeypatch.setattr(ssl.SSLContext, "load_cert_chain", spy)
    path = kubeconfig(tmp_path, user={"token": "t", "client-certificate-data": cert, "client-key-data": key})
    refused(path, "client key or certificate-authority data of the kubeconfig cannot be read", 'user "u"')
    assert seen_modes == ["0o600"]
    assert os.listdir(tmp_path / "tmp") == []


# ------------------------------------------------------------------------------------------ oidc


def test_an_unexpired_oidc_id_token_is_the_bearer_token():
    token = jwt({"exp": time.time() + 3600})
    assert oidc_authorization({"id-token": token}, "u") == f"Bearer {token}"


@pytest.mark.parametrize(
    "config, fragment",
    [
        (
            {"id-token": jwt({"exp": 1_600_000_000}), "refresh-token": SECRET},
            "has expired at 2020-09-13T12:26:40Z",
        ),
        ({"id-token": jwt({"sub": "me"})}, "carries no expiry (exp)"),
        ({"id-token": jwt({"exp": time.time() + 5})}, "has expired"),
        ({"id-token": f"not-a-jwt-{SECRET}"}, "is not a JWT"),
        ({"id-token": f"a.{SECRET}.c"}, "is not a JWT whose claims can be read"),
        ({"refresh-token": SECRET}, "holds no id-token"),
    ],
    ids=["expired", "no-exp", "within-the-margin", "not-a-jwt", "bad-claims", "no-id-token"],
)
def test_an_oidc_token_that_cannot_be_used_is_refused_never_refreshed(tmp_path, config, fragment):
    provider = {
        "name": "oidc",
        "config": {"client-secret": SECRET, "idp-issuer-url": "https://127.0.0.1:1", **config},
    }
    sentence = refused(kubeconfig(tmp_path, user={"auth-provider": provider}), fragment)
    if "id-token" in config and "JWT" not in fragment:
        assert "kubelogin" in sentence and "never writes the kubeconfig" in sentence


def test_an_unknown_auth_provider_is_refused(tmp_path):
    refused(
        kubeconfig(tmp_path, user={"auth-provider": {"name": "acme"}}), 'the auth-provider "acme" of user "u"'
    )


# ------------------------------------------------------------------------------------------ YAML limits

BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi")
)


@pytest.mark.parametrize(
    "text, fragment",
    [
        (
            BOMB + "clusters: [{name: c, cluster: {server: 'https://h', extensions: *i}}]\n",
            "excessive aliasing",
        ),
        ("x: " + "[" * 5000 + "]" * 5000 + "\n", "is nested too deeply to read (more than 200 levels)"),
        ("x: 0x" + "f" * 5000 + "\n", "holds a number too long to read (over 4300 digits)"),
        ("x: 1" + ":59" * 3000 + "\n", "holds a number too long to read (over 4300 digits)"),
        ("x: &a [*a]\n", "refers to itself"),
    ],
    ids=["alias-bomb", "deep", "hex-int", "base-60-int", "recursive"],
)
def test_kubeconfigs_are_read_within_the_yaml_limits(tmp_path, text, fragment):
    path = kubeconfig(tmp_path, raw=text)
    with pytest.raises(ConfigError, match="refused") as caught:
        resolve_connection(KubeOptions(kubeconfig=path), {})
    assert fragment in str(caught.value) and f'kubeconfig "{path}"' in str(caught.value)


def test_yamlsafe_keeps_benign_anchors():
    assert yamlsafe.load("a: &x {k: 1}\nb: *x\nc: 0x10\n") == {"a": {"k": 1}, "b": {"k": 1}, "c": 16}


def test_a_connection_built_directly_sends_nothing_but_what_it_is_given():
    connection = Connection(server="https://h", impersonate_user="alice", impersonate_groups=("a", "b"))
    assert connection.headers() == [
        ("Impersonate-User", "alice"),
        ("Impersonate-Group", "a"),
        ("Impersonate-Group", "b"),
    ]
