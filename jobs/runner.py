"""Runs a job's stages in a worker, in order; a stage's hosts in parallel,
with bounded concurrency; (step, host) pairs already done are skipped."""

import logging
import os
import socket
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import groupby

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections
from django.utils.translation import gettext_noop

from jobs import recovery, state
from jobs.choices import EventStream, JobStatus, StepStatus
from jobs.models import Job
from jobs.registry import JobCanceled, StepFailed, StepTimedOut, StepTransientError, UnknownJobKind, get_kind
from portal import stored_text
from portal.audit import audit_record
from portal.errors import PortalError
from portal.models import AuditChannel, AuditResult
from portal.stored_text import Message

logger = logging.getLogger(__name__)


def worker_identity(worker_name: str = "") -> str:
    """'<celery node name>:<pid>', so recovery can tell which process ran a job."""
    return f"{worker_name or 'celery@' + socket.gethostname()}:{os.getpid()}"


class JobContext:
    """What a step on one host gets: the job, a log, the secrets to hide,
    cancellation, its deadline, and where to put the exit status."""

    def __init__(
        self,
        job: Job,
        step=None,
        timeout: float | None = None,
        secrets: list[str] | None = None,
        canceled: threading.Event | None = None,
        run: "_Run | None" = None,
    ):
        self.job = job
        self.step = step
        self.secrets: list[str] = [] if secrets is None else secrets
        # Set within CANCEL_POLL_SECONDS of a cancel request: what a step waits
        # on (a command on a host) watches it and stops (hosts/jobwork.py).
        self.canceled = canceled or threading.Event()
        self._run = run
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout if timeout else None
        self.exit_status: int | None = None
        # The step's first line ("Step 2: Install on web-1"), written with the
        # step's first system line (its first command) to save a write.
        self.header: Message | None = None

    def remaining(self) -> float | None:
        """Seconds left before the step's timeout (None: no limit); give it
        to the commands the step runs."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())

    def shared(self, key, factory):
        """An object kept for every step of this run, made by `factory()` on
        first use and closed (its `close()`) when the run ends: one SSH
        connection per host for all the job's steps."""
        if self._run is None:
            raise RuntimeError("This context belongs to no run.")
        return self._run.shared(key, factory)

    def forget(self, key) -> None:
        """Close and drop a shared object (a broken connection) so the next
        use makes a new one."""
        if self._run is not None:
            self._run.forget(key)

    def hide(self, secret: str) -> None:
        """Never let this value reach the job log."""
        self.secrets.append(secret)

    def log(self, text: "str | Message | list", stream: str = EventStream.STDOUT) -> None:
        """Append to the job's log: a host's output as a string, the portal's
        own lines as Messages (translated when shown)."""
        if self.header is not None:
            header, self.header = self.header, None
            if stream == EventStream.SYSTEM:
                text = stored_text.join(header, "\n", *(text if isinstance(text, list) else [text]))  # one write
            else:
                self.log(header, EventStream.SYSTEM)
        state.job_event_append(job_id=self.job.pk, text=text, stream=stream, step=self.step, secrets=self.secrets)

    def flush_header(self) -> None:
        if self.header is not None:
            header, self.header = self.header, None
            self.log(header, EventStream.SYSTEM)

    def check_canceled(self) -> None:
        """Raise if the job was canceled or this step ran past its timeout.
        Within a run the heartbeat watches for a cancel request (at most
        CANCEL_POLL_SECONDS late), so no step asks the database itself."""
        if self.canceled.is_set() or (
            self._run is None and Job.objects.filter(pk=self.job.pk, cancel_requested=True).exists()
        ):
            self.canceled.set()
            raise JobCanceled()
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise StepTimedOut(Message(gettext_noop("Timed out after %(seconds)s s."), seconds=f"{self.timeout:g}"))


# How often a running job looks for a cancel request, so that the commands its
# steps run on hosts can be stopped (they wait on `ctx.canceled`).
CANCEL_POLL_SECONDS = 1.0


