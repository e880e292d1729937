"""Generic pages of live objects: any registered kind (workloads/kinds.py) in a
team namespace, or for platform admins in any namespace or across a cluster
(`<place>`: workloads/places.py), with no per-kind code. The same selectors
and services as the API (workloads/api/views.py) do the work, as the
signed-in user, so the API server's RBAC and admission decide here too.

    /workloads/namespaces/<place>/<plural>/                 list (?limit=&continue=&name=&selector=)
    /workloads/namespaces/<place>/<plural>/new/             apply YAML (dry run or apply)
    /workloads/namespaces/<place>/<plural>/<name>/          detail: columns, status, YAML
    /workloads/namespaces/<place>/<plural>/<name>/delete/   POST, with the name typed to confirm
    /workloads/namespaces/<place>/<plural>/<name>/<action>/ the kind's actions (views_actions.py)

Every failure of the cluster (bad selector, expired continue token, invalid
manifest, forbidden, unreachable) is a message on the page, never a 500. (An
object named "new" is not shown here: that name is the apply page's.)
"""

import copy
from urllib.parse import quote

import yaml
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_POST

from clusters import kube
from portal.audit import audit_describe
from portal.errors import PortalError
from portal.stored_text import Message, Shown
from workloads import objects, places, selectors, services
from workloads.forms_create import has_form
from workloads.pages import audit, badge, cells, kind_and_namespace, not_ready, page_context
from workloads.views_actions import detail_sections

RESULTS = {"created": gettext_lazy("created"), "configured": gettext_lazy("configured")}
# Named after the object the template makes, so a dry run of it as is reads plainly.
TEMPLATE_NAME = "example"


class ManifestForm(forms.Form):
    manifest = forms.CharField(
        label=gettext_lazy("YAML"),
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "autocapitalize": "off"}),
        strip=False,
        help_text=gettext_lazy("One or several documents, separated by ---."),
    )


def _limit(request) -> int:
    try:
        limit = int(request.GET.get("limit") or objects.LIST_LIMIT)
    except ValueError:
        limit = 0
    if not 1 <= limit <= objects.LIST_LIMIT_MAX:
        messages.error(
            request,
            _("Objects per page must be a whole number from 1 to %(max)s; showing %(default)s.")
            % {"max": objects.LIST_LIMIT_MAX, "default": objects.LIST_LIMIT},
        )
        return objects.LIST_LIMIT
    return limit


# What a refused list parameter was, in the words of the filter form.
LIST_FIELDS = {
    "continue": gettext_lazy("The next-page link has expired or is not valid; start again from the first page."),
    "labelSelector": gettext_lazy("The label selector is not valid:"),
}


@login_required
@not_ready
def kind_list(request, pk, plural):
    """One page of a kind's objects in a team namespace, with filters."""
    kind, namespace = kind_and_namespace(request, pk, plural, listing=True)
    name, selector = request.GET.get("name", "").strip(), request.GET.get("selector", "").strip()
    token = request.GET.get("continue", "")
    rows, next_token, error, cluster_said = [], "", "", ""
    try:
        page = selectors.live_list(
            user=request.user,
            namespace=namespace,
            kind=kind,
            limit=_limit(request),
            continue_token=token,
            label_selector=selector,
            name=name,
        )
    except kube.KubeForbidden as exc:
        # Said in the reader's language; the API server's own words (which
        # rule is missing) follow as it said them.
        error = _("Your account may not list %(kind)s in this namespace.") % {"kind": kind.label}
        cluster_said = exc.text.params.get("message", "") if isinstance(exc.text, Message) else exc.message
    except PortalError as exc:
        named = [LIST_FIELDS[field] for field in exc.field_errors if field in LIST_FIELDS]
        error = format_html_join(" ", "{}", ((part,) for part in (*named, exc.message)))
    else:
        next_token = page["continue"]
        rows = _rows(namespace, kind, page["items"])
    context = page_context(
        request,
        namespace,
        kind,
        rows=rows,
        error=error,
        cluster_said=cluster_said,
        next_token=next_token,
        paged=bool(token),
        name=name,
        selector=selector,
        has_form=has_form(kind.plural),
        every=places.spans_cluster(namespace),
    )
    return render(request, "workloads/kind_list.html", context, status=200)


NAME_SLOT = "--name--"  # not a valid object name, so it cannot be one
URL_SAFE = ":@!$&'()*+,;="  # as Django's reverse() leaves them in a path


def _rows(namespace, kind, items: list[dict]) -> list[dict]:
    """The list's rows with their cells, badge and link. The link is reversed
    once per namespace and filled in per row, which a 100-row page notices."""
    if places.spans_cluster(namespace) and kind.namespaced:
        addresses = places.places_by_name(namespace.cluster, {row["namespace"] for row in items})
    else:
        addresses = {row["namespace"]: namespace.pk for row in items}
    links = {
        name: reverse("workloads:kind-detail", args=[address, kind.plural, NAME_SLOT])
        for name, address in addresses.items()
    }
    return [
        {
            **row,
            "cells": cells(kind, row),
            "badge": badge(row),
            "url": links[row["namespace"]].replace(NAME_SLOT, quote(row["name"], safe=URL_SAFE)),
        }
        for row in items
    ]


