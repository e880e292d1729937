"""Roles, ClusterRoles and their bindings through the kind registry, against
the devcluster: cluster-scoped kinds only at a cluster's address (platform
admins), built-in and portal-managed ones read-only, rules and subjects
checked, and a team's maintainer held by the API server itself (escalation)
and by the portal (bindings stay within the team)."""

import pytest
import yaml

from clusters import kube
from portal.models import AuditEvent
from rbac.identity import team_role_group
from tests.workloads.addresses import page_client

pytestmark = pytest.mark.devcluster

RBAC = "rbac.authorization.k8s.io/v1"


def url(place, plural, tail=""):
    return f"/api/v1/namespaces/{place}/kinds/{plural}/{tail}"


def page(place, plural, tail=""):
    return f"/workloads/namespaces/{place}/{plural}/{tail}"


def cluster_role(name, verbs=("get", "list"), **extra):
    rules = [{"apiGroups": [""], "resources": ["configmaps"], "verbs": list(verbs)}]
    return {"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": name}, "rules": rules, **extra}


def binding(kind, name, role_kind, role, subjects):
    return {
        "apiVersion": RBAC,
        "kind": kind,
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        "subjects": subjects,
    }


def group(name):
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": name}


@pytest.fixture
def everywhere(tenancy):
    return f"{tenancy.cluster.slug}:*"


@pytest.fixture
def platform_client(tenancy):
    with kube.client_for(tenancy.cluster) as client:
        yield client


@pytest.fixture
def made_cluster_objects(platform_client):
    """Names of ClusterRoles and ClusterRoleBindings a test makes, deleted afterwards."""
    made = {"clusterroles": [], "clusterrolebindings": []}
    yield made
    for plural, names in made.items():
        for name in names:
            try:
                platform_client.request_json("DELETE", f"/apis/{RBAC}/{plural}/{name}")
            except kube.KubeNotFound:
                pass


def test_an_admin_manages_cluster_roles_and_bindings(
    api, tenancy, everywhere, unique, made_cluster_objects, platform_client
):
    admin = api.as_(tenancy.admin)
    role, bound = unique("reader"), unique("readers")
    made_cluster_objects["clusterroles"].append(role)
    made_cluster_objects["clusterrolebindings"].append(bound)

    created = admin.post(url(everywhere, "clusterroles", "apply/"), {"documents": [cluster_role(role)]}, format="json")
    assert created.status_code == 201, created.content
    seen = platform_client.request_json("GET", f"/apis/{RBAC}/clusterroles/{role}")[1]
    assert seen["rules"][0]["verbs"] == ["get", "list"]
    assert "namespace" not in seen["metadata"]
    event = AuditEvent.objects.latest("pk")
    assert (event.action, event.target_kind, event.target_name, event.result) == (
        "clusterrole.apply",
        "ClusterRole",
        role,
        "success",
    )

    team_group = team_role_group(tenancy.team_a.slug, "viewer")
    doc = binding("ClusterRoleBinding", bound, "ClusterRole", role, [group(team_group)])
    created = admin.post(url(everywhere, "clusterrolebindings", "apply/"), {"documents": [doc]}, format="json")
    assert created.status_code == 201, created.content

    rows = admin.get(url(everywhere, "clusterrolebindings"), {"name": bound}).json()["items"]
    assert rows[0]["columns"]["role"] == f"ClusterRole/{role}"
    assert rows[0]["columns"]["subjects"] == f"Group:{team_group}"

    # Its page at the cluster's address, then a delete from it.
    pages = page_client(tenancy.admin)
    detail = pages.get(page(everywhere, "clusterroles", f"{role}/"))
    assert detail.status_code == 200 and "configmaps" in detail.content.decode()
    assert pages.post(page(everywhere, "clusterroles", f"{role}/delete/"), {"confirm": role}).status_code == 302
    with pytest.raises(kube.KubeNotFound):
        platform_client.request_json("GET", f"/apis/{RBAC}/clusterroles/{role}")


