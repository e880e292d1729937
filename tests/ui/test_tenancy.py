"""Tenancy pages without a cluster: approvals, quota change requests, the
network policy spec, deploy input, what a page says when the cluster cannot
be read. (Against the devcluster: test_tenancy_live.py.)"""

import re

import pytest

from tests.ui.test_forms import errors_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(world):
    from rbac.models import TeamNamespace

    return TeamNamespace.objects.create(team=world.team_a, cluster=world.cluster, name="team-a-new", plan=world.plan)


@pytest.fixture
def big_plan(world):
    from rbac.models import QuotaPlan

    return QuotaPlan.objects.create(name="Big", slug="big", pods=100, requests_cpu="16")


def test_it_lists_pending_requests_for_admins_with_decision_buttons(world, pending, client_as):
    html = client_as("admin").get("/teams/namespaces/pending/").content.decode()
    assert "team-a-new" in html and "team-a-dev" not in html
    assert f'action="/teams/namespaces/{pending.pk}/approve/"' in html
    assert f'action="/teams/namespaces/{pending.pk}/reject/"' in html
    detail = client_as("admin").get(f"/teams/namespaces/{pending.pk}/").content.decode()
    assert f'action="/teams/namespaces/{pending.pk}/approve/"' in detail
    owner_view = client_as("owner").get(f"/teams/namespaces/{pending.pk}/").content.decode()
    assert "/approve/" not in owner_view
    assert 'href="/teams/namespaces/pending/"' in client_as("admin").get("/teams/namespaces/").content.decode()
    assert 'href="/teams/namespaces/pending/"' not in client_as("owner").get("/teams/namespaces/").content.decode()


def test_it_approves_a_request_and_returns_to_the_list(world, pending, client_as):
    client = client_as("admin")
    response = client.post(f"/teams/namespaces/{pending.pk}/approve/", {"next": "/teams/namespaces/pending/"})
    assert response.status_code == 302 and response["Location"] == "/teams/namespaces/pending/"
    pending.refresh_from_db()
    assert pending.phase == "provisioning"
    again = client.post(f"/teams/namespaces/{pending.pk}/approve/", follow=True)
    assert "Only a namespace waiting for approval can be approved." in again.content.decode()


