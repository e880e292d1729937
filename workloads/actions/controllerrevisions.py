"""Reading what a StatefulSet or DaemonSet owns: its ControllerRevisions, its
pods, its PersistentVolumeClaims, and the nodes a DaemonSet runs on; the
`pods` and `claims` reads (registered with the others in workloads/actions/revisions.py).

Owned objects are listed in the namespace with the owner's own selector as the
labelSelector (so the API server filters, and the answer stays small), then
kept only if an ownerReference names the owner's uid: another workload whose
labels happen to match is not counted as this one's (kubectl does the same).
None of these kinds is in the registry (workloads/kinds.py), so their paths are
spelled here.
"""

from django.utils.translation import gettext as _

from clusters import kube
from workloads import columns as c
from workloads import objects
from workloads.actions.base import Call
from workloads.errors import mapped

REVISIONS_PATH = "/apis/apps/v1/namespaces/{namespace}/controllerrevisions"
PODS_PATH = "/api/v1/namespaces/{namespace}/pods"
CLAIMS_PATH = "/api/v1/namespaces/{namespace}/persistentvolumeclaims"
NODES_PATH = "/api/v1/nodes"
# The label both controllers put on their pods and revisions.
HASH_LABEL = "controller-revision-hash"
# Enough for a workload's own objects; a DaemonSet has one pod per node.
OWNED_LIMIT = 500


def _selected(client: kube.KubeClient, path: str, owner: dict, *, what: str) -> list[dict]:
    """The objects at `path` carrying the owner's selector's labels."""
    query = [("limit", str(OWNED_LIMIT))]
    selector = c.selector_text(c.dig(owner, "spec", "selector", default={}))
    if selector:
        query.append(("labelSelector", selector))
    with mapped(name=what):
        return client.request_json("GET", path, query=query)[1].get("items") or []


def _owned(client: kube.KubeClient, path: str, owner: dict, *, what: str) -> list[dict]:
    uid = c.dig(owner, "metadata", "uid", default="")
    return [
        item
        for item in _selected(client, path, owner, what=what)
        if any(ref.get("uid") == uid for ref in c.dig(item, "metadata", "ownerReferences", default=[]))
    ]


def owned_revisions(client: kube.KubeClient, namespace: str, owner: dict) -> list[dict]:
    """The owner's ControllerRevisions, newest (highest revision) first."""
    items = _owned(client, REVISIONS_PATH.format(namespace=namespace), owner, what=_("its revisions"))
    return sorted(items, key=lambda rev: rev.get("revision") or 0, reverse=True)


def owned_pods(client: kube.KubeClient, namespace: str, owner: dict) -> list[dict]:
    pods = _owned(client, PODS_PATH.format(namespace=namespace), owner, what=_("its pods"))
    return sorted(pods, key=lambda pod: _ordinal_key(c.dig(pod, "metadata", "name", default="")))


def _ordinal_key(name: str):
    # StatefulSet pods sort by ordinal (web-2 before web-10), others by name.
    stem, _dash, tail = name.rpartition("-")
    return (stem, int(tail), "") if tail.isdigit() else (name, -1, name)


def selected_claims(client: kube.KubeClient, namespace: str, owner: dict) -> list[dict]:
    """The PersistentVolumeClaims carrying the owner's selector's labels (a
    StatefulSet's controller labels its claims so; they are not owned by it
    unless its retention policy says so, hence no owner check)."""
    return _selected(client, CLAIMS_PATH.format(namespace=namespace), owner, what=_("its claims"))


def visible_nodes(client: kube.KubeClient) -> list[dict] | None:
    """The cluster's nodes, or None when the asker may not list them (team
    members' roles are namespaced: nodes are cluster-scoped)."""
    try:
        return client.request_json("GET", NODES_PATH, query=[("limit", str(OWNED_LIMIT))])[1].get("items") or []
    except kube.KubeForbidden:
        return None


def revision_images(revision: dict) -> list[str]:
    """The images of a revision's pod template (its `data` is a patch of spec.template)."""
    containers = c.dig(revision, "data", "spec", "template", "spec", "containers", default=[]) or []
    return [container.get("image", "") for container in containers]


def revision_hash(revision: dict) -> str:
    return c.dig(revision, "metadata", "labels", HASH_LABEL, default="") or ""


def pod_hash(pod: dict) -> str:
    return c.dig(pod, "metadata", "labels", HASH_LABEL, default="") or ""


