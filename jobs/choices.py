"""Choices of the job engine: the job state machine, step states, output streams."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    # Created and enqueued, no worker has taken it.
    PENDING = "pending", _("Pending")
    # A worker is executing its steps.
    RUNNING = "running", _("Running")
    # Every step finished. Final.
    SUCCEEDED = "succeeded", _("Succeeded")
    # A step failed or the worker died; can be resumed as a new run. Final.
    FAILED = "failed", _("Failed")
    # Canceled by a user before it finished. Final.
    CANCELED = "canceled", _("Canceled")


JOB_TERMINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED})
JOB_TRANSITIONS = {
    JobStatus.PENDING: frozenset({JobStatus.RUNNING, JobStatus.FAILED, JobStatus.CANCELED}),
    JobStatus.RUNNING: frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED}),
}


class StepStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    # Its check found nothing to do.
    SKIPPED = "skipped", _("Skipped")
    CANCELED = "canceled", _("Canceled")


class EventStream(models.TextChoices):
    STDOUT = "stdout", _("Output")
    STDERR = "stderr", _("Errors")
    SYSTEM = "system", _("Portal")
