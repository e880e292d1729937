"""The admin's namespace switcher reads a cluster's namespace names once per
short while, and an unreachable cluster's failure is kept too, so pages do
not each wait out its connect timeout."""

from django.core.cache import cache

from clusters import kube
from tests.support import live
from workloads import pages


def test_an_unreachable_clusters_failure_is_kept_briefly(world, monkeypatch):
    cache.clear()
    live.set_credentials(world.cluster, live.unreachable_kubeconfig())
    opened = []
    real_client_for = kube.client_for

    def counting_client_for(cluster, *args, **kwargs):
        opened.append(cluster.pk)
        return real_client_for(cluster, *args, **kwargs)

    monkeypatch.setattr(kube, "client_for", counting_client_for)
    assert pages.cluster_namespace_names(world.cluster) == []
    assert pages.cluster_namespace_names(world.cluster) == []
    assert opened == [world.cluster.pk], "the second page asked the unreachable cluster again"
    cache.delete(f"workloads:namespace-names:{world.cluster.pk}")
    assert pages.cluster_namespace_names(world.cluster) == []
    assert opened == [world.cluster.pk, world.cluster.pk], "once expired, the cluster is asked again"
