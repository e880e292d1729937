"""Forms that help (issue 13): slugs made from names, suggestions for new
members, a quota plan's fields in groups, LimitRange values as quantities."""

import re

import pytest

from tests.ui.test_forms import errors_of

pytestmark = pytest.mark.django_db


def fieldsets_of(html: str) -> dict[str, str]:
    """Each fieldset's legend and its markup."""
    return {
        legend.strip(): body
        for legend, body in re.findall(
            r'<fieldset class="fieldgroup"><legend>(.*?)</legend>(.*?)</fieldset>', html, re.S
        )
    }


def test_it_makes_a_blank_team_slug_from_the_name(world, client_as):
    from portal.teams import Team

    response = client_as("admin").post("/teams/new/", {"name": "Data Platform Zürich", "slug": "", "max_namespaces": 5})
    assert response.status_code == 302, errors_of(response.content.decode())
    assert Team.objects.get(name="Data Platform Zürich").slug == "data-platform-zurich"


def test_it_reports_a_clashing_slug_made_from_the_name_on_the_slug_field(world, client_as):
    from portal.teams import Team

    response = client_as("admin").post("/teams/new/", {"name": "Team A!", "slug": "", "max_namespaces": 5})
    html = response.content.decode()
    assert response.status_code == 400
    slug_field = re.search(r'<div class="field has-error">\s*<label for="id_slug">.*?</div>', html, re.S)
    assert slug_field and "already exists" in slug_field.group(0), errors_of(html)
    assert not Team.objects.filter(name="Team A!").exists()


def test_it_asks_for_a_slug_when_the_name_gives_none(world, client_as):
    response = client_as("admin").post("/teams/new/", {"name": "数据平台", "slug": "", "max_namespaces": 5})
    assert response.status_code == 400
    assert "no letters or digits to make a slug from" in response.content.decode()


def test_the_new_team_page_fills_the_slug_with_its_script(world, client_as):
    html = client_as("admin").get("/teams/new/").content.decode()
    assert re.search(r'<input[^>]*name="slug"[^>]*data-slug-from="id_name"', html)
    assert '<script src="/static/portal/slug.js"></script>' in html
    edit = client_as("admin").get("/teams/team-a/edit/").content.decode()
    assert "data-slug-from" not in edit  # a team's slug, once made, is not rewritten from its name


def test_a_new_team_page_without_plans_says_so_and_links_to_making_one(make_user, client):
    client.force_login(make_user("root", staff=True))
    html = client.get("/teams/new/").content.decode()
    assert 'There are no quota plans yet. <a href="/teams/quota-plans/new/">Create a quota plan</a>' in html
    assert 'There are no clusters yet. <a href="/clusters/new/">Import a cluster</a>' in html


def test_a_new_quota_plan_gets_its_slug_from_the_name(world, client_as):
    from rbac.models import QuotaPlan

    response = client_as("admin").post("/teams/quota-plans/new/", {"name": "Large Plan", "slug": ""})
    assert response.status_code == 302, errors_of(response.content.decode())
    assert QuotaPlan.objects.get(name="Large Plan").slug == "large-plan"


def test_the_quota_plan_form_groups_its_fields(world, client_as):
    html = client_as("admin").get("/teams/quota-plans/new/").content.decode()
    groups = fieldsets_of(html)
    assert list(groups) == [
        "ResourceQuota: totals for the namespace",
        "ResourceQuota: object counts",
        "LimitRange: defaults and maxima per container",
    ]
    totals, counts, limits = groups.values()
    assert 'name="requests_cpu"' in totals and 'name="limits_memory"' in totals and 'name="pods"' not in totals
    assert 'name="pods"' in counts and 'name="secrets"' in counts and 'name="max_cpu"' not in counts
    assert 'name="default_request_cpu"' in limits and 'name="max_memory"' in limits
    assert "Empty: no limit." in totals
    # Name, slug and description stay above the groups, outside any fieldset.
    assert html.index('name="name"') < html.index("<fieldset")
    assert not any('name="name"' in body for body in groups.values())


