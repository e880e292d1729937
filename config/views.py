"""Portal-wide pages: dashboard, health, error pages (the audit trail: views_audit.py)."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from clusters.models import Cluster
from clusters.views import clusters_overview
from clusters.views_live import nodes_live, stop_polling_when_settled
from jobs.models import Job
from portal.errors import api_not_found, api_server_error
from portal.teams import Membership, Team
from rbac.choices import NamespacePhase
from rbac.models import TeamNamespace

DASHBOARD_ROWS = 10


@login_required
def dashboard(request):
    """What a user looks at first: their clusters' health, teams, namespaces, recent jobs."""
    user = request.user
    # Only the teams the user is in, each with the role held: a platform admin
    # sees every team elsewhere, so here gets their number and a link instead.
    memberships = Membership.objects.filter(user=user).select_related("team").order_by("team__name")
    namespaces = TeamNamespace.objects.for_user(user).select_related("team", "cluster")
    # Node counts and capacity bars come from the last sync: stale ones are
    # read again in the background and the clusters table refreshes itself.
    clusters = clusters_overview(Cluster.objects.for_user(user))
    live = nodes_live(request, [cluster for cluster, _bars in clusters])
    response = render(
        request,
        "portal/dashboard.html",
        {
            "clusters": clusters,
            "live": live,
            "memberships": memberships,
            "team_count": Team.objects.count() if user.is_staff else None,
            "namespaces": namespaces[:DASHBOARD_ROWS],
            "namespace_count": namespaces.count(),
            "pending_approval": namespaces.filter(phase=NamespacePhase.PENDING_APPROVAL).count(),
            "jobs": Job.objects.for_user(user).select_related("cluster", "team")[:DASHBOARD_ROWS],
        },
    )
    return stop_polling_when_settled(request, response, live)


def healthz(request):
    """Liveness and database reachability, for load balancers and compose."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok"})


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return api_not_found(request, exception)
    return render(request, "404.html", status=404)


def server_error(request):
    if request.path.startswith("/api/"):
        return api_server_error(request)
    return render(request, "500.html", status=500)
