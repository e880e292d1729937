"""Who gets which page: every page for every standing user.

200 for those who may see it, 302 to the login page for anonymous visitors,
404 for records of another team (they do not exist for that user), 403 for
pages a role may see exist but not use (edit, delete, admin-only pages).
"""

import pytest

from tests.ui.conftest import ROLES, TEAM_A

pytestmark = pytest.mark.django_db


def statuses(default, anonymous=302, **by_role):
    """A status for every role; `team_a=` sets owner, maintainer, developer and viewer."""
    table = {role: default for role in ROLES}
    table["anonymous"] = anonymous
    if "team_a" in by_role:
        table.update(dict.fromkeys(TEAM_A, by_role.pop("team_a")))
    table.update(by_role)
    return table


EVERYONE = statuses(200)
ADMIN_ONLY = statuses(403, admin=200)
TEAM_A_ONLY = statuses(404, admin=200, team_a=200)  # the outsider is in team B only
TEAM_B_ONLY = statuses(200, team_a=404)  # records of team B, seen by its owner (the outsider)
TEAM_A_MANAGERS = statuses(403, admin=200, owner=200, maintainer=200, outsider=404)
TEAM_A_OWNER = statuses(403, admin=200, owner=200, outsider=404)
TEAM_A_ADMIN = statuses(403, admin=200, outsider=404)
TEAM_B_ADMIN = statuses(403, admin=200, team_a=404)
MANAGERS_ANYWHERE = statuses(403, admin=200, owner=200, maintainer=200, outsider=200)

PAGES = [
    ("dashboard", lambda w, m: "/", EVERYONE),
    ("cluster-list", lambda w, m: "/clusters/", EVERYONE),
    ("cluster-create", lambda w, m: "/clusters/new/", ADMIN_ONLY),
    ("cluster-detail", lambda w, m: "/clusters/prod/", EVERYONE),
    ("cluster-detail-other-team", lambda w, m: "/clusters/edge/", TEAM_B_ONLY),
    ("cluster-edit", lambda w, m: "/clusters/prod/edit/", ADMIN_ONLY),
    ("cluster-edit-other-team", lambda w, m: "/clusters/edge/edit/", TEAM_B_ADMIN),
    ("cluster-delete", lambda w, m: "/clusters/prod/delete/", ADMIN_ONLY),
    ("cluster-delete-other-team", lambda w, m: "/clusters/edge/delete/", TEAM_B_ADMIN),
    ("cluster-rotate", lambda w, m: "/clusters/prod/credentials/", ADMIN_ONLY),
    ("cluster-rotate-other-team", lambda w, m: "/clusters/edge/credentials/", TEAM_B_ADMIN),
    ("node-list", lambda w, m: "/clusters/nodes/", EVERYONE),
    ("node-detail", lambda w, m: f"/clusters/nodes/{m.node_prod.pk}/", EVERYONE),
    ("node-detail-other-team", lambda w, m: f"/clusters/nodes/{m.node_edge.pk}/", TEAM_B_ONLY),
    ("host-list", lambda w, m: "/hosts/", ADMIN_ONLY),
    ("host-create", lambda w, m: "/hosts/new/", ADMIN_ONLY),
    ("host-detail", lambda w, m: f"/hosts/{m.host.pk}/", ADMIN_ONLY),
    ("host-edit", lambda w, m: f"/hosts/{m.host.pk}/edit/", ADMIN_ONLY),
    ("host-delete", lambda w, m: f"/hosts/{m.host.pk}/delete/", ADMIN_ONLY),
    ("credential-list", lambda w, m: "/hosts/credentials/", ADMIN_ONLY),
    ("credential-create", lambda w, m: "/hosts/credentials/new/", ADMIN_ONLY),
    ("credential-detail", lambda w, m: f"/hosts/credentials/{m.credential.pk}/", ADMIN_ONLY),
    ("credential-edit", lambda w, m: f"/hosts/credentials/{m.credential.pk}/edit/", ADMIN_ONLY),
    ("credential-delete", lambda w, m: f"/hosts/credentials/{m.credential.pk}/delete/", ADMIN_ONLY),
    ("job-list", lambda w, m: "/jobs/", EVERYONE),
    ("job-detail", lambda w, m: f"/jobs/{m.job_a.pk}/", TEAM_A_ONLY),
    ("job-detail-other-team", lambda w, m: f"/jobs/{m.job_b.pk}/", TEAM_B_ONLY),
    ("job-events", lambda w, m: f"/jobs/{m.job_a.pk}/events/?after=0", TEAM_A_ONLY),
    ("team-list", lambda w, m: "/teams/", EVERYONE),
    ("team-create", lambda w, m: "/teams/new/", ADMIN_ONLY),
    ("team-detail", lambda w, m: "/teams/team-a/", TEAM_A_ONLY),
    ("team-detail-other-team", lambda w, m: "/teams/team-b/", TEAM_B_ONLY),
    ("team-edit", lambda w, m: "/teams/team-a/edit/", TEAM_A_OWNER),
    ("team-delete", lambda w, m: "/teams/team-a/delete/", TEAM_A_ADMIN),
    ("quotaplan-list", lambda w, m: "/teams/quota-plans/", EVERYONE),
    ("quotaplan-create", lambda w, m: "/teams/quota-plans/new/", ADMIN_ONLY),
    ("quotaplan-detail", lambda w, m: "/teams/quota-plans/small/", EVERYONE),
    ("quotaplan-edit", lambda w, m: "/teams/quota-plans/small/edit/", ADMIN_ONLY),
    ("quotaplan-delete", lambda w, m: "/teams/quota-plans/small/delete/", ADMIN_ONLY),
    ("namespace-list", lambda w, m: "/teams/namespaces/", EVERYONE),
    ("namespace-create", lambda w, m: "/teams/namespaces/new/", MANAGERS_ANYWHERE),
    ("namespace-detail", lambda w, m: f"/teams/namespaces/{w.ns_a.pk}/", TEAM_A_ONLY),
    ("namespace-detail-other-team", lambda w, m: f"/teams/namespaces/{w.ns_b.pk}/", TEAM_B_ONLY),
    ("namespace-edit", lambda w, m: f"/teams/namespaces/{w.ns_a.pk}/edit/", TEAM_A_MANAGERS),
    ("namespace-delete", lambda w, m: f"/teams/namespaces/{w.ns_a.pk}/delete/", TEAM_A_MANAGERS),
    ("namespace-pending", lambda w, m: "/teams/namespaces/pending/", ADMIN_ONLY),
    ("access-overview", lambda w, m: "/rbac/", EVERYONE),
    ("workload-index", lambda w, m: "/workloads/", EVERYONE),
    ("job-list-filtered", lambda w, m: "/jobs/?status=pending&q=job", EVERYONE),
    ("audit-list", lambda w, m: "/audit/?result=success&actor=admin", EVERYONE),
    ("token-list", lambda w, m: "/tokens/", EVERYONE),
]


