"""Who can do what, answered by the devcluster's API server (rbac/who_can.py):
rules in a namespace and one yes/no question, for platform admins about
anyone and for a team's owners and maintainers about their own team."""

import pytest

from rbac.identity import team_role_group
from tests.api.conftest import ready_ns  # noqa: F401
from tests.api.generic import assert_error_shape
from tests.workloads.addresses import page_client

pytestmark = pytest.mark.devcluster

URL = "/api/v1/who-can/"


def ask(client, tenancy, namespace, kind, subject, **question):
    query = {"cluster": tenancy.cluster.slug, "namespace": namespace, "subject_kind": kind, "subject": subject}
    return client.get(URL, {**query, **question})


def granted(rules, verb, resource, group=""):
    return any(
        (verb in rule["verbs"] or "*" in rule["verbs"])
        and (resource in rule["resources"] or "*" in rule["resources"])
        and (group in rule["apiGroups"] or "*" in rule["apiGroups"])
        for rule in rules["resource_rules"]
    )


def test_an_admin_asks_about_a_member_a_team_a_group_and_a_service_account(api, tenancy, ready_ns):  # noqa: F811
    admin = api.as_(tenancy.admin)
    answer = ask(
        admin,
        tenancy,
        ready_ns.name,
        "portal-user",
        tenancy.developer.username,
        verb="create",
        resource="deployments",
        group="apps",
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["subject"]["user"] == f"portal:{tenancy.developer.username}"
    assert team_role_group(tenancy.team_a.slug, "developer") in body["subject"]["groups"]
    assert granted(body["rules"], "create", "deployments", "apps")
    assert not granted(body["rules"], "create", "rolebindings", "rbac.authorization.k8s.io")
    assert body["can"]["allowed"] is True and body["can"]["reason"]

    # The same developer cannot bind roles, and has nothing in another namespace.
    refused = ask(
        admin,
        tenancy,
        ready_ns.name,
        "portal-user",
        tenancy.developer.username,
        verb="create",
        resource="rolebindings",
        group="rbac.authorization.k8s.io",
    ).json()
    assert refused["can"]["allowed"] is False
    elsewhere = ask(
        admin, tenancy, "kube-system", "portal-user", tenancy.developer.username, verb="list", resource="pods"
    ).json()
    assert elsewhere["can"]["allowed"] is False and not granted(elsewhere["rules"], "list", "pods")

    # A team: its role groups together (the owners' admin rights among them).
    team = ask(admin, tenancy, ready_ns.name, "team", tenancy.team_a.slug).json()
    assert granted(team["rules"], "create", "rolebindings", "rbac.authorization.k8s.io")
    # A group alone: the viewers read, and do not write.
    viewers = ask(admin, tenancy, ready_ns.name, "group", team_role_group(tenancy.team_a.slug, "viewer")).json()
    assert granted(viewers["rules"], "list", "pods") and not granted(viewers["rules"], "create", "pods")
    # A ServiceAccount nobody bound.
    sa = ask(
        admin, tenancy, ready_ns.name, "serviceaccount", f"{ready_ns.name}:default", verb="list", resource="pods"
    ).json()
    assert sa["subject"]["user"] == f"system:serviceaccount:{ready_ns.name}:default"
    assert sa["can"]["allowed"] is False


def test_team_admins_ask_only_about_their_own_team_in_its_namespaces(api, tenancy, ready_ns):  # noqa: F811
    maintainer = api.as_(tenancy.maintainer)
    own = ask(maintainer, tenancy, ready_ns.name, "portal-user", tenancy.viewer.username)
    assert own.status_code == 200, own.content
    assert own.json()["rules"]["resource_rules"]
    for kind, subject in (
        ("portal-user", "b-owner"),
        ("team", tenancy.team_b.slug),
        ("group", team_role_group(tenancy.team_b.slug, "owner")),
        ("group", "system:masters"),
        ("user", "kubernetes-admin"),
        ("serviceaccount", "kube-system:default"),
    ):
        assert_error_shape(ask(maintainer, tenancy, ready_ns.name, kind, subject), 403)
    # Not outside the team's namespaces, and not for developers, viewers or other teams.
    assert_error_shape(ask(maintainer, tenancy, "kube-system", "portal-user", tenancy.viewer.username), 403)
    for who in ("developer", "viewer", "b-owner"):
        assert_error_shape(
            ask(api.as_(tenancy.users[who]), tenancy, ready_ns.name, "portal-user", tenancy.viewer.username), 403
        )
    assert_error_shape(ask(api.as_(None), tenancy, ready_ns.name, "portal-user", tenancy.viewer.username), 401)


def test_bad_questions_are_400s_naming_the_field(api, tenancy, ready_ns):  # noqa: F811
    admin = api.as_(tenancy.admin)
    body = assert_error_shape(ask(admin, tenancy, ready_ns.name, "robot", "x"), 400)
    assert "subject_kind" in body["errors"]
    body = assert_error_shape(ask(admin, tenancy, ready_ns.name, "portal-user", "nobody-here"), 400)
    assert "subject" in body["errors"]
    body = assert_error_shape(ask(admin, tenancy, ready_ns.name, "portal-user", "platform", verb="get"), 400)
    assert "resource" in body["errors"]
    body = assert_error_shape(ask(admin, tenancy, "Not A Namespace", "group", "g"), 400)
    assert "namespace" in body["errors"]
    body = assert_error_shape(
        admin.get(URL, {"cluster": "nowhere", "namespace": "default", "subject_kind": "group", "subject": "g"}), 400
    )
    assert "cluster" in body["errors"]
    body = assert_error_shape(ask(admin, tenancy, ready_ns.name, "serviceaccount", "default"), 400)
    assert "subject" in body["errors"]


def test_the_page_asks_and_shows_the_answer(tenancy, ready_ns):  # noqa: F811
    pages = page_client(tenancy.admin)
    query = {
        "cluster": tenancy.cluster.slug,
        "namespace": ready_ns.name,
        "subject_kind": "portal-user",
        "subject": tenancy.developer.username,
        "verb": "delete",
        "resource": "pods",
    }
    html = pages.get("/rbac/who-can/", query).content.decode()
    assert 'id="who-can-answer"' in html and "Allowed" in html
    assert 'id="who-can-rules"' in html and "deployments" in html
    bad = pages.get("/rbac/who-can/", {**query, "subject_kind": "robot"})
    assert bad.status_code == 400 and 'id="who-can-result"' not in bad.content.decode()
    refused = page_client(tenancy.developer).get("/rbac/who-can/", query)
    assert refused.status_code == 403 and 'id="who-can-error"' in refused.content.decode()
