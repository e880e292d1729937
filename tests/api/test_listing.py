"""Pagination, filtering, ordering and search on the API's lists."""

import pytest

from clusters.models import Cluster, Node
from jobs.models import Job
from portal.audit import audit_record
from rbac.models import TeamNamespace


@pytest.fixture
def many(world):
    for i in range(7):
        Cluster.objects.create(name=f"C{i}", slug=f"c{i}", phase="ready" if i % 2 else "pending")
    for i in range(3):
        Node.objects.create(cluster=world.cluster, name=f"node-{i}", ready=i != 1)
    return world


def test_it_pages_with_a_client_chosen_size(many, api):
    client = api.as_(many.admin)
    first = client.get("/api/v1/clusters/?page_size=3").json()
    assert first["count"] == 8 and len(first["results"]) == 3 and first["previous"] is None
    second = client.get(first["next"].replace("http://testserver", "")).json()
    assert len(second["results"]) == 3
    assert not {c["id"] for c in first["results"]} & {c["id"] for c in second["results"]}
    last = client.get("/api/v1/clusters/?page_size=3&page=last").json()
    assert last["next"] is None and len(last["results"]) == 2


def test_the_page_size_is_bounded(many, api):
    bound = 500  # the largest page a client may ask for (portal.pagination)
    Cluster.objects.bulk_create(Cluster(name=f"Bulk {i}", slug=f"bulk-{i}") for i in range(bound + 2 - 8))
    body = api.as_(many.admin).get("/api/v1/clusters/?page_size=100000").json()
    # More rows than the bound: the page is capped at it, not refused.
    assert body["count"] == bound + 2
    assert len(body["results"]) == bound
    assert body["next"] is not None


def test_it_orders_by_the_allowed_fields(many, api):
    client = api.as_(many.admin)
    names = [c["name"] for c in client.get("/api/v1/clusters/?ordering=-name").json()["results"]]
    assert names == sorted(names, reverse=True)
    # Ordering by a field not offered (a secret, say) is ignored, not applied.
    default = [c["name"] for c in client.get("/api/v1/clusters/").json()["results"]]
    assert [c["name"] for c in client.get("/api/v1/clusters/?ordering=kubeconfig").json()["results"]] == default


def test_it_filters_and_searches(many, api):
    client = api.as_(many.admin)
    ready = client.get("/api/v1/clusters/?phase=ready").json()
    assert ready["count"] == 3 and {c["phase"] for c in ready["results"]} == {"ready"}
    assert client.get("/api/v1/clusters/?search=C3").json()["count"] == 1
    nodes = client.get("/api/v1/nodes/?cluster=prod&ready=false").json()
    assert [n["name"] for n in nodes["results"]] == ["node-1"]


def test_filters_never_widen_the_scope(many, api):
    # An outsider filtering on team A's slug gets an empty list, not team A's rows.
    client = api.as_(many.outsider)
    assert client.get("/api/v1/namespaces/?team__slug=team-a").json()["count"] == 0
    assert client.get("/api/v1/memberships/?team__slug=team-a").json()["count"] == 0
    Job.objects.create(kind="noop", title="A's job", team=many.team_a)
    assert client.get("/api/v1/jobs/?team=team-a").json()["count"] == 0


def test_audit_events_filter_by_team_within_the_scope(many, api):
    for team, name in ((many.team_a, "a-1"), (many.team_a, "a-2"), (many.team_b, "b-1")):
        audit_record(channel="api", action="team.partial_update", actor=many.admin, team=team, name=name)
    audit_record(channel="system", action="platform", name="no-team")

    def names(user, query=""):
        body = api.as_(user).get(f"/api/v1/audit-events/{query}").json()
        return sorted(event["target_name"] for event in body["results"])

    assert names(many.admin, "?team=team-a") == ["a-1", "a-2"]
    assert names(many.admin, "?team=team-b") == ["b-1"]
    assert len(names(many.admin)) == 4
    # The owner of team B: team A's events stay out, whatever the filter says.
    assert names(many.outsider) == ["b-1"]
    assert names(many.outsider, "?team=team-b") == ["b-1"]
    assert names(many.outsider, "?team=team-a") == []


def test_namespace_filters(many, api):
    TeamNamespace.objects.create(team=many.team_a, cluster=many.cluster, name="team-a-two", plan=many.plan)
    body = api.as_(many.owner).get("/api/v1/namespaces/?phase=pending_approval").json()
    assert [n["name"] for n in body["results"]] == ["team-a-two"]


def test_audit_events_filter_by_action_prefix_and_time(many, api):
    client = api.as_(many.admin)
    client.patch("/api/v1/teams/team-a/", {"description": "x"}, format="json")
    body = client.get("/api/v1/audit-events/?action=team.&channel=api").json()
    assert [event["target_name"] for event in body["results"]] == ["team-a"]
    assert client.get("/api/v1/audit-events/?since=2999-01-01T00:00:00Z").json()["results"] == []
