"""Writes of cluster grants (rbac/grants.py), shared by the API and the pages:
checked, saved, and converged by a reconcile right after the transaction."""

from django.db import transaction
from django.utils.translation import gettext as _

from clusters import kube
from portal.errors import PortalError
from rbac.grants import ClusterGrant, GrantPhase
from rbac.tenancy import namespaces_reconcile_soon

FIELDS = ("cluster", "name", "role", "team_role", "subjects")


class GrantUnreachable(PortalError):
    status_code = 503
    error_type = "unavailable"


def _check(grant: ClusterGrant, teams) -> None:
    if not teams and not grant.subjects:
        raise PortalError(
            _("Bind at least one team or subject."),
            field_errors={"teams": [_("Bind at least one team or subject.")]},
        )
    grant.full_clean()


@transaction.atomic
def grant_create(*, user, teams=(), **fields) -> ClusterGrant:
    grant = ClusterGrant(created_by=user, **{k: v for k, v in fields.items() if k in FIELDS})
    _check(grant, teams)
    grant.save()
    grant.teams.set(teams)
    namespaces_reconcile_soon(cluster_id=grant.cluster_id, actor_id=user.pk)
    return grant


@transaction.atomic
def grant_update(*, grant: ClusterGrant, user, teams=None, **fields) -> ClusterGrant:
    for key, value in fields.items():
        if key in FIELDS and key not in ("cluster", "name"):  # the binding's place and name stay
            setattr(grant, key, value)
    teams = list(grant.teams.all()) if teams is None else teams
    _check(grant, teams)
    grant.phase, grant.message = GrantPhase.PENDING, ""
    grant.save()
    grant.teams.set(teams)
    namespaces_reconcile_soon(cluster_id=grant.cluster_id, actor_id=user.pk)
    return grant


def grant_delete(*, grant: ClusterGrant) -> None:
    """Delete the binding in the cluster first (the reconciler may not visit a
    cluster with no team namespaces and no grants), then the grant. A cluster
    the portal holds no credential for has nothing the portal made."""
    if not grant.cluster.kubeconfig:
        grant.delete()
        return
    try:
        with kube.client_for(grant.cluster) as client:
            client.rbac.delete_cluster_role_binding(grant.binding_name)
    except kube.KubeNotFound:
        pass
    except kube.KubeError as exc:
        raise GrantUnreachable(
            _("The cluster did not delete the binding (%(reason)s); the grant stays until it can.")
            % {"reason": exc.message}
        ) from exc
    grant.delete()
