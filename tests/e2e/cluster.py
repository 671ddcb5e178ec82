"""A real kube-apiserver + etcd on 127.0.0.1 for the e2e tier, and helpers to fill it.

Nothing here contacts any address other than 127.0.0.1. There is no kubelet, scheduler or
controller-manager: every pod, status and event is written by the tests themselves, as those
components would write them (see docs/testing.md, "e2e", for what the apiserver accepts).

Layout:
- binaries: ``find_binaries()`` runs scripts/build-e2e-binaries.sh (builds once, then cached);
- ``Cluster``: starts etcd and kube-apiserver, writes certificates, tokens, RBAC and kubeconfigs;
- ``Api``: a tiny urllib-free HTTP client (http.client, keep-alive, one connection per thread)
  that returns parsed JSON and raises ``ApiError`` with the HTTP status;
- object helpers: ``create_namespace``, ``create_node``, ``create_job``, ``create_job_pod``,
  ``create_event``, ``create_scheduler_event``, ``patch_pod_status``, ``replace_pod_status``,
  ``set_job_status`` and status builders (``running``, ``terminated``, ``waiting``, ...).
The scenario builders (the seed Jobs and friends) live in ``scenarios.py``.
"""

from __future__ import annotations

import datetime as _dt
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import builders  # tests/builders.py, the one builders module (tests/ is on sys.path under pytest)

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "scripts" / "build-e2e-binaries.sh"
LOOPBACK = "127.0.0.1"

ADMIN = "admin"  # group system:masters
VIEWER = "e2e-viewer"  # get/list/watch pods, pods/log, jobs, nodes, namespaces; NOT events
NO_PODS = "e2e-no-pods"  # get/list/watch jobs, events, nodes, namespaces; NOT pods
PLUGIN = "e2e-plugin"  # exactly the RBAC docs/live.md asks for (pods get/list/watch, events list/watch,
#                        jobs get/list, nodes get/list), cluster-wide: the user the plugin tests run as
USERS = (ADMIN, VIEWER, NO_PODS, PLUGIN)
AUDITED_USERS = (ADMIN, VIEWER, NO_PODS, PLUGIN)  # the audit policy logs these users' requests (Metadata)
PLUGIN_USER_AGENT = "kubectl-sidecar/"  # the plugin's User-Agent starts with this


class E2ESetupError(RuntimeError):
    """The binaries could not be built or the cluster did not start."""


# ---------------------------------------------------------------------------------------------
# binaries


@dataclass(frozen=True)
class Binaries:
    kube_apiserver: Path
    etcd: Path
    k8s_version: str  # "v1.34.4", taken from the file name the build script chose
    etcd_version: str


def _version_from_name(path: Path) -> str:
    m = re.search(r"-(v\d+\.\d+\.\d+[^/]*)$", path.name)
    return m.group(1) if m else "unknown"


def find_binaries(build: bool = True, timeout: float = 3600) -> Binaries:
    """Return the kube-apiserver and etcd binaries, building them first if needed.

    ``KUBECTL_SIDECAR_E2E_KUBE_APISERVER`` / ``KUBECTL_SIDECAR_E2E_ETCD`` point at prebuilt
    binaries instead (both must be set). Otherwise the build script is run (it is idempotent:
    a cached binary is reused in about a second).
    """
    ka = os.environ.get("KUBECTL_SIDECAR_E2E_KUBE_APISERVER")
    et = os.environ.get("KUBECTL_SIDECAR_E2E_ETCD")
    if ka and et:
        ka_p, et_p = Path(ka), Path(et)
        ver = subprocess.run(
            [str(ka_p), "--version"], check=False, capture_output=True, text=True
        ).stdout.split()
        return Binaries(ka_p, et_p, ver[-1] if ver else "unknown", _version_from_name(et_p))
    args = ["bash", str(BUILD_SCRIPT)] + ([] if build else ["--print"])
    try:
        proc = subprocess.run(args, check=False, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise E2ESetupError(f"{BUILD_SCRIPT} timed out after {timeout:.0f} s") from exc
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or "").splitlines()[-40:])
        raise E2ESetupError(f"{BUILD_SCRIPT} failed (exit {proc.returncode}):\n{tail}")
    found = dict(line.split("=", 1) for line in proc.stdout.splitlines() if re.match(r"^[A-Z_]+=", line))
    try:
        ka_p, et_p = Path(found["KUBE_APISERVER"]), Path(found["ETCD"])
    except KeyError as exc:
        raise E2ESetupError(f"{BUILD_SCRIPT} printed no binary paths:\n{proc.stdout}") from exc
    return Binaries(ka_p, et_p, _version_from_name(ka_p), _version_from_name(et_p))


# ---------------------------------------------------------------------------------------------
# HTTP client


