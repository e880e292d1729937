"""Node actions: cordon, uncordon, drain (as a job), labels and taints.

These act with the portal's own credential (platform work, admins only) and
re-read the node afterwards, so the Node row shows what the cluster now has.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clusters import kube
from clusters.models import Node
from clusters.services.inventory import cluster_nodes_sync
from jobs import services as job_services
from portal.errors import PortalError
from portal.stored_text import Message

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def _patch(node: Node, patch: dict) -> Node:
    with kube.client_for(node.cluster) as client:
        client.core.patch_node(node.name, patch)
        cluster_nodes_sync(cluster=node.cluster, client=client)
    return Node.objects.get(pk=node.pk)


def node_cordon(*, node: Node) -> Node:
    """Mark the node unschedulable: running pods stay, new ones go elsewhere."""
    return _patch(node, {"spec": {"unschedulable": True}})


def node_uncordon(*, node: Node) -> Node:
    return _patch(node, {"spec": {"unschedulable": False}})


def node_labels_set(*, node: Node, labels: dict[str, str]) -> Node:
    """Make the node's labels exactly `labels` (removed keys are deleted).
    The API server validates keys and values; its field errors come back as is."""
    if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
        raise PortalError(_("Labels must map strings to strings."), field_errors={"labels": [_("Invalid labels.")]})
    removed = {key: None for key in node.labels if key not in labels}
    return _patch(node, {"metadata": {"labels": {**removed, **labels}}})


def node_taints_set(*, node: Node, taints: list[dict]) -> Node:
    """Replace the node's taints with `taints` ({key, value, effect})."""
    cleaned = []
    for index, taint in enumerate(taints or []):
        if not isinstance(taint, dict) or not taint.get("key") or taint.get("effect") not in TAINT_EFFECTS:
            raise PortalError(
                _("Taint %(n)s needs a key and an effect (%(effects)s).")
                % {"n": index + 1, "effects": ", ".join(TAINT_EFFECTS)},
                field_errors={"taints": [_("Taint %(n)s is invalid.") % {"n": index + 1}]},
            )
        cleaned.append({"key": taint["key"], "value": taint.get("value") or "", "effect": taint["effect"]})
    # A JSON merge patch replaces lists whole, which is what "set" means here.
    return _patch(node, {"spec": {"taints": cleaned or None}})


def node_drain(*, node: Node, user, timeout_seconds: int = 300):
    """Cordon and evict the node's pods in a job (respecting PodDisruptionBudgets)."""
    return job_services.job_create(
        kind="node.drain",
        title=Message(gettext_noop("Drain node %(node)s"), node=node.name),
        params={"node": node.name, "timeout_seconds": int(timeout_seconds)},
        cluster=node.cluster,
        created_by=user,
    )
