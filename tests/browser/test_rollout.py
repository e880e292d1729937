"""In a real browser on a 390 px phone, against the devcluster: a Deployment's
page scales it, sets a new image and rolls it back from the revision history,
and the page (with its history table) fits the screen."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.devcluster, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
OLD, NEW = "nginx:1.27", "nginx:1.28"


def test_scale_set_image_and_roll_back_on_the_page(world, page, login, ready_namespace):
    from clusters import kube
    from tests.support.wait import wait_for
    from workloads import columns, objects, services
    from workloads.actions.rollout import rollout_status
    from workloads.kinds import KINDS

    deployments = KINDS["deployments"]
    namespace, cluster = ready_namespace, ready_namespace.cluster
    name = "a-web-server-with-a-rather-long-name"
    services.live_apply(user=world.developer, namespace=namespace, documents=[deployments.template(name)])

    def deployment():
        with kube.client_for(cluster) as client:
            return objects.get_object(client, deployments, namespace.name, name)

    def rolled_out(image, replicas):
        obj = deployment()
        done = rollout_status(obj)["done"] and columns.images(obj) == image
        return done and obj["status"].get("availableReplicas") == replicas

    wait_for(lambda: rolled_out(OLD, 1), 90, 0.5, what="the first rollout")

    login(page, world.developer)
    page.set_viewport_size(PHONE)
    detail = f"/workloads/namespaces/{namespace.pk}/deployments/{name}/"
    page.goto(detail)
    assert page.locator("#rollout [data-state]").get_attribute("data-state") == "complete"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.locator("#scale-form").get_by_label("Replicas").fill("2")
    page.locator("#scale-form").get_by_role("button", name="Scale").click()
    page.locator(".messages").get_by_text(f"Scaled Deployment {name} to 2.").wait_for()
    wait_for(lambda: rolled_out(OLD, 2), 90, 0.5, what="two replicas")

    form = page.locator("#set-image-form")
    assert form.get_by_label("Container").input_value() == name
    assert form.get_by_label("Image").input_value() == OLD
    form.get_by_label("Image").fill(NEW)
    form.get_by_label("Max surge").fill("1")
    form.get_by_role("button", name="Set image").click()
    page.locator(".messages").get_by_text(f"Set the image of {name} to {NEW}").wait_for()
    wait_for(lambda: rolled_out(NEW, 2), 90, 0.5, what="the new image's rollout")

    # The history shows both revisions; the earlier one has a button to go back to it.
    page.goto(detail)
    assert page.locator('#revisions tr[data-revision="2"]').get_attribute("class") == "current"
    assert NEW in page.locator('#revisions tr[data-revision="2"]').inner_text()
    box = page.locator("#history .scrollbox").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator("#rollback-1").click()
    page.locator(".messages").get_by_text(f"Rolling {name} back to revision 1 ({OLD}).").wait_for()
    wait_for(lambda: rolled_out(OLD, 2), 90, 0.5, what="the rollback's rollout")

    page.goto(detail)
    current = page.locator('#revisions tr[data-revision="3"]')
    assert current.get_attribute("class") == "current" and OLD in current.inner_text()
    assert f"image: {OLD}" in page.locator("#object-yaml").inner_text()
