"""The level-triggered reconciler of team namespaces.

For one cluster it lists, by label, everything the portal manages (one call
per kind, however many namespaces), compares it with the desired objects of
every team namespace, applies only what differs (server-side apply, one field
manager), deletes managed objects that are no longer desired, and records
status: phase, observed quota, and what it repaired or could not do. The
number of API calls when nothing drifted does not grow with the number of
namespaces.

Rules that keep tenants apart:
- it writes inside a namespace only when that namespace carries the owner
  annotation of its TeamNamespace; a namespace it did not create is reported
  ("exists, not ours"), never adopted;
- one object's failure never stops the others, the deletions, or other
  namespaces: status lists each object that failed;
- a RoleBinding whose roleRef must change is replaced (Kubernetes refuses
  roleRef updates), so a demotion takes effect in the same run.
"""

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from clusters import kube
from clusters.models import Cluster
from portal import stored_text
from portal.audit import audit_record
from portal.models import AuditChannel
from portal.teams import Membership
from rbac import provisioning as p
from rbac import reconcile_grants, team_roles
from rbac.choices import RECONCILED_PHASES, NamespacePhase
from rbac.conditions import Reason
from rbac.conditions import stored as condition_text
from rbac.grants import ClusterGrant
from rbac.models import TeamNamespace
from rbac.namespace_names import is_owned_by

logger = logging.getLogger(__name__)

CONFLICT_RETRIES = 3

# kind -> (client attribute, list-for-all-namespaces method, delete method)
_LISTS = {
    "ResourceQuota": ("core", "list_resource_quota_for_all_namespaces", "delete_namespaced_resource_quota"),
    "LimitRange": ("core", "list_limit_range_for_all_namespaces", "delete_namespaced_limit_range"),
    "ServiceAccount": ("core", "list_service_account_for_all_namespaces", "delete_namespaced_service_account"),
    "RoleBinding": ("rbac", "list_role_binding_for_all_namespaces", "delete_namespaced_role_binding"),
    "NetworkPolicy": ("networking", "list_network_policy_for_all_namespaces", "delete_namespaced_network_policy"),
    "ClusterRole": ("rbac", "list_cluster_role", "delete_cluster_role"),
    "ClusterRoleBinding": ("rbac", "list_cluster_role_binding", "delete_cluster_role_binding"),
}
# Bindings whose roleRef changed are replaced: Kubernetes refuses roleRef updates.
BINDINGS = ("RoleBinding", "ClusterRoleBinding")
# Where failures of the cluster-wide objects are reported (every namespace's status lists them too).
CLUSTER_SCOPE = "(cluster)"


@dataclass
class ReconcileReport:
    namespaces: int = 0
    applied: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    # Object key ("Kind/namespace/name") -> why it could not be converged.
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


def _key(obj_kind: str, namespace: str | None, name: str) -> str:
    return f"{obj_kind}/{namespace or ''}/{name}"


