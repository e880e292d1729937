"""Template helpers for the generic pages."""

import json
from datetime import datetime

from django import template
from django.urls import NoReverseMatch, reverse
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
    (
        "rbac:access-overview",
        gettext_lazy("RBAC"),
        "rbac",
        [
            ("rbac:access-overview", gettext_lazy("Access")),
            ("rbac:grant-list", gettext_lazy("Cluster grants")),
            ("rbac:who-can", gettext_lazy("Who can do what")),
        ],
    ),
    ("jobs:job-list", gettext_lazy("Jobs"), "jobs", []),
    ("audit-list", gettext_lazy("Audit"), None, []),
]
STAFF_SECTIONS = {"hosts"}
STAFF_PAGES = {"teams:namespace-pending", "rbac:grant-list"}
# Pages that list or start something but are in no navigation: breadcrumbs name them.
OTHER_PAGES = {
    "hosts:preflight": gettext_lazy("Preflight"),
    "tokens:token-list": gettext_lazy("API tokens"),
}


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


def _most_specific(pages, namespace: str, url_name: str) -> str:
    """The one page of `pages` (url names) a page belongs under: itself, else
    the list of its kind ("namespace-detail" -> "namespace-list"), else the
    first page of its kind. One answer, so one item is highlighted."""
    here = f"{namespace}:{url_name}"
    if here in pages:
        return here
    kind = _kind(url_name)
    same_kind = [page for page in pages if _kind(page) == kind]
    lists = [page for page in same_kind if page.endswith("-list")]
    return (lists or same_kind or [""])[0]


@register.simple_tag(takes_context=True)
def sub_navigation(context):
    """[(url, label, is current page)] of the current section's pages, or [];
    at most one is current."""
    request = context.get("request")
    if request is None:
        return []
    namespace, url_name = _where(request)
    for _name, _label, section, sub in SECTIONS:
        if section and section == namespace and sub:
            if section in STAFF_SECTIONS and not request.user.is_staff:
                return []
            pages = [(page, label) for page, label in sub if _may_see(request.user, page)]
            current = _most_specific([page for page, _l in pages], namespace, url_name)
            return [(reverse(page), label, page == current) for page, label in pages]
    return []


# --- breadcrumbs -------------------------------------------------------------
# A page's trail: the dashboard, then `breadcrumbs` from the view's context
# ([(url or None, label)], its ancestors) or, without them, what its address
# tells (section, list of its kind, the object a "-edit"/"-delete" page is
# about), then the page itself (`current`, else the context's `crumb` or
# `title`) unlinked.


def _section_of(namespace: str, url_name: str):
    for name, label, section, sub in SECTIONS:
        if (section and section == namespace) or (not section and not namespace and name == url_name):
            return name, label, sub
    return None


def _derived_trail(context, namespace: str, url_name: str) -> list:
    here = f"{namespace}:{url_name}" if namespace else url_name
    trail = []
    section = _section_of(namespace, url_name)
    lists = dict(OTHER_PAGES)
    if section:
        name, label, sub = section
        if name != here:
            trail.append((reverse(name), label))
        lists.update({page: label for page, label in sub if page != name})
    kind = _kind(url_name)
    own_list = _most_specific([page for page in lists if page.startswith(f"{namespace}:")], namespace, url_name)
    if own_list and own_list != here and _may_see(context["request"].user, own_list):
        trail.append((reverse(own_list), lists[own_list]))
    if namespace and not url_name.endswith(("-detail", "-list")):
        obj = context.get("object") or context.get(kind)
        kwargs = context["request"].resolver_match.kwargs
        if obj is not None and kwargs:
            try:
                trail.append((reverse(f"{namespace}:{kind}-detail", kwargs=kwargs), str(obj)))
            except NoReverseMatch:
                pass
    return trail


def _may_see(user, page: str) -> bool:
    return page not in STAFF_PAGES or user.is_staff


@register.inclusion_tag("portal/_breadcrumbs.html", takes_context=True)
def breadcrumbs(context, current=None):
    """The page's trail for the frame's breadcrumbs: [(url or None, label)],
    the last one the page itself."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"crumbs": []}
    namespace, url_name = _where(request)
    if not namespace and url_name == "dashboard":
        return {"crumbs": [(None, _("Dashboard"))]}
    ancestors = context.get("breadcrumbs")
    if ancestors is None:
        ancestors = _derived_trail(context, namespace, url_name)
    current = current or context.get("crumb") or context.get("title")
    crumbs = [(reverse("dashboard"), _("Dashboard")), *ancestors]
    if current:
        crumbs.append((None, current))
    return {"crumbs": crumbs}


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


@register.filter
def messages_of(errors) -> list:
    """A form's errors (an ErrorList) as their messages, each keeping the
    HTML form an error's message has (`portal.stored_text.Shown`: the
    cluster's words marked translate="no"). Django's own iteration and
    rendering make every one a plain string."""
    shown = []
    for error in errors.as_data():
        message = error.message
        shown.append(message % error.params if error.params else message)
    return shown


@register.filter
def error_list(errors):
    """`{{ form.non_field_errors }}` as Django writes it, from `messages_of`."""
    items = format_html_join("", "<li>{}</li>", ((message,) for message in messages_of(errors)))
    return format_html('<ul class="{}">{}</ul>', errors.error_class, items)


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
