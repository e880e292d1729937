"""Kubeconfig documents with embedded credentials (self-contained files)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def build(
    server: str,
    ca_pem: bytes,
    user: str,
    *,
    cert_pem: bytes | None = None,
    key_pem: bytes | None = None,
    token: str | None = None,
    cluster_name: str = "devcluster",
) -> dict:
    """A kubeconfig dict for one user: a client certificate or a bearer token."""
    credentials: dict[str, str] = {}
    if cert_pem is not None:
        credentials["client-certificate-data"] = _b64(cert_pem)
        credentials["client-key-data"] = _b64(key_pem or b"")
    if token is not None:
        credentials["token"] = token
    context = f"{user}@{cluster_name}"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": {"server": server, "certificate-authority-data": _b64(ca_pem)}}],
        "users": [{"name": user, "user": credentials}],
        "contexts": [{"name": context, "context": {"cluster": cluster_name, "user": user}}],
        "current-context": context,
        "preferences": {},
    }


def dumps(config: dict) -> str:
    try:
        import yaml
    except ImportError:  # JSON is valid YAML; every client reads it
        return json.dumps(config, indent=2) + "\n"
    return yaml.safe_dump(config, sort_keys=False)


def write(path: Path, config: dict) -> Path:
    """Write with mode 0600: the file holds a private key or a token."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(dumps(config))
    return path
