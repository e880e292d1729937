"""Keys made per run with the real ssh-keygen: the user's keys (one plain, one
protected by a passphrase) and each host's ed25519 host key."""

from __future__ import annotations

import base64
import hashlib
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class KeyPair:
    private_path: Path
    private_pem: str  # OpenSSH private key format ("-----BEGIN OPENSSH PRIVATE KEY-----")
    public_line: str  # "ssh-ed25519 AAAA... comment"

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_line)


def generate(path: Path, *, comment: str, passphrase: str = "") -> KeyPair:
    """An ed25519 key pair in `path` (private, mode 0600) and `path`.pub."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return KeyPair(path, path.read_text(), path.with_name(path.name + ".pub").read_text().strip())


def fingerprint(public_line: str) -> str:
    """OpenSSH's SHA256 fingerprint of a public key line, as `ssh-keygen -l` prints it."""
    blob = base64.b64decode(public_line.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def new_secret() -> str:
    """A password or passphrase: URL-safe, so it can be typed and passed on a command line in tests."""
    return secrets.token_urlsafe(18)
