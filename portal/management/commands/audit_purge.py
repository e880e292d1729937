"""Delete audit events older than the retention period (AUDIT_RETENTION_DAYS),
now; Celery beat does the same daily."""

from django.core.management.base import BaseCommand

from portal.audit_retention import audit_events_purge


class Command(BaseCommand):
    help = "Delete audit events older than AUDIT_RETENTION_DAYS (or --days), in batches."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="Keep this many days instead (0 keeps all).")

    def handle(self, *args, days=None, **options):
        deleted = audit_events_purge(older_than_days=days)
        self.stdout.write(f"Deleted {deleted} audit events.")
