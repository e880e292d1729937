"""Writes for teams, memberships, quota plans, team namespaces and API tokens."""

import re
import unicodedata
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clusters.models import Cluster
from portal.errors import ConflictError, PortalError
from portal.roles import TeamRole
from portal.teams import Membership, Team
from rbac.choices import RECONCILED_PHASES, ApiTokenAccess, NamespacePhase
from rbac.models import ApiToken, QuotaPlan, TeamNamespace, token_teams_choosable
from rbac.namespace_names import namespace_name_check
from rbac.tenancy import clusters_reconcile_soon, namespaces_reconcile_soon


def _save(obj):
    obj.full_clean()
    obj.save()
    return obj


def slug_from_name(name: str, max_length: int = 50) -> str:
    """The slug a name gives: ASCII letters and digits joined by '-' (as
    static/portal/slug.js fills it in the browser); empty for a name with none."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:max_length].rstrip("-")


def _slug_or_from_name(slug: str, name: str) -> str:
    """A blank slug is made from the name; one the name cannot give is asked for on the slug field."""
    slug = (slug or "").strip() or slug_from_name(name or "")
    if not slug:
        message = _("The name has no letters or digits to make a slug from: enter a slug.")
        raise PortalError(message, field_errors={"slug": [message]})
    return slug


@transaction.atomic
def team_create(
    *, name: str, slug: str = "", description: str = "", allowed_clusters=(), allowed_plans=(), **policy
) -> Team:
    """A new team; a blank slug is made from the name (a clash is the slug field's error)."""
    slug = _slug_or_from_name(slug, name)
    team = _save(Team(name=name, slug=slug, description=description, **policy))
    team.allowed_clusters.set(allowed_clusters)
    team.allowed_plans.set(allowed_plans)
    return team


# What only platform admins change on a team: its namespace policy, and its
# slug, which names the team's groups and labels in every cluster.
TEAM_POLICY_FIELDS = ("max_namespaces", "allowed_clusters", "allowed_plans", "auto_approve_namespaces")


def _team_changes_refused(team: Team, changes: dict) -> dict[str, list[str]]:
    refused = {}
    if "slug" in changes and changes["slug"] != team.slug:
        refused["slug"] = [_("Only platform admins can rename a team's slug: it names the team in every cluster.")]
    for field in TEAM_POLICY_FIELDS:
        if field not in changes or changes[field] is None:
            continue
        if field in ("allowed_clusters", "allowed_plans"):
            unchanged = {o.pk for o in changes[field]} == set(getattr(team, field).values_list("pk", flat=True))
        else:
            unchanged = getattr(team, field) == changes[field]
        if not unchanged:
            refused[field] = [_("Only platform admins can change a team's namespace policy.")]
    return refused


@transaction.atomic
def team_update(*, team: Team, by, allowed_clusters=None, allowed_plans=None, **changes) -> Team:
    """Change a team. `by` is who asks: team owners change the name and
    description; the slug and the namespace policy are the platform admins'."""
    if not by.is_staff:
        refused = _team_changes_refused(
            team, {**changes, "allowed_clusters": allowed_clusters, "allowed_plans": allowed_plans}
        )
        if refused:
            raise PortalError(next(iter(refused.values()))[0], field_errors=refused)
    renamed = "slug" in changes and changes["slug"] != team.slug
    for field, value in changes.items():
        setattr(team, field, value)
    _save(team)
    if allowed_clusters is not None:
        team.allowed_clusters.set(allowed_clusters)
    if allowed_plans is not None:
        team.allowed_plans.set(allowed_plans)
    if renamed:
        # The slug names the team's groups and labels in every cluster.
        _reconcile_team_soon(team)
    return team


def team_delete(*, team: Team) -> None:
    if team.namespaces.exclude(phase__in=[NamespacePhase.DELETED, NamespacePhase.REJECTED]).exists():
        raise ConflictError(_("Delete the team's namespaces first."))
    team.namespaces.all().delete()
    team.delete()


def _reconcile_team_soon(team: Team) -> None:
    """A member's ServiceAccount and bindings live in every namespace of the
    team: converge those clusters after this change commits."""
    clusters_reconcile_soon(namespaces=team.namespaces.all())


def _owners_left(team: Team, without: Membership) -> int:
    return team.memberships.filter(role=TeamRole.OWNER).exclude(pk=without.pk).count()


@transaction.atomic
def membership_create(*, team: Team, user, role: str) -> Membership:
    if Membership.objects.filter(team=team, user=user).exists():
        raise PortalError(
            _("%(user)s is already a member of %(team)s.") % {"user": user, "team": team},
            field_errors={"user": [_("Already a member of this team.")]},
        )
    membership = _save(Membership(team=team, user=user, role=role))
    _reconcile_team_soon(team)
    return membership


@transaction.atomic
def membership_update(*, membership: Membership, role: str) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == TeamRole.OWNER and role != TeamRole.OWNER and not _owners_left(membership.team, membership):
        raise ConflictError(_("A team keeps at least one owner: make someone else owner first."))
    membership.role = role
    membership = _save(membership)
    _reconcile_team_soon(membership.team)
    return membership


@transaction.atomic
def membership_delete(*, membership: Membership) -> None:
    if membership.role == TeamRole.OWNER and not _owners_left(membership.team, membership):
        raise ConflictError(_("A team keeps at least one owner: make someone else owner first."))
    membership.delete()
    # Revokes the member's team kubeconfig: their ServiceAccounts are deleted.
    _reconcile_team_soon(membership.team)


@transaction.atomic
def quota_plan_create(*, name: str, slug: str = "", **fields) -> QuotaPlan:
    """A new quota plan; a blank slug is made from the name."""
    return _save(QuotaPlan(name=name, slug=_slug_or_from_name(slug, name), **fields))


@transaction.atomic
def quota_plan_update(*, plan: QuotaPlan, **changes) -> QuotaPlan:
    for field, value in changes.items():
        setattr(plan, field, value)
    plan = _save(plan)
    # Every namespace on the plan gets the new quota and limits.
    clusters_reconcile_soon(namespaces=plan.namespaces.all())
    return plan


def quota_plan_delete(*, plan: QuotaPlan) -> None:
    if plan.namespaces.exists():
        raise ConflictError(_("Namespaces still use this plan."))
    plan.delete()


# Kubernetes' label syntax (k8s.io/apimachinery validation.IsQualifiedName / IsValidLabelValue).
_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# Keys the portal sets itself (team ownership feeds network policies and RBAC).
PORTAL_LABEL_PREFIXES = ("portal.kube",)
PORTAL_LABEL_KEYS = ("app.kubernetes.io/managed-by",)
# Keys that change how Kubernetes treats the namespace (Pod Security admission,
# for one): only platform admins may set them. The recommended app labels are fine.
RESERVED_LABEL_DOMAINS = ("kubernetes.io", "k8s.io")
OPEN_LABEL_PREFIXES = ("app.kubernetes.io",)


def _label_key_error(key) -> str | None:
    if not isinstance(key, str) or not key:
        return _("A label key may not be empty.")
    prefix, _slash, name = key.rpartition("/")
    if len(name) > 63 or not _LABEL_NAME.match(name):
        return _(
            "%(key)s: the name part must be at most 63 letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit."
        ) % {"key": key}
    if _slash and (len(prefix) > 253 or not _LABEL_PREFIX.match(prefix)):
        return _("%(key)s: the prefix must be a DNS subdomain (e.g. example.com).") % {"key": key}
    return None


def _reserved(key: str) -> bool:
    prefix = key.rpartition("/")[0]
    if prefix in OPEN_LABEL_PREFIXES and key not in PORTAL_LABEL_KEYS:
        return False
    return any(prefix == d or prefix.endswith("." + d) for d in RESERVED_LABEL_DOMAINS)


def namespace_labels_check(labels, *, may_set_reserved: bool = False) -> dict:
    """Extra labels for a team namespace, checked as Kubernetes would check them,
    minus the keys the portal owns (and, unless allowed, keys that change how
    Kubernetes treats the namespace). Raises PortalError on the `labels` field."""
    if labels is None:
        return {}
    if not isinstance(labels, dict):
        raise PortalError(
            _("Labels must be a mapping of keys to values."), field_errors={"labels": [_("Expected a mapping.")]}
        )
    errors = []
    for key, value in labels.items():
        problem = _label_key_error(key)
        if problem is None and (key in PORTAL_LABEL_KEYS or key.rpartition("/")[0] in PORTAL_LABEL_PREFIXES):
            problem = _("%(key)s is set by the portal itself.") % {"key": key}
        if problem is None and not may_set_reserved and _reserved(key):
            problem = _("%(key)s is reserved for Kubernetes; ask a platform admin.") % {"key": key}
        if problem is None and (
            not isinstance(value, str) or len(value) > 63 or (value and not _LABEL_NAME.match(value))
        ):
            problem = _(
                "%(key)s: a value must be at most 63 letters, digits, '-', '_' or '.', "
                "starting and ending with a letter or digit."
            ) % {"key": key}
        if problem:
            errors.append(problem)
    if errors:
        raise PortalError(errors[0], field_errors={"labels": errors})
    return dict(labels)


def team_may_use_cluster(team: Team, cluster: Cluster) -> bool:
    return Cluster.objects.usable_by_teams(Team.objects.filter(pk=team.pk)).filter(pk=cluster.pk).exists()


@transaction.atomic
def team_namespace_request(
    *,
    team: Team,
    cluster: Cluster,
    name: str,
    plan: QuotaPlan,
    requested_by=None,
    labels=None,
    network_isolated: bool = True,
) -> TeamNamespace:
    """Record a namespace request, checked against the team's policy and the
    names a team may take (every entry point comes through here)."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    placed_by_admin = requested_by is not None and requested_by.is_authenticated and requested_by.is_staff
    if not placed_by_admin and not team_may_use_cluster(team, cluster):
        raise PortalError(
            _("Team %(team)s may not use cluster %(cluster)s.") % {"team": team, "cluster": cluster},
            field_errors={"cluster": [_("This team may not request namespaces on this cluster.")]},
        )
    plans = team.allowed_plans.all()
    if plans.exists() and not plans.filter(pk=plan.pk).exists():
        raise PortalError(
            _("Team %(team)s may not use quota plan %(plan)s.") % {"team": team, "plan": plan},
            field_errors={"plan": [_("Choose one of: %(plans)s") % {"plans": ", ".join(p.name for p in plans)}]},
        )
    in_use = team.namespaces.exclude(phase__in=[NamespacePhase.DELETED, NamespacePhase.REJECTED]).count()
    if in_use >= team.max_namespaces:
        raise PortalError(
            _("Team %(team)s already has %(count)s of its %(max)s namespaces.")
            % {"team": team, "count": in_use, "max": team.max_namespaces},
            field_errors={"name": [_("The team's namespace limit is reached.")]},
        )
    if TeamNamespace.objects.filter(cluster=cluster, name=name).exists():
        raise PortalError(
            _("Namespace %(name)s is already requested on cluster %(cluster)s.") % {"name": name, "cluster": cluster},
            field_errors={"name": [_("Already requested on this cluster.")]},
        )
    namespace_name_check(cluster=cluster, name=name)
    phase = NamespacePhase.PROVISIONING if team.auto_approve_namespaces else NamespacePhase.PENDING_APPROVAL
    namespace = _save(
        TeamNamespace(
            team=team,
            cluster=cluster,
            name=name,
            plan=plan,
            labels=namespace_labels_check(labels, may_set_reserved=True),
            network_isolated=network_isolated,
            phase=phase,
            requested_by=requested_by if requested_by is not None and requested_by.is_authenticated else None,
        )
    )
    if phase == NamespacePhase.PROVISIONING:
        namespaces_reconcile_soon(cluster_id=cluster.pk)
    return namespace


@transaction.atomic
def team_namespace_update(*, namespace: TeamNamespace, **changes) -> TeamNamespace:
    if "labels" in changes:
        changes["labels"] = namespace_labels_check(changes["labels"], may_set_reserved=True)
    for field, value in changes.items():
        setattr(namespace, field, value)
    namespace = _save(namespace)
    if namespace.phase in RECONCILED_PHASES:
        namespaces_reconcile_soon(cluster_id=namespace.cluster_id)
    return namespace


def team_namespace_delete(*, namespace: TeamNamespace) -> None:
    """Forget a request that never reached a cluster. Namespaces that exist in a
    cluster are deleted by a job that waits for them to finalize."""
    if namespace.phase not in (NamespacePhase.PENDING_APPROVAL, NamespacePhase.REJECTED, NamespacePhase.DELETED):
        raise ConflictError(
            _("Namespace %(name)s exists in cluster %(cluster)s; it is deleted through the namespace deletion job.")
            % {"name": namespace.name, "cluster": namespace.cluster}
        )
    namespace.delete()


@transaction.atomic
def api_token_create(
    *, user, name: str, expires_in_days: int | None, access: str = ApiTokenAccess.WRITE, teams=()
) -> tuple[ApiToken, str]:
    """Create a token; returns it with its value, which is never shown again.
    `access` read or write; `teams` limits it to some of its owner's teams
    (none: all of them). A token never reaches more than its owner."""
    if ApiToken.objects.filter(user=user, name=name).exists():
        raise PortalError(_("You already have a token with this name."), field_errors={"name": [_("Already used.")]})
    teams = list(teams)
    foreign = sorted(str(team) for team in set(teams) - set(token_teams_choosable(user)))
    if foreign:
        message = _("You are not a member of %(teams)s.") % {"teams": ", ".join(foreign)}
        raise PortalError(message, field_errors={"teams": [message]})
    key = ApiToken.generate_key()
    token = _save(
        ApiToken(
            user=user,
            name=name,
            key_prefix=key[: len(ApiToken.PREFIX) + 6],
            key_hash=ApiToken.hash_key(key),
            expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
            access=access,
        )
    )
    token.teams.set(teams)
    return token, key


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
