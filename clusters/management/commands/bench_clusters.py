"""`make bench-clusters`: the health sweep of 20 registered clusters.

Some point at a devcluster, some at closed ports, some at a port that accepts
connections and never answers (the slowest kind of dead). The sweep should
take about as long as the slowest single check, not the sum of all checks.
"""

import socket
import time

import yaml
from django.conf import settings
from django.core.management.base import BaseCommand

from clusters.models import Cluster
from clusters.services import health
from clusters.services.clusters import cluster_create


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Command(BaseCommand):
    help = "Benchmark the parallel cluster health sweep."

    def add_arguments(self, parser):
        parser.add_argument("--live", type=int, default=12)
        parser.add_argument("--closed", type=int, default=4)
        parser.add_argument("--silent", type=int, default=4)
        parser.add_argument("--timeout", type=float, default=5.0)

    def handle(self, *args, live, closed, silent, timeout, **options):
        from devcluster import DevCluster

        settings.CLUSTER_HEALTH_TIMEOUT_SECONDS = timeout
        silent_sockets = []
        with DevCluster.start(nodes=3) as dc:
            base = dc.admin_kubeconfig_dict()

            def register(name, server=None):
                config = yaml.safe_load(yaml.safe_dump(base))
                if server:
                    config["clusters"][0]["cluster"]["server"] = server
                cluster_create(name=name, slug=name, kubeconfig=yaml.safe_dump(config))

            for i in range(live):
                register(f"live-{i}")
            for i in range(closed):
                register(f"closed-{i}", f"https://127.0.0.1:{_free_port()}")
            for i in range(silent):
                listener = socket.socket()
                listener.bind(("127.0.0.1", 0))
                listener.listen(16)  # accepts the TCP handshake, never says a word
                silent_sockets.append(listener)
                register(f"silent-{i}", f"https://127.0.0.1:{listener.getsockname()[1]}")

            singles = {}
            for cluster in Cluster.objects.all():
                started = time.monotonic()
                health.cluster_check_now(cluster=cluster)
                singles[cluster.slug] = time.monotonic() - started
            started = time.monotonic()
            result = health.clusters_health_sweep()
            sweep = time.monotonic() - started

        for listener in silent_sockets:
            listener.close()
        phases = {}
        for phase in result.values():
            phases[phase] = phases.get(phase, 0) + 1
        slowest = max(singles, key=singles.get)
        self.stdout.write(
            f"clusters: {len(result)} ({live} live, {closed} closed port, {silent} silent); "
            f"per-cluster timeout {timeout}s, concurrency {settings.CLUSTER_HEALTH_CONCURRENCY}"
        )
        self.stdout.write(f"phases after the sweep: {phases}")
        self.stdout.write(f"sum of single checks, one after another: {sum(singles.values()):.2f}s")
        self.stdout.write(f"slowest single check: {singles[slowest]:.2f}s ({slowest})")
        self.stdout.write(f"parallel sweep: {sweep:.2f}s")
