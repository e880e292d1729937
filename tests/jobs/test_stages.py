"""Stages over many hosts: bounded parallelism, per-(step, host) state, a
failing host stopping its stage, resume from the failed (step, host), per-step
timeouts. The hosts are fake (names only, tests/support/jobkinds.py): this
tests the engine, not SSH. The steps of one stage run in threads with their
own database connections, hence transactional_db."""

import threading
import time

import pytest

from jobs import services
from jobs.choices import EventStream, JobStatus, StepStatus
from jobs.models import Job, JobEvent
from jobs.runner import job_run
from tests.support.jobkinds import FAKE_HOSTS

pytestmark = pytest.mark.django_db(transaction=True)

HOSTS = [f"fake-host-{n}" for n in range(1, 6)]


@pytest.fixture(autouse=True)
def _recorder():
    FAKE_HOSTS.reset()
    yield
    FAKE_HOSTS.reset()


class _NoQueue:
    """Jobs are run in-process here: committed jobs are not sent to a broker."""

    def __init__(self):
        self.sent = []

    def apply_async(self, args, **options):
        self.sent.append((*args, options))


@pytest.fixture(autouse=True)
def enqueued(monkeypatch):
    queue = _NoQueue()
    monkeypatch.setattr("jobs.services.job_run", queue)
    return queue.sent


def _create(hosts, **params):
    return services.job_create(kind="test.fake_hosts", title="Fake hosts", params={"hosts": hosts, **params})


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


def _steps(job):
    return {(s.name, s.host): s for s in Job.objects.get(pk=job.pk).steps.all()}


def test_it_plans_one_step_per_stage_and_host(enqueued):
    job = _create(HOSTS[:3])
    # A kind may run longer than the global task limit.
    assert enqueued == [(job.pk, {"soft_time_limit": 2400, "time_limit": 2460})]
    assert [(s.position, s.name, s.host) for s in job.steps.all()] == [
        (1, "plan", ""),
        (2, "install", "fake-host-1"),
        (2, "install", "fake-host-2"),
        (2, "install", "fake-host-3"),
        (3, "verify", "fake-host-1"),
        (3, "verify", "fake-host-2"),
        (3, "verify", "fake-host-3"),
    ]


def test_it_runs_a_stage_on_its_hosts_in_parallel_but_never_more_than_the_limit(settings):
    settings.JOB_HOST_CONCURRENCY = 2
    job = _create(HOSTS, seconds=0.3)
    assert job_run(job_id=job.pk) == JobStatus.SUCCEEDED
    assert FAKE_HOSTS.max_running == 2
    steps = _steps(job)
    installs = sorted((steps[("install", h)].started, steps[("install", h)].finished) for h in HOSTS)
    # Some host's install started before the one before it had finished.
    assert any(later[0] < earlier[1] for earlier, later in zip(installs, installs[1:], strict=False))
    for host in HOSTS:
        install = steps[("install", host)]
        assert install.status == StepStatus.SUCCEEDED and install.exit_status == 0
        assert install.started and install.finished and install.duration.total_seconds() >= 0.3
        assert JobEvent.objects.filter(job=job, host=host, step=install, text=f"install on {host}").exists()
    assert JobEvent.objects.filter(job=job, host="", text="plan on the portal").exists()


def test_a_failing_host_stops_its_stage_with_its_output(settings):
    settings.JOB_HOST_CONCURRENCY = 1  # hosts in order: the one after the failure never starts
    FAKE_HOSTS.broken = {("install", "fake-host-2")}
    job = _create(HOSTS[:3])
    assert job_run(job_id=job.pk) == JobStatus.FAILED
    job.refresh_from_db()
    assert job.message == "Step 2 (Install) failed on fake-host-2: install failed on fake-host-2"
    steps = _steps(job)
    assert steps[("install", "fake-host-1")].status == StepStatus.SUCCEEDED
    failed = steps[("install", "fake-host-2")]
    assert failed.status == StepStatus.FAILED and failed.exit_status == 3
    assert steps[("install", "fake-host-3")].status == StepStatus.PENDING
    assert {steps[("verify", h)].status for h in HOSTS[:3]} == {StepStatus.PENDING}
    output = JobEvent.objects.filter(job=job, host="fake-host-2", stream=EventStream.STDERR)
    assert list(output.values_list("text", flat=True)) == [
        "E: fake-host-2: package installer exited with 3",
        "install failed on fake-host-2",
    ]
    assert ("verify", "fake-host-1") not in {(step, host) for _, step, host in FAKE_HOSTS.runs}


