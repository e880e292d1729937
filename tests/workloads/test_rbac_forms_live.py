"""Create forms for Roles, ClusterRoles and their bindings
(workloads/forms_rbac.py) against the devcluster: each form makes the
manifest the API server then has; an unknown verb, no rules or no subjects
are messages at the fields with a 400 and nothing applied; a team subject is
its role groups; a team maintainer's RoleBinding form offers only their own
team, and the portal refuses another team's subjects."""

import html
import re

import pytest

from clusters import kube
from portal.models import AuditEvent
from rbac.identity import team_role_group
from tests.workloads.addresses import page_client
from tests.workloads.test_rbac_kinds_live import (  # noqa: F401  fixtures
    everywhere,
    made_cluster_objects,
    platform_client,
)

pytestmark = pytest.mark.devcluster

RBAC = "rbac.authorization.k8s.io/v1"


def form_url(place, plural) -> str:
    return f"/workloads/namespaces/{place}/{plural}/new/form/"


def text(response) -> str:
    return html.unescape(response.content.decode())


def rows(prefix: str, *values: dict, total: int = 4) -> dict:
    """A formset's posted rows, as the page's form sends them (lists for checkboxes)."""
    data = {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": "0"}
    for index, row in enumerate(values):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def field_errors(page: str, field: str) -> list[str]:
    """The messages shown at one field of the form."""
    found = rf'<div class="field has-error" id="field-{re.escape(field)}">(.*?)(?=<div class="field|</fieldset>)'
    match = re.search(found, page, re.S)
    return re.findall(r'<p class="error" role="alert">(.*?)</p>', match.group(1), re.S) if match else []


def live(client, plural, name, namespace=""):
    path = f"/apis/{RBAC}/namespaces/{namespace}/{plural}/{name}" if namespace else f"/apis/{RBAC}/{plural}/{name}"
    try:
        return client.request_json("GET", path)[1]
    except kube.KubeNotFound:
        return None


def test_a_cluster_role_from_its_rules_editor(tenancy, everywhere, unique, made_cluster_objects, platform_client):  # noqa: F811
    admin = page_client(tenancy.admin)
    name = unique("form-reader")
    made_cluster_objects["clusterroles"].append(name)
    form = {
        "name": name,
        "aggregate_into": ["view"],
        **rows(
            "rules",
            {"api_groups": "", "resources": "configmaps pods/log", "verbs": ["get", "list"], "other_verbs": "watch"},
            {"api_groups": "apps", "resources": "deployments", "resource_names": "web", "other_verbs": "*"},
            {"non_resource_urls": "/healthz /metrics", "verbs": ["get"]},
        ),
    }
    assert admin.get(form_url(everywhere, "clusterroles")).status_code == 200
    preview = admin.post(form_url(everywhere, "clusterroles"), {**form, "preview": "1"})
    assert preview.status_code == 200, text(preview)
    assert "nonResourceURLs" in text(preview) and live(platform_client, "clusterroles", name) is None

    created = admin.post(form_url(everywhere, "clusterroles"), {**form, "create": "1"})
    assert created.status_code == 302, text(created)
    assert created["Location"] == f"/workloads/namespaces/{everywhere}/clusterroles/{name}/"
    role = live(platform_client, "clusterroles", name)
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["configmaps", "pods/log"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["apps"], "resources": ["deployments"], "resourceNames": ["web"], "verbs": ["*"]},
        {"nonResourceURLs": ["/healthz", "/metrics"], "verbs": ["get"]},
    ]
    assert role["metadata"]["labels"] == {"rbac.authorization.k8s.io/aggregate-to-view": "true"}
    event = AuditEvent.objects.filter(action="clusterrole.create").latest("pk")
    assert (event.target_name, event.result) == (name, "success")


