"""Lists cost a bounded number of queries, however many rows they show."""

import pytest

from clusters.models import Cluster, Node
from hosts.models import Host, SSHCredential
from jobs.models import Job, JobStep
from portal.audit import audit_record
from portal.roles import TeamRole
from portal.teams import Membership, Team
from rbac.models import TeamNamespace

# Pages of an unordered list overlap or skip rows.
pytestmark = pytest.mark.filterwarnings("error::django.core.paginator.UnorderedObjectListWarning")


@pytest.fixture
def twenty_of_each(world):
    for i in range(20):
        cluster = Cluster.objects.create(name=f"C{i}", slug=f"c{i}")
        Node.objects.create(cluster=cluster, name="n")
        team = Team.objects.create(name=f"T{i}", slug=f"t{i}")
        team.allowed_clusters.add(cluster)
        Membership.objects.create(team=team, user=world.admin, role=TeamRole.OWNER)
        TeamNamespace.objects.create(team=team, cluster=cluster, name=f"ns{i}", plan=world.plan)
        cred = SSHCredential.objects.create(name=f"cred{i}", kind="password", password="pw")
        Host.objects.create(name=f"h{i}", address=f"10.0.1.{i}", credential=cred, cluster=cluster)
        job = Job.objects.create(kind="noop", title=f"J{i}", team=team, cluster=cluster, created_by=world.admin)
        JobStep.objects.create(job=job, position=1, name="s", title="S")
        audit_record(
            channel="api", action="team.partial_update", actor=world.admin, team=team, kind="Team", name=team.slug
        )
    return world


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/clusters/",
        "/api/v1/nodes/",
        "/api/v1/hosts/",
        "/api/v1/ssh-credentials/",
        "/api/v1/teams/",
        "/api/v1/memberships/",
        "/api/v1/namespaces/",
        "/api/v1/jobs/",
        "/api/v1/audit-events/",
    ],
)
def test_a_list_needs_a_bounded_number_of_queries(twenty_of_each, api, url, django_assert_max_num_queries):
    client = api.as_(twenty_of_each.admin)
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.json()["results"]) >= 20
