"""Generic pages of live objects: any registered kind (workloads/kinds.py) in a
team namespace, with no per-kind code. The same selectors and services as the
API (workloads/api/views.py) do the work, as the signed-in user, so the API
server's RBAC and admission decide here too.

    /workloads/namespaces/<id>/<plural>/                list (?limit=&continue=&name=&selector=)
    /workloads/namespaces/<id>/<plural>/new/            apply YAML (dry run or apply)
    /workloads/namespaces/<id>/<plural>/<name>/         detail: columns, status, YAML
    /workloads/namespaces/<id>/<plural>/<name>/delete/  POST, with the name typed to confirm
    /workloads/namespaces/<id>/<plural>/<name>/scale/   POST (kinds that scale)

Every failure of the cluster (bad selector, expired continue token, invalid
manifest, forbidden, unreachable) is a message on the page, never a 500. (An
object named "new" is not shown here: that name is the apply page's.)
"""

import copy

import yaml
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal.audit import audit_describe
from portal.errors import PortalError
from rbac.choices import EDITING_ROLES, NamespacePhase
from rbac.models import TeamNamespace
from rbac.views_namespaces import _namespace_for
from workloads import columns, objects, selectors, services
from workloads.api.views import MAX_REPLICAS
from workloads.kinds import KINDS, SCALE, Kind
from workloads.views import deployment_create

# A state of workloads/columns.py -> the badge class that reads as it (portal.css).
BADGES = {
    columns.READY: "status-succeeded",
    columns.PROGRESSING: "status-running",
    columns.PENDING: "status-pending",
    columns.FAILED: "status-failed",
}
STATES = {
    columns.READY: gettext_lazy("Ready"),
    columns.PROGRESSING: gettext_lazy("Progressing"),
    columns.PENDING: gettext_lazy("Pending"),
    columns.FAILED: gettext_lazy("Failed"),
}
RESULTS = {"created": gettext_lazy("created"), "configured": gettext_lazy("configured")}
# Named after the object the template makes, so a dry run of it as is reads plainly.
TEMPLATE_NAME = "example"


class ScaleForm(forms.Form):
    replicas = forms.IntegerField(label=gettext_lazy("Replicas"), min_value=0, max_value=MAX_REPLICAS)


class ManifestForm(forms.Form):
    manifest = forms.CharField(
        label=gettext_lazy("YAML"),
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "autocapitalize": "off"}),
        strip=False,
        help_text=gettext_lazy("One or several documents, separated by ---."),
    )


def _kind(plural: str) -> Kind:
    if plural not in KINDS:
        raise Http404(_("The portal manages no kind called %(plural)s.") % {"plural": plural})
    return KINDS[plural]


def _ready(request, pk) -> TeamNamespace:
    """The team namespace (404 for other teams' namespaces), ready in its cluster."""
    namespace = _namespace_for(request, pk)
    if namespace.phase != NamespacePhase.READY:
        messages.error(
            request,
            _("Namespace %(name)s is %(phase)s: it has no objects to show or change.")
            % {"name": namespace.name, "phase": namespace.get_phase_display()},
        )
        raise _NotReady(namespace)
    return namespace


class _NotReady(Exception):
    def __init__(self, namespace):
        self.namespace = namespace


def _not_ready(view):
    """A namespace that is not ready sends the user back to its page, told why."""

    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _NotReady as exc:
            return redirect("teams:namespace-detail", pk=exc.namespace.pk)

    wrapped.__name__, wrapped.__doc__ = view.__name__, view.__doc__
    return wrapped


def may_write(user, namespace: TeamNamespace, kind: Kind) -> bool:
    """Whether to offer write controls; the services refuse on their own anyway."""
    if kind.read_only:
        return False
    role = namespace.team.role_of(user)
    return role in EDITING_ROLES or (user.is_staff and role is None)


def _audit(request, namespace: TeamNamespace, kind: Kind, verb: str, name: str = "") -> None:
    audit_describe(
        request,
        action=f"{kind.kind.lower()}.{verb}",
        kind=kind.kind,
        name=name,
        team=namespace.team,
        cluster=namespace.cluster.slug,
        namespace=namespace.name,
    )


def _badge(row: dict) -> dict:
    state = (row.get("status") or {}).get("state", "")
    return {
        "state": state,
        "label": STATES.get(state, state),
        "css": BADGES.get(state, ""),
        "message": (row.get("status") or {}).get("message", ""),
    }


def _context(request, namespace: TeamNamespace, kind: Kind, **extra) -> dict:
    """What every page of a kind shows: breadcrumbs, the switchers, the kind's columns."""
    return {
        "namespace": namespace,
        "kind": kind,
        "kinds": sorted(KINDS.values(), key=lambda k: str(k.label)),
        "namespaces": TeamNamespace.objects.for_user(request.user)
        .filter(phase=NamespacePhase.READY)
        .select_related("cluster")
        .order_by("name"),
        "columns": kind.columns,
        "may_write": may_write(request.user, namespace, kind),
        **extra,
    }


