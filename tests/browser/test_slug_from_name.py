"""The new team form fills the slug from the name as it is typed, until the
slug is typed by hand (static/portal/slug.js)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_slug_follows_the_name_until_typed_by_hand(world, page, login):
    from portal.teams import Team

    login(page, world.admin)
    page.goto("/teams/new/")
    page.fill("#id_name", "Data Platform Zürich")
    assert page.input_value("#id_slug") == "data-platform-zurich"
    page.fill("#id_slug", "data")
    page.fill("#id_name", "Data Platform Geneva")
    assert page.input_value("#id_slug") == "data"
    page.fill("#id_slug", "")
    page.fill("#id_name", "Payments")
    assert page.input_value("#id_slug") == "payments"
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/teams/payments/")
    assert Team.objects.get(slug="payments").name == "Payments"