def test_it_rejects_a_request_with_a_reason(world, pending, client_as):
    response = client_as("admin").post(f"/teams/namespaces/{pending.pk}/reject/", {"reason": "use team-a-dev"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.phase == "rejected" and pending.conditions[0]["message"] == "use team-a-dev"
    too_long = client_as("admin").post(f"/teams/namespaces/{world.ns_a.pk}/reject/", {"reason": "x" * 1001})
    assert too_long.status_code == 400
    world.ns_a.refresh_from_db()
    assert world.ns_a.phase == "ready"


def test_it_ignores_an_unsafe_next_address(world, pending, client_as):
    response = client_as("admin").post(f"/teams/namespaces/{pending.pk}/approve/", {"next": "//evil.example/"})
    assert response["Location"] == f"/teams/namespaces/{pending.pk}/"


def test_a_maintainer_asks_for_another_plan_and_an_admin_decides(world, big_plan, client_as):
    from rbac.models import QuotaChangeRequest

    maintainer = client_as("maintainer")
    page = maintainer.get(f"/teams/namespaces/{world.ns_a.pk}/").content.decode()
    assert 'id="quota-change-form"' in page
    same = maintainer.post(f"/teams/namespaces/{world.ns_a.pk}/quota-change/", {"plan": world.plan.pk})
    assert same.status_code == 400
    assert "Select a valid choice" in same.content.decode()
    missing = maintainer.post(f"/teams/namespaces/{world.ns_a.pk}/quota-change/", {"plan": ""})
    assert missing.status_code == 400
    good = maintainer.post(
        f"/teams/namespaces/{world.ns_a.pk}/quota-change/", {"plan": big_plan.pk, "reason": "launch week"}
    )
    assert good.status_code == 302
    change = QuotaChangeRequest.objects.get()
    assert (change.plan, change.requested_by, change.reason) == (big_plan, world.maintainer, "launch week")
    twice = maintainer.post(f"/teams/namespaces/{world.ns_a.pk}/quota-change/", {"plan": big_plan.pk})
    assert twice.status_code == 400
    assert "already waiting for a decision" in twice.content.decode()
    assert QuotaChangeRequest.objects.count() == 1

    assert (
        client_as("maintainer").post(f"/teams/quota-changes/{change.pk}/decide/", {"decision": "approve"}).status_code
        == 403
    )
    assert (
        client_as("outsider").post(f"/teams/quota-changes/{change.pk}/decide/", {"decision": "approve"}).status_code
        == 404
    )
    queue = client_as("admin").get("/teams/namespaces/pending/").content.decode()
    assert f'action="/teams/quota-changes/{change.pk}/decide/"' in queue
    decided = client_as("admin").post(f"/teams/quota-changes/{change.pk}/decide/", {"decision": "approve"})
    assert decided.status_code == 302
    world.ns_a.refresh_from_db()
    assert world.ns_a.plan == big_plan
    late = client_as("admin").post(f"/teams/quota-changes/{change.pk}/decide/", {"decision": "reject"}, follow=True)
    assert "This request has already been decided." in late.content.decode()


def test_it_rejects_a_quota_change(world, big_plan, client_as):
    from rbac.models import QuotaChangeRequest

    client_as("owner").post(f"/teams/namespaces/{world.ns_a.pk}/quota-change/", {"plan": big_plan.pk})
    change = QuotaChangeRequest.objects.get()
    client_as("admin").post(f"/teams/quota-changes/{change.pk}/decide/", {"decision": "reject"})
    change.refresh_from_db()
    world.ns_a.refresh_from_db()
    assert change.status == "rejected" and world.ns_a.plan == world.plan


def test_it_edits_the_network_policy_spec(world, big_plan, client_as):
    client = client_as("maintainer")
    form = client.get(f"/teams/namespaces/{world.ns_a.pk}/edit/").content.decode()
    assert 'name="ingress_from_namespaces"' in form and 'name="plan"' not in form
    url = f"/teams/namespaces/{world.ns_a.pk}/edit/"
    bad = client.post(url, {"network_isolated": "on", "ingress_from_namespaces": "monitoring\nBad_Name"})
    assert bad.status_code == 400
    assert "Bad_Name is not a namespace name" in bad.content.decode()
    world.ns_a.refresh_from_db()
    assert world.ns_a.ingress_from_namespaces == []
    # A maintainer cannot change the plan here (that is a quota change request).
    good = client.post(
        url, {"network_isolated": "on", "ingress_from_namespaces": "monitoring, ingress-nginx", "plan": big_plan.pk}
    )
    assert good.status_code == 302
    world.ns_a.refresh_from_db()
    assert world.ns_a.ingress_from_namespaces == ["monitoring", "ingress-nginx"]
    assert world.ns_a.plan == world.plan and world.ns_a.network_isolated
    page = client.get(f"/teams/namespaces/{world.ns_a.pk}/").content.decode()
    assert "<code>monitoring</code>" in page
    off = client.post(url, {"ingress_from_namespaces": ""})
    assert off.status_code == 302
    world.ns_a.refresh_from_db()
    assert not world.ns_a.network_isolated and world.ns_a.ingress_from_namespaces == []
    # A platform admin may move the plan directly.
    assert 'name="plan"' in client_as("admin").get(url).content.decode()
    client_as("admin").post(url, {"network_isolated": "on", "plan": big_plan.pk})
    world.ns_a.refresh_from_db()
    assert world.ns_a.plan == big_plan


def test_it_says_when_the_cluster_cannot_be_read(world, client_as):
    page = client_as("developer").get(f"/teams/namespaces/{world.ns_a.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="quota-error"' in html and "The quota cannot be read from cluster Prod right now" in html
    assert "has no credentials" in html
    assert 'id="pods-error"' in html
    # Spec next to status, and the link to the Deployment form for an editing role.
    assert 'id="spec"' in html and 'id="status"' in html
    assert 'id="deploy-link"' in html
    assert 'id="deploy-link"' not in client_as("viewer").get(f"/teams/namespaces/{world.ns_a.pk}/").content.decode()


def test_it_shows_drift_repairs_apart_from_the_other_conditions(world, client_as):
    from rbac.models import TeamNamespace

    TeamNamespace.objects.filter(pk=world.ns_a.pk).update(
        conditions=[
            {"type": "Reconciled", "status": "True", "message": "Repaired drift.", "changes": [], "at": "t2"},
            {"type": "DriftRepaired", "changes": ["ResourceQuota/team-a-dev/portal-quota"], "at": "t1"},
        ]
    )
    html = client_as("viewer").get(f"/teams/namespaces/{world.ns_a.pk}/").content.decode()
    drift = re.search(r'<ul class="drift" id="drift-repairs">(.*?)</ul>\s*</section>', html, re.S).group(1)
    assert "ResourceQuota/team-a-dev/portal-quota" in drift
    assert "Repaired drift." in html


def test_it_refuses_bad_deploy_input_and_viewers(world, client_as):
    """The namespace page links the Deployment form, which checks its fields
    before any cluster is asked."""
    url = f"/workloads/namespaces/{world.ns_a.pk}/deployments/new/form/"
    namespace_page = client_as("developer").get(f"/teams/namespaces/{world.ns_a.pk}/").content.decode()
    assert f'id="deploy-link" href="{url}"' in namespace_page
    assert client_as("viewer").post(url, {"name": "web", "image": "nginx", "create": "1"}).status_code == 403
    assert client_as("outsider").post(url, {"name": "web", "image": "nginx", "create": "1"}).status_code == 404
    bad = client_as("developer").post(
        url, {"name": "Web_1", "image": "has space", "replicas": "-1", "cpu_request": "lots", "create": "1"}
    )
    html = bad.content.decode()
    assert bad.status_code == 400
    assert len(errors_of(html)) == 4, errors_of(html)
    assert "lots is not a Kubernetes quantity" in html
    unreachable = client_as("developer").post(url, {"name": "web", "image": "nginx", "replicas": "1", "create": "1"})
    assert unreachable.status_code == 502
    assert "has no credentials" in unreachable.content.decode()


def test_it_sums_the_team_quota_from_what_was_observed(world, client_as):
    from rbac.models import TeamNamespace

    TeamNamespace.objects.create(
        team=world.team_a,
        cluster=world.cluster,
        name="team-a-prod",
        plan=world.plan,
        phase="ready",
        observed={
            "quota": {"hard": {"pods": "20", "requests.cpu": "2"}, "used": {"pods": "5", "requests.cpu": "500m"}}
        },
    )
    TeamNamespace.objects.filter(pk=world.ns_a.pk).update(
        observed={"quota": {"hard": {"pods": "20", "requests.cpu": "2"}, "used": {"pods": "15", "requests.cpu": "1"}}}
    )
    html = client_as("viewer").get("/teams/team-a/").content.decode()
    totals = re.search(r'<div id="team-quota">(.*?)</div>\s*(?:<h2|{)', html, re.S).group(1)
    assert re.search(
        r'data-resource="pods".*?<span class="used">20</span> / <span class="hard">40</span>', totals, re.S
    )
    assert re.search(
        r'data-resource="requests.cpu".*?<span class="used">1.5</span> / <span class="hard">4</span>', totals, re.S
    )
    assert "Summed over 2 namespaces" in html


def test_it_explains_why_a_kubeconfig_cannot_be_made(world, client_as):
    client = client_as("developer")
    assert 'id="kubeconfig-form"' in client.get("/teams/team-a/").content.decode()
    response = client.post("/teams/team-a/kubeconfig/", follow=True)
    assert "Cluster Prod has no credentials" in response.content.decode()
    assert client.get("/teams/team-a/kubeconfig/").status_code == 405
    assert client_as("outsider").post("/teams/team-a/kubeconfig/").status_code == 404
    admin = client_as("admin").post("/teams/team-a/kubeconfig/", follow=True)
    assert "Only members of Team A can download its kubeconfig." in admin.content.decode()


def test_the_namespace_delete_page_says_what_it_deletes(world, pending, client_as):
    ready = client_as("owner").get(f"/teams/namespaces/{world.ns_a.pk}/delete/").content.decode()
    assert "every workload" in ready
    withdraw = client_as("owner").get(f"/teams/namespaces/{pending.pk}/delete/").content.decode()
    assert "nothing exists in the cluster yet" in withdraw
    wrong = client_as("owner").post(f"/teams/namespaces/{world.ns_a.pk}/delete/", {"confirm": "nope"})
    assert wrong.status_code == 400
    world.ns_a.refresh_from_db()
    assert world.ns_a.phase == "ready"


def test_a_namespace_request_shows_the_policy_errors(world, client_as):
    from portal.teams import Team

    Team.objects.filter(pk=world.team_a.pk).update(max_namespaces=1)
    response = client_as("owner").post(
        "/teams/namespaces/new/",
        {"team": world.team_a.pk, "cluster": world.cluster.pk, "plan": world.plan.pk, "name": "team-a-more"},
    )
    assert response.status_code == 400
    assert "The team&#x27;s namespace limit is reached." in response.content.decode()
