from django.db import models
from django.utils.translation import gettext_lazy as _


class ClusterProvider(models.TextChoices):
    # Registered from an existing cluster's kubeconfig.
    IMPORTED = "imported", _("Imported")
    # Brought up by the portal on SSH hosts with kubeadm.
    KUBEADM = "kubeadm", _("kubeadm on hosts")


class ClusterPhase(models.TextChoices):
    # Recorded, never checked yet.
    PENDING = "pending", _("Pending")
    # Being brought up by a bootstrap job.
    PROVISIONING = "provisioning", _("Provisioning")
    # API server answers and is ready.
    READY = "ready", _("Ready")
    # Answers, but some component or check is unhealthy.
    DEGRADED = "degraded", _("Degraded")
    # Did not answer the last check.
    UNREACHABLE = "unreachable", _("Unreachable")
    # Answered, but refused our credentials.
    UNAUTHORIZED = "unauthorized", _("Credentials rejected")
