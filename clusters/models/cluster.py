"""Clusters the portal manages, and their nodes as last observed."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from clusters.choices import ClusterPhase, ClusterProvider
from portal import stored_text
from portal.fields import EncryptedTextField
from portal.teams import Team
from portal.validators import dns_label


class ClusterQuerySet(models.QuerySet):
    def for_user(self, user):
        """Admins see every cluster; team members see the clusters their teams
        have namespaces on or may request namespaces on."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self

        teams = Team.objects.for_user(user)
        return self.filter(
            models.Q(team_namespaces__team__in=teams)
            | models.Q(pk__in=Team.allowed_clusters.through.objects.filter(team__in=teams).values("cluster_id"))
        ).distinct()

    def usable_by(self, user, teams=None):
        """Clusters `user` may request namespaces on, for one of their teams
        (or the given `teams`); platform admins may use every cluster."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self

        return self.usable_by_teams(teams if teams is not None else Team.objects.for_user(user))

    def usable_by_teams(self, teams):
        """The one rule for where teams may request namespaces: the clusters
        on a team's allowed list; a team with no list, only the clusters where
        it already has namespaces. Never a cluster the team cannot see."""

        listed = Team.allowed_clusters.through.objects.filter(team__in=teams).values("cluster_id")
        unlisted = teams.filter(allowed_clusters__isnull=True)
        return self.filter(models.Q(pk__in=listed) | models.Q(team_namespaces__team__in=unlisted)).distinct()


# Slugs that are pages of their own under /clusters/ (clusters/urls.py).
RESERVED_SLUGS = ("new", "nodes", "bootstrap")


class Cluster(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=50, unique=True, validators=[dns_label])
    description = models.TextField(_("description"), blank=True)
    provider = models.CharField(
        _("provider"), max_length=16, choices=ClusterProvider.choices, default=ClusterProvider.IMPORTED
    )
    api_server_url = models.URLField(_("API server URL"), max_length=255, blank=True)
    # Credentials: a kubeconfig reduced to one context, encrypted; never shown back.
    kubeconfig = EncryptedTextField(_("kubeconfig"), blank=True)
    kubeconfig_context = models.CharField(_("context"), max_length=253, blank=True)
    credential_kind = models.CharField(_("credential kind"), max_length=32, blank=True)
    credentials_rotated = models.DateTimeField(_("credentials last replaced"), null=True, blank=True)
    # Desired state.
    desired_version = models.CharField(_("desired Kubernetes version"), max_length=32, blank=True)
    health_checks_enabled = models.BooleanField(_("health checks enabled"), default=True)
    # Observed status, written by health checks only.
    kubernetes_version = models.CharField(_("Kubernetes version"), max_length=32, blank=True)
    phase = models.CharField(_("phase"), max_length=16, choices=ClusterPhase.choices, default=ClusterPhase.PENDING)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)
    last_checked = models.DateTimeField(_("last checked"), null=True, blank=True)
    health = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Last health check: API server checks, control-plane components and add-ons."),
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ClusterQuerySet.as_manager()

    class Meta:
        verbose_name = _("cluster")
        verbose_name_plural = _("clusters")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.slug in RESERVED_SLUGS:
            raise ValidationError(
                {"slug": _("“%(slug)s” is taken by a page of the portal; choose another slug.") % {"slug": self.slug}}
            )


class NodeQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(cluster__in=Cluster.objects.for_user(user))


class Node(models.Model):
    """A node as last observed in its cluster (the cluster is the truth)."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="nodes", verbose_name=_("cluster"))
    name = models.CharField(_("name"), max_length=253)
    host = models.ForeignKey("hosts.Host", null=True, blank=True, on_delete=models.SET_NULL, related_name="nodes")
    address = models.CharField(_("internal IP"), max_length=64, blank=True)
    roles = models.JSONField(_("roles"), default=list, blank=True)
    ready = models.BooleanField(default=False)
    unschedulable = models.BooleanField(default=False)
    conditions = models.JSONField(default=list, blank=True)
    capacity = models.JSONField(default=dict, blank=True)
    allocatable = models.JSONField(default=dict, blank=True)
    versions = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("kubelet, kube-proxy, container runtime, OS image and kernel versions."),
    )
    labels = models.JSONField(default=dict, blank=True)
    taints = models.JSONField(_("taints"), default=list, blank=True)
    pods_running = models.PositiveIntegerField(_("pods"), default=0)
    requested = models.JSONField(
        default=dict, blank=True, help_text=_("CPU and memory requested by the pods on the node.")
    )
    missing_since = models.DateTimeField(
        null=True, blank=True, help_text=_("Set when the node disappeared from the cluster.")
    )
    last_synced = models.DateTimeField(null=True, blank=True)

    objects = NodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("node")
        verbose_name_plural = _("nodes")
        ordering = ["cluster__name", "name"]
        constraints = [models.UniqueConstraint(fields=["cluster", "name"], name="node_unique_per_cluster")]

    def __str__(self):
        return f"{self.cluster}/{self.name}"


class ClusterPhaseChange(models.Model):
    """History of a cluster's health: one row per phase transition."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="phase_changes")
    previous = models.CharField(max_length=16, choices=ClusterPhase.choices)
    phase = models.CharField(max_length=16, choices=ClusterPhase.choices)
    message = models.TextField(blank=True)
    # The portal's own sentence as a message id and parameters, translated when
    # shown (portal/stored_text.py); blank: `message` is the cluster's words.
    message_i18n = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("cluster phase change")
        verbose_name_plural = _("cluster phase changes")
        ordering = ["-created", "-id"]

    def __str__(self):
        return f"{self.cluster}: {self.previous} -> {self.phase}"

    @property
    def message_display(self) -> str:
        return stored_text.shown(self.message_i18n, self.message)
