"""A token limited to team A, whose owner is also in team B (two teams of the
test's own), against the devcluster: the portal answers 404 for team B's
namespace, and the identity the portal would impersonate for it carries only
team A's groups, so the API server itself refuses team B (a
SubjectAccessReview and a direct impersonated call say so)."""

import pytest
from rest_framework.test import APIClient

from clusters import kube
from portal.roles import TeamRole
from portal.teams import Membership, Team
from rbac.authentication import scoped_user
from rbac.choices import NamespacePhase
from rbac.identity import identity_for, team_role_group
from rbac.reconcile import reconcile_cluster
from rbac.services import api_token_create
from tests.rbac.conftest import make_team_namespace
from tests.support.wait import wait_for

pytestmark = pytest.mark.devcluster

SAR_PATH = "/apis/authorization.k8s.io/v1/subjectaccessreviews"


@pytest.fixture
def spaces(tenancy, unique):
    """Two teams of this test's own (their groups are bound by nothing else in
    the shared devcluster), a ready namespace each, and a developer of both."""
    teams = []
    for prefix in ("tok-a", "tok-b"):
        slug = unique(prefix)
        team = Team.objects.create(name=slug, slug=slug)
        team.allowed_clusters.set([tenancy.cluster])
        Membership.objects.create(team=team, user=tenancy.developer, role=TeamRole.DEVELOPER)
        teams.append(team)
    a = make_team_namespace(tenancy, teams[0], teams[0].slug)
    b = make_team_namespace(tenancy, teams[1], teams[1].slug)
    reconcile_cluster(cluster=tenancy.cluster, only=[a.pk, b.pk])
    for namespace in (a, b):
        namespace.refresh_from_db()
        assert namespace.phase == NamespacePhase.READY, namespace.conditions
    # RBAC reads bindings from an informer: wait until the developer can list pods in both.
    identity = identity_for(tenancy.developer)
    wait_for(lambda: _allowed(tenancy, identity, a.name) and _allowed(tenancy, identity, b.name), 10, what="bindings")
    return a, b


def _allowed(tenancy, identity, namespace) -> bool:
    """The API server's answer to: may `identity` list pods in `namespace`?"""
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {
            "user": identity.user,
            "groups": list(identity.groups),
            "resourceAttributes": {"namespace": namespace, "verb": "list", "resource": "pods"},
        },
    }
    with kube.client_for(tenancy.cluster) as client:
        return client.post_object(SAR_PATH, review)["status"].get("allowed", False)


def _limited_to(user, namespace):
    """A token of `user` limited to `namespace`'s team, and an API client with
    it, which reads that namespace's pods."""
    token, key = api_token_create(user=user, name="limited", expires_in_days=1, teams=[namespace.team])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = client.get(f"/api/v1/namespaces/{namespace.pk}/kinds/pods/")
    assert response.status_code == 200, response.content
    return token, client


def test_a_token_limited_to_team_a_cannot_reach_team_bs_namespace(tenancy, spaces, api):
    a, b = spaces
    token, client = _limited_to(tenancy.developer, a)
    assert client.get(f"/api/v1/namespaces/{b.pk}/").status_code == 404
    assert client.get(f"/api/v1/namespaces/{b.pk}/kinds/pods/").status_code == 404
    assert client.get(f"/api/v1/namespaces/{b.pk}/quota/").status_code == 404
    # The same user, signed in, reaches both.
    assert api.as_(tenancy.developer).get(f"/api/v1/namespaces/{b.pk}/kinds/pods/").status_code == 200

    # Had it reached the cluster, the cluster would have refused it: its identity has team A's groups only.
    limited = identity_for(scoped_user(token))
    assert limited.groups == (team_role_group(a.team.slug, TeamRole.DEVELOPER),)
    assert _allowed(tenancy, limited, a.name)
    assert not _allowed(tenancy, limited, b.name)
    assert _allowed(tenancy, identity_for(tenancy.developer), b.name)
    with kube.client_for(tenancy.cluster, identity=limited) as client_as_token:
        assert client_as_token.core.list_namespaced_pod(a.name).items == []
        with pytest.raises(kube.KubeForbidden):
            client_as_token.core.list_namespaced_pod(b.name)


def test_an_admins_token_limited_to_team_a_is_a_member_of_team_a_only(tenancy, spaces):
    a, b = spaces
    Membership.objects.create(team=a.team, user=tenancy.admin, role=TeamRole.VIEWER)
    token, client = _limited_to(tenancy.admin, a)
    # Neither team B's namespace by id nor any namespace by its cluster name, as an admin could.
    assert client.get(f"/api/v1/namespaces/{b.pk}/kinds/pods/").status_code == 404
    assert client.get(f"/api/v1/namespaces/{tenancy.cluster.slug}:{b.name}/kinds/pods/").status_code == 404
    # A viewer of team A: reads, cannot write there either (the cluster refuses the impersonated call).
    response = client.post(
        f"/api/v1/namespaces/{a.pk}/kinds/configmaps/apply/",
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "by-admin-token"}},
        format="json",
    )
    assert response.status_code == 403, response.content
    limited = identity_for(scoped_user(token))
    assert limited.groups == (team_role_group(a.team.slug, TeamRole.VIEWER),)
    assert not _allowed(tenancy, limited, b.name)
