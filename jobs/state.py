"""Guarded status writes and the append-only event log.

Every write re-reads the row under a lock and saves named fields only, so a
cancel from the UI and a worker finishing a step never overwrite each other.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jobs.choices import EventStream, JobStatus, StepStatus
from jobs.models import Job, JobEvent, JobStep
from portal import stored_text

REDACTED = "[redacted]"


class IllegalTransition(Exception):
    pass


def _set_text(row, field: str, value, limit: int | None = None) -> list[str]:
    """Store `value` (a string, a Message or parts) in `row.field` as English
    and, when it is a message, its id and parameters in `row.i18n`; the
    fields to save."""
    text = stored_text.english(value)
    setattr(row, field, text[:limit] if limit else text)
    i18n = dict(row.i18n or {})
    if isinstance(value, str):
        i18n.pop(field, None)
    else:
        i18n[field] = stored_text.to_json(value)
    row.i18n = i18n
    return [field, "i18n"]


def job_transition(*, job_id: int, to: str, message="", worker: str | None = None) -> Job:
    """Move a job to a new status if the state machine allows it. `message`
    may be a Message (portal/stored_text.py), translated when shown."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if not job.can_transition(to):
            raise IllegalTransition(f"Job {job_id} cannot go from {job.status} to {to}.")
        now = timezone.now()
        job.status = to
        fields = ["status"]
        if to == JobStatus.RUNNING:
            job.started, job.heartbeat = now, now
            job.worker = worker or ""
            fields += ["started", "heartbeat", "worker"]
        if job.is_terminal:
            job.finished = now
            fields.append("finished")
        if message:
            fields += _set_text(job, "message", message)
        job.save(update_fields=fields)
    return job


def job_heartbeat(*, job_id: int) -> None:
    Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(heartbeat=timezone.now())


def step_set_status(
    *, step: JobStep, status: str, message="", exit_status: int | None = None, count_attempt: bool = False
) -> JobStep:
    now = timezone.now()
    step.status = status
    fields = ["status"]
    if count_attempt:  # starting: the first attempt, in the same write
        step.attempts += 1
        fields.append("attempts")
    if exit_status is not None:
        step.exit_status = exit_status
        fields.append("exit_status")
    if status == StepStatus.RUNNING:
        step.started = now
        fields.append("started")
    elif status != StepStatus.PENDING:
        step.finished = now
        fields.append("finished")
    if message:
        fields += _set_text(step, "message", message, limit=10000)
    step.save(update_fields=fields)
    return step


def step_count_attempt(*, step: JobStep) -> JobStep:
    step.attempts += 1
    step.save(update_fields=["attempts"])
    return step


def redact_secrets(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def job_event_append(
    *,
    job_id: int,
    text,
    stream: str = EventStream.STDOUT,
    step: JobStep | None = None,
    secrets: list[str] | None = None,
) -> JobEvent:
    """Append output to a job's log; secrets are replaced before anything is
    stored. The event carries its step's host. `text` is a string (a host's
    output, shown as it is) or the portal's own line as a Message or parts,
    stored with its id and parameters and translated when shown."""
    text = stored_text.redact(text, secrets or [], redact_secrets)
    i18n = None if isinstance(text, str) else stored_text.to_json(text)
    with transaction.atomic():
        Job.objects.filter(pk=job_id).update(last_counter=F("last_counter") + 1, heartbeat=timezone.now())
        counter = Job.objects.filter(pk=job_id).values_list("last_counter", flat=True).get()
        return JobEvent.objects.create(
            job_id=job_id,
            counter=counter,
            step=step,
            host=step.host if step else "",
            stream=stream,
            text=stored_text.english(text),
            text_i18n=i18n,
        )
