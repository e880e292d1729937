"""Teams, their members, quota plans, team namespaces and API tokens."""

import hashlib
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.quantities import parse_quantity, quantity
from portal.scoping import TeamScopedQuerySet
from portal.teams import Team
from portal.validators import dns_label
from rbac.choices import GONE_PHASES, ApiTokenAccess, NamespacePhase
from rbac.validators import not_reserved


class QuotaPlanQuerySet(models.QuerySet):
    def for_user(self, user):
        # Every signed-in user reads the plans: they choose one when requesting a namespace.
        return self if user.is_authenticated else self.none()


def _quantity_field(label, help_text=""):
    return models.CharField(label, max_length=32, blank=True, validators=[quantity], help_text=help_text)


class QuotaPlan(models.Model):
    """Named ResourceQuota hard limits and LimitRange defaults. Blank means unlimited / unset."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=50, unique=True, validators=[dns_label])
    description = models.TextField(_("description"), blank=True)
    # ResourceQuota spec.hard
    requests_cpu = _quantity_field(_("CPU requests"), _("e.g. 4 or 500m"))
    limits_cpu = _quantity_field(_("CPU limits"))
    requests_memory = _quantity_field(_("memory requests"), _("e.g. 8Gi"))
    limits_memory = _quantity_field(_("memory limits"))
    requests_storage = _quantity_field(_("storage requests"), _("e.g. 100Gi"))
    pods = models.PositiveIntegerField(_("pods"), null=True, blank=True)
    services = models.PositiveIntegerField(_("services"), null=True, blank=True)
    persistentvolumeclaims = models.PositiveIntegerField(_("persistent volume claims"), null=True, blank=True)
    configmaps = models.PositiveIntegerField(_("config maps"), null=True, blank=True)
    secrets = models.PositiveIntegerField(_("secrets"), null=True, blank=True)
    # LimitRange for containers
    default_request_cpu = _quantity_field(_("default CPU request"))
    default_request_memory = _quantity_field(_("default memory request"))
    default_limit_cpu = _quantity_field(_("default CPU limit"))
    default_limit_memory = _quantity_field(_("default memory limit"))
    max_cpu = _quantity_field(_("maximum CPU per container"))
    max_memory = _quantity_field(_("maximum memory per container"))
    created = models.DateTimeField(auto_now_add=True)

    objects = QuotaPlanQuerySet.as_manager()

    QUOTA_FIELDS = {
        "requests.cpu": "requests_cpu",
        "limits.cpu": "limits_cpu",
        "requests.memory": "requests_memory",
        "limits.memory": "limits_memory",
        "requests.storage": "requests_storage",
        "pods": "pods",
        "services": "services",
        "persistentvolumeclaims": "persistentvolumeclaims",
        "configmaps": "configmaps",
        "secrets": "secrets",
    }

    # The LimitRange part of a plan (container defaults and maxima).
    LIMIT_FIELDS = (
        "default_request_cpu",
        "default_request_memory",
        "default_limit_cpu",
        "default_limit_memory",
        "max_cpu",
        "max_memory",
    )

    class Meta:
        verbose_name = _("quota plan")
        verbose_name_plural = _("quota plans")
        ordering = ["name"]

    def __str__(self):
        return self.name

    # The order the API server requires of a LimitRange's container values
    # (k8s.io/kubernetes pkg/apis/core/validation ValidateLimitRange):
    # defaultRequest <= default <= max, and defaultRequest <= max.
    LIMIT_ORDER = (
        ("default_request_cpu", "default_limit_cpu"),
        ("default_request_cpu", "max_cpu"),
        ("default_limit_cpu", "max_cpu"),
        ("default_request_memory", "default_limit_memory"),
        ("default_request_memory", "max_memory"),
        ("default_limit_memory", "max_memory"),
    )

    def clean(self):
        """Refuse, before saving, a plan whose LimitRange the API server would
        refuse: namespaces on it would be half provisioned."""
        errors = {}
        for lower, upper in self.LIMIT_ORDER:
            low, high = getattr(self, lower), getattr(self, upper)
            try:
                too_high = bool(low and high) and parse_quantity(low) > parse_quantity(high)
            except ValueError:
                continue  # the field's own validator reports a malformed quantity
            if too_high:
                errors.setdefault(lower, []).append(
                    _("%(low)s must not be above %(high)s (%(value)s).")
                    % {
                        "low": self._meta.get_field(lower).verbose_name,
                        "high": self._meta.get_field(upper).verbose_name,
                        "value": high,
                    }
                )
        if errors:
            raise ValidationError(errors)

    def resource_quota_hard(self) -> dict[str, str]:
        """spec.hard of the ResourceQuota this plan stands for."""
        hard = {}
        for resource, field in self.QUOTA_FIELDS.items():
            value = getattr(self, field)
            if value not in (None, ""):
                hard[resource] = str(value)
        return hard

    def limit_range_container(self) -> dict:
        """The Container item of the LimitRange this plan stands for."""
        item = {"type": "Container"}
        for key, cpu, memory in (
            ("defaultRequest", self.default_request_cpu, self.default_request_memory),
            ("default", self.default_limit_cpu, self.default_limit_memory),
            ("max", self.max_cpu, self.max_memory),
        ):
            values = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
            if values:
                item[key] = values
        return item


class TeamNamespaceQuerySet(TeamScopedQuerySet):
    team_path = "team"

    def gone(self):
        """Records of namespaces no cluster holds: deleted, or rejected before they existed."""
        return self.filter(phase__in=GONE_PHASES)


class TeamNamespace(models.Model):
    """A namespace owned by a team: the desired spec, and what the cluster has."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="namespaces", verbose_name=_("team"))
    cluster = models.ForeignKey(
        "clusters.Cluster", on_delete=models.PROTECT, related_name="team_namespaces", verbose_name=_("cluster")
    )
    name = models.CharField(_("name"), max_length=63, validators=[dns_label, not_reserved])
    # Written on the namespace the portal creates (rbac.namespace_names.OWNER_ANNOTATION):
    # the portal touches only a namespace that carries its record's uid.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(
        QuotaPlan, on_delete=models.PROTECT, related_name="namespaces", verbose_name=_("quota plan")
    )
    # Spec: extra labels and whether the default NetworkPolicy isolates the namespace.
    labels = models.JSONField(_("labels"), default=dict, blank=True)
    network_isolated = models.BooleanField(_("isolate from other teams"), default=True)
    ingress_from_namespaces = models.JSONField(
        _("also allow traffic from namespaces"),
        default=list,
        blank=True,
        help_text=_("Names of other namespaces whose pods may reach this one when it is isolated."),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Status, written by the reconciler only.
    phase = models.CharField(max_length=20, choices=NamespacePhase.choices, default=NamespacePhase.PENDING_APPROVAL)
    conditions = models.JSONField(default=list, blank=True)
    observed = models.JSONField(default=dict, blank=True)
    last_reconciled = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = TeamNamespaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("team namespace")
        verbose_name_plural = _("team namespaces")
        ordering = ["cluster__name", "name"]
        constraints = [models.UniqueConstraint(fields=["cluster", "name"], name="teamnamespace_unique_per_cluster")]

    def __str__(self):
        return f"{self.cluster}/{self.name}"

    @property
    def is_gone(self) -> bool:
        """Deleted, or rejected before it existed: listed for the record, not opened."""
        return self.phase in GONE_PHASES


class QuotaChangeQuerySet(TeamScopedQuerySet):
    team_path = "namespace__team"


class QuotaChangeRequest(models.Model):
    """A maintainer asks for another quota plan; a platform admin decides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    namespace = models.ForeignKey(TeamNamespace, on_delete=models.CASCADE, related_name="quota_changes")
    plan = models.ForeignKey(QuotaPlan, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested plan"))
    previous_plan = models.ForeignKey(QuotaPlan, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"), blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = QuotaChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("quota change request")
        verbose_name_plural = _("quota change requests")
        ordering = ["-created"]

    def __str__(self):
        return f"{self.namespace}: {self.previous_plan} -> {self.plan} ({self.status})"


class ApiTokenQuerySet(models.QuerySet):
    def for_user(self, user):
        # Tokens are personal: even platform admins see only their own.
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def usable(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


def token_teams_choosable(user):
    """The teams a token of `user` may be limited to: those they are a member
    of (a platform admin too: a limited token acts as a member only)."""
    return Team.objects.filter(memberships__user=user).order_by("name")


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the value is shown once."""

    PREFIX = "kpt_"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_prefix = models.CharField(max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Scope: what the token may reach of its owner's rights (never more).
    access = models.CharField(_("access"), max_length=8, choices=ApiTokenAccess.choices, default=ApiTokenAccess.WRITE)
    teams = models.ManyToManyField(
        Team,
        blank=True,
        related_name="+",
        verbose_name=_("teams"),
        help_text=_("Teams the token is limited to; none: every team of its owner."),
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="apitoken_unique_name")]

    def __str__(self):
        return f"{self.name} ({self.key_prefix}…)"

    @classmethod
    def hash_key(cls, key: str) -> str:
        # Tokens carry 256 bits of randomness, so a fast hash is enough.
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def generate_key(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @property
    def read_only(self) -> bool:
        return self.access == ApiTokenAccess.READ

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())


@receiver(pre_delete, sender=Team)
def _revoke_tokens_left_without_teams(sender, instance, **kwargs):
    """A token limited to teams that are all deleted would read as limited to
    none, that is to every team of its owner: it is revoked, never widened."""
    now = timezone.now()
    for token in ApiToken.objects.filter(teams=instance, revoked_at__isnull=True).prefetch_related("teams"):
        if {team.pk for team in token.teams.all()} == {instance.pk}:
            ApiToken.objects.filter(pk=token.pk).update(revoked_at=now)


# Declared in its own module (one job per module); imported here so Django registers it.
from rbac.grants import ClusterGrant  # noqa: E402, F401
