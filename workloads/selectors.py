"""Workload reads, always as the requesting user (impersonated)."""

from clusters import kube
from rbac import provisioning as p
from rbac.identity import identity_for
from rbac.models import TeamNamespace

QUOTA_RESOURCES = ("requests.cpu", "limits.cpu", "requests.memory", "limits.memory", "pods", "requests.storage")


def namespace_quota(*, user, namespace: TeamNamespace) -> dict:
    """Hard vs used of the namespace's portal quota, read live as the user."""
    with kube.client_for(namespace.cluster, identity=identity_for(user)) as client:
        quota = client.core.read_namespaced_resource_quota(p.QUOTA_NAME, namespace.name)
    hard, used = quota.status.hard or {}, quota.status.used or {}
    return {
        resource: {"hard": hard[resource], "used": used.get(resource, "0")}
        for resource in QUOTA_RESOURCES
        if resource in hard
    }


def pods_list(*, user, namespace: TeamNamespace, limit: int = 500) -> list[dict]:
    with kube.client_for(namespace.cluster, identity=identity_for(user)) as client:
        return [
            {"name": pod.metadata.name, "phase": pod.status.phase, "node": pod.spec.node_name or ""}
            for pod in client.core.list_namespaced_pod(namespace.name, limit=limit).items
        ]
