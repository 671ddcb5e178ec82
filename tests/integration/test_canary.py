"""A canary secret in every credential slot, and every byte the plugin prints scanned for it, on every
error path (issue 12, items 1-5).

Slots: a kubeconfig ``token``, ``--token``, a ``tokenFile``, an exec plugin's token, a client key
(``client-key-data``), basic auth (``username``/``password``), userinfo in the server URL, and the
tokens of an ``oidc`` auth-provider (id-token, refresh-token, client-secret). Failures: a refused port,
a TLS failure, 401, 403, 404 and 500 answers whose bodies echo the credential (as a misbehaving proxy
or server would), an answer that is not JSON echoing it too, a timeout (``--request-timeout``), and a
kubeconfig broken in that very slot. Each case runs the real CLI in a subprocess against loopback
servers it starts; stdout and stderr must hold no trace of the canary: not whole, not a distinctive
part of it, not base64-encoded; and the exit code is 2, never 3.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fakeapi import FakeApiServer, write_kubeconfig

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "kubectl_sidecar" / "demo" / "native-sidecar.yaml"
POD = "test-q8x5k"
POD_PATH = rf"/namespaces/default/pods/{POD}$"
CANARY = "cAnArY-5e8d1f0b9a7c"
CORE = "5e8d1f0b9a7c"  # the distinctive part: a partial echo holds it too


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def jwt(claims: dict, signature: str) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part(claims)}.{signature}"


def client_key_pem() -> str:
    """A real EC private key (PEM): its base64 body is the secret of the client-key slot."""
    crypto = pytest.importorskip("cryptography")
    assert crypto
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem.decode()


def forbidden_texts(secret: str) -> list[str]:
    """What must never appear: the secret, its distinctive middle, its base64 forms."""
    middle = secret[len(secret) // 4 : len(secret) // 4 + 12] if len(secret) > 24 else secret
    texts = {secret, middle, b64(secret), base64.urlsafe_b64encode(secret.encode()).decode().rstrip("=")}
    if CANARY in secret:
        texts |= {CANARY, CORE}
    return sorted(t for t in texts if t)


# ------------------------------------------------------------------------------------------ slots


class Slot:
    """One credential slot: how to plant the canary, what a server could echo, how to break it."""

    name = ""
    echo = CANARY  # what a misbehaving server writes back into its error body

    def secrets(self) -> list[str]:
        return [CANARY]

    def user(self, tmp_path: Path) -> dict:
        raise NotImplementedError

    def broken_user(self, tmp_path: Path) -> dict:
        raise NotImplementedError

    def server(self, url: str) -> str:
        return url

    def flags(self) -> list[str]:
        return []


class Token(Slot):
    name = "token"

    def user(self, tmp_path):
        return {"token": CANARY}

    def broken_user(self, tmp_path):
        return {"token": f"{CANARY}\nX-Injected: 1"}


class FlagToken(Slot):
    name = "--token"

    def user(self, tmp_path):
        return {}

    def broken_user(self, tmp_path):
        return {}

    def flags(self):
        return ["--token", self._token]

    _token = CANARY


class FlagTokenBroken(FlagToken):
    _token = f"{CANARY}\r\n"


class TokenFile(Slot):
    name = "tokenFile"

    def user(self, tmp_path):
        (tmp_path / "token").write_text(f"{CANARY}\n")
        return {"tokenFile": str(tmp_path / "token")}

    def broken_user(self, tmp_path):
        (tmp_path / "token").write_text(f"{CANARY}\nsecond line\n")
        return {"tokenFile": str(tmp_path / "token")}


class Exec(Slot):
    name = "exec"

    def _plugin(self, tmp_path: Path, token: str) -> dict:
        script = tmp_path / "plugin.py"
        script.write_text(
            "import json\n"
            "print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1', 'kind': 'ExecCredential',"
            f" 'status': {{'token': {token!r}}}}}))\n"
        )
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
        return {
            "exec": {
                "apiVersion": "client.authentication.k8s.io/v1",
                "command": sys.executable,
                "args": [str(script)],
                "interactiveMode": "Never",
            }
        }

    def user(self, tmp_path):
        return self._plugin(tmp_path, CANARY)

    def broken_user(self, tmp_path):
        return self._plugin(tmp_path, f"{CANARY}\r\n")


class ClientKey(Slot):
    name = "client-key"

    def __init__(self) -> None:
        self.pem = client_key_pem()
        self.body = "".join(line for line in self.pem.splitlines() if not line.startswith("-----"))
        self.echo = self.body[:40]

    def secrets(self):
        return [self.body[:40], self.body[-40:], b64(self.pem)[:40]]

    def user(self, tmp_path):
        # the key does not match the certificate: the pool refuses it, naming the user, never the key
        from fakeapi import session_certs

        cert = Path(session_certs().cert_path).read_text()
        return {
            "token": "not-the-canary-token",
            "client-certificate-data": b64(cert),
            "client-key-data": b64(self.pem),
        }

    def broken_user(self, tmp_path):
        return {"client-certificate-data": b64("x"), "client-key-data": b64(self.pem[: len(self.pem) // 2])}


class Basic(Slot):
    name = "basic"
    echo = "Basic " + b64(f"admin:{CANARY}")

    def secrets(self):
        return [CANARY, b64(f"admin:{CANARY}")]

    def user(self, tmp_path):
        return {"username": "admin", "password": CANARY}

    def broken_user(self, tmp_path):
        return {"username": "admin", "password": [CANARY]}


class Userinfo(Slot):
    name = "userinfo"
    echo = "Basic " + b64(f"admin:{CANARY}")

    def secrets(self):
        return [CANARY, b64(f"admin:{CANARY}")]

    def user(self, tmp_path):
        return {}

    def broken_user(self, tmp_path):
        return {}

    def server(self, url):
        return url.replace("://", f"://admin:{CANARY}@", 1)


class UserinfoBroken(Userinfo):
    def server(self, url):
        return f"https://admin:{CANARY}@[::1"


class Oidc(Slot):
    name = "oidc"

    def __init__(self, expired: bool = False) -> None:
        exp = 1_600_000_000 if expired else time.time() + 3600
        self.id_token = jwt({"exp": exp, "sub": "me"}, f"sig-{CANARY}")
        self.echo = self.id_token

    def secrets(self):
        return [CANARY, self.id_token]

    def user(self, tmp_path):
        config = {
            "id-token": self.id_token,
            "refresh-token": f"refresh-{CANARY}",
            "client-id": "kubernetes",
            "client-secret": f"client-secret-{CANARY}",
            "idp-issuer-url": FakeApiServer.refused_url(tls=True),
        }
        return {"auth-provider": {"name": "oidc", "config": config}}

    broken_user = user


def _slots() -> list:
    return [
        pytest.param(Token, id="token"),
        pytest.param(FlagToken, id="flag-token"),
        pytest.param(TokenFile, id="tokenFile"),
        pytest.param(Exec, id="exec"),
        pytest.param(ClientKey, id="client-key"),
        pytest.param(Basic, id="basic"),
        pytest.param(Userinfo, id="userinfo"),
        pytest.param(Oidc, id="oidc"),
    ]


BROKEN = {FlagToken: FlagTokenBroken, Userinfo: UserinfoBroken}

# ------------------------------------------------------------------------------------------ failures

FAILURES = [
    "refused",
    "tls",
    "401",
    "403",
    "404",
    "500-echo",
    "not-json-echo",
    "timeout",
    "broken-config",
]


def _status(code: int, reason: str, echo: str) -> dict:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "reason": reason,
        "code": code,
        "message": f"credential {echo} was not accepted (Authorization: {echo})",
    }


def run_cli(kubeconfig: str, *extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper() and not k.startswith("KUBE")}
    env.update(PYTHONPATH=str(ROOT), COLUMNS="100", TZ="UTC", NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "kubectl_sidecar", "timeline", POD, "--kubeconfig", kubeconfig, *extra],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("slot_class", _slots())
def test_the_canary_never_leaves_on_any_error_path(tmp_path, fake_api_factory, slot_class, failure):
    slot = BROKEN.get(slot_class, slot_class)() if failure == "broken-config" else slot_class()
    if slot_class is Oidc and failure == "broken-config":
        slot = Oidc(expired=True)
    api = fake_api_factory([str(DEMO)], tls=True)
    url, ca, extra = api.url, api.ca_path, []
    if failure == "refused":
        url = FakeApiServer.refused_url(tls=True)
    elif failure == "tls":
        ca = None  # the stand-in's certificate is self-signed by a CA the kubeconfig does not name
    elif failure in ("401", "403", "404"):
        reasons = {"401": "Unauthorized", "403": "Forbidden", "404": "NotFound"}
        api.fail(
            POD_PATH, status=int(failure), times=None, body=_status(int(failure), reasons[failure], slot.echo)
        )
    elif failure == "500-echo":
        api.fail(POD_PATH, status=500, times=None, body=_status(500, "InternalError", slot.echo))
    elif failure == "not-json-echo":
        api.fail(POD_PATH, times=None, body=f"<html>token {slot.echo} rejected by the proxy</html>")
    elif failure == "timeout":
        api.fail(POD_PATH, times=None, delay=30)
        extra = ["--request-timeout", "1s"]
    user = slot.broken_user(tmp_path) if failure == "broken-config" else slot.user(tmp_path)
    path = write_kubeconfig(tmp_path / "kubeconfig", slot.server(url), ca_path=ca)
    with open(path) as handle:
        config = json.load(handle)
    config["users"][0]["user"] = user
    with open(path, "w") as handle:
        json.dump(config, handle)
    before = Path(path).read_bytes()

    done = run_cli(path, *slot.flags(), *extra)

    printed = done.stdout + done.stderr
    for secret in slot.secrets():
        for text in forbidden_texts(secret):
            assert text not in printed, f"{text!r} printed: {printed!r}"
    assert done.returncode == 2, printed
    assert done.stdout == "" and done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, printed
    assert Path(path).read_bytes() == before
    assert api.writes() == []
