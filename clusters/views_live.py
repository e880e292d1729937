"""Small live reads for the admin pages, through the portal's own credential.

These are selectors for pages only platform admins see (a node's pods span
every team, so team members never get them). Team pages read as the user
through workloads/selectors.py instead.
"""

from clusters import kube
from clusters.models import Node
from rbac import provisioning
from rbac.models import TeamNamespace

NODE_PODS_LIMIT = 500


def node_pods_for_admin(*, node: Node, limit: int = NODE_PODS_LIMIT) -> tuple[list[dict], bool]:
    """The pods scheduled on `node` (at most `limit`), and whether there are more."""
    with kube.client_for(node.cluster) as client:
        page = client.core.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={node.name}", limit=limit)
    pods = []
    for pod in page.items:
        statuses = pod.status.container_statuses or []
        pods.append(
            {
                "namespace": pod.metadata.namespace,
                "name": pod.metadata.name,
                "phase": pod.status.phase or "",
                "ready": f"{sum(1 for s in statuses if s.ready)}/{len(pod.spec.containers or [])}",
                "restarts": sum(s.restart_count or 0 for s in statuses),
                "ip": pod.status.pod_ip or "",
                "created": pod.metadata.creation_timestamp,
            }
        )
    more = bool(page.metadata and page.metadata._continue)
    return sorted(pods, key=lambda p: (p["namespace"], p["name"])), more


def namespace_quota_for_admin(*, namespace: TeamNamespace) -> dict:
    """Hard vs used of a team namespace's quota, read live with the portal's
    credential (platform admins are in no team, so impersonating them would be refused)."""
    from workloads.selectors import QUOTA_RESOURCES

    with kube.client_for(namespace.cluster) as client:
        quota = client.core.read_namespaced_resource_quota(provisioning.QUOTA_NAME, namespace.name)
    hard, used = quota.status.hard or {}, quota.status.used or {}
    return {
        resource: {"hard": hard[resource], "used": used.get(resource, "0")}
        for resource in QUOTA_RESOURCES
        if resource in hard
    }


def namespace_pods_for_admin(*, namespace: TeamNamespace, limit: int = NODE_PODS_LIMIT) -> list[dict]:
    """The pods of a team namespace, for a platform admin outside the team."""
    with kube.client_for(namespace.cluster) as client:
        items = client.core.list_namespaced_pod(namespace.name, limit=limit).items
    return [{"name": pod.metadata.name, "phase": pod.status.phase, "node": pod.spec.node_name or ""} for pod in items]
