"""The audit trail's one filter definition: the page and the API find the
same events for the same filters, page by keyset without repeats, and refuse
bad filters with a message per field."""

import base64
import importlib
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from portal.audit import audit_record
from tests.portal.audit_support import newest_first, spread

pytestmark = pytest.mark.django_db


def api_ids(client, query: dict, size: int = 7) -> list[int]:
    """Every event the API lists for `query`, following `next` links."""
    ids, url = [], f"/api/v1/audit-events/?{urlencode({**query, 'page_size': size})}"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        ids += [event["id"] for event in body["results"]]
        url = body["next"]
    return ids


def page_ids(client, query: dict) -> list[int]:
    """Every event the HTML list shows for `query`, following its cursors."""
    ids, cursor = [], None
    while True:
        response = client.get("/audit/", {**query, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.content
        page = response.context["page"]
        ids += [event.pk for event in page.rows]
        if not page.next:
            return ids
        assert f"cursor={page.next}" in response.content.decode()  # the page links to the next one
        cursor = page.next


def test_the_page_and_the_api_find_the_same_events_for_each_filter(world, api, client):
    events = spread(world)
    now = timezone.now()
    client.force_login(world.admin)
    admin_api = api.as_(world.admin)
    cases = {
        "actor": ({"actor": "bob"}, lambda e: e.actor_name == "bob"),
        "team": ({"team": "team-a"}, lambda e: e.team_id == world.team_a.pk),
        "cluster": ({"cluster": "edge"}, lambda e: e.target_cluster == "edge"),
        "namespace": ({"namespace": "team-b-dev"}, lambda e: e.target_namespace == "team-b-dev"),
        "kind": ({"kind": "ConfigMap"}, lambda e: e.target_kind == "ConfigMap"),
        "action": ({"action": "deployment."}, lambda e: e.action.startswith("deployment.")),
        "result": ({"result": "refused"}, lambda e: e.result == "refused"),
        "channel": ({"channel": "token"}, lambda e: e.channel == "token"),
        "time": (
            {"since": (now - timedelta(days=5)).isoformat(), "until": (now - timedelta(days=2)).isoformat()},
            lambda e: now - timedelta(days=5) <= e.created < now - timedelta(days=2),
        ),
        "text": ({"q": "DB-"}, lambda e: "db-" in e.target_name),
        "several": (
            {"kind": "Deployment", "result": "success", "actor": "alice"},
            lambda e: (e.target_kind, e.result, e.actor_name) == ("Deployment", "success", "alice"),
        ),
        "none": ({}, lambda e: True),
    }
    for name, (query, matches) in cases.items():
        expected = newest_first([e for e in events if matches(e)])
        assert expected, name  # each case selects something
        assert api_ids(admin_api, query) == expected, name
        assert page_ids(client, query) == expected, name


def test_a_unknown_team_finds_nothing_not_the_events_of_no_team(world, api):
    spread(world, 12)
    assert api_ids(api.as_(world.admin), {"team": "no-such-team"}) == []


def test_team_managers_find_only_their_teams_events_whatever_the_filter(world, api, client):
    events = spread(world)
    client.force_login(world.owner)
    team_a = newest_first([e for e in events if e.team_id == world.team_a.pk])
    assert api_ids(api.as_(world.owner), {}) == team_a
    assert page_ids(client, {}) == team_a
    assert api_ids(api.as_(world.owner), {"team": "team-b"}) == []
    assert page_ids(client, {"namespace": "team-b-dev"}) == []
    assert api_ids(api.as_(world.viewer), {}) == []


def test_keyset_pages_walk_every_event_once_forwards_and_backwards(world, api):
    events = spread(world, 61)
    client = api.as_(world.admin)
    pages, urls = [], ["/api/v1/audit-events/?page_size=6"]
    while True:
        body = client.get(urls[-1]).json()
        assert "count" not in body  # no COUNT(*) over the table for a page
        pages.append([event["id"] for event in body["results"]])
        if not body["next"]:
            break
        urls.append(body["next"])
    walked = [pk for page in pages for pk in page]
    assert walked == newest_first(events) and len(set(walked)) == 61
    assert [len(page) for page in pages] == [6] * 10 + [1]
    # Back from the last page by `previous` links: the same pages, in reverse.
    body = client.get(urls[-1]).json()
    back = [[event["id"] for event in body["results"]]]
    while body["previous"]:
        body = client.get(body["previous"]).json()
        back.append([event["id"] for event in body["results"]])
    assert back == pages[::-1]


def test_new_events_do_not_shift_the_pages_already_started(world, api):
    events = spread(world, 20)
    client = api.as_(world.admin)
    first = client.get("/api/v1/audit-events/?page_size=10").json()
    spread(world, 5)  # newer events arrive between two pages
    second = client.get(first["next"]).json()
    assert [e["id"] for e in first["results"] + second["results"]] == newest_first(events)


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("since=yesterday", {"since"}),
        ("result=maybe&channel=pigeon", {"result", "channel"}),
        ("until=2026-13-40T00:00", {"until"}),
        ("actor=a%00b", {"actor"}),
        ("cursor=not-a-cursor", {"cursor"}),
        ("cursor=" + base64.urlsafe_b64encode(b"n|2026-01-01T00:00:00|1").decode(), {"cursor"}),  # no time zone
    ],
)
def test_bad_filters_are_refused_with_a_message_per_field(world, api, client, query, fields):
    response = api.as_(world.admin).get(f"/api/v1/audit-events/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "invalid" and set(body["errors"]) == fields
    client.force_login(world.admin)
    page = client.get(f"/audit/?{query}")
    assert page.status_code == 400
    html = page.content.decode()
    assert 'role="alert"' in html and "<table" not in html
    for messages in body["errors"].values():
        assert any(message.replace("'", "&#x27;") in html for message in messages), messages


def test_the_page_renders_its_filter_form_from_the_filter_definition(world, client):
    from portal.audit_filters import AuditEventFilterSet

    client.force_login(world.admin)
    html = client.get("/audit/", {"result": "refused", "actor": "alice"}).content.decode()
    for name in AuditEventFilterSet.base_filters:
        assert f'name="{name}"' in html, name
    assert '<option value="refused" selected>' in html and 'value="alice"' in html
    # The exports carry the same filters.
    assert 'href="/audit/export.csv?result=refused&amp;actor=alice"' in html
    assert 'href="/audit/export.jsonl?result=refused&amp;actor=alice"' in html


def test_free_text_takes_wildcards_literally(world, api):
    spread(world, 6)
    audit_record(channel="api", action="configmap.edit", name="half_100%")
    assert [
        e["target_name"] for e in api.as_(world.admin).get("/api/v1/audit-events/?q=_100%25").json()["results"]
    ] == ["half_100%"]
    assert api.as_(world.admin).get("/api/v1/audit-events/?q=%25%25").json()["results"] == []


def test_free_text_reads_the_trigram_index_of_migration_0003(world):
    from django.db import connection

    from portal.audit_filters import EVENT_TEXT_SQL, AuditEventFilterSet
    from portal.models import AuditEvent

    migration = importlib.import_module("portal.migrations.0003_audit_indexes_refused")
    assert migration.EVENT_TEXT_SQL == EVENT_TEXT_SQL  # the index is on the filter's very expression
    if connection.vendor != "postgresql":
        pytest.skip("the trigram index is PostgreSQL's")
    filterset = AuditEventFilterSet({"q": "rare-word"}, queryset=AuditEvent.objects.all())
    assert filterset.is_valid()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be read whole otherwise
        plan = filterset.qs.order_by().explain()
    assert migration.TEXT_INDEX in plan, plan
