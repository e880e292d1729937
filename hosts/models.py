"""Machines reached over SSH, and the credentials used to reach them."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from hosts import checks
from hosts.choices import CredentialKind, HostRole, SudoMode
from portal.fields import EncryptedTextField
from portal.labels import format_labels, validate_labels
from portal.validators import hostname


def cluster_model():
    """The model a host's `cluster` points at. Clusters sit above hosts (they
    are made of hosts), so this app names it only through the foreign key."""
    return Host._meta.get_field("cluster").related_model


class PlatformOnlyQuerySet(models.QuerySet):
    def for_user(self, user):
        # Hosts and SSH credentials are platform infrastructure: admins only.
        if user.is_authenticated and user.is_staff:
            return self
        return self.none()


class SSHCredential(models.Model):
    """A private key (optional passphrase) or a password; encrypted, never returned."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CredentialKind.choices)
    private_key = EncryptedTextField(_("private key"), blank=True)
    passphrase = EncryptedTextField(_("passphrase"), blank=True)
    password = EncryptedTextField(_("password"), blank=True)
    # Derived from the key, so an admin can tell keys apart without seeing them.
    public_key_fingerprint = models.CharField(_("public key fingerprint"), max_length=100, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = PlatformOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("SSH credential")
        verbose_name_plural = _("SSH credentials")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Host(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    address = models.CharField(_("address"), max_length=253, validators=[hostname])
    port = models.PositiveIntegerField(
        _("SSH port"), default=22, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    username = models.CharField(_("SSH user"), max_length=64, default="root")
    sudo_mode = models.CharField(_("privilege"), max_length=16, choices=SudoMode.choices, default=SudoMode.NONE)
    credential = models.ForeignKey(
        SSHCredential, on_delete=models.PROTECT, related_name="hosts", verbose_name=_("credential")
    )
    # Pinned when the host is registered; a different key later stops all work.
    host_key = models.TextField(_("pinned host key"), blank=True)
    host_key_fingerprint = models.CharField(_("host key fingerprint (SHA256)"), max_length=100, blank=True)
    # Kubernetes-style key=value labels, for picking hosts and, later, their Nodes.
    labels = models.JSONField(_("labels"), default=dict, blank=True, validators=[validate_labels])
    facts = models.JSONField(default=dict, blank=True)
    # When `facts` were last read from the host (None: never).
    facts_gathered = models.DateTimeField(_("facts gathered"), null=True, blank=True)
    cluster = models.ForeignKey(
        "clusters.Cluster",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hosts",
        verbose_name=_("cluster"),
    )
    role = models.CharField(_("role"), max_length=16, choices=HostRole.choices, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = PlatformOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("host")
        verbose_name_plural = _("hosts")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["address", "port"], name="host_unique_endpoint")]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        credential = self.credential if self.credential_id else None
        if self.sudo_mode == SudoMode.PASSWORD and credential is not None and not credential.password:
            raise ValidationError(
                {"sudo_mode": _("sudo asks for a password, and this credential has none: add it to the credential.")}
            )

    @property
    def labels_text(self) -> str:
        return format_labels(self.labels)


class PreflightStatus(models.TextChoices):
    # The host meets this requirement.
    PASS = "pass", _("pass")
    # It does, but something deserves a look (the bootstrap may fix it).
    WARN = "warn", _("warning")
    # It does not: bringing up a cluster on it would fail.
    FAIL = "fail", _("fail")


class PreflightCheck(models.Model):
    """One check of one host in a preflight job. The message and the remedy
    are stored as a code and its parameters and rendered when shown, so they
    read in the viewer's language (hosts/checks.py)."""

    job = models.ForeignKey("jobs.Job", on_delete=models.CASCADE, related_name="preflight_checks")
    host = models.ForeignKey(Host, null=True, on_delete=models.SET_NULL, related_name="preflight_checks")
    # The name the plan gave, kept when the host record is deleted.
    host_name = models.CharField(_("host"), max_length=100)
    role = models.CharField(_("role"), max_length=16, choices=HostRole.choices)
    key = models.CharField(_("check"), max_length=32)
    position = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(_("status"), max_length=8, choices=PreflightStatus.choices)
    code = models.CharField(max_length=64)
    params = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("preflight check")
        verbose_name_plural = _("preflight checks")
        ordering = ["job", "host_name", "position"]
        constraints = [
            models.UniqueConstraint(fields=["job", "host_name", "key"], name="preflightcheck_unique_job_host_key")
        ]

    def __str__(self):
        return f"{self.job_id} {self.host_name} {self.key}: {self.status}"

    @property
    def title(self) -> str:
        return checks.title(self.key)

    @property
    def message(self) -> str:
        return checks.render(self.code, self.params)[0]

    @property
    def remedy(self) -> str:
        return checks.render(self.code, self.params)[1]
