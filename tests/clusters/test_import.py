"""Importing a cluster: each supported credential kind works; a wrong server,
a certificate the CA does not match, a revoked token or an exec plugin each
give a clear error, and nothing is saved."""

import re

import pytest
import yaml

from clusters import kube
from clusters.models import Cluster
from tests.support import live
from tests.support.credentials import other_ca
from tests.support.wait import wait_for

pytestmark = pytest.mark.devcluster


@pytest.fixture
def admin_web(client, world):
    client.force_login(world.admin)
    return client


def _import(client, config: dict):
    return client.post("/clusters/new/", {"name": "Imported", "slug": "imported", "kubeconfig": yaml.safe_dump(config)})


def test_it_imports_with_a_client_certificate(admin_web, devcluster):
    response = _import(admin_web, devcluster.admin_kubeconfig_dict())
    assert response.status_code == 302, response.content.decode()[-2000:]
    cluster = Cluster.objects.get(slug="imported")
    assert cluster.credential_kind == "client-certificate"
    assert "client-key-data" in cluster.kubeconfig.reveal()


def test_it_imports_with_a_bearer_token_and_refuses_it_once_revoked(admin_web, admin, cluster_admin_token):
    text, _token = cluster_admin_token("portal-import")
    config = yaml.safe_load(text)
    name = config["users"][0]["name"]
    assert _import(admin_web, config).status_code == 302
    assert Cluster.objects.get(slug="imported").credential_kind == "token"
    Cluster.objects.filter(slug="imported").delete()

    admin.core.delete_namespaced_service_account(name, "kube-system")
    # The authenticator learns of the deletion through an informer: wait for it.
    wait_for(lambda: _rejected(config), 45, 0.5, what="the revoked token to be refused")
    response = _import(admin_web, config)
    assert response.status_code == 400
    assert "refused the portal" in response.content.decode()
    assert not Cluster.objects.filter(slug="imported").exists()


def _rejected(config) -> bool:
    try:
        with kube.client_from_kubeconfig(yaml.safe_dump(config)) as client:
            client.core.list_node()
    except kube.ClusterUnauthorized:
        return True
    return False


def _refused(admin_web, config, expected: str):
    response = _import(admin_web, config)
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert not Cluster.objects.filter(slug="imported").exists()


def test_a_wrong_server_is_refused_and_nothing_is_saved(admin_web, devcluster):
    config = devcluster.admin_kubeconfig_dict()
    config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{live.closed_port()}"
    _refused(admin_web, config, "Cannot connect")


def test_a_certificate_the_ca_does_not_match_is_refused(admin_web, devcluster):
    config = devcluster.admin_kubeconfig_dict()
    config["clusters"][0]["cluster"]["certificate-authority-data"] = other_ca()
    _refused(admin_web, config, "TLS failure")


def test_credentials_that_cannot_list_nodes_are_refused_with_the_clusters_words_marked(admin_web, devcluster):
    # A client certificate of a user in no group: the API server answers its
    # version and readiness, and refuses the list of nodes.
    config = yaml.safe_load(live.cert_kubeconfig(devcluster, user="no-rights", groups=()))
    admin_web.cookies["django_language"] = "zh-hans"
    response = _import(admin_web, config)
    page = response.content.decode()
    assert response.status_code == 400 and not Cluster.objects.filter(slug="imported").exists()
    said = re.search(r'被集群禁止：<span translate="no">([^<]*)</span>', page)
    assert said and "User &quot;no-rights&quot; cannot list resource &quot;nodes&quot;" in said[1]


def test_an_exec_plugin_is_refused_with_the_reason(admin_web, devcluster):
    config = devcluster.admin_kubeconfig_dict()
    config["users"][0]["user"] = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "aws"}}
    _refused(admin_web, config, "exec plugin")


def test_an_imported_cluster_shows_its_phase_and_nodes_at_once(admin_web, devcluster, admin, namespace):
    """The import checks the cluster and reads its nodes itself: no Pending
    and zero pods until the next sweep."""
    host = sorted(live.ready_node_names(admin.core))[0]
    admin.core.create_namespaced_pod(namespace, live.pod("counted", node=host, cpu="250m", memory="64Mi"))
    response = _import(admin_web, devcluster.admin_kubeconfig_dict())
    assert response.status_code == 302
    cluster = Cluster.objects.get(slug="imported")
    assert cluster.phase in ("ready", "degraded") and cluster.last_checked is not None
    assert cluster.kubernetes_version and cluster.health["addons"]
    assert cluster.phase_changes.filter(previous="pending", phase=cluster.phase).exists()
    ready, total = live.node_counts(admin.core)
    nodes = cluster.nodes.filter(missing_since__isnull=True)
    assert nodes.count() == total and nodes.filter(ready=True).count() == ready
    counted = nodes.get(name=host)
    assert counted.pods_running >= 1 and counted.capacity.get("pods") and counted.last_synced
    assert counted.requested["cpu"] != "0"

    page = admin_web.get(response["Location"]).content.decode()
    assert f'id="cluster-phase">{cluster.get_phase_display()}<' in page
    assert "hx-trigger" not in page[page.index('<div id="cluster-live"') :].split(">", 1)[0]


def test_replaced_credentials_are_checked_at_once(admin_web, devcluster):
    """The old credentials' verdict does not stand until the sweep."""
    assert _import(admin_web, devcluster.admin_kubeconfig_dict()).status_code == 302
    Cluster.objects.filter(slug="imported").update(phase="unauthorized", last_checked=None)
    response = admin_web.post(
        "/clusters/imported/credentials/", {"kubeconfig": yaml.safe_dump(devcluster.admin_kubeconfig_dict())}
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    cluster = Cluster.objects.get(slug="imported")
    assert cluster.phase in ("ready", "degraded") and cluster.last_checked is not None
    assert cluster.phase_changes.filter(previous="unauthorized", phase=cluster.phase).exists()
