"""English and Simplified Chinese: from the header switch, or from the browser."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHINESE_NAV = ["仪表盘", "集群", "主机", "团队", "工作负载", "RBAC", "作业", "审计"]


def test_it_switches_to_chinese_from_the_header(world, page, login):
    login(page, world.admin)
    page.goto("/clusters/")
    assert page.locator("nav.mainnav a").first.inner_text() == "Dashboard"
    with page.expect_navigation():
        page.select_option("select[name=language]", "zh-hans")
    assert page.url.endswith("/clusters/")
    assert page.locator("nav.mainnav a").all_inner_texts() == CHINESE_NAV
    assert page.locator("h1").inner_text() == "集群"
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.goto("/teams/")
    assert page.locator("h1").inner_text() == "团队"
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.locator("h1").inner_text() == "Teams"


def test_it_follows_a_chinese_browser_without_switching(world, make_page, login):
    page = make_page(locale="zh-CN")
    page.goto("/accounts/login/")
    assert page.locator("h1").inner_text() == "登录"
    login(page, world.developer)
    assert page.locator("nav.mainnav a").all_inner_texts() == [n for n in CHINESE_NAV if n != "主机"]
    assert page.locator("h1").inner_text() == "仪表盘"
