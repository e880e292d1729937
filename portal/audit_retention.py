"""Audit events are kept for AUDIT_RETENTION_DAYS, then purged in batches.

Batches keep each DELETE short: a purge of a year's worth of rows neither
holds one long lock on the table nor one transaction's worth of WAL.
The purge itself is an audit event (when it deleted something), so a gap in
the trail is explained by the trail.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from portal.audit import audit_record
from portal.models import AuditChannel, AuditEvent

BATCH_SIZE = 5000


def audit_events_purge(*, older_than_days: int | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Delete audit events older than the retention period (0 keeps them all);
    returns how many were deleted."""
    days = settings.AUDIT_RETENTION_DAYS if older_than_days is None else older_than_days
    if days <= 0:
        return 0
    cutoff = timezone.now() - timedelta(days=days)
    old = AuditEvent.objects.filter(created__lt=cutoff)
    deleted = 0
    while ids := list(old.order_by("created", "id").values_list("pk", flat=True)[:batch_size]):
        count, _ = AuditEvent.objects.filter(pk__in=ids).delete()
        deleted += count
    if deleted:
        audit_record(
            channel=AuditChannel.SYSTEM,
            action="audit.purge",
            kind="AuditEvent",
            summary={"deleted": deleted, "older_than_days": days, "before": cutoff.isoformat()},
        )
    return deleted
