"""Validators for names that end up in Kubernetes or on the network."""

import re

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

# RFC 1123 label, as Kubernetes requires for namespace names.
dns_label = RegexValidator(
    r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
    _("Use at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit."),
)

_hostname_re = re.compile(
    r"^(?=.{1,253}$)([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$"
)
hostname = RegexValidator(_hostname_re, _("Enter a valid host name or IP address."))
