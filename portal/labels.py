"""Labels as Kubernetes spells them, for anything the portal labels itself
(hosts today): `key=value` pairs, keys with an optional DNS prefix.

The same syntax as the API server's, so a label an admin gives a host can be
copied onto its Node unchanged."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$")
MAX_LABELS = 64

# The portal's own marks on what it makes in clusters (rbac/provisioning.py
# applies them; cluster health reads them to tell team namespaces apart).
MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "kube-portal"
MANAGED_SELECTOR = f"{MANAGED_BY}={MANAGER}"
TEAM_LABEL = "portal.kube/team"
USER_LABEL = "portal.kube/user"
GRANT_LABEL = "portal.kube/grant"


def label_key_error(key: str) -> str | None:
    prefix, _slash, name = key.rpartition("/")
    if "/" in key and (not prefix or len(prefix) > 253 or not _PREFIX.match(prefix)):
        return _("%(key)s: the prefix before / must be a DNS subdomain.") % {"key": key}
    if not _NAME.match(name):
        return _(
            "%(key)s: a label name has 1 to 63 letters, digits, '-', '_' or '.', "
            "and starts and ends with a letter or digit."
        ) % {"key": key}
    return None


def label_value_error(key: str, value) -> str | None:
    if not isinstance(value, str) or (value and not _NAME.match(value)):
        return _(
            "%(key)s: a label value is empty or has up to 63 letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit."
        ) % {"key": key}
    return None


def validate_labels(labels) -> None:
    """A dict of label keys to values, as Kubernetes accepts them."""
    if not isinstance(labels, dict):
        raise ValidationError(_("Labels are a mapping of keys to values."))
    if len(labels) > MAX_LABELS:
        raise ValidationError(_("At most %(count)d labels.") % {"count": MAX_LABELS})
    errors = [e for key, value in labels.items() for e in (label_key_error(key), label_value_error(key, value)) if e]
    if errors:
        raise ValidationError(errors)


def parse_labels(text: str) -> dict[str, str]:
    """`key=value` pairs separated by commas or new lines, as typed in a form."""
    labels: dict[str, str] = {}
    for part in re.split(r"[,\n]", text or ""):
        part = part.strip()
        if not part:
            continue
        key, equals, value = part.partition("=")
        if not equals:
            raise ValidationError(_("%(part)s: write each label as key=value.") % {"part": part})
        labels[key.strip()] = value.strip()
    validate_labels(labels)
    return labels


def format_labels(labels: dict) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted((labels or {}).items()))


def parse_selector(text: str) -> list[tuple[str, str | None]]:
    """An equality selector, `key=value,key2` (a bare key: the label is set).
    Raises ValidationError for a malformed one."""
    terms = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        key, equals, value = part.partition("=")
        key, value = key.strip().rstrip("="), value.strip().lstrip("=")
        error = label_key_error(key) or (label_value_error(key, value) if equals else None)
        if error:
            raise ValidationError(error)
        terms.append((key, value if equals else None))
    return terms


def selector_matches(terms, labels: dict) -> bool:
    return all(key in labels and (value is None or labels[key] == value) for key, value in terms)
