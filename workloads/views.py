"""Workload pages. The cluster is the source of truth: nothing is mirrored here."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from clusters.models import Cluster
from rbac.choices import NamespacePhase
from rbac.models import TeamNamespace
from workloads import places


@login_required
def workload_index(request):
    """The namespaces whose workloads the user may see, by team and cluster."""
    namespaces = (
        TeamNamespace.objects.for_user(request.user)
        .filter(phase=NamespacePhase.READY)
        .select_related("team", "cluster")
    )
    # Platform admins also reach every namespace of each cluster (workloads/places.py).
    clusters = Cluster.objects.order_by("name") if request.user.is_staff else Cluster.objects.none()
    entries = [{"cluster": cluster, "place": f"{cluster.slug}:{places.EVERY}"} for cluster in clusters]
    return render(request, "workloads/index.html", {"namespaces": namespaces, "clusters": entries})
