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


class SudoMode(models.TextChoices):
    # The SSH user is root.
    NONE = "none", _("Log in as root")
    # sudo without a password.
    NOPASSWD = "sudo", _("sudo (no password)")
    # sudo with the credential's password.
    PASSWORD = "sudo_password", _("sudo with password")


class CredentialKind(models.TextChoices):
    PRIVATE_KEY = "private_key", _("Private key")
    PASSWORD = "password", _("Password")


class HostRole(models.TextChoices):
    CONTROL_PLANE = "control-plane", _("Control plane")
    WORKER = "worker", _("Worker")


class JobStatus(models.TextChoices):
    # Created and enqueued, no worker has taken it.
    PENDING = "pending", _("Pending")
    # A worker is executing its steps.
    RUNNING = "running", _("Running")
    # Every step finished. Final.
    SUCCEEDED = "succeeded", _("Succeeded")
    # A step failed or the worker died; can be resumed as a new run. Final.
    FAILED = "failed", _("Failed")
    # Canceled by a user before it finished. Final.
    CANCELED = "canceled", _("Canceled")


JOB_TERMINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED})
JOB_TRANSITIONS = {
    JobStatus.PENDING: frozenset({JobStatus.RUNNING, JobStatus.FAILED, JobStatus.CANCELED}),
    JobStatus.RUNNING: frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED}),
}


class StepStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    # Its check found nothing to do.
    SKIPPED = "skipped", _("Skipped")
    CANCELED = "canceled", _("Canceled")


class EventStream(models.TextChoices):
    STDOUT = "stdout", _("Output")
    STDERR = "stderr", _("Errors")
    SYSTEM = "system", _("Portal")