# --- pods (per node for a DaemonSet) -------------------------------------------------------


def _pod_row(pod: dict) -> dict:
    return {
        "name": c.dig(pod, "metadata", "name", default=""),
        "node": c.dig(pod, "spec", "nodeName", default=""),
        "phase": c.dig(pod, "status", "phase", default=""),
        "ready": c.pod_ready(pod),
        "revision": pod_hash(pod),
        "deleting": bool(c.dig(pod, "metadata", "deletionTimestamp")),
    }


def _node_row(name: str, pods: list[dict], node: dict | None = None) -> dict:
    taints = c.dig(node or {}, "spec", "taints", default=[]) or []
    return {
        "node": name,
        "pods": pods,
        # Why a node may have no pod: taints the DaemonSet does not tolerate, or cordoned.
        "taints": [
            f"{t.get('key', '')}:{t.get('effect', '')}" for t in taints if t.get("effect") != "PreferNoSchedule"
        ],
        "unschedulable": bool(c.dig(node or {}, "spec", "unschedulable", default=False)),
    }


def per_node(pods: list[dict], nodes: list[dict] | None) -> list[dict]:
    """One row per node: every visible node (with its pods or none), then the
    nodes known only from the pods (all of them when nodes are not visible)."""
    by_node: dict[str, list[dict]] = {}
    for pod in pods:
        by_node.setdefault(pod["node"], []).append(pod)
    rows = [_node_row(c.dig(node, "metadata", "name", default=""), [], node) for node in nodes or []]
    for row in rows:
        row["pods"] = by_node.pop(row["node"], [])
    rows += [_node_row(name, found) for name, found in sorted(by_node.items())]
    return rows


def pods_read(call: Call) -> dict:
    """The `pods` read: the object's pods; a DaemonSet's also one row per node."""
    obj = objects.get_object(call.client, call.kind, call.namespace, call.name)
    pods = [_pod_row(pod) for pod in owned_pods(call.client, call.namespace, obj)]
    answer = {"kind": call.kind.kind, "name": call.name, "pods": pods}
    if call.kind.kind == "DaemonSet":
        nodes = visible_nodes(call.client)
        answer["per_node"] = True
        answer["nodes_visible"] = nodes is not None
        answer["nodes"] = per_node(pods, nodes)
        answer["with_pod"] = sum(1 for row in answer["nodes"] if row["pods"])
    return answer


# --- claims (a StatefulSet's volumeClaimTemplates) -------------------------------------------


def _claim_row(name: str, template: str, ordinal: int, claim: dict | None, in_use: bool) -> dict:
    claim = claim or {}
    return {
        "name": name,
        "template": template,
        "ordinal": ordinal,
        "exists": bool(claim),
        "in_use": in_use,  # an ordinal below the replicas: a pod of the set mounts it
        "phase": c.dig(claim, "status", "phase", default=""),
        "capacity": c.dig(claim, "status", "capacity", "storage", default=""),
        "requested": c.dig(claim, "spec", "resources", "requests", "storage", default=""),
        "storage_class": c.dig(claim, "spec", "storageClassName", default=""),
        "volume": c.dig(claim, "spec", "volumeName", default=""),
    }


def claims_read(call: Call) -> dict:
    """The `claims` read of a StatefulSet. Claims are named <template>-<statefulset>-<ordinal>; those of ordinals
    at or above the replicas stay after a scale down (unless the retention
    policy deletes them), so they are listed too."""
    obj = objects.get_object(call.client, call.kind, call.namespace, call.name)
    templates = [
        c.dig(t, "metadata", "name", default="") for t in c.dig(obj, "spec", "volumeClaimTemplates", default=[]) or []
    ]
    found = {c.dig(claim, "metadata", "name"): claim for claim in selected_claims(call.client, call.namespace, obj)}
    start = c.dig(obj, "spec", "ordinals", "start", default=0)
    wanted = range(start, start + c.dig(obj, "spec", "replicas", default=1))
    rows = []
    for template in templates:
        prefix = f"{template}-{call.name}-"
        left = {int(n[len(prefix) :]) for n in found if n.startswith(prefix) and n[len(prefix) :].isdigit()}
        for ordinal in sorted(set(wanted) | left):
            name = f"{prefix}{ordinal}"
            rows.append(_claim_row(name, template, ordinal, found.get(name), ordinal in wanted))
    return {"kind": call.kind.kind, "name": call.name, "templates": templates, "claims": rows}
