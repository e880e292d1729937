"""A write to another team's object is answered 404 (so as not to tell it
exists) and recorded as refused, not as invalid input: one filter
(result=refused) finds probing across teams."""

import pytest

from portal.models import AuditEvent
from portal.teams import Membership

pytestmark = pytest.mark.django_db


def refused(client, **query):
    response = client.get("/api/v1/audit-events/", {"result": "refused", **query})
    assert response.status_code == 200
    return [(e["actor_name"], e["action"], e["target_name"]) for e in response.json()["results"]]


def test_writes_to_the_other_teams_objects_are_found_as_refused(world, api, client):
    outsider = api.as_(world.outsider)  # owner of team B
    membership_a = Membership.objects.get(team=world.team_a, user=world.developer)
    probes = [
        outsider.patch("/api/v1/teams/team-a/", {"description": "mine now"}, format="json"),
        outsider.patch(f"/api/v1/namespaces/{world.ns_a.pk}/", {"plan": "small"}, format="json"),
        outsider.delete(f"/api/v1/memberships/{membership_a.pk}/"),
    ]
    assert [probe.status_code for probe in probes] == [404, 404, 404]
    # The UI answers the same, and is recorded the same.
    client.force_login(world.outsider)
    assert client.post("/teams/team-a/edit/", {"name": "Mine", "slug": "team-a"}).status_code == 404
    # Invalid input to one's own team stays invalid.
    assert outsider.patch("/api/v1/teams/team-b/", {"name": ""}, format="json").status_code == 400
    # Team A's owner probes team B too.
    assert api.as_(world.owner).patch("/api/v1/teams/team-b/", {"description": "x"}, format="json").status_code == 404

    admin = api.as_(world.admin)
    probing = refused(admin)
    assert sorted(probing) == sorted(
        [
            ("outsider", "team.partial_update", "team-a"),
            ("outsider", "teamnamespace.partial_update", str(world.ns_a.pk)),
            ("outsider", "membership.destroy", str(membership_a.pk)),
            ("outsider", "team.update", ""),
            ("owner", "team.partial_update", "team-b"),
        ]
    )
    assert len(refused(admin, actor="outsider", channel="api")) == 3
    assert AuditEvent.objects.get(actor_name="outsider", target_name="team-b").result == "invalid"
    # Nothing was changed by the probes.
    world.team_a.refresh_from_db()
    assert world.team_a.description != "mine now" and Membership.objects.filter(pk=membership_a.pk).exists()
    # The page finds them with the same filter.
    client.force_login(world.admin)
    page = client.get("/audit/", {"result": "refused"})
    assert {event.actor_name for event in page.context["page"].rows} == {"outsider", "owner"}
    assert len(page.context["page"].rows) == 5
