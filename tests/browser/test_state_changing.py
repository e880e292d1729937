"""In a real browser, against the devcluster: a team namespace's page shows
Provisioning, then Ready with its quota and resources once the reconciler
has converged it, without anyone reloading the page; then it stops polling.
No console error, no request leaves the portal's origin."""

import uuid

import pytest

from rbac.choices import NamespacePhase
from rbac.models import TeamNamespace
from rbac.reconcile import reconcile_cluster
from tests.support import live

pytestmark = [pytest.mark.browser, pytest.mark.devcluster, pytest.mark.django_db(transaction=True)]


def test_a_namespace_page_follows_provisioning_to_ready(world, page, login, dev_cluster, live_server):
    namespace = TeamNamespace.objects.create(
        team=world.team_a,
        cluster=dev_cluster,
        name=f"br-live-{uuid.uuid4().hex[:6]}",
        plan=world.plan,
        phase=NamespacePhase.PROVISIONING,
    )
    errors, foreign, polls = [], [], []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("request", lambda request: request.url.startswith(live_server.url) or foreign.append(request.url))
    page.on("response", lambda response: "/live/" in response.url and polls.append(response.status))
    login(page, world.owner)
    page.goto(f"/teams/namespaces/{namespace.pk}/")
    assert page.locator("#namespace-phase").inner_text() == "Provisioning"
    assert page.locator("#resources").count() == 0
    page.evaluate("window.portalNotReloaded = true")
    page.wait_for_function("() => document.querySelector('#namespace-live').hasAttribute('hx-trigger')")

    # What the reconcile task does once the namespace is approved.
    reconcile_cluster(cluster=dev_cluster, only=[namespace.pk])
    namespace.refresh_from_db()
    assert namespace.phase == NamespacePhase.READY, namespace.conditions

    page.locator("#namespace-phase", has_text="Ready").wait_for(timeout=15_000)
    page.locator("#resources").wait_for(timeout=5_000)
    assert page.evaluate("window.portalNotReloaded") is True
    assert page.locator("#quota .bar").count() > 0
    assert "Reconciled" in page.locator("#status").inner_text()
    assert not page.locator("#namespace-live").get_attribute("hx-trigger")
    assert page.locator("#live-note").count() == 0
    assert polls and polls[-1] == 286 and all(status == 200 for status in polls[:-1])
    # Polling has stopped: no further request in the next polling periods.
    count = len(polls)
    page.wait_for_timeout(4_000)
    assert len(polls) == count
    assert errors == [] and foreign == []


def test_a_cluster_never_checked_is_checked_in_the_background_while_its_page_waits(
    world, page, login, dev_cluster, workers, admin
):
    """The page asks a real worker for the first check; the phase and the
    node rows arrive on the page by themselves."""
    workers()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    login(page, world.admin)
    page.goto(f"/clusters/{dev_cluster.slug}/")
    assert page.locator("#cluster-phase").inner_text() == "Pending"
    assert page.locator("#live-note").count() == 1
    page.evaluate("window.portalNotReloaded = true")

    page.locator("#cluster-phase", has_text="Ready").wait_for(timeout=30_000)
    page.locator("#live-note").wait_for(state="detached", timeout=10_000)
    assert page.evaluate("window.portalNotReloaded") is True
    ready, total = live.node_counts(admin.core)
    assert page.locator("#nodes tbody tr").count() == total
    assert "kube-scheduler" in page.locator("#control-plane").inner_text()
    assert page.locator("#phase-history tbody tr", has_text="Ready").count() == 1
    assert not page.locator("#cluster-live").get_attribute("hx-trigger")
    assert errors == []


def test_a_deployment_page_follows_its_rollout_to_the_end(world, page, login, ready_namespace):
    """A rollout that cannot finish (no node matches) shows Progressing; once
    it can, the page shows it complete by itself and stops polling."""
    from workloads import services
    from workloads.kinds import KINDS

    def apply(node_selector):
        document = KINDS["deployments"].template("rolling")
        document["spec"]["template"]["spec"]["nodeSelector"] = node_selector
        services.live_apply(user=world.developer, namespace=ready_namespace, documents=[document])

    apply({"portal.test/nowhere": "true"})
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    login(page, world.developer)
    page.goto(f"/workloads/namespaces/{ready_namespace.pk}/deployments/rolling/")
    assert page.locator("#rollout [data-state]").get_attribute("data-state") == "progressing"
    assert page.locator("#live-note").count() == 1
    page.evaluate("window.portalNotReloaded = true")

    apply({})
    page.locator('#rollout [data-state="complete"]').wait_for(timeout=60_000)
    page.locator("#live-note").wait_for(state="detached", timeout=10_000)
    assert page.evaluate("window.portalNotReloaded") is True
    assert not page.locator("#detail-live").get_attribute("hx-trigger")
    assert "nodeSelector" not in page.locator("#object-yaml").inner_text()
    assert errors == []
