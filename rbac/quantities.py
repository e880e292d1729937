"""Kubernetes resource quantities ("500m", "4", "8Gi"), checked before they reach a cluster."""

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The grammar of k8s.io/apimachinery resource.Quantity (decimal SI, binary SI, exponent).
_QUANTITY = re.compile(r"^[+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")
_SUFFIX = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
}


def parse_quantity(text: str) -> Decimal:
    """The value of a quantity as a Decimal (cores for CPU, bytes for memory)."""
    text = str(text).strip()
    if not _QUANTITY.match(text):
        raise ValueError(f"{text!r} is not a Kubernetes quantity")
    for suffix in sorted(_SUFFIX, key=len, reverse=True):
        if text.endswith(suffix) and not text.endswith("e" + suffix):
            return Decimal(text[: -len(suffix)]) * Decimal(_SUFFIX[suffix])
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"{text!r} is not a Kubernetes quantity") from exc


def quantity(value):
    """Model field validator."""
    try:
        parse_quantity(value)
    except ValueError:
        raise ValidationError(
            _("%(value)s is not a Kubernetes quantity (examples: 500m, 2, 512Mi, 10Gi)."),
            params={"value": value},
        ) from None
