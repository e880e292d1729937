"""Creating, canceling and resuming jobs.

Services enqueue tasks; tasks call the runner, recovery and retention, never
these services, so the import runs one way.
"""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jobs import state
from jobs.choices import JobStatus, StepStatus
from jobs.models import Job, JobStep
from jobs.registry import UnknownJobKind, get_kind
from jobs.tasks import job_run
from portal import stored_text
from portal.errors import ConflictError
from portal.stored_text import Message

# The hard limit leaves the soft one's exception time to record the failure.
HARD_LIMIT_GRACE_SECONDS = 60


def texts(**fields) -> dict:
    """The `i18n` of a row for its text `fields` that are messages (a
    plain string stays only in its column)."""
    return {name: stored_text.to_json(value) for name, value in fields.items() if not isinstance(value, str)}


def _enqueue(job: Job) -> None:
    try:
        limit = get_kind(job.kind).time_limit
    except UnknownJobKind:
        limit = None  # the worker fails the job with the reason
    options = {"soft_time_limit": limit, "time_limit": limit + HARD_LIMIT_GRACE_SECONDS} if limit else {}
    # Only once the row is committed can a worker see it.
    transaction.on_commit(lambda: job_run.apply_async((job.pk,), **options))


@transaction.atomic
def job_create(
    *,
    kind: str,
    title: str | Message,
    params: dict | None = None,
    team=None,
    cluster=None,
    host=None,
    created_by=None,
) -> Job:
    """Record a job with its planned steps and enqueue it after commit.

    `title` and the steps' titles may be Messages: stored with their id and
    parameters, they are shown in the reader's language."""
    job_kind = get_kind(kind)
    job = Job.objects.create(
        kind=kind,
        title=stored_text.english(title)[:200],
        i18n=texts(title=title),
        params=params or {},
        team=team,
        cluster=cluster,
        host=host,
        created_by=created_by if created_by is not None and created_by.is_authenticated else None,
    )
    JobStep.objects.bulk_create(
        JobStep(
            job=job,
            position=i,
            name=spec.name,
            title=stored_text.english(spec.title)[:200],
            i18n=texts(title=spec.title),
            host=step_host,
        )
        for i, spec in enumerate(job_kind.steps(job), start=1)
        for step_host in spec.hosts or ("",)
    )
    _enqueue(job)
    return job


def job_cancel(*, job: Job, user) -> Job:
    """Cancel a pending job at once; ask a running one to stop between steps."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.is_terminal:
            raise ConflictError(_("This job has already finished (%(status)s).") % {"status": job.get_status_display()})
        job.cancel_requested = True
        job.save(update_fields=["cancel_requested"])
        if job.status == JobStatus.PENDING:
            job = state.job_transition(
                job_id=job.pk,
                to=JobStatus.CANCELED,
                message=Message(gettext_noop("Canceled by %(user)s before it started."), user=user.get_username()),
            )
            job.steps.filter(status=StepStatus.PENDING).update(status=StepStatus.CANCELED)
    return job


@transaction.atomic
def job_resume(*, job: Job, user) -> Job:
    """Start a new job of the same kind that skips the (step, host) pairs
    already done and runs the others, from the one that failed."""
    if not job.can_resume:
        raise ConflictError(_("Only failed or canceled jobs can be resumed."))
    new = Job.objects.create(
        kind=job.kind,
        title=job.title,
        i18n={"title": job.i18n["title"]} if "title" in (job.i18n or {}) else {},
        params=job.params,
        team=job.team,
        cluster=job.cluster,
        host=job.host,
        created_by=user if user.is_authenticated else None,
        resumed_from=job,
    )
    JobStep.objects.bulk_create(
        JobStep(
            job=new,
            position=step.position,
            name=step.name,
            title=step.title,
            i18n={"title": step.i18n["title"]} if "title" in (step.i18n or {}) else {},
            host=step.host,
            status=step.status if step.status in (StepStatus.SUCCEEDED, StepStatus.SKIPPED) else StepStatus.PENDING,
        )
        for step in job.steps.all()
    )
    _enqueue(new)
    return new
