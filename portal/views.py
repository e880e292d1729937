"""Portal-wide pages: dashboard, audit trail, health, error pages."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from clusters.models import Cluster
from clusters.views import clusters_overview
from jobs.models import Job
from portal.errors import api_not_found, api_server_error
from portal.models import AuditChannel, AuditEvent, AuditResult
from rbac.choices import NamespacePhase, TeamRole
from rbac.models import Membership, Team, TeamNamespace

DASHBOARD_ROWS = 10


@login_required
def dashboard(request):
    """What a user looks at first: their clusters' health, teams, namespaces, recent jobs."""
    user = request.user
    roles = dict(Membership.objects.filter(user=user).values_list("team_id", "role"))
    teams = [(team, TeamRole(roles[team.pk]).label if team.pk in roles else "") for team in Team.objects.for_user(user)]
    namespaces = TeamNamespace.objects.for_user(user).select_related("team", "cluster")
    return render(
        request,
        "portal/dashboard.html",
        {
            "clusters": clusters_overview(Cluster.objects.for_user(user)),
            "teams": teams,
            "namespaces": namespaces[:DASHBOARD_ROWS],
            "namespace_count": namespaces.count(),
            "pending_approval": namespaces.filter(phase=NamespacePhase.PENDING_APPROVAL).count(),
            "jobs": Job.objects.for_user(user).select_related("cluster", "team")[:DASHBOARD_ROWS],
        },
    )


@login_required
def audit_list(request):
    events = AuditEvent.objects.for_user(request.user).select_related("team")
    filters = {
        "actor_name": request.GET.get("actor", "").strip(),
        "channel": request.GET.get("channel", ""),
        "result": request.GET.get("result", ""),
        "action__startswith": request.GET.get("action", "").strip(),
        "target_name__icontains": request.GET.get("target", "").strip(),
    }
    events = events.filter(**{k: v for k, v in filters.items() if v})
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/audit_list.html",
        {
            "page_obj": page,
            "channels": AuditChannel.choices,
            "results": AuditResult.choices,
            "params": request.GET,
        },
    )


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
