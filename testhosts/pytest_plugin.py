"""pytest plugin: real OpenSSH test hosts.

Enable with ``pytest_plugins = ["testhosts.pytest_plugin"]`` in conftest.py.

* fixture ``testhosts`` (function scope): a factory, ``testhosts(n=3)`` starts
  n fresh hosts for this test (a run of their own: own bridge, keys, host keys)
  and removes them when the test ends, passed or failed;
* fixture ``testhosts_shared`` (session scope): three hosts for the session,
  for tests that only read or that undo what they change;
* marker ``testhosts``: marked tests get the ``testhosts`` factory;
* fixture ``kube_packages`` (session scope): the Kubernetes package
  repository (real kubeadm and kubectl as .debs, signed), built once; a run
  serves it on its own bridge with ``run.package_mirror()``;
* no root, no namespaces, no overlayfs or a failed base build: such tests are
  skipped with the reason on a developer machine, and FAIL when ``CI=true``.
"""

from __future__ import annotations

import os
import sys

import pytest

from . import node_packages
from .errors import TestHostsError
from .fleet import TestHosts, unavailable_reason


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def _unavailable(reason: str):
    if _in_ci():
        pytest.fail(f"test hosts unavailable: {reason} (CI=true: missing test hosts fail the run)", pytrace=False)
    pytest.skip(f"test hosts unavailable: {reason}")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _start(count: int) -> TestHosts:
    reason = unavailable_reason()
    if reason:
        _unavailable(reason)
    try:
        return TestHosts.start(count, log=_log)
    except (TestHostsError, OSError) as error:
        _unavailable(str(error) or type(error).__name__)
        raise  # not reached: _unavailable skips or fails


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "testhosts: needs real OpenSSH test hosts (root, namespaces); skipped without them outside CI"
    )


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("testhosts") and "testhosts" not in item.fixturenames:
            item.fixturenames.append("testhosts")


@pytest.fixture
def testhosts():
    """``testhosts(n=3)`` -> a started :class:`testhosts.TestHosts` of n hosts, removed after the test."""
    runs: list[TestHosts] = []

    def start(count: int = 3) -> TestHosts:
        runs.append(_start(count))
        return runs[-1]

    yield start
    for run in runs:
        run.stop()


@pytest.fixture(scope="session")
def testhosts_shared():
    """Three test hosts shared by the session (do not leave changes on them)."""
    run = _start(3)
    yield run
    run.stop()


@pytest.fixture(scope="session")
def kube_packages():
    """The root of the Kubernetes package repository (``<root>/core:/stable:/v1.37/deb/``),
    built first if needed; without Go or the tools to build it: skipped, or FAIL when CI=true."""
    try:
        return node_packages.ensure_mirror(_log)
    except (TestHostsError, OSError) as error:
        _unavailable(str(error) or type(error).__name__)
