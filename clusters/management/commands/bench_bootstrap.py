"""`make bench-bootstrap`: a cluster of 1 control plane + 2 workers, then of
1 + 9, brought up by the portal on test hosts with the real kubeadm.

Test hosts (testhosts/, needs root) take their packages from the test
package mirror on the bridge, the stand-in kubelet, containerd and chrony
among them (see tests/clusters/test_bootstrap_e2e.py). The job runs in this
process through the job engine (jobs.runner.job_run), as a worker runs it,
minus the broker.

Reported per size: the job's wall time and each step's (the slowest host of
a stage). The commands' own time is measured around every command the job
runs on a host (hosts.jobwork.run: from sending it to its exit status, so a
loopback round trip is counted as the command's); the portal's overhead is
the wall time minus, per stage, the busiest host's command time, minus the
portal's own steps that wait on the new cluster (register, network, ready),
which are reported on their own lines. Goals: 1+9 within 1.3 times the wall
time of 1+2; the overhead at most 5 % of the wall time.
"""

import threading
import time
from collections import defaultdict

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from clusters.bootstrap import services as bootstrap_services
from clusters.bootstrap.spec import spec_validate
from clusters.models import Cluster
from hosts import jobwork
from hosts import services as host_services
from hosts.management.commands.bench_ssh import _register
from jobs import services as job_services
from jobs.choices import JobStatus
from jobs.models import Job

# Only what a test host cannot satisfy (see tests/clusters/test_bootstrap_e2e.py).
IGNORED_PREFLIGHT = ["SystemVerification", "FileContent--proc-sys-net-ipv4-ip_forward"]
PORTAL_STEPS = ("register", "network", "ready")


class _CommandClock:
    """Seconds spent in host commands and file uploads, per (job step name,
    host), measured around hosts.jobwork.run and .put while installed."""

    def __init__(self):
        self.seconds = defaultdict(float)
        self._lock = threading.Lock()
        self._originals = {"run": jobwork.run, "put": jobwork.put}

    def __enter__(self):
        for name, original in self._originals.items():
            setattr(jobwork, name, self._timed(original))
        return self

    def _timed(self, original):
        def timed(ctx, *args, **kwargs):
            started = time.perf_counter()
            try:
                return original(ctx, *args, **kwargs)
            finally:
                with self._lock:
                    self.seconds[ctx.step.name, ctx.step.host] += time.perf_counter() - started

        return timed

    def __exit__(self, *_exc):
        for name, original in self._originals.items():
            setattr(jobwork, name, original)


