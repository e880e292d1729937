"""Reconcile now (API and pages) against the devcluster: a quota changed by
hand is repaired by the reconcile a team owner queues; a developer, a viewer
and another team cannot queue one; a cluster's is for platform admins."""

import pytest
from django.test import Client

from portal.models import AuditEvent
from rbac import provisioning as p
from rbac.reconcile import reconcile_cluster
from rbac.tasks import namespaces_reconcile
from tests.conftest import PASSWORD
from tests.rbac.conftest import make_team_namespace

pytestmark = pytest.mark.devcluster


@pytest.fixture
def queued(monkeypatch):
    """The reconciles queued on the broker, as (args, kwargs); `run_queued()` runs them as a worker would."""
    calls = []
    monkeypatch.setattr(namespaces_reconcile, "delay", lambda *args, **kwargs: calls.append((args, kwargs)))
    return calls


def run_queued(calls):
    for args, kwargs in calls:
        namespaces_reconcile.apply(args=args, kwargs=kwargs).get()


@pytest.fixture
def drifted(tenancy, platform_client, unique):
    """A ready namespace of team A and one of team B, each with its quota raised by hand."""
    a = make_team_namespace(tenancy, tenancy.team_a, unique("a-now"))
    b = make_team_namespace(tenancy, tenancy.team_b, unique("b-now"))
    report = reconcile_cluster(cluster=tenancy.cluster)
    assert report.failed == {}, report.failed
    for tn in (a, b):
        platform_client.core.patch_namespaced_resource_quota(p.QUOTA_NAME, tn.name, {"spec": {"hard": {"pods": "99"}}})
    return a, b


def pods_hard(client, tn) -> str:
    return client.core.read_namespaced_resource_quota(p.QUOTA_NAME, tn.name).spec.hard["pods"]


def test_a_team_owner_repairs_their_namespace_through_the_api(
    tenancy, drifted, platform_client, api, queued, django_capture_on_commit_callbacks
):
    a, b = drifted
    with django_capture_on_commit_callbacks(execute=True):
        response = api.as_(tenancy.owner).post(f"/api/v1/namespaces/{a.pk}/reconcile/")
    assert response.status_code == 202, response.content
    assert response.json() == {"cluster": tenancy.cluster.slug, "namespaces": [a.name]}
    assert queued == [((tenancy.cluster.pk,), {"only": [a.pk], "actor_id": tenancy.owner.pk})]
    assert pods_hard(platform_client, a) == "99"  # queued, not done yet

    run_queued(queued)

    assert pods_hard(platform_client, a) == "3"
    assert pods_hard(platform_client, b) == "99"  # only the one asked for
    a.refresh_from_db()
    assert a.conditions[0]["message"] == "Repaired drift."
    asked = AuditEvent.objects.get(action="teamnamespace.reconcile")
    assert (asked.actor_name, asked.result, asked.status_code, asked.target_namespace, asked.team) == (
        tenancy.owner.username,
        "success",
        202,
        a.name,
        tenancy.team_a,
    )
    repaired = AuditEvent.objects.get(action="namespace.drift_repaired", target_namespace=a.name)
    assert repaired.actor_name == tenancy.owner.username


def test_a_platform_admin_repairs_a_whole_cluster(
    tenancy, drifted, platform_client, api, queued, django_capture_on_commit_callbacks
):
    a, b = drifted
    with django_capture_on_commit_callbacks(execute=True):
        response = api.as_(tenancy.admin).post(f"/api/v1/clusters/{tenancy.cluster.slug}/reconcile/")
    assert response.status_code == 202, response.content
    assert response.json()["cluster"] == tenancy.cluster.slug
    assert {a.name, b.name} <= set(response.json()["namespaces"])

    run_queued(queued)

    assert (pods_hard(platform_client, a), pods_hard(platform_client, b)) == ("3", "3")
    event = AuditEvent.objects.get(action="cluster.reconcile")
    assert (event.actor_name, event.target_kind, event.target_name, event.result) == (
        tenancy.admin.username,
        "Cluster",
        tenancy.cluster.slug,
        "success",
    )


