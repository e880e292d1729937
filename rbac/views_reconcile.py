"""Reconcile now, from the pages: a button on a team namespace's page (its
team's owners and maintainers, platform admins) and on a cluster's page
(platform admins). Queued on the reconcile task (rbac.tenancy); the page says
what was queued and shows the result once the reconciler has written status."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clusters.models import Cluster
from portal.audit import audit_describe
from portal.errors import PortalError
from portal.roles import MANAGING_ROLES
from rbac import tenancy
from rbac.models import TeamNamespace


@login_required
@require_POST
def namespace_reconcile(request, pk):
    # Named before the lookup: a refused attempt is recorded as precisely as an allowed one.
    audit_describe(request, action="teamnamespace.reconcile", kind="Namespace", name=str(pk))
    # Another team's namespace reads like a missing one (404).
    namespace = get_object_or_404(TeamNamespace.objects.for_user(request.user).select_related("team", "cluster"), pk=pk)
    audit_describe(
        request,
        team=namespace.team,
        cluster=namespace.cluster.slug,
        namespace=namespace.name,
        name=namespace.name,
    )
    if not (request.user.is_staff or namespace.team.role_of(request.user) in MANAGING_ROLES):
        raise PermissionDenied(_("Only the team's owners and maintainers may reconcile its namespaces."))
    try:
        tenancy.namespace_reconcile_now(namespace=namespace, user=request.user)
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Reconcile of %(namespace)s queued; its status below updates when the reconciler has run.")
            % {"namespace": namespace.name},
        )
    return redirect("teams:namespace-detail", pk=namespace.pk)


@login_required
@require_POST
def cluster_reconcile(request, slug):
    audit_describe(request, action="cluster.reconcile", kind="Cluster", cluster=slug, name=slug)
    if not request.user.is_staff:
        raise PermissionDenied(_("Only platform admins may reconcile a whole cluster."))
    cluster = get_object_or_404(Cluster.objects.for_user(request.user), slug=slug)
    queued = tenancy.cluster_reconcile_now(cluster=cluster, user=request.user)
    messages.success(
        request,
        _("Reconcile of %(count)s team namespaces on %(cluster)s queued.")
        % {"count": len(queued["namespaces"]), "cluster": cluster.name},
    )
    return redirect("clusters:cluster-detail", slug=cluster.slug)
