"""Who can do what: the API server's own answer, not the portal's reading of
RBAC objects (aggregated ClusterRoles, bindings to groups and webhooks all
count there, and only there).

A subject is a portal user (as the portal impersonates them: their name and
team-role groups), a Kubernetes user, a group, a ServiceAccount or a portal
team (its four role groups). Two questions:

- what may they do in a namespace: a SelfSubjectRulesReview made while
  impersonating them (the API server lists the rules it would apply);
- may they do verb V on resource R (name N) in namespace N: a
  SubjectAccessReview, with the API server's reason.

Who may ask: platform admins about anyone anywhere; a team's owners and
maintainers about their team's subjects in their team's namespaces (they
already see those RoleBindings). Others are refused before the cluster is.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from clusters import kube
from portal.errors import PortalError
from portal.roles import TeamRole
from portal.teams import Team
from rbac.identity import team_role_group, user_groups
from rbac.models import TeamNamespace

# Whom a group-only subject (a group, a team) is impersonated as: a user no
# binding names, so the rules listed are the groups' (and everyone's).
PROBE_USER = "portal:who-can-probe"
SUBJECT_KINDS = ("portal-user", "user", "group", "serviceaccount", "team")
TEAM_ADMIN_ROLES = frozenset({TeamRole.OWNER, TeamRole.MAINTAINER})
SA_PREFIX = "system:serviceaccount:"


class ReviewRefused(PortalError):
    status_code = 403
    error_type = "forbidden"


class ReviewInvalid(PortalError):
    status_code = 400
    error_type = "invalid"


@dataclass(frozen=True)
class Subject:
    """Whom the API server is asked about: a user name and groups."""

    kind: str  # one of SUBJECT_KINDS
    label: str  # as people read it
    user: str
    groups: tuple[str, ...]


def subject_for(kind: str, name: str, *, namespace: str = "") -> Subject:
    """The subject a request names; 400 naming the field when it names nothing."""
    if kind not in SUBJECT_KINDS:
        raise ReviewInvalid(
            _("Unknown subject kind."),
            field_errors={"subject_kind": [_("One of: %(kinds)s.") % {"kinds": ", ".join(SUBJECT_KINDS)}]},
        )
    name = (name or "").strip()
    if not name:
        raise ReviewInvalid(_("Name the subject."), field_errors={"subject": [_("Name the subject.")]})
    if kind == "portal-user":
        user = get_user_model().objects.filter(username=name).first()
        if user is None:
            raise ReviewInvalid(_("No such portal user."), field_errors={"subject": [_("No such portal user.")]})
        identity = kube.Identity.for_username(user.get_username(), user_groups(user))
        return Subject(kind, name, identity.user, identity.groups)
    if kind == "team":
        team = Team.objects.filter(slug=name).first()
        if team is None:
            raise ReviewInvalid(_("No such team."), field_errors={"subject": [_("No such team.")]})
        return Subject(kind, team.slug, PROBE_USER, team_groups(team))
    if kind == "group":
        return Subject(kind, name, PROBE_USER, (name,))
    if kind == "serviceaccount":
        sa_namespace = (namespace or "").strip()
        if ":" in name:  # given whole: system:serviceaccount:<namespace>:<name>
            sa_namespace, _sep, name = name.removeprefix(SA_PREFIX).partition(":")
        if not sa_namespace or not name:
            message = _("A ServiceAccount is named with its namespace.")
            raise ReviewInvalid(message, field_errors={"subject": [message]})
        groups = ("system:serviceaccounts", f"system:serviceaccounts:{sa_namespace}")
        return Subject(kind, f"{sa_namespace}/{name}", f"{SA_PREFIX}{sa_namespace}:{name}", groups)
    return Subject(kind, name, name, ())


def team_groups(team: Team) -> tuple[str, ...]:
    return tuple(team_role_group(team.slug, role) for role in TeamRole.values)


def require_asker(asker, subject: Subject, namespace: TeamNamespace | None) -> None:
    """Platform admins ask anything; a team's owners and maintainers ask about
    their own team's subjects in their team's namespaces; nobody else asks."""
    if asker.is_staff:
        return
    team = namespace.team if namespace is not None else None
    if team is None or team.role_of(asker) not in TEAM_ADMIN_ROLES:
        raise ReviewRefused(_("Only platform admins, and a team's owners and maintainers in its namespaces, ask this."))
    if not _belongs_to(subject, team, namespace.cluster_id):
        raise ReviewRefused(_("A team's owners and maintainers ask only about their own team's members and groups."))


def _belongs_to(subject: Subject, team: Team, cluster_id) -> bool:
    if subject.kind == "team":
        return subject.label == team.slug
    if subject.kind == "group":
        return subject.groups[0] in team_groups(team)
    if subject.kind == "serviceaccount":
        sa_namespace = subject.label.partition("/")[0]
        return TeamNamespace.objects.filter(team=team, cluster_id=cluster_id, name=sa_namespace).exists()
    username = subject.user.removeprefix(kube.IMPERSONATED_USER_PREFIX)
    return (
        subject.user.startswith(kube.IMPERSONATED_USER_PREFIX)
        and team.memberships.filter(user__username=username).exists()
    )


def rules(cluster, subject: Subject, namespace: str) -> dict:
    """What the API server lets `subject` do in `namespace`: its rules, and
    whether the list is complete (a webhook authorizer cannot list its rules)."""
    body = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectRulesReview",
        "spec": {"namespace": namespace},
    }
    identity = kube.Identity(subject.user, subject.groups)
    with kube.client_for(cluster, identity=identity) as impersonated:
        answer = impersonated.request_json("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", body=body)
    status = answer[1].get("status") or {}
    return {
        "resource_rules": [_resource_rule(rule) for rule in status.get("resourceRules") or []],
        "non_resource_rules": [
            {key: rule.get(key) or [] for key in ("verbs", "nonResourceURLs")}
            for rule in status.get("nonResourceRules") or []
        ],
        "incomplete": bool(status.get("incomplete")),
        "evaluation_error": status.get("evaluationError", ""),
    }


def _resource_rule(rule: dict) -> dict:
    return {key: rule.get(key) or [] for key in ("verbs", "apiGroups", "resources", "resourceNames")}


def can(cluster, subject: Subject, namespace: str, *, verb, resource, group="", subresource="", name="") -> dict:
    """Whether `subject` may `verb` the `resource` in `namespace` (all
    namespaces for ""), and the API server's reason."""
    attributes = {"namespace": namespace, "verb": verb, "group": group, "resource": resource}
    attributes.update({k: v for k, v in (("subresource", subresource), ("name", name)) if v})
    body = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {"user": subject.user, "groups": list(subject.groups), "resourceAttributes": attributes},
    }
    with kube.client_for(cluster) as client:
        answer = client.request_json("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", body=body)
    status = answer[1].get("status") or {}
    return {
        "allowed": bool(status.get("allowed")),
        "denied": bool(status.get("denied")),
        "reason": status.get("reason", ""),
        "evaluation_error": status.get("evaluationError", ""),
    }
