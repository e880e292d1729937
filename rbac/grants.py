"""Cluster-wide access the portal declares and keeps: a ClusterRole bound to
portal teams (their role groups) and to users, groups and ServiceAccounts,
as one ClusterRoleBinding per grant. Like a team namespace, a grant is a spec
in the database; the reconciler (rbac/reconcile.py) makes the cluster match,
repairs a binding changed by hand, deletes the bindings of grants that are
gone, and records what it found on the grant.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.roles import TeamRole
from rbac.conditions import grant_message

SUBJECT_KINDS = ("User", "Group", "ServiceAccount")
BINDING_PREFIX = "kube-portal:grant:"


class GrantPhase(models.TextChoices):
    PENDING = "pending", _("Pending")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class ClusterGrantQuerySet(models.QuerySet):
    def for_user(self, user):
        # Cluster-wide access is platform work: only platform admins see grants.
        if not user.is_authenticated or not user.is_staff:
            return self.none()
        return self


def validate_subjects(value):
    """[{"kind": "User"|"Group"|"ServiceAccount", "name": ..., "namespace": (ServiceAccounts)}]"""
    if not isinstance(value, list):
        raise ValidationError(_("A list of subjects."))
    for index, subject in enumerate(value):
        if not isinstance(subject, dict) or subject.get("kind") not in SUBJECT_KINDS:
            raise ValidationError(
                _("Subject %(index)s: kind is one of %(kinds)s.") % {"index": index, "kinds": ", ".join(SUBJECT_KINDS)}
            )
        if not isinstance(subject.get("name"), str) or not subject["name"].strip():
            raise ValidationError(_("Subject %(index)s: name it.") % {"index": index})
        if subject["kind"] == "ServiceAccount" and not subject.get("namespace"):
            raise ValidationError(
                _("Subject %(index)s: a ServiceAccount is named with its namespace.") % {"index": index}
            )


class ClusterGrant(models.Model):
    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.CASCADE, related_name="grants")
    name = models.SlugField(_("name"), max_length=63, help_text=_("The binding is called kube-portal:grant:<name>."))
    role = models.CharField(_("ClusterRole"), max_length=253, help_text=_("The ClusterRole to bind, e.g. view."))
    teams = models.ManyToManyField("portal.Team", blank=True, related_name="grants", verbose_name=_("teams"))
    team_role = models.CharField(
        _("team role"),
        max_length=16,
        choices=TeamRole.choices,
        blank=True,
        help_text=_("Bind only this role's group of each team; empty binds all four."),
    )
    subjects = models.JSONField(_("other subjects"), default=list, blank=True, validators=[validate_subjects])
    phase = models.CharField(max_length=16, choices=GrantPhase.choices, default=GrantPhase.PENDING)
    message = models.TextField(blank=True)
    observed = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = ClusterGrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("cluster grant")
        verbose_name_plural = _("cluster grants")
        ordering = ["cluster__name", "name"]
        constraints = [models.UniqueConstraint(fields=["cluster", "name"], name="clustergrant_unique_name")]

    def __str__(self):
        return f"{self.cluster}: {self.role} ({self.name})"

    @property
    def binding_name(self) -> str:
        return BINDING_PREFIX + self.name

    @property
    def message_display(self) -> str:
        """The message in the reader's language (stored as an English msgid or the API's words)."""
        return grant_message(self.message)