def test_resume_continues_from_the_failed_step_and_host_and_skips_what_succeeded(settings):
    settings.JOB_HOST_CONCURRENCY = 1
    FAKE_HOSTS.broken = {("install", "fake-host-2")}
    job = _create(HOSTS[:3])
    assert job_run(job_id=job.pk) == JobStatus.FAILED
    FAKE_HOSTS.broken = set()  # the host was fixed
    job.refresh_from_db()
    resumed = services.job_resume(job=job, user=_anonymous())
    assert job_run(job_id=resumed.pk) == JobStatus.SUCCEEDED
    ran = [(step, host) for job_id, step, host in FAKE_HOSTS.runs if job_id == resumed.pk]
    assert ran == [
        ("install", "fake-host-2"),
        ("install", "fake-host-3"),
        ("verify", "fake-host-1"),
        ("verify", "fake-host-2"),
        ("verify", "fake-host-3"),
    ]
    assert {s.status for s in _steps(resumed).values()} == {StepStatus.SUCCEEDED}


def test_a_step_past_its_timeout_fails_the_job():
    job = _create(HOSTS[:2], seconds=30, timeout=0.3)
    started = time.monotonic()
    assert job_run(job_id=job.pk) == JobStatus.FAILED
    assert time.monotonic() - started < 10
    job.refresh_from_db()
    assert job.message.startswith("Step 2 (Install) failed on fake-host-1: Timed out after 0.3 s.")
    assert _steps(job)[("install", "fake-host-1")].status == StepStatus.FAILED


def test_a_transient_failure_is_tried_again_and_the_attempts_are_counted():
    FAKE_HOSTS.flaky = {("install", "fake-host-2"): 2}
    job = _create(HOSTS[:2], retries=2)
    assert job_run(job_id=job.pk) == JobStatus.SUCCEEDED
    steps = _steps(job)
    assert steps[("install", "fake-host-2")].attempts == 3
    assert steps[("install", "fake-host-1")].attempts == 1
    retries = JobEvent.objects.filter(job=job, host="fake-host-2", text__contains="Trying again")
    assert [e.text for e in retries] == [
        "fake-host-2: dpkg lock held by another process. Trying again in 0.05 s (attempt 2 of 3).",
        "fake-host-2: dpkg lock held by another process. Trying again in 0.05 s (attempt 3 of 3).",
    ]


def test_a_transient_failure_past_the_retries_fails_the_job():
    FAKE_HOSTS.flaky = {("install", "fake-host-1"): 5}
    job = _create(HOSTS[:1], retries=1)
    assert job_run(job_id=job.pk) == JobStatus.FAILED
    job.refresh_from_db()
    assert job.message == "Step 2 (Install) failed on fake-host-1: fake-host-1: dpkg lock held by another process."
    failed = _steps(job)[("install", "fake-host-1")]
    assert failed.attempts == 2 and failed.exit_status == 100


def test_cancel_stops_the_commands_running_on_every_host(settings):
    settings.JOB_HOST_CONCURRENCY = 3
    job = _create(HOSTS[:3], command_seconds=60)

    def cancel_soon():
        from django.db import connection

        try:
            time.sleep(0.5)
            services.job_cancel(job=job, user=_anonymous())
        finally:
            connection.close()

    canceller = threading.Thread(target=cancel_soon)
    canceller.start()
    started = time.monotonic()
    assert job_run(job_id=job.pk) == JobStatus.CANCELED
    canceller.join()
    assert time.monotonic() - started < 10  # not the commands' 60 s
    steps = _steps(job)
    assert {steps[("install", h)].status for h in HOSTS[:3]} == {StepStatus.CANCELED}
    assert {steps[("verify", h)].status for h in HOSTS[:3]} == {StepStatus.PENDING}
