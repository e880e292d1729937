"""Cluster pages against the devcluster: import (connect check first, context
choice), credential rotation, check now, node detail with live pods, and the
node actions, with the API server's own validation errors on the page."""

import copy
import re

import pytest
import yaml

from tests.support import live
from tests.ui.test_forms import errors_of, field_value

pytestmark = [pytest.mark.devcluster, pytest.mark.django_db]


@pytest.fixture
def admin_doc(devcluster):
    return devcluster.admin_kubeconfig_dict()


def two_contexts(doc: dict, *, current=False) -> dict:
    """The admin kubeconfig with a second context whose token the cluster refuses."""
    doc = copy.deepcopy(doc)
    good = doc["contexts"][0]["name"]
    doc["users"].append({"name": "stranger", "user": {"token": "not-a-token-the-cluster-knows"}})
    doc["contexts"].append(
        {"name": "stranger", "context": {"cluster": doc["contexts"][0]["context"]["cluster"], "user": "stranger"}}
    )
    if current:
        doc["current-context"] = good
    else:
        doc.pop("current-context", None)
    return doc


@pytest.fixture
def imported(world, client_as, admin_doc):
    response = client_as("admin").post(
        "/clusters/new/",
        {"name": "Dev", "slug": "dev", "kubeconfig": yaml.safe_dump(admin_doc), "health_checks_enabled": "on"},
    )
    assert response.status_code == 302, errors_of(response.content.decode())
    from clusters.models import Cluster

    return Cluster.objects.get(slug="dev")


