"""A worker killed in the middle of a job on three real hosts: the job is
failed with a clear message, and resuming it completes the work, skipping
what had succeeded. A real Celery worker process, Redis, OpenSSH test hosts."""

import pytest
from django.contrib.auth.models import AnonymousUser

import tests.support.jobkinds  # noqa: F401  (test.host-commands)
from jobs import services
from jobs.choices import JobStatus, StepStatus
from jobs.models import Job, JobEvent
from tests.hosts.conftest import register
from tests.support.wait import wait_for

pytestmark = [pytest.mark.testhosts, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MARK = "/tmp/portal-worker-kill"  # noqa: S108  (on the test hosts)
SLEEPER = "pgrep -f '[p]ortal-sleeper' >/dev/null && echo yes || echo no"


def test_killing_the_worker_mid_job_then_resuming_completes_the_work(workers, hosts):
    for host in hosts:
        host.run(f"rm -f {MARK}*; pkill -f '[p]ortal-sleeper' || true")
    registered = register(hosts, prefix="wk-")
    steps = [
        {"name": "prepare", "title": "Prepare", "command": f"echo prepared >> {MARK}-prepare"},
        # Waits for a go-ahead file: the first run blocks here until the worker dies.
        {
            "name": "work",
            "title": "Work",
            "command": f"test -f {MARK}-go || exec bash -c 'exec -a portal-sleeper sleep 300'; echo worked >> {MARK}-work",
        },
    ]
    first = workers("portal-hosts@%h")
    job = services.job_create(
        kind="test.host-commands",
        title="Work on three hosts",
        params={"hosts": [h.name for h in registered], "steps": steps},
    )
    try:
        wait_for(
            lambda: all(h.run(SLEEPER).strip() == "yes" for h in hosts), 60, what="the work step to run on every host"
        )
        first.kill()
        workers("portal-hosts@%h")  # the worker comes back and finds the job it left
        wait_for(lambda: Job.objects.get(pk=job.pk).status == JobStatus.FAILED, 60, what="recovery to fail the job")
        job.refresh_from_db()
        assert "stopped before it finished" in job.message and "Resume the job" in job.message
        assert set(job.steps.filter(name="prepare").values_list("status", flat=True)) == {StepStatus.SUCCEEDED}

        # The killed worker's commands would end at their own timeout on the
        # hosts; an operator clears them and gives the go-ahead.
        for host in hosts:
            host.run(f"pkill -f '[p]ortal-sleeper' || true; touch {MARK}-go")
        resumed = services.job_resume(job=job, user=AnonymousUser())
        wait_for(lambda: Job.objects.get(pk=resumed.pk).is_terminal, 120, what="the resumed job to finish")
        resumed.refresh_from_db()
        assert resumed.status == JobStatus.SUCCEEDED, resumed.message
        assert not JobEvent.objects.filter(job=resumed, step__name="prepare").exists()
        assert [h.read_file(f"{MARK}-prepare") for h in hosts] == ["prepared\n"] * 3
        assert [h.read_file(f"{MARK}-work") for h in hosts] == ["worked\n"] * 3
    finally:
        Job.objects.filter(pk=job.pk).update(cancel_requested=True)
        for host in hosts:
            host.run(f"rm -f {MARK}*; pkill -f '[p]ortal-sleeper' || true")
