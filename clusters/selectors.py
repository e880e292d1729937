"""Live reads of cluster objects for platform admins (the portal's own credential).

A node's pods span every team, so only platform admins see them; team pages
read as the user through workloads/selectors.py.
"""

from clusters import kube
from clusters.models import Node

NODE_PODS_LIMIT = 500


def node_pods(*, node: Node, limit: int = NODE_PODS_LIMIT) -> tuple[list[dict], bool]:
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
