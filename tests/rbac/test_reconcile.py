"""The reconciler against the devcluster: provisioning, drift repair, ownership."""

import pytest

from clusters import kube
from portal.models import AuditEvent
from rbac import provisioning as p
from rbac import team_roles
from rbac.choices import NamespacePhase
from rbac.reconcile import _LISTS, reconcile_cluster
from tests.rbac.conftest import make_team_namespace

pytestmark = pytest.mark.devcluster


def test_it_provisions_a_team_namespace_with_everything_it_owns(tenancy, platform_client, unique):
    tn = make_team_namespace(tenancy, tenancy.team_a, unique("a-dev"))
    report = reconcile_cluster(cluster=tenancy.cluster)
    assert report.failed == {}
    tn.refresh_from_db()
    assert tn.phase == NamespacePhase.READY, tn.conditions
    c = platform_client
    ns = c.core.read_namespace(tn.name)
    assert ns.metadata.labels[p.TEAM_LABEL] == "team-a" and ns.metadata.labels[p.MANAGED_BY] == p.MANAGER
    quota = c.core.read_namespaced_resource_quota(p.QUOTA_NAME, tn.name)
    assert quota.spec.hard == {
        "requests.cpu": "1",
        "requests.memory": "1Gi",
        "limits.cpu": "2",
        "limits.memory": "2Gi",
        "pods": "3",
    }
    limits = c.core.read_namespaced_limit_range(p.LIMITS_NAME, tn.name).spec.limits[0]
    assert limits.default_request == {"cpu": "100m", "memory": "64Mi"} and limits.max == {"cpu": "1", "memory": "1Gi"}
    bindings = {b.metadata.name: b for b in c.rbac.list_namespaced_role_binding(tn.name).items}
    assert bindings["portal-role-developer"].role_ref.name == team_roles.EDIT
    assert bindings["portal-role-viewer"].subjects[0].name == "portal:team:team-a:viewer"
    policy = c.networking.read_namespaced_network_policy(p.NETWORK_POLICY_NAME, tn.name)
    assert policy.spec.policy_types == ["Ingress"]
    # Members' identities live in the identity namespace, bound into the team namespace by role.
    member_bindings = [b for name, b in bindings.items() if name.startswith(p.MEMBER_PREFIX)]
    assert len(member_bindings) == 4
    for binding in member_bindings:
        (subject,) = binding.subjects
        assert subject.kind == "ServiceAccount" and subject.namespace == p.identity_namespace()
        c.core.read_namespaced_service_account(subject.name, p.identity_namespace())
    assert not [sa for sa in c.core.list_namespaced_service_account(tn.name).items if sa.metadata.name != "default"]
    owner_binding = bindings[p.member_object_name(tenancy.owner.username)]
    assert owner_binding.role_ref.name == team_roles.ADMIN


def test_it_repairs_drift_and_reports_it(tenancy, platform_client, unique):
    tn = make_team_namespace(tenancy, tenancy.team_a, unique("a-drift"))
    reconcile_cluster(cluster=tenancy.cluster)
    c = platform_client
    # Someone with the admin credential edits the quota and deletes a binding.
    c.core.patch_namespaced_resource_quota(p.QUOTA_NAME, tn.name, {"spec": {"hard": {"pods": "100"}}})
    c.rbac.delete_namespaced_role_binding("portal-role-developer", tn.name)
    # A label of someone else's on the quota must survive the repair.
    c.core.patch_namespaced_resource_quota(p.QUOTA_NAME, tn.name, {"metadata": {"labels": {"owner": "ops"}}})

    report = reconcile_cluster(cluster=tenancy.cluster)

    assert f"ResourceQuota/{tn.name}/{p.QUOTA_NAME}" in report.applied
    assert f"RoleBinding/{tn.name}/portal-role-developer" in report.applied
    quota = c.core.read_namespaced_resource_quota(p.QUOTA_NAME, tn.name)
    assert quota.spec.hard["pods"] == "3"
    assert quota.metadata.labels["owner"] == "ops"
    assert c.rbac.read_namespaced_role_binding("portal-role-developer", tn.name).role_ref.name == team_roles.EDIT
    tn.refresh_from_db()
    assert tn.conditions[0]["message"] == "Repaired drift."
    assert any(x["type"] == "DriftRepaired" for x in tn.conditions)
    event = AuditEvent.objects.get(action="namespace.drift_repaired", target_namespace=tn.name)
    assert any("ResourceQuota" in change for change in event.request_summary["changes"])


def test_nothing_is_written_when_nothing_drifted(tenancy, unique):
    for i in range(3):
        make_team_namespace(tenancy, tenancy.team_a, unique(f"a-calm{i}"))
    reconcile_cluster(cluster=tenancy.cluster)
    report = reconcile_cluster(cluster=tenancy.cluster)
    assert report.drifted == 0, (report.applied, report.deleted)
    # One list per managed kind plus namespaces, and one read per team role's source; however many namespaces.
    assert report.api_calls == 1 + len(_LISTS) + len(team_roles.SOURCES)


def test_it_removes_what_is_no_longer_desired(tenancy, platform_client, unique):
    tn = make_team_namespace(tenancy, tenancy.team_a, unique("a-shrink"))
    reconcile_cluster(cluster=tenancy.cluster)
    tn.network_isolated = False
    tn.save()
    tenancy.team_a.memberships.get(user=tenancy.viewer).delete()

    report = reconcile_cluster(cluster=tenancy.cluster)

    assert f"NetworkPolicy/{tn.name}/{p.NETWORK_POLICY_NAME}" in report.deleted
    sa = p.identity_name(tenancy.team_a.slug, tenancy.viewer.username)
    assert f"ServiceAccount/{p.identity_namespace()}/{sa}" in report.deleted
    binding = p.member_object_name(tenancy.viewer.username)
    assert f"RoleBinding/{tn.name}/{binding}" in report.deleted
    with pytest.raises(kube.KubeNotFound):
        platform_client.core.read_namespaced_service_account(sa, p.identity_namespace())