@pytest.mark.parametrize("url,expected", [pytest.param(url, expected, id=name) for name, url, expected in PAGES])
def test_it_answers_every_user_with_the_right_status(world, more, client_as, url, expected):
    path = url(world, more)
    got = {role: client_as(role).get(path).status_code for role in ROLES}
    assert got == expected, path


def test_it_sends_anonymous_visitors_to_the_login_page(world, client_as):
    response = client_as("anonymous").get("/clusters/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/clusters/")


def test_it_renders_the_error_pages_in_the_layout(world, more, client_as):
    forbidden = client_as("viewer").get("/teams/team-a/edit/")
    assert forbidden.status_code == 403
    assert b"Your role does not allow this." in forbidden.content
    assert b'class="mainnav"' in forbidden.content
    missing = client_as("viewer").get("/teams/team-b/")
    assert missing.status_code == 404
    assert b"This page does not exist, or you may not see it." in missing.content


# Writes are refused the same way: 403 for the wrong role, 404 across teams.
WRITES = [
    ("team-edit", "/teams/team-a/edit/", {"name": "Renamed", "slug": "team-a"}),
    ("team-delete", "/teams/team-a/delete/", {"confirm": "team-a"}),
    ("namespace-edit", "/teams/namespaces/{ns_a}/edit/", {"plan": "{plan}", "network_isolated": "on"}),
    ("namespace-delete", "/teams/namespaces/{ns_a}/delete/", {"confirm": "team-a-dev"}),
    ("membership-add", "/teams/team-a/members/", {"user": "outsider", "role": "viewer"}),
    ("membership-change", "/teams/team-a/members/{viewer_membership}/", {"role": "owner"}),
    ("quotaplan-edit", "/teams/quota-plans/small/edit/", {"name": "Huge", "slug": "small"}),
    ("cluster-edit", "/clusters/prod/edit/", {"name": "Prod", "slug": "prod"}),
    ("job-cancel", "/jobs/{job_a}/cancel/", {}),
    ("namespace-approve", "/teams/namespaces/{ns_a}/approve/", {}),
    ("namespace-reject", "/teams/namespaces/{ns_a}/reject/", {"reason": "no"}),
    ("quota-change", "/teams/namespaces/{ns_a}/quota-change/", {"plan": "{plan}"}),
    ("cluster-check", "/clusters/prod/check/", {}),
    ("cluster-rotate", "/clusters/prod/credentials/", {"kubeconfig": "x"}),
    ("node-cordon", "/clusters/nodes/{node_prod}/cordon/", {}),
    ("node-labels", "/clusters/nodes/{node_prod}/labels/", {"labels": "a=b"}),
    ("node-drain", "/clusters/nodes/{node_prod}/drain/", {"timeout_seconds": "60"}),
]


