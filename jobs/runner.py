"""Runs a job's steps in a worker, in order, skipping those already done."""

import logging
import os
import socket
import threading
import traceback

from django.conf import settings
from django.db import close_old_connections

from jobs import recovery, state
from jobs.choices import EventStream, JobStatus, StepStatus
from jobs.models import Job
from jobs.registry import JobCanceled, StepFailed, UnknownJobKind, get_kind
from portal.audit import audit_record
from portal.models import AuditChannel, AuditResult

logger = logging.getLogger(__name__)


def worker_identity(worker_name: str = "") -> str:
    """'<celery node name>:<pid>', so recovery can tell which process ran a job."""
    return f"{worker_name or 'celery@' + socket.gethostname()}:{os.getpid()}"


class JobContext:
    """What a step gets: the job, a log, the secrets to hide, and cancellation."""

    def __init__(self, job: Job, step=None):
        self.job = job
        self.step = step
        self.secrets: list[str] = []

    def hide(self, secret: str) -> None:
        """Never let this value reach the job log."""
        self.secrets.append(secret)

    def log(self, text: str, stream: str = EventStream.STDOUT) -> None:
        state.job_event_append(job_id=self.job.pk, text=text, stream=stream, step=self.step, secrets=self.secrets)

    def check_canceled(self) -> None:
        if Job.objects.filter(pk=self.job.pk, cancel_requested=True).exists():
            raise JobCanceled()


class _Heartbeat(threading.Thread):
    """Tells the database the job is alive while a long step blocks."""

    def __init__(self, job_id: int):
        super().__init__(daemon=True, name=f"job-{job_id}-heartbeat")
        self.job_id = job_id
        self.stopped = threading.Event()

    def run(self):
        try:
            while not self.stopped.wait(settings.JOB_HEARTBEAT_SECONDS):
                state.job_heartbeat(job_id=self.job_id)
        finally:
            close_old_connections()

    def stop(self):
        self.stopped.set()


def job_run(*, job_id: int, worker_name: str = "") -> str:
    """Claim a pending job and run it to a final state. Returns the final status.

    A message delivered twice (acks_late) finds the job no longer pending and
    does nothing: the first delivery, or recovery, owns it.
    """
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        logger.warning("Job %s no longer exists; nothing to run.", job_id)
        return "missing"
    if job.status == JobStatus.RUNNING and recovery.job_fail_if_worker_dead(
        job=job, worker_name=worker_identity(worker_name).rpartition(":")[0]
    ):
        return JobStatus.FAILED
    if job.status != JobStatus.PENDING:
        logger.info("Job %s is %s, not pending; not running it again.", job_id, job.status)
        return job.status
    if job.cancel_requested:
        state.job_transition(job_id=job_id, to=JobStatus.CANCELED, message="Canceled before it started.")
        return JobStatus.CANCELED
    try:
        kind = get_kind(job.kind)
    except UnknownJobKind as exc:
        state.job_transition(job_id=job_id, to=JobStatus.FAILED, message=str(exc))
        return JobStatus.FAILED

    job = state.job_transition(job_id=job_id, to=JobStatus.RUNNING, worker=worker_identity(worker_name))
    heartbeat = _Heartbeat(job_id)
    heartbeat.start()
    try:
        final, message = _run_steps(job, kind)
    finally:
        heartbeat.stop()
    job = state.job_transition(job_id=job_id, to=final, message=message)
    audit_record(
        actor=job.created_by,
        channel=AuditChannel.JOB,
        action=f"job.{job.kind}",
        result=AuditResult.SUCCESS if final == JobStatus.SUCCEEDED else AuditResult.FAILED,
        team=job.team,
        cluster=job.cluster.slug if job.cluster else "",
        kind="Job",
        name=str(job.pk),
        summary={"status": final, "message": message[:500]},
    )
    try:
        kind.on_finished(job)
    except Exception:  # a hook's failure must not change a final state
        logger.exception("on_finished hook of job %s failed", job_id)
    return final


def _run_steps(job: Job, kind) -> tuple[str, str]:
    ctx = JobContext(job)
    for step in job.steps.order_by("position"):
        if step.status in (StepStatus.SUCCEEDED, StepStatus.SKIPPED):
            continue
        ctx.step = step
        try:
            ctx.check_canceled()
            state.step_set_status(step=step, status=StepStatus.RUNNING)
            ctx.log(f"Step {step.position}: {step.title}", EventStream.SYSTEM)
            outcome = kind.run_step(ctx, step)
        except JobCanceled:
            state.step_set_status(step=step, status=StepStatus.CANCELED, message="Canceled.")
            return JobStatus.CANCELED, f"Canceled during step {step.position} ({step.title})."
        except StepFailed as exc:
            return _fail(ctx, step, state.redact_secrets(str(exc), ctx.secrets))
        except Exception as exc:
            # The traceback may quote a secret the step declared: log it redacted.
            logger.error(
                "Job %s step %s raised:\n%s",
                job.pk,
                step.name,
                state.redact_secrets(traceback.format_exc(), ctx.secrets),
            )
            return _fail(ctx, step, f"{type(exc).__name__}: {state.redact_secrets(str(exc), ctx.secrets)}")
        done = StepStatus.SKIPPED if outcome == StepStatus.SKIPPED else StepStatus.SUCCEEDED
        state.step_set_status(step=step, status=done)
    return JobStatus.SUCCEEDED, ""


def _fail(ctx: JobContext, step, message: str) -> tuple[str, str]:
    state.step_set_status(step=step, status=StepStatus.FAILED, message=message)
    ctx.log(message, EventStream.STDERR)
    return JobStatus.FAILED, f"Step {step.position} ({step.title}) failed: {message}"
