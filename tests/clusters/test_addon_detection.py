"""Health finds add-ons only where add-ons live: a tenant's workload named
like one neither stands in for it nor shows its name in health."""

import time

import pytest

from clusters import kube
from clusters.services import health
from rbac.provisioning import TEAM_LABEL

pytestmark = pytest.mark.devcluster

k8s = kube.k8s


def _daemon_set(name):
    labels = {"app": name}
    return k8s.V1DaemonSet(
        metadata=k8s.V1ObjectMeta(name=name),
        spec=k8s.V1DaemonSetSpec(
            selector=k8s.V1LabelSelector(match_labels=labels),
            template=_pod_template(labels),
        ),
    )


def _deployment(name):
    labels = {"app": name}
    return k8s.V1Deployment(
        metadata=k8s.V1ObjectMeta(name=name),
        spec=k8s.V1DeploymentSpec(
            replicas=0, selector=k8s.V1LabelSelector(match_labels=labels), template=_pod_template(labels)
        ),
    )


def _pod_template(labels):
    return k8s.V1PodTemplateSpec(
        metadata=k8s.V1ObjectMeta(labels=labels),
        spec=k8s.V1PodSpec(containers=[k8s.V1Container(name="app", image="registry.example/app:1")]),
    )


@pytest.fixture
def named_namespaces(admin):
    """Namespaces with the exact names add-ons use; deleted (and waited for) after."""
    created = []

    def make(name, labels=None):
        admin.core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name, labels=labels)))
        created.append(name)
        return name

    yield make
    for name in created:
        admin.core.delete_namespace(name)
    deadline = time.monotonic() + 60
    for name in created:
        while time.monotonic() < deadline:
            try:
                admin.core.read_namespace(name)
            except kube.KubeNotFound:
                break
            time.sleep(0.5)


def test_a_tenants_look_alike_workloads_are_not_add_ons(admin, make_namespace, named_namespaces):
    tenant = make_namespace("tenant")
    for name in ("kube-proxy", "calico-node"):
        admin.apps.create_namespaced_daemon_set(tenant, _daemon_set(name))
    for name in ("metrics-server", "ingress-nginx-controller"):
        admin.apps.create_namespaced_deployment(tenant, _deployment(name))
    # A team namespace that took an add-on namespace's name is still a team's.
    team_owned = named_namespaces("calico-system", labels={TEAM_LABEL: "some-team"})
    for name in ("calico-node", "kube-proxy"):
        admin.apps.create_namespaced_daemon_set(team_owned, _daemon_set(name))
    admin.apps.create_namespaced_deployment(team_owned, _deployment("metrics-server"))
    # The real thing, where add-ons live: found, so detection itself works.
    flannel = named_namespaces("kube-flannel")
    admin.apps.create_namespaced_daemon_set(flannel, _daemon_set("kube-flannel-ds"))

    addons = {a["name"]: a for a in health.health_probe(admin)["addons"]}

    assert addons["CNI: Flannel"]["detail"].endswith("(kube-flannel/kube-flannel-ds)")
    assert addons["kube-proxy"]["status"] == health.ABSENT
    assert addons["metrics-server"]["status"] == health.ABSENT
    assert addons["Ingress controller"]["status"] != health.OK
    details = " ".join(a["detail"] for a in addons.values())
    assert tenant not in details and "calico-system" not in details
