"""Typed settings from the environment.

Development gets working defaults that need no server; production
(`PORTAL_ENV=production`) refuses to start when a secret is missing, instead of
silently running with a generated or empty one.
"""

import os
import re
import secrets
import tempfile
from pathlib import Path

import environ
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))
PRODUCTION = env.str("PORTAL_ENV", default="development") == "production"


def _kept_secret(filename: str, make) -> str:
    """A development secret generated once and kept under var/ across restarts."""
    path = VAR_DIR / filename
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Written aside and linked into place, so processes starting together
    # (web, worker, beat) all end up with the one value that won.
    fd, temp = tempfile.mkstemp(dir=VAR_DIR, prefix=f".{filename}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(make() + "\n")
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(temp)
    return path.read_text().strip()


def required_secret(name: str, filename: str, make) -> str:
    """Read a secret from the environment; in development fall back to var/."""
    value = env.str(name, default="")
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set when PORTAL_ENV=production.")
    return _kept_secret(filename, make)


def secret_key() -> str:
    return required_secret("SECRET_KEY", "secret_key", lambda: secrets.token_urlsafe(50))


def encryption_keys() -> list[str]:
    """The Fernet key set; the first key encrypts, all keys decrypt (rotation)."""
    raw = required_secret("PORTAL_ENCRYPTION_KEYS", "encryption_keys", lambda: Fernet.generate_key().decode())
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    for key in keys:
        try:
            Fernet(key)
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(
                "PORTAL_ENCRYPTION_KEYS holds a value that is not a Fernet key (32 url-safe base64-encoded bytes)."
            ) from exc
    return keys


RATE = re.compile(r"^[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)$")


def rate(name: str, default: str) -> str:
    """A request rate such as `60/minute`, refused at start when malformed
    (not at the first request it would limit)."""
    value = env.str(name, default=default).strip()
    if not RATE.match(value):
        raise ImproperlyConfigured(f"{name} must be a rate like 60/minute (per second, minute, hour or day): {value!r}")
    return value


DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def dns_labels(name: str, default: list[str]) -> list[str]:
    """A comma-separated list of Kubernetes names (DNS labels), refused at start when one is not."""
    values = env.list(name, default=default)
    wrong = [value for value in values if not DNS_LABEL.match(value)]
    if wrong:
        raise ImproperlyConfigured(f"{name} must list Kubernetes namespace names: {', '.join(map(repr, wrong))}")
    return values
