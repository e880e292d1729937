"""A health check stores what it says (lease holder and age, replicas ready,
add-on kinds, why a cluster is degraded) as message ids with parameters;
the cluster page translates it for its reader. Checks from before show as
stored.

The page's translation is checked through a gettext that marks what stored
text rendered, so the test does not depend on the catalogue's wording."""

import pytest
from django.utils import translation

from clusters import kube
from clusters.choices import ClusterPhase
from clusters.services import health
from clusters.services.clusters import cluster_create
from portal import stored_text


def _marked(monkeypatch):
    monkeypatch.setattr(stored_text, "gettext", lambda msgid: f"译[{msgid}]")


@pytest.mark.devcluster
def test_a_check_stores_ids_and_the_page_shows_them_translated(db, admin_kubeconfig, client, make_user, monkeypatch):
    cluster = cluster_create(name="Dev", slug="dev", kubeconfig=admin_kubeconfig)
    with translation.override("zh-hans"):  # whoever pressed "Check now" changes nothing stored
        cluster = health.cluster_health_check(cluster=cluster)
    assert cluster.phase == ClusterPhase.READY, cluster.conditions
    scheduler = next(c for c in cluster.health["components"] if c["name"] == "kube-scheduler")
    assert scheduler["detail"].startswith("leader ")  # English for readers from before
    lease = scheduler["detail_i18n"]
    assert lease["msgid"] == "leader %(holder)s, renewed %(seconds)ss ago"
    assert isinstance(lease["params"]["seconds"], int) and lease["params"]["holder"]
    ingress = next(a for a in cluster.health["addons"] if a["name"] == "Ingress controller")
    assert ingress["name_i18n"] == {"msgid": "Ingress controller", "params": {}}
    core_dns = next(a for a in cluster.health["addons"] if a["name"] == "CoreDNS")
    assert "name_i18n" not in core_dns  # a product's name stays as it is

    _marked(monkeypatch)
    client.force_login(make_user("root", staff=True))
    client.cookies["django_language"] = "zh-hans"
    html = client.get(f"/clusters/{cluster.slug}/").content.decode()
    holder, seconds = lease["params"]["holder"], lease["params"]["seconds"]
    assert f"译[leader {holder}, renewed {seconds}s ago]" in html
    assert "<th>译[Ingress controller]</th>" in html
    assert "<th>CoreDNS</th>" in html


def test_why_a_cluster_is_degraded_is_stored_as_an_id_and_shown_translated(monkeypatch):
    probe = {"ready": True, "readyz": [], "components": [{"name": "kube-scheduler", "status": health.UNHEALTHY}]}
    phase, message = health._phase_for(probe)
    assert phase == ClusterPhase.DEGRADED
    assert stored_text.to_json(message) == {
        "msgid": "Unhealthy: %(components)s",
        "params": {"components": "kube-scheduler"},
    }
    _marked(monkeypatch)
    condition = {
        "type": "Healthy",
        "message": "Unhealthy: kube-scheduler",
        "message_i18n": stored_text.to_json(message),
    }
    assert health.condition_shown(condition)["message"] == "译[Unhealthy: kube-scheduler]"


def test_checks_from_before_show_as_stored(monkeypatch):
    _marked(monkeypatch)
    old = {
        "ready": True,
        "components": [{"name": "kube-scheduler", "status": "healthy", "detail": "leader vm, renewed 0s ago"}],
        "addons": [{"name": "Ingress controller", "status": "absent", "detail": ""}],
    }
    shown = health.health_shown(old)
    assert shown["components"][0]["detail"] == "leader vm, renewed 0s ago"
    assert shown["addons"][0]["name"] == "Ingress controller"
    assert health.health_shown({}) == {}  # never checked: the page says so
    assert health.condition_shown({"message": "Cannot connect"})["message"] == "Cannot connect"


def test_a_clusters_refusal_keeps_its_message_id_for_later_readers():
    with translation.override("zh-hans"):  # a request in Chinese meets the error
        exc = kube.translate(TimeoutError("timed out"))
    assert exc.message == "该集群 未能及时响应。"  # shown to that request at once
    assert stored_text.to_json(exc.text) == {
        "msgid": "%(where)s did not answer in time.",
        "params": {"where": {"msgid": "the cluster", "params": {}}},
    }
    assert stored_text.english(exc.text) == "the cluster did not answer in time."


@pytest.mark.django_db
def test_an_unreachable_clusters_last_check_is_stored_as_an_id_and_shown_translated(world):
    with translation.override("zh-hans"):
        exc = kube.translate(TimeoutError("timed out"))
        health._record(world.cluster.pk, phase=ClusterPhase.UNREACHABLE, message=exc.text, probe=None, reached=False)
    world.cluster.refresh_from_db()
    (condition,) = world.cluster.conditions
    assert condition["message"] == "the cluster did not answer in time."  # English, whoever asked
    assert condition["message_i18n"]["msgid"] == "%(where)s did not answer in time."
    change = world.cluster.phase_changes.get()
    assert change.message == "the cluster did not answer in time."
    with translation.override("zh-hans"):
        assert health.condition_shown(condition)["message"] == "该集群 未能及时响应。"
        # The phase history reads it in the reader's language too.
        assert change.message_display == "该集群 未能及时响应。"
    assert change.message_display == "the cluster did not answer in time."
