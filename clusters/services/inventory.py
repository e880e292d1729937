"""Node inventory: nodes synced from each cluster into Node rows (observed status).

The cluster is the truth; rows are a cache for lists and the dashboard. Pods
are read page by page (never a whole cluster's pods at once) to count, per
node, the pods running and the CPU and memory they request.
"""

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from clusters import kube
from clusters.choices import ClusterPhase
from clusters.models import Cluster, Node

logger = logging.getLogger(__name__)

ROLE_LABEL_PREFIX = "node-role.kubernetes.io/"
# A page showing nodes synced longer ago than this asks for a fresh sync: the
# sweep runs less often, and pod counts go stale as soon as anything deploys.
NODES_STALE_AFTER = timedelta(minutes=1)
# Phases in which the cluster answered its last check: its nodes can be read.
ANSWERED = (ClusterPhase.READY, ClusterPhase.DEGRADED)
PRESSURE_CONDITIONS = ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")


def node_roles(labels: dict) -> list[str]:
    roles = sorted(key[len(ROLE_LABEL_PREFIX) :] for key in labels if key.startswith(ROLE_LABEL_PREFIX))
    return [role for role in roles if role] or (
        ["worker"] if "kubernetes.io/role" not in labels else [labels["kubernetes.io/role"]]
    )


def _pod_requests(pod) -> tuple[Decimal, Decimal]:
    """Effective CPU (cores) and memory (bytes) requests of a pod, as the
    scheduler counts them: the larger of the containers' sum and any one init
    container, plus the pod overhead."""

    def requests(container):
        values = (container.resources.requests or {}) if container.resources else {}
        return (
            kube.parse_quantity(values.get("cpu", "0")),
            kube.parse_quantity(values.get("memory", "0")),
        )

    cpu = memory = Decimal(0)
    for container in pod.spec.containers or []:
        c, m = requests(container)
        cpu, memory = cpu + c, memory + m
    for container in pod.spec.init_containers or []:
        c, m = requests(container)
        cpu, memory = max(cpu, c), max(memory, m)
    for resource, value in (pod.spec.overhead or {}).items():
        if resource == "cpu":
            cpu += kube.parse_quantity(value)
        elif resource == "memory":
            memory += kube.parse_quantity(value)
    return cpu, memory


def _format_cpu(cores: Decimal) -> str:
    millis = int(cores * 1000)
    return f"{millis // 1000}" if millis % 1000 == 0 else f"{millis}m"


def _format_memory(value: Decimal) -> str:
    mib = int(value) // (1024 * 1024)
    return f"{mib}Mi"


def _observed(node, usage: dict) -> dict:
    status, meta, spec = node.status, node.metadata, node.spec
    info = status.node_info
    labels = meta.labels or {}
    conditions = [
        {
            "type": c.type,
            "status": c.status,
            "reason": c.reason or "",
            "message": c.message or "",
            "last_transition": c.last_transition_time.isoformat() if c.last_transition_time else None,
        }
        for c in status.conditions or []
    ]
    addresses = {a.type: a.address for a in status.addresses or []}
    return {
        "address": addresses.get("InternalIP") or addresses.get("Hostname", ""),
        "roles": node_roles(labels),
        "ready": any(c["type"] == "Ready" and c["status"] == "True" for c in conditions),
        "unschedulable": bool(spec.unschedulable),
        "conditions": conditions,
        "capacity": dict(status.capacity or {}),
        "allocatable": dict(status.allocatable or {}),
        "versions": {
            "kubelet": info.kubelet_version if info else "",
            "kube_proxy": (info.kube_proxy_version or "") if info else "",
            "container_runtime": info.container_runtime_version if info else "",
            "os_image": info.os_image if info else "",
            "kernel": info.kernel_version if info else "",
            "architecture": info.architecture if info else "",
        },
        "labels": labels,
        "taints": [{"key": t.key, "value": t.value or "", "effect": t.effect} for t in spec.taints or []],
        "pods_running": usage["pods"],
        "requested": {"cpu": _format_cpu(usage["cpu"]), "memory": _format_memory(usage["memory"])},
    }


