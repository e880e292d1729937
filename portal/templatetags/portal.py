"""Template helpers for the generic pages."""

import json
from datetime import datetime

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.templatetags.status import when

register = template.Library()

# The main navigation: (url name, label, URL namespace of its pages, sub-pages).
# Dashboard and audit live in the project's own URLs (no namespace).
SECTIONS = [
    ("dashboard", gettext_lazy("Dashboard"), None, []),
    (
        "clusters:cluster-list",
        gettext_lazy("Clusters"),
        "clusters",
        [("clusters:cluster-list", gettext_lazy("Clusters")), ("clusters:node-list", gettext_lazy("Nodes"))],
    ),
    (
        "hosts:host-list",
        gettext_lazy("Hosts"),
        "hosts",
        [("hosts:host-list", gettext_lazy("Hosts")), ("hosts:credential-list", gettext_lazy("SSH credentials"))],
    ),
    (
        "teams:team-list",
        gettext_lazy("Teams"),
        "teams",
        [
            ("teams:team-list", gettext_lazy("Teams")),
            ("teams:namespace-list", gettext_lazy("Namespaces")),
            ("teams:namespace-pending", gettext_lazy("Waiting for approval")),
            ("teams:quotaplan-list", gettext_lazy("Quota plans")),
        ],
    ),
    ("workloads:workload-index", gettext_lazy("Workloads"), "workloads", []),
    ("rbac:access-overview", gettext_lazy("RBAC"), "rbac", []),
    ("jobs:job-list", gettext_lazy("Jobs"), "jobs", []),
    ("audit-list", gettext_lazy("Audit"), None, []),
]
STAFF_SECTIONS = {"hosts"}
STAFF_PAGES = {"teams:namespace-pending"}


def _where(request) -> tuple[str, str]:
    """(namespace, url name) of the current page."""
    match = getattr(request, "resolver_match", None)
    return (match.namespace or "", match.url_name or "") if match else ("", "")


def _kind(url_name: str) -> str:
    """The record a page is about: "namespace-detail" -> "namespace"."""
    kind = url_name.rsplit(":", 1)[-1].split("-")[0]
    return "team" if kind == "membership" else kind


@register.simple_tag(takes_context=True)
def main_navigation(context):
    """[(url, label, is current section)] for the header, hiding admin-only sections."""
    request = context["request"]
    namespace, url_name = _where(request)
    links = []
    for name, label, section, _sub in SECTIONS:
        if section in STAFF_SECTIONS and not request.user.is_staff:
            continue
        current = section == namespace if section else (not namespace and url_name == name)
        links.append((reverse(name), label, current))
    return links


@register.simple_tag(takes_context=True)
def sub_navigation(context):
    """[(url, label, is current page)] of the current section's pages, or []."""
    request = context.get("request")
    if request is None:
        return []
    namespace, url_name = _where(request)
    for _name, _label, section, sub in SECTIONS:
        if section and section == namespace and sub:
            if section in STAFF_SECTIONS and not request.user.is_staff:
                return []
            pages = [(page, label) for page, label in sub if page not in STAFF_PAGES or request.user.is_staff]
            exact = f"{namespace}:{url_name}"
            if any(page == exact for page, _l in pages):
                return [(reverse(page), label, page == exact) for page, label in pages]
            return [(reverse(page), label, _kind(page) == _kind(url_name)) for page, label in pages]
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
        return when(value)
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


HEALTH_LABELS = {
    "healthy": gettext_lazy("Healthy"),
    "absent": gettext_lazy("Absent"),
    "unhealthy": gettext_lazy("Unhealthy"),
    "unknown": gettext_lazy("Unknown"),
}


@register.filter
def health_label(status):
    """The translated word for a component or add-on status."""
    return HEALTH_LABELS.get(status, status)
