"""Tenancy holds in the API server itself, whatever the portal's own checks do.

These tests call the service layer directly, skipping every portal permission
check, so what stops a tenant here is Kubernetes RBAC and admission.
"""

import time

import pytest
import yaml

from clusters import kube
from rbac import live, team_roles
from rbac.choices import NamespacePhase
from rbac.identity import identity_for
from rbac.reconcile import reconcile_cluster
from rbac.team_kubeconfig import team_kubeconfig
from tests.rbac.conftest import make_team_namespace
from tests.support.live import pod
from tests.support.wait import wait_for
from workloads import services

pytestmark = pytest.mark.devcluster


@pytest.fixture
def spaces(tenancy, unique):
    a = make_team_namespace(tenancy, tenancy.team_a, unique("a"))
    b = make_team_namespace(tenancy, tenancy.team_b, unique("b"))
    reconcile_cluster(cluster=tenancy.cluster)
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.phase == b.phase == NamespacePhase.READY
    # RBAC reads bindings from an informer: wait until team A's developer can work.
    wait_for(lambda: _can(tenancy.developer, a), 10, what="bindings effective")
    return a, b


def _can(user, tn) -> bool:
    try:
        live.pods_list(user=user, namespace=tn)
        return True
    except kube.KubeForbidden:
        return False


def _as(user, tenancy):
    return kube.client_for(tenancy.cluster, identity=identity_for(user))


def test_a_developer_cannot_touch_another_teams_namespace(tenancy, spaces):
    a, b = spaces
    created = services.deployment_create(user=tenancy.developer, namespace=a, name="web", image="registry.example/w:1")
    assert created["metadata"]["namespace"] == a.name
    with pytest.raises(kube.KubeForbidden):
        services.deployment_create(user=tenancy.developer, namespace=b, name="web", image="registry.example/w:1")
    with pytest.raises(kube.KubeForbidden):
        live.pods_list(user=tenancy.developer, namespace=b)


def test_a_viewer_reads_but_cannot_change_anything(tenancy, spaces):
    a, _b = spaces
    assert live.pods_list(user=tenancy.viewer, namespace=a) == []
    with pytest.raises(kube.KubeForbidden):
        services.deployment_create(user=tenancy.viewer, namespace=a, name="web", image="registry.example/w:1")


def test_an_owner_cannot_bind_cluster_admin(tenancy, spaces):
    a, _b = spaces
    k = kube.k8s
    binding = k.V1RoleBinding(
        metadata=k.V1ObjectMeta(name="escalate"),
        role_ref=k.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="cluster-admin"),
        subjects=[k.RbacV1Subject(kind="User", name="portal:a-owner", api_group="rbac.authorization.k8s.io")],
    )
    with _as(tenancy.owner, tenancy) as client, pytest.raises(kube.KubeForbidden) as refused:
        client.rbac.create_namespaced_role_binding(a.name, binding)
    assert "escalat" in refused.value.message
    # Nor the built-in `edit`: it may impersonate service accounts, which no team role holds.
    binding.metadata.name, binding.role_ref.name = "teammate-edit", "edit"
    with _as(tenancy.owner, tenancy) as client, pytest.raises(kube.KubeForbidden) as refused:
        client.rbac.create_namespaced_role_binding(a.name, binding)
    assert "impersonate" in refused.value.message
    # While binding the team's own edit role to a teammate is within the owner's rights.
    binding.role_ref.name = team_roles.EDIT
    with _as(tenancy.owner, tenancy) as client:
        client.rbac.create_namespaced_role_binding(a.name, binding)


def test_a_tenant_sees_no_cluster_scope_and_no_other_namespace(tenancy, spaces):
    _a, b = spaces
    with _as(tenancy.owner, tenancy) as client:
        for call in (client.core.list_node, client.core.list_namespace, client.core.list_pod_for_all_namespaces):
            with pytest.raises(kube.KubeForbidden):
                call()
        with pytest.raises(kube.KubeForbidden):
            client.core.list_namespaced_config_map(b.name)


def test_even_an_owner_cannot_change_its_quota_or_limit_range(tenancy, spaces):
    a, _b = spaces
    with _as(tenancy.owner, tenancy) as client:
        with pytest.raises(kube.KubeForbidden):
            client.core.patch_namespaced_resource_quota("portal-quota", a.name, {"spec": {"hard": {"pods": "999"}}})
        with pytest.raises(kube.KubeForbidden):
            client.core.delete_namespaced_limit_range("portal-limits", a.name)


def test_no_pods_beyond_the_quota_through_the_portal(tenancy, spaces, platform_client):
    a, _b = spaces
    services.deployment_create(
        user=tenancy.developer, namespace=a, name="many", image="registry.example/m:1", replicas=5
    )

    def stuck_at_quota():
        rs = platform_client.apps.list_namespaced_replica_set(a.name).items
        failures = [c for r in rs for c in r.status.conditions or [] if c.type == "ReplicaFailure"]
        return failures and "exceeded quota" in failures[0].message

    wait_for(stuck_at_quota, 30, what="the ReplicaSet to hit the quota")
    assert len(platform_client.core.list_namespaced_pod(a.name).items) == 3
    quota = wait_for(
        lambda: (q := live.namespace_quota(user=tenancy.viewer, namespace=a))["pods"]["used"] == "3" and q,
        30,
        what="quota used = 3",
    )
    assert quota["pods"] == {"hard": "3", "used": "3"}
    # LimitRange defaults gave every pod requests, which the quota counts.
    assert quota["requests.cpu"] == {"hard": "1", "used": "300m"}


def test_the_team_kubeconfig_holds_quota_and_rbac_and_dies_with_the_membership(tenancy, spaces):
    a, b = spaces
    text = team_kubeconfig(user=tenancy.developer, team=tenancy.team_a)
    config = yaml.safe_load(text)
    assert [c["context"]["namespace"] for c in config["contexts"]] == [a.name]

    with kube.client_from_kubeconfig(text) as kubectl:
        wait_for(lambda: kubectl.core.list_namespaced_pod(a.name) is not None, 10, what="SA binding effective")
        for i in range(3):
            kubectl.core.create_namespaced_pod(a.name, pod(f"p{i}"))
        with pytest.raises(kube.QuotaExceeded):
            kubectl.core.create_namespaced_pod(a.name, pod("one-too-many"))
        with pytest.raises(kube.KubeForbidden):
            kubectl.core.list_namespaced_pod(b.name)
        with pytest.raises(kube.KubeForbidden):
            kubectl.core.patch_namespaced_resource_quota("portal-quota", a.name, {"spec": {"hard": {"pods": "50"}}})

    tenancy.team_a.memberships.get(user=tenancy.developer).delete()
    reconcile_cluster(cluster=tenancy.cluster)
    with kube.client_from_kubeconfig(text) as kubectl:
        # The API server caches authenticated tokens for a few seconds: allow for it.
        deadline = time.monotonic() + 45
        while True:
            try:
                kubectl.core.list_namespaced_pod(a.name)
            except kube.ClusterUnauthorized:
                break  # the ServiceAccount is gone: the token no longer authenticates at all
            except kube.KubeForbidden:
                pass  # its binding is gone already; the ServiceAccount's deletion follows
            assert time.monotonic() < deadline, "the token still works after the membership ended"
            time.sleep(0.3)


def test_a_non_member_gets_no_team_kubeconfig(tenancy, spaces):
    from portal.errors import PortalError

    with pytest.raises(PortalError):
        team_kubeconfig(user=tenancy.users["b-owner"], team=tenancy.team_a)
