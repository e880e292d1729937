"""Personal API tokens: shown once, stored as a hash, usable as Bearer, revocable."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from portal.models import AuditEvent
from rbac.models import ApiToken
from rbac.services import api_token_create
from tests.api.generic import assert_error_shape


def bearer(key, keyword="Bearer"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")
    return client


@pytest.fixture
def owner_token(world):
    token, key = api_token_create(user=world.owner, name="laptop", expires_in_days=30)
    return token, key


def test_it_shows_the_token_once_and_stores_only_its_hash(world, api):
    client = api.as_(world.owner)
    response = client.post("/api/v1/tokens/", {"name": "ci", "expires_in_days": 7}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    key = body["token"]
    assert key.startswith("kpt_") and len(key) > 40
    assert body["key_prefix"] == key[: len(body["key_prefix"])]
    token = ApiToken.objects.get(pk=body["id"])
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    stored = {f.attname: str(getattr(token, f.attname)) for f in ApiToken._meta.concrete_fields}
    assert not any(key in value for value in stored.values())
    assert timedelta(days=6) < token.expires_at - timezone.now() <= timedelta(days=7)
    # Never again: neither the list nor the detail carries it.
    for url in ("/api/v1/tokens/", f"/api/v1/tokens/{token.pk}/"):
        again = client.get(url)
        assert again.status_code == 200
        assert key not in again.content.decode()
        assert "token" not in (again.json()["results"][0] if "results" in again.json() else again.json())


def test_it_defaults_the_expiry_from_settings(world, api, settings):
    settings.API_TOKEN_DEFAULT_DAYS = 90
    response = api.as_(world.owner).post("/api/v1/tokens/", {"name": "default"}, format="json")
    assert response.status_code == 201, response.content
    token = ApiToken.objects.get(pk=response.json()["id"])
    assert timedelta(days=89) < token.expires_at - timezone.now() <= timedelta(days=90)


def test_it_refuses_a_duplicate_token_name(world, api, owner_token):
    response = api.as_(world.owner).post("/api/v1/tokens/", {"name": "laptop"}, format="json")
    body = assert_error_shape(response, 400)
    assert "name" in body["errors"]


def test_another_user_may_reuse_a_token_name(world, api, owner_token):
    response = api.as_(world.developer).post("/api/v1/tokens/", {"name": "laptop"}, format="json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("keyword", ["Bearer", "Token", "bearer"])
def test_it_authenticates_with_the_token(world, owner_token, keyword):
    _, key = owner_token
    response = bearer(key, keyword).get("/api/v1/teams/")
    assert response.status_code == 200, response.content
    assert [t["slug"] for t in response.json()["results"]] == ["team-a"]


def test_it_records_token_use(world, owner_token):
    token, key = owner_token
    assert token.last_used_at is None
    assert bearer(key).get("/api/v1/clusters/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < timedelta(seconds=30)


def test_it_audits_token_requests_on_the_token_channel(world, owner_token):
    _, key = owner_token
    response = bearer(key).patch("/api/v1/teams/team-a/", {"description": "via token"}, format="json")
    assert response.status_code == 200, response.content
    event = AuditEvent.objects.latest("pk")
    assert (event.channel, event.actor_id, event.action, event.target_name, event.result) == (
        "token",
        world.owner.pk,
        "team.partial_update",
        "team-a",
        "success",
    )
    assert key not in str(event.request_summary)


def test_a_session_request_is_audited_on_the_api_channel(world, api):
    api.as_(world.owner).patch("/api/v1/teams/team-a/", {"description": "via session"}, format="json")
    assert AuditEvent.objects.latest("pk").channel == "api"


def test_a_token_acts_with_its_users_rights_only(world, owner_token):
    _, key = owner_token
    client = bearer(key)
    assert client.get("/api/v1/teams/team-b/").status_code == 404
    assert client.post("/api/v1/clusters/", {"name": "X", "slug": "x"}, format="json").status_code == 403
    assert client.get("/api/v1/hosts/").status_code == 403


@pytest.mark.parametrize(
    "header",
    [
        "Bearer kpt_unknown-token-value",
        "Bearer kpt_a kpt_b",
        "Bearer",
        "Token kpt_",
    ],
)
def test_it_refuses_bad_tokens_with_401_and_the_error_shape(world, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/clusters/")
    body = assert_error_shape(response, 401)
    assert body["type"] == "unauthenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_it_refuses_an_expired_token(world, owner_token):
    token, key = owner_token
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    body = assert_error_shape(bearer(key).get("/api/v1/clusters/"), 401)
    assert "expired" in body["detail"]


def test_it_refuses_a_revoked_token(world, api, owner_token):
    token, key = owner_token
    response = api.as_(world.owner).delete(f"/api/v1/tokens/{token.pk}/")
    assert response.status_code == 204
    body = assert_error_shape(bearer(key).get("/api/v1/clusters/"), 401)
    assert "revoked" in body["detail"]
    # Revoked, still listed (so its owner can see when it was last used).
    listed = api.as_(world.owner).get("/api/v1/tokens/").json()["results"]
    assert listed[0]["revoked_at"] is not None and listed[0]["active"] is False


def test_it_refuses_the_token_of_an_inactive_user(world, owner_token):
    _, key = owner_token
    world.owner.is_active = False
    world.owner.save()
    assert_error_shape(bearer(key).get("/api/v1/clusters/"), 401)


def test_a_refused_token_write_is_audited_as_denied(world, owner_token):
    token, key = owner_token
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = bearer(key).patch("/api/v1/teams/team-a/", {"description": "x"}, format="json")
    assert response.status_code == 401
    event = AuditEvent.objects.get(pk__gt=last)
    assert (event.result, event.actor_id, event.action) == ("denied", None, "team.partial_update")
    assert key not in str(event.request_summary)


def test_a_user_cannot_revoke_someone_elses_token(world, api, owner_token):
    token, key = owner_token
    response = api.as_(world.admin).delete(f"/api/v1/tokens/{token.pk}/")
    assert_error_shape(response, 404)
    assert bearer(key).get("/api/v1/clusters/").status_code == 200


def test_a_token_is_not_refreshed_on_every_request(world, owner_token):
    token, key = owner_token
    used = timezone.now() - timedelta(seconds=10)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=used)
    bearer(key).get("/api/v1/clusters/")
    token.refresh_from_db()
    assert token.last_used_at == used


def test_a_token_cannot_mint_another_token(world, owner_token):
    _, key = owner_token
    response = bearer(key).post("/api/v1/tokens/", {"name": "forever", "expires_in_days": None}, format="json")
    body = assert_error_shape(response, 403)
    assert "session" in body["detail"]
    assert not ApiToken.objects.filter(name="forever").exists()
    event = AuditEvent.objects.latest("pk")
    assert (event.channel, event.action, event.result) == ("token", "apitoken.create", "denied")


def test_a_token_can_revoke_itself(world, owner_token):
    token, key = owner_token
    assert bearer(key).delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    assert bearer(key).get("/api/v1/clusters/").status_code == 401
