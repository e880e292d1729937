"""Template helpers for the generic pages."""

import json
from datetime import datetime

from django import template
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

register = template.Library()

# The main navigation's sections and the pages each one groups, in order:
# (section url name, label, url-name prefixes that belong to it, [(sub-page, label, staff only)]).
SECTIONS = [
    ("dashboard", _lazy("Dashboard"), ("dashboard",), []),
    (
        "cluster-list",
        _lazy("Clusters"),
        ("cluster-", "node-"),
        [("cluster-list", _lazy("Clusters")), ("node-list", _lazy("Nodes"))],
    ),
    (
        "host-list",
        _lazy("Hosts"),
        ("host-", "credential-"),
        [("host-list", _lazy("Hosts")), ("credential-list", _lazy("SSH credentials"))],
    ),
    (
        "team-list",
        _lazy("Teams"),
        ("team-", "membership-", "namespace-", "quotaplan-"),
        [
            ("team-list", _lazy("Teams")),
            ("namespace-list", _lazy("Namespaces")),
            ("quotaplan-list", _lazy("Quota plans")),
        ],
    ),
    ("workload-index", _lazy("Workloads"), ("workload-",), []),
    ("access-overview", _lazy("RBAC"), ("access-",), []),
    ("job-list", _lazy("Jobs"), ("job-",), []),
    ("audit-list", _lazy("Audit"), ("audit-",), []),
]
STAFF_SECTIONS = {"host-list"}


def _current(request) -> str:
    match = getattr(request, "resolver_match", None)
    return (match.url_name or "") if match else ""


@register.simple_tag(takes_context=True)
def main_navigation(context):
    """[(url, label, is current section)] for the header, hiding admin-only sections."""
    request = context["request"]
    current = _current(request)
    links = []
    for name, label, prefixes, _sub in SECTIONS:
        if name in STAFF_SECTIONS and not request.user.is_staff:
            continue
        links.append((reverse(name), label, current.startswith(prefixes)))
    return links


@register.simple_tag(takes_context=True)
def sub_navigation(context):
    """[(url, label, is current page)] of the current section's pages, or []."""
    request = context.get("request")
    if request is None:
        return []
    current = _current(request)
    for name, _label, prefixes, sub in SECTIONS:
        if current.startswith(prefixes):
            if name in STAFF_SECTIONS and not request.user.is_staff:
                return []
            kind = current.split("-")[0].replace("membership", "team")
            return [(reverse(page), label, page.split("-")[0] == kind) for page, label in sub]
    return []


@register.filter
def cell(value):
    """Render a table or field value: dashes for empty, words for booleans,
    mappings as key/value lists."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return date_filter(value, "Y-m-d H:i")
    if isinstance(value, dict):
        return format_html(
            '<ul class="kv">{}</ul>',
            format_html_join("", "<li><code>{}</code> {}</li>", ((k, _plain(v)) for k, v in sorted(value.items()))),
        )
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value)
    return value


def _plain(value) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@register.simple_tag
def object_url(url_name, obj, lookup_field="pk"):
    return reverse(url_name, args=[getattr(obj, lookup_field)])


@register.filter
def percent(part, whole):
    try:
        return min(100, round(100 * float(part) / float(whole)))
    except (TypeError, ValueError, ZeroDivisionError):
        return 0
