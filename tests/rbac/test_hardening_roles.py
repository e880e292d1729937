"""Role changes and removals take effect in one reconcile, whatever else is
broken; and no team role can act as another identity. With team kubeconfigs
and through the portal's impersonation, against the devcluster."""

import time

import pytest

from clusters import kube
from rbac import provisioning as p
from rbac import services, team_roles
from rbac.choices import NamespacePhase
from rbac.identity import identity_for
from rbac.models import QuotaPlan
from rbac.reconcile import reconcile_cluster
from rbac.team_kubeconfig import team_kubeconfig
from tests.rbac.conftest import make_team_namespace
from tests.support.wait import wait_for

pytestmark = pytest.mark.devcluster


def _deployment(name: str) -> dict:
    labels = {"app": name}
    return {
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "registry.example/app:1"}]},
            },
        },
    }


def _allowed(call) -> bool:
    try:
        call()
        return True
    except kube.KubeForbidden:
        return False


@pytest.fixture
def ready(tenancy, unique):
    tn = make_team_namespace(tenancy, tenancy.team_a, unique("a-roles"))
    reconcile_cluster(cluster=tenancy.cluster)
    tn.refresh_from_db()
    assert tn.phase == NamespacePhase.READY, tn.conditions
    return tn


def test_a_demotion_and_a_removal_take_effect_in_one_reconcile_while_another_object_is_broken(tenancy, ready):
    tn = ready
    developer = kube.client_from_kubeconfig(team_kubeconfig(user=tenancy.developer, team=tenancy.team_a))
    viewer = kube.client_from_kubeconfig(team_kubeconfig(user=tenancy.viewer, team=tenancy.team_a))
    with developer, viewer:
        wait_for(
            lambda: _allowed(lambda: developer.apps.create_namespaced_deployment(tn.name, _deployment("before"))),
            10,
            what="the developer's binding to be effective",
        )
        viewer.core.list_namespaced_pod(tn.name)

        # A third object breaks: the plan now asks for a LimitRange the API server refuses.
        QuotaPlan.objects.filter(pk=tenancy.plan.pk).update(default_limit_cpu="4")
        services.membership_update(membership=tenancy.team_a.memberships.get(user=tenancy.developer), role="viewer")
        services.membership_delete(membership=tenancy.team_a.memberships.get(user=tenancy.viewer))

        report = reconcile_cluster(cluster=tenancy.cluster)

        limits_key = f"LimitRange/{tn.name}/{p.LIMITS_NAME}"
        assert limits_key in report.failed and "4" in report.failed[limits_key]
        binding = p.member_object_name(tenancy.developer.username)
        assert f"RoleBinding/{tn.name}/{binding}" in report.applied
        gone = p.identity_name(tenancy.team_a.slug, tenancy.viewer.username)
        assert f"ServiceAccount/{p.identity_namespace()}/{gone}" in report.deleted
        tn.refresh_from_db()
        assert tn.phase == NamespacePhase.FAILED
        assert [f["object"] for f in tn.conditions[0]["failed"]] == [limits_key]

        # RBAC reads bindings from an informer: allow it a moment, never the old rights for good.
        wait_for(
            lambda: not _allowed(lambda: developer.apps.create_namespaced_deployment(tn.name, _deployment("after"))),
            10,
            what="the demoted developer to lose write access",
        )
        developer.core.list_namespaced_pod(tn.name)  # a viewer still reads
        # The removed member's token stops authenticating once the API server's token cache expires.
        deadline = time.monotonic() + 45
        while True:
            try:
                viewer.core.list_namespaced_pod(tn.name)
            except kube.ClusterUnauthorized:
                break
            except kube.KubeForbidden:
                pass  # binding gone, the ServiceAccount's deletion not yet seen by the token cache
            assert time.monotonic() < deadline, "the removed member's token still works"
            time.sleep(0.3)

    # Once the plan is fixed, the namespace converges.
    QuotaPlan.objects.filter(pk=tenancy.plan.pk).update(default_limit_cpu="200m")
    assert reconcile_cluster(cluster=tenancy.cluster).failed == {}
    tn.refresh_from_db()
    assert tn.phase == NamespacePhase.READY