@pytest.mark.parametrize("path,data", [pytest.param(p, d, id=n) for n, p, d in WRITES])
@pytest.mark.parametrize("role,status", [("viewer", 403), ("developer", 403), ("outsider", 404)])
def test_it_refuses_writes_from_the_wrong_role(world, more, client_as, path, data, role, status):
    from portal.teams import Membership, Team

    values = {
        "ns_a": world.ns_a.pk,
        "plan": world.plan.pk,
        "job_a": more.job_a.pk,
        "viewer_membership": Membership.objects.get(user=world.viewer).pk,
        "node_prod": more.node_prod.pk,
    }
    if role == "outsider" and path.startswith(("/teams/quota-plans/", "/clusters/prod/", "/clusters/nodes/")):
        status = 403  # quota plans and the shared cluster are visible to the outsider, not changeable
    response = client_as(role).post(path.format(**values), {k: str(v).format(**values) for k, v in data.items()})
    assert response.status_code == status
    # Nothing changed.
    assert Team.objects.get(slug="team-a").name == "Team A"
    assert Membership.objects.filter(team=world.team_a).count() == 4
    assert Membership.objects.get(user=world.viewer).role == "viewer"
    world.ns_a.refresh_from_db()
    assert world.ns_a.phase == "ready"
    more.job_a.refresh_from_db()
    assert not more.job_a.cancel_requested
    from jobs.models import Job
    from rbac.models import QuotaChangeRequest

    assert not QuotaChangeRequest.objects.exists()
    assert not Job.objects.filter(kind="node.drain").exists()


def test_it_shows_each_user_only_their_teams_records_in_lists(world, more, client_as):
    pages = ["/", "/teams/", "/teams/namespaces/", "/jobs/", "/clusters/", "/clusters/nodes/", "/workloads/", "/rbac/"]
    seen = {role: "".join(client_as(role).get(p).content.decode() for p in pages) for role in ("viewer", "outsider")}
    for marker in ("Team B", "team-b-dev", "team-b-edge", "Team B job", "Edge", "edge-node-1"):
        assert marker not in seen["viewer"], marker
        assert marker in seen["outsider"], marker
    for marker in ("Team A", "team-a-dev", "Team A job"):
        assert marker in seen["viewer"], marker
        assert marker not in seen["outsider"], marker


def test_it_shows_the_audit_trail_to_team_managers_only(world, client_as):
    from portal.audit import audit_record
    from portal.models import AuditChannel

    audit_record(actor=world.owner, channel=AuditChannel.UI, action="team.update", team=world.team_a, name="team-a")
    assert "team.update" in client_as("owner").get("/audit/").content.decode()
    assert "team.update" in client_as("admin").get("/audit/").content.decode()
    assert "team.update" not in client_as("viewer").get("/audit/").content.decode()
    assert "team.update" not in client_as("outsider").get("/audit/").content.decode()


def test_it_offers_add_buttons_only_to_who_may_add(world, client_as):
    assert 'href="/teams/new/"' in client_as("admin").get("/teams/").content.decode()
    assert 'href="/teams/new/"' not in client_as("owner").get("/teams/").content.decode()
    assert 'href="/teams/namespaces/new/"' in client_as("maintainer").get("/teams/namespaces/").content.decode()
    assert 'href="/teams/namespaces/new/"' not in client_as("viewer").get("/teams/namespaces/").content.decode()
    detail = client_as("viewer").get(f"/teams/namespaces/{world.ns_a.pk}/").content.decode()
    assert "/edit/" not in detail and "/delete/" not in detail
    # An owner edits the team but may not delete it: no link to a page that would refuse them.
    team_page = client_as("owner").get("/teams/team-a/").content.decode()
    assert 'href="/teams/team-a/edit/"' in team_page and 'href="/teams/team-a/delete/"' not in team_page
    assert 'href="/teams/team-a/delete/"' in client_as("admin").get("/teams/team-a/").content.decode()
