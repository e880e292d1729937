"""Live reads of a team namespace: its quota as the API server counts it,
and its pods. Team members read as themselves (impersonated), so the API
server decides what they see; a platform admin outside the team reads with
the portal's own credential."""

from clusters import kube
from rbac import provisioning as p
from rbac.identity import identity_for
from rbac.models import TeamNamespace

QUOTA_RESOURCES = ("requests.cpu", "limits.cpu", "requests.memory", "limits.memory", "pods", "requests.storage")
PODS_LIMIT = 500


def client_as(user, namespace: TeamNamespace) -> kube.KubeClient:
    """A client acting for `user` in a team namespace."""
    if user.is_staff and namespace.team.role_of(user) is None:
        return kube.client_for(namespace.cluster)
    return kube.client_for(namespace.cluster, identity=identity_for(user))


def namespace_quota(*, user, namespace: TeamNamespace) -> dict:
    """Hard vs used of the namespace's portal quota, read live."""
    with client_as(user, namespace) as client:
        quota = client.core.read_namespaced_resource_quota(p.QUOTA_NAME, namespace.name)
    hard, used = quota.status.hard or {}, quota.status.used or {}
    return {
        resource: {"hard": hard[resource], "used": used.get(resource, "0")}
        for resource in QUOTA_RESOURCES
        if resource in hard
    }


def pods_list(*, user, namespace: TeamNamespace, limit: int = PODS_LIMIT) -> list[dict]:
    with client_as(user, namespace) as client:
        items = client.core.list_namespaced_pod(namespace.name, limit=limit).items
    return [{"name": pod.metadata.name, "phase": pod.status.phase, "node": pod.spec.node_name or ""} for pod in items]