def test_a_role_and_bad_rules_as_field_messages(tenancy, ready_ns, unique, platform_client):  # noqa: F811
    maintainer = page_client(tenancy.maintainer)
    url = form_url(ready_ns.pk, "roles")
    name = unique("form-role")
    good = {"name": name, **rows("rules", {"resources": "configmaps", "verbs": ["get", "watch"]})}
    assert maintainer.post(url, {**good, "create": "1"}).status_code == 302
    assert live(platform_client, "roles", name, ready_ns.name)["rules"] == [
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "watch"]}
    ]

    bad = unique("form-bad")
    typo = maintainer.post(
        url, {"name": bad, "create": "1", **rows("rules", {"resources": "pods", "other_verbs": "lsit"})}
    )
    assert typo.status_code == 400
    assert "Unknown verbs: lsit" in " ".join(field_errors(text(typo), "rules-0-other_verbs"))
    # A non-resource URL is not a Role's: the Role form has no such field at all.
    assert 'name="rules-0-non_resource_urls"' not in text(typo)
    no_verb = maintainer.post(url, {"name": bad, "create": "1", **rows("rules", {"resources": "pods"})})
    assert no_verb.status_code == 400 and field_errors(text(no_verb), "rules-0-verbs") == ["Name at least one verb."]
    no_rules = maintainer.post(url, {"name": bad, "create": "1", **rows("rules")})
    assert no_rules.status_code == 400 and "Give at least one rule." in text(no_rules)
    bad_name = maintainer.post(
        url, {"name": "a/b", "create": "1", **rows("rules", {"resources": "pods", "verbs": ["get"]})}
    )
    assert bad_name.status_code == 400 and field_errors(text(bad_name), "name")
    assert live(platform_client, "roles", bad, ready_ns.name) is None


def test_a_cluster_role_binding_to_a_team(tenancy, everywhere, unique, made_cluster_objects, platform_client):  # noqa: F811
    admin = page_client(tenancy.admin)
    name = unique("form-binding")
    made_cluster_objects["clusterrolebindings"].append(name)
    url = form_url(everywhere, "clusterrolebindings")
    page = text(admin.get(url))
    # The roles to offer are read live; every team may be bound by an admin.
    assert '<datalist id="role-names">' in page and '<option value="view">' in page
    assert 'value="team-a"' in page and 'value="team-b"' in page
    assert 'value="Role"' not in page  # a ClusterRoleBinding binds ClusterRoles only

    form = {
        "name": name,
        "role_kind": "ClusterRole",
        "role_name": "view",
        **rows(
            "subjects",
            {"kind": "Team", "team": tenancy.team_a.slug},
            {"kind": "Team", "team": tenancy.team_b.slug, "team_role": "viewer"},
            {"kind": "ServiceAccount", "name": "robot", "namespace": "tools"},
            {"kind": "User", "name": "alice"},
        ),
    }
    assert admin.post(url, {**form, "create": "1"}).status_code == 302
    binding = live(platform_client, "clusterrolebindings", name)
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}
    assert [(s["kind"], s["name"], s.get("namespace")) for s in binding["subjects"]] == [
        *[("Group", team_role_group("team-a", role), None) for role in ("owner", "maintainer", "developer", "viewer")],
        ("Group", team_role_group("team-b", "viewer"), None),
        ("ServiceAccount", "robot", "tools"),
        ("User", "alice", None),
    ]


def test_bad_bindings_as_field_messages(tenancy, everywhere, unique, platform_client):  # noqa: F811
    admin = page_client(tenancy.admin)
    url = form_url(everywhere, "clusterrolebindings")
    name = unique("form-nobody")
    empty = admin.post(
        url, {"name": name, "role_kind": "ClusterRole", "role_name": "view", "create": "1", **rows("subjects")}
    )
    assert empty.status_code == 400
    assert "Bind at least one subject" in text(empty)
    missing = admin.post(
        url,
        {
            "name": "",
            "role_kind": "ClusterRole",
            "role_name": "",
            "create": "1",
            **rows(
                "subjects",
                {"kind": "Team"},
                {"kind": "ServiceAccount", "name": "robot"},
                {"kind": "User", "namespace": "x"},
            ),
        },
    )
    page = text(missing)
    assert missing.status_code == 400
    assert field_errors(page, "name") and field_errors(page, "role_name")
    assert field_errors(page, "subjects-0-team") == ["Choose the team to bind."]
    assert field_errors(page, "subjects-1-namespace") == ["A ServiceAccount is named with its namespace."]
    assert field_errors(page, "subjects-2-name") == ["Name the subject."]
    assert live(platform_client, "clusterrolebindings", name) is None


