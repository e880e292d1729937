"""Apply an object's edited YAML (the `edit` action's page, workloads/actions/edit.py):

    POST /workloads/namespaces/<id>/<plural>/<name>/edit/apply/   apply, or reload

Applied as the user, a dry run first, at the resourceVersion the text was
read at. A refusal keeps the user's text on the page with the API server's
message; a conflict (someone changed the object meanwhile) offers to reload,
which puts the fresh YAML in the editor and keeps the user's text beside it.
A field-manager conflict (fields the user changed that other managers set)
names them and offers to take them over: the same text posted with `force`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from clusters import kube
from portal.errors import PortalError
from workloads import services
from workloads.actions import action_for
from workloads.actions.edit import APPLY_EDIT, EDIT, EDIT_ACTION, FieldConflict
from workloads.errors import NON_FIELD
from workloads.pages import audit, kind_and_namespace, not_ready, page_context
from workloads.views_kinds import detail


@login_required
@require_POST
@not_ready
def kind_edit(request, pk, plural, name):
    kind, namespace = kind_and_namespace(request, pk, plural)
    audit(request, namespace, kind, "edit", name)
    try:  # only the kinds the edit action is for: a Secret's values are not shown here
        action_for(kind, EDIT)
    except PortalError as exc:
        return detail(request, namespace, kind, name, status=exc.status_code, error=exc.message)
    text = request.POST.get("manifest", "")
    answer = {"yaml": text, **{key: request.POST.get(key, "") for key in ("resource_version", "fingerprint")}}
    status, error = 200, ""
    if "reload" in request.POST:
        try:
            fresh = services.live_action(
                user=request.user, namespace=namespace, kind=kind, name=name, action=EDIT_ACTION
            )
        except PortalError as exc:
            status, error = exc.status_code, exc.message
        else:
            answer = {**fresh, "mine": text}
    else:
        try:
            done = services.live_action(
                user=request.user, namespace=namespace, kind=kind, name=name, action=APPLY_EDIT, data=request.POST
            )
        except services.ActionInvalid as exc:
            status, error = 400, exc.message
            answer["errors"] = [f"{field}: {e}" for field, errors in exc.field_errors.items() for e in errors]
        except FieldConflict as exc:
            status, error = exc.status_code, exc.message
            answer["field_conflict"] = exc.managers
        except PortalError as exc:
            status, error = exc.status_code, exc.message
            answer["conflict"] = isinstance(exc, kube.KubeConflict)
            answer["errors"] = [
                e if field == NON_FIELD else f"{field}: {e}"
                for field, errors in exc.field_errors.items()
                for e in errors
                if e not in exc.message
            ]
        else:
            messages.success(request, done["message"])
            return redirect("workloads:kind-detail", pk=namespace.pk, plural=kind.plural, name=name)
    section = {"action": EDIT_ACTION, "template": EDIT_ACTION.template, "answer": answer, "error": error}
    context = page_context(
        request, namespace, kind, name=name, action=EDIT_ACTION, page_section=section, template=section["template"]
    )
    # The generic page of a read (views_actions.kind_action), as the GET showed it.
    return render(request, "workloads/kind_action.html", context, status=status)
