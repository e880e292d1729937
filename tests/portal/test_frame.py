"""The page frame (issue 13): breadcrumbs on every app's pages, one highlighted
place in each navigation, empty lists that say what to do next, and a node
drain that is asked before it acts."""

import re

import pytest
from django.test import Client

from clusters.models import Node
from hosts.models import SSHCredential
from jobs.models import Job
from rbac.models import ApiToken

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def crumbs(html: str) -> list[tuple[str, str]]:
    """[(href or "", label)] of the frame's breadcrumbs; the page itself has no href."""
    navs = re.findall(r'<nav class="breadcrumbs".*?</nav>', html, re.S)
    assert len(navs) == 1, navs
    return re.findall(r'<li(?: aria-current="page")?>(?:<a href="([^"]*)">)?([^<]*)<', navs[0])


def current_links(html: str, nav: str) -> list[str]:
    """Labels of the links marked current in the `nav` (mainnav or subnav)."""
    block = re.search(rf'<nav class="{nav}".*?</nav>', html, re.S)
    return re.findall(r'aria-current="page">([^<]*)<', block.group(0)) if block else []


@pytest.fixture
def records(world):
    node = Node.objects.create(cluster=world.cluster, name="node-1")
    job = Job.objects.create(kind="node.drain", title="Drain node-1")
    credential = SSHCredential.objects.create(name="deploy-key", kind="password", password="pw")
    return {"node": node.pk, "job": job.pk, "ns": world.ns_a.pk, "credential": credential.pk}


HOME = ("/", "Dashboard")
ADMIN_TRAILS = [
    ("/", [("", "Dashboard")]),
    ("/clusters/prod/", [HOME, ("/clusters/", "Clusters"), ("", "Prod")]),
    ("/clusters/prod/edit/", [HOME, ("/clusters/", "Clusters"), ("/clusters/prod/", "Prod"), ("", "Edit Prod")]),
    ("/clusters/nodes/", [HOME, ("/clusters/", "Clusters"), ("", "Nodes")]),
    ("/clusters/nodes/{node}/", [HOME, ("/clusters/", "Clusters"), ("/clusters/prod/", "Prod"), ("", "node-1")]),
    (
        "/clusters/nodes/{node}/drain/",
        [
            HOME,
            ("/clusters/", "Clusters"),
            ("/clusters/prod/", "Prod"),
            ("/clusters/nodes/{node}/", "node-1"),
            ("", "Drain"),
        ],
    ),
    ("/hosts/", [HOME, ("", "Hosts")]),
    ("/hosts/preflight/", [HOME, ("/hosts/", "Hosts"), ("", "Preflight")]),
    (
        "/hosts/credentials/{credential}/edit/",
        [
            HOME,
            ("/hosts/", "Hosts"),
            ("/hosts/credentials/", "SSH credentials"),
            ("/hosts/credentials/{credential}/", "deploy-key"),
            ("", "Edit deploy-key"),
        ],
    ),
    ("/teams/team-a/", [HOME, ("/teams/", "Teams"), ("", "Team A")]),
    ("/teams/namespaces/{ns}/", [HOME, ("/teams/", "Teams"), ("/teams/team-a/", "Team A"), ("", "Prod/team-a-dev")]),
    (
        "/teams/namespaces/{ns}/delete/",
        [
            HOME,
            ("/teams/", "Teams"),
            ("/teams/team-a/", "Team A"),
            ("/teams/namespaces/{ns}/", "Prod/team-a-dev"),
            ("", "Delete Prod/team-a-dev"),
        ],
    ),
    (
        "/teams/namespaces/new/",
        [HOME, ("/teams/", "Teams"), ("/teams/namespaces/", "Namespaces"), ("", "Request a namespace")],
    ),
    ("/teams/namespaces/pending/", [HOME, ("/teams/", "Teams"), ("", "Waiting for approval")]),
    ("/teams/quota-plans/small/", [HOME, ("/teams/", "Teams"), ("/teams/quota-plans/", "Quota plans"), ("", "Small")]),
    ("/workloads/", [HOME, ("", "Workloads")]),
    ("/rbac/", [HOME, ("", "Access")]),
    ("/rbac/who-can/", [HOME, ("/rbac/", "RBAC"), ("", "Who can do what")]),
    ("/rbac/grants/new/", [HOME, ("/rbac/", "RBAC"), ("/rbac/grants/", "Cluster grants"), ("", "New cluster grant")]),
    ("/jobs/", [HOME, ("", "Jobs")]),
    ("/jobs/{job}/", [HOME, ("/jobs/", "Jobs"), ("", "Job #{job}")]),
    ("/audit/", [HOME, ("", "Audit trail")]),
    ("/tokens/", [HOME, ("", "API tokens")]),
]


