"""A cluster's page while its state is changing: it refreshes itself (htmx)
until the state settles.

The state is changing while a bootstrap job brings the cluster up, while its
first health check has not landed, and while a node sync the page asked for
has not landed. Opening the page asks for that check or sync when the rows
are missing or older than NODES_STALE_AFTER; the poll's address carries when
(`since`), so each answer can tell whether it has landed. A page waits at most
WAIT_AT_MOST for it (no worker, a cluster gone quiet): the sweep takes over.
"""

from datetime import UTC, datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from clusters.choices import ClusterPhase
from clusters.services import clusters as services
from clusters.services import inventory
from clusters.views import ClusterDetailView

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
    if inventory.nodes_stale(cluster):
        inventory.cluster_nodes_sync_soon(cluster=cluster)
        return True
    return False


def _waiting(cluster, since, bootstrap_job) -> bool:
    if cluster.phase == ClusterPhase.PROVISIONING and bootstrap_job is not None and not bootstrap_job.is_terminal:
        return True
    if since is None or timezone.now() - since > WAIT_AT_MOST:
        return False
    if cluster.phase == ClusterPhase.PENDING:
        return True
    # An unreachable cluster has no nodes to read: nothing more is coming.
    return cluster.phase in inventory.ANSWERED and not inventory.nodes_synced_since(cluster, since)


def live_context(request, cluster, bootstrap_job, *, opening: bool) -> dict:
    """Whether the page polls (it waits for a state to settle) and the poll's
    address. `opening`: the page itself, not its poll, which asks for nothing."""
    since = _since(request)
    if opening and _ask_for_fresh_data(cluster):
        since = timezone.now().replace(microsecond=0)
    waiting = _waiting(cluster, since, bootstrap_job)
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