def _cells(kind: Kind, row: dict) -> list:
    return [row["columns"].get(column.name) for column in kind.columns]


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
@_not_ready
def kind_list(request, pk, plural):
    """One page of a kind's objects in a team namespace, with filters."""
    kind, namespace = _kind(plural), _ready(request, pk)
    name, selector = request.GET.get("name", "").strip(), request.GET.get("selector", "").strip()
    token = request.GET.get("continue", "")
    rows, next_token, error = [], "", ""
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
    except PortalError as exc:
        named = [LIST_FIELDS[field] for field in exc.field_errors if field in LIST_FIELDS]
        error = " ".join([*map(str, named), exc.message])
    else:
        next_token = page["continue"]
        rows = [{**row, "cells": _cells(kind, row), "badge": _badge(row)} for row in page["items"]]
    context = _context(
        request,
        namespace,
        kind,
        rows=rows,
        error=error,
        next_token=next_token,
        paged=bool(token),
        name=name,
        selector=selector,
    )
    return render(request, "workloads/kind_list.html", context, status=200)


def _object_yaml(obj: dict) -> str:
    """The object as people read it: without the field managers' bookkeeping."""
    shown = copy.deepcopy(obj)
    (shown.get("metadata") or {}).pop("managedFields", None)
    return yaml.safe_dump(shown, sort_keys=False, default_flow_style=False)


def _detail(request, namespace, kind, name, *, status=200, error="", scale_form=None):
    try:
        found = selectors.live_get(user=request.user, namespace=namespace, kind=kind, name=name)
    except PortalError as exc:
        found, error = None, " ".join(filter(None, (error, exc.message)))
        status = status if status != 200 else exc.status_code
    context = _context(
        request,
        namespace,
        kind,
        name=name,
        found=found,
        error=error,
        fields=list(zip((column.label for column in kind.columns), _cells(kind, found), strict=True)) if found else [],
        badge=_badge(found) if found else {},
        yaml=_object_yaml(found["object"]) if found else "",
        may_scale=SCALE in kind.actions,
    )
    if found and SCALE in kind.actions:
        replicas = columns.dig(found["object"], "spec", "replicas", default=1)
        context["scale_form"] = scale_form or ScaleForm(initial={"replicas": replicas})
    return render(request, "workloads/kind_detail.html", context, status=status)


@login_required
@_not_ready
def kind_detail(request, pk, plural, name):
    """One object: its columns and status, its YAML, and the writers' actions."""
    kind, namespace = _kind(plural), _ready(request, pk)
    return _detail(request, namespace, kind, name)


def _changing(request, pk, plural, name, verb):
    """The kind and namespace of a change to one object, audited before anything is checked."""
    kind, namespace = _kind(plural), _ready(request, pk)
    _audit(request, namespace, kind, verb, name)
    return kind, namespace


def _post_only(view):
    return login_required(require_POST(_not_ready(view)))


@_post_only
def kind_delete(request, pk, plural, name):
    """Delete one object, once its name is typed to confirm."""
    kind, namespace = _changing(request, pk, plural, name, "delete")
    if request.POST.get("confirm", "").strip() != name:
        error = _("Type the name %(name)s to confirm the deletion.") % {"name": name}
        return _detail(request, namespace, kind, name, status=400, error=error)
    try:
        services.live_delete(user=request.user, namespace=namespace, kind=kind, name=name)
    except PortalError as exc:
        return _detail(request, namespace, kind, name, status=exc.status_code, error=exc.message)
    messages.success(request, _("Deleted %(kind)s %(name)s.") % {"kind": kind.kind, "name": name})
    return redirect("workloads:kind-list", pk=namespace.pk, plural=kind.plural)


@_post_only
def kind_scale(request, pk, plural, name):
    """Set the desired replicas of an object whose kind scales."""
    kind, namespace = _changing(request, pk, plural, name, "scale")
    form = ScaleForm(request.POST)
    if not form.is_valid():
        return _detail(request, namespace, kind, name, status=400, scale_form=form)
    replicas = form.cleaned_data["replicas"]
    try:
        services.live_scale(user=request.user, namespace=namespace, kind=kind, name=name, replicas=replicas)
    except PortalError as exc:
        return _detail(request, namespace, kind, name, status=exc.status_code, error=exc.message, scale_form=form)
    messages.success(
        request,
        _("Scaled %(kind)s %(name)s to %(replicas)s.") % {"kind": kind.kind, "name": name, "replicas": replicas},
    )
    return redirect("workloads:kind-detail", pk=namespace.pk, plural=kind.plural, name=name)


def _apply(request, namespace: TeamNamespace, form: ManifestForm, *, dry_run: bool):
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
                    form.add_error(None, f"{field}: {error}")
        return [], exc.status_code


@login_required
@_not_ready
def kind_apply(request, pk, plural):
    """Server-side apply of YAML as the user: a dry run first, or for real."""
    if request.method == "POST" and plural == "deployments" and "manifest" not in request.POST:
        # The namespace page's small deployment form posts to this address too.
        return deployment_create(request, pk)
    kind, namespace = _kind(plural), _ready(request, pk)
    status, results = 200, []
    dry_run = "dry_run" in request.POST
    if request.method == "POST":
        _audit(request, namespace, kind, "apply")
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
    else:
        form = ManifestForm(initial={"manifest": "" if kind.read_only else kind.template_yaml(TEMPLATE_NAME)})
    context = _context(request, namespace, kind, form=form, results=results, dry_run=dry_run)
    context["list_url"] = reverse("workloads:kind-list", args=[namespace.pk, kind.plural])
    return render(request, "workloads/kind_apply.html", context, status=status)
