"""A cluster's page, the node list and a node's page while what they show is
changing: they refresh themselves (htmx, portal/_poll.html) until it settles.

It is changing while a bootstrap job brings the cluster up, while its first
health check has not landed, and while a node sync the page asked for has not
landed. Opening a page asks for that check or sync when the rows are missing
or older than NODES_STALE_AFTER; the poll's address carries when (`since`), so
each answer can tell whether it has landed. A page waits at most WAIT_AT_MOST
for it (no worker, a cluster gone quiet): the sweep takes over.
"""

from datetime import UTC, datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from clusters.bootstrap.services import KIND as BOOTSTRAP_KIND
from clusters.choices import ClusterPhase
from clusters.services import clusters as services
from clusters.services import inventory
from clusters.views import ClusterDetailView
from jobs.choices import JOB_TERMINAL
from jobs.models import Job

WAIT_AT_MOST = timedelta(minutes=2)
# htmx stops polling on this status (and swaps the answer in).
STOP_POLLING = 286


def _since(request) -> datetime | None:
    """When the page asked for fresh data: `since` of the poll's address (epoch seconds)."""
    try:
        return datetime.fromtimestamp(int(request.GET["since"]), tz=UTC)
    except (KeyError, ValueError, OverflowError, OSError):
        return None


def _ask_for_fresh_data(cluster) -> bool:
    """On opening the page: check a cluster never checked, or sync stale nodes, in the background."""
    can_check = cluster.health_checks_enabled and cluster.api_server_url
    if cluster.phase == ClusterPhase.PENDING and can_check:
        services.cluster_check_soon(cluster=cluster)
        return True
    return _ask_for_fresh_nodes([cluster])


def _ask_for_fresh_nodes(clusters) -> bool:
    stale = inventory.stale_clusters(clusters)
    for cluster in stale:
        inventory.cluster_nodes_sync_soon(cluster=cluster)
    return bool(stale)


def _nodes_landed(clusters, since) -> bool:
    # An unreachable cluster has no nodes to read: nothing more is coming.
    return inventory.nodes_synced_since([c for c in clusters if c.phase in inventory.ANSWERED], since)


def _given_up(since) -> bool:
    return since is None or timezone.now() - since > WAIT_AT_MOST


def _asked_now() -> datetime:
    # Whole seconds, as the poll's address carries it.
    return timezone.now().replace(microsecond=0)


def _bring_up_running(cluster) -> bool:
    # Whoever looks: a team member sees the cluster's phase, not its bootstrap job.
    jobs = Job.objects.filter(cluster=cluster, kind=BOOTSTRAP_KIND).exclude(status__in=JOB_TERMINAL)
    return cluster.phase == ClusterPhase.PROVISIONING and jobs.exists()


def _waiting(cluster, since) -> bool:
    if _bring_up_running(cluster):
        return True
    if _given_up(since):
        return False
    return cluster.phase == ClusterPhase.PENDING or not _nodes_landed([cluster], since)


def live_context(request, cluster, *, opening: bool) -> dict:
    """Whether the page polls (it waits for a state to settle) and the poll's
    address. `opening`: the page itself, not its poll, which asks for nothing."""
    since = _since(request)
    if opening and _ask_for_fresh_data(cluster):
        since = _asked_now()
    waiting = _waiting(cluster, since)
    url = reverse("clusters:cluster-live", args=[cluster.slug])
    if since is not None:
        url = f"{url}?since={int(since.timestamp())}"
    return {"waiting": waiting, "url": url}


class ClusterLiveView(ClusterDetailView):
    """The cluster's page for its own poll: 286 once the state has settled."""

    opening = False

    def render_page(self, obj, *, status=200, **extra):
        response = super().render_page(obj, status=status, **extra)
        if response.status_code == 200 and not self.live["waiting"]:
            response.status_code = STOP_POLLING
        return response


def nodes_live(request, clusters, *, path: str = "") -> dict:
    """A page showing nodes of `clusters` polls itself: opened (no `since`),
    it asks for a sync of each cluster whose rows are stale, then polls its own
    address (`path`, default the request's) with `since` until those syncs have landed."""
    since = _since(request)
    if since is None and _ask_for_fresh_nodes(clusters):
        since = _asked_now()
    waiting = not _given_up(since) and not _nodes_landed(clusters, since)
    params = request.GET.copy()
    if since is not None:
        params["since"] = str(int(since.timestamp()))
    url = f"{path or request.path}?{params.urlencode()}"
    return {"waiting": waiting, "url": url, "polled": "since" in request.GET}


def stop_polling_when_settled(request, response, live: dict):
    """The page's answer to its own poll (htmx asking, with `since`): 286 once settled."""
    if live["polled"] and request.headers.get("HX-Request") and not live["waiting"] and response.status_code == 200:
        response.status_code = STOP_POLLING
    return response
