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
        return None


class Command(BaseCommand):
    help = "Benchmark jobs on 1, 5 and 10 SSH test hosts."

    def add_arguments(self, parser):
        parser.add_argument("--hosts", default="1,5,10", help="host counts, comma-separated")
        parser.add_argument("--steps", type=int, default=5)
        parser.add_argument(
            "--commands",
            default="true,sleep 1",
            help="one series per command: `true` for the portal's overhead, a command that takes time for scaling",
        )
        parser.add_argument("--sudo", action="store_true", help="run the commands through sudo (with its password)")
        parser.add_argument("--repeat", type=int, default=5)

    def handle(self, *args, hosts, steps, commands, sudo, repeat, **options):
        from testhosts import TestHosts

        counts = [int(n) for n in hosts.split(",")]
        # Jobs run here, not on a broker.
        job_services.job_run.apply_async = lambda *a, **k: None
        series = {}
        with TestHosts.start(max(counts), log=self.stderr.write) as fleet:
            registered = [_register(h) for h in fleet]
            self._run(registered[:1], steps, "true", sudo)  # warm-up: imports, first connections
            for command in commands.split(","):
                series[command] = {
                    count: [self._run(registered[:count], steps, command, sudo) for _ in range(repeat)]
                    for count in counts
                }
            # The same job with twice the steps on one host: the difference is
            # what a step costs without the job's one SSH connection set-up.
            doubled = [self._run(registered[:1], 2 * steps, "true", sudo) for _ in range(repeat)]
        self._report(series, doubled, steps, sudo, repeat)

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

    def _report(self, series, doubled, steps, sudo, repeat):
        write = self.stdout.write
        write(f"database: {connection.vendor}; {steps} steps{' via sudo' if sudo else ''}; median of {repeat} runs\n")
        write("| command | hosts | job wall time | min | max | vs 1 host |")
        write("|---|---|---|---|---|---|")
        medians = {}
        for command, rows in series.items():
            for count, times in rows.items():
                median = medians[command, count] = statistics.median(times)
                ratio = median / medians[command, min(rows)]
                write(
                    f"| `{command}` | {count} | {_ms(median)} | {_ms(min(times))} | {_ms(max(times))} | {ratio:.2f}× |"
                )
        one = medians.get(("true", 1))
        if one is not None:
            marginal = (statistics.median(doubled) - one) / steps
            write(f"\nportal overhead per step, 1 host, `true`: {_ms(one / steps)} with the job's SSH connection")
            write(f"set-up spread over its {steps} steps; {_ms(marginal)} per further step (goal ≤ 50 ms)")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


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
