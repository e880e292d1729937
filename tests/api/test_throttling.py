"""API throttles: per user, per anonymous address, and a tighter budget for
minting team kubeconfigs, shared by the API action and the download page."""

import pytest
from django.test import Client

from portal.throttling import ScopedThrottle, UserThrottle
from tests.api.generic import assert_error_shape

MINT = "/api/v1/teams/team-a/kubeconfig/"
DOWNLOAD = "/teams/team-a/kubeconfig/"


@pytest.fixture
def rates(settings):
    def set_rates(**changes):
        current = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**current, **changes},
        }

    return set_rates


def _assert_throttled(response):
    body = assert_error_shape(response, 429)
    assert body["type"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_a_user_past_their_rate_gets_429_with_retry_after(world, api, rates):
    rates(user="3/minute")
    client = api.as_(world.viewer)
    for _ in range(3):
        assert client.get("/api/v1/teams/").status_code == 200
    _assert_throttled(client.get("/api/v1/teams/"))
    # Per user: another user is not slowed down by the first.
    assert api.as_(world.owner).get("/api/v1/teams/").status_code == 200


def test_an_anonymous_address_past_its_rate_gets_429(world, rates):
    rates(anon="2/minute")
    client = Client()
    for _ in range(2):
        assert client.get("/api/schema/").status_code == 200
    response = client.get("/api/schema/")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    # A forged X-Forwarded-For is not a new address.
    assert client.get("/api/schema/", HTTP_X_FORWARDED_FOR="203.0.113.77").status_code == 429


def test_minting_has_a_tighter_budget_shared_by_api_and_page(world, api, rates):
    rates(kubeconfig="2/hour")
    client = api.as_(world.owner)
    for _ in range(2):
        # The team's cluster has no credentials: answered, and counted.
        assert client.post(MINT).status_code == 409
    refused = client.post(MINT)
    assert_error_shape(refused, 429)
    assert 60 < int(refused["Retry-After"]) <= 3600
    # Reading is not minting: the user's own budget is untouched.
    assert client.get("/api/v1/teams/team-a/").status_code == 200

    page = Client()
    page.force_login(world.owner)
    download = page.post(DOWNLOAD)
    assert download.status_code == 429
    assert 60 < int(download["Retry-After"]) <= 3600
    assert "Too many requests of this kind" in download.content.decode()

    # Per user: another member still has their whole budget, from either door.
    other = Client()
    other.force_login(world.developer)
    assert other.post(DOWNLOAD).status_code == 302
    assert api.as_(world.developer).post(MINT).status_code == 409
    assert api.as_(world.developer).post(MINT).status_code == 429


def test_the_default_minting_budget_is_tighter_than_a_users(world, api):
    minting, reading = ScopedThrottle(), UserThrottle()
    minting.scope = "kubeconfig"
    allowed, per = minting.parse_rate(minting.get_rate())
    user_allowed, user_per = reading.parse_rate(reading.get_rate())
    assert allowed / per < user_allowed / user_per
    client = api.as_(world.owner)
    for _ in range(allowed):
        assert client.post(MINT).status_code == 409
    assert client.post(MINT).status_code == 429
    assert client.get("/api/v1/teams/").status_code == 200
