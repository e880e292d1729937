"""Audit events made for the audit trail's tests: a spread over actors, teams,
targets, results, channels and time, with ties on the creation time."""

from datetime import timedelta

from django.utils import timezone

from portal.audit import audit_record
from portal.models import AuditEvent

ACTORS = ("alice", "bob", "carol")
KINDS = ("Deployment", "ConfigMap", "Team")
RESULTS = ("success", "denied", "invalid", "failed", "refused")
CHANNELS = ("ui", "api", "token", "job")


def spread(world, count: int = 90) -> list[AuditEvent]:
    """`count` events; every third pair shares its creation time to the
    microsecond, so pages must order ties by id."""
    now = timezone.now()
    events = []
    for i in range(count):
        kind = KINDS[i % 3]
        event = audit_record(
            channel=CHANNELS[i % 4],
            action=f"{kind.lower()}.{('create', 'update', 'destroy')[i % 3 if i % 2 else 1]}",
            result=RESULTS[i % 5],
            team=(world.team_a, world.team_b, None)[i % 3 if i % 5 else 2],
            cluster=("prod", "edge")[i % 2],
            namespace=("team-a-dev", "team-b-dev", "")[i % 3],
            kind=kind,
            name=f"web-{i}" if i % 4 else f"db-{i}",
        )
        event.actor_name = ACTORS[i % 3]
        event.created = now - timedelta(hours=i // 2 * 5)
        events.append(event)
    AuditEvent.objects.bulk_update(events, ["actor_name", "created"])
    return events


def newest_first(events) -> list[int]:
    return [e.pk for e in sorted(events, key=lambda e: (e.created, e.pk), reverse=True)]
