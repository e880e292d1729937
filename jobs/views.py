"""HTML pages for background jobs: list, detail with a live log, cancel, resume."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jobs import selectors
from jobs import services as services
from jobs.choices import JobStatus
from jobs.models import Job
from jobs.registry import UnknownJobKind, get_kind
from jobs.templatetags.durations import duration
from portal.audit import audit_describe
from portal.errors import PortalError
from portal.generic import ObjectListView
from portal.templatetags.status import state_column


def job_duration(job: Job) -> str:
    """How long it took, or "running for ..." while it runs; nothing before it starts."""
    if job.started is None:
        return ""
    elapsed = duration((job.finished or timezone.now()) - job.started)
    if job.finished:
        return elapsed
    return _("running for %(elapsed)s") % {"elapsed": elapsed}


class JobListView(ObjectListView):
    model = Job
    title = gettext_lazy("Jobs")
    empty_message = gettext_lazy(
        "No jobs yet. Jobs appear when a cluster is brought up, a node drained or hosts checked."
    )
    select_related = ("team", "cluster", "created_by")
    columns = [
        ("pk", "#"),
        ("title_display", gettext_lazy("Title")),
        (state_column("status"), gettext_lazy("Status")),
        (job_duration, gettext_lazy("Duration")),
        ("cluster.name", gettext_lazy("Cluster")),
        ("team.name", gettext_lazy("Team")),
        ("created_by.username", gettext_lazy("Started by")),
        ("created", gettext_lazy("Created")),
    ]
    search_fields = ("title", "kind")
    filters = [("status", gettext_lazy("Status"), JobStatus.choices)]
    changing = ("status", (JobStatus.PENDING, JobStatus.RUNNING))
    list_url_name = "jobs:job-list"
    detail_url_name = "jobs:job-detail"


def _job_for(request, pk) -> Job:
    return get_object_or_404(Job.objects.for_user(request.user).select_related("team", "cluster", "host"), pk=pk)


# The page shows the tail of a long log; the rest stays in the database.
DETAIL_EVENTS = 2000
POLL_EVENTS = 500


def _log_host(request) -> str | None:
    """Whose output the log shows: None for everyone's, "" for the portal's
    own, else one host's (the same `host` parameter as the API's)."""
    return request.GET.get("host")


def _state_context(request, job) -> dict:
    """What the state part of the page (progress, hosts, steps) needs; the
    page and every poll render it."""
    return {
        "job": job,
        "progress": selectors.job_progress(job),
        "may_control": job.may_be_controlled_by(request.user),
    }


@login_required
def job_detail(request, pk):
    job = _job_for(request, pk)
    log_host = _log_host(request)
    events, truncated = selectors.job_events_tail(job, limit=DETAIL_EVENTS, host=log_host)
    return render(
        request,
        "jobs/job_detail.html",
        {
            **_state_context(request, job),
            "events": events,
            "truncated": truncated,
            "last_counter": events[-1].counter if events else 0,
            "log_host": log_host,
            "result_url": _result_url(job),
        },
    )


def _result_url(job) -> str | None:
    try:
        return get_kind(job.kind).result_url(job)
    except UnknownJobKind:  # a kind this process does not know: no link
        return None


@login_required
def job_events(request, pk):
    """htmx partial: output after the counter the page has (of the host the
    log is filtered to), and the job's state."""
    job = _job_for(request, pk)
    try:
        after = max(0, int(request.GET.get("after", 0)))
    except ValueError:
        after = 0
    log_host = _log_host(request)
    events = list(selectors.job_events(job, after=after, host=log_host)[:POLL_EVENTS])
    return render(
        request,
        "jobs/_job_events.html",
        {
            **_state_context(request, job),
            "events": events,
            "last_counter": events[-1].counter if events else after,
            "log_host": log_host,
            # More output waits: keep polling even if the job has finished meanwhile.
            "more": len(events) == POLL_EVENTS,
        },
    )


def _control(request, pk, action):
    job = _job_for(request, pk)
    if not job.may_be_controlled_by(request.user):
        raise PermissionDenied
    audit_describe(request, action=f"job.{action}", kind="Job", name=str(job.pk), team=job.team)
    try:
        if action == "cancel":
            job = services.job_cancel(job=job, user=request.user)
            messages.success(request, _("Cancellation requested."))
        else:
            job = services.job_resume(job=job, user=request.user)
            messages.success(request, _("Resumed as job #%(id)s.") % {"id": job.pk})
    except PortalError as exc:
        messages.error(request, exc.message)
    return redirect("jobs:job-detail", pk=job.pk)


@login_required
@require_POST
def job_cancel(request, pk):
    return _control(request, pk, "cancel")


@login_required
@require_POST
def job_resume(request, pk):
    return _control(request, pk, "resume")
