"""A real Celery worker process, a real Redis broker, the real database."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection, transaction

import tests.support.jobkinds  # noqa: F401  (the test job kinds)
from jobs import services as services
from jobs.choices import JobStatus, StepStatus
from jobs.models import Job, JobEvent
from portal.celery import app as celery_app
from tests.support.wait import wait_for

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Worker:
    """`celery worker` as a child process with its own process group."""

    def __init__(self, broker_url: str, name: str, log: Path):
        self.broker_url, self.name, self.log = broker_url, name, log
        self.process = None

    def start(self):
        env = {
            **os.environ,
            "CELERY_BROKER_URL": self.broker_url,
            "DATABASE_URL": _database_url(),
            "PYTHONPATH": str(ROOT),
            "JOB_HEARTBEAT_SECONDS": "1",
        }
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "portal",
                    "worker",
                    "-n",
                    self.name,
                    "-c",
                    "1",
                    "-I",
                    "tests.support.jobkinds",
                    "--without-gossip",
                    "--without-mingle",
                    "-l",
                    "info",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(lambda: "ready." in self.log.read_text(), 60, what=f"worker {self.name} ready ({self.log})")
        return self

    def pool_child_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def kill(self):
        """SIGKILL the whole worker (main process and pool): a crash, not a shutdown."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def broker(redis_url):
    """Point this process's Celery app at Redis, with an empty queue."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    previous = celery_app.conf.CELERY_BROKER_URL
    _switch_broker(redis_url)
    yield redis_url
    _switch_broker(previous)


def _switch_broker(url):
    # Celery caches its connection and producer pools; drop them with the URL.
    celery_app.conf.CELERY_BROKER_URL = url  # the namespaced key is what the app reads
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def workers(broker, tmp_path):
    started = []

    def start(name="portal-test@%h"):
        worker = Worker(broker, name, tmp_path / f"worker-{len(started)}.log").start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


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
