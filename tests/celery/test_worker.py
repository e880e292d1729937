"""A real Celery worker process, a real Redis broker, the real database."""

import os
import signal

import pytest
from django.db import transaction

import tests.support.jobkinds  # noqa: F401  (the test job kinds)
from jobs import services as services
from jobs.choices import JobStatus, StepStatus
from jobs.models import Job, JobEvent
from tests.support.wait import wait_for

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _job(**params) -> Job:
    # job_create enqueues on commit: outside a test transaction, that is now.
    return services.job_create(kind="test.sleepy", title="Sleepy", params=params)


def test_it_runs_a_job_from_redis_in_a_worker_process(workers):
    workers()
    job = _job(seconds=0.5)
    wait_for(lambda: Job.objects.get(pk=job.pk).is_terminal, 60, what="the job to finish")
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert job.worker.startswith("portal-test@")
    assert set(job.steps.values_list("status", flat=True)) == {StepStatus.SUCCEEDED}
    assert JobEvent.objects.filter(job=job, text="finished").exists()


def test_it_cancels_a_running_job_between_ticks(workers):
    workers()
    job = _job(seconds=30)
    wait_for(lambda: JobEvent.objects.filter(job=job, text__startswith="tick").exists(), 60, what="the job to tick")
    services.job_cancel(job=job, user=job.created_by or _anonymous())
    wait_for(lambda: Job.objects.get(pk=job.pk).is_terminal, 30, what="the job to stop")
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELED
    assert job.steps.get(name="wait").status == StepStatus.CANCELED
    assert job.steps.get(name="finish").status == StepStatus.PENDING


def test_a_killed_worker_leaves_its_job_failed_and_loses_nothing_else(workers):
    first = workers("portal-crash@%h")
    doomed = _job(seconds=60)
    wait_for(lambda: JobEvent.objects.filter(job=doomed, text__startswith="tick").exists(), 60, what="the job to run")
    queued = _job(seconds=0)  # waits in Redis behind the doomed one (concurrency 1)

    first.kill()
    doomed.refresh_from_db()
    assert doomed.status == JobStatus.RUNNING  # nobody has noticed yet

    workers("portal-crash@%h")  # the same worker comes back
    wait_for(lambda: Job.objects.get(pk=doomed.pk).status == JobStatus.FAILED, 30, what="recovery to fail the job")
    doomed.refresh_from_db()
    assert "stopped before it finished" in doomed.message
    assert "Resume the job" in doomed.message
    assert doomed.steps.get(name="wait").status == StepStatus.FAILED
    assert doomed.steps.get(name="prepare").status == StepStatus.SUCCEEDED

    wait_for(lambda: Job.objects.get(pk=queued.pk).is_terminal, 60, what="the queued job to run")
    assert Job.objects.get(pk=queued.pk).status == JobStatus.SUCCEEDED

    # The resumed job is enqueued when its transaction commits: shorten its
    # wait before that, so no worker can pick it up with the old 60 seconds.
    with transaction.atomic():
        resumed = services.job_resume(job=doomed, user=_anonymous())
        Job.objects.filter(pk=resumed.pk).update(params={"seconds": 0})
    wait_for(lambda: Job.objects.get(pk=resumed.pk).is_terminal, 60, what="the resumed job to run")
    assert Job.objects.get(pk=resumed.pk).status == JobStatus.SUCCEEDED
    # It ran with the new duration (no tick), skipping the step that had succeeded.
    assert not JobEvent.objects.filter(job=resumed, text__startswith="tick").exists()
    assert resumed.steps.get(name="prepare").status == StepStatus.SUCCEEDED
    assert not JobEvent.objects.filter(job=resumed, text="prepared").exists()


def test_a_killed_pool_process_fails_its_job_when_the_message_comes_back(workers):
    worker = workers("portal-pool@%h")
    job = _job(seconds=60)
    wait_for(lambda: JobEvent.objects.filter(job=job, text__startswith="tick").exists(), 60, what="the job to run")
    children = worker.pool_child_pids()
    assert children, "the prefork pool has a child process"
    for pid in children:
        os.kill(pid, signal.SIGKILL)

    wait_for(lambda: Job.objects.get(pk=job.pk).status == JobStatus.FAILED, 60, what="the job to be failed")
    job.refresh_from_db()
    assert "died before it finished" in job.message


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()
