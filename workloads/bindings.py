"""Whom a team may bind in its own namespaces.

Team owners and maintainers hold `kube-portal:team-admin` there, which lets
them create RoleBindings; the API server (they are impersonated) refuses a
binding to a role with more rights than they hold. What it does not refuse is
a binding to anyone at all: a maintainer could let another team's member, or a
ServiceAccount of another team's namespace, into theirs. The portal keeps a
team's bindings to the team: its role groups, its members and the
ServiceAccounts of its own namespaces. Platform admins bind whom they like.
"""

from django.utils.translation import gettext as _

from clusters.kube import IMPERSONATED_USER_PREFIX
from portal.roles import TeamRole
from portal.teams import Membership
from rbac.identity import team_role_group
from rbac.models import TeamNamespace
from workloads import places
from workloads.errors import document_field
from workloads.kinds import Kind

BINDING_KINDS = frozenset({"RoleBinding"})


def check_subjects(user, namespace, kind: Kind, obj: dict, *, document: int | None = None) -> dict[str, list[str]]:
    """Field errors for the subjects of a RoleBinding in a team namespace that
    are not the team's (empty when all are, or when the portal acts for a
    platform admin, or for other kinds)."""
    if kind.kind not in BINDING_KINDS or namespace.team is None or places.as_platform(user, namespace):
        return {}
    team = namespace.team
    groups = {team_role_group(team.slug, role) for role in TeamRole.values}
    users = {
        IMPERSONATED_USER_PREFIX + username
        for username in Membership.objects.filter(team=team).values_list("user__username", flat=True)
    }
    own_namespaces = set(
        TeamNamespace.objects.filter(team=team, cluster=namespace.cluster).values_list("name", flat=True)
    )
    errors = {}
    for index, subject in enumerate(obj.get("subjects") or []):
        if not isinstance(subject, dict):
            continue  # the API server names a malformed subject itself
        subject_kind, name = subject.get("kind"), subject.get("name", "")
        allowed = (
            (subject_kind == "Group" and name in groups)
            or (subject_kind == "User" and name in users)
            or (subject_kind == "ServiceAccount" and subject.get("namespace", namespace.name) in own_namespaces)
        )
        if not allowed:
            field = document_field(f"subjects[{index}]", document)
            errors.setdefault(field, []).append(
                _(
                    "A team binds only its own: its groups (portal:team:%(team)s:<role>), its members "
                    "(portal:<username>) and the ServiceAccounts of its namespaces; not %(kind)s %(name)s."
                )
                % {"team": team.slug, "kind": subject_kind or "?", "name": name}
            )
    return errors