def _object_key(obj: dict) -> str:
    return _key(obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"])


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
        getattr(getattr(client, group), delete_method)(*((name, namespace) if namespace else (name,)))
    except kube.KubeNotFound:
        pass


def _converge_object(client, obj: dict, actual: dict, repaired: dict, failures: dict) -> None:
    """Apply one desired object if the cluster's copy differs; a failure is recorded, not raised."""
    key = _object_key(obj)
    current = actual.get(key)
    if _covers(_owned_part(obj), current):
        return
    try:
        if obj["kind"] in BINDINGS and current is not None and not _covers(obj["roleRef"], current.get("roleRef")):
            # roleRef is immutable: a binding to another role is a new binding.
            _delete(client, key)
        _apply(client, obj)
        repaired["applied"].append(key)
    except kube.KubeError as exc:
        failures[key] = exc.text


def _delete_undesired(client, keys, repaired: dict, failures: dict) -> None:
    for key in keys:
        try:
            _delete(client, key)
            repaired["deleted"].append(key)
        except kube.KubeError as exc:
            failures[key] = exc.text


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
    """Converge every active team namespace of `cluster` (or those in `only`),
    and the cluster-wide objects they rely on."""
    report = ReconcileReport()
    active = list(
        TeamNamespace.objects.filter(cluster=cluster, phase__in=RECONCILED_PHASES).select_related("team", "plan")
    )
    targets = active if only is None else [tn for tn in active if tn.pk in set(only)]
    report.namespaces = len(targets)
    # A cluster whose last team namespace went still needs its identities removed.
    # (A deleted grant's binding is deleted by the service that deletes it.)
    grants = list(ClusterGrant.objects.filter(cluster=cluster).prefetch_related("teams"))
    if not active and not grants and not TeamNamespace.objects.filter(cluster=cluster).exists():
        return report
    members = _members_by_team(active)
    with kube.client_for(cluster) as client:
        namespaces, actual = _list_managed(client)
        repaired = {"applied": [], "deleted": []}
        cluster_failures: dict = {}  # key -> the API's words or a Reason
        _converge_cluster(client, active, members, namespaces, actual, repaired, cluster_failures)
        report.applied += repaired["applied"]
        report.deleted += repaired["deleted"]
        report.failed.update(_english(cluster_failures))
        if only is None:  # a namespace's reconcile-now leaves the cluster's grants alone
            _converge_grants(client, grants, actual, report, actor)
        keys_by_namespace: dict[str, list[str]] = {}
        for key in actual:
            keys_by_namespace.setdefault(key.split("/", 2)[1], []).append(key)
        for tn in targets:
            repaired, failures = _converge(
                client, tn, members.get(tn.team_id, []), namespaces, actual, keys_by_namespace.get(tn.name, [])
            )
            report.applied += repaired["applied"]
            report.deleted += repaired["deleted"]
            report.failed.update(_english(failures))
            _record_status(tn, repaired, {**cluster_failures, **failures}, _observed_quota(actual, tn.name), actor)
        report.api_calls = client.request_count
    return report


def _converge_grants(client, grants, actual, report: ReconcileReport, actor) -> None:
    """Each cluster grant's ClusterRoleBinding (rbac/grants.py), recorded on
    the grant; the bindings of grants that are gone, deleted."""
    desired_keys = set()
    for grant in grants:
        obj = p.grant_object(grant, [team.slug for team in grant.teams.all()])
        key = _object_key(obj)
        desired_keys.add(key)
        repaired, failures = {"applied": [], "deleted": []}, {}
        _converge_object(client, obj, actual, repaired, failures)
        report.applied += repaired["applied"]
        report.failed.update(_english(failures))
        reconcile_grants.record(
            grant, key, drifted=key in repaired["applied"], failure=failures.get(key, ""), actor=actor
        )
    repaired = {"applied": [], "deleted": []}
    _delete_undesired(client, reconcile_grants.orphans(actual, desired_keys), repaired, report.failed)
    report.deleted += repaired["deleted"]


def _converge_cluster(client, active, members, namespaces, actual, repaired, failures) -> None:
    """The identity namespace, the members' ServiceAccounts in it, and the team ClusterRoles."""
    desired = []
    identity_ns = p.identity_namespace_object()
    current = namespaces.get(p.identity_namespace()) or {}
    if not _covers(_namespace_part(identity_ns), _namespace_part(current)):
        try:
            _apply(client, identity_ns)
            repaired["applied"].append(_object_key(identity_ns))
        except kube.KubeError as exc:
            failures[_object_key(identity_ns)] = exc.text
    sources = {}
    for source in team_roles.SOURCES.values():
        try:
            rules = client.to_dict(client.rbac.read_cluster_role(source)).get("rules")
        except kube.KubeError as exc:
            failures[_key("ClusterRole", None, source)] = exc.text
            continue
        if rules:
            sources[source] = rules
        else:  # the aggregation controller has not filled it yet: keep the team role as it is
            failures[_key("ClusterRole", None, source)] = Reason("NoRulesYet", name=source)
    # A source that could not be read leaves its team role as it is.
    desired += p.team_role_objects(sources)
    teams = {tn.team_id: tn.team.slug for tn in active}
    desired += p.identity_objects({slug: members.get(team_id, []) for team_id, slug in teams.items()})
    for obj in desired:
        _converge_object(client, obj, actual, repaired, failures)
    # Members who left (or whose team left the cluster) lose their identity, and with it every token.
    desired_keys = {_object_key(obj) for obj in desired}
    prefix = f"ServiceAccount/{p.identity_namespace()}/"
    undesired = [key for key in actual if key.startswith(prefix) and key not in desired_keys]
    _delete_undesired(client, undesired, repaired, failures)


def _converge(client, tn, memberships, namespaces, actual, present: list[str]) -> tuple[dict, dict]:
    """Converge one team namespace; `present` are the keys of what the portal manages in it now."""
    repaired = {"applied": [], "deleted": []}
    failures: dict = {}  # key -> the API's words or a Reason
    ns_key = _key("Namespace", None, tn.name)
    desired = p.desired_objects(tn, memberships)
    namespace, inside = desired[0], desired[1:]
    current = namespaces.get(tn.name)
    try:
        if current is None:
            # Create, never apply: an apply would adopt a namespace someone else made meanwhile.
            client.core.create_namespace(namespace, field_manager=kube.FIELD_MANAGER)
            repaired["applied"].append(ns_key)
        elif not is_owned_by(current, tn.uid):
            failures[ns_key] = _not_ours(tn)
            return repaired, failures
        elif (current.get("status") or {}).get("phase") == "Terminating":
            failures[ns_key] = Reason("Terminating", name=tn.name)
            return repaired, failures
        elif not _covers(_namespace_part(namespace), _namespace_part(current)):
            _apply(client, namespace)
            repaired["applied"].append(ns_key)
    except kube.KubeConflict as exc:
        # AlreadyExists on create: the namespace is someone else's.
        failures[ns_key] = _not_ours(tn) if current is None else exc.text
        return repaired, failures
    except kube.KubeError as exc:
        failures[ns_key] = exc.text
        return repaired, failures
    for obj in inside:
        _converge_object(client, obj, actual, repaired, failures)
    desired_keys = {_object_key(obj) for obj in inside}
    stale = [k for k in present if k not in desired_keys]
    _delete_undesired(client, stale, repaired, failures)
    return repaired, failures


def _namespace_part(namespace: dict) -> dict:
    meta = namespace.get("metadata") or {}
    return {"labels": meta.get("labels") or {}, "annotations": meta.get("annotations") or {}}


def _not_ours(tn) -> Reason:
    return Reason("NotOwned", name=tn.name)


def _failure_message(failures: dict) -> Reason:
    first_key = next(iter(failures))
    more = len(failures) - 1
    if more:
        return Reason("ReconcileFailedMore", object=first_key, error=failures[first_key], more=more)
    return Reason("ReconcileFailed", object=first_key, error=failures[first_key])


def _english(failures: dict) -> dict[str, str]:
    """The report's failures as text: it goes to logs and task results."""
    return {key: stored_text.english(message) for key, message in failures.items()}


def _record_status(tn: TeamNamespace, repaired: dict, failures: dict, quota: dict, actor) -> None:
    now = timezone.now()
    changes = repaired["applied"] + [f"deleted {k}" for k in repaired["deleted"]]
    first_time = tn.phase == NamespacePhase.PROVISIONING
    error = _failure_message(failures) if failures else None
    # A reason code and its parameters; the page makes the sentence in its reader's language.
    outcome = error or Reason("Provisioned" if first_time else ("DriftRepaired" if changes else "InSync"))
    condition = {
        "type": "Reconciled",
        "status": "False" if error else "True",
        **condition_text(outcome),
        "changes": changes[:50],
        # Each object that could not be converged, and why: what is missing, exactly.
        "failed": [{"object": key, **condition_text(message)} for key, message in failures.items()],
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
        logger.warning("Reconciling %s/%s failed: %s", tn.cluster.slug, tn.name, condition["message"])
