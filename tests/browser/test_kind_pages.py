"""In a real browser on a 390 px phone, against the devcluster: a team
namespace's list of ConfigMaps fits the screen (the table scrolls in its own
box), filters by label and opens an object's YAML."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.devcluster, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_the_list_page_reads_on_a_phone(world, page, login, ready_namespace):
    from workloads import services
    from workloads.kinds import KINDS

    namespace = ready_namespace
    documents = []
    for name in ("settings-a-rather-long-name-for-a-phone", "other"):
        manifest = KINDS["configmaps"].template(name)
        manifest["metadata"]["labels"] = {"tier": name.split("-")[0]}
        documents.append(manifest)
    services.live_apply(user=world.developer, namespace=namespace, documents=documents)

    login(page, world.developer)
    page.set_viewport_size(PHONE)
    page.goto(f"/workloads/namespaces/{namespace.pk}/configmaps/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = page.locator(".scrollbox").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert page.locator('#objects tr[data-name="other"]').count() == 1

    page.get_by_label("Label selector").fill("tier=settings")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**selector=tier%3Dsettings**")
    rows = page.locator("#objects tbody tr[data-name]")
    assert rows.count() == 1
    rows.get_by_role("link").click()
    page.wait_for_url("**/configmaps/settings-a-rather-long-name-for-a-phone/")
    assert "name: settings-a-rather-long-name-for-a-phone" in page.locator("#object-yaml").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
