"""Job output is kept for JOB_EVENT_RETENTION_DAYS, then purged."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from jobs.choices import JobStatus
from jobs.models import JobEvent


def job_events_purge(*, older_than_days: int | None = None) -> int:
    """Delete job output older than the retention period (finished jobs only)."""
    days = settings.JOB_EVENT_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = JobEvent.objects.filter(
        created__lt=cutoff, job__status__in=[JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED]
    ).delete()
    return deleted