def test_a_plan_shows_its_limit_range_as_quantities(world, client_as):
    from rbac.models import QuotaPlan

    QuotaPlan.objects.filter(pk=world.plan.pk).update(
        default_request_cpu="100m", default_limit_memory="512Mi", max_cpu="2", max_memory="4Gi"
    )
    html = client_as("viewer").get(f"/teams/quota-plans/{world.plan.slug}/").content.decode()
    table = re.search(r'<table class="objects compact limitrange" id="limit-range">(.*?)</table>', html, re.S).group(1)
    rows = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)]
    assert rows == [
        ["", "CPU", "Memory"],
        ["Default request", "100m", "—"],
        ["Default limit", "—", "512Mi"],
        ["Maximum", "2", "4Gi"],
    ]
    assert '{"cpu"' not in html and "&quot;cpu&quot;" not in html


def _candidates(html: str) -> list[str]:
    datalist = re.search(r'<datalist id="member-candidates">(.*?)</datalist>', html, re.S).group(1)
    return re.findall(r'<option value="([^"]*)">', datalist)


def test_adding_a_member_offers_users_not_in_the_team(world, client_as, make_user):
    from portal.roles import TeamRole
    from portal.teams import Membership, Team

    make_user("stranger")
    colleague = make_user("colleague")
    other = Team.objects.create(name="Team C", slug="team-c")
    Membership.objects.create(team=other, user=world.owner, role=TeamRole.OWNER)
    Membership.objects.create(team=other, user=colleague, role=TeamRole.VIEWER)

    html = client_as("owner").get("/teams/team-a/").content.decode()
    assert 'list="member-candidates"' in html
    # An owner is offered the people of their other teams, never every account of the portal.
    assert _candidates(html) == ["colleague"]
    # A platform admin is offered every active user not in the team yet.
    assert _candidates(client_as("admin").get("/teams/team-a/").content.decode()) == [
        "admin",
        "colleague",
        "outsider",
        "stranger",
    ]


def test_an_unknown_user_is_refused_with_a_clear_error(world, client_as):
    from portal.teams import Membership

    response = client_as("admin").post("/teams/team-a/members/", {"user": "nobody", "role": "viewer"})
    html = response.content.decode()
    assert response.status_code == 400
    assert errors_of(html) == ["There is no active user named nobody: pick one from the list, or check the spelling."]
    assert not Membership.objects.filter(team=world.team_a, user__username="nobody").exists()


def _options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return [label.strip() for label in re.findall(r"<option[^>]*>(.*?)</option>", select, re.S)]


def test_a_namespace_request_offers_the_plans_its_team_may_use(world, client_as):
    from rbac.models import QuotaPlan

    large = QuotaPlan.objects.create(name="Large", slug="large")
    QuotaPlan.objects.create(name="Huge", slug="huge")
    world.team_a.allowed_plans.set([world.plan, large])
    html = client_as("owner").get("/teams/namespaces/new/").content.decode()
    assert f'<option value="{world.team_a.pk}" selected>Team A</option>' in html
    assert _options(html, "plan") == ["---------", "Large", "Small"]
    # A platform admin chooses among teams, and so among every plan.
    assert _options(client_as("admin").get("/teams/namespaces/new/").content.decode(), "plan") == [
        "---------",
        "Huge",
        "Large",
        "Small",
    ]


def test_a_quota_change_offers_the_other_allowed_plans(world, client_as):
    from rbac.models import QuotaPlan

    large = QuotaPlan.objects.create(name="Large", slug="large")
    QuotaPlan.objects.create(name="Huge", slug="huge")
    world.team_a.allowed_plans.set([world.plan, large])
    html = client_as("owner").get(f"/teams/namespaces/{world.ns_a.pk}/").content.decode()
    assert _options(html, "plan") == ["---------", "Large"]
