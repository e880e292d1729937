"""A user logs in through the form and walks the whole navigation."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAVIGATION = [
    ("Dashboard", "Dashboard"),
    ("Clusters", "Clusters"),
    ("Hosts", "Hosts"),
    ("Teams", "Teams"),
    ("Workloads", "Workloads"),
    ("RBAC", "Access"),
    ("Jobs", "Jobs"),
    ("Audit", "Audit trail"),
]
SECTION_PAGES = [("Clusters", "Nodes"), ("Hosts", "SSH credentials"), ("Teams", "Namespaces"), ("Teams", "Quota plans")]


def _assert_healthy(page, response, heading):
    assert response is not None and response.status == 200, (page.url, response and response.status)
    assert page.locator("h1").first.inner_text().strip() == heading
    text = page.content()
    for marker in ("Traceback", "Server error", "Not found", "Forbidden"):
        assert marker not in text, (page.url, marker)


def test_it_logs_in_and_walks_the_navigation(world, page, login):
    login(page, world.admin)
    assert page.locator(".username").inner_text() == "admin"
    for link, heading in NAVIGATION:
        with page.expect_navigation() as nav:
            page.locator("nav.mainnav").get_by_role("link", name=link, exact=True).click()
        _assert_healthy(page, nav.value, heading)
        assert page.locator("nav.mainnav a[aria-current=page]").inner_text() == link
    for section, sub in SECTION_PAGES:
        page.locator("nav.mainnav").get_by_role("link", name=section, exact=True).click()
        with page.expect_navigation() as nav:
            page.locator("nav.subnav").get_by_role("link", name=sub, exact=True).click()
        _assert_healthy(page, nav.value, sub)


def test_it_hides_admin_sections_from_team_members(world, page, login):
    login(page, world.developer)
    links = page.locator("nav.mainnav a").all_inner_texts()
    assert links == [link for link, _h in NAVIGATION if link != "Hosts"]
    for link, heading in NAVIGATION:
        if link == "Hosts":
            continue
        with page.expect_navigation() as nav:
            page.locator("nav.mainnav").get_by_role("link", name=link, exact=True).click()
        _assert_healthy(page, nav.value, heading)


def test_it_sends_anonymous_visitors_to_the_login_page(live_server, page):
    page.goto("/clusters/")
    assert "/accounts/login/" in page.url
    assert page.locator("h1").inner_text() == "Log in"
    assert page.locator("nav.mainnav").count() == 0
