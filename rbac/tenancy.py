"""Namespace self-service after the request: approval, quota changes,
deletion, and the reconcile that follows every change."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jobs import services as job_services
from portal.errors import ConflictError, PortalError
from portal.stored_text import Message
from rbac.choices import RECONCILED_PHASES, NamespacePhase
from rbac.models import QuotaChangeRequest, QuotaPlan, TeamNamespace
from rbac.namespace_names import namespace_name_check


def namespaces_reconcile_soon(*, cluster_id: int, only: list[int] | None = None, actor_id: int | None = None) -> None:
    """Converge the cluster's team namespaces (or those in `only`) right after
    this transaction; `actor_id` is who asked, named by the drift it repairs."""
    from rbac.tasks import namespaces_reconcile

    if only is None and actor_id is None:
        transaction.on_commit(lambda: namespaces_reconcile.delay(cluster_id))
    else:
        transaction.on_commit(lambda: namespaces_reconcile.delay(cluster_id, only=only, actor_id=actor_id))


def clusters_reconcile_soon(*, namespaces) -> None:
    """Converge, after this transaction, every cluster holding one of
    `namespaces` (a queryset) that the reconciler manages."""
    ids = namespaces.filter(phase__in=RECONCILED_PHASES).values_list("cluster_id", flat=True)
    for cluster_id in set(ids):
        namespaces_reconcile_soon(cluster_id=cluster_id)


def namespace_reconcile_now(*, namespace: TeamNamespace, user) -> dict:
    """Queue a reconcile of this one namespace at once (the periodic one may be
    minutes away); returns what was queued."""
    if namespace.phase not in RECONCILED_PHASES:
        raise ConflictError(
            _("The namespace is %(phase)s: there is nothing in the cluster to reconcile.")
            % {"phase": namespace.get_phase_display()}
        )
    namespaces_reconcile_soon(cluster_id=namespace.cluster_id, only=[namespace.pk], actor_id=user.pk)
    return {"cluster": namespace.cluster.slug, "namespaces": [namespace.name]}


def cluster_reconcile_now(*, cluster, user) -> dict:
    """Queue a reconcile of every team namespace of `cluster` (and the
    cluster-wide objects they rely on) at once; returns what was queued."""
    names = TeamNamespace.objects.filter(cluster=cluster, phase__in=RECONCILED_PHASES).order_by("name")
    namespaces_reconcile_soon(cluster_id=cluster.pk, actor_id=user.pk)
    return {"cluster": cluster.slug, "namespaces": list(names.values_list("name", flat=True))}


def _locked(namespace: TeamNamespace) -> TeamNamespace:
    return TeamNamespace.objects.select_for_update().select_related("team", "cluster").get(pk=namespace.pk)


@transaction.atomic
def team_namespace_approve(*, namespace: TeamNamespace, user) -> TeamNamespace:
    namespace = _locked(namespace)
    if namespace.phase != NamespacePhase.PENDING_APPROVAL:
        raise ConflictError(_("Only a namespace waiting for approval can be approved."))
    # Time has passed since the request: someone may have created the namespace meanwhile.
    namespace_name_check(cluster=namespace.cluster, name=namespace.name, uid=namespace.uid)
    namespace.phase = NamespacePhase.PROVISIONING
    namespace.conditions = [
        {"type": "Approved", "status": "True", "by": user.get_username(), "at": timezone.now().isoformat()}
    ]
    namespace.save(update_fields=["phase", "conditions"])
    namespaces_reconcile_soon(cluster_id=namespace.cluster_id)
    return namespace


@transaction.atomic
def team_namespace_reject(*, namespace: TeamNamespace, user, reason: str = "") -> TeamNamespace:
    namespace = _locked(namespace)
    if namespace.phase != NamespacePhase.PENDING_APPROVAL:
        raise ConflictError(_("Only a namespace waiting for approval can be rejected."))
    namespace.phase = NamespacePhase.REJECTED
    namespace.conditions = [
        {
            "type": "Rejected",
            "status": "True",
            "by": user.get_username(),
            "message": reason[:1000],
            "at": timezone.now().isoformat(),
        }
    ]
    namespace.save(update_fields=["phase", "conditions"])
    return namespace


@transaction.atomic
def team_namespace_delete_start(*, namespace: TeamNamespace, user, confirm: str):
    """Start deleting a namespace from its cluster; the user typed its name."""
    namespace = _locked(namespace)
    if confirm != namespace.name:
        raise PortalError(
            _("Type the namespace's name, %(name)s, to confirm.") % {"name": namespace.name},
            field_errors={"confirm": [_("Does not match the namespace's name.")]},
        )
    if namespace.phase in (NamespacePhase.TERMINATING, NamespacePhase.DELETED):
        raise ConflictError(_("This namespace is already being deleted."))
    if namespace.phase in (NamespacePhase.PENDING_APPROVAL, NamespacePhase.REJECTED):
        namespace.phase = NamespacePhase.DELETED
        namespace.save(update_fields=["phase"])
        return None
    namespace.phase = NamespacePhase.TERMINATING
    namespace.save(update_fields=["phase"])
    return job_services.job_create(
        kind="namespace.delete",
        title=Message(gettext_noop("Delete namespace %(name)s"), name=namespace.name),
        params={"team_namespace": namespace.pk},
        team=namespace.team,
        cluster=namespace.cluster,
        created_by=user,
    )


@transaction.atomic
def quota_change_request(*, namespace: TeamNamespace, plan: QuotaPlan, user, reason: str = "") -> QuotaChangeRequest:
    if plan.pk == namespace.plan_id:
        raise PortalError(_("The namespace already uses this plan."), field_errors={"plan": [_("Already in use.")]})
    plans = namespace.team.allowed_plans.all()
    if plans.exists() and not plans.filter(pk=plan.pk).exists():
        raise PortalError(
            _("Team %(team)s may not use quota plan %(plan)s.") % {"team": namespace.team, "plan": plan},
            field_errors={"plan": [_("Choose one of: %(plans)s") % {"plans": ", ".join(p.name for p in plans)}]},
        )
    if QuotaChangeRequest.objects.filter(namespace=namespace, status=QuotaChangeRequest.Status.PENDING).exists():
        raise ConflictError(_("A quota change for this namespace is already waiting for a decision."))
    return QuotaChangeRequest.objects.create(
        namespace=namespace,
        plan=plan,
        previous_plan=namespace.plan,
        reason=reason[:2000],
        requested_by=user,
    )


@transaction.atomic
def quota_change_decide(*, change: QuotaChangeRequest, user, approve: bool) -> QuotaChangeRequest:
    """A platform admin approves (the namespace moves to the plan, then
    reconciles) or rejects a requested quota change."""
    change = QuotaChangeRequest.objects.select_for_update().select_related("namespace").get(pk=change.pk)
    if change.status != QuotaChangeRequest.Status.PENDING:
        raise ConflictError(_("This request has already been decided."))
    change.status = QuotaChangeRequest.Status.APPROVED if approve else QuotaChangeRequest.Status.REJECTED
    change.decided_by, change.decided = user, timezone.now()
    change.save(update_fields=["status", "decided_by", "decided"])
    if approve:
        TeamNamespace.objects.filter(pk=change.namespace_id).update(plan=change.plan)
        namespaces_reconcile_soon(cluster_id=change.namespace.cluster_id)
    return change
