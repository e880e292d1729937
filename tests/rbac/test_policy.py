"""A team's namespace policy refuses bad requests before anything is created."""

import pytest

from portal.errors import PortalError
from rbac import services
from rbac.models import QuotaPlan, TeamNamespace

pytestmark = pytest.mark.django_db


def _request(world, **changes):
    fields = {"team": world.team_a, "cluster": world.cluster, "name": "team-a-new", "plan": world.plan}
    return services.team_namespace_request(requested_by=world.owner, **{**fields, **changes})


def test_a_plan_outside_the_teams_allowed_plans_is_refused(world):
    big = QuotaPlan.objects.create(name="Big", slug="big", pods=500)
    world.team_a.allowed_plans.set([world.plan])
    with pytest.raises(PortalError) as refused:
        _request(world, plan=big)
    assert "plan" in refused.value.field_errors and "Small" in refused.value.field_errors["plan"][0]
    assert not TeamNamespace.objects.filter(name="team-a-new").exists()
    assert _request(world).plan == world.plan


def test_a_cluster_the_team_may_not_use_is_refused(world):
    from clusters.models import Cluster

    other = Cluster.objects.create(name="Other", slug="other")
    world.team_a.allowed_clusters.set([world.cluster])
    with pytest.raises(PortalError) as refused:
        _request(world, cluster=other)
    assert "cluster" in refused.value.field_errors
    assert not TeamNamespace.objects.filter(name="team-a-new").exists()


def test_the_namespace_limit_is_kept(world):
    world.team_a.max_namespaces = 1  # team-a-dev already counts
    world.team_a.save()
    with pytest.raises(PortalError) as refused:
        _request(world)
    assert "limit" in refused.value.field_errors["name"][0]


@pytest.mark.parametrize("name", ["Team_A", "-lead", "a" * 64, "has.dot", ""])
def test_a_name_that_is_not_a_dns_label_is_refused(world, name):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        _request(world, name=name)
    assert "name" in refused.value.message_dict
    assert TeamNamespace.objects.filter(team=world.team_a).count() == 1


def test_a_duplicate_name_on_the_cluster_is_refused(world):
    with pytest.raises(PortalError) as refused:
        _request(world, name="team-b-dev")  # team B's namespace on the same cluster
    assert "Already requested" in refused.value.field_errors["name"][0]
    assert TeamNamespace.objects.filter(name="team-b-dev").count() == 1


@pytest.mark.parametrize("name", ["kube-system", "kube-public", "kube-anything", "default", "kube-portal"])
def test_a_reserved_name_is_refused_for_every_requester(world, name):
    for requester in (world.owner, world.admin):
        with pytest.raises(PortalError) as refused:
            services.team_namespace_request(
                team=world.team_a, cluster=world.cluster, name=name, plan=world.plan, requested_by=requester
            )
        assert "reserved" in refused.value.field_errors["name"][0]
    assert not TeamNamespace.objects.filter(name=name).exists()


def test_an_admin_configured_prefix_is_reserved(world, settings):
    settings.RESERVED_NAMESPACE_PREFIXES = ["infra-"]
    with pytest.raises(PortalError) as refused:
        _request(world, name="infra-vault")
    assert "infra-" in refused.value.field_errors["name"][0]
    assert _request(world, name="infrastructure").name == "infrastructure"


def test_a_quota_change_to_a_plan_outside_the_policy_is_refused(world):
    from rbac.models import QuotaChangeRequest
    from rbac.tenancy import quota_change_request

    big = QuotaPlan.objects.create(name="Big", slug="big", pods=500)
    world.team_a.allowed_plans.set([world.plan])
    with pytest.raises(PortalError) as refused:
        quota_change_request(namespace=world.ns_a, plan=big, user=world.maintainer)
    assert "plan" in refused.value.field_errors
    assert not QuotaChangeRequest.objects.exists()
