"""Real services for tests: Redis (and PostgreSQL through DATABASE_URL).

On a developer's machine a missing server skips the tests that need it, with
the reason; under CI=true it fails the run instead.
"""

import os
import socket
from urllib.parse import urlparse

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def unavailable(reason: str):
    if in_ci():
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_url():
    """A real Redis server's URL, from TEST_REDIS_URL (or REDIS_URL)."""
    url = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    parsed = urlparse(url)
    if not _reachable(parsed.hostname or "127.0.0.1", parsed.port or 6379):
        unavailable(f"no Redis server answers at {url} (set TEST_REDIS_URL)")
    return url


def pytest_sessionstart(session):
    if in_ci() and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise pytest.UsageError("CI=true: DATABASE_URL must point at PostgreSQL so every database test runs on it.")
