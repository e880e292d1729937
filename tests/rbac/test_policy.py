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


@pytest.mark.parametrize(
    "name", ["kube-system", "kube-public", "kube-anything", "default", "kube-portal", "calico-system", "ingress-nginx"]
)
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


def test_an_owner_cannot_rename_the_team_slug_through_the_page_or_the_api(world, client, api):
    from portal.teams import Team

    client.force_login(world.owner)
    page = client.post(
        "/teams/team-a/edit/", {"name": "Team A", "slug": "team-z", "description": "renamed?"}, follow=True
    )
    assert page.status_code == 200
    team = Team.objects.get(pk=world.team_a.pk)
    assert team.slug == "team-a" and team.description == "renamed?"  # the rest of the edit went through
    answer = api.as_(world.owner).patch("/api/v1/teams/team-a/", {"slug": "team-z"}, format="json")
    assert answer.status_code == 400 and "slug" in answer.json()["errors"]
    # The one rule, below both entry points.
    with pytest.raises(PortalError) as refused:
        services.team_update(team=team, by=world.owner, slug="team-z")
    assert "slug" in refused.value.field_errors
    assert services.team_update(team=team, by=world.admin, slug="team-z").slug == "team-z"


@pytest.mark.parametrize(
    ("fields", "refused_field"),
    [
        ({"default_limit_cpu": "4", "max_cpu": "1"}, "default_limit_cpu"),
        ({"default_request_cpu": "500m", "default_limit_cpu": "250m"}, "default_request_cpu"),
        ({"default_request_memory": "2Gi", "max_memory": "1Gi"}, "default_request_memory"),
        ({"default_limit_memory": "1025Mi", "max_memory": "1Gi"}, "default_limit_memory"),
    ],
)
def test_a_plan_the_api_server_would_refuse_as_a_limit_range_is_refused(world, api, fields, refused_field):
    body = {"name": "Odd", "slug": "odd", "pods": 10, **fields}
    answer = api.as_(world.admin).post("/api/v1/quota-plans/", body, format="json")
    assert answer.status_code == 400, answer.content
    assert "must not be above" in answer.json()["errors"][refused_field][0]
    assert not QuotaPlan.objects.filter(slug="odd").exists()
    # An existing plan cannot be changed into one either.
    answer = api.as_(world.admin).patch("/api/v1/quota-plans/small/", fields, format="json")
    assert answer.status_code == 400 and refused_field in answer.json()["errors"]
    # Equal values are what the API server accepts.
    equal = {key: fields[refused_field] for key in fields}
    assert api.as_(world.admin).post("/api/v1/quota-plans/", {**body, **equal}, format="json").status_code == 201


def test_the_request_page_says_why_a_new_team_has_no_cluster_to_choose(world, client, make_user):
    from portal.teams import Membership, Team

    team = Team.objects.create(name="Fresh", slug="fresh")
    owner = make_user("fresh-owner")
    Membership.objects.create(team=team, user=owner, role="owner")
    client.force_login(owner)
    page = client.get("/teams/namespaces/new/").content.decode()
    assert "No cluster is open to your teams yet" in page
    assert ">Prod<" not in page
    team.allowed_clusters.set([world.cluster])
    page = client.get("/teams/namespaces/new/").content.decode()
    assert "No cluster is open to your teams yet" not in page and ">Prod<" in page
