"""The API against a real cluster (the devcluster): imports with each credential
kind and their refusals, checks, node actions as the API server sees them, live
quota, and team kubeconfigs that work like kubectl's."""

import pytest
import yaml

from clusters import kube
from clusters.models import Cluster, ClusterPhaseChange, Node
from portal.models import AuditEvent
from rbac.choices import NamespacePhase
from rbac.models import TeamNamespace
from rbac.reconcile import reconcile_cluster
from tests.api.generic import assert_error_shape
from tests.rbac.conftest import make_team_namespace
from tests.support import live
from tests.support.credentials import other_ca
from tests.support.live import pod
from tests.support.wait import wait_for

pytestmark = pytest.mark.devcluster


@pytest.fixture
def admin_api(world, api):
    return api.as_(world.admin)


def _import(client, text, slug="imported"):
    return client.post("/api/v1/clusters/", {"name": slug.title(), "slug": slug, "kubeconfig": text}, format="json")


# --- import -------------------------------------------------------------------------------


def test_it_imports_with_a_client_certificate_and_says_what_it_found(admin_api, devcluster):
    response = _import(admin_api, live.cert_kubeconfig(devcluster))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["credential_kind"] == "client-certificate"
    assert body["has_credentials"] is True
    assert "kubeconfig" not in body
    found = body["found"]
    assert found["version"].startswith("v1.37")
    assert found["ready"] is True
    assert found["nodes"] >= 3
    assert found["server"] == devcluster.server
    cluster = Cluster.objects.get(slug="imported")
    assert cluster.api_server_url == devcluster.server
    event = AuditEvent.objects.latest("pk")
    assert (event.action, event.result, event.target_name) == ("cluster.create", "success", "imported")
    assert event.request_summary["kubeconfig"] == "[redacted]"


def test_it_imports_with_a_bearer_token_and_refuses_it_once_revoked(admin_api, admin, cluster_admin_token):
    text, _token = cluster_admin_token()
    response = _import(admin_api, text)
    assert response.status_code == 201, response.content
    assert response.json()["credential_kind"] == "token"

    name = yaml.safe_load(text)["users"][0]["name"]
    admin.core.delete_namespaced_service_account(name, "kube-system")

    def refused():
        response = _import(admin_api, text, slug="again")
        if response.status_code == 400:
            return response
        assert response.status_code == 201, response.content
        Cluster.objects.filter(slug="again").delete()
        return None

    # The API server caches authenticated tokens for a while: wait for the refusal.
    body = assert_error_shape(wait_for(refused, 45, 1, what="the revoked token to be refused"), 400)
    assert "refused the portal" in body["errors"]["kubeconfig"][0]
    assert not Cluster.objects.filter(slug="again").exists()


def test_a_wrong_server_is_refused_and_nothing_is_saved(admin_api, devcluster):
    config = devcluster.admin_kubeconfig_dict()
    config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{live.closed_port()}"
    body = assert_error_shape(_import(admin_api, yaml.safe_dump(config)), 400)
    assert "Cannot connect" in body["errors"]["kubeconfig"][0]
    assert not Cluster.objects.filter(slug="imported").exists()


def test_a_foreign_ca_is_refused_and_nothing_is_saved(admin_api, devcluster):
    config = devcluster.admin_kubeconfig_dict()
    config["clusters"][0]["cluster"]["certificate-authority-data"] = other_ca()
    body = assert_error_shape(_import(admin_api, yaml.safe_dump(config)), 400)
    assert "TLS failure" in body["errors"]["kubeconfig"][0]
    assert not Cluster.objects.filter(slug="imported").exists()


def test_a_taken_slug_costs_no_connection_and_names_the_field(admin_api, devcluster):
    body = assert_error_shape(_import(admin_api, live.cert_kubeconfig(devcluster), slug="prod"), 400)
    assert "slug" in body["errors"]


