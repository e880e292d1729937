"""Cluster grants (rbac/grants.py) against the devcluster: declared in the
portal, made a ClusterRoleBinding by the reconciler, repaired when changed by
hand, replaced when the role changes, deleted with the grant; platform admins
only; and the API server's "who can" sees what a grant gives."""

import pytest

from clusters import kube
from portal.models import AuditEvent
from rbac.grants import ClusterGrant, GrantPhase
from rbac.identity import team_role_group
from rbac.reconcile import reconcile_cluster
from tests.api.conftest import ready_ns  # noqa: F401
from tests.api.generic import assert_error_shape
from tests.workloads.addresses import page_client

pytestmark = pytest.mark.devcluster

URL = "/api/v1/cluster-grants/"


def binding(platform_client, name):
    return platform_client.to_dict(platform_client.rbac.read_cluster_role_binding(name))


def names(obj):
    return sorted(f"{s['kind']}:{s['name']}" for s in obj.get("subjects") or [])


@pytest.fixture
def grant_cleanup(platform_client):
    made = []
    yield made
    for name in made:
        try:
            platform_client.rbac.delete_cluster_role_binding(name)
        except kube.KubeNotFound:
            pass


def test_a_grant_becomes_a_binding_kept_by_the_reconciler(
    api,
    tenancy,
    ready_ns,  # noqa: F811
    platform_client,
    unique,
    grant_cleanup,
):
    admin = api.as_(tenancy.admin)
    name = unique("auditors")
    created = admin.post(
        URL,
        {
            "cluster": tenancy.cluster.slug,
            "name": name,
            "role": "view",
            "teams": [tenancy.team_a.slug],
            "team_role": "viewer",
            "subjects": [
                {"kind": "Group", "name": "auditors"},
                {"kind": "ServiceAccount", "name": "scan", "namespace": "kube-system"},
            ],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    grant_cleanup.append(body["binding"])
    assert body["phase"] == "pending" and body["binding"] == f"kube-portal:grant:{name}"
    event = AuditEvent.objects.latest("pk")
    assert (event.action, event.result, event.target_kind, event.target_name, event.target_cluster) == (
        "clustergrant.create",
        "success",
        "ClusterGrant",
        name,
        tenancy.cluster.slug,
    )

    reconcile_cluster(cluster=tenancy.cluster)
    made = binding(platform_client, body["binding"])
    assert made["roleRef"]["name"] == "view"
    viewer_group = team_role_group(tenancy.team_a.slug, "viewer")
    assert names(made) == sorted([f"Group:{viewer_group}", "Group:auditors", "ServiceAccount:scan"])
    grant = ClusterGrant.objects.get(pk=body["id"])
    assert grant.phase == GrantPhase.READY

    # The API server agrees: team A's viewers now read pods in every namespace.
    asked = admin.get(
        "/api/v1/who-can/",
        {
            "cluster": tenancy.cluster.slug,
            "namespace": "kube-system",
            "subject_kind": "group",
            "subject": viewer_group,
            "verb": "list",
            "resource": "pods",
        },
    ).json()
    assert asked["can"]["allowed"] is True

    # Changed by hand: repaired, and said so on the grant and in the audit trail.
    platform_client.rbac.patch_cluster_role_binding(
        body["binding"], {"subjects": [{"kind": "Group", "name": "intruders", "apiGroup": "rbac.authorization.k8s.io"}]}
    )
    reconcile_cluster(cluster=tenancy.cluster)
    assert "Group:intruders" not in names(binding(platform_client, body["binding"]))
    grant.refresh_from_db()
    assert grant.phase == GrantPhase.READY and "repaired" in grant.message
    assert AuditEvent.objects.filter(action="clustergrant.drift_repaired", target_name=body["binding"]).exists()

    # Another role: the binding is replaced (roleRef cannot change in place).
    changed = admin.patch(f"{URL}{body['id']}/", {"role": "edit"}, format="json")
    assert changed.status_code == 200 and changed.json()["phase"] == "pending", changed.content
    reconcile_cluster(cluster=tenancy.cluster)
    assert binding(platform_client, body["binding"])["roleRef"]["name"] == "edit"

    # Deleted: the binding goes with it.
    assert admin.delete(f"{URL}{body['id']}/").status_code == 204
    with pytest.raises(kube.KubeNotFound):
        platform_client.rbac.read_cluster_role_binding(body["binding"])


def test_a_portal_binding_no_grant_declares_is_deleted(tenancy, ready_ns, platform_client, grant_cleanup):  # noqa: F811
    stray = "kube-portal:grant:stray"
    grant_cleanup.append(stray)
    platform_client.rbac.create_cluster_role_binding(
        {
            "metadata": {
                "name": stray,
                "labels": {"app.kubernetes.io/managed-by": "kube-portal", "portal.kube/grant": "stray"},
            },
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "stray"}],
        }
    )
    report = reconcile_cluster(cluster=tenancy.cluster)
    assert f"ClusterRoleBinding//{stray}" in report.deleted
    with pytest.raises(kube.KubeNotFound):
        platform_client.rbac.read_cluster_role_binding(stray)


