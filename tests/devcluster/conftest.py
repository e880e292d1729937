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


def pod_manifest(name: str, image: str = "registry.example/app:1", **spec) -> client.V1Pod:
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, labels={"app": name}),
        spec=client.V1PodSpec(containers=[client.V1Container(name="app", image=image)], **spec),
    )


def deployment_manifest(name: str, replicas: int, image: str = "registry.example/app:1") -> client.V1Deployment:
    labels = {"app": name}
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1DeploymentSpec(
            replicas=replicas,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(containers=[client.V1Container(name="app", image=image)]),
            ),
        ),
    )


@pytest.fixture
def new_pod():
    """``new_pod(name, image=..., **podspec)`` -> V1Pod with one container."""
    return pod_manifest


@pytest.fixture
def new_deployment():
    """``new_deployment(name, replicas, image=...)`` -> V1Deployment."""
    return deployment_manifest
