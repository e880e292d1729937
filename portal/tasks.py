"""The portal kernel's periodic tasks (thin: they call a service)."""

from celery import shared_task

from portal import audit_retention


@shared_task(name="portal.tasks.audit_events_purge")
def audit_events_purge() -> int:
    return audit_retention.audit_events_purge()
