"""Audit exports: streamed, filtered and scoped like the list, and safe to
open in a spreadsheet."""

import csv
import io
import json

import pytest
from django.http import StreamingHttpResponse

from portal.audit import audit_record
from portal.audit_export import WRITE_ROWS
from portal.models import AuditEvent
from tests.portal.audit_support import newest_first, spread

pytestmark = pytest.mark.django_db

EXPORTS = {
    "api": ("/api/v1/audit-events/export/csv/", "/api/v1/audit-events/export/jsonl/"),
    "page": ("/audit/export.csv", "/audit/export.jsonl"),
}


@pytest.fixture
def clients(world, api, client):
    def as_(user):
        client.force_login(user)
        return {"api": api.as_(user), "page": client}

    return as_


def chunks(response) -> list[str]:
    assert isinstance(response, StreamingHttpResponse) and response.status_code == 200
    return [chunk.decode() for chunk in response.streaming_content]


def csv_rows(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-events-')
    return list(csv.DictReader(io.StringIO("".join(chunks(response)))))


def json_rows(response) -> list[dict]:
    assert response["Content-Type"] == "application/x-ndjson"
    return [json.loads(line) for line in "".join(chunks(response)).splitlines()]


@pytest.mark.parametrize("where", ["api", "page"])
def test_exports_hold_the_filtered_events_newest_first(world, clients, where):
    events = spread(world)
    csv_url, json_url = EXPORTS[where]
    client = clients(world.admin)[where]
    query = {"kind": "Deployment", "result": "success"}
    expected = newest_first([e for e in events if (e.target_kind, e.result) == ("Deployment", "success")])
    assert expected
    rows = csv_rows(client.get(csv_url, query))
    assert [int(row["id"]) for row in rows] == expected
    first = AuditEvent.objects.get(pk=expected[0])
    assert rows[0]["actor_name"] == first.actor_name and rows[0]["target_name"] == first.target_name
    assert rows[0]["created"] == first.created.isoformat()
    lines = json_rows(client.get(json_url, query))
    assert [line["id"] for line in lines] == expected
    assert lines[0]["team"] == (first.team.slug if first.team else None)
    assert set(lines[0]) == set(rows[0])  # the same columns, under the API's names


@pytest.mark.parametrize("where", ["api", "page"])
def test_exports_are_scoped_like_the_list(world, clients, where):
    events = spread(world)
    csv_url, json_url = EXPORTS[where]
    team_a = newest_first([e for e in events if e.team_id == world.team_a.pk])
    assert [int(r["id"]) for r in csv_rows(clients(world.owner)[where].get(csv_url))] == team_a
    assert [line["id"] for line in json_rows(clients(world.owner)[where].get(json_url, {"team": "team-b"}))] == []
    assert csv_rows(clients(world.viewer)[where].get(csv_url)) == []


def test_a_cell_that_a_spreadsheet_would_run_is_escaped(world, api):
    dangerous = {'=HYPERLINK("http://x")': "'=", "+1+2": "'+", "-2+3": "'-", "@SUM(A1)": "'@", "\tx": "'\t"}
    for text in dangerous:
        audit_record(channel="api", action="team.update", name=text, namespace="plain-name")
    rows = csv_rows(api.as_(world.admin).get(EXPORTS["api"][0]))
    assert sorted(row["target_name"] for row in rows) == sorted("'" + text for text in dangerous)
    assert {row["target_namespace"] for row in rows} == {"plain-name"}
    # JSON keeps the values as they are: no spreadsheet reads it.
    lines = json_rows(api.as_(world.admin).get(EXPORTS["api"][1]))
    assert sorted(line["target_name"] for line in lines) == sorted(dangerous)


def test_an_export_streams_in_pieces(world, api):
    AuditEvent.objects.bulk_create(
        AuditEvent(channel="api", action="team.update", result="success", target_name=f"t-{i}")
        for i in range(WRITE_ROWS * 2 + 10)
    )
    pieces = chunks(api.as_(world.admin).get(EXPORTS["api"][0]))
    assert len(pieces) == 3  # two full batches and the rest, not one string of everything
    assert sum(piece.count("\n") for piece in pieces) == WRITE_ROWS * 2 + 10 + 1  # and the header


@pytest.mark.parametrize("where", ["api", "page"])
def test_an_export_with_bad_filters_is_refused(world, clients, where):
    response = clients(world.admin)[where].get(EXPORTS[where][0], {"since": "last tuesday"})
    assert response.status_code == 400
    assert "since" in (response.json()["errors"] if where == "api" else response.context["filter"].errors)


def test_an_export_is_not_recorded_as_a_mutation(world, api):
    spread(world, 5)
    before = AuditEvent.objects.count()
    chunks(api.as_(world.admin).get(EXPORTS["api"][0]))
    assert AuditEvent.objects.count() == before


def test_an_export_answers_a_client_that_asks_for_csv(world, api):
    spread(world, 3)
    response = api.as_(world.admin).get(EXPORTS["api"][0], HTTP_ACCEPT="text/csv")
    assert len(csv_rows(response)) == 3
