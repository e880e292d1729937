"""A team namespace's page refreshes itself while its phase is changing
(provisioning, terminating) and stops once it has settled: the region carries
the poll only then, and the poll's answer is 286 (htmx stops) when settled."""

import pytest

from rbac.choices import NamespacePhase

pytestmark = pytest.mark.django_db

CHANGING = [NamespacePhase.PROVISIONING, NamespacePhase.TERMINATING]
SETTLED = [NamespacePhase.READY, NamespacePhase.FAILED, NamespacePhase.DELETED, NamespacePhase.REJECTED]


def _page(client, world, phase, url):
    world.ns_a.phase = phase
    world.ns_a.save(update_fields=["phase"])
    client.force_login(world.owner)
    return client.get(url.format(pk=world.ns_a.pk))


def _region(html: str) -> str:
    """The opening tag of the page's live region."""
    start = html.index('<div id="namespace-live"')
    return html[start : html.index(">", start) + 1]


@pytest.mark.parametrize("phase", CHANGING)
def test_it_polls_while_the_phase_is_changing(client, world, phase):
    page = _page(client, world, phase, "/teams/namespaces/{pk}/")
    region = _region(page.content.decode())
    assert f'hx-get="/teams/namespaces/{world.ns_a.pk}/live/"' in region
    assert 'hx-trigger="every 3s"' in region
    assert 'hx-select="#namespace-live"' in region

    answer = client.get(f"/teams/namespaces/{world.ns_a.pk}/live/")
    assert answer.status_code == 200
    assert 'hx-trigger="every 3s"' in _region(answer.content.decode())
    assert str(phase.label) in answer.content.decode()


@pytest.mark.parametrize("phase", SETTLED)
def test_it_stops_polling_once_settled(client, world, phase):
    page = _page(client, world, phase, "/teams/namespaces/{pk}/")
    assert page.status_code == 200
    assert "hx-trigger" not in _region(page.content.decode())

    answer = client.get(f"/teams/namespaces/{world.ns_a.pk}/live/")
    assert answer.status_code == 286
    assert "hx-trigger" not in _region(answer.content.decode())
    assert f'id="namespace-phase">{phase.label}<' in answer.content.decode()


def test_the_poll_shows_the_change_it_waited_for(client, world):
    _page(client, world, NamespacePhase.PROVISIONING, "/teams/namespaces/{pk}/")
    world.ns_a.phase = NamespacePhase.READY
    world.ns_a.conditions = [{"type": "Reconciled", "status": "True", "message": "In sync."}]
    world.ns_a.save(update_fields=["phase", "conditions"])
    answer = client.get(f"/teams/namespaces/{world.ns_a.pk}/live/")
    assert answer.status_code == 286
    html = answer.content.decode()
    assert 'id="namespace-phase">Ready<' in html
    assert "In sync." in html


def test_another_teams_namespace_is_not_found(client, world):
    world.ns_b.phase = NamespacePhase.PROVISIONING
    world.ns_b.save(update_fields=["phase"])
    client.force_login(world.developer)
    assert client.get(f"/teams/namespaces/{world.ns_b.pk}/live/").status_code == 404
    client.logout()
    assert client.get(f"/teams/namespaces/{world.ns_b.pk}/live/").status_code == 302
