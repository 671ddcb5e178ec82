"""A throwaway CA and a server certificate for 127.0.0.1 / localhost / ::1, made once per process.

Uses the ``cryptography`` package when it is importable, else the ``openssl`` command."""

import atexit
import os
import shutil
import subprocess
import tempfile
import threading
from typing import NamedTuple, Optional

__all__ = ["CertFiles", "session_certs"]


class CertFiles(NamedTuple):
    ca_path: str
    cert_path: str  # server certificate followed by the CA (a full chain)
    key_path: str
    directory: str


_lock = threading.Lock()
_cached: Optional[CertFiles] = None


def session_certs() -> CertFiles:
    """The process-wide certificate set (generated on first use, removed at exit)."""
    global _cached
    with _lock:
        if _cached is None or not os.path.exists(_cached.cert_path):
            d = tempfile.mkdtemp(prefix="fakeapi-tls-")
            atexit.register(shutil.rmtree, d, True)
            try:
                _generate_with_cryptography(d)
            except ImportError:
                _generate_with_openssl(d)
            _cached = CertFiles(
                os.path.join(d, "ca.crt"), os.path.join(d, "server.crt"), os.path.join(d, "server.key"), d
            )
        return _cached


def _generate_with_cryptography(d: str) -> None:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    later = now + datetime.timedelta(days=2)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fakeapi-ca")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(later)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(later)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.DNSName("kubernetes.default.svc"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    with open(os.path.join(d, "ca.crt"), "wb") as f:
        f.write(ca.public_bytes(pem))
    with open(os.path.join(d, "server.crt"), "wb") as f:
        f.write(cert.public_bytes(pem) + ca.public_bytes(pem))
    with open(os.path.join(d, "server.key"), "wb") as f:
        f.write(
            key.private_bytes(
                pem, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
            )
        )


def _generate_with_openssl(d: str) -> None:
    def run(*args: str) -> None:
        subprocess.run(
            ["openssl"] + list(args),
            cwd=d,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=60,
        )

    with open(os.path.join(d, "ca.ext"), "w") as f:
        f.write(
            "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\n"
            "subjectKeyIdentifier=hash\n"
        )
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write(
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
            "extendedKeyUsage=serverAuth\n"
            "subjectAltName=DNS:localhost,DNS:kubernetes.default.svc,IP:127.0.0.1,IP:::1\n"
        )
    run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key")
    run("req", "-new", "-key", "ca.key", "-subj", "/CN=fakeapi-ca", "-out", "ca.csr")
    run(
        "x509",
        "-req",
        "-in",
        "ca.csr",
        "-signkey",
        "ca.key",
        "-days",
        "2",
        "-extfile",
        "ca.ext",
        "-out",
        "ca.crt",
    )
    run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "server.key")
    run("req", "-new", "-key", "server.key", "-subj", "/CN=kube-apiserver", "-out", "server.csr")
    run(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "server.ext",
        "-out",
        "server.only.crt",
    )
    with open(os.path.join(d, "server.crt"), "wb") as out:
        for name in ("server.only.crt", "ca.crt"):
            with open(os.path.join(d, name), "rb") as f:
                out.write(f.read())
