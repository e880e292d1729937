"""In a real browser on a 390 px phone, against the devcluster, as a platform
admin: a ClusterRole made with the rules editor at the cluster's address, bound
to team A with a ClusterRoleBinding from its form, the rule seen in "who can do
what" for the team in one of its namespaces, then both changes found in the
audit trail and in its CSV export. The cluster objects are deleted afterwards."""

import csv
import re
import uuid

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.devcluster, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
RBAC = "rbac.authorization.k8s.io/v1"


@pytest.fixture
def names(dev_cluster):
    """A ClusterRole's and a ClusterRoleBinding's names, both deleted afterwards."""
    from clusters import kube

    suffix = uuid.uuid4().hex[:6]
    made = {"clusterroles": f"br-gadgets-{suffix}", "clusterrolebindings": f"br-gadgets-{suffix}-team"}
    yield made
    with kube.client_for(dev_cluster) as client:
        for plural, name in made.items():
            try:
                client.request_json("DELETE", f"/apis/{RBAC}/{plural}/{name}")
            except kube.KubeNotFound:
                pass


def _live(cluster, plural, name):
    from clusters import kube

    with kube.client_for(cluster) as client:
        try:
            return client.request_json("GET", f"/apis/{RBAC}/{plural}/{name}")[1]
        except kube.KubeNotFound:
            return None


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_cluster_role_bound_to_a_team_seen_in_who_can_and_the_audit(
    world, page, login, dev_cluster, ready_namespace, names
):
    role, binding = names["clusterroles"], names["clusterrolebindings"]
    login(page, world.admin)
    page.set_viewport_size(PHONE)

    # The ClusterRole, from the rules editor at the cluster's address.
    page.goto("/workloads/namespaces/dev:*/clusterroles/")
    page.locator("#kind-create").click()
    page.wait_for_url("**/clusterroles/new/form/")
    page.locator("#create-form").get_by_label("Name:", exact=True).fill(role)
    page.locator("#id_rules-0-api_groups").fill("portal.example.com")
    page.locator("#id_rules-0-resources").fill("gadgets")
    for verb in ("get", "list"):
        page.locator("#rules-row-0").get_by_label(verb, exact=True).check()
    page.locator("#id_rules-0-other_verbs").fill("watch")
    _fits(page)
    page.get_by_role("button", name="Preview").click()
    assert "gadgets" in page.locator("#create-manifests").inner_text()
    assert _live(dev_cluster, "clusterroles", role) is None  # a dry run only
    page.locator("#create-form").get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(rf".*/clusterroles/{role}/$"))
    assert f"Created ClusterRole {role}" in page.locator(".messages").inner_text()
    assert _live(dev_cluster, "clusterroles", role)["rules"] == [
        {"apiGroups": ["portal.example.com"], "resources": ["gadgets"], "verbs": ["get", "list", "watch"]}
    ]

    # Bound to team A (its four role groups) with the binding's form.
    page.goto("/workloads/namespaces/dev:*/clusterrolebindings/new/form/")
    form = page.locator("#create-form")
    form.get_by_label("Name:", exact=True).fill(binding)
    form.get_by_label("Role name:", exact=True).fill(role)
    page.locator("#id_subjects-0-kind").select_option("Team")
    page.locator("#id_subjects-0-team").select_option(world.team_a.slug)
    _fits(page)
    form.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(rf".*/clusterrolebindings/{binding}/$"))
    subjects = _live(dev_cluster, "clusterrolebindings", binding)["subjects"]
    assert {s["name"] for s in subjects} == {
        f"portal:team:{world.team_a.slug}:{r}" for r in ("owner", "maintainer", "developer", "viewer")
    }

    # "Who can do what" for the team in one of its namespaces: the rule, and a yes.
    page.goto("/rbac/who-can/")
    ask = page.locator("#who-can-form")
    ask.get_by_label("Cluster:", exact=True).fill("dev")
    ask.get_by_label("Namespace:", exact=True).fill(ready_namespace.name)
    ask.get_by_label("Subject kind:", exact=True).select_option("team")
    ask.get_by_label("Subject:", exact=True).fill(world.team_a.slug)
    ask.get_by_label("Verb:", exact=True).fill("list")
    ask.get_by_label("Resource:", exact=True).fill("gadgets")
    ask.get_by_label("API group:", exact=True).fill("portal.example.com")
    ask.get_by_role("button", name="Ask the cluster").click()
    rules = page.locator("#who-can-rules")
    row = rules.locator("tr", has_text="gadgets")
    assert "portal.example.com" in row.inner_text() and "list" in row.inner_text()
    assert "Allowed" in page.locator("#who-can-answer").inner_text()
    _fits(page)

    # The audit trail filtered to the two kinds' actions ("clusterrole" begins both)
    # and to these objects: both creations, and both in the CSV export.
    page.goto("/audit/")
    filters = page.locator("form.filters")
    filters.locator("input[name=action]").fill("clusterrole")
    filters.locator("input[name=q]").fill(role)  # the binding is named after the role
    filters.locator("select[name=result]").select_option("success")
    filters.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r".*/audit/\?.*action=clusterrole"))
    table = page.locator("table.objects").inner_text()
    assert "clusterrole.create" in table and "clusterrolebinding.create" in table
    assert role in table and binding in table
    _fits(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    with open(download.value.path(), encoding="utf-8", newline="") as exported:
        rows = {(row["action"], row["target_name"], row["result"]) for row in csv.DictReader(exported)}
    assert ("clusterrole.create", role, "success") in rows
    assert ("clusterrolebinding.create", binding, "success") in rows
