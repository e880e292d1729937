"""Pods' logs through the real API server path: the API server asks the node's
kubelet API (kwok's server, at the node's InternalIP and kubelet port, its
certificate verified against the cluster CA) for the log file the container
log stand-in (devcluster/containerlogs.py) wrote for each container."""

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from devcluster.components import NODE_IP
from tests.support.wait import wait_for

pytestmark = pytest.mark.devcluster

FIRST_LINE = "devcluster stand-in log of container {container} in pod {namespace}/{pod}"


def _pod(name):
    container = client.V1Container(name="app", image="registry.example/app:1")
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1PodSpec(
            init_containers=[client.V1Container(name="init", image="registry.example/init:1")],
            containers=[container, client.V1Container(name="sidecar", image="registry.example/side:1")],
        ),
    )


def _running(core, namespace, name):
    return core.read_namespaced_pod(name, namespace).status.phase == "Running"


def test_nodes_report_kwoks_kubelet_api(core):
    for node in core.list_node(label_selector="type=kwok").items:
        assert node.status.daemon_endpoints.kubelet_endpoint.port > 0
        assert {"type": "InternalIP", "address": NODE_IP} in [a.to_dict() for a in node.status.addresses]


def test_each_container_has_its_log_through_the_api_server(core, namespace):
    core.create_namespaced_pod(namespace, _pod("web"))
    wait_for(lambda: _running(core, namespace, "web"), 30, what="pod web Running")

    text = core.read_namespaced_pod_log("web", namespace, container="app")
    lines = text.splitlines()
    assert lines[0] == FIRST_LINE.format(container="app", namespace=namespace, pod="web")
    assert lines[2] == "image registry.example/app:1"
    # stdout and stderr lines both, in order, as a kubelet merges them.
    assert lines[3:] == ["line 4 of 5 (app, written to stderr)", "line 5 of 5 (app)"]

    sidecar = core.read_namespaced_pod_log("web", namespace, container="sidecar")
    assert sidecar.startswith(FIRST_LINE.format(container="sidecar", namespace=namespace, pod="web"))
    init = core.read_namespaced_pod_log("web", namespace, container="init")
    assert init.startswith(f"devcluster stand-in log of init container init in pod {namespace}/web")

    tail = core.read_namespaced_pod_log("web", namespace, container="app", tail_lines=2, timestamps=True)
    stamped = tail.splitlines()
    assert len(stamped) == 2
    stamp, rest = stamped[1].split(" ", 1)
    assert stamp.endswith("Z") and stamp[:4].isdigit() and rest == "line 5 of 5 (app)"

    limited = core.read_namespaced_pod_log("web", namespace, container="app", limit_bytes=10)
    assert limited == lines[0][:10]

    # The API server itself refuses a container the pod does not have.
    with pytest.raises(ApiException) as refused:
        core.read_namespaced_pod_log("web", namespace, container="nope")
    assert refused.value.status == 400 and "container nope is not valid for pod web" in refused.value.body


def test_a_followed_log_streams_the_containers_lines(core, namespace):
    core.create_namespaced_pod(namespace, _pod("follow"))
    wait_for(lambda: _running(core, namespace, "follow"), 30, what="pod follow Running")
    response = core.read_namespaced_pod_log(
        "follow", namespace, container="app", follow=True, _preload_content=False, _request_timeout=(5, 2)
    )
    received = b""
    try:
        for chunk in response.stream(64):
            received += chunk
            if received.count(b"\n") == 5:
                break
    finally:
        response.release_conn()
    assert received.decode().splitlines()[-1] == "line 5 of 5 (app)"


def test_a_deleted_pods_log_configuration_goes_with_it(core, admin_client, namespace):
    core.create_namespaced_pod(namespace, _pod("gone"))
    uid = core.read_namespaced_pod("gone", namespace).metadata.uid
    custom = client.CustomObjectsApi(admin_client)

    def configured():
        try:
            found = custom.get_cluster_custom_object("kwok.x-k8s.io", "v1alpha1", "clusterlogs", uid)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return found

    found = wait_for(configured, 30, what="the pod's ClusterLogs")
    assert found["spec"]["selector"] == {"matchNamespaces": [namespace], "matchNames": ["gone"]}
    assert [entry["containers"] for entry in found["spec"]["logs"]] == [["init"], ["app"], ["sidecar"]]

    core.delete_namespaced_pod("gone", namespace, grace_period_seconds=0)
    wait_for(lambda: configured() is None, 30, what="the pod's ClusterLogs deleted")
