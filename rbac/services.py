"""Writes for teams, memberships, quota plans, team namespaces and API tokens."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clusters.models import Cluster
from portal.errors import ConflictError, PortalError
from rbac.choices import NamespacePhase, TeamRole
from rbac.models import ApiToken, Membership, QuotaPlan, Team, TeamNamespace


def _save(obj):
    obj.full_clean()
    obj.save()
    return obj


@transaction.atomic
def team_create(*, name: str, slug: str, description: str = "", allowed_clusters=(), **policy) -> Team:
    team = _save(Team(name=name, slug=slug, description=description, **policy))
    team.allowed_clusters.set(allowed_clusters)
    return team


@transaction.atomic
def team_update(*, team: Team, allowed_clusters=None, **changes) -> Team:
    for field, value in changes.items():
        setattr(team, field, value)
    _save(team)
    if allowed_clusters is not None:
        team.allowed_clusters.set(allowed_clusters)
    return team


def team_delete(*, team: Team) -> None:
    if team.namespaces.exclude(phase__in=[NamespacePhase.DELETED, NamespacePhase.REJECTED]).exists():
        raise ConflictError(_("Delete the team's namespaces first."))
    team.namespaces.all().delete()
    team.delete()


def _owners_left(team: Team, without: Membership) -> int:
    return team.memberships.filter(role=TeamRole.OWNER).exclude(pk=without.pk).count()


@transaction.atomic
def membership_create(*, team: Team, user, role: str) -> Membership:
    if Membership.objects.filter(team=team, user=user).exists():
        raise PortalError(
            _("%(user)s is already a member of %(team)s.") % {"user": user, "team": team},
            field_errors={"user": [_("Already a member of this team.")]},
        )
    return _save(Membership(team=team, user=user, role=role))


@transaction.atomic
def membership_update(*, membership: Membership, role: str) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == TeamRole.OWNER and role != TeamRole.OWNER and not _owners_left(membership.team, membership):
        raise ConflictError(_("A team keeps at least one owner: make someone else owner first."))
    membership.role = role
    return _save(membership)


@transaction.atomic
def membership_delete(*, membership: Membership) -> None:
    if membership.role == TeamRole.OWNER and not _owners_left(membership.team, membership):
        raise ConflictError(_("A team keeps at least one owner: make someone else owner first."))
    membership.delete()


@transaction.atomic
def quota_plan_create(**fields) -> QuotaPlan:
    return _save(QuotaPlan(**fields))


@transaction.atomic
def quota_plan_update(*, plan: QuotaPlan, **changes) -> QuotaPlan:
    for field, value in changes.items():
        setattr(plan, field, value)
    return _save(plan)


def quota_plan_delete(*, plan: QuotaPlan) -> None:
    if plan.namespaces.exists():
        raise ConflictError(_("Namespaces still use this plan."))
    plan.delete()


def team_may_use_cluster(team: Team, cluster: Cluster) -> bool:
    allowed = team.allowed_clusters.all()
    return not allowed.exists() or allowed.filter(pk=cluster.pk).exists()


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
    """Record a namespace request, checked against the team's policy."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    if not team_may_use_cluster(team, cluster):
        raise PortalError(
            _("Team %(team)s may not use cluster %(cluster)s.") % {"team": team, "cluster": cluster},
            field_errors={"cluster": [_("This team may not request namespaces on this cluster.")]},
        )
    in_use = team.namespaces.exclude(phase__in=[NamespacePhase.DELETED, NamespacePhase.REJECTED]).count()
    if in_use >= team.max_namespaces:
        raise PortalError(
            _("Team %(team)s already has %(count)s of its %(max)s namespaces.")
            % {"team": team, "count": in_use, "max": team.max_namespaces},
            field_errors={"name": [_("The team's namespace limit is reached.")]},
        )
    phase = NamespacePhase.PROVISIONING if team.auto_approve_namespaces else NamespacePhase.PENDING_APPROVAL
    return _save(
        TeamNamespace(
            team=team,
            cluster=cluster,
            name=name,
            plan=plan,
            labels=labels or {},
            network_isolated=network_isolated,
            phase=phase,
            requested_by=requested_by if requested_by is not None and requested_by.is_authenticated else None,
        )
    )


@transaction.atomic
def team_namespace_update(*, namespace: TeamNamespace, **changes) -> TeamNamespace:
    for field, value in changes.items():
        setattr(namespace, field, value)
    return _save(namespace)


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
def api_token_create(*, user, name: str, expires_in_days: int | None) -> tuple[ApiToken, str]:
    """Create a token; returns it with its value, which is never shown again."""
    if ApiToken.objects.filter(user=user, name=name).exists():
        raise PortalError(_("You already have a token with this name."), field_errors={"name": [_("Already used.")]})
    key = ApiToken.generate_key()
    token = _save(
        ApiToken(
            user=user,
            name=name,
            key_prefix=key[: len(ApiToken.PREFIX) + 6],
            key_hash=ApiToken.hash_key(key),
            expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
        )
    )
    return token, key


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