def test_credentials_are_replaced_only_by_ones_that_work(admin_api, devcluster, cluster_admin_token):
    assert _import(admin_api, live.cert_kubeconfig(devcluster)).status_code == 201
    before = Cluster.objects.get(slug="imported").kubeconfig.reveal()
    config = devcluster.admin_kubeconfig_dict()
    config["clusters"][0]["cluster"]["certificate-authority-data"] = other_ca()
    url = "/api/v1/clusters/imported/credentials/"
    assert_error_shape(admin_api.post(url, {"kubeconfig": yaml.safe_dump(config)}, format="json"), 400)
    assert Cluster.objects.get(slug="imported").kubeconfig.reveal() == before

    text, token = cluster_admin_token()
    response = admin_api.post(url, {"kubeconfig": text}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["credential_kind"] == "token"
    assert response.json()["found"]["nodes"] >= 3
    assert token not in response.content.decode()
    assert token in Cluster.objects.get(slug="imported").kubeconfig.reveal()
    assert AuditEvent.objects.latest("pk").action == "cluster.credentials"


# --- check and health --------------------------------------------------------------------


def test_check_reads_the_control_plane_and_syncs_the_nodes(admin_api, world, devcluster):
    assert _import(admin_api, live.admin_kubeconfig(devcluster)).status_code == 201
    response = admin_api.post("/api/v1/clusters/imported/check/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["phase"] in ("ready", "degraded"), body["conditions"]
    assert body["health"]["version"].startswith("v1.37")
    assert body["health"]["etcd"]["ok"] is True
    assert {c["name"] for c in body["health"]["components"]} == {"kube-controller-manager", "kube-scheduler"}
    assert body["node_counts"]["nodes"] >= 3
    assert Node.objects.filter(cluster__slug="imported").count() == body["node_counts"]["nodes"]

    # Whoever sees the cluster reads its health and phase history.
    world.team_a.allowed_clusters.add(Cluster.objects.get(slug="imported"))
    health = api_as(admin_api, world.viewer).get("/api/v1/clusters/imported/health/")
    assert health.status_code == 200, health.content
    assert health.json()["health"]["version"] == body["health"]["version"]
    assert [(h["previous"], h["phase"]) for h in health.json()["history"]] == list(
        ClusterPhaseChange.objects.filter(cluster__slug="imported").values_list("previous", "phase")
    )
    assert health.json()["history"], "the first check records a phase change"


def api_as(client, user):
    return client.as_(user)


def test_check_of_a_cluster_that_stopped_answering_records_it(admin_api, world):
    live.set_credentials(world.cluster, live.unreachable_kubeconfig())
    response = admin_api.post("/api/v1/clusters/prod/check/")
    assert response.status_code == 200, response.content
    assert response.json()["phase"] == "unreachable"
    assert response.json()["node_counts"] is None
    assert response.json()["node_sync_error"]


def test_check_of_a_cluster_without_credentials_is_a_conflict(admin_api, world):
    body = assert_error_shape(admin_api.post("/api/v1/clusters/prod/check/"), 409)
    assert "credentials" in body["detail"]


# --- nodes --------------------------------------------------------------------------------


@pytest.fixture
def node(world, devcluster, admin):
    """A Node object of the test's own in the devcluster, synced into a row."""
    from clusters.services.inventory import cluster_nodes_sync

    live.set_credentials(world.cluster, live.admin_kubeconfig(devcluster))
    name = live.create_node(devcluster)
    cluster_nodes_sync(cluster=world.cluster)
    yield Node.objects.get(cluster=world.cluster, name=name)
    live.delete_node(devcluster, name)


def test_cordon_and_uncordon_reach_the_api_server(admin_api, node, admin):
    response = admin_api.post(f"/api/v1/nodes/{node.pk}/cordon/")
    assert response.status_code == 200, response.content
    assert response.json()["unschedulable"] is True
    assert admin.core.read_node(node.name).spec.unschedulable is True
    response = admin_api.post(f"/api/v1/nodes/{node.pk}/uncordon/")
    assert response.status_code == 200, response.content
    assert not admin.core.read_node(node.name).spec.unschedulable
    event = AuditEvent.objects.latest("pk")
    assert (event.action, event.target_kind, event.target_name, event.target_cluster) == (
        "node.uncordon",
        "Node",
        node.name,
        "prod",
    )


def test_labels_are_set_exactly_and_the_api_server_validates_them(admin_api, node, admin):
    url = f"/api/v1/nodes/{node.pk}/labels/"
    response = admin_api.put(url, {"labels": {"tier": "gold", "example.com/zone": "a"}}, format="json")
    assert response.status_code == 200, response.content
    labels = admin.core.read_node(node.name).metadata.labels
    assert labels["tier"] == "gold" and labels["example.com/zone"] == "a"
    assert "portal-test" not in labels  # keys left out are removed
    assert response.json()["labels"] == labels

    response = admin_api.put(url, {"labels": {"bad key!": "x"}}, format="json")
    body = assert_error_shape(response, 400)
    assert body["errors"]["labels"] and "bad key!" in " ".join(body["errors"]["labels"])
    assert "bad key!" not in admin.core.read_node(node.name).metadata.labels


def test_taints_are_set_exactly(admin_api, node, admin):
    url = f"/api/v1/nodes/{node.pk}/taints/"
    taints = [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}, {"key": "spot", "effect": "NoExecute"}]
    response = admin_api.put(url, {"taints": taints}, format="json")
    assert response.status_code == 200, response.content
    seen = {(t.key, t.value or "", t.effect) for t in admin.core.read_node(node.name).spec.taints}
    assert {("dedicated", "gpu", "NoSchedule"), ("spot", "", "NoExecute")} <= seen

    for bad in ([{"key": "x", "effect": "Sometimes"}], [{"effect": "NoSchedule"}], "dedicated=gpu"):
        assert_error_shape(admin_api.put(url, {"taints": bad}, format="json"), 400)
    body = assert_error_shape(
        admin_api.put(url, {"taints": [{"key": "not a key!", "effect": "NoSchedule"}]}, format="json"), 400
    )
    assert [path for path in body["errors"] if path.startswith("taints")], body
    # The one error shape, however deep the field: a path, not nested objects.
    keyless = assert_error_shape(admin_api.put(url, {"taints": [{"effect": "NoSchedule"}]}, format="json"), 400)
    assert list(keyless["errors"]) == ["taints[0].key"], keyless


def test_drain_answers_202_with_the_job(admin_api, node):
    response = admin_api.post(f"/api/v1/nodes/{node.pk}/drain/", {"timeout_seconds": 60}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["kind"] == "node.drain"
    assert_error_shape(admin_api.post(f"/api/v1/nodes/{node.pk}/drain/", {"timeout_seconds": 1}, format="json"), 400)


def test_a_nodes_pods_are_listed_for_admins_only(admin_api, world, api, devcluster, admin):
    live.set_credentials(world.cluster, live.admin_kubeconfig(devcluster))
    from clusters.services.inventory import cluster_nodes_sync

    cluster_nodes_sync(cluster=world.cluster)
    node = Node.objects.filter(cluster=world.cluster, missing_since__isnull=True).order_by("name").first()
    response = admin_api.get(f"/api/v1/nodes/{node.pk}/pods/")
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"pods", "more"}
    world.team_a.allowed_clusters.add(world.cluster)
    assert_error_shape(api.as_(world.owner).get(f"/api/v1/nodes/{node.pk}/pods/"), 403)


# --- quota and the team kubeconfig ---------------------------------------------------------


def test_namespace_quota_is_read_live_as_the_member(api, tenancy, ready_ns):
    url = f"/api/v1/namespaces/{ready_ns.pk}/quota/"

    def read():
        response = api.as_(tenancy.viewer).get(url)
        return response if response.status_code == 200 else None

    response = wait_for(read, 15, what="the viewer's binding")
    body = response.json()
    assert body["namespace"] == ready_ns.name and body["cluster"] == "dev"
    assert body["quota"]["pods"] == {"hard": "3", "used": "0"}
    assert body["quota"]["requests.cpu"]["hard"] == "1"
    assert api.as_(tenancy.admin).get(url).json()["quota"] == body["quota"]
    assert_error_shape(api.as_(tenancy.users["b-owner"]).get(url), 404)


def test_namespace_quota_of_an_unreachable_cluster_is_a_clear_503(api, tenancy, ready_ns):
    live.set_credentials(tenancy.cluster, live.unreachable_kubeconfig())
    body = assert_error_shape(api.as_(tenancy.owner).get(f"/api/v1/namespaces/{ready_ns.pk}/quota/"), 503)
    assert body["type"] == "cluster_unreachable"
    assert "cannot be read from cluster Dev" in body["detail"]


def _observed_quota(tenancy, namespaces) -> bool:
    """Reconcile until the quota controller has filled in every quota's status."""
    reconcile_cluster(cluster=tenancy.cluster, only=[ns.pk for ns in namespaces])
    return all((TeamNamespace.objects.get(pk=ns.pk).observed or {}).get("quota", {}).get("hard") for ns in namespaces)


def test_team_quota_sums_what_the_reconciler_observed(api, tenancy, ready_ns, unique):
    second = make_team_namespace(tenancy, tenancy.team_a, unique("api-b"))
    try:
        wait_for(lambda: _observed_quota(tenancy, [ready_ns, second]), 20, what="observed quotas")
        response = api.as_(tenancy.viewer).get("/api/v1/teams/team-a/quota/")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["namespaces"] == 2
        assert body["quota"]["pods"]["hard"] == "6"
        assert body["quota"]["limits.memory"]["hard"] == "4Gi"
        assert set(body["quota"]) <= {"requests.cpu", "limits.cpu", "requests.memory", "limits.memory", "pods"} | {
            "requests.storage"
        }
        assert_error_shape(api.as_(tenancy.users["b-owner"]).get("/api/v1/teams/team-a/quota/"), 404)
    finally:
        with kube.client_for(tenancy.cluster) as client:
            client.core.delete_namespace(second.name)


def test_the_team_kubeconfig_works_like_kubectls_and_only_for_members(api, tenancy, ready_ns):
    TeamNamespace.objects.filter(pk=ready_ns.pk).update(phase=NamespacePhase.READY)
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = api.as_(tenancy.developer).post("/api/v1/teams/team-a/kubeconfig/")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/yaml")
    assert response["Cache-Control"] == "no-store"
    text = response.content.decode()
    config = yaml.safe_load(text)
    assert [c["context"]["namespace"] for c in config["contexts"]] == [ready_ns.name]
    token = config["users"][0]["user"]["token"]

    with kube.client_from_kubeconfig(text) as kubectl:
        wait_for(lambda: kubectl.core.list_namespaced_pod(ready_ns.name) is not None, 15, what="SA binding")
        kubectl.core.create_namespaced_pod(ready_ns.name, pod("from-api-kubeconfig"))
        with pytest.raises(kube.KubeForbidden):
            kubectl.core.list_namespace()

    events = list(AuditEvent.objects.filter(pk__gt=last, action="team.kubeconfig"))
    assert len(events) == 1 and events[0].result == "success" and events[0].actor_name == "a-developer"
    for event in AuditEvent.objects.filter(pk__gt=last):
        assert token not in str(event.request_summary) + event.target_name

    # Not a member: a platform admin outside the team is refused, another team's owner finds nothing.
    assert_error_shape(api.as_(tenancy.admin).post("/api/v1/teams/team-a/kubeconfig/"), 403)
    assert_error_shape(api.as_(tenancy.users["b-owner"]).post("/api/v1/teams/team-a/kubeconfig/"), 404)


def test_a_team_without_ready_namespaces_gets_a_clear_conflict(api, tenancy):
    body = assert_error_shape(api.as_(tenancy.owner).post("/api/v1/teams/team-a/kubeconfig/"), 409)
    assert "no ready namespace" in body["detail"]


# --- quota changes ---------------------------------------------------------------------------


def test_a_quota_change_asked_and_approved_reaches_the_cluster(api, tenancy, ready_ns, admin):
    from rbac.models import QuotaPlan

    QuotaPlan.objects.create(name="Medium", slug="medium", requests_cpu="2", pods=10)
    response = api.as_(tenancy.maintainer).post(
        "/api/v1/quota-changes/", {"namespace": ready_ns.pk, "plan": "medium", "reason": "launch"}, format="json"
    )
    assert response.status_code == 201, response.content
    change = response.json()
    assert (change["status"], change["previous_plan"], change["team"]) == ("pending", "small", "team-a")
    again = api.as_(tenancy.owner).post(
        "/api/v1/quota-changes/", {"namespace": ready_ns.pk, "plan": "medium"}, format="json"
    )
    assert_error_shape(again, 409)
    assert_error_shape(api.as_(tenancy.developer).post(f"/api/v1/quota-changes/{change['id']}/approve/"), 403)

    response = api.as_(tenancy.admin).post(f"/api/v1/quota-changes/{change['id']}/approve/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved" and response.json()["decided_by"] == "platform"
    assert_error_shape(api.as_(tenancy.admin).post(f"/api/v1/quota-changes/{change['id']}/reject/"), 409)
    # The reconcile is enqueued after commit; run it here, as the worker would.
    reconcile_cluster(cluster=tenancy.cluster, only=[ready_ns.pk])
    quota = admin.core.read_namespaced_resource_quota("portal-quota", ready_ns.name)
    assert quota.spec.hard["pods"] == "10"