@pytest.mark.parametrize(("url", "trail"), ADMIN_TRAILS, ids=[url for url, _t in ADMIN_TRAILS])
def test_it_shows_each_page_s_place_in_breadcrumbs(world, records, url, trail):
    response = client_for(world.admin).get(url.format(**records))
    assert response.status_code == 200
    html = response.content.decode()
    assert crumbs(html) == [(href.format(**records), label.format(**records)) for href, label in trail]
    assert "Back to the list" not in html
    # The page itself is the last crumb, marked and not linked.
    assert re.search(r'<li aria-current="page">[^<]+</li>\s*</ol></nav>', html)


def test_a_team_member_s_namespace_trail_goes_through_their_team(world):
    html = client_for(world.developer).get(f"/teams/namespaces/{world.ns_a.pk}/").content.decode()
    assert crumbs(html) == [HOME, ("/teams/", "Teams"), ("/teams/team-a/", "Team A"), ("", "Prod/team-a-dev")]


def test_workload_pages_trail_through_the_namespace_or_the_cluster(world, rf):
    """Workloads > team > namespace (a team's) or cluster > namespace (an admin's
    place that no team holds, whose `team` is None) > kind > object."""
    from workloads import pages, places
    from workloads.kinds import KINDS

    def trail(namespace, url_name, name=""):
        request = rf.get("/")
        request.resolver_match = type("Match", (), {"url_name": url_name})()
        return pages.trail(request, namespace, KINDS["deployments"], name)

    ns = world.ns_a
    assert trail(ns, "kind-list") == [
        ("/workloads/", "Workloads"),
        ("/teams/team-a/", "Team A"),
        (f"/teams/namespaces/{ns.pk}/", "Prod/team-a-dev"),
    ]
    assert trail(ns, "kind-action", "web")[-2:] == [
        (f"/workloads/namespaces/{ns.pk}/deployments/", "Deployments"),
        (f"/workloads/namespaces/{ns.pk}/deployments/web/", "web"),
    ]
    kube_system = places.ClusterNamespace(world.cluster, "kube-system")
    assert trail(kube_system, "kind-detail", "coredns") == [
        ("/workloads/", "Workloads"),
        ("/clusters/prod/", "Prod"),
        (None, "kube-system"),
        ("/workloads/namespaces/prod:kube-system/deployments/", "Deployments"),
    ]
    everywhere = places.ClusterNamespace(world.cluster, "")
    assert trail(everywhere, "kind-list")[1:] == [("/clusters/prod/", "Prod"), (None, "All namespaces")]


NAVIGATION = [
    ("/teams/namespaces/{ns}/", "Teams", "Namespaces"),
    ("/teams/namespaces/", "Teams", "Namespaces"),
    ("/teams/namespaces/pending/", "Teams", "Waiting for approval"),
    ("/teams/namespaces/{ns}/edit/", "Teams", "Namespaces"),
    ("/teams/team-a/", "Teams", "Teams"),
    ("/teams/quota-plans/small/", "Teams", "Quota plans"),
    ("/clusters/nodes/{node}/", "Clusters", "Nodes"),
    ("/clusters/prod/", "Clusters", "Clusters"),
    ("/hosts/credentials/", "Hosts", "SSH credentials"),
    ("/rbac/who-can/", "RBAC", "Who can do what"),
    ("/rbac/grants/new/", "RBAC", "Cluster grants"),
]


@pytest.mark.parametrize(("url", "section", "page"), NAVIGATION, ids=[url for url, *_ in NAVIGATION])
def test_exactly_one_place_is_highlighted_in_each_navigation(world, records, url, section, page):
    html = client_for(world.admin).get(url.format(**records)).content.decode()
    assert current_links(html, "mainnav") == [section]
    assert current_links(html, "subnav") == [page]


def test_pages_outside_a_section_highlight_nothing_but_themselves(world, records):
    html = client_for(world.admin).get(f"/jobs/{records['job']}/").content.decode()
    assert current_links(html, "mainnav") == ["Jobs"] and current_links(html, "subnav") == []
    html = client_for(world.admin).get("/tokens/").content.decode()
    assert current_links(html, "mainnav") == []
    assert re.search(r'<a href="/tokens/" aria-current="page">API tokens</a>', html)