@pytest.mark.parametrize(("who", "status"), [("developer", 403), ("viewer", 403), ("b-owner", 404)])
def test_others_cannot_queue_a_namespaces_reconcile(
    tenancy, drifted, platform_client, api, queued, django_capture_on_commit_callbacks, who, status
):
    a, _ = drifted
    with django_capture_on_commit_callbacks(execute=True):
        response = api.as_(tenancy.users[who]).post(f"/api/v1/namespaces/{a.pk}/reconcile/")
    assert response.status_code == status, response.content
    assert queued == []
    assert pods_hard(platform_client, a) == "99"
    event = AuditEvent.objects.get(action="teamnamespace.reconcile")
    # Another team's namespace is answered 404, and recorded as a refusal.
    assert event.result == ("denied" if status == 403 else "refused")


@pytest.mark.parametrize("who", ["owner", "maintainer", "developer", "viewer"])
def test_only_platform_admins_queue_a_clusters_reconcile(tenancy, api, queued, who):
    response = api.as_(tenancy.users[who]).post(f"/api/v1/clusters/{tenancy.cluster.slug}/reconcile/")
    assert response.status_code == 403
    assert queued == []


def test_a_namespace_waiting_for_approval_has_nothing_to_reconcile(tenancy, api, queued, unique):
    waiting = make_team_namespace(tenancy, tenancy.team_a, unique("a-wait"))
    waiting.phase = "pending_approval"
    waiting.save()
    response = api.as_(tenancy.owner).post(f"/api/v1/namespaces/{waiting.pk}/reconcile/")
    assert response.status_code == 409
    assert "nothing in the cluster to reconcile" in response.json()["detail"]
    assert queued == []


def test_the_buttons_on_the_pages(tenancy, drifted, platform_client, queued, django_capture_on_commit_callbacks):
    a, b = drifted
    owner = Client()
    owner.login(username=tenancy.owner.username, password=PASSWORD)
    page = owner.get(f"/teams/namespaces/{a.pk}/").content.decode()
    assert 'id="reconcile-now"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(f"/teams/namespaces/{a.pk}/reconcile/", follow=True)
    assert response.redirect_chain[-1][0] == f"/teams/namespaces/{a.pk}/"
    assert f"Reconcile of {a.name} queued" in response.content.decode()
    run_queued(queued)
    assert pods_hard(platform_client, a) == "3"
    assert owner.post(f"/teams/namespaces/{b.pk}/reconcile/").status_code == 404
    assert owner.post(f"/teams/clusters/{tenancy.cluster.slug}/reconcile/").status_code == 403

    developer = Client()
    developer.login(username=tenancy.developer.username, password=PASSWORD)
    assert 'id="reconcile-now"' not in developer.get(f"/teams/namespaces/{a.pk}/").content.decode()
    assert developer.post(f"/teams/namespaces/{a.pk}/reconcile/").status_code == 403

    admin = Client()
    admin.login(username=tenancy.admin.username, password=PASSWORD)
    assert 'id="reconcile-now"' in admin.get(f"/clusters/{tenancy.cluster.slug}/").content.decode()
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/teams/clusters/{tenancy.cluster.slug}/reconcile/", follow=True)
    assert "team namespaces on" in response.content.decode()
    run_queued(queued)
    assert pods_hard(platform_client, b) == "3"
    results = AuditEvent.objects.filter(action__endswith=".reconcile", channel="ui").order_by("pk")
    assert [(e.actor_name, e.action, e.result) for e in results] == [
        (tenancy.owner.username, "teamnamespace.reconcile", "success"),
        (tenancy.owner.username, "teamnamespace.reconcile", "refused"),
        (tenancy.owner.username, "cluster.reconcile", "denied"),
        (tenancy.developer.username, "teamnamespace.reconcile", "denied"),
        (tenancy.admin.username, "cluster.reconcile", "success"),
    ]
