"""The lists and pages people live in show states as badges, jobs with their
duration, deleted namespaces as records rather than links, and a dashboard
of the user's own teams with the role held in each."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def row(html: str, text: str) -> str:
    """The table row that holds `text`."""
    rows = [r for r in re.findall(r"<tr>.*?</tr>", html, re.S) if text in r]
    assert len(rows) == 1, (text, rows)
    return rows[0]


def test_the_jobs_list_shows_each_state_as_its_badge_and_the_duration(world, client_as):
    from jobs.models import Job

    now = timezone.now()
    Job.objects.create(kind="demo", title="Waiting job", team=world.team_a)
    Job.objects.create(
        kind="demo",
        title="Finished job",
        team=world.team_a,
        status="succeeded",
        started=now - timedelta(minutes=10),
        finished=now - timedelta(minutes=6, seconds=55),
    )
    Job.objects.create(
        kind="demo", title="Busy job", team=world.team_a, status="running", started=now - timedelta(minutes=2)
    )
    Job.objects.create(kind="demo", title="Broken job", team=world.team_a, status="failed", started=now, finished=now)
    html = client_as("viewer").get("/jobs/").content.decode()
    assert "<th>Duration</th>" in html
    waiting = row(html, "Waiting job")
    assert '<span class="badge badge-progress" data-state="pending">Pending</span>' in waiting
    assert "<td>—</td>" in waiting  # not started: no duration
    finished = row(html, "Finished job")
    assert '<span class="badge badge-ok" data-state="succeeded">Succeeded</span>' in finished
    assert "<td>3 min 05 s</td>" in finished
    busy = row(html, "Busy job")
    assert 'data-state="running"' in busy and re.search(r"<td>running for 2 min 0\d s</td>", busy)
    assert '<span class="badge badge-failed" data-state="failed">Failed</span>' in row(html, "Broken job")
    # The created time in the portal's one format.
    assert re.search(r'<time datetime="[^"]+" title="\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC">', finished)


def test_the_job_page_shows_its_state_badge_and_how_long_it_took(world, client_as):
    from jobs.models import Job

    now = timezone.now()
    job = Job.objects.create(
        kind="demo",
        title="Done",
        team=world.team_a,
        status="canceled",
        started=now - timedelta(seconds=42),
        finished=now,
    )
    html = client_as("viewer").get(f"/jobs/{job.pk}/").content.decode()
    assert '<span class="badge badge-neutral" data-state="canceled" id="job-status">Canceled</span>' in html
    assert "Took 42 s" in html


def test_the_cluster_list_and_dashboard_show_the_phase_as_a_badge(world, client_as):
    world.cluster.phase = "unreachable"
    world.cluster.save()
    admin = client_as("admin")
    listed = row(admin.get("/clusters/").content.decode(), ">Prod<")
    assert '<span class="badge badge-failed" data-state="unreachable">Unreachable</span>' in listed
    dashboard = admin.get("/").content.decode()
    assert 'data-state="unreachable"' in re.search(r'<tr data-cluster="prod">(.*?)</tr>', dashboard, re.S).group(1)


def test_the_namespace_list_badges_phases_and_does_not_link_gone_namespaces(world, client_as):
    from rbac.models import TeamNamespace

    TeamNamespace.objects.create(team=world.team_a, cluster=world.cluster, name="old", plan=world.plan, phase="deleted")
    TeamNamespace.objects.create(
        team=world.team_a, cluster=world.cluster, name="refused", plan=world.plan, phase="rejected"
    )
    waiting = TeamNamespace.objects.create(
        team=world.team_a, cluster=world.cluster, name="asked", plan=world.plan, phase="pending_approval"
    )
    html = client_as("owner").get("/teams/namespaces/").content.decode()
    ready = row(html, f'/teams/namespaces/{world.ns_a.pk}/"')
    assert '<span class="badge badge-ok" data-state="ready">Ready</span>' in ready
    assert f'<a href="/teams/namespaces/{waiting.pk}/">asked</a>' in html
    assert '<span class="badge badge-warning" data-state="pending_approval">' in row(html, ">asked<")
    for name, state in (("old", "deleted"), ("refused", "rejected")):
        gone = row(html, f"<td>{name}</td>")
        assert f'data-state="{state}"' in gone and "<a " not in gone
    # The team's page and the dashboard list them the same way.
    team_page = client_as("owner").get("/teams/team-a/").content.decode()
    assert "Prod/old <" in team_page or "Prod/old —" in team_page
    assert not re.search(r"<a [^>]*>Prod/old</a>", team_page)
    dashboard = client_as("owner").get("/").content.decode()
    assert not re.search(r"<a [^>]*>Prod/old</a>", dashboard) and "Prod/old" in dashboard


def test_the_dashboard_lists_only_the_users_teams_with_the_role_held(world, client_as):
    from portal.roles import TeamRole
    from portal.teams import Membership

    Membership.objects.create(team=world.team_b, user=world.users["developer"], role=TeamRole.VIEWER)
    html = client_as("developer").get("/").content.decode()
    teams = re.search(r'<ul id="your-teams">(.*?)</ul>', html, re.S).group(1)
    assert re.findall(r'data-team="([^"]+)"', teams) == ["team-a", "team-b"]
    assert '<span class="badge badge-neutral" data-state="developer">Developer</span>' in teams
    assert '<span class="badge badge-neutral" data-state="viewer">Viewer</span>' in teams
    assert 'id="all-teams"' not in html

    viewer = re.search(r'<ul id="your-teams">(.*?)</ul>', client_as("viewer").get("/").content.decode(), re.S)
    assert re.findall(r'data-team="([^"]+)"', viewer.group(1)) == ["team-a"]


def test_a_platform_admin_in_no_team_sees_how_many_teams_there_are(world, client_as):
    html = client_as("admin").get("/").content.decode()
    teams = re.search(r'<ul id="your-teams">(.*?)</ul>', html, re.S).group(1)
    assert "data-team" not in teams and "You are in no team yet." in teams
    assert re.search(r'<p id="all-teams"><a href="/teams/">All 2 teams in the portal</a></p>', html)


def test_the_token_list_shows_each_tokens_state_as_a_badge(world, client_as):
    from rbac.models import ApiToken

    for name, revoked, expires in (
        ("live", None, None),
        ("gone", timezone.now(), None),
        ("old", None, timezone.now() - timedelta(days=1)),
    ):
        ApiToken.objects.create(
            user=world.users["owner"],
            name=name,
            key_prefix=name,
            key_hash=ApiToken.hash_key(name),
            revoked_at=revoked,
            expires_at=expires,
        )
    html = client_as("owner").get("/tokens/").content.decode()
    assert 'data-state="active"' in row(html, "<td>live</td>")
    assert 'data-state="revoked"' in row(html, "<td>gone</td>")
    assert 'data-state="expired"' in row(html, "<td>old</td>")


def test_the_audit_list_badges_results(world, client_as):
    from portal.models import AuditEvent

    AuditEvent.objects.create(action="team.update", result="denied", actor=world.users["owner"])
    html = client_as("admin").get("/audit/").content.decode()
    assert '<span class="badge badge-failed" data-state="denied">Denied</span>' in html


def test_the_node_list_and_page_show_ready_and_cordoned_as_badges(world, client_as):
    from clusters.models import Node

    now = timezone.now()  # freshly synced: the pages do not ask for a sync
    Node.objects.create(cluster=world.cluster, name="n-ready", ready=True, unschedulable=True, last_synced=now)
    down = Node.objects.create(cluster=world.cluster, name="n-down", ready=False, last_synced=now)
    admin = client_as("admin")
    html = admin.get("/clusters/nodes/").content.decode()
    cordoned = row(html, ">n-ready<")
    assert '<span class="badge badge-ok" data-state="ready">Ready</span>' in cordoned
    assert '<span class="badge badge-warning" data-state="cordoned">cordoned</span>' in cordoned
    assert '<span class="badge badge-failed" data-state="not_ready">Not ready</span>' in row(html, ">n-down<")
    page = admin.get(f"/clusters/nodes/{down.pk}/").content.decode()
    assert re.search(r'id="node-status"><span class="badge badge-failed" data-state="not_ready">', page)
