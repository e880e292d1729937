"""The audit trail: one row for every mutation, whoever made it and however."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.scoping import team_limit
from portal.teams import Membership, Team, TeamRole  # noqa: F401  (Team: registered with the portal app)


class AuditChannel(models.TextChoices):
    UI = "ui", _("Web UI")
    API = "api", _("API (session)")
    TOKEN = "token", _("API token")
    JOB = "job", _("Background job")
    SYSTEM = "system", _("System")


class AuditResult(models.TextChoices):
    SUCCESS = "success", _("Success")
    DENIED = "denied", _("Denied")
    INVALID = "invalid", _("Invalid")
    FAILED = "failed", _("Failed")
    # A write to something the user may not see (another team's object, or
    # none at all), answered 404 so as not to tell which: probing shows here.
    REFUSED = "refused", _("Refused")


class AuditEventQuerySet(models.QuerySet):
    def for_user(self, user):
        """Platform admins read everything; team owners and maintainers read
        what happened to their teams; others read nothing."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        teams = Membership.objects.filter(user=user, role__in=[TeamRole.OWNER, TeamRole.MAINTAINER])
        limit = team_limit(user)  # a team-limited API token reads its teams' events only
        if limit is not None:
            teams = teams.filter(team__in=limit)
        # The team ids themselves, not a join (DISTINCT) nor a subquery: PostgreSQL
        # then walks a filter's (…, created, id) index for the first page, where it
        # misjudged the subquery's size and sorted every matching row (135 ms vs
        # 6.5 ms at a million events, docs/benchmarks.md).
        return self.filter(team_id__in=list(teams.values_list("team_id", flat=True)))


class AuditEvent(models.Model):
    """Append-only: rows are written by `portal.audit` and never edited."""

    created = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True, help_text=_("Kept when the user is deleted."))
    channel = models.CharField(max_length=16, choices=AuditChannel.choices)
    action = models.CharField(max_length=100)
    team = models.ForeignKey("portal.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    target_cluster = models.CharField(max_length=100, blank=True)
    target_namespace = models.CharField(max_length=253, blank=True)
    target_kind = models.CharField(max_length=100, blank=True)
    target_name = models.CharField(max_length=253, blank=True)
    request_summary = models.JSONField(default=dict, blank=True)
    result = models.CharField(max_length=16, choices=AuditResult.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created", "-id"]
        # Pages are read newest first by (created, id) (portal/keyset.py); each
        # equality filter has an index that ends in that order, so a filtered
        # first page reads ~50 index entries, however many events there are.
        indexes = [
            models.Index(fields=["target_kind", "target_name"]),
            models.Index(fields=["created", "id"], name="audit_created_id"),
            models.Index(fields=["actor_name", "created", "id"], name="audit_actor_created"),
            models.Index(fields=["team", "created", "id"], name="audit_team_created"),
            models.Index(fields=["target_cluster", "created", "id"], name="audit_cluster_created"),
            models.Index(fields=["target_namespace", "created", "id"], name="audit_namespace_created"),
            models.Index(fields=["target_kind", "created", "id"], name="audit_kind_created"),
            models.Index(fields=["result", "created", "id"], name="audit_result_created"),
            models.Index(fields=["channel", "created", "id"], name="audit_channel_created"),
            # `action` filters by prefix (LIKE 'x%'), which needs the pattern operator class.
            models.Index(fields=["action"], opclasses=["varchar_pattern_ops"], name="audit_action_prefix"),
        ]

    def __str__(self):
        when = f"{self.created:%Y-%m-%d %H:%M:%S}" if self.created else "-"
        return f"{when} {self.actor_name or '-'} {self.action} {self.result}"
