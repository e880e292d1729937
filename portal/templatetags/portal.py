"""Template helpers for the generic pages."""

import json
from datetime import datetime

from django import template
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def cell(value):
    """Render a table or field value: dashes for empty, words for booleans."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return date_filter(value, "Y-m-d H:i")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


@register.simple_tag
def object_url(url_name, obj, lookup_field="pk"):
    return reverse(url_name, args=[getattr(obj, lookup_field)])


@register.filter
def percent(part, whole):
    try:
        return min(100, round(100 * float(part) / float(whole)))
    except (TypeError, ValueError, ZeroDivisionError):
        return 0
