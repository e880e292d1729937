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


# --- figures for people: hard vs used, as shown on pages and in the API ---


def quantity_value(text) -> Decimal | None:
    """A Kubernetes quantity as a number (cores, bytes, count), or None if unreadable."""
    if text in (None, ""):
        return None
    try:
        return parse_quantity(str(text))
    except ValueError:
        return None


def format_quantity(value: Decimal | None, resource: str) -> str:
    """A readable figure: cores (or millicores) for CPU, binary units for memory
    and storage, a plain count otherwise."""
    if value is None:
        return "—"
    if "cpu" in resource:
        if value and value < 1:
            return f"{int(value * 1000)}m"
        return f"{value.normalize():f}" if value == value.to_integral() else f"{value:.2f}".rstrip("0")
    if "memory" in resource or "storage" in resource:
        for unit, size in (("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
            if value >= size:
                shown = value / size
                return f"{shown:.1f}".removesuffix(".0") + unit
        return f"{int(value)}"
    return f"{int(value)}"


def percent_of(part: Decimal | None, whole: Decimal | None) -> int:
    if part is None or not whole:
        return 0
    return max(0, min(100, round(100 * part / whole)))


def quota_bars(quota: dict) -> list[dict]:
    """{resource: {hard, used}} -> rows for the hard-vs-used bars."""
    rows = []
    for resource, values in quota.items():
        hard, used = quantity_value(values.get("hard")), quantity_value(values.get("used")) or Decimal(0)
        pct = percent_of(used, hard)
        rows.append(
            {
                "resource": resource,
                "hard": format_quantity(hard, resource),
                "used": format_quantity(used, resource),
                "percent": pct,
                "level": "full" if hard is not None and used >= hard else ("high" if pct >= 80 else "ok"),
            }
        )
    return rows


def sum_quantities(values) -> Decimal:
    return sum((v for v in (quantity_value(x) for x in values) if v is not None), Decimal(0))