def _object_yaml(obj: dict) -> str:
    """The object as people read it: without the field managers' bookkeeping."""
    shown = copy.deepcopy(obj)
    (shown.get("metadata") or {}).pop("managedFields", None)
    return yaml.safe_dump(shown, sort_keys=False, default_flow_style=False)


def detail(request, namespace, kind, name, *, status=200, error="", bound=None):
    """The object's page; `error` and `bound` (an action and its refused form) say what just failed."""
    try:
        found = selectors.live_get(user=request.user, namespace=namespace, kind=kind, name=name)
    except PortalError as exc:
        found, error = None, format_html_join(" ", "{}", ((part,) for part in (error, exc.message) if part))
        status = status if status != 200 else exc.status_code
    page = page_context(
        request,
        namespace,
        kind,
        name=name,
        found=found,
        error=error,
        fields=list(zip((column.label for column in kind.columns), cells(kind, found), strict=True)) if found else [],
        badge=badge(found) if found else {},
        yaml=_object_yaml(found["object"]) if found else "",
    )
    if found:
        page["locked"] = kind.lock_reason(found["object"])
        page["may_write"] = page["may_write"] and not page["locked"]
        page.update(
            detail_sections(request, namespace, kind, name, found["object"], may_write=page["may_write"], bound=bound)
        )
    return render(request, "workloads/kind_detail.html", page, status=status)


@login_required
@not_ready
def kind_detail(request, pk, plural, name):
    """One object: its columns and status, its YAML, and the writers' actions."""
    kind, namespace = kind_and_namespace(request, pk, plural)
    return detail(request, namespace, kind, name)


def _changing(request, pk, plural, name, verb):
    """The kind and namespace of a change to one object, audited before anything is checked."""
    kind, namespace = kind_and_namespace(request, pk, plural)
    audit(request, namespace, kind, verb, name)
    return kind, namespace


def _post_only(view):
    return login_required(require_POST(not_ready(view)))


@_post_only
def kind_delete(request, pk, plural, name):
    """Delete one object, once its name is typed to confirm."""
    kind, namespace = _changing(request, pk, plural, name, "delete")
    if request.POST.get("confirm", "").strip() != name:
        error = _("Type the name %(name)s to confirm the deletion.") % {"name": name}
        return detail(request, namespace, kind, name, status=400, error=error)
    try:
        services.live_delete(user=request.user, namespace=namespace, kind=kind, name=name)
    except PortalError as exc:
        return detail(request, namespace, kind, name, status=exc.status_code, error=exc.message)
    messages.success(request, _("Deleted %(kind)s %(name)s.") % {"kind": kind.kind, "name": name})
    return redirect("workloads:kind-list", pk=namespace.pk, plural=kind.plural)


def _apply(request, namespace, form: ManifestForm, *, dry_run: bool):
    """Apply the form's manifests; the results, or the API server's refusal on the form."""
    try:
        documents = objects.parse_yaml(form.cleaned_data["manifest"])
        audit_describe(request, **objects.manifest_targets(documents))
        return services.live_apply(user=request.user, namespace=namespace, documents=documents, dry_run=dry_run), 200
    except PortalError as exc:
        form.add_error(None, exc.message)
        for field, errors in exc.field_errors.items():
            for error in errors:
                if error != exc.message:
                    form.add_error(
                        None, Shown(Message(gettext_noop("%(field)s: %(message)s"), field=field, message=error))
                    )
        return [], exc.status_code


@login_required
@not_ready
def kind_apply(request, pk, plural):
    """Server-side apply of YAML as the user: a dry run first, or for real."""
    kind, namespace = kind_and_namespace(request, pk, plural)
    status, results = 200, []
    dry_run = "dry_run" in request.POST
    if request.method != "POST":
        return apply_page(request, namespace, kind, "" if kind.read_only else kind.template_yaml(TEMPLATE_NAME))
    audit(request, namespace, kind, "apply")
    form = ManifestForm(request.POST)
    if not form.is_valid():
        status = 400
    else:
        results, status = _apply(request, namespace, form, dry_run=dry_run)
        if results and not dry_run:
            messages.success(
                request,
                _("Applied: %(objects)s.")
                % {"objects": ", ".join(f"{r['kind']} {r['name']} ({RESULTS[r['result']]})" for r in results)},
            )
            first = results[0]
            if len(results) == 1 and first["kind"] == kind.kind:
                return redirect("workloads:kind-detail", pk=namespace.pk, plural=kind.plural, name=first["name"])
            return redirect("workloads:kind-list", pk=namespace.pk, plural=kind.plural)
    return apply_page(request, namespace, kind, form=form, results=results, dry_run=dry_run, status=status)


def apply_page(request, namespace, kind, manifest="", *, form=None, results=(), dry_run=False, status=200):
    """The YAML page, its text `manifest` (the kind's template, or the
    manifests a create form made: workloads/views_create.py) or a posted `form`."""
    context = page_context(
        request,
        namespace,
        kind,
        form=form or ManifestForm(initial={"manifest": manifest}),
        results=results,
        dry_run=dry_run,
        apply_url=reverse("workloads:kind-apply", args=[namespace.pk, kind.plural]),
        create_url=reverse("workloads:kind-create", args=[namespace.pk, kind.plural]) if has_form(kind.plural) else "",
    )
    context["list_url"] = reverse("workloads:kind-list", args=[namespace.pk, kind.plural])
    return render(request, "workloads/kind_apply.html", context, status=status)
