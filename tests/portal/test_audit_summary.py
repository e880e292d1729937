"""The audit summary of a write holds every field it carried, however padded
the body, with secrets redacted; only requests refused at the door are cut."""

import json

from django.test import Client

from portal.audit import REFUSED_MAX_ITEMS, redact
from portal.models import AuditEvent

PADDING = {f"pad{i:02d}": f"junk {i}" for i in range(60)}
SECRET = "s3cr3t-value-never-stored"


def _last(action):
    return AuditEvent.objects.filter(action=action).latest("pk")


def test_an_api_change_after_sixty_junk_keys_is_recorded(world, api):
    body = {**PADDING, "description": "the real change", "api_token": SECRET, "password": SECRET}
    response = api.as_(world.owner).patch("/api/v1/teams/team-a/", body, format="json")
    assert response.status_code == 200, response.content
    world.team_a.refresh_from_db()
    assert world.team_a.description == "the real change"

    summary = _last("team.partial_update").request_summary
    assert summary["description"] == "the real change"
    assert summary["api_token"] == summary["password"] == "[redacted]"
    assert len(summary) == len(body)
    assert SECRET not in json.dumps(summary)


def test_a_form_change_after_sixty_junk_fields_is_recorded(world):
    membership = world.team_a.memberships.get(user=world.viewer)
    client = Client()
    client.force_login(world.owner)
    response = client.post(f"/teams/team-a/members/{membership.pk}/", {**PADDING, "role": "developer"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == "developer"

    summary = _last("membership.update").request_summary
    assert summary["role"] == "developer"
    assert len(summary) == len(PADDING) + 1


def test_every_list_item_and_nested_key_is_kept_and_nested_secrets_redacted():
    body = {"items": list(range(25)), "spec": {"labels": {f"l{i}": "v" for i in range(70)}, "token": SECRET}}
    summary = redact(body)
    assert summary["items"] == list(range(25))
    assert len(summary["spec"]["labels"]) == 70
    assert summary["spec"]["token"] == "[redacted]"
    # A form's repeated field keeps all its values; a JSON list of one stays a list.
    assert redact({"groups": ["a"]}) == {"groups": ["a"]}


def test_a_request_refused_at_the_door_is_cut_short_and_says_so(world):
    response = Client().post("/api/v1/teams/", json.dumps(PADDING), content_type="application/json")
    assert response.status_code == 401
    summary = _last("team.create").request_summary
    assert len(summary) == REFUSED_MAX_ITEMS + 1
    assert summary["…"] == f"{len(PADDING) - REFUSED_MAX_ITEMS} more keys not recorded"
