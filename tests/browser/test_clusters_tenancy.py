"""In a real browser, against the devcluster: an admin imports it by pasting
its kubeconfig, checks it, sees it Ready with its nodes and a node's pods; a
team owner requests a namespace, it is provisioned, they deploy, the quota
bars move."""

import re
import uuid

import pytest
import yaml

from tests.support import live
from tests.support.wait import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.devcluster, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pod_on_first_node(admin, make_namespace):
    """A pod bound to the first Ready node (kwok runs it), in a namespace of its own."""
    namespace = make_namespace("browser")
    node = live.ready_node_names(admin.core)[0]
    admin.core.create_namespaced_pod(namespace, live.pod("browser-probe", node=node))
    return node, namespace


def test_an_admin_imports_the_devcluster_and_sees_it_live(world, page, login, devcluster, admin, pod_on_first_node):
    node, namespace = pod_on_first_node
    ready, total = live.node_counts(admin.core)
    doc = devcluster.admin_kubeconfig_dict()
    login(page, world.admin)
    page.goto("/clusters/new/")
    page.get_by_label("Name:", exact=True).fill("Devcluster")
    page.get_by_label("Slug:", exact=True).fill("devcluster")
    page.get_by_label("Kubeconfig:", exact=True).fill(yaml.safe_dump(doc))
    # htmx parses the paste and offers its contexts.
    page.locator("select#id_context option", has_text=doc["contexts"][0]["name"]).wait_for(state="attached")
    page.get_by_role("button", name="Check and import").click()
    page.wait_for_url("**/clusters/devcluster/")
    assert "Connected to" in page.locator(".messages").inner_text()
    assert f"{total} nodes" in page.locator(".messages").inner_text()

    page.get_by_role("button", name="Check now").click()
    page.wait_for_url("**/clusters/devcluster/")
    assert page.locator("#cluster-phase").inner_text() == "Ready"
    assert "kube-scheduler" in page.locator("#control-plane").inner_text()
    assert page.locator("#phase-history tbody tr").count() >= 1

    page.locator("nav.mainnav").get_by_role("link", name="Dashboard", exact=True).click()
    row = page.locator('tr[data-cluster="devcluster"]')
    assert row.locator(".badge").inner_text() == "Ready"
    assert row.locator(".nodes-ready").inner_text() == f"{ready}/{total}"
    assert row.locator(".bar.mini").count() == 3

    row.get_by_role("link", name="Devcluster").click()
    page.locator("#nodes").get_by_role("link", name=node, exact=True).click()
    pods = page.locator("#pods")
    pods.wait_for()
    assert "browser-probe" in pods.inner_text() and namespace in pods.inner_text()
    assert page.get_by_role("button", name="Cordon").is_visible()


def test_a_team_requests_a_namespace_deploys_and_sees_the_quota_move(world, page, login, devcluster, portal_cleanup):
    from clusters.services.clusters import cluster_create
    from portal.teams import Team
    from rbac.models import QuotaPlan, TeamNamespace
    from rbac.reconcile import reconcile_cluster

    cluster = cluster_create(
        name="Devcluster", slug="devcluster", kubeconfig=yaml.safe_dump(devcluster.admin_kubeconfig_dict())
    )
    QuotaPlan.objects.create(
        name="Tiny", slug="tiny", requests_cpu="1", limits_cpu="1", requests_memory="1Gi", limits_memory="1Gi", pods=4
    )
    Team.objects.filter(pk=world.team_a.pk).update(auto_approve_namespaces=True)
    world.team_a.allowed_clusters.add(cluster)  # a platform admin lets the team use it
    name = f"br-{uuid.uuid4().hex[:6]}"

    login(page, world.owner)
    page.goto("/teams/namespaces/new/")
    page.get_by_label("Team:", exact=True).select_option(label="Team A")
    page.get_by_label("Cluster:", exact=True).select_option(label="Devcluster")
    page.get_by_label("Name:", exact=True).fill(name)
    page.get_by_label("Quota plan:", exact=True).select_option(label="Tiny")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r".*/teams/namespaces/\d+/$"))
    assert page.locator("#namespace-phase").inner_text() == "Provisioning"

    reconcile_cluster(cluster=cluster)  # no Celery worker runs in tests
    assert TeamNamespace.objects.get(name=name).phase == "ready"
    page.reload()
    assert page.locator("#namespace-phase").inner_text() == "Ready"
    pods_row = page.locator('#quota tr[data-resource="pods"]')
    assert pods_row.locator(".used").inner_text() == "0"
    assert pods_row.locator(".bar-used").get_attribute("style") == "width: 0%"

    page.locator("#deploy-link").click()  # the Deployment form (workloads/views_create.py)
    page.wait_for_url("**/deployments/new/form/")
    form = page.locator("#create-form")
    form.get_by_label("Name:", exact=True).fill("web")
    form.get_by_label("Image:", exact=True).fill("nginx:1.27")
    form.get_by_label("Replicas:", exact=True).fill("2")
    for label, value in (("CPU request:", "250m"), ("CPU limit:", "250m")):
        form.get_by_label(label, exact=True).fill(value)
    # The plan sets no default memory: without it the quota refuses the pods,
    # and the form says so (a pod tried with a dry run) before anything is created.
    form.get_by_role("button", name="Create").click()
    assert "memory" in page.locator("#create-form .errors").inner_text()
    form = page.locator("#create-form")
    for label, value in (("Memory request:", "64Mi"), ("Memory limit:", "64Mi")):
        form.get_by_label(label, exact=True).fill(value)
    form.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r".*/deployments/web/$"))
    assert "Created Deployment web" in page.locator(".messages").inner_text()
    page.goto(f"/teams/namespaces/{TeamNamespace.objects.get(name=name).pk}/")

    def two_pods_used():
        page.reload()
        return pods_row.locator(".used").inner_text() == "2"

    wait_for(two_pods_used, 30, 0.5, what="two pods in the quota")
    assert pods_row.locator(".bar-used").get_attribute("style") == "width: 50%"
    cpu_row = page.locator('#quota tr[data-resource="requests.cpu"]')
    assert cpu_row.locator(".used").inner_text() == "500m"