class _Heartbeat(threading.Thread):
    """Tells the database the job is alive while a long step blocks, and sets
    `canceled` as soon as someone asked the job to stop."""

    def __init__(self, job_id: int):
        super().__init__(daemon=True, name=f"job-{job_id}-heartbeat")
        self.job_id = job_id
        self.stopped = threading.Event()
        self.canceled = threading.Event()

    def run(self):
        last_beat = time.monotonic()
        try:
            while not self.stopped.wait(CANCEL_POLL_SECONDS):
                if not self.canceled.is_set() and Job.objects.filter(pk=self.job_id, cancel_requested=True).exists():
                    self.canceled.set()
                if time.monotonic() - last_beat >= settings.JOB_HEARTBEAT_SECONDS:
                    state.job_heartbeat(job_id=self.job_id)
                    last_beat = time.monotonic()
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
        state.job_transition(
            job_id=job_id, to=JobStatus.CANCELED, message=Message(gettext_noop("Canceled before it started."))
        )
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
        final, message = _run_steps(job, kind, heartbeat.canceled)
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
        summary={"status": final, "message": stored_text.english(message)[:500]},
    )
    try:
        kind.on_finished(job)
    except Exception:  # a hook's failure must not change a final state
        logger.exception("on_finished hook of job %s failed", job_id)
    return final


DONE = (StepStatus.SUCCEEDED, StepStatus.SKIPPED)


@dataclass
class _Run:
    """What all steps of one run share."""

    canceled: threading.Event
    # A secret one step declares stays hidden in the next.
    secrets: list[str] = field(default_factory=list)
    _shared: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # The threads that run hosts' steps live as long as the run, and so do
    # their database connections: a stage does not pay for new ones.
    _pool: ThreadPoolExecutor | None = None
    _connections: list = field(default_factory=list)

    def pool(self, job_id: int) -> ThreadPoolExecutor:
        if self._pool is None:
            workers = max(1, settings.JOB_HOST_CONCURRENCY)
            self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"job-{job_id}-host")
        return self._pool

    def keep_connection(self) -> None:
        """Called in a pool thread: its database connection is closed when
        the run ends (by the thread that ends it)."""
        db = connections[DEFAULT_DB_ALIAS]  # this thread's own, not the proxy
        if all(db is not kept for kept in self._connections):
            db.inc_thread_sharing()
            with self._lock:
                self._connections.append(db)

    def shared(self, key, factory):
        with self._lock:
            if key not in self._shared:
                self._shared[key] = factory()
            return self._shared[key]

    def forget(self, key) -> None:
        with self._lock:
            thing = self._shared.pop(key, None)
        _close(thing)

    def close(self) -> None:
        with self._lock:
            things, self._shared = list(self._shared.values()), {}
        for thing in things:
            _close(thing)
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        for db in self._connections:
            db.close()
            db.dec_thread_sharing()
        self._connections = []


def _close(thing) -> None:
    try:
        if thing is not None and hasattr(thing, "close"):
            thing.close()
    except Exception:  # closing a broken connection must not change the job's outcome
        logger.warning("Closing %r failed", thing, exc_info=True)


def _run_steps(job: Job, kind, canceled: threading.Event | None = None) -> tuple[str, "str | Message"]:
    """Run the stages in order; within one, the (step, host) pairs not done yet."""
    steps = job.steps.order_by("position", "host")
    run = _Run(canceled=canceled or threading.Event())
    try:
        for _position, stage in groupby(steps, key=lambda step: step.position):
            todo = [step for step in stage if step.status not in DONE]
            if not todo:
                continue
            if len(todo) == 1 and not todo[0].host:
                results = [_run_one(job, kind, todo[0], run)]
            else:
                results = _run_stage_on_hosts(job, kind, todo, run)
            for status, message in results:  # in host order: the first failure names the job's
                if status != JobStatus.SUCCEEDED:
                    return status, message
        return JobStatus.SUCCEEDED, ""
    finally:
        run.close()


def _run_stage_on_hosts(job: Job, kind, steps, run: _Run) -> list[tuple[str, str]]:
    """One stage on many hosts, at most JOB_HOST_CONCURRENCY at once. A host
    that fails or is canceled stops the stage: hosts not started yet stay
    pending (a resume runs them); those already running finish their step."""
    stop = threading.Event()

    def on_host(step):
        if stop.is_set():
            return JobStatus.SUCCEEDED, ""  # not started; the step stays pending
        run.keep_connection()
        result = _run_one(job, kind, step, run)
        if result[0] != JobStatus.SUCCEEDED:
            stop.set()
        return result

    return list(run.pool(job.pk).map(on_host, steps))


