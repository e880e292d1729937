"""Scoped API tokens: read-only tokens change nothing, team-limited tokens reach
only their teams (a platform admin's acting as a member of those teams only),
and the scope is chosen, shown and checked when the token is made.

The clusters' own refusal of a team-limited token's identity is tested
against the devcluster in tests/rbac/test_token_scope_live.py.
"""

import re

import pytest
from django.test import Client
from django.urls import resolve
from django.utils.dateformat import format as date_format
from django.utils.timezone import localtime
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from clusters.models import Cluster
from jobs.models import Job
from portal.audit import audit_record
from portal.errors import PortalError
from portal.models import AuditEvent
from portal.roles import TeamRole
from portal.teams import Membership, Team
from rbac.authentication import scoped_user
from rbac.identity import identity_for, team_role_group
from rbac.models import ApiToken, QuotaChangeRequest, QuotaPlan, TeamNamespace
from rbac.services import api_token_create
from tests.api.generic import assert_error_shape

UNSAFE = ("post", "put", "patch", "delete")
# Every app that serves the API: each must have writes the read-only rule covers.
APPS = {"clusters", "hosts", "jobs", "rbac", "workloads"}


def bearer(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def token_for(user, *, access="write", teams=(), name="scoped"):
    return api_token_create(user=user, name=name, expires_in_days=30, access=access, teams=teams)


def unsafe_operations():
    """(path, method) of every documented write, path parameters filled in
    with a value their URL pattern accepts (the rule refuses before any
    lookup, so nothing needs to exist)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in sorted(schema["paths"].items()):
        for method in operations:
            if method in UNSAFE:
                yield re.sub(r"\{([^}]+)\}", _placeholder, path), method


def _placeholder(match) -> str:
    # Ids are digits; slugs, names, kinds and actions take letters.
    return "1" if match[1] in ("id", "pk") or match[1].endswith(("_id", "_pk")) else "a"


# --- read-only tokens -------------------------------------------------------------


def test_a_read_only_token_is_refused_every_write_of_the_api(world):
    token, key = token_for(world.admin, access="read")
    client = bearer(key)
    counts = {model: model.objects.count() for model in (Team, Membership, TeamNamespace, Cluster, QuotaPlan, Job)}
    apps, refused = set(), []
    operations = list(unsafe_operations())
    for path, method in operations:
        before = AuditEvent.objects.count()
        response = getattr(client, method)(path, {}, format="json")
        apps.add(resolve(path).func.cls.__module__.split(".")[0])
        if response.status_code != 403 or "read-only" not in response.json().get("detail", ""):
            refused.append((method, path, response.status_code))
            continue
        assert_error_shape(response, 403)
        event = AuditEvent.objects.order_by("pk").last()
        assert AuditEvent.objects.count() == before + 1, (method, path)
        assert (event.actor_id, event.channel, event.result, event.status_code) == (
            world.admin.pk,
            "token",
            "denied",
            403,
        ), (method, path)
    assert refused == [], refused
    assert APPS <= apps, apps
    assert len(operations) > 40
    assert counts == {model: model.objects.count() for model in counts}
    # Refusals are not uses that change the token either.
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_read_only_token_reads(world):
    _, key = token_for(world.admin, access="read")
    client = bearer(key)
    for path in ("/api/v1/teams/", "/api/v1/clusters/", "/api/v1/hosts/", "/api/v1/namespaces/", "/api/v1/jobs/"):
        assert client.get(path).status_code == 200, path
    assert client.head("/api/v1/teams/").status_code == 200
    assert client.options("/api/v1/teams/").status_code == 200


def test_a_read_only_token_is_refused_an_html_form_post_too(world):
    _, key = token_for(world.owner, access="read")
    response = Client().post("/tokens/", {"name": "x", "access": "write"}, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 403
    assert not ApiToken.objects.filter(name="x").exists()


def test_a_read_write_token_still_writes(world):
    _, key = token_for(world.owner)
    response = bearer(key).patch("/api/v1/teams/team-a/", {"description": "by token"}, format="json")
    assert response.status_code == 200, response.content


def test_an_expired_or_revoked_read_only_token_is_refused_as_unauthenticated(world):
    from datetime import timedelta

    from django.utils import timezone

    expired, expired_key = token_for(world.owner, access="read", name="old")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked, revoked_key = token_for(world.owner, access="read", name="gone")
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    for key, word in ((expired_key, "expired"), (revoked_key, "revoked")):
        for method in ("get", "post"):
            body = assert_error_shape(getattr(bearer(key), method)("/api/v1/teams/", {}, format="json"), 401)
            assert word in body["detail"]


# --- team-limited tokens ------------------------------------------------------------


@pytest.fixture
def two_teams(world, make_user):
    """A user who owns team A and develops in team B, with a record of each
    kind in team B that a token limited to team A must not reach."""
    both = make_user("both")
    Membership.objects.create(team=world.team_a, user=both, role=TeamRole.OWNER)
    Membership.objects.create(team=world.team_b, user=both, role=TeamRole.DEVELOPER)
    other_plan = QuotaPlan.objects.create(name="Large", slug="large")
    world.quota_change_b = QuotaChangeRequest.objects.create(
        namespace=world.ns_b, plan=other_plan, previous_plan=world.plan, requested_by=world.outsider
    )
    world.job_b = Job.objects.create(kind="noop", title="B's job", team=world.team_b)
    world.job_a = Job.objects.create(kind="noop", title="A's job", team=world.team_a)
    world.both = both
    return world


def _listed(client, path, key):
    response = client.get(path)
    assert response.status_code == 200, response.content
    return sorted(str(row[key]) for row in response.json()["results"])


def test_a_token_limited_to_team_a_reads_team_a_only(two_teams):
    w = two_teams
    _, key = token_for(w.both, teams=[w.team_a])
    client = bearer(key)
    assert _listed(client, "/api/v1/teams/", "slug") == ["team-a"]
    assert client.get("/api/v1/teams/team-b/").status_code == 404
    assert _listed(client, "/api/v1/namespaces/", "id") == [str(w.ns_a.pk)]
    assert client.get(f"/api/v1/namespaces/{w.ns_b.pk}/").status_code == 404
    assert client.get(f"/api/v1/namespaces/{w.ns_b.pk}/quota/").status_code == 404
    assert {row["team"] for row in client.get("/api/v1/memberships/").json()["results"]} == {"team-a"}
    assert _listed(client, "/api/v1/quota-changes/", "id") == []
    assert client.get(f"/api/v1/quota-changes/{w.quota_change_b.pk}/").status_code == 404
    assert _listed(client, "/api/v1/jobs/", "id") == [str(w.job_a.pk)]
    assert client.get(f"/api/v1/jobs/{w.job_b.pk}/").status_code == 404
    assert client.get(f"/api/v1/jobs/{w.job_b.pk}/events/").status_code == 404


def test_the_same_user_signed_in_reads_both_teams(two_teams, api):
    w = two_teams
    client = api.as_(w.both)
    assert _listed(client, "/api/v1/teams/", "slug") == ["team-a", "team-b"]
    assert client.get(f"/api/v1/jobs/{w.job_b.pk}/").status_code == 200


def test_an_unlimited_token_reaches_all_its_owners_teams(two_teams):
    _, key = token_for(two_teams.both)
    assert _listed(bearer(key), "/api/v1/teams/", "slug") == ["team-a", "team-b"]


def test_a_token_limited_to_team_a_cannot_write_to_team_b(two_teams):
    w = two_teams
    _, key = token_for(w.both, teams=[w.team_a])
    client = bearer(key)
    assert client.patch("/api/v1/teams/team-b/", {"description": "x"}, format="json").status_code == 404
    assert client.post(f"/api/v1/jobs/{w.job_b.pk}/cancel/").status_code == 404
    response = client.post(
        "/api/v1/namespaces/", {"team": "team-b", "cluster": "prod", "name": "b-more", "plan": "small"}, format="json"
    )
    assert response.status_code in (400, 403), response.content
    assert not TeamNamespace.objects.filter(name="b-more").exists()
    # Team B's kubeconfig is not team A's to mint.
    assert client.post("/api/v1/teams/team-b/kubeconfig/").status_code == 404
    w.job_b.refresh_from_db()
    assert w.job_b.status == "pending"


def test_a_token_limited_to_team_a_has_no_role_in_team_b(two_teams):
    w = two_teams
    token, _ = token_for(w.both, teams=[w.team_a])
    user = scoped_user(token)
    assert w.team_a.role_of(user) == TeamRole.OWNER
    assert w.team_b.role_of(user) is None
    assert w.team_b.role_of(w.both) == TeamRole.DEVELOPER  # the user, outside the token


def test_a_token_limited_to_team_a_impersonates_team_a_groups_only(two_teams):
    w = two_teams
    token, _ = token_for(w.both, teams=[w.team_a])
    assert identity_for(scoped_user(token)).groups == (team_role_group("team-a", TeamRole.OWNER),)
    assert identity_for(w.both).groups == (
        team_role_group("team-a", TeamRole.OWNER),
        team_role_group("team-b", TeamRole.DEVELOPER),
    )


def test_a_token_limited_to_team_a_reads_team_a_audit_only(two_teams):
    w = two_teams
    Membership.objects.filter(team=w.team_b, user=w.both).update(role=TeamRole.MAINTAINER)
    audit_record(channel="api", action="team.partial_update", team=w.team_a, actor=w.owner)
    audit_record(channel="api", action="team.partial_update", team=w.team_b, actor=w.outsider)
    _, key = token_for(w.both, teams=[w.team_a])
    rows = bearer(key).get("/api/v1/audit-events/").json()["results"]
    assert rows and {row["team"] for row in rows} == {"team-a"}


def test_a_token_limited_to_team_a_sees_only_the_clusters_team_a_uses(two_teams):
    w = two_teams
    other = Cluster.objects.create(name="Other", slug="other")
    TeamNamespace.objects.create(team=w.team_b, cluster=other, name="b-other", plan=w.plan)
    _, limited = token_for(w.both, teams=[w.team_a], name="limited")
    _, unlimited = token_for(w.both, name="unlimited")
    assert _listed(bearer(limited), "/api/v1/clusters/", "slug") == ["prod"]
    assert _listed(bearer(unlimited), "/api/v1/clusters/", "slug") == ["other", "prod"]


# --- a platform admin's team-limited token --------------------------------------------


@pytest.fixture
def admin_in_a(world):
    Membership.objects.create(team=world.team_a, user=world.admin, role=TeamRole.MAINTAINER)
    return world


def test_an_admins_limited_token_has_no_platform_admin_powers(admin_in_a):
    w = admin_in_a
    _, key = token_for(w.admin, teams=[w.team_a])
    client = bearer(key)
    assert client.post("/api/v1/clusters/", {"name": "New", "slug": "new"}, format="json").status_code == 403
    assert client.patch("/api/v1/clusters/prod/", {"name": "Renamed"}, format="json").status_code == 403
    assert client.delete("/api/v1/clusters/prod/").status_code == 403
    assert client.get("/api/v1/hosts/").status_code == 403
    assert client.post("/api/v1/quota-plans/", {"name": "P", "slug": "p"}, format="json").status_code == 403
    assert _listed(client, "/api/v1/teams/", "slug") == ["team-a"]
    assert client.get(f"/api/v1/namespaces/{w.ns_b.pk}/").status_code == 404
    # A maintainer of team A, as the membership says.
    response = client.patch(f"/api/v1/namespaces/{w.ns_a.pk}/", {"labels": {"tier": "web"}}, format="json")
    assert response.status_code == 200, response.content
    assert Cluster.objects.get(slug="prod").name == "Prod"
    assert not Cluster.objects.filter(slug="new").exists()
    w.admin.refresh_from_db()
    assert w.admin.is_staff  # lowered for the token's requests only, never saved


def test_an_admins_unlimited_token_keeps_the_admins_powers(admin_in_a):
    _, key = token_for(admin_in_a.admin)
    client = bearer(key)
    assert client.get("/api/v1/hosts/").status_code == 200
    assert _listed(client, "/api/v1/teams/", "slug") == ["team-a", "team-b"]


def test_the_limited_admin_user_cannot_be_saved(admin_in_a):
    token, _ = token_for(admin_in_a.admin, teams=[admin_in_a.team_a])
    user = scoped_user(token)
    assert (user.is_staff, user.is_superuser) == (False, False)
    with pytest.raises(RuntimeError):
        user.save()


# --- choosing the scope ------------------------------------------------------------------


def test_it_creates_a_scoped_token_and_shows_its_scope(world, api):
    client = api.as_(world.owner)
    response = client.post(
        "/api/v1/tokens/", {"name": "ci", "access": "read", "teams": ["team-a"], "expires_in_days": 7}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["access"], body["teams"]) == ("read", ["team-a"])
    token = ApiToken.objects.get(pk=body["id"])
    assert token.read_only and list(token.teams.values_list("slug", flat=True)) == ["team-a"]
    listed = client.get("/api/v1/tokens/").json()["results"][0]
    assert (listed["access"], listed["teams"]) == ("read", ["team-a"])


def test_a_token_made_without_a_scope_reads_and_writes_all_teams(world, api):
    response = api.as_(world.owner).post("/api/v1/tokens/", {"name": "plain"}, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["access"], response.json()["teams"]) == ("write", [])


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"teams": ["team-b"]}, "teams"),  # a team the owner is not in
        ({"teams": ["no-such-team"]}, "teams"),
        ({"teams": "team-a"}, "teams"),
        ({"access": "admin"}, "access"),
        ({"access": ""}, "access"),
    ],
)
def test_it_refuses_a_bad_scope_with_a_field_message(world, api, payload, field):
    response = api.as_(world.owner).post("/api/v1/tokens/", {"name": "bad", **payload}, format="json")
    body = assert_error_shape(response, 400)
    assert list(body["errors"]) == [field], body
    assert not ApiToken.objects.filter(name="bad").exists()


def test_an_admin_may_not_limit_a_token_to_a_team_they_are_not_in(world, api):
    response = api.as_(world.admin).post("/api/v1/tokens/", {"name": "x", "teams": ["team-a"]}, format="json")
    assert "teams" in assert_error_shape(response, 400)["errors"]


def test_the_service_refuses_a_team_the_owner_is_not_in(world):
    with pytest.raises(PortalError) as refused:
        api_token_create(user=world.owner, name="x", expires_in_days=1, teams=[world.team_b])
    assert "teams" in refused.value.field_errors
    assert not ApiToken.objects.filter(name="x").exists()


def test_the_page_creates_a_scoped_token_and_lists_its_scope(world):
    client = Client()
    client.force_login(world.owner)
    page = client.get("/tokens/")
    assert page.status_code == 200
    assert f'value="{world.team_a.pk}"' in page.content.decode()
    assert f'value="{world.team_b.pk}"' not in page.content.decode()
    response = client.post(
        "/tokens/", {"name": "cli", "expires_in_days": "30", "access": "read", "teams": [str(world.team_a.pk)]}
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(user=world.owner, name="cli")
    assert token.read_only and list(token.teams.all()) == [world.team_a]
    used, key = token_for(world.owner, name="used")
    bearer(key).get("/api/v1/teams/")
    used.refresh_from_db()
    listed = client.get("/tokens/").content.decode()
    assert "Read only" in listed and "team-a" in listed and "All your teams" in listed
    # The last use, as the list shows times (portal's `cell`).
    assert date_format(localtime(used.last_used_at), "Y-m-d H:i") in listed


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"access": "read", "teams": ["team-b"]}, "teams"),
        ({"access": "root"}, "access"),
    ],
)
def test_the_page_refuses_a_bad_scope_with_a_message(world, data, field):
    client = Client()
    client.force_login(world.owner)
    data = {**data, "teams": [str(world.team_b.pk) if t == "team-b" else t for t in data.get("teams", [])]}
    response = client.post("/tokens/", {"name": "bad", **data})
    assert response.status_code == 400
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert not ApiToken.objects.filter(name="bad").exists()


def test_the_page_offers_read_and_write_and_defaults_to_write(world):
    client = Client()
    client.force_login(world.owner)
    page = client.get("/tokens/").content.decode()
    assert 'value="read"' in page and re.search(r'value="write"[^>]*checked', page)
    assert client.post("/tokens/", {"name": "plain", "expires_in_days": "30"}).status_code == 200
    token = ApiToken.objects.get(user=world.owner, name="plain")
    assert not token.read_only and not token.teams.exists()


def test_a_token_whose_teams_are_all_deleted_is_revoked_not_widened(two_teams):
    w = two_teams
    only_b, key = token_for(w.both, teams=[w.team_b], name="only-b")
    a_and_b, _ = token_for(w.both, teams=[w.team_a, w.team_b], name="a-and-b")
    w.ns_b.delete()
    w.team_b.delete()
    assert assert_error_shape(bearer(key).get("/api/v1/teams/"), 401)["detail"] == "This token has been revoked."
    only_b.refresh_from_db()
    a_and_b.refresh_from_db()
    assert only_b.revoked_at is not None
    assert a_and_b.revoked_at is None and list(a_and_b.teams.all()) == [w.team_a]
