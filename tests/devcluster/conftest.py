"""Helpers for the devcluster tests: official-client access and throwaway namespaces.

The `devcluster` fixture itself comes from devcluster.pytest_plugin, which the
project's root conftest loads (`pytest_plugins = ["devcluster.pytest_plugin"]`).
"""

from __future__ import annotations

import time
import uuid

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException


@pytest.fixture
def eventually():
    """``eventually(check, timeout, interval, what)``: poll until truthy or fail."""
    return _eventually


def _eventually(check, timeout: float = 60.0, interval: float = 0.5, what: str = "condition"):
    """Call ``check`` until it returns a truthy value; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except ApiException as error:  # e.g. 404 while a controller catches up
            last = error
        if last and not isinstance(last, ApiException):
            return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}; last value: {last!r}")


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


def create_namespace(core: client.CoreV1Api, prefix: str = "t") -> str:
    """Create a namespace and wait for its `default` service account: pods
    created before the service-account controller made it are refused."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    _eventually(
        lambda: core.read_namespaced_service_account("default", name), 30, 0.2, f"serviceaccount default in {name}"
    )
    return name


@pytest.fixture
def namespace(core):
    name = create_namespace(core)
    yield name
    try:
        core.delete_namespace(name)
    except ApiException as error:
        if error.status != 404:
            raise


@pytest.fixture
def other_namespace(core):
    name = create_namespace(core, "other")
    yield name
    try:
        core.delete_namespace(name)
    except ApiException as error:
        if error.status != 404:
            raise


@pytest.fixture
def make_namespace(core):
    """Create more namespaces inside one test (deleted afterwards)."""
    made = []

    def make(prefix: str = "t") -> str:
        made.append(create_namespace(core, prefix))
        return made[-1]

    yield make
    for name in made:
        try:
            core.delete_namespace(name)
        except ApiException as error:
            if error.status != 404:
                raise


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
