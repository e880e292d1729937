"""The generic pages of live objects without a cluster to read: `world`'s
cluster has no credentials, so every read and write fails in the cluster
client, and each page must say so instead of failing. Access rules are the
portal's own here (who finds the namespace, who sees write controls)."""

import pytest

from workloads.kinds import KINDS

pytestmark = pytest.mark.django_db


def url(namespace, plural, tail=""):
    return f"/workloads/namespaces/{namespace.pk}/{plural}/{tail}"


@pytest.mark.parametrize("plural", ["deployments", "configmaps"])
def test_a_cluster_that_cannot_be_read_is_a_message_on_every_page(world, client_as, plural):
    developer = client_as("developer")
    listed = developer.get(url(world.ns_a, plural))
    assert listed.status_code == 200
    assert 'id="list-error"' in listed.content.decode() and "has no credentials" in listed.content.decode()

    detail = developer.get(url(world.ns_a, plural, "web/"))
    assert detail.status_code >= 400 and detail.status_code != 500
    assert 'id="detail-error"' in detail.content.decode() and "has no credentials" in detail.content.decode()

    form = developer.get(url(world.ns_a, plural, "new/"))
    assert form.status_code == 200 and 'id="apply-form"' in form.content.decode()
    manifest = KINDS[plural].template_yaml("web")
    tried = developer.post(url(world.ns_a, plural, "new/"), {"manifest": manifest, "dry_run": "1"})
    assert tried.status_code >= 400 and tried.status_code != 500
    assert "has no credentials" in tried.content.decode()


def test_the_pages_follow_the_namespace_and_the_registry(world, client_as):
    # Another team's namespace, an unknown kind, nobody signed in.
    assert client_as("outsider").get(url(world.ns_a, "configmaps")).status_code == 404
    assert client_as("developer").get(url(world.ns_b, "configmaps")).status_code == 404
    assert client_as("developer").get(url(world.ns_a, "nosuchkinds")).status_code == 404
    anonymous = client_as("anonymous").get(url(world.ns_a, "configmaps"))
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]

    # The switchers offer every namespaced kind (not ClusterRoles: they are no
    # namespace's) and the user's own namespaces.
    page = client_as("developer").get(url(world.ns_a, "configmaps")).content.decode()
    for plural, kind in KINDS.items():
        assert (url(world.ns_a, plural) in page) is kind.namespaced, plural
    assert url(world.ns_b, "configmaps") not in page
    assert 'id="kind-apply"' in page
    assert 'id="kind-apply"' not in client_as("viewer").get(url(world.ns_a, "configmaps")).content.decode()
    # Read-only kinds offer no apply to anyone.
    assert 'id="kind-apply"' not in client_as("developer").get(url(world.ns_a, "replicasets")).content.decode()


def test_a_namespace_that_is_not_ready_sends_back_to_its_page(world, client_as):
    from rbac.choices import NamespacePhase
    from rbac.models import TeamNamespace

    TeamNamespace.objects.filter(pk=world.ns_a.pk).update(phase=NamespacePhase.PROVISIONING)
    response = client_as("developer").get(url(world.ns_a, "configmaps"))
    assert response.status_code == 302 and response["Location"] == f"/teams/namespaces/{world.ns_a.pk}/"
    forged = client_as("developer").post(url(world.ns_a, "configmaps", "web/delete/"), {"confirm": "web"})
    assert forged.status_code == 302


def test_the_cluster_switcher_leads_into_each_cluster_the_user_has_namespaces_on(world, client_as):
    from clusters.models import Cluster
    from rbac.choices import NamespacePhase
    from rbac.models import TeamNamespace

    edge = Cluster.objects.create(name="Edge", slug="edge")
    ns_edge_b = TeamNamespace.objects.create(
        team=world.team_b, cluster=edge, name="team-b-edge", plan=world.plan, phase=NamespacePhase.READY
    )
    # Team A's developer has namespaces on one cluster only: no cluster switcher.
    page = client_as("developer").get(url(world.ns_a, "configmaps")).content.decode()
    assert 'id="cluster-switcher"' not in page and url(ns_edge_b, "configmaps") not in page

    # A platform admin reaches every namespace (workloads/places.py): the
    # cluster switcher offers each other cluster's all-namespaces list, and the
    # namespace switcher this cluster's namespaces (teams' or not) and all of them.
    page = client_as("admin").get(url(world.ns_a, "configmaps")).content.decode()
    clusters = page.split('id="cluster-switcher"')[1].split("</details>")[0]
    assert "/workloads/namespaces/edge:*/configmaps/" in clusters
    namespaces = page.split('id="namespace-switcher"')[1].split("</details>")[0]
    assert url(world.ns_b, "configmaps") in namespaces and url(ns_edge_b, "configmaps") not in namespaces
    assert f"/workloads/namespaces/{world.ns_a.cluster.slug}:*/configmaps/" in namespaces
    # Edge cannot be reached (no credential): its switcher still offers the team namespaces it holds.
    edge_page = client_as("admin").get(url(ns_edge_b, "configmaps")).content.decode()
    switcher = edge_page.split('id="namespace-switcher"')[1].split("</details>")[0]
    assert url(ns_edge_b, "configmaps") in switcher and url(world.ns_a, "configmaps") not in switcher
    clusters = edge_page.split('id="cluster-switcher"')[1].split("</details>")[0]
    assert f"/workloads/namespaces/{world.ns_a.cluster.slug}:*/configmaps/" in clusters
