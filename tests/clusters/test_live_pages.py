"""A cluster's page, the dashboard and the lists refresh themselves while a
state is changing and stop once it has settled: a bring-up under way, a first
check not landed yet, a node sync the page asked for because the rows were
stale, a job running. The poll's answer
is 286 (htmx stops polling) once settled. Model states only: no cluster is
contacted (the tasks are recorded, not run)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clusters.bootstrap.services import KIND as BOOTSTRAP_KIND
from clusters.choices import ClusterPhase
from clusters.models import Node
from jobs.choices import JobStatus
from jobs.models import Job
from rbac.models import TeamNamespace

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """The background tasks the pages ask for, by name, with their cluster ids."""
    asked = []
    for name in ("cluster_check", "cluster_nodes_sync"):
        monkeypatch.setattr(f"clusters.tasks.{name}.delay", lambda pk, name=name: asked.append((name, pk)))
    return asked


@pytest.fixture
def page(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.admin)

    def get(url=None, **headers):
        with django_capture_on_commit_callbacks(execute=True):
            return client.get(url or f"/clusters/{world.cluster.slug}/", **headers)

    return get


def _set(cluster, **fields):
    for field, value in fields.items():
        setattr(cluster, field, value)
    cluster.save()


def _node(cluster, synced_ago: timedelta | None):
    return Node.objects.create(
        cluster=cluster, name="node-1", ready=True, last_synced=timezone.now() - synced_ago if synced_ago else None
    )


def _region(html: str) -> str:
    start = html.index('<div id="cluster-live"')
    return html[start : html.index(">", start) + 1]


def _poll_url(html: str) -> str:
    region = _region(html)
    start = region.index('hx-get="') + len('hx-get="')
    return region[start : region.index('"', start)].replace("&amp;", "&")


@pytest.mark.parametrize("who", ["admin", "developer"])
def test_a_bring_up_under_way_polls_until_its_job_ends(page, client, world, queued, who):
    client.force_login(getattr(world, who))  # a member sees the phase, not the (platform's) job
    _set(world.cluster, phase=ClusterPhase.PROVISIONING)
    job = Job.objects.create(kind=BOOTSTRAP_KIND, title="Bring up", cluster=world.cluster, status=JobStatus.RUNNING)
    html = page().content.decode()
    assert 'hx-trigger="every 3s"' in _region(html)
    assert page(_poll_url(html)).status_code == 200

    job.status = JobStatus.FAILED
    job.save()
    answer = page(_poll_url(html))
    assert answer.status_code == 286
    assert "hx-trigger" not in _region(answer.content.decode())
    assert queued == []


def test_a_cluster_never_checked_is_checked_and_polled_until_it_is(page, world, queued):
    _set(world.cluster, api_server_url="https://192.0.2.1:6443")  # pending, with credentials
    html = page().content.decode()
    assert queued == [("cluster_check", world.cluster.pk)]
    poll = _poll_url(html)
    assert "?since=" in poll
    assert page(poll).status_code == 200
    assert page().status_code == 200 and queued == [("cluster_check", world.cluster.pk)]  # asked once

    _set(world.cluster, phase=ClusterPhase.UNREACHABLE, last_checked=timezone.now())
    answer = page(poll)
    assert answer.status_code == 286
    assert 'id="cluster-phase">Unreachable<' in answer.content.decode()


def test_stale_nodes_are_synced_and_the_page_polls_until_the_sync_lands(page, world, queued):
    _set(world.cluster, phase=ClusterPhase.READY)
    node = _node(world.cluster, timedelta(minutes=5))
    html = page().content.decode()
    assert queued == [("cluster_nodes_sync", world.cluster.pk)]
    poll = _poll_url(html)
    assert page(poll).status_code == 200
    assert 'id="live-note"' in page(poll).content.decode()

    node.last_synced, node.pods_running = timezone.now() + timedelta(seconds=1), 7
    node.save()
    answer = page(poll)
    assert answer.status_code == 286
    html = answer.content.decode()
    assert "hx-trigger" not in _region(html) and 'id="live-note"' not in html
    assert "<td>7</td>" in html
    assert queued == [("cluster_nodes_sync", world.cluster.pk)]


def test_fresh_nodes_ask_for_nothing_and_do_not_poll(page, world, queued):
    _set(world.cluster, phase=ClusterPhase.READY)
    _node(world.cluster, timedelta(seconds=10))
    html = page().content.decode()
    assert "hx-trigger" not in _region(html)
    assert queued == []
    assert page(f"/clusters/{world.cluster.slug}/live/").status_code == 286


def test_an_unreachable_cluster_is_not_asked_for_its_nodes(page, world, queued):
    _set(world.cluster, phase=ClusterPhase.UNREACHABLE)
    _node(world.cluster, timedelta(minutes=5))
    assert "hx-trigger" not in _region(page().content.decode())
    assert queued == []


def test_the_page_stops_waiting_for_a_sync_that_never_lands(page, world, queued):
    _set(world.cluster, phase=ClusterPhase.READY)
    _node(world.cluster, timedelta(minutes=5))
    since = int((timezone.now() - timedelta(minutes=3)).timestamp())
    assert page(f"/clusters/{world.cluster.slug}/live/?since={since}").status_code == 286
    assert page(f"/clusters/{world.cluster.slug}/live/?since=soon").status_code == 286
    assert page(f"/clusters/{world.cluster.slug}/live/?since=99999999999999999999").status_code == 286
    assert queued == []  # the poll itself asks for nothing


def test_the_node_pages_sync_stale_nodes_and_poll_until_the_sync_lands(page, world, queued):
    _set(world.cluster, phase=ClusterPhase.READY)
    node = _node(world.cluster, timedelta(minutes=5))
    htmx = {"HTTP_HX_REQUEST": "true"}
    listed = page("/clusters/nodes/?q=node").content.decode()
    assert queued == [("cluster_nodes_sync", world.cluster.pk)]
    poller = listed[listed.index('<span id="nodes-live"') :].split(">", 1)[0]
    assert 'hx-trigger="every 3s"' in poller and 'hx-select="table.objects"' in poller
    poll = poller.split('hx-get="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert poll.startswith("/clusters/nodes/?") and "q=node" in poll and "since=" in poll
    assert page(f"/clusters/nodes/{node.pk}/").status_code == 200  # asked once a minute per cluster
    detail = page(f"/clusters/nodes/{node.pk}/").content.decode()
    detail_poll = detail[detail.index('<div id="node-live"') :].split(">", 1)[0]
    assert f'hx-get="/clusters/nodes/{node.pk}/?since=' in detail_poll
    assert queued == [("cluster_nodes_sync", world.cluster.pk)]

    assert page(poll, **htmx).status_code == 200

    node.last_synced, node.pods_running = timezone.now() + timedelta(seconds=1), 9
    node.save()
    answer = page(poll, **htmx)
    assert answer.status_code == 286
    html = answer.content.decode()
    assert "hx-trigger" not in html[html.index('<span id="nodes-live"') :].split(">", 1)[0]
    assert "<td>9</td>" in html
    detail_poll_url = detail_poll.split('hx-get="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert page(detail_poll_url, **htmx).status_code == 286
    # Opened again without htmx, a page is an ordinary page.
    assert page(poll).status_code == 200


def test_a_broker_that_is_down_does_not_break_the_page(page, world, monkeypatch):
    def down(pk):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr("clusters.tasks.cluster_nodes_sync.delay", down)
    _set(world.cluster, phase=ClusterPhase.READY)
    _node(world.cluster, timedelta(minutes=5))
    assert page().status_code == 200
    assert page("/clusters/nodes/").status_code == 200


def _opening_tag(html: str, start: str) -> str:
    at = html.index(start)
    return html[at : html.index(">", at) + 1]


def test_the_dashboard_syncs_stale_nodes_and_its_clusters_table_polls_until_they_land(page, world, queued):
    _set(world.cluster, phase=ClusterPhase.READY)
    node = _node(world.cluster, timedelta(minutes=5))
    htmx = {"HTTP_HX_REQUEST": "true"}
    region = _opening_tag(page("/").content.decode(), '<div id="clusters-live"')
    assert queued == [("cluster_nodes_sync", world.cluster.pk)]
    assert 'hx-select="#clusters-live"' in region
    poll = region.split('hx-get="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert poll.startswith("/?since=")
    assert page(poll, **htmx).status_code == 200  # not landed yet: polls on

    node.last_synced, node.pods_running = timezone.now() + timedelta(seconds=1), 9
    node.save()
    answer = page(poll, **htmx)
    assert answer.status_code == 286
    assert "hx-trigger" not in _opening_tag(answer.content.decode(), '<div id="clusters-live"')
    assert queued == [("cluster_nodes_sync", world.cluster.pk)]  # the poll asks for nothing


@pytest.mark.parametrize(
    ("url", "settle"),
    [
        ("/clusters/", lambda world: _set(world.cluster, phase=ClusterPhase.READY)),
        ("/teams/namespaces/", lambda world: TeamNamespace.objects.update(phase="ready")),
        ("/jobs/", lambda world: Job.objects.update(status=JobStatus.SUCCEEDED)),
    ],
)
def test_a_list_showing_a_changing_state_refreshes_itself_until_it_settles(page, world, queued, url, settle):
    _set(world.cluster, phase=ClusterPhase.PROVISIONING)
    TeamNamespace.objects.filter(pk=world.ns_a.pk).update(phase="provisioning")
    Job.objects.create(kind="demo", title="Bring up", status=JobStatus.RUNNING, cluster=world.cluster)
    table = _opening_tag(page(url).content.decode(), '<table class="objects" id="object-table"')
    assert 'hx-trigger="every 5s"' in table and 'hx-select="#object-table"' in table
    assert f'hx-get="{url}"' in table
    settle(world)
    assert "hx-trigger" not in _opening_tag(page(url).content.decode(), '<table class="objects" id="object-table"')


def test_a_cluster_that_will_never_be_checked_does_not_keep_the_list_polling(page, world, queued):
    _set(world.cluster, phase=ClusterPhase.PENDING, api_server_url="https://198.18.0.10:6443")
    assert 'hx-trigger="every 5s"' in _opening_tag(page("/clusters/").content.decode(), '<table class="objects"')
    _set(world.cluster, health_checks_enabled=False)
    assert "hx-trigger" not in _opening_tag(page("/clusters/").content.decode(), '<table class="objects"')


def test_the_dashboards_node_checks_do_not_grow_with_the_clusters(page, world, queued):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clusters.models import Cluster

    def queries() -> int:
        since = int((timezone.now() - timedelta(seconds=5)).timestamp())
        with CaptureQueriesContext(connection) as captured:
            page("/")
            page(f"/?since={since}")  # the poll: the landed check
        return len(captured)

    _set(world.cluster, phase=ClusterPhase.READY)
    _node(world.cluster, timedelta(minutes=5))
    one = queries()
    for n in range(5):
        more = Cluster.objects.create(name=f"More {n}", slug=f"more-{n}", phase=ClusterPhase.READY)
        _node(more, timedelta(minutes=5))
    assert queries() == one
    assert len(queued) == 6  # each stale cluster asked for once
