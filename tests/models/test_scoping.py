"""One scoping path: every team-scoped model's `for_user()`, per standing role."""

import pytest
from django.contrib.auth.models import AnonymousUser

from clusters.models import Cluster, Node
from hosts.models import Host, SSHCredential
from jobs.models import Job
from portal.audit import audit_record
from portal.models import AuditEvent
from portal.teams import Membership, Team
from rbac.models import ApiToken, QuotaPlan, TeamNamespace
from rbac.services import api_token_create

ROLES = ("admin", "owner", "maintainer", "developer", "viewer", "outsider")


@pytest.fixture
def things(world):
    cred = SSHCredential.objects.create(name="c", kind="password", password="pw")
    Host.objects.create(name="h", address="10.0.0.1", credential=cred)
    other = Cluster.objects.create(name="Other", slug="other")  # nobody's
    # Both teams restricted to prod: "other" is outside every team's reach.
    world.team_a.allowed_clusters.add(world.cluster)
    world.team_b.allowed_clusters.add(world.cluster)
    Node.objects.create(cluster=world.cluster, name="n1")
    Node.objects.create(cluster=other, name="n2")
    Job.objects.create(kind="noop", title="A", team=world.team_a)
    Job.objects.create(kind="noop", title="B", team=world.team_b)
    Job.objects.create(kind="noop", title="platform")  # no team: admins only
    audit_record(channel="api", action="a", team=world.team_a)
    audit_record(channel="api", action="b", team=world.team_b)
    audit_record(channel="system", action="platform")
    api_token_create(user=world.owner, name="t", expires_in_days=1)
    api_token_create(user=world.admin, name="t", expires_in_days=1)
    return world


def _names(queryset, attr):
    return sorted(str(getattr(obj, attr)) for obj in queryset)


EXPECTED = {
    # model, attribute, {role: visible values}
    "teams": (Team, "slug", {"admin": ["team-a", "team-b"], "outsider": ["team-b"], "*": ["team-a"]}),
    "namespaces": (
        TeamNamespace,
        "name",
        {"admin": ["team-a-dev", "team-b-dev"], "outsider": ["team-b-dev"], "*": ["team-a-dev"]},
    ),
    "clusters": (Cluster, "slug", {"admin": ["other", "prod"], "*": ["prod"]}),
    "nodes": (Node, "name", {"admin": ["n1", "n2"], "*": ["n1"]}),
    "jobs": (Job, "title", {"admin": ["A", "B", "platform"], "outsider": ["B"], "*": ["A"]}),
    "audit": (
        AuditEvent,
        "action",
        {"admin": ["a", "b", "platform"], "owner": ["a"], "maintainer": ["a"], "outsider": ["b"], "*": []},
    ),
    "tokens": (ApiToken, "name", {"admin": ["t"], "owner": ["t"], "*": []}),
    "plans": (QuotaPlan, "slug", {"*": ["small"]}),
    "hosts": (Host, "name", {"admin": ["h"], "*": []}),
    "credentials": (SSHCredential, "name", {"admin": ["c"], "*": []}),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("what", sorted(EXPECTED))
def test_for_user_returns_what_the_role_may_see(things, role, what):
    model, attr, expected = EXPECTED[what]
    visible = model.objects.for_user(things.users[role])
    assert _names(visible, attr) == expected.get(role, expected["*"])
    # No duplicate rows from the joins through memberships.
    assert visible.count() == len(set(visible.values_list("pk", flat=True)))


@pytest.mark.parametrize("what", sorted(EXPECTED))
def test_for_user_returns_nothing_to_anonymous(things, what):
    model, _, _ = EXPECTED[what]
    assert not model.objects.for_user(AnonymousUser()).exists()


def test_memberships_are_visible_to_the_teams_members_only(things):
    outsider_view = Membership.objects.for_user(things.outsider)
    assert {m.team.slug for m in outsider_view} == {"team-b"}
    assert Membership.objects.for_user(things.viewer).count() == 4


def test_a_user_in_two_teams_sees_both_without_duplicates(things):
    from portal.roles import TeamRole

    Membership.objects.create(team=things.team_b, user=things.developer, role=TeamRole.VIEWER)
    assert _names(Team.objects.for_user(things.developer), "slug") == ["team-a", "team-b"]
    assert _names(Cluster.objects.for_user(things.developer), "slug") == ["prod"]
    # Audit events of team B stay hidden: a viewer there is not a manager.
    assert not AuditEvent.objects.for_user(things.developer).exists()
