"""Kubeconfig and flags as kubectl reads them: merge rules, overrides, namespaces, in-cluster, auth.

Each behaviour is checked against the stand-in API server (exec plugins through the real kubernetes
library, the only users that load it), and where kubectl's own behaviour is the reference (KUBECONFIG merging, impersonation headers, tokens over
http), against the real kubectl binary as well.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from clirunner import cli_runner
from fakeapi import FakeApiServer, session_certs, write_kubeconfig

from kubectl_sidecar import kube
from kubectl_sidecar.cli import cli
from kubectl_sidecar.errors import ApiError, ConfigError, NotFoundError
from kubectl_sidecar.options import KubeOptions

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": "p1",
        "namespace": "team-a",
        "uid": "u-1",
        "creationTimestamp": "2025-01-01T00:00:00Z",
    },
    "spec": {"containers": [{"name": "app", "image": "busybox"}]},
    "status": {"phase": "Running"},
}


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch, clean_kube_env):
    """clean_kube_env, and no service account either."""
    home = clean_kube_env
    monkeypatch.setattr(kube.config, "SERVICE_ACCOUNT_DIR", str(tmp_path / "no-service-account"))
    return home


def snapshot_of(opts: KubeOptions, name="p1"):
    return kube.fetch_pod_snapshot(opts, name)


def run(*args, env=None):
    base = {"COLUMNS": "100", "TZ": "UTC", "NO_COLOR": "1"}
    base.update(env or {})
    return cli_runner().invoke(cli, list(args), env=base, catch_exceptions=False)


# ------------------------------------------------------------------------------------ KUBECONFIG merge


def test_merge_first_file_wins_for_entries_and_current_context():
    a = {
        "current-context": "one",
        "contexts": [{"name": "one", "context": {"cluster": "c", "user": "u"}}],
        "clusters": [{"name": "c", "cluster": {"server": "https://a"}}],
    }
    b = {
        "current-context": "two",
        "contexts": [
            {"name": "one", "context": {"cluster": "x"}},
            {"name": "two", "context": {"cluster": "c"}},
        ],
        "clusters": [{"name": "c", "cluster": {"server": "https://b"}}],
    }
    merged = kube.config.merge_kubeconfigs([("a", a), ("b", b)])
    assert merged["current-context"] == "one"
    assert merged["clusters"]["c"] == ("a", {"name": "c", "cluster": {"server": "https://a"}})
    assert merged["contexts"]["one"][1]["context"]["cluster"] == "c"
    assert merged["contexts"]["two"][0] == "b"
    # a file without current-context does not reset it; a later one does not override it
    assert kube.config.merge_kubeconfigs([("a", {}), ("b", b)])["current-context"] == "two"


def _two_servers_kubeconfigs(tmp_path, first, second):
    """a: current-context "first" (server 1); b: current-context "second" (server 2) and a
    conflicting definition of cluster "shared"."""
    a = write_kubeconfig(
        tmp_path / "a.json",
        first.url,
        context="first",
        cluster="shared",
        namespace="team-a",
        extra_contexts=[{"name": "second", "server": second.url, "namespace": "team-a"}],
    )
    b = write_kubeconfig(
        tmp_path / "b.json",
        second.url,
        context="second",
        cluster="shared",
        namespace="team-a",
        current_context="second",
    )
    return a, b


def test_kubeconfig_list_first_current_context_wins_like_kubectl(
    tmp_path, monkeypatch, fake_api_factory, kubectl
):
    first = fake_api_factory([POD])
    second = fake_api_factory([dict(POD, metadata=dict(POD["metadata"], uid="u-2"))])
    a, b = _two_servers_kubeconfigs(tmp_path, first, second)
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([a, b]))

    snap = snapshot_of(KubeOptions())
    assert snap.pods[0]["metadata"]["uid"] == "u-1"
    assert snap.source == f'context "first" ({first.url})'
    assert second.requests == []

    # kubectl agrees: current context and the server it talks to
    proc = kubectl(os.pathsep.join([a, b]), "config", "current-context")
    assert proc.stdout.strip() == "first"
    proc = kubectl(
        os.pathsep.join([a, b]), "get", "pod", "p1", "-n", "team-a", "-o", "jsonpath={.metadata.uid}"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "u-1"

    # the cluster "shared" is defined by both files: the first definition wins for --context second too
    snap = snapshot_of(KubeOptions(context="second"))
    assert snap.source == f'context "second" ({second.url})'  # "second" names its own cluster


def test_python_client_differs_and_we_do_not_follow_it(tmp_path, monkeypatch, fake_api_factory):
    """The Python client lets the last file's current-context win; load_config() with a path list
    falls back to in-cluster config. The plugin does neither."""
    from kubernetes import config as kconfig

    first = fake_api_factory([POD])
    second = fake_api_factory([POD])
    a, b = _two_servers_kubeconfigs(tmp_path, first, second)
    joined = os.pathsep.join([a, b])
    _contexts, active = kconfig.list_kube_config_contexts(joined)
    assert active["name"] == "second"  # the client's rule
    monkeypatch.setenv("KUBECONFIG", joined)
    assert kube.config.resolve_connection(KubeOptions()).context == "first"  # kubectl's rule


def test_missing_files_in_kubeconfig_list_are_skipped(tmp_path, monkeypatch, fake_api):
    good = fake_api.write_kubeconfig(tmp_path / "good.json", namespace="team-a")
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([str(tmp_path / "missing.json"), good]))
    fake_api.put(POD)
    assert snapshot_of(KubeOptions()).pods[0]["metadata"]["name"] == "p1"


def test_default_kubeconfig_in_home(isolated_home, fake_api):
    fake_api.put(POD)
    fake_api.write_kubeconfig(isolated_home / ".kube" / "config", namespace="team-a")
    assert snapshot_of(KubeOptions()).pods[0]["metadata"]["name"] == "p1"


# ------------------------------------------------------------------------------------ flags


def test_namespace_flag_then_context_then_default(tmp_path, fake_api):
    with_ns = fake_api.write_kubeconfig(tmp_path / "ns.json", namespace="team-a")
    without = fake_api.write_kubeconfig(tmp_path / "plain.json")
    assert kube.config.resolve_connection(KubeOptions(kubeconfig=with_ns)).namespace == "team-a"
    assert kube.config.resolve_connection(KubeOptions(kubeconfig=with_ns, namespace="x")).namespace == "x"
    assert kube.config.resolve_connection(KubeOptions(kubeconfig=without)).namespace == "default"


def test_context_cluster_user_and_server_overrides(tmp_path, fake_api_factory):
    first = fake_api_factory([POD])
    second = fake_api_factory([POD], tls=True, token="second-token")
    path = write_kubeconfig(
        tmp_path / "k.json",
        first.url,
        namespace="team-a",
        extra_contexts=[
            {
                "name": "other",
                "server": second.url,
                "ca_path": second.ca_path,
                "token": "second-token",
                "namespace": "team-a",
            }
        ],
    )
    # --context picks the context's cluster, user and namespace
    assert snapshot_of(KubeOptions(kubeconfig=path, context="other")).source.endswith(f"({second.url})")
    # --cluster and --user replace the context's
    opts = KubeOptions(kubeconfig=path, cluster="other-cluster", user="other-user", namespace="team-a")
    assert kube.config.resolve_connection(opts).server == second.url
    snapshot_of(opts)
    assert second.requests[-1].headers["authorization"] == "Bearer second-token"
    # --server replaces the cluster's address; --token the user's token
    opts = KubeOptions(
        kubeconfig=path,
        server=second.url,
        certificate_authority=second.ca_path,
        token="second-token",
        namespace="team-a",
    )
    assert snapshot_of(opts).source == f'context "test" ({second.url})'


def test_server_and_token_flags_without_any_kubeconfig(fake_api_tls):
    fake_api_tls.put(POD)
    opts = KubeOptions(
        server=fake_api_tls.url,
        token=fake_api_tls.token,
        certificate_authority=fake_api_tls.ca_path,
        namespace="team-a",
    )
    snap = snapshot_of(opts)
    assert snap.source == f"server {fake_api_tls.url}"
    assert fake_api_tls.requests[-1].headers["authorization"] == f"Bearer {fake_api_tls.token}"


def test_insecure_skip_tls_verify_flag(tmp_path, fake_api_tls):
    fake_api_tls.put(POD)
    path = fake_api_tls.write_kubeconfig(tmp_path / "k.json", ca_path=None, namespace="team-a")
    with pytest.raises(ApiError, match="certificate verify failed"):
        snapshot_of(KubeOptions(kubeconfig=path))
    assert snapshot_of(KubeOptions(kubeconfig=path, insecure_skip_tls_verify=True)).pods


def test_relative_certificate_authority_resolves_against_its_kubeconfig(tmp_path, monkeypatch, fake_api_tls):
    fake_api_tls.put(POD)
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    (conf_dir / "ca.crt").write_bytes(open(fake_api_tls.ca_path, "rb").read())
    path = fake_api_tls.write_kubeconfig(conf_dir / "k.json", ca_path="ca.crt", namespace="team-a")
    monkeypatch.chdir(tmp_path)  # not the kubeconfig's folder
    assert snapshot_of(KubeOptions(kubeconfig=path)).pods


def test_impersonation_headers_match_kubectl(tmp_path, kubectl):
    """--as and each --as-group become their own header lines, as kubectl sends them."""
    seen = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(
                (self.headers.get("Impersonate-User"), self.headers.get_all("Impersonate-Group") or [])
            )
            body = json.dumps(
                {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "status": "Failure",
                    "code": 404,
                    "reason": "NotFound",
                    "message": "nothing here",
                }
            ).encode()
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        path = write_kubeconfig(tmp_path / "k.json", url)
        with pytest.raises(NotFoundError):  # the recorder answers 404 to every request
            snapshot_of(KubeOptions(kubeconfig=path, as_user="alice", as_groups=("dev", "ops")))
        ours = seen[0]
        seen.clear()
        kubectl(path, "get", "pod", "p1", "--as", "alice", "--as-group", "dev", "--as-group", "ops")
        theirs = next(s for s in seen if s[0])
    finally:
        server.shutdown()
    assert ours == ("alice", ["dev", "ops"]) == theirs


def test_impersonation_from_the_kubeconfig_user(tmp_path, fake_api):
    fake_api.put(POD)
    path = fake_api.write_kubeconfig(tmp_path / "k.json", namespace="team-a")
    with open(path) as handle:
        config = json.load(handle)
    config["users"][0]["user"]["as"] = "bob"
    with open(path, "w") as handle:
        json.dump(config, handle)
    snapshot_of(KubeOptions(kubeconfig=path))
    assert fake_api.requests[-1].headers["impersonate-user"] == "bob"


# ------------------------------------------------------------------------------------ credentials


def test_tokens_are_not_sent_over_plain_http_as_kubectl_does(tmp_path, fake_api_factory, kubectl):
    api = fake_api_factory([POD], token="secret-token-123")
    path = api.write_kubeconfig(tmp_path / "k.json", namespace="team-a")
    result = run("timeline", "p1", "--kubeconfig", path)
    assert result.exit_code == 2
    assert "401" in result.stderr and "only over https" in result.stderr
    assert "secret-token-123" not in result.stderr + result.stdout
    assert all(r.headers.get("authorization") is None for r in api.requests)
    proc = kubectl(path, "get", "pod", "p1", "-n", "team-a")
    assert proc.returncode != 0 and "logged in" in proc.stderr  # kubectl withheld it too


def _write_exec_plugin(tmp_path, token: str, fail: bool = False) -> str:
    script = tmp_path / "cred-plugin.py"
    if fail:
        body = "import sys\nsys.stderr.write('login expired\\n')\nsys.exit(3)\n"
    else:
        body = (
            "import json, os\n"
            "assert os.environ.get('KUBERNETES_EXEC_INFO')\n"
            f"print(json.dumps({{'apiVersion': 'client.authentication.k8s.io/v1', 'kind': 'ExecCredential', "
            f"'status': {{'token': {token!r}}}}}))\n"
        )
    script.write_text(body)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def _kubeconfig_with_exec(tmp_path, api, script) -> str:
    path = api.write_kubeconfig(tmp_path / "k.json", token=None, namespace="team-a")
    with open(path) as handle:
        config = json.load(handle)
    config["users"][0]["user"] = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": sys.executable,
            "args": [script],
            "interactiveMode": "Never",
        }
    }
    with open(path, "w") as handle:
        json.dump(config, handle)
    return path


def test_exec_credential_plugin_and_kubeconfig_never_written(tmp_path, fake_api_tls):
    fake_api_tls.put(POD)
    script = _write_exec_plugin(tmp_path, fake_api_tls.token)
    path = _kubeconfig_with_exec(tmp_path, fake_api_tls, script)
    before = (open(path, "rb").read(), os.stat(path).st_mtime_ns)
    assert snapshot_of(KubeOptions(kubeconfig=path)).pods
    assert fake_api_tls.requests[-1].headers["authorization"] == f"Bearer {fake_api_tls.token}"
    assert (open(path, "rb").read(), os.stat(path).st_mtime_ns) == before


def test_failing_exec_plugin_is_one_sentence(tmp_path, fake_api_tls):
    script = _write_exec_plugin(tmp_path, "", fail=True)
    path = _kubeconfig_with_exec(tmp_path, fake_api_tls, script)
    result = run("timeline", "p1", "--kubeconfig", path)
    assert result.exit_code == 2
    assert result.stderr.startswith('error: the credential plugin (exec) of user "test-user" failed')
    assert "Traceback" not in result.stderr
    assert fake_api_tls.requests == []


def test_in_cluster_config_when_there_is_no_kubeconfig(tmp_path, monkeypatch, fake_api_factory):
    api = fake_api_factory([POD], tls=True, token="sa-token")
    account = tmp_path / "serviceaccount"
    account.mkdir()
    (account / "token").write_text("sa-token")
    (account / "ca.crt").write_bytes(open(api.ca_path, "rb").read())
    (account / "namespace").write_text("team-a")
    monkeypatch.setattr(kube.config, "SERVICE_ACCOUNT_DIR", str(account))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(api.port))
    snap = snapshot_of(KubeOptions())
    assert snap.source == f"in-cluster config (https://127.0.0.1:{api.port})"
    assert api.requests[-1].headers["authorization"] == "Bearer sa-token"
    monkeypatch.setenv("POD_NAMESPACE", "elsewhere")
    assert kube.config.resolve_connection(KubeOptions()).namespace == "elsewhere"


# ------------------------------------------------------------------------------------ config errors


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("clusters: [", "is not valid YAML at line"),
        ("- just\n- a list\n", "holds a list, not a kubeconfig mapping"),
        ("clusters: {a: 1}\n", '"clusters" must be a list'),
        ("contexts:\n- context: {cluster: c}\n", 'every entry of "contexts" needs a name'),
    ],
    ids=["yaml", "list", "clusters-map", "nameless"],
)
def test_broken_kubeconfig_is_one_sentence(tmp_path, content, fragment):
    path = tmp_path / "broken"
    path.write_text(content)
    result = run("timeline", "p1", "--kubeconfig", str(path))
    assert result.exit_code == 2
    assert fragment in result.stderr and str(path) in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_missing_kubeconfig(tmp_path):
    result = run("timeline", "p1", "--kubeconfig", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert "does not exist (--kubeconfig)" in result.stderr
    result = run("timeline", "p1")
    assert result.exit_code == 2
    assert "no kubeconfig found" in result.stderr and "not running in a pod" in result.stderr


def test_unknown_context_lists_the_known_ones(tmp_path, fake_api):
    path = fake_api.write_kubeconfig(tmp_path / "k.json", extra_contexts=[{"name": "staging"}])
    result = run("timeline", "p1", "--kubeconfig", path, "--context", "prod")
    assert result.exit_code == 2
    assert 'context "prod" (--context) is not defined in kubeconfig' in result.stderr
    assert "staging, test" in result.stderr
    assert fake_api.requests == []


def test_context_naming_a_missing_cluster(tmp_path):
    path = tmp_path / "k.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: a\ncontexts:\n- name: a\n"
        "  context: {cluster: gone, user: u}\n"
    )
    with pytest.raises(ConfigError, match='context "a" names cluster "gone"'):
        kube.config.resolve_connection(KubeOptions(kubeconfig=str(path)))


def test_no_current_context(tmp_path, fake_api):
    path = fake_api.write_kubeconfig(tmp_path / "k.json", current_context=None)
    with pytest.raises(ConfigError, match="sets no current-context: choose a context with --context"):
        kube.config.resolve_connection(KubeOptions(kubeconfig=path))


def test_fake_api_server_helper_is_what_we_think(fake_api):
    assert isinstance(fake_api, FakeApiServer) and fake_api.url.startswith("http://127.0.0.1:")


def test_commands_that_need_no_cluster_never_import_kubernetes(tmp_path):
    """--help, demo and -f stay fast: the kubernetes package is imported only to talk to a cluster."""
    import subprocess

    demo = os.path.join(os.path.dirname(os.path.dirname(kube.__file__)), "demo", "native-sidecar.yaml")
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from kubectl_sidecar.cli import cli\n"
        "for args in (['--help'], ['timeline', '--help'], ['demo', 'native'], ['timeline', '-f', sys.argv[1]]):\n"
        "    result = CliRunner().invoke(cli, args)\n"
        "    assert result.exit_code == 0, (args, result.output)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('kubernetes', 'urllib3')))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, demo],
        capture_output=True,
        text=True,
        cwd=str(tmp_path),
        env=_plain_env(),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


# ------------------------------------------------------------------------------------------ issue 16

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET = "S3CRET-kc-7d41e9"


def _plain_env(**extra: str) -> dict:
    """The environment of a child process: this checkout first, no kube or proxy variables."""
    env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper() and not k.startswith("KUBE")}
    env["PYTHONPATH"] = ROOT
    env.update(extra)
    return env


def _edit(path: str, change) -> str:
    with open(path) as handle:
        config = json.load(handle)
    change(config)
    with open(path, "w") as handle:
        json.dump(config, handle)
    return path


def _jwt(claims: dict) -> str:
    import base64

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.{SECRET}"


_NO_KUBERNETES_PROBE = (
    "import sys\n"
    "from kubectl_sidecar.cli import main\n"
    "sys.argv = ['kubectl-sidecar', 'timeline', 'p1', '--kubeconfig', sys.argv[1]]\n"
    "try:\n"
    "    main()\n"
    "except SystemExit as done:\n"
    "    code = done.code\n"
    "print(code, sorted(m for m in sys.modules if m.split('.')[0] in ('kubernetes', 'requests', 'oauthlib')))\n"
)


@pytest.mark.parametrize("kind", ["token", "tokenFile", "oidc", "client-certificate"])
def test_a_timeline_with_static_credentials_imports_nothing_of_kubernetes(tmp_path, fake_api_tls, kind):
    """The hot path of a token, token-file, oidc or certificate user: the stand-in over TLS, in a fresh
    interpreter, and not one module of the kubernetes package (nor its requests/oauthlib) imported."""
    import subprocess
    import time

    fake_api_tls.put(POD)
    path = fake_api_tls.write_kubeconfig(tmp_path / "k.json", namespace="team-a")
    certs = session_certs()
    users = {
        "token": {"token": fake_api_tls.token},
        "tokenFile": {"tokenFile": "token.txt"},
        "oidc": {
            "auth-provider": {"name": "oidc", "config": {"id-token": _jwt({"exp": time.time() + 3600})}}
        },
        "client-certificate": {
            "token": fake_api_tls.token,
            "client-certificate": certs.cert_path,
            "client-key": certs.key_path,
        },
    }
    (tmp_path / "token.txt").write_text(fake_api_tls.token + "\n")
    _edit(path, lambda c: c["users"][0].update(user=users[kind]))
    if kind == "oidc":  # the stand-in wants its own token: let it accept the id-token
        fake_api_tls.token = users["oidc"]["auth-provider"]["config"]["id-token"]
    proc = subprocess.run(
        [sys.executable, "-c", _NO_KUBERNETES_PROBE, path],
        capture_output=True,
        text=True,
        cwd=str(tmp_path),
        env=_plain_env(),
        timeout=120,
    )
    assert proc.stdout.splitlines()[-1] == "0 []", proc.stdout + proc.stderr
    assert fake_api_tls.requests[-1].headers["authorization"].startswith("Bearer ")


def test_an_exec_user_loads_the_library_and_its_crlf_token_is_one_sentence(tmp_path, fake_api_tls):
    script = _write_exec_plugin(tmp_path, f"{SECRET}\r\n")
    path = _kubeconfig_with_exec(tmp_path, fake_api_tls, script)
    result = run("timeline", "p1", "--kubeconfig", path)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith('error: the token of user "test-user" in kubeconfig')
    assert "holds a line break" in result.stderr and result.stderr.count("\n") == 1
    assert SECRET not in result.stdout + result.stderr
    assert fake_api_tls.requests == []


def _client_ca_and_certificate(directory) -> tuple[str, str, str]:
    """A CA, and a client certificate (CN kubectl-sidecar-test) and key it signed: PEM file paths."""
    crypto = pytest.importorskip("cryptography")
    assert crypto
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "client-ca")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubectl-sidecar-test")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = [str(directory / n) for n in ("client-ca.crt", "client.crt", "client.key")]
    blobs = [
        ca.public_bytes(serialization.Encoding.PEM),
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    ]
    for path, blob in zip(paths, blobs):
        with open(path, "wb") as handle:
            handle.write(blob)
    return paths[0], paths[1], paths[2]


@pytest.mark.parametrize("form", ["files", "data"])
def test_client_certificates_reach_a_server_that_requires_them(tmp_path, form, monkeypatch):
    """A loopback TLS server that requires a client certificate signed by its CA sees ours, from files
    or from -data; the key data is written to a private temporary file only while it is loaded."""
    import base64
    import ssl
    import tempfile

    client_ca, client_cert, client_key = _client_ca_and_certificate(tmp_path)
    server_certs = session_certs()
    seen: list = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self):
            peer = self.connection.getpeercert() or {}
            seen.append(dict(pair for rdn in peer.get("subject", ()) for pair in rdn).get("commonName"))
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server_certs.cert_path, server_certs.key_path)
    context.load_verify_locations(cafile=client_ca)
    context.verify_mode = ssl.CERT_REQUIRED
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    try:
        url = f"https://127.0.0.1:{server.server_address[1]}"
        path = write_kubeconfig(tmp_path / "k.json", url, ca_path=server_certs.ca_path, namespace="team-a")
        if form == "files":
            user = {"client-certificate": client_cert, "client-key": client_key}
        else:
            user = {
                "client-certificate-data": base64.b64encode(open(client_cert, "rb").read()).decode(),
                "client-key-data": base64.b64encode(open(client_key, "rb").read()).decode(),
            }
        _edit(path, lambda c: c["users"][0].update(user=user))
        with pytest.raises(NotFoundError):
            snapshot_of(KubeOptions(kubeconfig=path))
    finally:
        server.shutdown()
    assert seen and set(seen) == {"kubectl-sidecar-test"}
    assert os.listdir(scratch) == []


def test_insecure_skip_tls_verify_as_a_string_never_sends_the_token(tmp_path, fake_api_tls):
    """`insecure-skip-tls-verify: "false"` once turned verification off: the token went to any server."""
    path = fake_api_tls.write_kubeconfig(tmp_path / "k.json", ca_path=None, token=SECRET)
    _edit(path, lambda c: c["clusters"][0]["cluster"].update({"insecure-skip-tls-verify": "false"}))
    result = run("timeline", "p1", "--kubeconfig", path)
    assert result.exit_code == 2
    assert "must be true or false (a YAML boolean), not a string" in result.stderr
    assert fake_api_tls.requests == [] and SECRET not in result.stderr


def test_an_expired_oidc_token_reaches_no_identity_provider(tmp_path, fake_api_tls):
    """The client library once fetched the issuer's discovery document without verifying TLS and posted
    the client secret and refresh token wherever it pointed. Now an expired id-token is refused."""
    asked: list = []

    class IdP(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(("GET", self.path))
            self.send_response(500)
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args):
            pass

    idp = ThreadingHTTPServer(("127.0.0.1", 0), IdP)
    threading.Thread(target=idp.serve_forever, daemon=True).start()
    try:
        issuer = f"http://127.0.0.1:{idp.server_address[1]}"
        config = {
            "id-token": _jwt({"exp": 1_600_000_000, "iss": issuer}),
            "refresh-token": f"refresh-{SECRET}",
            "client-id": "kubernetes",
            "client-secret": f"client-{SECRET}",
            "idp-issuer-url": issuer,
        }
        path = fake_api_tls.write_kubeconfig(tmp_path / "k.json")
        _edit(
            path, lambda c: c["users"][0].update(user={"auth-provider": {"name": "oidc", "config": config}})
        )
        before = open(path, "rb").read()
        result = run("timeline", "p1", "--kubeconfig", path)
    finally:
        idp.shutdown()
    assert result.exit_code == 2
    assert result.stderr.startswith('error: the oidc id-token of user "test-user" has expired at 2020-09-13')
    assert "kubelogin" in result.stderr and result.stderr.count("\n") == 1
    assert SECRET not in result.stdout + result.stderr
    assert asked == [] and fake_api_tls.requests == []
    assert open(path, "rb").read() == before


# the oldest kubernetes client setup.cfg allows, and the newest 35.x: exec plugins run through it
LIBRARY_VERSIONS = ["kubernetes==24.2.0", "kubernetes>=35,<36"]

_EXEC_PROBE = (
    "import json, sys\n"
    "from importlib.metadata import version\n"
    "from kubectl_sidecar.kube.session import ApiTarget, Session\n"
    "from kubectl_sidecar.options import KubeOptions\n"
    "with Session.open(KubeOptions(kubeconfig=sys.argv[1]), environ={}) as session:\n"
    "    found = session.get('/version', ApiTarget('get', '/version'))\n"
    "import kubernetes\n"
    "print(json.dumps({'file': kubernetes.__file__, 'version': version('kubernetes'),\n"
    "                  'gitVersion': found.get('gitVersion')}))\n"
)


@pytest.fixture(scope="module", params=LIBRARY_VERSIONS, ids=["oldest-24.2.0", "newest-35.x"])
def library_dir(request, tmp_path_factory):
    import subprocess

    target = tmp_path_factory.mktemp("kubernetes-client")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(target), request.param],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot install {request.param} from PyPI: {done.stderr.strip()[-300:]}")
    return request.param, target


def test_exec_plugins_run_through_each_allowed_library(library_dir, tmp_path, fake_api_tls):
    import subprocess

    spec, target = library_dir
    script = _write_exec_plugin(tmp_path, fake_api_tls.token)
    path = _kubeconfig_with_exec(tmp_path, fake_api_tls, script)
    env = _plain_env(PYTHONPATH=os.pathsep.join([str(target), ROOT]))
    done = subprocess.run(
        [sys.executable, "-c", _EXEC_PROBE, path], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["file"].startswith(str(target)) and found["gitVersion"]
    assert found["version"] == "24.2.0" if "24.2.0" in spec else found["version"].startswith("35.")
    assert fake_api_tls.requests[-1].headers["authorization"] == f"Bearer {fake_api_tls.token}"
