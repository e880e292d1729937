"""Helpers for API cases against the devcluster (a real API server)."""

import socket
import uuid

import yaml

from clusters import kube
from clusters.models import Cluster
from clusters.services.clusters import credentials_from_kubeconfig
from tests.api import material


def admin_kubeconfig(devcluster) -> str:
    return yaml.safe_dump(devcluster.admin_kubeconfig_dict())


def cert_kubeconfig(devcluster, user="portal-cert") -> str:
    """A client-certificate kubeconfig with cluster-admin power (group system:masters)."""
    return yaml.safe_dump(devcluster.kubeconfig_dict(user, ["system:masters"]))


def token_kubeconfig(devcluster, name=None) -> tuple[str, str]:
    """A service-account token bound to cluster-admin; returns (kubeconfig, token).
    Waits until RBAC (an informer) lets the token list nodes."""
    from tests.clusters.conftest import wait_for

    name = name or f"portal-api-{uuid.uuid4().hex[:6]}"
    token = devcluster.service_account_token("kube-system", name)
    k = kube.k8s
    with kube.client_from_kubeconfig(admin_kubeconfig(devcluster)) as admin:
        admin.rbac.create_cluster_role_binding(
            k.V1ClusterRoleBinding(
                metadata=k.V1ObjectMeta(name=f"{name}-admin"),
                role_ref=k.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="cluster-admin"),
                subjects=[k.RbacV1Subject(kind="ServiceAccount", name=name, namespace="kube-system")],
            )
        )
    text = yaml.safe_dump(devcluster.kubeconfig_dict(name, token=token))

    def may_list_nodes():
        with kube.client_from_kubeconfig(text) as client:
            return client.core.list_node(limit=1) is not None

    wait_for(may_list_nodes, 15, what="the token's cluster-admin binding")
    return text, token


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unreachable_kubeconfig() -> str:
    """Well formed, pointing at a loopback port nothing listens on."""
    return material.kubeconfig(server=f"https://127.0.0.1:{closed_port()}")


def set_credentials(cluster: Cluster, text: str) -> Cluster:
    """Store credentials without the connect check (a test arranging state)."""
    fields = credentials_from_kubeconfig(text, None)
    for name, value in fields.items():
        setattr(cluster, name, value)
    cluster.save()
    cluster.refresh_from_db()  # the field reads back as a Secret
    return cluster


def create_node(devcluster, name=None) -> str:
    """A Node object of our own in the devcluster: no kubelet (kwok manages only
    annotated nodes), so nothing runs on it and changing it disturbs no other test."""
    name = name or f"api-node-{uuid.uuid4().hex[:6]}"
    k = kube.k8s
    with kube.client_from_kubeconfig(admin_kubeconfig(devcluster)) as admin:
        admin.core.create_node(k.V1Node(metadata=k.V1ObjectMeta(name=name, labels={"portal-test": "api"})))
    return name


def delete_node(devcluster, name: str) -> None:
    with kube.client_from_kubeconfig(admin_kubeconfig(devcluster)) as admin:
        try:
            admin.core.delete_node(name)
        except kube.KubeNotFound:
            pass
