"""Control-plane and add-on health, the architecture picture made live.

A check reads the API server's version and `/readyz?verbose` (which includes
etcd), finds the controller-manager and scheduler (their leader leases, or
their kube-system pods on kubeadm clusters), and looks for the add-ons: DNS,
kube-proxy, a CNI, metrics-server and an ingress controller. The result
updates the cluster's observed status and records phase transitions.

`clusters_health_sweep` checks every cluster in parallel with bounded
concurrency and a per-cluster timeout, so one dead cluster never delays the
others.
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from clusters import kube
from clusters.choices import ClusterPhase
from clusters.models import Cluster, ClusterPhaseChange
from clusters.services.inventory import cluster_nodes_sync

logger = logging.getLogger(__name__)

OK, ABSENT, UNHEALTHY, UNKNOWN = "healthy", "absent", "unhealthy", "unknown"

# Add-ons: (name, how to find it). Each finder returns (status, detail) or None.
CNI_DAEMONSETS = {
    "calico-node": "Calico",
    "cilium": "Cilium",
    "kube-flannel-ds": "Flannel",
    "weave-net": "Weave Net",
    "canal": "Canal",
    "antrea-agent": "Antrea",
    "kube-router": "kube-router",
    "kube-ovn-cni": "Kube-OVN",
}
INGRESS_DEPLOYMENT_HINTS = ("ingress-nginx", "nginx-ingress", "traefik", "haproxy-ingress", "contour", "kong")


def _workload_status(kind: str, obj) -> tuple[str, str]:
    status = obj.status
    if kind == "DaemonSet":
        desired, ready = status.desired_number_scheduled or 0, status.number_ready or 0
    else:
        desired, ready = obj.spec.replicas if obj.spec.replicas is not None else 1, status.ready_replicas or 0
    state = OK if desired > 0 and ready >= desired else UNHEALTHY
    return state, f"{ready}/{desired} ready ({obj.metadata.namespace}/{obj.metadata.name})"


def _lease_status(client, name: str) -> tuple[str, str] | None:
    try:
        lease = client.coordination.read_namespaced_lease(name, "kube-system")
    except kube.KubeNotFound:
        return None
    spec = lease.spec
    if not spec.renew_time:
        return UNHEALTHY, "leader lease never renewed"
    renewed = spec.renew_time if isinstance(spec.renew_time, datetime) else timezone.now()
    age = (timezone.now() - renewed).total_seconds()
    limit = max(3 * (spec.lease_duration_seconds or 15), 45)
    holder = (spec.holder_identity or "?").split("_")[0]
    if age > limit:
        return UNHEALTHY, f"leader {holder} last renewed {int(age)}s ago"
    return OK, f"leader {holder}, renewed {int(age)}s ago"


def _static_pod_status(client, component: str) -> tuple[str, str] | None:
    pods = client.core.list_namespaced_pod("kube-system", label_selector=f"component={component}").items
    if not pods:
        return None
    ready = [p for p in pods if any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or [])]
    return (OK if ready else UNHEALTHY), f"{len(ready)}/{len(pods)} pods ready"


def _component(client, name: str) -> dict:
    found = _lease_status(client, name) or _static_pod_status(client, name)
    status, detail = found or (UNKNOWN, "no leader lease and no kube-system pod: runs outside the cluster's view")
    return {"name": name, "status": status, "detail": detail}


def _find_addons(client) -> list[dict]:
    daemonsets = list(client.list_paged(client.apps.list_daemon_set_for_all_namespaces))
    deployments = list(client.list_paged(client.apps.list_deployment_for_all_namespaces))
    addons = []

    def add(name, candidates, kind):
        if candidates:
            status, detail = _workload_status(kind, candidates[0])
            addons.append({"name": name, "status": status, "detail": detail})
        else:
            addons.append({"name": name, "status": ABSENT, "detail": ""})

    dns = [
        d
        for d in deployments
        if d.metadata.namespace == "kube-system"
        and ((d.metadata.labels or {}).get("k8s-app") == "kube-dns" or d.metadata.name in ("coredns", "kube-dns"))
    ]
    add("CoreDNS", dns, "Deployment")
    add("kube-proxy", [d for d in daemonsets if d.metadata.name == "kube-proxy"], "DaemonSet")
    cni = [d for d in daemonsets if d.metadata.name in CNI_DAEMONSETS]
    if cni:
        status, detail = _workload_status("DaemonSet", cni[0])
        addons.append({"name": f"CNI: {CNI_DAEMONSETS[cni[0].metadata.name]}", "status": status, "detail": detail})
    else:
        addons.append({"name": "CNI", "status": ABSENT, "detail": ""})
    add("metrics-server", [d for d in deployments if d.metadata.name == "metrics-server"], "Deployment")
    ingress = [d for d in deployments if any(h in d.metadata.name for h in INGRESS_DEPLOYMENT_HINTS)]
    ingress += [d for d in daemonsets if any(h in d.metadata.name for h in INGRESS_DEPLOYMENT_HINTS)]
    if ingress:
        kind = "DaemonSet" if ingress[0] in daemonsets else "Deployment"
        status, detail = _workload_status(kind, ingress[0])
        addons.append({"name": "Ingress controller", "status": status, "detail": detail})
    else:
        classes = client.networking.list_ingress_class().items
        addons.append(
            {
                "name": "Ingress controller",
                "status": UNKNOWN if classes else ABSENT,
                "detail": ", ".join(c.metadata.name for c in classes) if classes else "",
            }
        )
    return addons


def _parse_readyz(body: str) -> list[dict]:
    checks = []
    for line in body.splitlines():
        line = line.strip()
        if line.startswith("[+]") or line.startswith("[-]"):
            name = line[3:].split(" ")[0]
            checks.append({"name": name, "ok": line.startswith("[+]"), "detail": line[3:]})
    return checks


def health_probe(client: kube.KubeClient) -> dict:
    """Everything a health check observes, from one cluster."""
    version = client.version()
    status, body = client.get_text("/readyz", [("verbose", "true")])
    checks = _parse_readyz(body)
    components = [_component(client, "kube-controller-manager"), _component(client, "kube-scheduler")]
    return {
        "version": version["git_version"],
        "ready": status == 200,
        "readyz": checks,
        "etcd": next((c for c in checks if c["name"].startswith("etcd")), None),
        "components": components,
        "addons": _find_addons(client),
    }


def _phase_for(probe: dict) -> tuple[str, str]:
    if not probe["ready"]:
        failing = [c["name"] for c in probe["readyz"] if not c["ok"]]
        return ClusterPhase.DEGRADED, "API server not ready: " + ", ".join(failing or ["readyz failed"])
    bad = [c["name"] for c in probe["components"] if c["status"] == UNHEALTHY]
    if bad:
        return ClusterPhase.DEGRADED, "Unhealthy: " + ", ".join(bad)
    return ClusterPhase.READY, ""


def _record(cluster_id: int, *, phase: str, message: str, probe: dict | None, reached: bool) -> Cluster:
    now = timezone.now()
    with transaction.atomic():
        cluster = Cluster.objects.select_for_update().get(pk=cluster_id)
        previous = cluster.phase
        cluster.phase = phase
        cluster.last_checked = now
        fields = ["phase", "last_checked", "conditions", "updated"]
        if reached:
            cluster.last_seen = now
            fields.append("last_seen")
        if probe is not None:
            cluster.health = probe
            cluster.kubernetes_version = probe["version"]
            fields += ["health", "kubernetes_version"]
        condition = {
            "type": "Healthy",
            "status": "True" if phase == ClusterPhase.READY else "False",
            "reason": phase,
            "message": message,
            "last_checked": now.isoformat(),
            "last_transition": now.isoformat()
            if previous != phase
            else next(
                (c.get("last_transition") for c in cluster.conditions or [] if c.get("type") == "Healthy"),
                now.isoformat(),
            ),
        }
        cluster.conditions = [condition]
        cluster.save(update_fields=fields)
        if previous != phase:
            ClusterPhaseChange.objects.create(cluster=cluster, previous=previous, phase=phase, message=message[:2000])
    return cluster


def cluster_health_check(*, cluster: Cluster, timeout: float | None = None) -> Cluster:
    """Check one cluster now and record what was seen."""
    seconds = timeout or settings.CLUSTER_HEALTH_TIMEOUT_SECONDS
    try:
        with kube.client_for(cluster, timeout=(min(3.0, seconds), seconds)) as client:
            probe = health_probe(client)
    except kube.ClusterUnauthorized as exc:
        return _record(cluster.pk, phase=ClusterPhase.UNAUTHORIZED, message=exc.message, probe=None, reached=True)
    except kube.KubeError as exc:
        return _record(cluster.pk, phase=ClusterPhase.UNREACHABLE, message=exc.message, probe=None, reached=False)
    phase, message = _phase_for(probe)
    return _record(cluster.pk, phase=phase, message=message, probe=probe, reached=True)


def _check_in_thread(cluster_id: int) -> str:
    try:
        cluster = cluster_health_check(cluster=Cluster.objects.get(pk=cluster_id))
        if cluster.phase in (ClusterPhase.READY, ClusterPhase.DEGRADED):
            # The node inventory follows the same beat, so the dashboard stays current.
            cluster_nodes_sync(cluster=cluster)
        return cluster.phase
    except kube.KubeError as exc:  # the cluster went away between the check and the sync
        logger.warning("Node sync of cluster %s failed: %s", cluster_id, exc.message)
        return Cluster.objects.filter(pk=cluster_id).values_list("phase", flat=True).first() or "error"
    except Exception:  # one cluster's bug must not stop the sweep
        logger.exception("Health check of cluster %s failed", cluster_id)
        return "error"
    finally:
        close_old_connections()


def clusters_health_sweep(*, concurrency: int | None = None) -> dict[int, str]:
    """Check every cluster with health checks on, `concurrency` at a time."""
    ids = list(Cluster.objects.filter(health_checks_enabled=True).exclude(kubeconfig="").values_list("pk", flat=True))
    if not ids:
        return {}
    workers = max(1, min(concurrency or settings.CLUSTER_HEALTH_CONCURRENCY, len(ids)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="health") as pool:
        return dict(zip(ids, pool.map(_check_in_thread, ids), strict=True))


def cluster_phase_history(*, cluster: Cluster, since: timedelta = timedelta(days=7)):
    return cluster.phase_changes.filter(created__gte=timezone.now() - since)
