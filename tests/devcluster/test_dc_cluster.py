"""The devcluster is a real Kubernetes 1.37 API with Ready (simulated) nodes."""

import pytest
from kubernetes import client

from devcluster.components import NODE_ANNOTATION

pytestmark = pytest.mark.devcluster


def test_it_reports_kubernetes_v1_37(admin_client):
    version = client.VersionApi(admin_client).get_code()

    assert version.git_version.startswith("v1.37."), version.git_version
    assert (version.major, version.minor) == ("1", "37")


def kwok_nodes(core):
    """The devcluster's own nodes, the ones kwok runs (other tests add nodes of theirs)."""
    return [n for n in core.list_node().items if (n.metadata.annotations or {}).get(NODE_ANNOTATION) == "fake"]


def test_it_has_a_control_plane_node_and_two_workers_all_ready(core):
    nodes = kwok_nodes(core)

    assert len(nodes) == 3
    for node in nodes:
        ready = {c.type: c.status for c in node.status.conditions}["Ready"]
        assert ready == "True", node.metadata.name
        assert node.status.node_info.kubelet_version.startswith("v1.37."), node.status.node_info
        assert node.status.allocatable["pods"] == "110"
    roles = sorted(
        label.split("/", 1)[1]
        for node in nodes
        for label in node.metadata.labels
        if label.startswith("node-role.kubernetes.io/")
    )
    assert roles == ["control-plane", "worker", "worker"]


def test_it_keeps_node_leases_renewed(core, admin_client):
    leases = client.CoordinationV1Api(admin_client).list_namespaced_lease("kube-node-lease").items

    renewed = {lease.metadata.name: lease.spec.renew_time for lease in leases}
    for node in kwok_nodes(core):
        assert renewed.get(node.metadata.name) is not None, node.metadata.name


def test_it_uses_the_10_96_service_range(core, namespace):
    service = core.create_namespaced_service(
        namespace,
        client.V1Service(
            metadata=client.V1ObjectMeta(name="web"),
            spec=client.V1ServiceSpec(selector={"app": "web"}, ports=[client.V1ServicePort(port=80)]),
        ),
    )

    assert service.spec.cluster_ip.startswith("10.")
    first, second = (int(part) for part in service.spec.cluster_ip.split(".")[1:3])
    assert 96 <= first <= 111  # 10.96.0.0/12
    assert core.read_namespaced_service("kubernetes", "default").spec.cluster_ip == "10.96.0.1"
