"""The job engine in-process: state machine, runner, resume, cancel, recovery, retention."""

from datetime import timedelta

import pytest
from django.utils import timezone

import tests.support.jobkinds  # noqa: F401  (registers the test job kinds)
from jobs import recovery, retention, state
from jobs import services as services
from jobs.choices import JobStatus, StepStatus
from jobs.models import Job, JobEvent
from jobs.runner import job_run
from portal.errors import ConflictError
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db


def _create(**params):
    # on_commit never fires inside a test transaction, so nothing is enqueued here.
    return services.job_create(kind="test.sleepy", title="Sleepy", params=params)


def test_it_plans_the_steps_of_a_new_job_in_order():
    job = _create()
    assert job.status == JobStatus.PENDING
    assert [(s.position, s.name, s.status) for s in job.steps.all()] == [
        (1, "prepare", StepStatus.PENDING),
        (2, "wait", StepStatus.PENDING),
        (3, "finish", StepStatus.PENDING),
    ]


def test_it_runs_every_step_and_records_output_with_increasing_counters():
    job = _create()
    assert job_run(job_id=job.pk, worker_name="w1@test") == JobStatus.SUCCEEDED
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.started and job.finished
    assert job.worker.startswith("w1@test:")
    assert {s.status for s in job.steps.all()} == {StepStatus.SUCCEEDED}
    counters = list(JobEvent.objects.filter(job=job).values_list("counter", flat=True))
    assert counters == list(range(1, len(counters) + 1))
    assert job.last_counter == counters[-1]
    texts = [e.text for e in JobEvent.objects.filter(job=job)]
    assert "prepared" in texts and "finished" in texts
    assert AuditEvent.objects.filter(action="job.test.sleepy", channel="job", result="success").count() == 1


def test_it_records_a_skipped_step():
    job = _create(skip_prepare=True)
    job_run(job_id=job.pk)
    assert job.steps.get(name="prepare").status == StepStatus.SKIPPED


def test_it_fails_the_job_with_the_steps_message_and_stops():
    job = _create(fail_in_wait=True)
    assert job_run(job_id=job.pk) == JobStatus.FAILED
    job.refresh_from_db()
    assert "Step 2 (Wait) failed: the wait step was told to fail" == job.message
    statuses = dict(job.steps.values_list("name", "status"))
    assert statuses == {"prepare": StepStatus.SUCCEEDED, "wait": StepStatus.FAILED, "finish": StepStatus.PENDING}


def test_it_never_writes_a_hidden_secret_to_the_log_or_the_message():
    job = _create(secret="hunter2-very-secret", crash_in_finish=True)
    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "RuntimeError" in job.message
    assert "hunter2-very-secret" not in job.message
    texts = " ".join(JobEvent.objects.filter(job=job).values_list("text", flat=True))
    assert "connecting with password [redacted]" in texts
    assert "hunter2-very-secret" not in texts
    assert "hunter2-very-secret" not in job.steps.get(name="finish").message


def test_it_resumes_a_failed_job_from_the_failed_step():
    job = _create(fail_in_wait=True)
    job_run(job_id=job.pk)
    job.refresh_from_db()
    # The cause is fixed: the resumed run must not repeat "prepare".
    resumed = services.job_resume(job=job, user=_anonymous())
    Job.objects.filter(pk=resumed.pk).update(params={})
    assert resumed.resumed_from == job
    assert dict(resumed.steps.values_list("name", "status"))["prepare"] == StepStatus.SUCCEEDED
    assert job_run(job_id=resumed.pk) == JobStatus.SUCCEEDED
    assert not JobEvent.objects.filter(job=resumed, text="prepared").exists()
    assert JobEvent.objects.filter(job=resumed, text="finished").exists()


def test_it_refuses_to_resume_a_job_that_succeeded():
    job = _create()
    job_run(job_id=job.pk)
    job.refresh_from_db()
    with pytest.raises(ConflictError):
        services.job_resume(job=job, user=_anonymous())


