"""Credentials for tests, made fresh: kubeconfigs that point nowhere real,
SSH private keys, and a certificate authority no cluster trusts. (Working
credentials of the devcluster come from `tests.support.live`.)"""

import base64
import secrets

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from devcluster.certs import CertificateAuthority

FAKE_PEM = b"-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def kubeconfig_doc(*, server="https://10.0.0.1:6443", user=None, context="admin@prod", extra_contexts=()) -> dict:
    user = user if user is not None else {"token": token_value()}
    contexts = [{"name": context, "context": {"cluster": "prod", "user": "admin"}}]
    contexts += [{"name": name, "context": {"cluster": "prod", "user": "admin"}} for name in extra_contexts]
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": context,
        "clusters": [{"name": "prod", "cluster": {"server": server, "certificate-authority-data": b64(FAKE_PEM)}}],
        "users": [{"name": "admin", "user": user}],
        "contexts": contexts,
    }


def kubeconfig(**kwargs) -> str:
    return yaml.safe_dump(kubeconfig_doc(**kwargs))


def token_value() -> str:
    # Shaped like a service-account JWT; unique so a leak is unambiguous.
    return "eyJhbGciOiJSUzI1NiJ9." + secrets.token_urlsafe(48)


def client_cert_user() -> tuple[dict, str]:
    """A user with an inline client certificate and key; returns it and the key data."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    key_data = b64(key_pem)
    return {"client-certificate-data": b64(FAKE_PEM), "client-key-data": key_data}, key_data


def ssh_private_key(passphrase: str | None = None, *, kind: str = "ed25519") -> str:
    """A real private key in OpenSSH format, optionally encrypted."""
    key = ed25519.Ed25519PrivateKey.generate() if kind == "ed25519" else rsa.generate_private_key(65537, 2048)
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode()) if passphrase else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, encryption).decode()


def ssh_key_body(text: str) -> str:
    """The base64 body of a private key, the part that must never leak."""
    lines = [line for line in text.strip().splitlines() if not line.startswith("-----")]
    return "".join(lines)


def other_ca() -> str:
    """A CA certificate (base64 PEM, as certificate-authority-data) that no
    cluster's certificates chain to."""
    return b64(CertificateAuthority.create("some-other-ca").pair.cert_pem)