def test_team_members_are_not_offered_admin_pages_in_the_sub_navigation(world):
    html = client_for(world.developer).get("/rbac/").content.decode()
    subnav = re.search(r'<nav class="subnav".*?</nav>', html, re.S).group(0)
    assert "/rbac/who-can/" in subnav and "/rbac/grants/" not in subnav


def empty_state(html: str) -> str:
    return re.search(r'<td[^>]*id="empty-state">(.*?)</td>', html, re.S).group(1)


def test_an_empty_list_says_what_to_do_and_offers_the_first_one(world):
    html = client_for(world.admin).get("/hosts/").content.decode()
    state = empty_state(html)
    assert "No hosts yet. Register the machines a cluster is brought up on" in state
    assert '<a class="button" href="/hosts/new/" id="create-first">Add the first one</a>' in state


def test_an_empty_list_tells_who_may_not_create_what_they_can_do(world, make_user):
    html = client_for(make_user("newcomer")).get("/teams/").content.decode()
    state = empty_state(html)
    assert "No teams yet." in state and "ask a team owner or a platform admin to add you" in state
    assert "create-first" not in state
    html = client_for(world.owner).get("/teams/namespaces/?q=nothing-like-this").content.decode()
    assert "Nothing matches." in empty_state(html) and 'href="/teams/namespaces/">Show all</a>' in html


def test_an_empty_namespace_list_offers_a_request_to_those_who_may(world, make_user):
    from rbac.models import TeamNamespace

    TeamNamespace.objects.all().delete()
    state = empty_state(client_for(world.owner).get("/teams/namespaces/").content.decode())
    assert "No namespaces yet. Request one for your team" in state
    assert 'href="/teams/namespaces/new/" id="create-first">Request a namespace</a>' in state
    state = empty_state(client_for(world.viewer).get("/teams/namespaces/").content.decode())
    assert "create-first" not in state and "Team owners and maintainers request namespaces" in state


def test_a_node_page_does_not_drain_on_one_click(world, records):
    admin = client_for(world.admin)
    node_url = f"/clusters/nodes/{records['node']}/"
    html = admin.get(node_url).content.decode()
    # The node page only leads to the question; no form there posts a drain.
    assert f'<a class="button danger" href="{node_url}drain/" id="drain-start">' in html
    assert f'action="{node_url}drain/"' not in html
    page = admin.get(f"{node_url}drain/")
    html = page.content.decode()
    assert page.status_code == 200 and "<h1>Drain node-1?</h1>" in html
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*id="drain-confirm".*?</form>', html, re.S)
    assert form.group(1) == f"{node_url}drain/"
    assert 'name="timeout_seconds"' in form.group(0) and 'id="drain-node"' in form.group(0)
    assert f'<a href="{node_url}">Cancel</a>' in form.group(0)
    # Asking is not acting: no job, nothing recorded.
    assert not Job.objects.filter(kind="node.drain").exclude(pk=records["job"]).exists()


def test_bad_drain_input_comes_back_on_the_question(world, records):
    response = client_for(world.admin).post(f"/clusters/nodes/{records['node']}/drain/", {"timeout_seconds": "1"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="drain-confirm"' in html and 'class="error"' in html


def test_only_platform_admins_are_asked_to_drain(world, records):
    assert client_for(world.owner).get(f"/clusters/nodes/{records['node']}/drain/").status_code in (403, 404)
    # The other node actions stay POST only.
    assert client_for(world.admin).get(f"/clusters/nodes/{records['node']}/cordon/").status_code == 405


def test_one_click_destructive_forms_ask_in_the_browser(world):
    ApiToken.objects.create(user=world.owner, name="ci", key_prefix="abcd1234", key_hash="x")
    html = client_for(world.owner).get("/tokens/").content.decode()
    assert re.search(r'<form method="post" action="/tokens/\d+/revoke/" class="inline" data-confirm="Revoke', html)
    html = client_for(world.owner).get("/teams/team-a/").content.decode()
    assert 'data-confirm="Remove developer from Team A?' in html
    assert '<script src="/static/portal/frame.js" defer></script>' in html


def test_the_dashboard_of_a_newcomer_says_where_to_start(world, make_user):
    html = client_for(make_user("newcomer")).get("/").content.decode()
    assert "You are in no team yet. Ask a team owner or a platform admin to add you." in html
    assert '<a href="/teams/namespaces/">Team owners and maintainers request them on the Namespaces page.</a>' in html
