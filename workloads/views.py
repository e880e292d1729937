"""Workload pages. The cluster is the source of truth: nothing is mirrored here."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from rbac.choices import NamespacePhase
from rbac.models import TeamNamespace


@login_required
def workload_index(request):
    """The namespaces whose workloads the user may see, by team and cluster."""
    namespaces = (
        TeamNamespace.objects.for_user(request.user)
        .filter(phase=NamespacePhase.READY)
        .select_related("team", "cluster")
    )
    return render(request, "workloads/index.html", {"namespaces": namespaces})
