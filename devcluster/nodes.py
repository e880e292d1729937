"""The simulated nodes: Node objects we register, which kwok then runs.

A kubelet registers its own Node; kwok does not, so we create them, annotated
so kwok manages them, with the labels, taints and status a kubeadm node has.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import build
from .components import NODE_ANNOTATION, NODE_IP

CONTROL_PLANE_ROLE = "node-role.kubernetes.io/control-plane"


@dataclass(frozen=True)
class NodeSpec:
    name: str
    control_plane: bool = False
    cpu: str = "4"
    memory: str = "16Gi"
    pods: str = "110"
    labels: dict[str, str] = field(default_factory=dict)


def default_nodes(count: int = 3) -> list[NodeSpec]:
    """One control-plane node and ``count - 1`` workers (at least one node)."""
    nodes = [NodeSpec("devcluster-control-plane", control_plane=True)]
    nodes += [NodeSpec(f"devcluster-worker-{i}") for i in range(1, max(count, 1))]
    return nodes


def manifest(spec: NodeSpec, index: int = 0) -> dict:
    """The Node a kubelet would register. ``index`` (the node's place in the
    list) no longer changes anything: every node has kwok's address."""
    labels = {
        "kubernetes.io/hostname": spec.name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": "amd64",
        "type": "kwok",
        **spec.labels,
    }
    taints = []
    if spec.control_plane:
        labels[CONTROL_PLANE_ROLE] = ""
        labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
        taints.append({"key": CONTROL_PLANE_ROLE, "effect": "NoSchedule"})
    else:
        labels["node-role.kubernetes.io/worker"] = ""
    resources = {"cpu": spec.cpu, "memory": spec.memory, "pods": spec.pods, "ephemeral-storage": "100Gi"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": spec.name,
            "labels": labels,
            "annotations": {NODE_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"},
        },
        "spec": {"taints": taints},
        "status": {
            "capacity": resources,
            "allocatable": resources,
            # kwok's server address: the API server reaches a node's kubelet
            # API (logs) there. Loopback: nothing reaches outside the machine.
            "addresses": [
                {"type": "InternalIP", "address": NODE_IP},
                {"type": "Hostname", "address": spec.name},
            ],
            "nodeInfo": {
                "architecture": "amd64",
                "operatingSystem": "linux",
                "kubeletVersion": build.KUBE_VERSION,
                "kubeProxyVersion": build.KUBE_VERSION,
                "containerRuntimeVersion": "kwok://simulated",
                "kernelVersion": "simulated",
                "osImage": "devcluster simulated node (kwok)",
                "machineID": "",
                "systemUUID": "",
                "bootID": "",
            },
        },
    }


def register(client, specs: list[NodeSpec]) -> None:
    """Create the Node objects (status included, as a kubelet registers)."""
    for spec in specs:
        client.post("/api/v1/nodes", manifest(spec))


def all_ready(client, names: list[str]) -> bool:
    items = client.get("/api/v1/nodes")["items"]
    ready = {
        node["metadata"]["name"]
        for node in items
        if any(c["type"] == "Ready" and c["status"] == "True" for c in node.get("status", {}).get("conditions", []))
    }
    return set(names) <= ready
