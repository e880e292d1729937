"""The API token page in a real browser on a 390 px phone: choose read-only
and one team, get the token once, see its scope in the list."""

import re

import pytest

from portal.roles import TeamRole
from portal.teams import Membership
from rbac.models import ApiToken

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 900}


def test_it_makes_a_read_only_token_for_one_team_on_a_phone(world, page, login, tmp_path):
    Membership.objects.create(team=world.team_b, user=world.owner, role=TeamRole.VIEWER)
    page.set_viewport_size(PHONE)
    login(page, world.owner)
    page.goto("/tokens/")
    page.fill("input[name=name]", "ci-read")
    page.check("input[name=access][value=read]")
    page.check(f"input[name=teams][value='{world.team_a.pk}']")
    page.click("form.objectform button[type=submit]")
    key = page.inner_text("#new-token")
    assert re.fullmatch(r"kpt_\S{40,}", key)
    assert "Authorization: Bearer <token>" in page.inner_text(".callout")
    token = ApiToken.objects.get(user=world.owner, name="ci-read")
    assert token.read_only and list(token.teams.all()) == [world.team_a]
    row = page.locator("table.objects tr", has_text="ci-read")
    assert "Read only" in row.inner_text() and "team-a" in row.inner_text()
    # Nothing wider than the phone: the key wraps, the table scrolls in its own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(tmp_path / "tokens.png"), full_page=True)
