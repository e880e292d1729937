"""Fixtures for cluster features against the devcluster."""

import time
import uuid

import pytest
import yaml

from clusters import kube


def wait_for(check, timeout=30.0, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except kube.KubeError as exc:
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what}; last: {last!r}")


@pytest.fixture
def admin_kubeconfig(devcluster) -> str:
    return yaml.safe_dump(devcluster.admin_kubeconfig_dict())


@pytest.fixture
def admin(admin_kubeconfig):
    with kube.client_from_kubeconfig(admin_kubeconfig) as client:
        yield client


@pytest.fixture
def make_namespace(admin):
    created = []

    def make(prefix="t"):
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        admin.core.create_namespace(kube.k8s.V1Namespace(metadata=kube.k8s.V1ObjectMeta(name=name)))
        wait_for(lambda: admin.core.read_namespaced_service_account("default", name), what=f"default SA in {name}")
        created.append(name)
        return name

    yield make
    for name in created:
        try:
            admin.core.delete_namespace(name)
        except kube.KubeError:
            pass


@pytest.fixture
def namespace(make_namespace):
    return make_namespace()


def pod(name, **resources):
    container = kube.k8s.V1Container(name="app", image="registry.example/app:1")
    if resources:
        container.resources = kube.k8s.V1ResourceRequirements(requests=resources, limits=resources)
    return kube.k8s.V1Pod(metadata=kube.k8s.V1ObjectMeta(name=name), spec=kube.k8s.V1PodSpec(containers=[container]))
