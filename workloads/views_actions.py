"""Pages of the kinds' special actions (workloads/actions/), with no per-action
view code: a change (POST) runs and goes back to the object's page, told what
happened (or, with `answer_page`, shows its answer once on the action's page:
a Secret's values without JavaScript); a read (GET) is a section of the
object's page or a page of its own.

    /workloads/namespaces/<id>/<plural>/<name>/<action>/
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from portal.errors import PortalError
from rbac.models import TeamNamespace
from workloads import services
from workloads.actions import Action, action_for, actions_for
from workloads.kinds import Kind
from workloads.pages import audit, kind_and_namespace, not_ready, page_context

FORM_TEMPLATE = "workloads/actions/_form.html"
READ_TEMPLATE = "workloads/actions/_read.html"


def _section(action: Action) -> dict:
    return {"action": action, "template": action.template or (FORM_TEMPLATE if action.changes else READ_TEMPLATE)}


def detail_sections(
    request, namespace: TeamNamespace, kind: Kind, name: str, obj: dict, *, may_write: bool, bound=None
):
    """The object's page's parts for its kind's actions: the forms of the
    changes the user may make, and the reads shown there (each read's failure
    is a message in its own section, not the page's). `bound` is the
    (action, form) of a change just refused, shown with its errors."""
    changes, reads, pages = [], [], []
    for action in actions_for(kind):
        if action.changes:
            if action.for_editors and not may_write:
                continue
            form = bound[1] if bound and bound[0] is action else action.bound_form(obj=obj)
            changes.append({**_section(action), "form": form})
        elif not action.on_detail:
            if not (action.for_editors and not may_write):
                pages.append(action)
        else:
            answer, error = {}, ""
            try:
                answer = services.live_action(
                    user=request.user, namespace=namespace, kind=kind, name=name, action=action
                )
            except PortalError as exc:
                error = exc.message
            reads.append({**_section(action), "answer": answer, "error": error})
    return {"action_forms": changes, "action_reads": reads, "action_pages": pages}


@login_required
@not_ready
def kind_action(request, pk, plural, name, action_name):
    """Run a change (POST) and go back to the object's page; or show a read (GET)."""
    # Imported here: views_kinds builds the object's page, which shows these actions.
    from workloads import views_kinds

    kind, namespace = kind_and_namespace(request, pk, plural)
    try:
        action = action_for(kind, action_name)
    except PortalError as exc:
        return views_kinds.detail(request, namespace, kind, name, status=exc.status_code, error=exc.message)
    if request.method == "POST" and action.changes:
        audit(request, namespace, kind, action.name, name)
        try:
            answer = services.live_action(
                user=request.user, namespace=namespace, kind=kind, name=name, action=action, data=request.POST
            )
        except services.ActionInvalid as exc:
            return views_kinds.detail(request, namespace, kind, name, status=400, bound=(action, exc.form))
        except PortalError as exc:
            form = action.bound_form(request.POST)
            bound = (action, form) if form is not None else None
            return views_kinds.detail(
                request, namespace, kind, name, status=exc.status_code, error=exc.message, bound=bound
            )
        if action.answer_page:
            return _answer_page(request, namespace, kind, name, action, answer)
        messages.success(request, answer.get("message") or _("Done: %(action)s.") % {"action": action.label})
        return redirect("workloads:kind-detail", pk=namespace.pk, plural=kind.plural, name=name)
    if request.method != action.method:
        error = _("%(action)s is not done with %(method)s.") % {"action": action.label, "method": request.method}
        return views_kinds.detail(request, namespace, kind, name, status=405, error=error)
    form = action.bound_form(request.GET if request.GET else None)
    answer, error, status = {}, "", 200
    try:
        answer = services.live_action(
            user=request.user, namespace=namespace, kind=kind, name=name, action=action, data=request.GET
        )
    except services.ActionInvalid as exc:
        form, status = exc.form, 400
    except PortalError as exc:
        error, status = exc.message, exc.status_code
    if isinstance(answer, HttpResponseBase):  # a download or a stream
        return answer
    section = {**_section(action), "answer": answer, "error": error}
    context = page_context(
        request,
        namespace,
        kind,
        name=name,
        action=action,
        form=form,
        page_section=section,
        template=section["template"],
    )
    return render(request, "workloads/kind_action.html", context, status=status)


def _answer_page(request, namespace: TeamNamespace, kind: Kind, name: str, action: Action, answer: dict):
    """A change's answer shown once, on the action's page (without JavaScript:
    a Secret's values), its form ready for the next ask; kept nowhere, not
    even in a cache."""
    section = {**_section(action), "answer": answer, "error": "", "form": action.bound_form(request.POST)}
    context = page_context(
        request, namespace, kind, name=name, action=action, page_section=section, template=section["template"]
    )
    response = render(request, "workloads/kind_action.html", context)
    add_never_cache_headers(response)
    return response