class ApiError(Exception):
    def __init__(self, method: str, path: str, status: int, body: Any):
        self.method, self.path, self.status, self.body = method, path, status, body
        msg = body.get("message") if isinstance(body, dict) else str(body)[:500]
        super().__init__(f"{method} {path} -> HTTP {status}: {msg}")

    @property
    def reason(self) -> str:
        return self.body.get("reason", "") if isinstance(self.body, dict) else ""

    @property
    def message(self) -> str:
        return self.body.get("message", "") if isinstance(self.body, dict) else str(self.body)


PATCH_TYPES = {
    "merge": "application/merge-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "json": "application/json-patch+json",
    "apply": "application/apply-patch+yaml",
}


class Api:
    """Minimal JSON client for one user. Thread-safe: one keep-alive connection per thread."""

    def __init__(self, host: str, port: int, token: str, ca_file: str, user: str = ""):
        self.host, self.port, self.token, self.ca_file, self.user = host, port, token, ca_file, user
        self._ctx = ssl.create_default_context(cafile=ca_file)
        self._local = threading.local()

    @property
    def server(self) -> str:
        return f"https://{self.host}:{self.port}"

    def _conn(self, fresh: bool = False) -> http.client.HTTPSConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None or fresh:
            if conn is not None:
                conn.close()
            conn = http.client.HTTPSConnection(self.host, self.port, context=self._ctx, timeout=60)
            self._local.conn = conn
        return conn

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, Any] | None = None,
        content_type: str = "application/json",
        raw: bool = False,
    ) -> Any:
        if query:
            q = {k: v for k, v in query.items() if v is not None}
            path = path + ("&" if "?" in path else "?") + urllib.parse.urlencode(q)
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = content_type
        for attempt in (0, 1):
            conn = self._conn(fresh=attempt > 0)
            try:
                conn.request(method, path, body=data, headers=headers)
                resp = conn.getresponse()
                payload = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                if attempt:
                    raise
        if raw:
            if resp.status >= 400:
                raise ApiError(method, path, resp.status, payload.decode(errors="replace"))
            return payload
        try:
            parsed = json.loads(payload) if payload else None
        except ValueError:
            parsed = payload.decode(errors="replace")
        if resp.status >= 400:
            raise ApiError(method, path, resp.status, parsed)
        return parsed

    def get(self, path: str, **query: Any) -> Any:
        return self.request("GET", path, query=query)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self.request("PUT", path, body)

    def patch(self, path: str, body: Any, patch_type: str = "merge") -> Any:
        return self.request("PATCH", path, body, content_type=PATCH_TYPES[patch_type])

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def list_all(self, path: str, limit: int = 500, **query: Any) -> list[dict]:
        """Follow ``continue`` tokens; returns every item."""
        items: list[dict] = []
        cont = None
        while True:
            page = self.get(path, limit=limit, **{"continue": cont}, **query)
            items.extend(page.get("items") or [])
            cont = (page.get("metadata") or {}).get("continue")
            if not cont:
                return items

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


# ---------------------------------------------------------------------------------------------
# the cluster


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def _run(cmd: list[str], cwd: Path) -> None:
    proc = subprocess.run(cmd, check=False, cwd=str(cwd), capture_output=True, text=True)
    if proc.returncode != 0:
        raise E2ESetupError(f"{' '.join(cmd)} failed: {proc.stderr.strip()}")


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


