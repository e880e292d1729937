"""Choices of the hosts app: how the portal logs in and acts as root, and a
host's role in a cluster."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
