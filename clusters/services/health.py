"""Control-plane and add-on health, the architecture picture made live.

A check reads the API server's version and `/readyz?verbose` (which includes
etcd), finds the controller-manager and scheduler (their leader leases, or
their kube-system pods on kubeadm clusters), and looks for the add-ons: DNS,
kube-proxy, a CNI, metrics-server and an ingress controller, only where
add-ons live (never in a team's namespace). The result
updates the cluster's observed status and records phase transitions.

A check runs in a worker, for readers of any language: what it says (a
lease's holder and age, how many replicas are ready, an add-on's name) is
stored as message ids with parameters beside the English text (`detail` and
`detail_i18n`, `name` and `name_i18n`, portal/stored_text.py), and
`health_shown` makes the reader's sentences.

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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clusters import kube
from clusters.choices import ClusterPhase
from clusters.models import Cluster, ClusterPhaseChange
from clusters.services.inventory import cluster_nodes_sync
from portal import stored_text
from portal.labels import TEAM_LABEL
from portal.stored_text import Message

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


def _entry(name: "str | Message", status: str, detail: "str | Message" = "") -> dict:
    """One component or add-on as stored: English text for readers from
    before, and the message ids and parameters the page translates."""
    entry = {"name": stored_text.english(name), "status": status, "detail": stored_text.english(detail)}
    if isinstance(name, Message):
        entry["name_i18n"] = stored_text.to_json(name)
    if isinstance(detail, Message):
        entry["detail_i18n"] = stored_text.to_json(detail)
    return entry


def _workload_status(kind: str, obj) -> tuple[str, Message]:
    status = obj.status
    if kind == "DaemonSet":
        desired, ready = status.desired_number_scheduled or 0, status.number_ready or 0
    else:
        desired, ready = obj.spec.replicas if obj.spec.replicas is not None else 1, status.ready_replicas or 0
    state = OK if desired > 0 and ready >= desired else UNHEALTHY
    return state, Message(
        gettext_noop("%(ready)s/%(desired)s ready (%(workload)s)"),
        ready=ready,
        desired=desired,
        workload=f"{obj.metadata.namespace}/{obj.metadata.name}",
    )


def _lease_status(client, name: str) -> tuple[str, Message] | None:
    try:
        lease = client.coordination.read_namespaced_lease(name, "kube-system")
    except kube.KubeNotFound:
        return None
    spec = lease.spec
    if not spec.renew_time:
        return UNHEALTHY, Message(gettext_noop("leader lease never renewed"))
    renewed = spec.renew_time if isinstance(spec.renew_time, datetime) else timezone.now()
    age = (timezone.now() - renewed).total_seconds()
    limit = max(3 * (spec.lease_duration_seconds or 15), 45)
    holder = (spec.holder_identity or "?").split("_")[0]
    if age > limit:
        return UNHEALTHY, Message(
            gettext_noop("leader %(holder)s last renewed %(seconds)ss ago"), holder=holder, seconds=int(age)
        )
    return OK, Message(gettext_noop("leader %(holder)s, renewed %(seconds)ss ago"), holder=holder, seconds=int(age))


def _static_pod_status(client, component: str) -> tuple[str, Message] | None:
    pods = client.core.list_namespaced_pod("kube-system", label_selector=f"component={component}").items
    if not pods:
        return None
    ready = [p for p in pods if any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or [])]
    return (OK if ready else UNHEALTHY), Message(
        gettext_noop("%(ready)s/%(pods)s pods ready"), ready=len(ready), pods=len(pods)
    )


def _component(client, name: str) -> dict:
    found = _lease_status(client, name) or _static_pod_status(client, name)
    status, detail = found or (
        UNKNOWN,
        Message(gettext_noop("no leader lease and no kube-system pod: runs outside the cluster's view")),
    )
    return _entry(name, status, detail)


def _addon_slot(kind: str, obj) -> str | None:
    """Which add-on a workload is, if any."""
    name, namespace = obj.metadata.name, obj.metadata.namespace
    if (
        kind == "Deployment"
        and namespace == "kube-system"
        and ((obj.metadata.labels or {}).get("k8s-app") == "kube-dns" or name in ("coredns", "kube-dns"))
    ):
        return "dns"
    if kind == "DaemonSet" and name == "kube-proxy":
        return "kube-proxy"
    if kind == "DaemonSet" and name in CNI_DAEMONSETS:
        return "cni"
    if kind == "Deployment" and name == "metrics-server":
        return "metrics-server"
    if any(hint in name for hint in INGRESS_DEPLOYMENT_HINTS):
        return "ingress"
    return None


def _addon_namespaces(client) -> list[str]:
    """Where cluster add-ons live: kube-system, and those of the known add-on
    namespaces (CLUSTER_ADDON_NAMESPACES) that exist and are no team's. A
    tenant's workload named like an add-on must neither stand in for it nor
    show its name in health."""
    wanted = [name for name in settings.CLUSTER_ADDON_NAMESPACES if name != "kube-system"]
    existing = set()
    if wanted:
        # Every namespace carries its name as a label; team namespaces carry the team label.
        selector = f"kubernetes.io/metadata.name in ({','.join(wanted)}),!{TEAM_LABEL}"
        existing = {ns.metadata.name for ns in client.list_paged(client.core.list_namespace, label_selector=selector)}
    return ["kube-system", *(name for name in wanted if name in existing)]


def _find_addons(client) -> list[dict]:
    """Read the Deployments and DaemonSets of the add-on namespaces, page by
    page, and keep the first of each add-on."""
    found: dict[str, tuple[str, object]] = {}
    for namespace in _addon_namespaces(client):
        for kind, list_call in (
            ("Deployment", client.apps.list_namespaced_deployment),
            ("DaemonSet", client.apps.list_namespaced_daemon_set),
        ):
            for obj in client.list_paged(list_call, namespace):
                slot = _addon_slot(kind, obj)
                if slot and slot not in found:
                    found[slot] = (kind, obj)

    def entry(slot, name):
        if slot not in found:
            return _entry(name, ABSENT)
        kind, obj = found[slot]
        return _entry(name, *_workload_status(kind, obj))

    # Product names stay as they are; what names a kind of add-on is translated.
    addons = [entry("dns", "CoreDNS"), entry("kube-proxy", "kube-proxy")]
    cni_name = (
        Message(gettext_noop("CNI: %(plugin)s"), plugin=CNI_DAEMONSETS[found["cni"][1].metadata.name])
        if "cni" in found
        else "CNI"
    )
    addons += [entry("cni", cni_name), entry("metrics-server", "metrics-server")]
    ingress = Message(gettext_noop("Ingress controller"))
    if "ingress" in found:
        addons.append(entry("ingress", ingress))
    else:
        classes = client.networking.list_ingress_class().items
        addons.append(
            _entry(
                ingress,
                UNKNOWN if classes else ABSENT,
                ", ".join(c.metadata.name for c in classes) if classes else "",
            )
        )
    return addons


def health_shown(health: dict) -> dict:
    """A stored health probe with its components' and add-ons' names and
    details in the reader's language (checks from before show as stored)."""
    if not health:
        return health  # never checked: the page says so

    def shown(entry):
        return {
            **entry,
            "name": stored_text.shown(entry.get("name_i18n"), entry.get("name")),
            "detail": stored_text.shown(entry.get("detail_i18n"), entry.get("detail")),
        }

    return {
        **health,
        "components": [shown(entry) for entry in health.get("components") or []],
        "addons": [shown(entry) for entry in health.get("addons") or []],
    }