def test_it_cancels_a_pending_job_at_once_and_never_runs_it():
    job = _create()
    services.job_cancel(job=job, user=_anonymous())
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELED and job.finished
    assert set(job.steps.values_list("status", flat=True)) == {StepStatus.CANCELED}
    assert job_run(job_id=job.pk) == JobStatus.CANCELED
    assert not JobEvent.objects.filter(job=job).exists()


def test_it_keeps_terminal_states_final():
    job = _create()
    job_run(job_id=job.pk)
    for target in (JobStatus.RUNNING, JobStatus.FAILED, JobStatus.CANCELED, JobStatus.PENDING):
        with pytest.raises(state.IllegalTransition):
            state.job_transition(job_id=job.pk, to=target)
    with pytest.raises(ConflictError):
        services.job_cancel(job=job, user=_anonymous())


def test_it_runs_a_job_only_once_when_its_message_is_delivered_twice():
    job = _create()
    assert job_run(job_id=job.pk) == JobStatus.SUCCEEDED
    events = JobEvent.objects.filter(job=job).count()
    assert job_run(job_id=job.pk) == JobStatus.SUCCEEDED
    assert JobEvent.objects.filter(job=job).count() == events


def test_it_fails_a_job_whose_kind_this_worker_does_not_know():
    job = _create()
    Job.objects.filter(pk=job.pk).update(kind="no.such.kind")
    assert job_run(job_id=job.pk) == JobStatus.FAILED
    job.refresh_from_db()
    assert "no.such.kind" in job.message


def test_it_fails_jobs_left_running_by_a_worker_that_restarted():
    job = _create()
    state.job_transition(job_id=job.pk, to=JobStatus.RUNNING, worker="celery@box:4242")
    other = _create()
    state.job_transition(job_id=other.pk, to=JobStatus.RUNNING, worker="celery@elsewhere:77")

    assert recovery.jobs_fail_orphaned_by_worker(worker_name="celery@box") == 1
    job.refresh_from_db()
    other.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "celery@box:4242" in job.message and "stopped before it finished" in job.message
    assert other.status == JobStatus.RUNNING


def test_it_reaps_running_jobs_whose_heartbeat_stopped(settings):
    settings.JOB_ORPHAN_AFTER_SECONDS = 60
    stale, fresh = _create(), _create()
    for job in (stale, fresh):
        state.job_transition(job_id=job.pk, to=JobStatus.RUNNING, worker="celery@gone:1")
    Job.objects.filter(pk=stale.pk).update(heartbeat=timezone.now() - timedelta(minutes=5))

    assert recovery.jobs_reap_orphans() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == JobStatus.FAILED and "No heartbeat" in stale.message
    assert fresh.status == JobStatus.RUNNING


def test_it_fails_a_redelivered_job_whose_worker_process_is_gone():
    job = _create()
    # A pid that cannot exist on Linux (above pid_max's hard ceiling).
    state.job_transition(job_id=job.pk, to=JobStatus.RUNNING, worker="celery@box:4194305")
    Job.objects.filter(pk=job.pk).update(heartbeat=timezone.now())
    assert job_run(job_id=job.pk, worker_name="celery@box") == JobStatus.FAILED
    job.refresh_from_db()
    assert "died before it finished" in job.message


def test_it_purges_old_output_of_finished_jobs_only(settings):
    settings.JOB_EVENT_RETENTION_DAYS = 30
    done, running = _create(), _create()
    job_run(job_id=done.pk)
    state.job_transition(job_id=running.pk, to=JobStatus.RUNNING, worker="w:1")
    state.job_event_append(job_id=running.pk, text="still going")
    JobEvent.objects.update(created=timezone.now() - timedelta(days=31))

    deleted = retention.job_events_purge()
    assert deleted > 0
    assert not JobEvent.objects.filter(job=done).exists()
    assert JobEvent.objects.filter(job=running).count() == 1


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()