def _usage_by_node(client: kube.KubeClient) -> dict:
    usage = defaultdict(lambda: {"pods": 0, "cpu": Decimal(0), "memory": Decimal(0)})
    for pod in client.list_paged(
        client.core.list_pod_for_all_namespaces, field_selector="status.phase!=Succeeded,status.phase!=Failed"
    ):
        if not pod.spec.node_name:
            continue
        cpu, memory = _pod_requests(pod)
        entry = usage[pod.spec.node_name]
        entry["pods"] += 1
        entry["cpu"] += cpu
        entry["memory"] += memory
    return usage


def cluster_nodes_sync(*, cluster: Cluster, client: kube.KubeClient | None = None) -> dict:
    """Read the cluster's nodes and pods and update the Node rows.

    Nodes that disappeared are kept and marked `missing_since`, not dropped:
    an admin should see that a node went away. Returns counts.
    """
    own_client = client is None
    client = client or kube.client_for(cluster)
    try:
        usage = _usage_by_node(client)
        observed = {
            node.metadata.name: _observed(node, usage[node.metadata.name])
            for node in client.list_paged(client.core.list_node)
        }
    finally:
        if own_client:
            client.close()
    now = timezone.now()
    with transaction.atomic():
        existing = {n.name: n for n in Node.objects.select_for_update().filter(cluster=cluster)}
        for name, fields in observed.items():
            node = existing.get(name) or Node(cluster=cluster, name=name)
            for field, value in fields.items():
                setattr(node, field, value)
            node.missing_since = None
            node.last_synced = now
            node.save()
        gone = [n.pk for name, n in existing.items() if name not in observed and n.missing_since is None]
        Node.objects.filter(pk__in=gone).update(missing_since=now, ready=False)
    return {"nodes": len(observed), "missing": len(gone), "ready": sum(1 for f in observed.values() if f["ready"])}


def cluster_nodes_refresh(*, cluster_id: int) -> dict | None:
    """Sync one cluster's nodes on its own (a page asked for fresh counts).

    A cluster that cannot be read now is not an error of the task: the page
    stops waiting and the next sweep tries again."""
    cluster = Cluster.objects.filter(pk=cluster_id).first()
    if cluster is None:
        return None
    try:
        return cluster_nodes_sync(cluster=cluster)
    except kube.KubeError as exc:
        logger.info("Node sync of cluster %s: %s", cluster.slug, exc.message)
        return None


def _present_nodes(clusters):
    return Node.objects.filter(cluster__in=clusters, missing_since__isnull=True).values("cluster").order_by()


def stale_clusters(clusters, *, now: datetime | None = None) -> list[Cluster]:
    """Those of `clusters` that answer but whose node rows were never synced,
    or were synced more than NODES_STALE_AFTER ago (the oldest present node
    counts). One query for all of them: the dashboard asks on every load."""
    answering = [c for c in clusters if c.health_checks_enabled and c.phase in ANSWERED]
    if not answering:
        return []
    seen = {
        row["cluster"]: row
        for row in _present_nodes(answering).annotate(
            unsynced=Count("pk", filter=Q(last_synced__isnull=True)), oldest=Min("last_synced")
        )
    }
    limit = (now or timezone.now()) - NODES_STALE_AFTER
    return [c for c in answering if c.pk not in seen or seen[c.pk]["unsynced"] or seen[c.pk]["oldest"] < limit]


def nodes_synced_since(clusters, since: datetime) -> bool:
    """Whether every one of `clusters` has nodes, each synced at or after
    `since` (the syncs asked then have all landed). One query."""
    behind = _present_nodes(clusters).annotate(
        behind=Count("pk", filter=Q(last_synced__isnull=True) | Q(last_synced__lt=since))
    )
    landed = {row["cluster"] for row in behind if not row["behind"]}
    return all(c.pk in landed for c in clusters)


def cluster_nodes_sync_soon(*, cluster: Cluster) -> None:
    """Sync the cluster's nodes in the background right after this transaction.

    Several people opening the page at once ask for one sync: the first asks,
    the others find the request in the cache for NODES_STALE_AFTER."""
    from clusters.tasks import cluster_nodes_sync as task

    if cache.add(f"clusters:nodes-sync:{cluster.pk}", True, timeout=NODES_STALE_AFTER.total_seconds()):
        cluster_id = cluster.pk
        # Robust: a broker that is down must not turn the page that asked into an error.
        transaction.on_commit(lambda: task.delay(cluster_id), robust=True)
