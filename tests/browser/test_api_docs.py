"""The API docs (ReDoc, Swagger UI) load nothing from another origin, and
every page has an icon: no request leaves the portal's origin, no 404."""

from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def recorded(page):
    requests, errors = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return requests, errors


def elsewhere(requests, base):
    origin = urlsplit(base)[:2]
    return [url for url in requests if url.startswith("http") and urlsplit(url)[:2] != origin]


@pytest.mark.parametrize(
    ("path", "rendered"),
    [("/api/redoc/", "[role=menuitem]"), ("/api/docs/", ".opblock-tag")],
)
def test_the_api_docs_load_nothing_from_another_origin(world, page, login, live_server, path, rendered):
    login(page, world.developer)
    requests, errors = recorded(page)
    page.goto(path)
    page.locator(rendered).first.wait_for()
    # ReDoc draws its sidebar credit (where its CDN logo was) after the menu.
    page.get_by_text("API docs by Redocly").or_(page.locator(".swagger-ui .info")).first.wait_for()
    page.wait_for_load_state("networkidle")
    assert elsewhere(requests, live_server.url) == []
    assert errors == []
    assert any(url.endswith("/api/schema/") for url in requests)
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(icon).status == 200
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_every_page_names_the_portals_icon(world, page, login):
    login(page, world.developer)
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon.endswith("/portal/favicon.svg")
    response = page.request.get(icon)
    assert response.status == 200 and response.headers["content-type"] == "image/svg+xml"


def test_favicon_ico_is_the_portals_icon(live_server, page):
    response = page.request.get("/favicon.ico")
    assert response.status == 200
    assert response.headers["content-type"] == "image/x-icon"
    assert response.body()[:4] == b"\x00\x00\x01\x00"  # an ICO file