def test_a_developer_cannot_act_as_another_identity(tenancy, ready, platform_client):
    tn = ready
    owner_identity = p.identity_name(tenancy.team_a.slug, tenancy.owner.username)
    owner_sa = f"system:serviceaccount:{p.identity_namespace()}:{owner_identity}"
    team_kubeconfig(user=tenancy.owner, team=tenancy.team_a)  # the owner's identity exists
    token_request = kube.k8s.AuthenticationV1TokenRequest(spec=kube.k8s.V1TokenRequestSpec(audiences=[]))
    kubeconfig = team_kubeconfig(user=tenancy.developer, team=tenancy.team_a)
    # The developer's own kubeconfig, and the portal acting for the developer.
    with (
        kube.client_from_kubeconfig(kubeconfig) as kubectl,
        kube.client_for(tenancy.cluster, identity=identity_for(tenancy.developer)) as portal,
    ):
        for developer in (kubectl, portal):
            wait_for(lambda c=developer: _allowed(lambda: c.core.list_namespaced_pod(tn.name)), 10, what="binding")
            # No token for the owner's identity, and no look into the identity namespace at all.
            with pytest.raises(kube.KubeForbidden):
                developer.core.create_namespaced_service_account_token(
                    owner_identity, p.identity_namespace(), token_request
                )
            with pytest.raises(kube.KubeForbidden):
                developer.core.list_namespaced_secret(p.identity_namespace())
            # No token for any ServiceAccount in the team's own namespace either.
            with pytest.raises(kube.KubeForbidden):
                developer.core.create_namespaced_service_account_token("default", tn.name, token_request)
        # No impersonation (the portal never forwards such headers; kubectl can send them): not of the
        # owner's identity, the portal's name for the owner, the owners' group, or a ServiceAccount.
        for header, value in (
            ("Impersonate-User", owner_sa),
            ("Impersonate-User", f"system:serviceaccount:{tn.name}:default"),
            ("Impersonate-User", identity_for(tenancy.owner).user),
        ):
            status, body = _impersonating(kubectl, header, value, f"/api/v1/namespaces/{tn.name}/pods")
            assert status == 403 and "cannot impersonate" in body, (header, value, status, body)
    assert platform_client.core.read_namespaced_service_account(owner_identity, p.identity_namespace())


def test_a_viewer_cannot_read_secrets(tenancy, ready, platform_client):
    tn = ready
    platform_client.core.create_namespaced_secret(
        tn.name, {"metadata": {"name": "db"}, "stringData": {"password": "s3cret"}}
    )
    viewer = kube.client_from_kubeconfig(team_kubeconfig(user=tenancy.viewer, team=tenancy.team_a))
    with viewer, kube.client_for(tenancy.cluster, identity=identity_for(tenancy.viewer)) as portal_viewer:
        for client in (viewer, portal_viewer):
            wait_for(lambda c=client: _allowed(lambda: c.core.list_namespaced_pod(tn.name)), 10, what="binding")
            with pytest.raises(kube.KubeForbidden):
                client.core.read_namespaced_secret("db", tn.name)
            with pytest.raises(kube.KubeForbidden):
                client.core.list_namespaced_secret(tn.name)


def test_team_roles_hold_nothing_that_acts_as_another_identity(tenancy, ready, platform_client):
    for name in team_roles.SOURCES:
        rules = platform_client.rbac.read_cluster_role(name).rules
        assert rules, name
        for rule in rules:
            assert "impersonate" not in rule.verbs, (name, rule)
            assert "serviceaccounts/token" not in (rule.resources or []), (name, rule)
            if "*" in rule.verbs:  # a wildcard verb would include impersonate
                assert not {"*", "users", "groups", "serviceaccounts"} & set(rule.resources or []), (name, rule)


def _impersonating(client, header: str, value: str, path: str) -> tuple[int, str]:
    """GET `path` as `client` while asking to act as someone else."""
    api = client.core.api_client
    request = api.param_serialize(
        "GET", path, header_params={"Accept": "application/json", header: value}, auth_settings=["BearerToken"]
    )
    response = api.call_api(*request)
    return response.status, response.read().decode()
