"""The devcluster is a real Kubernetes 1.37 API with Ready (simulated) nodes."""

import pytest
from kubernetes import client

pytestmark = pytest.mark.devcluster


def test_it_reports_kubernetes_v1_37(admin_client):
    version = client.VersionApi(admin_client).get_code()

    assert version.git_version.startswith("v1.37."), version.git_version
    assert (version.major, version.minor) == ("1", "37")


def test_it_has_a_control_plane_node_and_two_workers_all_ready(core):
    nodes = core.list_node().items

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

    assert sorted(lease.metadata.name for lease in leases) == sorted(
        node.metadata.name for node in core.list_node().items
    )
    assert all(lease.spec.renew_time is not None for lease in leases)


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
