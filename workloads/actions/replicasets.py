"""A Deployment's ReplicaSets: the ones it owns, their revisions, and what
`kubectl rollout history` and `kubectl rollout undo` read from them.

The Deployment controller numbers its ReplicaSets (annotation
deployment.kubernetes.io/revision) and copies the Deployment's own annotations,
the change cause among them, onto the ReplicaSet it makes; so the ReplicaSets
are the history, and nothing is kept in the portal.
"""

import copy

from clusters import kube
from workloads import columns, objects
from workloads.kinds import KINDS

REPLICASETS = KINDS["replicasets"]
REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
# The label the controller adds to tell its ReplicaSets' pods apart; a
# Deployment's template must not carry it (kubectl removes it on undo too).
POD_TEMPLATE_HASH = "pod-template-hash"
# Annotations the controller keeps for itself (kubectl's annotationsToSkip): a
# rollback leaves the Deployment's and does not copy the ReplicaSet's.
CONTROLLER_ANNOTATIONS = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        REVISION,
        "deployment.kubernetes.io/revision-history",
        "deployment.kubernetes.io/desired-replicas",
        "deployment.kubernetes.io/max-replicas",
        "deprecated.deployment.rollback.to",
    }
)
# A Deployment keeps 10 old ReplicaSets by default (revisionHistoryLimit); more
# than this many pages of objects matching its selector is not a history.
MAX_PAGES = 10


def owned_replicasets(client: kube.KubeClient, namespace: str, deployment: dict) -> list[dict]:
    """The ReplicaSets the Deployment controls: listed by its selector, kept
    when their controller reference names its uid (another Deployment with an
    overlapping selector owns the others)."""
    uid = columns.dig(deployment, "metadata", "uid", default="")
    selector = columns.selector_text(columns.dig(deployment, "spec", "selector", default={}))
    if not uid or not selector:  # an empty selector would match every ReplicaSet
        return []
    owned, token = [], ""
    for _page in range(MAX_PAGES):
        page = objects.list_page(
            client,
            REPLICASETS,
            namespace,
            limit=objects.LIST_LIMIT_MAX,
            continue_token=token,
            label_selector=selector,
        )
        owned.extend(rs for rs in page["items"] if _controlled_by(rs, uid))
        token = page["continue"]
        if not token:
            break
    return owned


def _controlled_by(obj: dict, uid: str) -> bool:
    references = columns.dig(obj, "metadata", "ownerReferences", default=[]) or []
    return any(ref.get("uid") == uid and ref.get("controller") for ref in references)


def revision_of(obj: dict) -> int:
    """The revision number of a ReplicaSet or a Deployment (0 when it has none yet)."""
    try:
        return int(columns.dig(obj, "metadata", "annotations", REVISION, default="0"))
    except ValueError:
        return 0


def history(deployment: dict, replicasets: list[dict]) -> list[dict]:
    """One row per revision, newest first; `current` marks the Deployment's own."""
    current = revision_of(deployment)
    rows = []
    for rs in replicasets:
        meta = rs.get("metadata") or {}
        containers = columns.dig(rs, "spec", "template", "spec", "containers", default=[]) or []
        rows.append(
            {
                "revision": revision_of(rs),
                "name": meta.get("name", ""),
                "change_cause": (meta.get("annotations") or {}).get(CHANGE_CAUSE, ""),
                "images": [container.get("image", "") for container in containers],
                "created": meta.get("creationTimestamp", ""),
                "age": columns.age(rs),
                "replicas": columns.dig(rs, "status", "replicas", default=0),
                "ready": columns.dig(rs, "status", "readyReplicas", default=0),
                "current": bool(current) and revision_of(rs) == current,
            }
        )
    return sorted(rows, key=lambda row: row["revision"], reverse=True)


def previous_revision(replicasets: list[dict]) -> int | None:
    """The revision before the latest one (what `kubectl rollout undo` goes back to), if any."""
    revisions = sorted({revision_of(rs) for rs in replicasets if revision_of(rs)}, reverse=True)
    return revisions[1] if len(revisions) > 1 else None


def with_revision(replicasets: list[dict], revision: int) -> dict | None:
    return next((rs for rs in replicasets if revision_of(rs) == revision), None)


def template_of(rs: dict) -> dict:
    """The ReplicaSet's pod template as a Deployment's: without the hash label."""
    template = copy.deepcopy(columns.dig(rs, "spec", "template", default={}))
    labels = (template.get("metadata") or {}).get("labels") or {}
    labels.pop(POD_TEMPLATE_HASH, None)
    return template


def same_template(rs: dict, deployment: dict) -> bool:
    """Whether the Deployment already runs this ReplicaSet's template (kubectl's equalIgnoreHash)."""
    return template_of(rs) == columns.dig(deployment, "spec", "template", default={})


def rollback_annotations(deployment: dict, rs: dict) -> dict:
    """The Deployment's annotations after a rollback to `rs`: the controller's
    own stay, the rest (the change cause among them) come from the revision."""
    own = columns.dig(deployment, "metadata", "annotations", default={}) or {}
    theirs = columns.dig(rs, "metadata", "annotations", default={}) or {}
    kept = {key: value for key, value in own.items() if key in CONTROLLER_ANNOTATIONS}
    return kept | {key: value for key, value in theirs.items() if key not in CONTROLLER_ANNOTATIONS}
