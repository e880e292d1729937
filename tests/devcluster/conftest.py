"""Helpers for the devcluster tests: official-client access and manifests.

The `devcluster` fixture itself comes from devcluster.pytest_plugin, which the
project's root conftest loads (`pytest_plugins = ["devcluster.pytest_plugin"]`);
throwaway namespaces (`namespace`, `make_namespace`) and polling
(`tests.support.wait.wait_for`) are the suite's shared ones.
"""

from __future__ import annotations

import pytest
from kubernetes import client, config


@pytest.fixture(scope="session")
def admin_client(devcluster):
    """An ApiClient authenticated with the devcluster's admin kubeconfig."""
    api = config.new_client_from_config(config_file=str(devcluster.kubeconfig_path))
    yield api
    api.close()


@pytest.fixture
def core(admin_client):
    return client.CoreV1Api(admin_client)


@pytest.fixture
def apps(admin_client):
    return client.AppsV1Api(admin_client)


@pytest.fixture
def batch(admin_client):
    return client.BatchV1Api(admin_client)


@pytest.fixture
def rbac(admin_client):
    return client.RbacAuthorizationV1Api(admin_client)


@pytest.fixture
def other_namespace(make_namespace):
    """A second namespace of the test's own (tests/conftest.py deletes both)."""
    return make_namespace("other")
