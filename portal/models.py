"""The audit trail: one row for every mutation, whoever made it and however."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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


class AuditEventQuerySet(models.QuerySet):
    def for_user(self, user):
        """Platform admins read everything; team owners and maintainers read
        what happened to their teams; others read nothing."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        from rbac.choices import TeamRole

        return self.filter(
            team__memberships__user=user,
            team__memberships__role__in=[TeamRole.OWNER, TeamRole.MAINTAINER],
        ).distinct()


class AuditEvent(models.Model):
    """Append-only: rows are written by `portal.audit` and never edited."""

    created = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True, help_text=_("Kept when the user is deleted."))
    channel = models.CharField(max_length=16, choices=AuditChannel.choices)
    action = models.CharField(max_length=100, db_index=True)
    team = models.ForeignKey("rbac.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
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
        indexes = [models.Index(fields=["target_kind", "target_name"])]

    def __str__(self):
        when = f"{self.created:%Y-%m-%d %H:%M:%S}" if self.created else "-"
        return f"{when} {self.actor_name or '-'} {self.action} {self.result}"
