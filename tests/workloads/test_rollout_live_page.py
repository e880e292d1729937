"""A Deployment's page refreshes itself while its rollout is under way and
stops once it is done: the live region carries the poll only while the
Deployment is not at its desired replicas, and not while it is paused.
Through Django's test client against the devcluster."""

import pytest
from django.test import Client

from clusters import kube
from tests.support.wait import wait_for
from workloads import columns, objects, services
from workloads.kinds import KINDS

pytestmark = [pytest.mark.devcluster, pytest.mark.django_db]

DEPLOYMENTS = KINDS["deployments"]


def _region(page: str) -> str:
    start = page.index('<div id="detail-live"')
    return page[start : page.index(">", start) + 1]


def _apply(tenancy, namespace, name, node_selector):
    document = DEPLOYMENTS.template(name)
    document["spec"]["template"]["spec"]["nodeSelector"] = node_selector
    services.live_apply(user=tenancy.developer, namespace=namespace, documents=[document])


def _ready(tenancy, namespace, name) -> int:
    with kube.client_for(tenancy.cluster) as client:
        found = objects.get_object(client, DEPLOYMENTS, namespace.name, name)
    return columns.dig(found, "status", "readyReplicas", default=0) or 0


def test_a_rollout_under_way_polls_until_it_is_done(tenancy, ready_ns, unique):
    name, client = unique("rolling"), Client()
    client.force_login(tenancy.developer)
    url = f"/workloads/namespaces/{ready_ns.pk}/deployments/{name}/"
    # No node carries this label: the pod waits, the rollout cannot finish.
    _apply(tenancy, ready_ns, name, {"portal.test/nowhere": "true"})

    region = _region(client.get(url).content.decode())
    assert f'hx-get="{url}"' in region and 'hx-trigger="every 3s"' in region
    assert 'hx-select="#detail-live"' in region

    _apply(tenancy, ready_ns, name, {})
    wait_for(lambda: _ready(tenancy, ready_ns, name) == 1, 90, 0.5, what=f"{name} ready")
    wait_for(lambda: "hx-trigger" not in _region(client.get(url).content.decode()), 30, 0.5, what="the poll to end")
    page = client.get(url).content.decode()
    assert 'id="live-note"' not in page and 'data-state="complete"' in page


def test_a_paused_rollout_does_not_poll(tenancy, ready_ns, unique):
    name, client = unique("paused"), Client()
    client.force_login(tenancy.developer)
    url = f"/workloads/namespaces/{ready_ns.pk}/deployments/{name}/"
    _apply(tenancy, ready_ns, name, {"portal.test/nowhere": "true"})
    assert client.post(f"{url}pause/").status_code == 302
    page = client.get(url).content.decode()
    assert 'data-state="paused"' in page
    assert "hx-trigger" not in _region(page)
