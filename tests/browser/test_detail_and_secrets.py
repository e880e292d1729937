"""In a real browser, against the devcluster: an object's page puts its summary
beside its spec on a wide screen and above it on a 390 px phone, with nothing
wider than the screen; a Secret's values appear only when asked for (the
page's script asks the API, which audits the asking) and never in the page."""

import os

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.devcluster, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1280, "height": 900}
PASSWORD = "hunter2-on-the-page"
SCREENSHOTS = os.environ.get("PORTAL_SCREENSHOTS") == "1"  # to look at the layout by eye


def test_the_detail_page_reads_on_a_phone_and_a_secret_is_revealed_on_request(world, page, login, ready_namespace):
    from portal.models import AuditEvent
    from workloads import services
    from workloads.kinds import KINDS

    namespace = ready_namespace
    name = "a-web-server-with-a-rather-long-name"
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db"},
        "stringData": {"password": PASSWORD, "user": "app"},
        "data": {"blob": "+vv8/f7/"},  # bytes 250-255: not text
    }
    services.live_apply(
        user=world.developer, namespace=namespace, documents=[KINDS["deployments"].template(name), secret]
    )

    login(page, world.developer)
    detail = f"/workloads/namespaces/{namespace.pk}/deployments/{name}/"
    page.set_viewport_size(WIDE)
    page.goto(detail)
    summary, spec = page.locator("#summary").bounding_box(), page.locator("#spec").bounding_box()
    assert spec["x"] > summary["x"] + summary["width"] - 1 and abs(spec["y"] - summary["y"]) < 2  # side by side
    if SCREENSHOTS:
        page.screenshot(path="/tmp/detail-wide.png", full_page=True)
    page.set_viewport_size(PHONE)
    page.goto(detail)
    if SCREENSHOTS:
        page.screenshot(path="/tmp/detail-phone.png", full_page=True)
    summary, spec = page.locator("#summary").bounding_box(), page.locator("#spec").bounding_box()
    assert spec["y"] >= summary["y"] + summary["height"]  # one column
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator("#events").count() == 1 and page.locator("#object-yaml").count() == 1

    page.goto(f"/workloads/namespaces/{namespace.pk}/secrets/db/")
    assert PASSWORD not in page.content()
    assert "password: (hidden)" in page.locator("#object-yaml").inner_text()
    page.locator("#reveal-form button[type=submit]").click()
    table = page.locator("#secret-values-table")
    table.wait_for()
    assert PASSWORD in table.inner_text() and "app" in table.inner_text()
    assert "+vv8/f7/ (bytes, in base64)" in table.inner_text()
    assert page.url.endswith("/secrets/db/")  # shown in place: no redirect carried the values
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    event = AuditEvent.objects.latest("pk")
    assert (event.action, event.target_name, event.result) == ("secret.reveal", "db", "success")
    assert PASSWORD not in str(event.request_summary)

    page.fill("#reveal-form input[name=key]", "nope")
    page.locator("#reveal-form button[type=submit]").click()
    page.locator("#secret-values .error").wait_for()
    assert "has no key nope" in page.locator("#secret-values .error").inner_text()
