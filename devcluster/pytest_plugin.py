"""pytest plugin: one devcluster per test session.

Enable with ``pytest_plugins = ["devcluster.pytest_plugin"]`` in conftest.py.

* fixture ``devcluster`` (session scope) yields a :class:`DevCluster` handle;
* marker ``devcluster``: tests carrying it get the fixture automatically;
* no Go toolchain or a failed build/start: such tests are skipped with the
  reason on a developer machine, and the run FAILS when ``CI=true``;
* reuse instead of starting one: ``DEVCLUSTER_KUBECONFIG=<admin kubeconfig of a
  devcluster>`` or ``DEVCLUSTER_REUSE=1`` (attach to the one in the state file
  that ``python -m devcluster up --detach`` wrote).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from . import state
from .build import BuildError
from .cluster import DevCluster, DevClusterError


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "devcluster: needs the devcluster (real kube-apiserver etc.); skipped without Go outside CI"
    )
    config.addinivalue_line("markers", "slow: takes about a minute or more")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("devcluster") and "devcluster" not in item.fixturenames:
            item.fixturenames.append("devcluster")


def _attach_from_kubeconfig(path: str) -> DevCluster:
    path = Path(path).expanduser()
    text = path.read_text()
    try:
        config = json.loads(text)
    except ValueError:
        import yaml

        config = yaml.safe_load(text)
    server = config["clusters"][0]["cluster"]["server"]
    return DevCluster.attach(path.parent, server)


def _reuse() -> DevCluster | None:
    if os.environ.get("DEVCLUSTER_KUBECONFIG"):
        return _attach_from_kubeconfig(os.environ["DEVCLUSTER_KUBECONFIG"])
    if os.environ.get("DEVCLUSTER_REUSE", "").lower() in {"1", "true", "yes"}:
        data = state.read()
        if data:
            return DevCluster.attach(data["data_dir"], data["server"])
    return None


@pytest.fixture(scope="session")
def devcluster():
    """The session's devcluster: ``.kubeconfig_path``, ``.server``, ``.ca_cert_pem``,
    ``.client_cert(user, groups)``, ``.kubeconfig_dict(user, groups, token=)``."""
    reused = _reuse()
    if reused is not None:
        yield reused
        return
    try:
        cluster = DevCluster.start(nodes=3)
    except (BuildError, DevClusterError, OSError) as error:
        reason = f"devcluster unavailable: {str(error).splitlines()[0] if str(error) else type(error).__name__}"
        if _in_ci():
            pytest.fail(f"{reason} (CI=true: a devcluster that cannot start fails the run)\n{error}", pytrace=False)
        pytest.skip(reason)
    try:
        yield cluster
    finally:
        cluster.stop()