def test_grants_are_platform_admins_and_bad_input_is_named(api, tenancy, ready_ns):  # noqa: F811
    for who in ("owner", "maintainer", "developer", "viewer"):
        member = api.as_(tenancy.users[who])
        assert_error_shape(member.get(URL), 403)
        assert_error_shape(
            member.post(
                URL,
                {"cluster": tenancy.cluster.slug, "name": "x", "role": "view", "teams": [tenancy.team_a.slug]},
                format="json",
            ),
            403,
        )
    assert_error_shape(api.as_(None).get(URL), 401)
    admin = api.as_(tenancy.admin)
    nobody = admin.post(URL, {"cluster": tenancy.cluster.slug, "name": "empty", "role": "view"}, format="json")
    assert "teams" in assert_error_shape(nobody, 400)["errors"]
    sa = admin.post(
        URL,
        {
            "cluster": tenancy.cluster.slug,
            "name": "sa",
            "role": "view",
            "subjects": [{"kind": "ServiceAccount", "name": "x"}],
        },
        format="json",
    )
    assert any(field.startswith("subjects") for field in assert_error_shape(sa, 400)["errors"])
    unknown = admin.post(
        URL, {"cluster": tenancy.cluster.slug, "name": "t", "role": "view", "teams": ["no-such-team"]}, format="json"
    )
    assert "teams" in assert_error_shape(unknown, 400)["errors"]
    bad_name = admin.post(
        URL,
        {"cluster": tenancy.cluster.slug, "name": "Not A Slug", "role": "view", "teams": [tenancy.team_a.slug]},
        format="json",
    )
    assert "name" in assert_error_shape(bad_name, 400)["errors"]
    assert not ClusterGrant.objects.exists()


def test_the_pages_create_show_and_delete_a_grant(tenancy, ready_ns, platform_client, unique, grant_cleanup):  # noqa: F811
    pages = page_client(tenancy.admin)
    name = unique("readers")
    grant_cleanup.append(f"kube-portal:grant:{name}")
    form = {
        "cluster": tenancy.cluster.pk,
        "name": name,
        "role": "view",
        "teams": [tenancy.team_a.pk],
        "team_role": "",
        "subject_lines": "Group: auditors\nServiceAccount:kube-system/scan",
    }
    created = pages.post("/rbac/grants/new/", form)
    assert created.status_code == 302, created.content.decode()[:2000]
    grant = ClusterGrant.objects.get(name=name)
    assert grant.subjects == [
        {"kind": "Group", "name": "auditors"},
        {"kind": "ServiceAccount", "name": "scan", "namespace": "kube-system"},
    ]
    assert set(grant.teams.all()) == {tenancy.team_a}
    reconcile_cluster(cluster=tenancy.cluster)
    listed = pages.get("/rbac/grants/").content.decode()
    assert name in listed and "Ready" in listed
    bad = pages.post("/rbac/grants/new/", {**form, "name": unique("bad"), "subject_lines": "Robot:r2d2"})
    assert bad.status_code == 400 and "Line 1" in bad.content.decode()
    assert page_client(tenancy.owner).get("/rbac/grants/").status_code == 403
    deleted = pages.post(f"/rbac/grants/{grant.pk}/delete/", {"confirm": name})
    assert deleted.status_code == 302
    with pytest.raises(kube.KubeNotFound):
        platform_client.rbac.read_cluster_role_binding(f"kube-portal:grant:{name}")
