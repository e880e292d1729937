"""The desired Kubernetes objects of a team namespace (its spec, rendered).

Everything here is a plain dict ready for server-side apply, labelled as
managed by the portal so the reconciler can list what it owns in one call per
kind. Nothing in this module talks to a cluster.

Two scopes: the objects inside one team namespace, and the cluster-wide ones
(the identity namespace with the members' ServiceAccounts, and the team
ClusterRoles). A member's ServiceAccount, the identity behind their team
kubeconfig, lives in the identity namespace, where no team role has any right:
in a team namespace, anyone who may create pods or Secrets there could take
its token, and a developer could act as the owner.
"""

import hashlib
import re

from django.conf import settings

from portal.labels import GRANT_LABEL, MANAGED_BY, MANAGED_SELECTOR, MANAGER, TEAM_LABEL, USER_LABEL  # noqa: F401  (callers say p.TEAM_LABEL)
from portal.roles import TeamRole
from portal.teams import Membership
from rbac import team_roles
from rbac.identity import team_role_group
from rbac.models import TeamNamespace
from rbac.namespace_names import OWNER_ANNOTATION

QUOTA_NAME = "portal-quota"
LIMITS_NAME = "portal-limits"
NETWORK_POLICY_NAME = "portal-isolation"
ROLE_BINDING_PREFIX = "portal-role-"
MEMBER_PREFIX = "portal-member-"


def _labels(tn: TeamNamespace, **extra) -> dict:
    return {MANAGED_BY: MANAGER, TEAM_LABEL: tn.team.slug, **extra}


def _dns_part(username: str) -> str:
    """A username as DNS-label characters (the name's hash keeps it unique)."""
    return re.sub(r"[^a-z0-9-]+", "-", username.lower()).strip("-") or "user"


def member_object_name(username: str) -> str:
    """A DNS label for a user's ServiceAccount and binding, stable and unique."""
    cleaned = _dns_part(username)
    digest = hashlib.sha256(username.encode()).hexdigest()[:8]
    return f"{MEMBER_PREFIX}{cleaned[:40]}-{digest}"


def _meta(tn: TeamNamespace, name: str, **labels) -> dict:
    return {"name": name, "namespace": tn.name, "labels": _labels(tn, **labels)}


def identity_namespace() -> str:
    return settings.PORTAL_IDENTITY_NAMESPACE


def identity_name(team_slug: str, username: str) -> str:
    """The ServiceAccount of a member of a team, in the identity namespace: a
    DNS label, stable and unique per (team, user)."""
    cleaned = _dns_part(username)
    digest = hashlib.sha256(f"{team_slug}\0{username}".encode()).hexdigest()[:8]
    return f"{team_slug[:24].strip('-')}--{cleaned[:28].strip('-') or 'user'}-{digest}"


def namespace_object(tn: TeamNamespace) -> dict:
    labels = {**{k: str(v) for k, v in (tn.labels or {}).items()}, **_labels(tn)}
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": tn.name, "labels": labels, "annotations": {OWNER_ANNOTATION: str(tn.uid)}},
    }


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
        for role, cluster_role in team_roles.ROLE_CLUSTERROLES.items()
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
    """Per member: a binding of their identity (a ServiceAccount in the
    identity namespace) to their role's ClusterRole in this namespace."""
    objects = []
    for membership in memberships:
        username = membership.user.get_username()
        name = member_object_name(username)
        objects.append(
            _role_binding(
                tn,
                name,
                team_roles.ROLE_CLUSTERROLES[membership.role],
                {
                    "kind": "ServiceAccount",
                    "name": identity_name(tn.team.slug, username),
                    "namespace": identity_namespace(),
                },
                **{USER_LABEL: name[len(MEMBER_PREFIX) :]},
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


# --- cluster-wide objects ---------------------------------------------------


def identity_namespace_object() -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": identity_namespace(), "labels": {MANAGED_BY: MANAGER}},
    }


def identity_objects(members_by_team: dict[str, list[Membership]]) -> list[dict]:
    """The ServiceAccounts of every member of every team (by slug) that has
    namespaces in the cluster. A membership that ends loses its
    ServiceAccount, which invalidates every token issued for it."""
    objects = []
    for slug, memberships in sorted(members_by_team.items()):
        for membership in memberships:
            username = membership.user.get_username()
            objects.append(
                {
                    "apiVersion": "v1",
                    "kind": "ServiceAccount",
                    "metadata": {
                        "name": identity_name(slug, username),
                        "namespace": identity_namespace(),
                        "labels": {
                            MANAGED_BY: MANAGER,
                            TEAM_LABEL: slug,
                            USER_LABEL: member_object_name(username)[len(MEMBER_PREFIX) :],
                        },
                    },
                    "automountServiceAccountToken": False,
                }
            )
    return objects


def team_role_objects(source_rules: dict[str, list[dict]]) -> list[dict]:
    """The team ClusterRoles whose built-in sources' rules are given (by source name)."""
    return [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": name, "labels": {MANAGED_BY: MANAGER}},
            "rules": team_roles.team_role_rules(source_rules[source], name),
        }
        for name, source in team_roles.SOURCES.items()
        if source in source_rules
    ]


def grant_object(grant, team_slugs: list[str]) -> dict:
    """The ClusterRoleBinding of a cluster grant (rbac/grants.py): its
    ClusterRole bound to each team's role groups and to its other subjects."""
    roles = [grant.team_role] if grant.team_role else [role.value for role in TeamRole]
    subjects = [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": team_role_group(slug, role)}
        for slug in sorted(team_slugs)
        for role in roles
    ]
    for subject in grant.subjects:
        if subject["kind"] == "ServiceAccount":
            subjects.append({"kind": "ServiceAccount", "name": subject["name"], "namespace": subject["namespace"]})
        else:
            subjects.append({"apiGroup": "rbac.authorization.k8s.io", "kind": subject["kind"], "name": subject["name"]})
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": grant.binding_name, "labels": {MANAGED_BY: MANAGER, GRANT_LABEL: grant.name}},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": grant.role},
        "subjects": subjects,
    }
