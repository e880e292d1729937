"""Background work as explicit state machines with append-only output.

A Job has ordered JobSteps, each with its own status, and an append-only
JobEvent log numbered by `counter`, which the UI tails from the last counter
it saw. Status writes go through `jobs.state`, which re-reads the row
under a lock and saves named fields only.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jobs.choices import JOB_TERMINAL, JOB_TRANSITIONS, EventStream, JobStatus, StepStatus
from portal import stored_text
from portal.scoping import TeamScopedQuerySet


class StoredTextMixin:
    """`i18n` holds, per text field, what was stored as a message id with its
    parameters (portal/stored_text.py); the plain column keeps the English
    text for search, the admin and rows written before. `*_display` is what a
    reader sees, in the active language."""

    def stored(self, field: str):
        """The field's text as a Message (or parts) when stored so, else the plain text."""
        data = (self.i18n or {}).get(field)
        return stored_text.from_json(data) if data else getattr(self, field)

    def shown(self, field: str) -> str:
        return stored_text.shown((self.i18n or {}).get(field), getattr(self, field))

    @property
    def title_display(self) -> str:
        return self.shown("title")

    @property
    def message_display(self) -> str:
        return self.shown("message")


class JobQuerySet(TeamScopedQuerySet):
    """Admins see every job; team members see their teams' jobs."""

    def active(self):
        return self.filter(status__in=[JobStatus.PENDING, JobStatus.RUNNING])


class Job(StoredTextMixin, models.Model):
    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING, db_index=True
    )
    params = models.JSONField(default=dict, blank=True)
    team = models.ForeignKey("portal.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    cluster = models.ForeignKey(
        "clusters.Cluster", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    host = models.ForeignKey("hosts.Host", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resumed_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="resumes")
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    # Liveness: the worker that runs the job ("name:pid") and when it last said so.
    worker = models.CharField(max_length=255, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    message = models.TextField(_("message"), blank=True, help_text=_("Why the job failed or was canceled."))
    last_counter = models.PositiveIntegerField(default=0)
    # `title` and `message` as message ids and parameters, translated when shown.
    i18n = models.JSONField(default=dict, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created", "-id"]

    def __str__(self):
        return f"#{self.pk} {self.title}"

    @property
    def is_terminal(self) -> bool:
        return self.status in JOB_TERMINAL

    def can_transition(self, to: str) -> bool:
        return to in JOB_TRANSITIONS.get(self.status, frozenset())

    @property
    def can_cancel(self) -> bool:
        return not self.is_terminal

    @property
    def can_resume(self) -> bool:
        return self.status in (JobStatus.FAILED, JobStatus.CANCELED)

    def may_be_controlled_by(self, user) -> bool:
        """Cancel and resume: platform admins, whoever started the job, and
        the owners and maintainers of its team."""
        if user.is_staff or (self.created_by_id is not None and self.created_by_id == user.pk):
            return True
        return self.team is not None and self.team.is_managed_by(user)


class JobStep(StoredTextMixin, models.Model):
    """One stage of a job on one host: a stage runs the same step on each of
    its hosts (a row per host; `host` is blank for work that targets none).
    `position` orders the stages; the rows of one stage share it and `name`."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    # A name, not a foreign key: a registered host's (hosts.Host.name, which
    # hosts/jobwork.py looks up) or a Kubernetes node's (the drain job), and
    # the history must stay readable when a host is deleted.
    host = models.CharField(_("host"), max_length=255, blank=True, default="")
    status = models.CharField(max_length=16, choices=StepStatus.choices, default=StepStatus.PENDING)
    # What the step's command on the host exited with, when it ran one.
    exit_status = models.IntegerField(_("exit status"), null=True, blank=True)
    # Tries so far; more than one when transient failures were retried.
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)
    # `title` and `message` as message ids and parameters, translated when shown.
    i18n = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("job step")
        verbose_name_plural = _("job steps")
        ordering = ["job", "position", "host"]
        constraints = [
            models.UniqueConstraint(fields=["job", "position", "host"], name="jobstep_unique_position_host"),
            models.UniqueConstraint(fields=["job", "name", "host"], name="jobstep_unique_name_host"),
        ]

    def __str__(self):
        where = f"@{self.host}" if self.host else ""
        return f"{self.job_id}.{self.position} {self.name}{where} ({self.status})"

    @property
    def duration(self):
        if self.started and self.finished:
            return self.finished - self.started
        return None


class JobEvent(models.Model):
    """One chunk of job output. Append-only; purged after JOB_EVENT_RETENTION_DAYS."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="events")
    counter = models.PositiveIntegerField()
    step = models.ForeignKey(JobStep, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    # The host whose output this is (blank: the portal's own, or work on no host).
    host = models.CharField(max_length=255, blank=True, default="")
    stream = models.CharField(max_length=8, choices=EventStream.choices, default=EventStream.STDOUT)
    text = models.TextField()
    # The portal's own lines as message ids and parameters (blank: `text` is
    # shown as it is, as a host's output always is).
    text_i18n = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("job event")
        verbose_name_plural = _("job events")
        ordering = ["job", "counter"]
        constraints = [models.UniqueConstraint(fields=["job", "counter"], name="jobevent_unique_counter")]

    def __str__(self):
        return f"{self.job_id}#{self.counter}"

    @property
    def text_display(self) -> str:
        return stored_text.shown(self.text_i18n, self.text)