def _where(step, with_host: str, without: str, **params) -> Message:
    """The engine's sentence about a step, naming its host when it has one:
    two whole sentences, so a translation never glues "on web-1" to one."""
    if step.host:
        return Message(with_host, position=step.position, title=step.stored("title"), host=step.host, **params)
    return Message(without, position=step.position, title=step.stored("title"), **params)


def _run_one(job: Job, kind, step, run: _Run) -> tuple[str, "str | Message"]:
    """One step on one host, to its final status."""
    spec = kind.spec_for(step)
    ctx = JobContext(job, step, timeout=spec.timeout, secrets=run.secrets, canceled=run.canceled, run=run)
    try:
        ctx.check_canceled()
        state.step_set_status(step=step, status=StepStatus.RUNNING, count_attempt=True)
        ctx.header = _where(
            step, gettext_noop("Step %(position)s: %(title)s on %(host)s"), gettext_noop("Step %(position)s: %(title)s")
        )
        outcome = _run_with_retries(kind, ctx, step, spec)
        ctx.flush_header()
    except JobCanceled:
        ctx.flush_header()
        state.step_set_status(step=step, status=StepStatus.CANCELED, message=Message(gettext_noop("Canceled.")))
        return JobStatus.CANCELED, _where(
            step,
            gettext_noop("Canceled during step %(position)s (%(title)s) on %(host)s."),
            gettext_noop("Canceled during step %(position)s (%(title)s)."),
        )
    except StepFailed as exc:
        exit_status = exc.exit_status if exc.exit_status is not None else ctx.exit_status
        return _fail(ctx, step, _redacted(exc.text, ctx), exit_status, kind.failure_hint(step))
    except Exception as exc:
        # The traceback may quote a secret the step declared: log it redacted.
        logger.error(
            "Job %s step %s%s raised:\n%s",
            job.pk,
            step.name,
            f" on {step.host}" if step.host else "",
            state.redact_secrets(traceback.format_exc(), ctx.secrets),
        )
        # A portal error (a cluster's refusal) keeps its message id for the reader's language.
        text = exc.text if isinstance(exc, PortalError) else str(exc)
        message = stored_text.join(f"{type(exc).__name__}: ", _redacted(text, ctx))
        return _fail(ctx, step, message, ctx.exit_status, kind.failure_hint(step))
    done = StepStatus.SKIPPED if outcome == StepStatus.SKIPPED else StepStatus.SUCCEEDED
    state.step_set_status(step=step, status=done, exit_status=ctx.exit_status)
    return JobStatus.SUCCEEDED, ""


def _redacted(text, ctx: JobContext):
    return stored_text.redact(text, ctx.secrets, state.redact_secrets)


def _run_with_retries(kind, ctx: JobContext, step, spec):
    """The first attempt was counted when the step started."""
    while True:
        try:
            return kind.run_step(ctx, step)
        except StepTransientError as exc:
            if step.attempts > spec.retries:
                raise
            ctx.log(
                Message(
                    gettext_noop("%(error)s Trying again in %(delay)s s (attempt %(attempt)s of %(attempts)s)."),
                    error=_redacted(exc.text, ctx),
                    delay=f"{spec.retry_delay:g}",
                    attempt=step.attempts + 1,
                    attempts=spec.retries + 1,
                ),
                EventStream.SYSTEM,
            )
            _wait(ctx, spec.retry_delay)
            state.step_count_attempt(step=step)


def _wait(ctx: JobContext, seconds: float) -> None:
    """Sleep, but notice a cancel or the step's timeout."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ctx.check_canceled()
        time.sleep(min(left, 1.0))


def _fail(ctx: JobContext, step, message, exit_status: int | None, hint="") -> tuple[str, Message]:
    """The step failed: its message, then what to do next when the job's kind knows."""
    message = stored_text.join(message, "\n", hint) if hint else message
    ctx.flush_header()
    state.step_set_status(step=step, status=StepStatus.FAILED, message=message, exit_status=exit_status)
    ctx.log(message, EventStream.STDERR)
    return JobStatus.FAILED, _where(
        step,
        gettext_noop("Step %(position)s (%(title)s) failed on %(host)s: %(message)s"),
        gettext_noop("Step %(position)s (%(title)s) failed: %(message)s"),
        message=message,
    )
