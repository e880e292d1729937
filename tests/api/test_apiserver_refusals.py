"""The API server's own refusals, carried back through the REST API.

The permission matrix (test_permissions.py) shows the portal's checks on its
database rows. Here the portal's check passes, and the answer is the API
server's 403, with its message: a member whose RoleBinding was deleted out of
band reads as themselves (impersonated) and is refused; a platform admin acts
through cluster credentials that the cluster has granted nothing. Against the
devcluster (a real kube-apiserver with RBAC).
"""

import pytest

from clusters.models import Node
from clusters.services.inventory import cluster_nodes_sync
from portal.models import AuditEvent
from rbac.identity import team_role_group
from tests.api.generic import assert_error_shape
from tests.support import live
from tests.support.wait import wait_for

pytestmark = pytest.mark.devcluster


def _answer(api, user, url, status, method="get"):
    """The answer to `user`'s request once it has `status` (RBAC reaches the
    API server through an informer: a change takes a moment to show)."""

    def request():
        response = getattr(api.as_(user), method)(url)
        return response if response.status_code == status else None

    return wait_for(request, 20, 0.3, what=f"{method.upper()} {url} to answer {status}")


def _delete_group_bindings(admin, namespace: str, group: str) -> list[str]:
    """Delete, out of band, every RoleBinding in `namespace` that names `group`."""
    deleted = []
    for binding in admin.rbac.list_namespaced_role_binding(namespace).items:
        if any(s.kind == "Group" and s.name == group for s in binding.subjects or []):
            admin.rbac.delete_namespaced_role_binding(binding.metadata.name, namespace)
            deleted.append(binding.metadata.name)
    return deleted


def _assert_api_server_forbids(body, *, user: str, verb: str, resource: str):
    """The error is the API server's RBAC refusal, naming who asked for what."""
    assert body["type"] == "forbidden", body
    detail = body["detail"]
    assert "forbidden" in detail, detail
    assert f'User "{user}" cannot {verb} resource "{resource}"' in detail, detail


def test_a_member_whose_role_binding_was_deleted_is_refused_by_the_api_server(api, tenancy, ready_ns, admin):
    quota = f"/api/v1/namespaces/{ready_ns.pk}/quota/"
    _answer(api, tenancy.viewer, quota, 200)  # the viewer's group binding works

    group = team_role_group(tenancy.team_a.slug, "viewer")
    assert _delete_group_bindings(admin, ready_ns.name, group), f"no binding names {group}"

    response = _answer(api, tenancy.viewer, quota, 403)
    body = assert_error_shape(response, 403)
    _assert_api_server_forbids(body, user="portal:a-viewer", verb="get", resource="resourcequotas")
    assert ready_ns.name in body["detail"]
    # The portal's own check still lets the viewer see the namespace: the refusal is the API server's.
    assert api.as_(tenancy.viewer).get(f"/api/v1/namespaces/{ready_ns.pk}/").status_code == 200
    # Only that group lost its rights: a developer of the same team still reads the quota.
    assert api.as_(tenancy.developer).get(quota).status_code == 200


def test_a_namespace_the_portal_has_no_bindings_in_is_refused_to_every_member(api, tenancy, ready_ns, admin):
    """A team namespace whose RoleBindings were all deleted out of band: even
    its owner, whom the portal lets through, is refused by the API server."""
    for role in ("owner", "maintainer", "developer", "viewer"):
        _delete_group_bindings(admin, ready_ns.name, team_role_group(tenancy.team_a.slug, role))
    quota = f"/api/v1/namespaces/{ready_ns.pk}/quota/"
    body = assert_error_shape(_answer(api, tenancy.owner, quota, 403), 403)
    _assert_api_server_forbids(body, user="portal:a-owner", verb="get", resource="resourcequotas")
    # A platform admin outside the team reads with the portal's own credential, unaffected.
    assert api.as_(tenancy.admin).get(quota).status_code == 200


@pytest.fixture
def powerless(tenancy, devcluster):
    """The devcluster's cluster record, with a node synced, then its credentials
    replaced by a client certificate of a user the cluster grants nothing
    (stored without the connect check, as if narrowed out of band)."""
    name = live.create_node(devcluster)
    try:
        cluster_nodes_sync(cluster=tenancy.cluster)
        live.set_credentials(tenancy.cluster, live.cert_kubeconfig(devcluster, user="portal-powerless", groups=()))
        yield Node.objects.get(cluster=tenancy.cluster, name=name)
    finally:
        live.delete_node(devcluster, name)


def test_a_platform_admins_node_action_is_refused_by_the_api_server(api, tenancy, powerless, admin):
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = api.as_(tenancy.admin).post(f"/api/v1/nodes/{powerless.pk}/cordon/")
    body = assert_error_shape(response, 403)
    _assert_api_server_forbids(body, user="portal-powerless", verb="patch", resource="nodes")
    assert powerless.name in body["detail"]
    assert not admin.core.read_node(powerless.name).spec.unschedulable
    event = AuditEvent.objects.get(pk__gt=last)
    assert (event.action, event.result, event.status_code) == ("node.cordon", "denied", 403)

    body = assert_error_shape(api.as_(tenancy.admin).get(f"/api/v1/nodes/{powerless.pk}/pods/"), 403)
    _assert_api_server_forbids(body, user="portal-powerless", verb="list", resource="pods")


def test_a_members_kubeconfig_download_is_refused_by_the_api_server(api, tenancy, ready_ns, powerless):
    """The portal mints team kubeconfig tokens with its own credential: when the
    cluster refuses that credential, the member hears why."""
    response = api.as_(tenancy.developer).post("/api/v1/teams/team-a/kubeconfig/")
    body = assert_error_shape(response, 403)
    assert body["type"] == "forbidden" and "forbidden" in body["detail"], body
    assert 'User "portal-powerless" cannot' in body["detail"], body["detail"]
