"""The desired Kubernetes objects of a team namespace (its spec, rendered).

Everything here is a plain dict ready for server-side apply, labelled as
managed by the portal so the reconciler can list what it owns in one call per
kind. Nothing in this module talks to a cluster.
"""

import hashlib
import re

from rbac.identity import ROLE_CLUSTERROLES, team_role_group
from rbac.models import Membership, TeamNamespace

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "kube-portal"
TEAM_LABEL = "portal.kube/team"
USER_LABEL = "portal.kube/user"
MANAGED_SELECTOR = f"{MANAGED_BY}={MANAGER}"

QUOTA_NAME = "portal-quota"
LIMITS_NAME = "portal-limits"
NETWORK_POLICY_NAME = "portal-isolation"
ROLE_BINDING_PREFIX = "portal-role-"
MEMBER_PREFIX = "portal-member-"


def _labels(tn: TeamNamespace, **extra) -> dict:
    return {MANAGED_BY: MANAGER, TEAM_LABEL: tn.team.slug, **extra}


def member_object_name(username: str) -> str:
    """A DNS label for a user's ServiceAccount and binding, stable and unique."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", username.lower()).strip("-") or "user"
    digest = hashlib.sha256(username.encode()).hexdigest()[:8]
    return f"{MEMBER_PREFIX}{cleaned[:40]}-{digest}"


def _meta(tn: TeamNamespace, name: str, **labels) -> dict:
    return {"name": name, "namespace": tn.name, "labels": _labels(tn, **labels)}


def namespace_object(tn: TeamNamespace) -> dict:
    labels = {**{k: str(v) for k, v in (tn.labels or {}).items()}, **_labels(tn)}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": tn.name, "labels": labels}}


def quota_object(tn: TeamNamespace) -> dict | None:
    hard = tn.plan.resource_quota_hard()
    if not hard:
        return None
    return {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": _meta(tn, QUOTA_NAME), "spec": {"hard": hard}}


def limit_range_object(tn: TeamNamespace) -> dict | None:
    item = tn.plan.limit_range_container()
    if len(item) == 1:  # only "type": the plan sets no container limits
        return None
    return {"apiVersion": "v1", "kind": "LimitRange", "metadata": _meta(tn, LIMITS_NAME), "spec": {"limits": [item]}}


def _role_binding(tn, name, cluster_role, subject, **labels) -> dict:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": _meta(tn, name, **labels),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": cluster_role},
        "subjects": [subject],
    }


def role_binding_objects(tn: TeamNamespace) -> list[dict]:
    """One binding per portal role: the team-role group gets its ClusterRole."""
    return [
        _role_binding(
            tn,
            f"{ROLE_BINDING_PREFIX}{role}",
            cluster_role,
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": team_role_group(tn.team.slug, role)},
        )
        for role, cluster_role in ROLE_CLUSTERROLES.items()
    ]


def network_policy_object(tn: TeamNamespace) -> dict | None:
    """Ingress only from the namespace itself, the team's other namespaces and
    the namespaces named in the spec; other teams are shut out."""
    if not tn.network_isolated:
        return None
    sources = [
        {"podSelector": {}},
        {"namespaceSelector": {"matchLabels": {TEAM_LABEL: tn.team.slug}}},
    ]
    for name in sorted(set(tn.ingress_from_namespaces or [])):
        sources.append({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}})
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(tn, NETWORK_POLICY_NAME),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": sources}]},
    }


def member_objects(tn: TeamNamespace, memberships: list[Membership]) -> list[dict]:
    """Per member: a ServiceAccount for their team kubeconfig, bound to their
    role's ClusterRole. When the membership ends, the reconciler deletes the
    ServiceAccount, which invalidates every token issued for it."""
    objects = []
    for membership in memberships:
        name = member_object_name(membership.user.get_username())
        user_label = {USER_LABEL: name[len(MEMBER_PREFIX) :]}
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": _meta(tn, name, **user_label),
            }
        )
        objects.append(
            _role_binding(
                tn,
                name,
                ROLE_CLUSTERROLES[membership.role],
                {"kind": "ServiceAccount", "name": name, "namespace": tn.name},
                **user_label,
            )
        )
    return objects


def desired_objects(tn: TeamNamespace, memberships: list[Membership]) -> list[dict]:
    """Everything the portal owns in one team namespace, Namespace first."""
    objects = [namespace_object(tn)]
    for obj in (quota_object(tn), limit_range_object(tn), network_policy_object(tn)):
        if obj is not None:
            objects.append(obj)
    objects += role_binding_objects(tn)
    objects += member_objects(tn, memberships)
    return objects
