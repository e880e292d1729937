"""The level-triggered reconciler of team namespaces.

For one cluster it lists, by label, everything the portal manages (one call
per kind, however many namespaces), compares it with the desired objects of
every team namespace, applies only what differs (server-side apply, one field
manager), deletes managed objects that are no longer desired, and records
status: phase, observed quota, and what it repaired. The number of API calls
when nothing drifted does not grow with the number of namespaces.
"""

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from clusters import kube
from clusters.models import Cluster
from portal.audit import audit_record
from portal.models import AuditChannel
from rbac import provisioning as p
from rbac.choices import RECONCILED_PHASES, NamespacePhase
from rbac.models import Membership, TeamNamespace

logger = logging.getLogger(__name__)

CONFLICT_RETRIES = 3

# kind -> (client attribute, list-for-all-namespaces method, delete method)
_LISTS = {
    "ResourceQuota": ("core", "list_resource_quota_for_all_namespaces", "delete_namespaced_resource_quota"),
    "LimitRange": ("core", "list_limit_range_for_all_namespaces", "delete_namespaced_limit_range"),
    "ServiceAccount": ("core", "list_service_account_for_all_namespaces", "delete_namespaced_service_account"),
    "RoleBinding": ("rbac", "list_role_binding_for_all_namespaces", "delete_namespaced_role_binding"),
    "NetworkPolicy": ("networking", "list_network_policy_for_all_namespaces", "delete_namespaced_network_policy"),
}


@dataclass
class ReconcileReport:
    namespaces: int = 0
    applied: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    api_calls: int = 0

    @property
    def drifted(self) -> int:
        return len(self.applied) + len(self.deleted)


def _quantity(value) -> Decimal | str:
    try:
        return kube.parse_quantity(str(value))
    except (ValueError, ArithmeticError):
        return str(value)


def _covers(desired, actual) -> bool:
    """True when `actual` has every field `desired` sets, with equal values
    (quantities compared by value: "1000m" is "1"). Fields only `actual` has
    belong to other writers or to defaults and are none of our business."""
    if isinstance(desired, dict):
        if actual is None:
            return not desired
        return isinstance(actual, dict) and all(_covers(v, actual.get(k)) for k, v in desired.items())
    if isinstance(desired, list):
        return (
            isinstance(actual, list)
            and len(desired) == len(actual)
            and all(_covers(d, a) for d, a in zip(desired, actual, strict=True))
        )
    if desired == actual:
        return True
    return isinstance(desired, str) and actual is not None and _quantity(desired) == _quantity(actual)


def _owned_part(obj: dict) -> dict:
    """The fields of a desired object the reconciler compares."""
    return {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")} | {
        "metadata": {"labels": obj["metadata"].get("labels", {})}
    }


def _key(obj_kind: str, namespace: str, name: str) -> str:
    return f"{obj_kind}/{namespace}/{name}"


def _list_managed(client: kube.KubeClient) -> tuple[dict[str, dict], dict[str, dict]]:
    """Everything the portal manages in the cluster, keyed, as plain dicts."""
    actual: dict[str, dict] = {}
    namespaces: dict[str, dict] = {}
    for ns in client.list_paged(client.core.list_namespace, label_selector=p.MANAGED_SELECTOR):
        namespaces[ns.metadata.name] = client.to_dict(ns)
    for kind, (group, list_method, _delete) in _LISTS.items():
        api = getattr(client, group)
        for obj in client.list_paged(getattr(api, list_method), label_selector=p.MANAGED_SELECTOR):
            actual[_key(kind, obj.metadata.namespace, obj.metadata.name)] = client.to_dict(obj)
    return namespaces, actual


def _apply(client, obj: dict) -> None:
    for attempt in range(CONFLICT_RETRIES):
        try:
            kube.server_side_apply(client, obj)
            return
        except kube.KubeConflict:
            # Someone changed it between our read and write: apply again on the new state.
            if attempt == CONFLICT_RETRIES - 1:
                raise


def _delete(client, key: str) -> None:
    kind, namespace, name = key.split("/", 2)
    group, _list, delete_method = _LISTS[kind]
    try:
        getattr(getattr(client, group), delete_method)(name, namespace)
    except kube.KubeNotFound:
        pass


