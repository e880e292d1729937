"""`make run`: the whole portal on one machine with embedded defaults.

Migrates, makes sure there is an admin, starts a Celery worker with beat (on
the broker from settings: a filesystem queue unless CELERY_BROKER_URL/REDIS_URL
is set), registers the devcluster as a demo cluster when Go is available,
starts test hosts and registers them as demo hosts when the machine allows it
(root, namespaces, overlayfs), and serves the web UI. Ctrl-C stops everything
it started.
"""

import io
import os
import shutil
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from portal.env import BASE_DIR, VAR_DIR

# Test hosts `make run` starts as demo hosts: enough for a multi-host job.
DEMO_HOST_COUNT = 3


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run the portal locally: web, Celery worker + beat, and the devcluster demo."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default=os.environ.get("PORTAL_ADDR", "127.0.0.1:8000"))
        parser.add_argument("--no-worker", action="store_true", help="Do not start a Celery worker.")
        parser.add_argument("--no-devcluster", action="store_true", help="Do not start the demo cluster.")
        parser.add_argument(
            "--demo-hosts",
            type=int,
            default=DEMO_HOST_COUNT,
            metavar="N",
            help=f"How many test hosts to start as demo hosts (default {DEMO_HOST_COUNT}; 0: none).",
        )

    def handle(self, *args, addr, no_worker, no_devcluster, demo_hosts, **options):
        # A stop from a supervisor or a closed terminal cleans up like Ctrl-C.
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, _interrupt)
        call_command("migrate", interactive=False, verbosity=0)
        # A new admin's password is printed once, after the start-up lines
        # (where it is seen), and kept nowhere.
        admin_news = io.StringIO()
        call_command("ensure_admin", stdout=admin_news)
        children = []
        started_demo = False
        host_run = None
        try:
            if not no_devcluster:
                started_demo = self._demo_cluster()
            if demo_hosts > 0:
                host_run = self._demo_hosts(demo_hosts)
                if host_run is not None:
                    self._demo_bring_up(host_run)
            if not no_worker:
                children.append(
                    self._spawn(
                        [
                            sys.executable,
                            "-m",
                            "celery",
                            "-A",
                            "config",
                            "worker",
                            "-B",
                            "-c",
                            "2",
                            "-l",
                            "info",
                            "-n",
                            "portal-dev@%h",
                            "-s",
                            str(VAR_DIR / "celerybeat-schedule"),
                        ],
                        "worker",
                    )
                )
            children.append(
                self._spawn(
                    [sys.executable, "manage.py", "runserver", addr, "--noreload"],
                    "web",
                )
            )
            self.stdout.write(
                self.style.SUCCESS(
                    f"\nPortal running at http://{addr}/  (broker: {settings.CELERY_BROKER_URL.split('://')[0]}, "
                    f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}). Ctrl-C stops it.\n"
                )
            )
            self._show(admin_news)
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            self.stderr.write("A portal process exited; stopping the others.")
        except KeyboardInterrupt:
            pass
        finally:
            # A second Ctrl-C (or a supervisor's TERM after it) while stopping
            # would cut the stop short and leave the demo cluster and hosts
            # running: the stop finishes first (bounded, children are killed after 15 s).
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(sig, signal.SIG_IGN)
            self._show(admin_news)  # not lost when the start failed before the banner
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(15)
                except subprocess.TimeoutExpired:
                    child.kill()
            if host_run is not None:
                self.stdout.write("Stopping the demo hosts …")
                host_run.stop()
            if started_demo:
                from config.demo import demo_cluster_stop

                self.stdout.write("Stopping the demo cluster …")
                demo_cluster_stop()

    def _show(self, news: io.StringIO) -> None:
        """Write what ensure_admin said, once."""
        text = news.getvalue()
        if text:
            self.stdout.write(text, ending="")
            news.seek(0)
            news.truncate()

    def _spawn(self, command, name):
        self.stdout.write(f"Starting {name}: {' '.join(command[1:4])} …")
        return subprocess.Popen(command, cwd=BASE_DIR)

    def _demo_cluster(self) -> bool:
        if not shutil.which("go"):
            self.stdout.write("Go is not installed: no demo cluster (the portal runs without one).")
            return False
        from config.demo import demo_cluster_register, demo_cluster_start

        self.stdout.write(
            "Starting the demo cluster (the first start on a machine builds Kubernetes from source: about 7 minutes on 2 cores) …"
        )
        started = False
        try:
            started = demo_cluster_start()
            cluster = demo_cluster_register()
        except Exception as exc:  # the portal is useful without the demo; say why it is missing
            self.stderr.write(f"The demo cluster could not start, the portal runs without it: {exc}")
            return started
        self.stdout.write(f"Demo cluster registered as '{cluster.name}' ({cluster.api_server_url}).")
        try:
            # Live data on the dashboard at once, not after the first beat.
            from clusters.services.health import cluster_health_check
            from clusters.services.inventory import cluster_nodes_sync

            cluster_nodes_sync(cluster=cluster)
            cluster = cluster_health_check(cluster=cluster)
            self.stdout.write(
                f"Demo cluster is {cluster.get_phase_display()}, Kubernetes {cluster.kubernetes_version}."
            )
        except Exception as exc:  # the health check will retry on its schedule
            self.stderr.write(f"First health check of the demo cluster failed: {exc}")
        return started

    def _demo_bring_up(self, run) -> None:
        """Let the demo hosts be brought up as a cluster: the run serves the
        node package mirror on its bridge (the real kubeadm, stand-ins for
        what needs a container runtime or an init system), the hosts take
        their Debian packages from it and the first gets the control plane's
        images; the values the wizard needs are printed."""
        try:
            from devcluster.build import KUBE_VERSION
            from testhosts import kubenode, node_packages

            mirror = run.package_mirror(log=self.stdout.write)
            for host in run:
                node_packages.use_distribution_mirror(host, mirror)
            kubenode.provide_images(run[0], log=self.stdout.write)
        except Exception as exc:  # the demo hosts are still there for facts, preflight and jobs
            self.stderr.write(f"The demo hosts cannot be brought up as a cluster (no package mirror): {exc}")
            return
        self.stdout.write(
            "To bring the demo hosts up as a cluster (Clusters, Bring up a cluster), make the first the control plane"
            " and give under Advanced:\n"
            f"  Kubernetes packages mirror: {mirror.kube_url(KUBE_VERSION)}\n"
            f"  container runtime mirror:   {mirror.runtime_url}\n"
            f"  pod network manifest URL:   {mirror.url}/{node_packages.FLANNEL_MANIFEST}\n"
            "  kubeadm preflight errors to ignore: SystemVerification, FileContent--proc-sys-net-ipv4-ip_forward\n"
            "  (their kubelet, containerd and chronyd are stand-ins: testhosts/kube/README.md)"
        )

    def _demo_hosts(self, count: int):
        """Start `count` test hosts and register them; the started run (stopped
        when make run stops), or None, having said why there are none."""
        try:
            from testhosts.errors import TestHostsError
            from testhosts.fleet import TestHosts, unavailable_reason
        except ImportError as exc:  # an image without the repository's test tooling
            self.stdout.write(f"No demo hosts: the testhosts package is missing ({exc}); the portal runs without them.")
            return None
        reason = unavailable_reason()
        if reason:
            self.stdout.write(f"No demo hosts: {reason}; the portal runs without them.")
            return None
        self.stdout.write(
            f"Starting {count} demo hosts: test hosts, OpenSSH servers in namespaces of their own "
            "(the first start on a machine builds their Debian root: about a minute) …"
        )
        try:
            # From this, the main thread: a host dies with the thread that started it.
            run = TestHosts.start(count, log=self.stdout.write)
        except (TestHostsError, OSError) as exc:
            self.stderr.write(f"The demo hosts could not start, the portal runs without them: {exc}")
            return None
        from config.demo_hosts import demo_hosts_register

        try:
            result = demo_hosts_register(run)
        except Exception as exc:  # the portal is useful without them; say why they are missing
            self.stderr.write(f"The demo hosts could not be registered, the portal runs without them: {exc}")
            run.stop()
            return None
        for host in result.registered:
            self.stdout.write(
                f"Demo host '{host.name}' registered: {host.username}@{host.address}, host key {host.host_key_fingerprint}."
            )
        for name in result.skipped:
            self.stderr.write(f"A host named '{name}' that make run did not make is registered: left as it is.")
        if result.registered:
            self.stdout.write(
                "Their host keys are pinned without asking: the portal made these hosts. They stop when make run stops."
            )
        return run
