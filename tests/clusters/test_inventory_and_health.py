"""Node inventory, node actions and control-plane health, on the devcluster."""

import time
from urllib.parse import urlparse

import pytest
import yaml

from clusters import kube
from clusters.choices import ClusterPhase
from clusters.models import Cluster, ClusterPhaseChange, Node
from clusters.services import health, nodes
from clusters.services.clusters import cluster_create
from clusters.services.inventory import cluster_nodes_sync
from jobs.choices import JobStatus
from jobs.runner import job_run
from tests.clusters.tcp_proxy import TcpProxy
from tests.support import live
from tests.support.live import pod
from tests.support.wait import wait_for

pytestmark = pytest.mark.devcluster


@pytest.fixture
def cluster(db, admin_kubeconfig):
    return cluster_create(name="Dev", slug="dev", kubeconfig=admin_kubeconfig)


def test_it_syncs_the_nodes_with_their_observed_status(cluster, admin, namespace):
    admin.core.create_namespaced_pod(namespace, pod("sized", cpu="250m", memory="64Mi"))
    wait_for(lambda: admin.core.read_namespaced_pod("sized", namespace).spec.node_name, what="pod scheduled")
    host = admin.core.read_namespaced_pod("sized", namespace).spec.node_name

    counts = cluster_nodes_sync(cluster=cluster)

    ready, total = live.node_counts(admin.core)
    assert counts == {"nodes": total, "missing": 0, "ready": ready}
    rows = {n.name: n for n in Node.objects.filter(cluster=cluster)}
    # The devcluster's own (Ready) nodes; nodes other tests add have no kubelet.
    assert sorted(role for n in rows.values() if n.ready for role in n.roles) == ["control-plane", "worker", "worker"]
    node = rows[host]
    assert node.ready and not node.unschedulable
    assert node.versions["kubelet"].startswith("v1.37")
    assert node.capacity["cpu"] and node.allocatable["pods"]
    assert node.address
    assert node.pods_running >= 1
    assert node.requested["cpu"] != "0" and node.requested["memory"] != "0Mi"
    assert any(c["type"] == "Ready" and c["status"] == "True" for c in node.conditions)


def test_it_marks_a_node_that_disappeared_instead_of_dropping_it(cluster, admin):
    cluster_nodes_sync(cluster=cluster)
    ghost = Node.objects.create(cluster=cluster, name="ghost-node", ready=True)
    cluster_nodes_sync(cluster=cluster)
    ghost.refresh_from_db()
    assert ghost.missing_since is not None and not ghost.ready
    assert Node.objects.filter(cluster=cluster, missing_since__isnull=True).count() == len(admin.core.list_node().items)


def test_cordon_and_uncordon_are_seen_by_the_api_server(cluster, admin):
    cluster_nodes_sync(cluster=cluster)
    node = _worker(cluster)
    try:
        node = nodes.node_cordon(node=node)
        assert node.unschedulable
        assert admin.core.read_node(node.name).spec.unschedulable is True
    finally:
        node = nodes.node_uncordon(node=node)
    assert not node.unschedulable
    assert not admin.core.read_node(node.name).spec.unschedulable


def test_it_sets_labels_and_taints(cluster, admin):
    cluster_nodes_sync(cluster=cluster)
    node = Node.objects.filter(cluster=cluster).order_by("name").last()
    original_labels = dict(node.labels)
    try:
        node = nodes.node_labels_set(node=node, labels={**original_labels, "portal.test/tier": "gold"})
        node = nodes.node_taints_set(node=node, taints=[{"key": "dedicated", "value": "db", "effect": "NoSchedule"}])
        live = admin.core.read_node(node.name)
        assert live.metadata.labels["portal.test/tier"] == "gold"
        assert [(t.key, t.value, t.effect) for t in live.spec.taints] == [("dedicated", "db", "NoSchedule")]
        with pytest.raises(kube.KubeInvalid) as invalid:
            nodes.node_labels_set(node=node, labels={**original_labels, "bad key!": "x"})
        assert invalid.value.field_errors
    finally:
        nodes.node_labels_set(node=node, labels=original_labels)
        nodes.node_taints_set(node=node, taints=[])
    assert "portal.test/tier" not in admin.core.read_node(node.name).metadata.labels


def _worker(cluster) -> Node:
    """A Ready worker: a node of another test's (no kubelet) runs nothing."""
    return next(n for n in Node.objects.filter(cluster=cluster, ready=True).order_by("name") if "worker" in n.roles)


