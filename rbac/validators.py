"""Validators of the tenancy models (kept free of cluster access, so models can import them)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ALWAYS_RESERVED_PREFIXES = ("kube-",)
ALWAYS_RESERVED_NAMES = ("default",)


def reserved_reason(name: str) -> str | None:
    """Why `name` is reserved, or None when a team may ask for it."""
    if name in ALWAYS_RESERVED_NAMES:
        return _("%(name)s is reserved: every cluster has it, so no team can own it.") % {"name": name}
    if name == settings.PORTAL_IDENTITY_NAMESPACE:
        return _("%(name)s is reserved: it is the portal's own namespace.") % {"name": name}
    if name in settings.CLUSTER_ADDON_NAMESPACES:
        # Cluster health trusts what runs there; and the add-on installs there later.
        return _("%(name)s is reserved for a cluster add-on.") % {"name": name}
    for prefix in ALWAYS_RESERVED_PREFIXES:
        if name.startswith(prefix):
            return _("Names starting with %(prefix)s are reserved for Kubernetes and its add-ons.") % {"prefix": prefix}
    for prefix in settings.RESERVED_NAMESPACE_PREFIXES:
        if prefix and name.startswith(prefix):
            return _("Names starting with %(prefix)s are reserved by the platform admins.") % {"prefix": prefix}
    return None


def not_reserved(name: str) -> None:
    """Model field validator: refuses reserved names wherever a record is saved."""
    reason = reserved_reason(name)
    if reason:
        raise ValidationError(reason, code="reserved")
