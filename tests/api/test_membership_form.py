"""The browsable API's membership form takes a typed username: it must not
list the portal's accounts to whoever may open it."""

import pytest

OTHERS = ("staff-zeta-root", "lurker-omega")


@pytest.fixture
def others(world, make_user):
    return [make_user(OTHERS[0], staff=True), make_user(OTHERS[1])]


def _page(api, user, url):
    response = api.as_(user).get(url, HTTP_ACCEPT="text/html")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def test_it_lists_no_usernames_in_the_create_form(world, api, others):
    page = _page(api, world.owner, "/api/v1/memberships/")
    assert 'name="user"' in page  # the form is there, as a text input
    for username in OTHERS:
        assert username not in page


def test_it_lists_no_usernames_in_the_edit_form(world, api, others):
    membership = world.team_a.memberships.get(user=world.viewer)
    page = _page(api, world.owner, f"/api/v1/memberships/{membership.pk}/")
    assert 'name="user"' in page and 'value="viewer"' in page
    for username in OTHERS:
        assert username not in page


def test_it_still_takes_and_gives_a_username(world, api, others):
    client = api.as_(world.owner)
    created = client.post("/api/v1/memberships/", {"team": "team-a", "user": "lurker-omega", "role": "viewer"})
    assert created.status_code == 201, created.content
    assert created.json()["user"] == "lurker-omega"
    missing = client.post("/api/v1/memberships/", {"team": "team-a", "user": "nobody-here", "role": "viewer"})
    assert missing.status_code == 400
    assert "user" in missing.json()["errors"]