def test_built_in_and_portal_roles_are_read_only(api, tenancy, ready_ns, everywhere, platform_client):
    admin = api.as_(tenancy.admin)
    rows = {row["name"]: row for row in admin.get(url(everywhere, "clusterroles"), {"limit": 500}).json()["items"]}
    assert rows["admin"]["columns"]["origin"] == "built-in"
    assert rows["kube-portal:team-admin"]["columns"]["origin"] == "portal"
    assert "into admin" in rows["system:aggregate-to-admin"]["columns"]["aggregation"]
    assert "aggregated" in rows["admin"]["columns"]["aggregation"]

    # A name with colons reads in the API and on a page.
    assert admin.get(url(everywhere, "clusterroles", "system:aggregate-to-admin/")).status_code == 200
    html = page_client(tenancy.admin).get(page(everywhere, "clusterroles", "kube-portal:team-admin/")).content.decode()
    assert 'id="locked"' in html and 'id="delete-form"' not in html

    refused = admin.delete(url(everywhere, "clusterroles", "admin/"))
    assert refused.status_code == 403, refused.content
    assert "built-in" in refused.json()["detail"]
    platform_client.request_json("GET", f"/apis/{RBAC}/clusterroles/admin")  # still there

    changed = admin.post(
        url(everywhere, "clusterroles", "apply/"), {"documents": [cluster_role("kube-portal:team-view")]}, format="json"
    )
    assert changed.status_code == 403, changed.content
    # The team namespace's portal-made RoleBindings too.
    bindings = admin.get(url(ready_ns.pk, "rolebindings")).json()["items"]
    portal_made = [row["name"] for row in bindings if row["columns"]["origin"] == "portal"]
    assert portal_made
    assert admin.delete(url(ready_ns.pk, "rolebindings", f"{portal_made[0]}/")).status_code == 403


def test_cluster_scoped_kinds_live_only_at_a_cluster_s_address(api, tenancy, ready_ns, everywhere):
    admin = api.as_(tenancy.admin)
    assert admin.get(url(ready_ns.pk, "clusterroles")).status_code == 404
    assert admin.get(url(f"{tenancy.cluster.slug}:default", "clusterroles")).status_code == 404
    misplaced = admin.post(
        url(ready_ns.pk, "configmaps", "apply/"), {"documents": [cluster_role("misplaced")]}, format="json"
    )
    assert misplaced.status_code == 400 and "kind" in misplaced.json()["errors"]
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "nowhere"}}
    nowhere = admin.post(url(everywhere, "clusterroles", "apply/"), {"documents": [config_map]}, format="json")
    assert nowhere.status_code == 400 and "kind" in nowhere.json()["errors"]
    # Team members reach no cluster-scoped kind anywhere.
    for user in (tenancy.owner, tenancy.maintainer):
        assert api.as_(user).get(url(ready_ns.pk, "clusterroles")).status_code == 404
        assert api.as_(user).get(url(everywhere, "clusterroles")).status_code == 404
        assert page_client(user).get(page(everywhere, "clusterroles")).status_code == 404


def test_rules_and_subjects_are_checked_before_the_api_server(api, tenancy, everywhere):
    admin = api.as_(tenancy.admin)
    typo = admin.post(
        url(everywhere, "clusterroles", "apply/"), {"documents": [cluster_role("typo", verbs=["lsit"])]}, format="json"
    )
    assert typo.status_code == 400, typo.content
    assert "lsit" in typo.json()["errors"]["rules[0].verbs"][0]
    empty = binding("ClusterRoleBinding", "nobody", "ClusterRole", "view", [])
    answer = admin.post(url(everywhere, "clusterrolebindings", "apply/"), {"documents": [empty]}, format="json")
    assert answer.status_code == 400 and "subjects" in answer.json()["errors"]
    wrong_ref = binding("ClusterRoleBinding", "wrong", "Role", "view", [group("g")])
    answer = admin.post(url(everywhere, "clusterrolebindings", "apply/"), {"documents": [wrong_ref]}, format="json")
    assert answer.status_code == 400 and "roleRef.kind" in answer.json()["errors"]
    bad_name = cluster_role("a/b")
    answer = admin.post(url(everywhere, "clusterroles", "apply/"), {"documents": [bad_name]}, format="json")
    assert answer.status_code == 400 and "metadata.name" in answer.json()["errors"]


