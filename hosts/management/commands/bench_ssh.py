"""`make bench-ssh`: the same 5-step job on 1, 5 and 10 test hosts.

Real OpenSSH test hosts (testhosts/, needs root), registered as any host is;
the job runs in this process through the job engine (jobs.runner.job_run), as
a worker runs it, minus the broker. Goals: 10 hosts take at most 1.5 times
the wall time of 1 host; the portal's own overhead per step (everything but
the command's own run time, measured with `true`) at most 50 ms.
"""

import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from hosts import jobwork
from hosts import services as host_services
from hosts.models import Host, SSHCredential
from jobs import services as job_services
from jobs.choices import JobStatus, StepStatus
from jobs.registry import JobKind, StepSpec, register


@register
class BenchSteps(JobKind):
    """Benchmark only: `steps` stages running `command` on every host."""

    name = "bench.ssh-steps"

    def steps(self, job):
        hosts = tuple(job.params["hosts"])
        return [StepSpec(f"step-{n}", f"Step {n}", hosts=hosts) for n in range(1, job.params["steps"] + 1)]

    def run_step(self, ctx, step):
        jobwork.run(ctx, ctx.job.params["command"], sudo=ctx.job.params.get("sudo", False))


class Command(BaseCommand):
    help = "Benchmark jobs on 1, 5 and 10 SSH test hosts."

    def add_arguments(self, parser):
        parser.add_argument("--hosts", default="1,5,10", help="host counts, comma-separated")
        parser.add_argument("--steps", type=int, default=5)
        parser.add_argument("--command", default="true")
        parser.add_argument("--sudo", action="store_true", help="run the command through sudo (with its password)")
        parser.add_argument("--repeat", type=int, default=5)

    def handle(self, *args, hosts, steps, command, sudo, repeat, **options):
        from testhosts import TestHosts

        counts = [int(n) for n in hosts.split(",")]
        # Jobs run here, not on a broker.
        job_services.job_run.apply_async = lambda *a, **k: None
        with TestHosts.start(max(counts), log=self.stderr.write) as fleet:
            registered = [_register(h) for h in fleet]
            self._run(registered[:1], steps, command, sudo)  # warm-up: imports, first connections
            rows = []
            for count in counts:
                times = [self._run(registered[:count], steps, command, sudo) for _ in range(repeat)]
                rows.append((count, times))
        self._report(rows, steps, command, sudo, repeat)

    def _run(self, hosts, steps, command, sudo) -> float:
        job = job_services.job_create(
            kind=BenchSteps.name,
            title="bench",
            params={"hosts": [h.name for h in hosts], "steps": steps, "command": command, "sudo": sudo},
        )
        from jobs.runner import job_run

        started = time.perf_counter()
        status = job_run(job_id=job.pk)
        wall = time.perf_counter() - started
        if status != JobStatus.SUCCEEDED:
            raise CommandError(f"The bench job failed: {job.__class__.objects.get(pk=job.pk).message}")
        assert set(job.steps.values_list("status", flat=True)) == {StepStatus.SUCCEEDED}
        return wall

    def _report(self, rows, steps, command, sudo, repeat):
        write = self.stdout.write
        write(f"database: {connection.vendor}; command: {command!r}{' via sudo' if sudo else ''}; ")
        write(f"{steps} steps; median of {repeat} runs each\n")
        write("| hosts | job wall time (median) | min | max | per step (wall / steps) |")
        write("|---|---|---|---|---|")
        medians = {}
        for count, times in rows:
            median = statistics.median(times)
            medians[count] = median
            write(
                f"| {count} | {median * 1000:.0f} ms | {min(times) * 1000:.0f} ms | {max(times) * 1000:.0f} ms | "
                f"{median / steps * 1000:.1f} ms |"
            )
        if 1 in medians:
            write(
                f"\nportal overhead per step on 1 host (command `{command}`, connection set-up included): "
                f"{medians[1] / steps * 1000:.1f} ms (goal ≤ 50 ms)"
            )
            for count in medians:
                if count > 1:
                    write(f"{count} hosts / 1 host wall time: {medians[count] / medians[1]:.2f}× (goal ≤ 1.5×)")


def _register(test_host):
    """A test host as an admin registers it: key login, sudo with its
    password, the host key pinned from the line the test host was made with."""
    Host.objects.filter(name=test_host.name).delete()  # a previous run's, on a kept database
    SSHCredential.objects.filter(name=f"bench-{test_host.name}").delete()
    credential = host_services.ssh_credential_create(
        name=f"bench-{test_host.name}",
        kind="private_key",
        private_key=test_host.private_key_pem,
        password=test_host.password,
    )
    host = host_services.host_create(
        name=test_host.name,
        address=test_host.address,
        port=test_host.port,
        username=test_host.username,
        sudo_mode="sudo_password",
        credential=credential,
    )
    return host_services.host_key_pin(host=host, known_hosts_line=test_host.known_hosts_line)
