"""In a real browser on a 390 px phone, against the devcluster: a Deployment
created from its form (preview, then create), and a YAML edit the API server
refuses, its message on the page and the user's text kept."""

import re
import uuid

import pytest
import yaml

pytestmark = [pytest.mark.browser, pytest.mark.devcluster, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def ready_namespace(world, devcluster, portal_cleanup):
    from clusters.services.clusters import cluster_create
    from rbac.choices import NamespacePhase
    from rbac.models import TeamNamespace
    from rbac.reconcile import reconcile_cluster

    cluster = cluster_create(name="Dev", slug="dev", kubeconfig=yaml.safe_dump(devcluster.admin_kubeconfig_dict()))
    world.team_a.allowed_clusters.add(cluster)
    namespace = TeamNamespace.objects.create(
        team=world.team_a,
        cluster=cluster,
        name=f"br-c-{uuid.uuid4().hex[:6]}",
        plan=world.plan,
        phase=NamespacePhase.PROVISIONING,
    )
    reconcile_cluster(cluster=cluster, only=[namespace.pk])
    namespace.refresh_from_db()
    assert namespace.phase == NamespacePhase.READY, namespace.conditions
    return namespace


def _live(namespace, plural, name):
    from clusters import kube
    from workloads import objects
    from workloads.kinds import KINDS

    with kube.client_for(namespace.cluster) as client:
        try:
            return objects.get_object(client, KINDS[plural], namespace.name, name)
        except kube.KubeNotFound:
            return None


def test_a_deployment_from_its_form_preview_then_create(world, page, login, ready_namespace):
    login(page, world.developer)
    page.set_viewport_size(PHONE)
    page.goto(f"/workloads/namespaces/{ready_namespace.pk}/deployments/")
    page.locator("#kind-create").click()
    page.wait_for_url("**/deployments/new/form/")
    form = page.locator("#create-form")
    form.get_by_label("Name:", exact=True).fill("web")
    form.get_by_label("Image:", exact=True).fill("nginx:1.27")
    form.get_by_label("Replicas:", exact=True).fill("1")
    form.get_by_label("Environment:", exact=True).fill("GREETING=hello")
    for label, value in (
        ("CPU request:", "50m"),
        ("CPU limit:", "100m"),
        ("Memory request:", "32Mi"),
        ("Memory limit:", "64Mi"),
    ):
        form.get_by_label(label, exact=True).fill(value)
    page.locator("#id_ports-0-name").fill("http")
    page.locator("#id_ports-0-port").fill("8080")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#create-manifests")
    assert "containerPort: 8080" in preview.inner_text() and "GREETING" in preview.inner_text()
    assert _live(ready_namespace, "deployments", "web") is None  # a dry run only

    page.locator("#create-form").get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r".*/deployments/web/$"))
    assert "Created Deployment web" in page.locator(".messages").inner_text()
    container = _live(ready_namespace, "deployments", "web")["spec"]["template"]["spec"]["containers"][0]
    assert container["ports"][0]["containerPort"] == 8080
    assert container["resources"]["requests"] == {"cpu": "50m", "memory": "32Mi"}


def test_a_yaml_edit_the_api_server_refuses_shows_its_message(world, page, login, ready_namespace):
    from workloads import services
    from workloads.kinds import KINDS

    services.live_apply(
        user=world.developer, namespace=ready_namespace, documents=[KINDS["deployments"].template("web")]
    )
    login(page, world.developer)
    page.set_viewport_size(PHONE)
    page.goto(f"/workloads/namespaces/{ready_namespace.pk}/deployments/web/")
    page.locator("#page-edit").click()
    page.wait_for_url("**/deployments/web/edit/")
    editor = page.locator("#edit-manifest")
    text = editor.input_value()
    assert "replicas: 1" in text and "managedFields" not in text
    invalid = text.replace("replicas: 1", "replicas: -3")
    editor.fill(invalid)
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/deployments/web/edit/apply/")
    assert "must be greater than or equal to 0" in page.locator("#edit").inner_text()
    assert page.locator("#edit-manifest").input_value() == invalid  # the user's text is kept
    assert _live(ready_namespace, "deployments", "web")["spec"]["replicas"] == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
