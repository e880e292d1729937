"""Retention: events older than AUDIT_RETENTION_DAYS are purged in batches,
younger ones stay, and the purge is itself in the trail."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from portal.audit import audit_record
from portal.audit_retention import audit_events_purge
from portal.models import AuditEvent
from portal.tasks import audit_events_purge as purge_task

pytestmark = pytest.mark.django_db


def aged(**days_by_name):
    now = timezone.now()
    for name, days in days_by_name.items():
        event = audit_record(channel="api", action="team.update", name=name)
        AuditEvent.objects.filter(pk=event.pk).update(created=now - timedelta(days=days))


def names():
    return sorted(AuditEvent.objects.exclude(action="audit.purge").values_list("target_name", flat=True))


def test_only_events_older_than_the_retention_are_deleted(settings):
    settings.AUDIT_RETENTION_DAYS = 365
    aged(ancient=900, old=400, just_over=366, just_under=364, recent=1)
    aged(**{f"bulk-{i}": 500 for i in range(7)})
    assert audit_events_purge(batch_size=3) == 10  # in four batches of at most 3
    assert names() == ["just_under", "recent"]
    purge = AuditEvent.objects.get(action="audit.purge")
    assert purge.channel == "system" and purge.request_summary["deleted"] == 10


def test_nothing_to_purge_leaves_no_trace(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    aged(recent=2)
    assert purge_task() == 0
    assert names() == ["recent"] and not AuditEvent.objects.filter(action="audit.purge").exists()


def test_zero_days_keeps_everything(settings):
    settings.AUDIT_RETENTION_DAYS = 0
    aged(ancient=5000)
    assert audit_events_purge() == 0 and names() == ["ancient"]


def test_the_command_takes_the_setting_or_a_number_of_days(settings, capsys):
    settings.AUDIT_RETENTION_DAYS = 365
    aged(month=31, week=7, year=400)
    call_command("audit_purge")
    assert names() == ["month", "week"]
    call_command("audit_purge", "--days", "10")
    assert names() == ["week"]
    assert "Deleted 1 audit events." in capsys.readouterr().out


def test_the_purge_runs_daily_and_the_setting_reads_the_environment(settings):
    import os
    import subprocess
    import sys

    assert settings.CELERY_BEAT_SCHEDULE["audit-events-purge"]["task"] == "portal.tasks.audit_events_purge"
    code = "import django; django.setup(); from django.conf import settings; print(settings.AUDIT_RETENTION_DAYS)"
    env = {**os.environ, "AUDIT_RETENTION_DAYS": "42", "DJANGO_SETTINGS_MODULE": "config.settings"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "42"