def _members_by_team(namespaces: list[TeamNamespace]) -> dict[int, list[Membership]]:
    members: dict[int, list[Membership]] = {}
    team_ids = {tn.team_id for tn in namespaces}
    for membership in Membership.objects.filter(team_id__in=team_ids).select_related("user").order_by("user__username"):
        members.setdefault(membership.team_id, []).append(membership)
    return members


def _observed_quota(actual: dict, namespace: str) -> dict:
    quota = actual.get(_key("ResourceQuota", namespace, p.QUOTA_NAME))
    if not quota:
        return {}
    status = quota.get("status") or {}
    return {"hard": status.get("hard") or {}, "used": status.get("used") or {}}


def reconcile_cluster(*, cluster: Cluster, only: list[int] | None = None, actor=None) -> ReconcileReport:
    """Converge every active team namespace of `cluster` (or those in `only`)."""
    report = ReconcileReport()
    queryset = TeamNamespace.objects.filter(cluster=cluster, phase__in=RECONCILED_PHASES).select_related("team", "plan")
    if only is not None:
        queryset = queryset.filter(pk__in=only)
    team_namespaces = list(queryset)
    report.namespaces = len(team_namespaces)
    if not team_namespaces:
        return report
    members = _members_by_team(team_namespaces)
    with kube.client_for(cluster) as client:
        namespaces, actual = _list_managed(client)
        for tn in team_namespaces:
            repaired, error = _converge(client, tn, members.get(tn.team_id, []), namespaces, actual)
            if error:
                report.failed[tn.name] = error
            report.applied += repaired["applied"]
            report.deleted += repaired["deleted"]
            _record_status(tn, repaired, error, _observed_quota(actual, tn.name), actor)
        report.api_calls = client.request_count
    return report


def _converge(client, tn, memberships, namespaces, actual) -> tuple[dict, str]:
    repaired = {"applied": [], "deleted": []}
    desired = p.desired_objects(tn, memberships)
    desired_keys = set()
    try:
        for obj in desired:
            name = obj["metadata"]["name"]
            if obj["kind"] == "Namespace":
                current = namespaces.get(name)
                if (
                    current is None
                    or current.get("status", {}).get("phase") == "Terminating"
                    or not _covers(obj["metadata"]["labels"], current["metadata"].get("labels"))
                ):
                    _apply(client, obj)
                    repaired["applied"].append(f"Namespace/{name}")
                continue
            key = _key(obj["kind"], tn.name, name)
            desired_keys.add(key)
            if not _covers(_owned_part(obj), actual.get(key)):
                _apply(client, obj)
                repaired["applied"].append(key)
        for key in [k for k in actual if k.split("/", 2)[1] == tn.name and k not in desired_keys]:
            _delete(client, key)
            repaired["deleted"].append(key)
    except kube.KubeError as exc:
        return repaired, exc.message
    return repaired, ""


def _record_status(tn: TeamNamespace, repaired: dict, error: str, quota: dict, actor) -> None:
    now = timezone.now()
    changes = repaired["applied"] + [f"deleted {k}" for k in repaired["deleted"]]
    first_time = tn.phase == NamespacePhase.PROVISIONING
    condition = {
        "type": "Reconciled",
        "status": "False" if error else "True",
        "message": error or ("Provisioned." if first_time else ("Repaired drift." if changes else "In sync.")),
        "changes": changes[:50],
        "at": now.isoformat(),
    }
    history = [c for c in tn.conditions or [] if c.get("type") == "DriftRepaired"][-9:]
    if changes and not first_time:
        history.append({"type": "DriftRepaired", "changes": changes[:50], "at": now.isoformat()})
    with transaction.atomic():
        TeamNamespace.objects.filter(pk=tn.pk).update(
            phase=NamespacePhase.FAILED if error else NamespacePhase.READY,
            conditions=[condition, *history],
            observed={**(tn.observed or {}), "quota": quota} if quota else tn.observed,
            last_reconciled=now,
        )
    if changes and not first_time:
        audit_record(
            actor=actor,
            channel=AuditChannel.SYSTEM,
            action="namespace.drift_repaired",
            team=tn.team,
            cluster=tn.cluster.slug,
            namespace=tn.name,
            kind="Namespace",
            name=tn.name,
            summary={"changes": changes[:20]},
        )
    if error:
        logger.warning("Reconciling %s/%s failed: %s", tn.cluster.slug, tn.name, error)
