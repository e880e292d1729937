"""In a real browser on a 390 px phone, against the devcluster: a Deployment
created from its form (preview, then create), and a YAML edit the API server
refuses, its message on the page and the user's text kept; then an edit of a
label another tool set: that tool and the field named, and taken over."""

import re

import pytest
import yaml

pytestmark = [pytest.mark.browser, pytest.mark.devcluster, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


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

    # Another tool applies a label of its own; the user's edit of it names that
    # tool and the field, and the take-over applies the same text.
    from clusters import kube
    from workloads import objects

    theirs = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"tier": "theirs"}}}
    with kube.client_for(ready_namespace.cluster) as client:
        client.request_json(
            "PATCH",
            objects.object_path(KINDS["deployments"], ready_namespace.name, "web"),
            query=[("fieldManager", "other-tool"), ("force", "true")],
            body=theirs,
            content_type="application/apply-patch+yaml",
        )
    page.goto(f"/workloads/namespaces/{ready_namespace.pk}/deployments/web/edit/")
    text = page.locator("#edit-manifest").input_value()
    edited = yaml.safe_load(text)
    edited["metadata"]["labels"]["tier"] = "mine"
    mine = yaml.safe_dump(edited, sort_keys=False)
    page.locator("#edit-manifest").fill(mine)
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/deployments/web/edit/apply/")
    conflict = page.locator("#edit-field-conflict")
    assert "other-tool" in conflict.inner_text() and ".metadata.labels.tier" in conflict.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert _live(ready_namespace, "deployments", "web")["metadata"]["labels"]["tier"] == "theirs"
    page.locator("#edit-take-over").click()
    page.wait_for_url("**/deployments/web/")
    assert "taking over the fields other managers set" in page.locator(".messages").inner_text()
    assert _live(ready_namespace, "deployments", "web")["metadata"]["labels"]["tier"] == "mine"
