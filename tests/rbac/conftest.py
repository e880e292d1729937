"""Tenancy fixtures: a registered devcluster, teams with members of every role."""

from types import SimpleNamespace

import pytest
import yaml

from clusters import kube
from clusters.services.clusters import cluster_create
from portal.roles import TeamRole
from portal.teams import Membership, Team
from rbac.choices import NamespacePhase
from rbac.models import QuotaPlan, TeamNamespace
from tests.support import live


@pytest.fixture
def tenancy(db, devcluster, portal_cleanup, make_user):
    """A devcluster registered as a cluster; teams A and B; a small plan. The
    namespaces and identities the portal makes there are deleted afterwards."""
    cluster = cluster_create(name="Dev", slug="dev", kubeconfig=yaml.safe_dump(devcluster.admin_kubeconfig_dict()))
    plan = QuotaPlan.objects.create(
        name="Small",
        slug="small",
        requests_cpu="1",
        requests_memory="1Gi",
        limits_cpu="2",
        limits_memory="2Gi",
        pods=3,
        default_request_cpu="100m",
        default_request_memory="64Mi",
        default_limit_cpu="200m",
        default_limit_memory="128Mi",
        max_cpu="1",
        max_memory="1Gi",
    )
    team_a = Team.objects.create(name="Team A", slug="team-a", auto_approve_namespaces=True)
    team_b = Team.objects.create(name="Team B", slug="team-b", auto_approve_namespaces=True)
    for team in (team_a, team_b):
        team.allowed_clusters.set([cluster])  # a platform admin lets both teams use the devcluster
    users = {}
    for role in TeamRole:
        users[role.value] = make_user(f"a-{role.value}")
        Membership.objects.create(team=team_a, user=users[role.value], role=role)
    users["b-owner"] = make_user("b-owner")
    Membership.objects.create(team=team_b, user=users["b-owner"], role=TeamRole.OWNER)
    users["admin"] = make_user("platform", staff=True)
    return SimpleNamespace(cluster=cluster, plan=plan, team_a=team_a, team_b=team_b, users=users, **users)


@pytest.fixture
def unique():
    return live.unique


def make_team_namespace(tenancy, team, name, **fields) -> TeamNamespace:
    return TeamNamespace.objects.create(
        team=team, cluster=tenancy.cluster, name=name, plan=tenancy.plan, phase=NamespacePhase.PROVISIONING, **fields
    )


@pytest.fixture
def platform_client(tenancy):
    with kube.client_for(tenancy.cluster) as client:
        yield client