class Command(BaseCommand):
    help = "Benchmark bringing up a 1+2 and a 1+9 cluster on test hosts."

    def add_arguments(self, parser):
        parser.add_argument("--workers", default="2,9", help="worker counts, comma-separated (one control plane each)")

    def handle(self, *args, workers, **options):
        from testhosts import TestHosts, kubenode, node_packages

        sizes = [int(n) for n in workers.split(",")]
        job_services.job_run.apply_async = lambda *a, **k: None  # jobs run here, not on a broker
        results = []
        for size in sizes:
            # A fresh set of hosts per size: each bring-up starts from clean machines.
            with TestHosts.start(1 + size, log=self.stderr.write) as fleet:
                mirror = fleet.package_mirror(log=self.stderr.write)
                for host in fleet:
                    node_packages.use_distribution_mirror(host, mirror)
                kubenode.provide_images(fleet[0], log=self.stderr.write)
                registered = [_register(host) for host in fleet]
                self._facts(registered)
                results.append((size, self._bring_up(registered, mirror)))
        self._report(results)

    def _facts(self, hosts):
        from jobs.runner import job_run

        job = host_services.facts_gather(hosts=hosts)
        if job_run(job_id=job.pk) != JobStatus.SUCCEEDED:
            raise CommandError(f"Gathering facts failed: {Job.objects.get(pk=job.pk).message}")

    def _bring_up(self, hosts, mirror) -> dict:
        from devcluster.build import KUBE_VERSION
        from jobs.runner import job_run
        from testhosts import node_packages

        slug = f"bench-{len(hosts)}"
        Cluster.objects.filter(slug=slug).delete()  # a previous run's, on a kept database
        spec = spec_validate(
            control_plane=[hosts[0].name],
            workers=[h.name for h in hosts[1:]],
            packages_mirror=mirror.kube_url(KUBE_VERSION),
            runtime_mirror=mirror.runtime_url,
            image_repository="registry.aliyuncs.com/google_containers",
            ignore_preflight_errors=IGNORED_PREFLIGHT,
        )
        job = bootstrap_services.bootstrap_start(
            name=slug, slug=slug, spec=spec, network_manifest=node_packages.flannel_manifest()
        )
        with _CommandClock() as clock:
            started = time.perf_counter()
            status = job_run(job_id=job.pk)
            wall = time.perf_counter() - started
        job = Job.objects.get(pk=job.pk)
        if status != JobStatus.SUCCEEDED:
            raise CommandError(f"The bring-up failed: {job.message}")
        steps = {}
        for step in job.steps.order_by("position"):
            seconds = (step.finished - step.started).total_seconds() if step.finished and step.started else 0.0
            stage = steps.setdefault(step.name, {"seconds": 0.0, "commands": 0.0})
            stage["seconds"] = max(stage["seconds"], seconds)
            stage["commands"] = max(stage["commands"], clock.seconds.get((step.name, step.host), 0.0))
        # Stages run one after another: the stage's time is its slowest host's.
        stage_total = sum(stage["seconds"] for stage in steps.values())
        waiting = sum(steps[name]["seconds"] for name in PORTAL_STEPS if name in steps)
        commands = sum(stage["commands"] for name, stage in steps.items() if name not in PORTAL_STEPS)
        overhead = wall - commands - waiting
        # Every host's commands added up: how much work ran side by side.
        host_seconds = sum(seconds for (name, _host), seconds in clock.seconds.items() if name not in PORTAL_STEPS)
        return {
            "host_seconds": host_seconds,
            "wall": wall,
            "steps": steps,
            "stages": stage_total,
            "commands": commands,
            "waiting": waiting,
            "overhead": overhead,
        }

    def _report(self, results):
        write = self.stdout.write
        write(f"database: {connection.vendor}")
        names = list(results[0][1]["steps"])
        header = " | ".join(f"1+{size}" for size, _ in results)
        write(f"| step (slowest host; its commands' time) | {header} |")
        write("|---|" + "---|" * len(results))
        for name in names:
            cells = []
            for _size, result in results:
                stage = result["steps"].get(name)
                if stage is None:
                    cells.append("—")
                elif name in PORTAL_STEPS:
                    cells.append(f"{stage['seconds']:.1f} s (portal)")
                else:
                    cells.append(f"{stage['seconds']:.1f} s ({stage['commands']:.1f} s)")
            write(f"| {name} | " + " | ".join(cells) + " |")
        for label, key in (
            ("**wall time**", "wall"),
            ("commands on hosts (critical path)", "commands"),
            ("commands on all hosts, added up", "host_seconds"),
            ("portal steps waiting on the cluster", "waiting"),
            ("**portal overhead**", "overhead"),
        ):
            write(f"| {label} | " + " | ".join(f"{result[key]:.1f} s" for _size, result in results) + " |")
        write(
            "| overhead / wall time | "
            + " | ".join(f"{100 * result['overhead'] / result['wall']:.1f} %" for _size, result in results)
            + " |"
        )
        if len(results) >= 2:
            ratio = results[-1][1]["wall"] / results[0][1]["wall"]
            write(f"\n1+{results[-1][0]} / 1+{results[0][0]} wall time: {ratio:.2f}× (goal ≤ 1.3×)")