def test_drain_evicts_what_it_may_and_reports_what_a_budget_protects(cluster, admin, namespace, settings):
    cluster_nodes_sync(cluster=cluster)
    node = _worker(cluster)
    admin.apps.create_namespaced_deployment(namespace, live.deployment("free", 2, node=node.name))
    admin.apps.create_namespaced_deployment(namespace, live.deployment("guarded", 1, node=node.name))
    admin.policy.create_namespaced_pod_disruption_budget(
        namespace,
        kube.k8s.V1PodDisruptionBudget(
            metadata=kube.k8s.V1ObjectMeta(name="guarded"),
            spec=kube.k8s.V1PodDisruptionBudgetSpec(
                min_available=1, selector=kube.k8s.V1LabelSelector(match_labels={"app": "guarded"})
            ),
        ),
    )
    wait_for(
        lambda: len([p for p in admin.core.list_namespaced_pod(namespace).items if p.status.phase == "Running"]) == 3,
        60,
        what="3 pods running",
    )
    wait_for(
        lambda: admin.policy.read_namespaced_pod_disruption_budget("guarded", namespace).status.current_healthy == 1,
        30,
        what="PDB status",
    )
    try:
        job = nodes.node_drain(node=node, user=None, timeout_seconds=6)
        assert job_run(job_id=job.pk) == JobStatus.FAILED
        job.refresh_from_db()
        assert "could not be evicted" in job.message and "guarded-" in job.message
        assert "PodDisruptionBudget" in " ".join(job.events.values_list("text", flat=True))
        assert admin.core.read_node(node.name).spec.unschedulable is True
        left = [
            p.metadata.name
            for p in admin.core.list_namespaced_pod(namespace).items
            if p.spec.node_name == node.name and not p.metadata.deletion_timestamp
        ]
        assert all(name.startswith("guarded-") for name in left), left
    finally:
        nodes.node_uncordon(node=node)


def test_health_shows_the_devclusters_real_components(cluster):
    cluster = health.cluster_health_check(cluster=cluster)
    assert cluster.phase == ClusterPhase.READY, cluster.conditions
    assert cluster.kubernetes_version.startswith("v1.37")
    assert cluster.health["ready"] is True
    assert cluster.health["etcd"]["ok"] is True
    names = {c["name"]: c for c in cluster.health["components"]}
    assert set(names) == {"kube-controller-manager", "kube-scheduler"}
    # The devcluster's components hold leader leases, as on a kubeadm cluster.
    assert {c["status"] for c in names.values()} == {health.OK}, names
    assert all(c["detail"].startswith("leader ") for c in names.values())
    addons = {a["name"]: a["status"] for a in cluster.health["addons"]}
    # The devcluster runs no add-ons: the check must say so, not invent them.
    assert addons["CoreDNS"] == health.ABSENT and addons["kube-proxy"] == health.ABSENT
    assert ClusterPhaseChange.objects.filter(
        cluster=cluster, previous=ClusterPhase.PENDING, phase=ClusterPhase.READY
    ).exists()


@pytest.mark.django_db(transaction=True)
def test_a_cluster_that_stops_answering_turns_unreachable_and_recovers(devcluster, settings):
    settings.CLUSTER_HEALTH_TIMEOUT_SECONDS = 3
    target = urlparse(devcluster.server).port
    proxy = TcpProxy(target).start()
    config = devcluster.admin_kubeconfig_dict()
    config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{proxy.port}"
    cluster = cluster_create(name="Flaky", slug="flaky", kubeconfig=yaml.safe_dump(config))
    try:
        assert health.clusters_health_sweep()[cluster.pk] == ClusterPhase.READY
        proxy.stop()
        started = time.monotonic()
        assert health.clusters_health_sweep()[cluster.pk] == ClusterPhase.UNREACHABLE
        assert time.monotonic() - started < settings.CLUSTER_HEALTH_TIMEOUT_SECONDS + 5
        cluster.refresh_from_db()
        assert (
            "Cannot connect" in cluster.conditions[0]["message"] or "did not answer" in cluster.conditions[0]["message"]
        )
        proxy.start()
        assert health.clusters_health_sweep()[cluster.pk] == ClusterPhase.READY
    finally:
        proxy.stop()
    phases = list(ClusterPhaseChange.objects.filter(cluster=cluster).order_by("id").values_list("phase", flat=True))
    assert phases == [ClusterPhase.READY, ClusterPhase.UNREACHABLE, ClusterPhase.READY]


@pytest.mark.django_db(transaction=True)
def test_one_dead_cluster_does_not_delay_the_others(devcluster, admin_kubeconfig, settings):
    settings.CLUSTER_HEALTH_TIMEOUT_SECONDS = 2
    live = cluster_create(name="Live", slug="live", kubeconfig=admin_kubeconfig)
    dead_config = devcluster.admin_kubeconfig_dict()
    # A blackhole: an address that accepts nothing and answers nothing in time.
    dead_config["clusters"][0]["cluster"]["server"] = "https://127.0.0.2:9"
    dead = [
        cluster_create(name=f"Dead {i}", slug=f"dead-{i}", kubeconfig=yaml.safe_dump(dead_config)) for i in range(4)
    ]
    started = time.monotonic()
    result = health.clusters_health_sweep(concurrency=8)
    elapsed = time.monotonic() - started
    assert result[live.pk] == ClusterPhase.READY
    assert {result[c.pk] for c in dead} == {ClusterPhase.UNREACHABLE}
    assert elapsed < 2 * settings.CLUSTER_HEALTH_TIMEOUT_SECONDS + 4
    assert Cluster.objects.get(pk=live.pk).last_seen is not None