class Cluster:
    """etcd + kube-apiserver on random loopback ports, state under ``workdir``.

    After ``start()``: ``server`` (https://127.0.0.1:PORT), ``ca_file``, ``tokens[user]``,
    ``kubeconfigs[user]`` (paths), ``api(user)`` -> Api, ``apiserver_log``/``etcd_log`` (paths).
    """

    SERVICE_CIDR = "10.96.0.0/16"

    def __init__(self, binaries: Binaries, workdir: Path):
        self.binaries = binaries
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.pki = self.workdir / "pki"
        self.kubeconfig_dir = self.workdir / "kubeconfig"
        self.etcd_log = self.workdir / "etcd.log"
        self.apiserver_log = self.workdir / "kube-apiserver.log"
        self.etcd_dir = self.workdir / "etcd-data"
        self.audit_log = self.workdir / "audit.log"
        self.audit_policy = self.workdir / "audit-policy.yaml"
        self.tokens: dict[str, str] = {u: secrets.token_hex(16) for u in USERS}
        self.kubeconfigs: dict[str, Path] = {}
        self.port = 0
        self.etcd_port = 0
        self._procs: list[subprocess.Popen] = []
        self._apis: dict[str, Api] = {}
        self.startup_seconds = 0.0

    # -- paths and clients
    @property
    def server(self) -> str:
        return f"https://{LOOPBACK}:{self.port}"

    @property
    def ca_file(self) -> Path:
        return self.pki / "ca.crt"

    def api(self, user: str = ADMIN) -> Api:
        if user not in self._apis:
            self._apis[user] = Api(LOOPBACK, self.port, self.tokens[user], str(self.ca_file), user)
        return self._apis[user]

    def kubernetes_client(self, user: str = ADMIN):
        """A configured ``kubernetes.client.ApiClient`` for ``user`` (the package is optional)."""
        from kubernetes import client

        cfg = client.Configuration()
        cfg.host = self.server
        cfg.ssl_ca_cert = str(self.ca_file)
        cfg.api_key = {"authorization": self.tokens[user]}
        cfg.api_key_prefix = {"authorization": "Bearer"}
        return client.ApiClient(cfg)

    def kubectl(self, *args: str, user: str = ADMIN, check: bool = True, timeout: float = 60):
        """Run the real kubectl against this cluster; returns CompletedProcess (text)."""
        kubectl = shutil.which("kubectl") or "/usr/bin/kubectl"
        cmd = [kubectl, f"--kubeconfig={self.kubeconfigs[user]}", *args]
        env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout, env=env)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr}")
        return proc

    def log_report(self, lines: int = 40) -> str:
        return (
            f"kube-apiserver log: {self.apiserver_log}\n{_tail(self.apiserver_log, lines)}\n\n"
            f"etcd log: {self.etcd_log}\n{_tail(self.etcd_log, lines)}"
        )

    # -- lifecycle
    def start(self, timeout: float = 90) -> Cluster:
        t0 = time.monotonic()
        self._write_pki()
        self._write_tokens()
        self._write_audit_policy()
        last_err: Exception | None = None
        for _ in range(3):  # a random port may be taken between probing and binding: retry
            try:
                self._start_etcd(timeout)
                self._start_apiserver(timeout)
                break
            except E2ESetupError as exc:
                last_err = exc
                self.stop()
                if "address already in use" not in (self.log_report(200)).lower():
                    raise
        else:
            raise last_err  # type: ignore[misc]
        self._write_kubeconfigs()
        self._setup_rbac()
        self.startup_seconds = time.monotonic() - t0
        return self

    def stop(self) -> None:
        for api in self._apis.values():
            api.close()
        self._apis.clear()
        for proc in reversed(self._procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=15)
        self._procs.clear()

    # -- setup steps
    def _write_pki(self) -> None:
        if not shutil.which("openssl"):
            raise E2ESetupError("the openssl CLI is needed to make the test certificates")
        self.pki.mkdir(exist_ok=True)
        p = self.pki
        (p / "server.ext").write_text(
            "basicConstraints=CA:FALSE\n"
            "keyUsage=digitalSignature,keyEncipherment\n"
            "extendedKeyUsage=serverAuth\n"
            "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,"
            "DNS:kubernetes.default,DNS:kubernetes.default.svc\n"
        )
        steps = [
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-days",
                "7",
                "-subj",
                "/CN=kubectl-sidecar-e2e-ca",
            ],
            [
                "openssl",
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=kube-apiserver",
            ],
            [
                "openssl",
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.crt",
                "-days",
                "7",
                "-extfile",
                "server.ext",
            ],
            ["openssl", "genrsa", "-out", "sa.key", "2048"],
            ["openssl", "rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"],
        ]
        for cmd in steps:
            _run(cmd, p)

    def _write_tokens(self) -> None:
        groups = {
            ADMIN: "system:masters",
            VIEWER: "e2e-viewers",
            NO_PODS: "e2e-no-pods",
            PLUGIN: "e2e-plugins",
        }
        lines = [f'{self.tokens[u]},{u},uid-{u},"{groups[u]}"' for u in USERS]
        (self.pki / "tokens.csv").write_text("\n".join(lines) + "\n")

    def _write_audit_policy(self) -> None:
        """Log who did what (level Metadata: verb, resource, user, user agent, status; no bodies) for
        the test users; nothing for the apiserver's own loopback clients. Stage RequestReceived is
        left out: each request is logged once when answered (watches also when the stream starts)."""
        users = ", ".join(AUDITED_USERS)
        self.audit_policy.write_text(
            "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n"
            f"- level: Metadata\n  users: [{users}]\n- level: None\n"
        )

    def audit_events(self, offset: int = 0, path: Path | None = None) -> list[dict]:
        """The audit log's events (dicts: verb, user.username, userAgent, objectRef, requestURI,
        responseStatus.code, stage), from byte ``offset`` (see ``audit_offset``)."""
        path = path or self.audit_log
        try:
            with open(path, "rb") as fh:
                fh.seek(offset)
                data = fh.read()
        except FileNotFoundError:
            return []
        data = data[: data.rfind(b"\n") + 1]  # a line being written is left for the next read
        return [json.loads(line) for line in data.splitlines() if line.strip()]

    def audit_offset(self, path: Path | None = None) -> int:
        try:
            return (path or self.audit_log).stat().st_size
        except FileNotFoundError:
            return 0

    def _spawn(self, cmd: list[str], log: Path) -> subprocess.Popen:
        with open(log, "ab") as fh:  # the child keeps its own copy of the descriptor
            proc = subprocess.Popen(
                cmd, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        self._procs.append(proc)
        return proc

    def _start_etcd(self, timeout: float) -> None:
        self.etcd_port, peer = free_port(), free_port()
        if self.etcd_dir.exists():
            shutil.rmtree(self.etcd_dir)
        client_url, peer_url = f"http://{LOOPBACK}:{self.etcd_port}", f"http://{LOOPBACK}:{peer}"
        cmd = [
            str(self.binaries.etcd),
            "--name=e2e",
            f"--data-dir={self.etcd_dir}",
            f"--listen-client-urls={client_url}",
            f"--advertise-client-urls={client_url}",
            f"--listen-peer-urls={peer_url}",
            f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=e2e={peer_url}",
            "--initial-cluster-state=new",
            "--unsafe-no-fsync=true",  # test data only: much faster writes
            "--quota-backend-bytes=4294967296",
            "--log-level=warn",
        ]
        proc = self._spawn(cmd, self.etcd_log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise E2ESetupError(f"etcd exited with {proc.returncode}:\n{_tail(self.etcd_log)}")
            try:
                conn = http.client.HTTPConnection(LOOPBACK, self.etcd_port, timeout=2)
                conn.request("GET", "/health")
                resp = conn.getresponse()
                body = resp.read()
                conn.close()
                if resp.status == 200 and b'"health":"true"' in body:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise E2ESetupError(f"etcd not healthy after {timeout:.0f} s:\n{_tail(self.etcd_log)}")

    def apiserver_args(self) -> list[str]:
        p = self.pki
        return [
            f"--etcd-servers=http://{LOOPBACK}:{self.etcd_port}",
            f"--bind-address={LOOPBACK}",
            f"--advertise-address={LOOPBACK}",
            f"--secure-port={self.port}",
            f"--tls-cert-file={p / 'server.crt'}",
            f"--tls-private-key-file={p / 'server.key'}",
            f"--token-auth-file={p / 'tokens.csv'}",
            "--authorization-mode=RBAC",
            f"--service-account-key-file={p / 'sa.pub'}",
            f"--service-account-signing-key-file={p / 'sa.key'}",
            "--service-account-issuer=https://kubernetes.default.svc",
            f"--service-cluster-ip-range={self.SERVICE_CIDR}",
            # No controller-manager runs: the ServiceAccount admission would reject every pod
            # (no "default" ServiceAccount is ever created). The rest of the defaults stay.
            "--disable-admission-plugins=ServiceAccount",
            "--endpoint-reconciler-type=none",
            "--profiling=false",
            f"--audit-policy-file={self.audit_policy}",
            f"--audit-log-path={self.audit_log}",
            f"--cert-dir={p}",
            "--v=1",
        ]

    def _start_apiserver(self, timeout: float) -> None:
        self.port = free_port()
        proc = self._spawn([str(self.binaries.kube_apiserver), *self.apiserver_args()], self.apiserver_log)
        ctx = ssl.create_default_context(cafile=str(self.ca_file))
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise E2ESetupError(
                    f"kube-apiserver exited with {proc.returncode}:\n{_tail(self.apiserver_log)}"
                )
            try:
                conn = http.client.HTTPSConnection(LOOPBACK, self.port, context=ctx, timeout=5)
                conn.request("GET", "/readyz", headers={"Authorization": f"Bearer {self.tokens[ADMIN]}"})
                resp = conn.getresponse()
                last = resp.read().decode(errors="replace")
                conn.close()
                if resp.status == 200:
                    return
            except OSError as exc:
                last = str(exc)
            time.sleep(0.3)
        raise E2ESetupError(
            f"kube-apiserver not ready after {timeout:.0f} s (last /readyz: {last[-500:]}):\n"
            f"{_tail(self.apiserver_log)}"
        )

    def start_replica(
        self, port: int | None = None, name: str = "replica", timeout: float = 60
    ) -> tuple[subprocess.Popen, int]:
        """Start another kube-apiserver on the same etcd (as in an HA control plane), on ``port`` (a
        free one by default), with its own log (``<name>.log``) and audit log (``<name>-audit.log``).
        Returns ``(process, port)`` once ``/readyz`` answers; stop it with ``stop_replica``. The
        session's ``stop()`` ends it too. Restarting one on the same port gives a fresh watch cache:
        a watch from an older resourceVersion then gets 410 Expired, as after a real restart."""
        port = port or free_port()
        args = []
        for arg in self.apiserver_args():
            if arg.startswith("--secure-port="):
                arg = f"--secure-port={port}"
            elif arg.startswith("--audit-log-path="):
                arg = f"--audit-log-path={self.workdir / (name + '-audit.log')}"
            args.append(arg)
        log = self.workdir / f"{name}.log"
        proc = self._spawn([str(self.binaries.kube_apiserver), *args], log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise E2ESetupError(f"kube-apiserver replica exited with {proc.returncode}:\n{_tail(log)}")
            try:  # a fresh client each time: a refused connection leaves http.client's one unusable
                Api(LOOPBACK, port, self.tokens[ADMIN], str(self.ca_file)).request("GET", "/readyz", raw=True)
                return proc, port
            except (OSError, ApiError, http.client.HTTPException):
                time.sleep(0.2)
        proc.kill()
        raise E2ESetupError(f"kube-apiserver replica not ready after {timeout:.0f} s:\n{_tail(log)}")

    def stop_replica(self, proc: subprocess.Popen, kill: bool = False) -> None:
        """SIGTERM (graceful: it waits for open watches, up to 15 s here) or, with ``kill``, SIGKILL (a
        crash: every connection ends at once)."""
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
        if proc in self._procs:
            self._procs.remove(proc)

    def etcd_call(self, path: str, body: dict) -> dict:
        """POST to etcd's JSON gateway (``/v3/kv/range``, ``/v3/kv/compaction``, ...) on loopback."""
        conn = http.client.HTTPConnection(LOOPBACK, self.etcd_port, timeout=30)
        try:
            conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
            resp = conn.getresponse()
            data = json.loads(resp.read() or b"{}")
        finally:
            conn.close()
        if resp.status != 200:
            raise E2ESetupError(f"etcd {path} -> HTTP {resp.status}: {data}")
        return data

    def compact_etcd(self) -> int:
        """Compact etcd's history up to its current revision (as the apiserver does every
        ``--etcd-compaction-interval``, 5 min by default); returns that revision. A watch or continue
        token from an older resourceVersion that etcd must serve then gets 410 Expired."""
        import base64

        rev = int(
            self.etcd_call("/v3/kv/range", {"key": base64.b64encode(b"/registry/").decode(), "limit": "1"})[
                "header"
            ]["revision"]
        )
        self.etcd_call("/v3/kv/compaction", {"revision": str(rev), "physical": True})
        return rev

    def kubeconfig_dict(
        self,
        user: str,
        *,
        server: str | None = None,
        cluster: str = "e2e",
        context: str | None = None,
        namespace: str = "default",
        current: bool = True,
    ) -> dict:
        """A kubeconfig (dict) for ``user``: cluster ``cluster`` at ``server`` (this apiserver by
        default), context ``context`` (``<user>@<cluster>``); ``current`` sets current-context."""
        context = context or f"{user}@{cluster}"
        cfg = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster,
                    "cluster": {"server": server or self.server, "certificate-authority": str(self.ca_file)},
                }
            ],
            "users": [{"name": user, "user": {"token": self.tokens[user]}}],
            "contexts": [
                {"name": context, "context": {"cluster": cluster, "user": user, "namespace": namespace}}
            ],
            "preferences": {},
        }
        if current:
            cfg["current-context"] = context
        return cfg

    def _write_kubeconfigs(self) -> None:
        self.kubeconfig_dir.mkdir(exist_ok=True)
        for user in USERS:
            cfg = {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {
                        "name": "e2e",
                        "cluster": {"server": self.server, "certificate-authority": str(self.ca_file)},
                    }
                ],
                "users": [{"name": user, "user": {"token": self.tokens[user]}}],
                "contexts": [
                    {
                        "name": f"{user}@e2e",
                        "context": {"cluster": "e2e", "user": user, "namespace": "default"},
                    }
                ],
                "current-context": f"{user}@e2e",
                "preferences": {},
            }
            path = self.kubeconfig_dir / f"{user}.kubeconfig"
            path.write_text(json.dumps(cfg, indent=2) + "\n")  # JSON is valid kubeconfig YAML
            path.chmod(0o600)
            self.kubeconfigs[user] = path

    def _setup_rbac(self) -> None:
        api = self.api(ADMIN)
        read = ["get", "list", "watch"]
        roles = {
            VIEWER: [
                {"apiGroups": [""], "resources": ["pods", "pods/log", "nodes", "namespaces"], "verbs": read},
                {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": read},
            ],
            NO_PODS: [
                {"apiGroups": [""], "resources": ["events", "nodes", "namespaces"], "verbs": read},
                {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": read},
                {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": read},
            ],
            PLUGIN: [  # docs/live.md, "RBAC" (as a ClusterRole, for check -A), plus nodes get/list
                {"apiGroups": [""], "resources": ["pods"], "verbs": read},
                {"apiGroups": [""], "resources": ["events"], "verbs": ["list", "watch"]},
                {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list"]},
                {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list"]},
            ],
        }
        for user, rules in roles.items():
            api.post(
                "/apis/rbac.authorization.k8s.io/v1/clusterroles",
                {"metadata": {"name": f"{user}-role"}, "rules": rules},
            )
            api.post(
                "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
                {
                    "metadata": {"name": f"{user}-binding"},
                    "roleRef": {
                        "apiGroup": "rbac.authorization.k8s.io",
                        "kind": "ClusterRole",
                        "name": f"{user}-role",
                    },
                    "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}],
                },
            )
        # RBAC is served from an informer cache: wait until the new bindings are in effect.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.api(VIEWER).get("/api/v1/pods", limit=1)
                self.api(NO_PODS).get("/api/v1/events", limit=1)
                # asked for, not tried with its token: only the plugin uses the plugin's user
                review = api.post(
                    "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                    {"spec": {"user": PLUGIN, "resourceAttributes": {"verb": "watch", "resource": "events"}}},
                )
                if review["status"].get("allowed"):
                    return
                time.sleep(0.2)
            except ApiError as exc:
                if exc.status != 403:
                    raise
                time.sleep(0.2)
        raise E2ESetupError("RBAC bindings for the restricted users never took effect")


# ---------------------------------------------------------------------------------------------
# time helpers

UTC = _dt.timezone.utc


def ts(t: _dt.datetime) -> str:
    """RFC3339 with whole seconds, as the kubelet and Job controller write (metav1.Time)."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro_ts(t: _dt.datetime) -> str:
    """RFC3339 with microseconds, as eventTime (metav1.MicroTime)."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def at(s: str) -> _dt.datetime:
    """Parse '2024-10-29T03:24:18Z' (or with fraction) to an aware datetime."""
    return _dt.datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(UTC)


def _t(t: Any) -> str:
    return ts(t) if isinstance(t, _dt.datetime) else t


# ---------------------------------------------------------------------------------------------
# object helpers (all return the object as the apiserver stored it)


def unique_name(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def create_namespace(api: Api, name: str | None = None, labels: dict[str, str] | None = None) -> dict:
    name = name or unique_name("e2e")
    return api.post("/api/v1/namespaces", {"metadata": {"name": name, "labels": labels or {}}})


def create_node(api: Api, name: str, labels: dict[str, str] | None = None, ready: bool = True) -> dict:
    """Create a Node (no kubelet behind it) and, with ``ready``, write a Ready condition."""
    all_labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
    all_labels.update(labels or {})
    node = api.post("/api/v1/nodes", {"metadata": {"name": name, "labels": all_labels}})
    if ready:
        now = ts(_dt.datetime.now(UTC))
        node = api.patch(
            f"/api/v1/nodes/{name}/status",
            {
                "status": {
                    "conditions": [
                        {
                            "type": "Ready",
                            "status": "True",
                            "reason": "KubeletReady",
                            "message": "kubelet is posting ready status",
                            "lastHeartbeatTime": now,
                            "lastTransitionTime": now,
                        }
                    ]
                }
            },
            "strategic",
        )
    return node


def create_job(api: Api, namespace: str, job: dict) -> dict:
    """POST a batch/v1 Job manifest (dict). No Job controller runs: nothing creates its pods."""
    body = json.loads(json.dumps(job))
    body.setdefault("apiVersion", "batch/v1")
    body.setdefault("kind", "Job")
    body.setdefault("metadata", {})["namespace"] = namespace
    return api.post(f"/apis/batch/v1/namespaces/{namespace}/jobs", body)


def set_job_status(api: Api, job: dict, status: dict) -> dict:
    """Replace the Job's status through /status (re-reads the Job to get a fresh resourceVersion)."""
    ns, name = job["metadata"]["namespace"], job["metadata"]["name"]
    cur = api.get(f"/apis/batch/v1/namespaces/{ns}/jobs/{name}")
    cur["status"] = status
    return api.put(f"/apis/batch/v1/namespaces/{ns}/jobs/{name}/status", cur)


def job_pod_manifest(job: dict, name: str | None = None, node_name: str | None = None) -> dict:
    """The pod the Job controller would create: template + labels + controller ownerReference."""
    tmpl = json.loads(json.dumps(job["spec"]["template"]))
    meta = tmpl.get("metadata") or {}
    jname = job["metadata"]["name"]
    pod_meta: dict[str, Any] = {
        "labels": meta.get("labels") or {},
        "annotations": meta.get("annotations") or {},
        "ownerReferences": [builders.job_owner_reference(jname, job["metadata"]["uid"])],
    }
    if name:
        pod_meta["name"] = name
    else:
        pod_meta["generateName"] = f"{jname}-"
    spec = tmpl["spec"]
    if node_name:
        spec["nodeName"] = node_name
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": spec}


def create_pod(api: Api, namespace: str, pod: dict) -> dict:
    return api.post(f"/api/v1/namespaces/{namespace}/pods", pod)


def create_job_pod(api: Api, job: dict, name: str | None = None, node_name: str | None = None) -> dict:
    """Create a pod of ``job`` (template labels, ownerReference, optional ``spec.nodeName``)."""
    return create_pod(api, job["metadata"]["namespace"], job_pod_manifest(job, name, node_name))


def delete_pod(api: Api, pod: dict, force: bool = True) -> None:
    """Delete a pod. No kubelet runs: a pod with ``spec.nodeName`` deleted gracefully only gets a
    deletionTimestamp (+30 s) and stays forever; ``force`` (grace period 0) removes it at once."""
    ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
    body = {"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0} if force else None
    api.request("DELETE", f"/api/v1/namespaces/{ns}/pods/{name}", body)


_STATUS_LISTS = ("initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses")


def merge_container_statuses(old: list[dict], new: list[dict]) -> list[dict]:
    """Replace entries of ``old`` by name with those of ``new``; new names are appended."""
    by_name = {s["name"]: s for s in new}
    out = [by_name.pop(s["name"], s) for s in old]
    return out + [s for s in new if s["name"] in by_name]


def patch_pod_status(
    api: Api, pod: dict, status: dict, patch_type: str = "strategic", merge_containers: bool = True
) -> dict:
    """PATCH /status with ``{"status": status}``.

    Container status lists have NO merge key in the strategic-merge schema: any patch replaces a
    list whole (the kubelet always sends full lists). With ``merge_containers`` (default) the
    current pod is read first and the given entries are merged into its lists by name, so that a
    patch naming one container keeps the others. Conditions do merge by ``type`` server-side.
    """
    ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
    status = dict(status)
    if merge_containers and any(k in status for k in _STATUS_LISTS):
        cur = api.get(f"/api/v1/namespaces/{ns}/pods/{name}").get("status") or {}
        for key in _STATUS_LISTS:
            if key in status:
                status[key] = merge_container_statuses(cur.get(key) or [], status[key])
    return api.patch(f"/api/v1/namespaces/{ns}/pods/{name}/status", {"status": status}, patch_type)


def replace_pod_status(api: Api, pod: dict, status: dict) -> dict:
    """PUT /status with the whole ``status`` (re-reads the pod for its resourceVersion)."""
    ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
    cur = api.get(f"/api/v1/namespaces/{ns}/pods/{name}")
    cur["status"] = status
    return api.put(f"/api/v1/namespaces/{ns}/pods/{name}/status", cur)


# -- container status / condition builders (kubelet shapes)

IMAGE = "registry-cn-hangzhou.ack.aliyuncs.com/ack-demo/busybox:1.28"
IMAGE_ID = (
    "registry-cn-hangzhou.ack.aliyuncs.com/ack-demo/busybox@sha256:"
    "141c253bc4c3fd0a201d32dc1f493bcf3fff003b6df416dea4f41046e0f37d47"
)


def _cstatus(
    name: str,
    state: dict,
    *,
    ready: bool,
    started: bool | None,
    restart_count: int,
    last_state: dict | None,
    image: str,
    container_id: str | None,
) -> dict:
    s: dict[str, Any] = {
        "name": name,
        "image": image,
        "imageID": IMAGE_ID if image == IMAGE else "",
        "ready": ready,
        "restartCount": restart_count,
        "state": state,
        "lastState": last_state or {},
    }
    if started is not None:
        s["started"] = started
    if container_id is not None:
        s["containerID"] = container_id
    return s


def container_id(seed: str) -> str:
    return "containerd://" + (seed.encode().hex() * 64)[:64]


def running(
    name: str,
    started_at: Any,
    *,
    ready: bool = True,
    started: bool = True,
    restart_count: int = 0,
    last_state: dict | None = None,
    image: str = IMAGE,
) -> dict:
    return _cstatus(
        name,
        builders.api_running(_t, started_at),
        ready=ready,
        started=started,
        restart_count=restart_count,
        last_state=last_state,
        image=image,
        container_id=container_id(f"{name}{restart_count}{_t(started_at)}"),
    )


def terminated_state(
    exit_code: int,
    started_at: Any,
    finished_at: Any,
    reason: str | None = None,
    message: str | None = None,
    cid: str | None = None,
) -> dict:
    """``cid``: the whole containerID (``containerd://...``), or None for none."""
    return builders.api_terminated(
        _t,
        started_at,
        finished_at,
        exit_code,
        reason,
        message,
        cid.removeprefix("containerd://") if cid else None,
    )


def terminated(
    name: str,
    exit_code: int,
    started_at: Any,
    finished_at: Any,
    *,
    reason: str | None = None,
    message: str | None = None,
    restart_count: int = 0,
    last_state: dict | None = None,
    started: bool | None = False,
    ready: bool = False,
    image: str = IMAGE,
) -> dict:
    cid = container_id(f"{name}{restart_count}{_t(started_at)}")
    return _cstatus(
        name,
        terminated_state(exit_code, started_at, finished_at, reason, message, cid),
        ready=ready,
        started=started,
        restart_count=restart_count,
        last_state=last_state,
        image=image,
        container_id=cid,
    )


def waiting(
    name: str,
    reason: str = "ContainerCreating",
    message: str | None = None,
    *,
    restart_count: int = 0,
    last_state: dict | None = None,
    image: str = IMAGE,
) -> dict:
    return _cstatus(
        name,
        builders.api_waiting(reason, message),
        ready=False,
        started=False,
        restart_count=restart_count,
        last_state=last_state,
        image=image,
        container_id=None,
    )


def condition(
    ctype: str, status: bool, when: Any, reason: str | None = None, message: str | None = None
) -> dict:
    return builders.api_condition(_t, ctype, when, "True" if status else "False", reason, message)


# -- events


def create_event(
    api: Api,
    obj: dict,
    reason: str,
    message: str,
    *,
    first: Any,
    last: Any = None,
    count: int = 1,
    field_path: str | None = None,
    type: str = "Normal",
    component: str = "kubelet",
    host: str | None = None,
    name: str | None = None,
) -> dict:
    """A core/v1 Event as the kubelet records it: firstTimestamp/lastTimestamp (seconds) and count.

    ``obj`` is the involved object (a pod or Job as returned by the apiserver); ``field_path`` names
    the container, e.g. ``spec.containers{app}`` or ``spec.initContainers{sidecar}``.
    """
    meta = obj["metadata"]
    ns = meta.get("namespace") or "default"
    involved = builders.involved_object(
        obj.get("kind") or "Pod",
        ns,
        meta["name"],
        meta["uid"],
        obj.get("apiVersion") or "v1",
        resource_version=meta.get("resourceVersion", ""),
        field_path=field_path,
    )
    if host is None and involved["kind"] == "Pod":
        host = (obj.get("spec") or {}).get("nodeName")
    body = builders.recorded_event(
        {"name": name or f"{meta['name']}.{secrets.token_hex(8)}", "namespace": ns},
        involved,
        reason,
        message,
        first=_t(first),
        last=_t(last if last is not None else first),
        count=count,
        typ=type,
        component=component,
        host=host,
        typed=False,
    )
    return api.post(f"/api/v1/namespaces/{ns}/events", body)


def create_scheduler_event(
    api: Api,
    pod: dict,
    event_time: _dt.datetime,
    *,
    node: str | None = None,
    reason: str = "Scheduled",
    message: str | None = None,
    type: str = "Normal",
    action: str = "Binding",
) -> dict:
    """An event as the scheduler writes it (events.k8s.io/v1): eventTime with microseconds, no
    firstTimestamp/lastTimestamp/count. Returns the core/v1 view of it (what kubectl reads)."""
    meta = pod["metadata"]
    ns = meta["namespace"]
    node = node or pod["spec"].get("nodeName")
    name = f"{meta['name']}.{secrets.token_hex(8)}"
    body = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": ns},
        "eventTime": micro_ts(event_time),
        "reportingController": "default-scheduler",
        "reportingInstance": "default-scheduler-e2e",
        "action": action,
        "reason": reason,
        "type": type,
        "note": message or f"Successfully assigned {ns}/{meta['name']} to {node}",
        "regarding": {
            "kind": "Pod",
            "namespace": ns,
            "name": meta["name"],
            "uid": meta["uid"],
            "apiVersion": "v1",
        },
    }
    api.post(f"/apis/events.k8s.io/v1/namespaces/{ns}/events", body)
    return api.get(f"/api/v1/namespaces/{ns}/events/{name}")


def list_events(api: Api, namespace: str, uid: str | None = None, limit: int = 500) -> list[dict]:
    q = {"fieldSelector": f"involvedObject.uid={uid}"} if uid else {}
    return api.list_all(f"/api/v1/namespaces/{namespace}/events", limit=limit, **q)


def chunks(seq: Iterable[Any], n: int) -> Iterable[list[Any]]:
    buf: list[Any] = []
    for x in seq:
        buf.append(x)
        if len(buf) == n:
            yield buf
            buf = []
    if buf:
        yield buf
