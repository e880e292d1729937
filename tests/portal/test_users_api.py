"""Users through the API: platform admins list, create, deactivate and
promote; nobody deletes; nobody locks themselves out; everyone reads /me/."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from portal.models import AuditEvent
from rbac.services import api_token_create
from tests.api.generic import assert_error_shape
from tests.conftest import PASSWORD

NEW_PASSWORD = "a-long-enough-passphrase-7"


def _user(username):
    return get_user_model().objects.get(username=username)


def test_it_lists_users_with_filters(world, api):
    client = api.as_(world.admin)
    world.viewer.is_active = False
    world.viewer.save()

    everyone = client.get("/api/v1/users/").json()
    assert {u["username"] for u in everyone["results"]} >= set(world.users)
    assert all("password" not in u for u in everyone["results"])
    staff = client.get("/api/v1/users/", {"staff": "true"}).json()["results"]
    assert [u["username"] for u in staff] == ["admin"]
    inactive = client.get("/api/v1/users/", {"active": "false"}).json()["results"]
    assert [u["username"] for u in inactive] == ["viewer"]
    named = client.get("/api/v1/users/", {"username": "OWN"}).json()["results"]
    assert [u["username"] for u in named] == ["owner"]


def test_an_admin_creates_a_user_who_can_sign_in(world, api):
    response = api.as_(world.admin).post(
        "/api/v1/users/",
        {"username": "robot", "password": NEW_PASSWORD, "email": "robot@example.test", "is_staff": False},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["username"], body["is_staff"], body["is_active"]) == ("robot", False, True)
    assert "password" not in body
    assert Client().login(username="robot", password=NEW_PASSWORD)
    event = AuditEvent.objects.get(action="user.create")
    assert (event.actor_name, event.target_kind, event.target_name, event.result) == (
        "admin",
        "User",
        "robot",
        "success",
    )
    assert event.request_summary["password"] == "[redacted]"
    assert NEW_PASSWORD not in str(event.request_summary)


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short1", "too short"), ("12345678901", "entirely numeric"), ("password123", "too common")],
)
def test_it_refuses_a_password_the_validators_refuse(world, api, password, reason):
    response = api.as_(world.admin).post("/api/v1/users/", {"username": "robot", "password": password}, format="json")
    body = assert_error_shape(response, 400)
    assert reason in " ".join(body["errors"]["password"])
    assert not get_user_model().objects.filter(username="robot").exists()


def test_it_refuses_a_duplicate_username_or_a_missing_password(world, api):
    client = api.as_(world.admin)
    body = assert_error_shape(
        client.post("/api/v1/users/", {"username": "Owner", "password": NEW_PASSWORD}, format="json"), 400
    )
    assert "username" in body["errors"]
    body = assert_error_shape(client.post("/api/v1/users/", {"username": "robot"}, format="json"), 400)
    assert "password" in body["errors"]


def test_an_admin_promotes_demotes_and_sets_a_password(world, api):
    client = api.as_(world.admin)
    url = f"/api/v1/users/{world.owner.pk}/"
    assert client.patch(url, {"is_staff": True}, format="json").json()["is_staff"] is True
    assert _user("owner").is_staff
    assert client.patch(url, {"is_staff": False}, format="json").json()["is_staff"] is False
    assert client.patch(url, {"password": NEW_PASSWORD}, format="json").status_code == 200
    assert _user("owner").check_password(NEW_PASSWORD)
    refused = client.patch(url, {"password": "short"}, format="json")
    assert "password" in assert_error_shape(refused, 400)["errors"]
    assert _user("owner").check_password(NEW_PASSWORD)
    # The username other records name the account by stays.
    client.patch(url, {"username": "renamed"}, format="json")
    assert _user("owner").pk == world.owner.pk
    events = AuditEvent.objects.filter(action="user.partial_update", target_name="owner")
    assert events.count() == 5
    assert NEW_PASSWORD not in str(list(events.values_list("request_summary", flat=True)))


def test_there_is_no_delete_only_deactivation(world, api):
    response = api.as_(world.admin).delete(f"/api/v1/users/{world.owner.pk}/")
    assert_error_shape(response, 405)
    assert _user("owner").is_active


def test_a_deactivated_users_session_and_tokens_stop_working(world, api):
    session = Client()
    assert session.login(username="owner", password=PASSWORD)
    assert session.get("/api/v1/users/me/").status_code == 200
    _, key = api_token_create(user=world.owner, name="ci", expires_in_days=None)
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert bearer.get("/api/v1/users/me/").status_code == 200

    deactivated = api.as_(world.admin).patch(f"/api/v1/users/{world.owner.pk}/", {"is_active": False}, format="json")
    assert deactivated.status_code == 200, deactivated.content

    assert session.get("/api/v1/users/me/").status_code in (401, 403)
    refused = bearer.get("/api/v1/users/me/")
    assert refused.status_code == 401
    assert "inactive" in refused.json()["detail"]
    assert not Client().login(username="owner", password=PASSWORD)

    api.as_(world.admin).patch(f"/api/v1/users/{world.owner.pk}/", {"is_active": True}, format="json")
    assert bearer.get("/api/v1/users/me/").json()["username"] == "owner"


@pytest.mark.parametrize(("field", "value"), [("is_staff", False), ("is_active", False)])
def test_an_admin_cannot_lock_themselves_out(world, api, field, value):
    response = api.as_(world.admin).patch(f"/api/v1/users/{world.admin.pk}/", {field: value}, format="json")
    body = assert_error_shape(response, 400)
    assert field in body["errors"]
    admin = _user("admin")
    assert admin.is_staff and admin.is_active
    assert AuditEvent.objects.get(action="user.partial_update").result == "invalid"


def test_an_admin_may_change_another_admin(world, api, make_user):
    other = make_user("admin2", staff=True)
    response = api.as_(world.admin).patch(f"/api/v1/users/{other.pk}/", {"is_staff": False}, format="json")
    assert response.status_code == 200
    assert not _user("admin2").is_staff


@pytest.mark.parametrize("who", ["owner", "maintainer", "developer", "viewer", "outsider"])
def test_non_admins_only_read_themselves(world, api, who):
    client = api.as_(world.users[who])
    me = client.get("/api/v1/users/me/")
    assert me.status_code == 200
    assert (me.json()["username"], me.json()["is_staff"]) == (who, False)
    assert_error_shape(client.get("/api/v1/users/"), 403)
    assert_error_shape(client.get(f"/api/v1/users/{world.admin.pk}/"), 403)
    assert_error_shape(client.post("/api/v1/users/", {"username": "x", "password": NEW_PASSWORD}, format="json"), 403)
    mine = client.patch(f"/api/v1/users/{world.users[who].pk}/", {"is_staff": True}, format="json")
    assert_error_shape(mine, 403)
    assert not _user(who).is_staff
    assert AuditEvent.objects.filter(action="user.partial_update", result="denied").count() == 1


def test_anonymous_gets_nothing(world):
    assert_error_shape(APIClient().get("/api/v1/users/me/"), 401)
    assert_error_shape(APIClient().get("/api/v1/users/"), 401)