def test_a_maintainer_binds_only_their_team(tenancy, ready_ns, unique, platform_client):  # noqa: F811
    maintainer = page_client(tenancy.maintainer)
    url = form_url(ready_ns.pk, "rolebindings")
    page = text(maintainer.get(url))
    assert 'value="team-a"' in page and 'value="team-b"' not in page  # the team choice: their own only
    assert '<option value="kube-portal:team-view">' in page

    name = unique("form-team-view")
    form = {
        "name": name,
        "role_kind": "ClusterRole",
        "role_name": "kube-portal:team-view",
        **rows(
            "subjects",
            {"kind": "Team", "team": "team-a", "team_role": "viewer"},
            {"kind": "ServiceAccount", "name": "default"},
        ),
    }
    assert maintainer.post(url, {**form, "create": "1"}).status_code == 302
    subjects = live(platform_client, "rolebindings", name, ready_ns.name)["subjects"]
    assert [(s["kind"], s["name"], s.get("namespace")) for s in subjects] == [
        ("Group", team_role_group("team-a", "viewer"), None),
        ("ServiceAccount", "default", ready_ns.name),
    ]

    # Another team is not a choice; its group typed in is refused at its row by the portal.
    other = unique("form-foreign")
    foreign = {
        **form,
        "name": other,
        **rows(
            "subjects",
            {"kind": "Team", "team": "team-a"},
            {"kind": "Group", "name": team_role_group("team-b", "owner")},
        ),
    }
    refused = maintainer.post(url, {**foreign, "preview": "1"})
    assert refused.status_code == 400
    page = text(refused)
    assert "binds only its own" in page
    assert re.search(r'id="subjects-row-1">.*?binds only its own', page, re.S)  # the second row, after 4 groups
    chosen = maintainer.post(url, {**foreign, "create": "1", **rows("subjects", {"kind": "Team", "team": "team-b"})})
    assert chosen.status_code == 400
    assert "team-b is not one of the available choices" in " ".join(field_errors(text(chosen), "subjects-0-team"))
    assert live(platform_client, "rolebindings", other, ready_ns.name) is None


def test_a_role_of_the_namespace_bound_and_escalation_refused_on_the_page(tenancy, ready_ns, unique, platform_client):  # noqa: F811
    maintainer = page_client(tenancy.maintainer)
    role = unique("form-own-role")
    created = maintainer.post(
        form_url(ready_ns.pk, "roles"),
        {"name": role, "create": "1", **rows("rules", {"resources": "configmaps", "verbs": ["get"]})},
    )
    assert created.status_code == 302
    url = form_url(ready_ns.pk, "rolebindings")
    assert f'<option value="{role}">' in text(maintainer.get(url))  # the namespace's Roles are offered

    team_viewers = {"kind": "Team", "team": "team-a", "team_role": "viewer"}
    name = unique("form-own-binding")
    bound = maintainer.post(
        url, {"name": name, "role_kind": "Role", "role_name": role, "create": "1", **rows("subjects", team_viewers)}
    )
    assert bound.status_code == 302
    assert live(platform_client, "rolebindings", name, ready_ns.name)["roleRef"]["kind"] == "Role"

    # More rights than the maintainer holds: the API server refuses them (impersonated), said on the page.
    climb = unique("form-climb")
    form = {"name": climb, "role_kind": "ClusterRole", "role_name": "cluster-admin", **rows("subjects", team_viewers)}
    refused = maintainer.post(url, {**form, "create": "1"})
    assert refused.status_code == 403
    assert "attempting to grant RBAC permissions not currently held" in text(refused)
    # A developer holds no RBAC rights at all.
    assert page_client(tenancy.developer).post(url, {**form, "role_name": "view", "create": "1"}).status_code == 403
    assert live(platform_client, "rolebindings", climb, ready_ns.name) is None
