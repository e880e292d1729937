"""The first token for automation: POST /api/v1/auth/token/ with a username
and password. Guarded like a login: one generic refusal, failures count
toward the login lockout, the password never recorded."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from portal.models import AuditEvent
from rbac.models import ApiToken
from tests.api.generic import assert_error_shape
from tests.conftest import PASSWORD

URL = "/api/v1/auth/token/"


def _obtain(username, password, name="ci", client=None, **extra):
    client = client or APIClient()
    return client.post(URL, {"username": username, "password": password, "name": name, **extra}, format="json")


def test_it_returns_a_working_token_once(world, settings):
    response = _obtain("owner", PASSWORD, expires_in_days=7)
    assert response.status_code == 201, response.content
    body = response.json()
    key = body["token"]
    token = ApiToken.objects.get(pk=body["id"])
    assert (token.user, token.name) == (world.owner, "ci")
    assert token.key_hash == ApiToken.hash_key(key)
    assert timedelta(days=6) < token.expires_at - timezone.now() <= timedelta(days=7)

    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert bearer.get("/api/v1/users/me/").json()["username"] == "owner"

    event = AuditEvent.objects.get(action="apitoken.obtain")
    assert (event.actor_name, event.result, event.status_code, event.target_kind, event.target_name) == (
        "owner",
        "success",
        201,
        "ApiToken",
        "ci",
    )
    assert event.request_summary["password"] == "[redacted]"
    assert PASSWORD not in str(event.request_summary) and key not in str(event.request_summary)


def test_it_defaults_the_expiry_and_allows_none(world, settings):
    settings.API_TOKEN_DEFAULT_DAYS = 30
    default = ApiToken.objects.get(pk=_obtain("owner", PASSWORD, name="a").json()["id"])
    assert timedelta(days=29) < default.expires_at - timezone.now() <= timedelta(days=30)
    lasting = ApiToken.objects.get(pk=_obtain("owner", PASSWORD, name="b", expires_in_days=None).json()["id"])
    assert lasting.expires_at is None


@pytest.mark.parametrize(
    ("username", "password"),
    [("owner", "wrong-password"), ("nobody-by-this-name", PASSWORD), ("inactive", PASSWORD)],
    ids=["wrong-password", "unknown-user", "inactive-user"],
)
def test_bad_credentials_get_one_generic_answer(world, make_user, username, password):
    inactive = make_user("inactive")
    inactive.is_active = False
    inactive.save()

    response = _obtain(username, password)

    body = assert_error_shape(response, 400)
    assert body["errors"] == {"non_field_errors": ["These credentials do not sign anyone in."]}
    assert not ApiToken.objects.exists()
    event = AuditEvent.objects.get(action="apitoken.obtain")
    assert (event.result, event.status_code, event.actor_name) == ("denied", 400, "")
    assert event.request_summary["username"] == username
    assert event.request_summary["password"] == "[redacted]"


def test_missing_fields_are_named(world):
    body = assert_error_shape(APIClient().post(URL, {"username": "owner"}, format="json"), 400)
    assert {"password", "name"} <= set(body["errors"])


def test_a_duplicate_token_name_is_a_field_error(world):
    assert _obtain("owner", PASSWORD).status_code == 201
    body = assert_error_shape(_obtain("owner", PASSWORD), 400)
    assert "name" in body["errors"]


def test_failures_count_toward_the_login_lockout(world, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _obtain("owner", "wrong-password").status_code == 400
    locked = _obtain("owner", "wrong-password")
    body = assert_error_shape(locked, 429)
    assert body["type"] == "throttled"
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()

    # Now even the right password is refused, here and on the login page: one count.
    assert_error_shape(_obtain("owner", PASSWORD), 429)
    assert Client().post("/accounts/login/", {"username": "owner", "password": PASSWORD}).status_code == 429
    assert not ApiToken.objects.exists()
    assert AuditEvent.objects.filter(action="apitoken.obtain.locked_out", result="denied").count() == 2


def test_failed_logins_on_the_page_lock_this_door_too(world, settings):
    settings.AXES_FAILURE_LIMIT = 2
    page = Client()
    for _ in range(2):
        page.post("/accounts/login/", {"username": "owner", "password": "wrong-password"})
    assert_error_shape(_obtain("owner", PASSWORD), 429)
    # Another address is not locked.
    assert _obtain("owner", PASSWORD, client=APIClient(REMOTE_ADDR="192.0.2.9")).status_code == 201


def test_the_door_has_its_own_tight_rate(world, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "token_obtain": "3/minute"},
    }
    for n in range(3):
        assert _obtain("owner", PASSWORD, name=f"t{n}").status_code == 201
    refused = _obtain("owner", PASSWORD, name="t3")
    assert assert_error_shape(refused, 429)["type"] == "throttled"
    assert ApiToken.objects.count() == 3


def test_a_session_or_token_is_not_needed_and_not_used(world):
    # Signed in as the admin, asking with the owner's password: the token is the owner's.
    client = APIClient()
    client.force_login(world.admin)
    response = _obtain("owner", PASSWORD, client=client)
    assert response.status_code == 201
    assert ApiToken.objects.get(pk=response.json()["id"]).user == world.owner


def test_a_read_only_token_limited_to_a_team(world):
    response = _obtain("outsider", PASSWORD, access="read", teams=["team-b"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["access"], body["teams"]) == ("read", ["team-b"])
    token = ApiToken.objects.get(pk=body["id"])
    assert (token.access, [t.slug for t in token.teams.all()]) == ("read", ["team-b"])
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert bearer.get("/api/v1/teams/team-b/").status_code == 200
    assert bearer.patch("/api/v1/teams/team-b/", {"description": "x"}, format="json").status_code == 403


def test_a_team_not_of_the_users_is_refused_as_missing(world):
    body = assert_error_shape(_obtain("outsider", PASSWORD, teams=["team-a"]), 400)
    assert body["errors"] == {"teams": ["Object with slug=team-a does not exist."]}
    assert not ApiToken.objects.exists()
    body = assert_error_shape(_obtain("outsider", PASSWORD, access="admin"), 400)
    assert "access" in body["errors"]
