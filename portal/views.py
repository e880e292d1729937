"""Portal-wide pages: dashboard, audit trail, health, error pages."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from clusters.models import Cluster, Job
from portal.errors import api_not_found, api_server_error
from portal.models import AuditChannel, AuditEvent, AuditResult
from rbac.models import Team, TeamNamespace


@login_required
def dashboard(request):
    user = request.user
    clusters = Cluster.objects.for_user(user).prefetch_related("nodes")
    return render(
        request,
        "portal/dashboard.html",
        {
            "clusters": clusters,
            "teams": Team.objects.for_user(user),
            "namespaces": TeamNamespace.objects.for_user(user).select_related("team", "cluster")[:20],
            "jobs": Job.objects.for_user(user).select_related("cluster", "team")[:10],
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