def test_it_imports_after_the_connect_check_and_says_what_it_found(world, client_as, admin_doc, devcluster, admin):
    from clusters.models import Cluster

    client = client_as("admin")
    response = client.post(
        "/clusters/new/", {"name": "Dev", "slug": "dev", "kubeconfig": yaml.safe_dump(admin_doc)}, follow=True
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/clusters/dev/"
    assert f"Connected to {devcluster.server}: Kubernetes v1.37" in html
    assert f"API server ready, {live.node_counts(admin.core)[1]} nodes." in html
    cluster = Cluster.objects.get(slug="dev")
    assert cluster.api_server_url == devcluster.server and cluster.credential_kind == "client-certificate"
    assert admin_doc["users"][0]["user"]["client-key-data"] not in html


def test_it_offers_the_contexts_of_a_pasted_kubeconfig(world, client_as, admin_doc):
    client = client_as("admin")
    html = client.post(
        "/clusters/new/contexts/", {"kubeconfig": yaml.safe_dump(two_contexts(admin_doc))}
    ).content.decode()
    assert re.findall(r'<option value="([^"]*)"', html) == ["", admin_doc["contexts"][0]["name"], "stranger"]
    assert "choose the one the portal should use" in html
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = client.post(
        "/clusters/new/contexts/",
        {
            "kubeconfig_file": SimpleUploadedFile(
                "config", yaml.safe_dump(two_contexts(admin_doc, current=True)).encode()
            )
        },
    ).content.decode()
    assert f'<option value="{admin_doc["contexts"][0]["name"]}" selected>' in upload
    broken = client.post("/clusters/new/contexts/", {"kubeconfig": "kind: [unclosed"}).content.decode()
    assert "not valid YAML" in broken
    assert client_as("owner").post("/clusters/new/contexts/", {"kubeconfig": "x"}).status_code == 403


def test_it_asks_for_a_context_and_refuses_one_the_cluster_rejects(world, client_as, admin_doc):
    from clusters.models import Cluster

    client = client_as("admin")
    text = yaml.safe_dump(two_contexts(admin_doc))
    unchosen = client.post("/clusters/new/", {"name": "Dev", "slug": "dev", "kubeconfig": text})
    html = unchosen.content.decode()
    assert unchosen.status_code == 400
    assert "Choose one of:" in html and '<option value="stranger"' in html
    refused = client.post("/clusters/new/", {"name": "Dev", "slug": "dev", "kubeconfig": text, "context": "stranger"})
    assert refused.status_code == 400
    assert "credentials" in " ".join(errors_of(refused.content.decode())).lower()
    assert not Cluster.objects.filter(slug="dev").exists()
    chosen = client.post(
        "/clusters/new/",
        {"name": "Dev", "slug": "dev", "kubeconfig": text, "context": admin_doc["contexts"][0]["name"]},
    )
    assert chosen.status_code == 302
    assert Cluster.objects.get(slug="dev").kubeconfig_context == admin_doc["contexts"][0]["name"]


def test_it_replaces_credentials_only_with_ones_that_work(imported, client_as, admin_doc, devcluster):
    from clusters.models import Cluster

    client = client_as("admin")
    before = imported.kubeconfig.reveal()
    stranger = devcluster.kubeconfig_dict("nobody-special", token="wrong-token")
    bad = client.post("/clusters/dev/credentials/", {"kubeconfig": yaml.safe_dump(stranger)})
    assert bad.status_code == 400
    assert errors_of(bad.content.decode())
    assert Cluster.objects.get(pk=imported.pk).kubeconfig.reveal() == before
    empty = client.post("/clusters/dev/credentials/", {"kubeconfig": ""})
    assert empty.status_code == 400 and "Paste a kubeconfig or upload one." in empty.content.decode()
    fresh = devcluster.kubeconfig_dict("portal-admin", ["system:masters"])
    good = client.post("/clusters/dev/credentials/", {"kubeconfig": yaml.safe_dump(fresh)}, follow=True)
    assert "Replaced the credentials of Dev." in good.content.decode()
    cluster = Cluster.objects.get(pk=imported.pk)
    assert cluster.kubeconfig.reveal() != before and cluster.credentials_rotated > imported.credentials_rotated
    assert field_value(client.get("/clusters/dev/credentials/").content.decode(), "kubeconfig") == ""


def test_check_now_shows_the_architecture_and_the_dashboard_bars(imported, client_as, admin):
    client = client_as("admin")
    response = client.post("/clusters/dev/check/", follow=True)
    ready, total = live.node_counts(admin.core)
    assert ready >= 1
    html = response.content.decode()
    assert "Dev is Ready." in html
    assert f"Nodes: {ready} of {total} ready" in html
    control_plane = re.search(r'id="control-plane">(.*?)</div>', html, re.S).group(1)
    for component in ("kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler"):
        assert component in control_plane
    assert 'id="addons"' in html and "CoreDNS" in html
    assert "No transitions yet." not in html  # pending -> ready was recorded
    nodes = re.search(r'<table class="objects" id="nodes">(.*?)</table>', html, re.S).group(1)
    assert nodes.count('data-state="ready"') == ready
    dashboard = client.get("/").content.decode()
    row = re.search(r'<tr data-cluster="dev">(.*?)</tr>', dashboard, re.S).group(1)
    assert 'class="badge badge-ok" data-state="ready"' in row and f">{ready}/{total}<" in row
    assert row.count('class="bar mini"') == 3


def test_check_now_reports_an_unreachable_cluster(world, client_as):
    from clusters.models import Cluster
    from clusters.services.clusters import cluster_create
    from tests.ui.conftest import kubeconfig

    cluster_create(name="Gone", slug="gone", kubeconfig=kubeconfig(server="https://127.0.0.1:1"))
    html = client_as("admin").post("/clusters/gone/check/", follow=True).content.decode()
    assert "Gone is Unreachable." in html
    assert "Could not read the nodes" in html
    assert Cluster.objects.get(slug="gone").phase == "unreachable"


def test_the_node_page_shows_live_pods_and_the_admin_actions(imported, client_as, admin, make_namespace):
    from clusters.models import Node
    from clusters.services.inventory import cluster_nodes_sync

    cluster_nodes_sync(cluster=imported)
    node = Node.objects.filter(cluster=imported, ready=True).order_by("name").first()
    namespace = make_namespace("ui-pods")
    for name in ("probe-1", "probe-2"):
        admin.core.create_namespaced_pod(namespace, live.pod(name, node=node.name))
    html = client_as("admin").get(f"/clusters/nodes/{node.pk}/").content.decode()
    pods = re.search(r'<table class="objects" id="pods">(.*?)</table>', html, re.S).group(1)
    on_node = admin.core.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={node.name}").items
    assert len(on_node) >= 2
    for pod in on_node:
        assert pod.metadata.name in pods
    assert namespace in pods
    assert 'id="conditions"' in html and "kubelet" in html
    for action in ("cordon", "labels", "taints"):
        assert f'action="/clusters/nodes/{node.pk}/{action}/"' in html
    # Draining asks first: the node page links to the confirmation, which posts.
    assert f'href="/clusters/nodes/{node.pk}/drain/"' in html
    confirm = client_as("admin").get(f"/clusters/nodes/{node.pk}/drain/").content.decode()
    assert f'action="/clusters/nodes/{node.pk}/drain/"' in confirm


def test_node_actions_reach_the_cluster_and_show_its_errors(imported, client_as, admin):
    from clusters.models import Node
    from clusters.services.inventory import cluster_nodes_sync
    from jobs.models import Job

    cluster_nodes_sync(cluster=imported)
    node = Node.objects.filter(cluster=imported).order_by("name").last()
    client = client_as("admin")
    base = f"/clusters/nodes/{node.pk}"
    original_labels = dict(node.labels)
    try:
        assert client.post(f"{base}/cordon/").status_code == 302
        assert admin.core.read_node(node.name).spec.unschedulable
        assert "Uncordon" in client.get(f"{base}/").content.decode()
        assert client.post(f"{base}/uncordon/").status_code == 302
        assert not admin.core.read_node(node.name).spec.unschedulable

        labels = "\n".join(f"{k}={v}" for k, v in original_labels.items())
        invalid = client.post(f"{base}/labels/", {"labels": labels + "\nbad key!=x"})
        assert invalid.status_code == 400
        assert "Invalid" in " ".join(errors_of(invalid.content.decode()))
        assert field_value(invalid.content.decode(), "labels").endswith("bad key!=x")
        assert client.post(f"{base}/labels/", {"labels": labels + "\nportal-test=yes"}).status_code == 302
        assert admin.core.read_node(node.name).metadata.labels["portal-test"] == "yes"

        malformed = client.post(f"{base}/taints/", {"taints": "dedicated=gpu:Sometimes"})
        assert malformed.status_code == 400 and "Line 1" in malformed.content.decode()
        assert client.post(f"{base}/taints/", {"taints": "dedicated=gpu:NoSchedule"}).status_code == 302
        assert [t.key for t in admin.core.read_node(node.name).spec.taints or []] == ["dedicated"]

        bad_drain = client.post(f"{base}/drain/", {"timeout_seconds": "1"})
        assert bad_drain.status_code == 400
        drain = client.post(f"{base}/drain/", {"timeout_seconds": "60"})
        job = Job.objects.get(kind="node.drain")
        assert drain["Location"] == f"/jobs/{job.pk}/"
        assert job.params == {"node": node.name, "timeout_seconds": 60}
    finally:
        node = Node.objects.get(pk=node.pk)
        client.post(f"{base}/taints/", {"taints": ""})
        client.post(f"{base}/labels/", {"labels": "\n".join(f"{k}={v}" for k, v in original_labels.items())})
        client.post(f"{base}/uncordon/")
    assert "portal-test" not in (admin.core.read_node(node.name).metadata.labels or {})


def test_the_delete_page_says_the_real_cluster_is_not_touched(imported, client_as):
    from clusters.models import Cluster

    client = client_as("admin")
    page = client.get("/clusters/dev/delete/").content.decode()
    assert "The real cluster is not touched" in page
    assert client.post("/clusters/dev/delete/", {"confirm": "dev"}).status_code == 302
    assert not Cluster.objects.filter(slug="dev").exists()