def test_a_maintainer_binds_within_the_team_and_cannot_escalate(api, tenancy, ready_ns, unique, platform_client):
    maintainer = api.as_(tenancy.maintainer)
    team_viewers = group(team_role_group(tenancy.team_a.slug, "viewer"))

    # Within the team, to a role they hold: the API server lets it through.
    name = unique("viewers")
    ok = binding("RoleBinding", name, "ClusterRole", "kube-portal:team-view", [team_viewers])
    answer = maintainer.post(url(ready_ns.pk, "rolebindings", "apply/"), {"documents": [ok]}, format="json")
    assert answer.status_code == 201, answer.content
    platform_client.request_json("GET", f"/apis/{RBAC}/namespaces/{ready_ns.name}/rolebindings/{name}")

    # More rights than they hold: the API server refuses (they are impersonated).
    climb = binding("RoleBinding", unique("climb"), "ClusterRole", "cluster-admin", [team_viewers])
    answer = maintainer.post(url(ready_ns.pk, "rolebindings", "apply/"), {"documents": [climb]}, format="json")
    assert answer.status_code == 403, answer.content

    # Someone outside the team: the portal refuses, naming the subject.
    outsider = {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "portal:b-owner"}
    other_team = group(team_role_group(tenancy.team_b.slug, "owner"))
    foreign = binding("RoleBinding", unique("foreign"), "ClusterRole", "kube-portal:team-view", [outsider, other_team])
    answer = maintainer.post(url(ready_ns.pk, "rolebindings", "apply/"), {"documents": [foreign]}, format="json")
    assert answer.status_code == 400, answer.content
    assert set(answer.json()["errors"]) == {"subjects[0]", "subjects[1]"}

    # A developer holds no RoleBinding rights at all: the API server says so.
    developer = api.as_(tenancy.developer)
    answer = developer.post(
        url(ready_ns.pk, "rolebindings", "apply/"),
        {"documents": [binding("RoleBinding", unique("dev"), "ClusterRole", "kube-portal:team-view", [team_viewers])]},
        format="json",
    )
    assert answer.status_code == 403, answer.content


def test_an_edit_cannot_bind_outside_the_team_either(api, tenancy, ready_ns, unique):
    maintainer = api.as_(tenancy.maintainer)
    name = unique("edited")
    team_viewers = group(team_role_group(tenancy.team_a.slug, "viewer"))
    doc = binding("RoleBinding", name, "ClusterRole", "kube-portal:team-view", [team_viewers])
    assert (
        maintainer.post(url(ready_ns.pk, "rolebindings", "apply/"), {"documents": [doc]}, format="json").status_code
        == 201
    )
    shown = maintainer.get(url(ready_ns.pk, "rolebindings", f"{name}/edit/")).json()
    edited = yaml.safe_load(shown["yaml"])
    edited["subjects"].append({"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "portal:b-owner"})
    form = {
        "manifest": yaml.safe_dump(edited),
        "resource_version": shown["resource_version"],
        "fingerprint": shown["fingerprint"],
    }
    answer = page_client(tenancy.maintainer).post(page(ready_ns.pk, "rolebindings", f"{name}/edit/apply/"), form)
    assert answer.status_code == 400
    assert "binds only its own" in answer.content.decode()
    subjects = maintainer.get(url(ready_ns.pk, "rolebindings", f"{name}/")).json()["object"]["subjects"]
    assert [s["name"] for s in subjects] == [team_viewers["name"]]