def condition_shown(condition: dict) -> dict:
    """The Healthy condition with its message in the reader's language."""
    return {**condition, "message": stored_text.shown(condition.get("message_i18n"), condition.get("message"))}


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


def _phase_for(probe: dict) -> tuple[str, "str | Message"]:
    if not probe["ready"]:
        failing = [c["name"] for c in probe["readyz"] if not c["ok"]]
        return ClusterPhase.DEGRADED, Message(
            gettext_noop("API server not ready: %(checks)s"), checks=", ".join(failing or ["readyz failed"])
        )
    bad = [c["name"] for c in probe["components"] if c["status"] == UNHEALTHY]
    if bad:
        return ClusterPhase.DEGRADED, Message(gettext_noop("Unhealthy: %(components)s"), components=", ".join(bad))
    return ClusterPhase.READY, ""


def _record(cluster_id: int, *, phase: str, message: "str | Message", probe: dict | None, reached: bool) -> Cluster:
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
        text = stored_text.english(message)
        condition = {
            "type": "Healthy",
            "status": "True" if phase == ClusterPhase.READY else "False",
            "reason": phase,
            "message": text,
            # The API's words stay as they are; the portal's own sentence is translated when shown.
            **({"message_i18n": stored_text.to_json(message)} if isinstance(message, Message) else {}),
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
            ClusterPhaseChange.objects.create(
                cluster=cluster,
                previous=previous,
                phase=phase,
                message=text[:2000],
                message_i18n=stored_text.to_json(message) if isinstance(message, Message) else None,
            )
    return cluster


def cluster_health_check(*, cluster: Cluster, timeout: float | None = None) -> Cluster:
    """Check one cluster now and record what was seen."""
    seconds = timeout or settings.CLUSTER_HEALTH_TIMEOUT_SECONDS
    try:
        with kube.client_for(cluster, timeout=(min(3.0, seconds), seconds)) as client:
            probe = health_probe(client)
    except kube.ClusterUnauthorized as exc:
        return _record(cluster.pk, phase=ClusterPhase.UNAUTHORIZED, message=exc.text, probe=None, reached=True)
    except kube.KubeError as exc:
        return _record(cluster.pk, phase=ClusterPhase.UNREACHABLE, message=exc.text, probe=None, reached=False)
    phase, message = _phase_for(probe)
    return _record(cluster.pk, phase=phase, message=message, probe=probe, reached=True)


def cluster_check_now(*, cluster: Cluster) -> tuple[Cluster, dict | None, str]:
    """Health check, then the node inventory when the cluster answered.

    Returns the checked cluster, the node counts (None when not synced) and,
    if so, why the nodes were not read. An unreachable cluster is not asked
    twice: the sync is skipped instead of waiting out a second timeout."""
    cluster = cluster_health_check(cluster=cluster)
    if cluster.phase not in (ClusterPhase.READY, ClusterPhase.DEGRADED):
        return (
            cluster,
            None,
            _("Could not read the nodes: the cluster is %(phase)s.") % {"phase": cluster.get_phase_display()},
        )
    try:
        return cluster, cluster_nodes_sync(cluster=cluster), ""
    except kube.KubeError as exc:  # it went away between the check and the sync
        return cluster, None, _("Could not read the nodes: %(message)s") % {"message": exc.message}


def _check_in_thread(cluster_id: int) -> str:
    try:
        cluster, _counts, sync_error = cluster_check_now(cluster=Cluster.objects.get(pk=cluster_id))
        if sync_error:
            logger.info("Cluster %s: %s", cluster_id, sync_error)
        return cluster.phase
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
