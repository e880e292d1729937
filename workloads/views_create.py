"""Create from a form (workloads/forms_create.py) for the kinds that have one:

    /workloads/namespaces/<id>/<plural>/new/form/    GET the form; POST preview, create or yaml

"Preview" is the API server's dry run of the form's manifests (the same
checked, impersonated server-side apply as the YAML page), shown as YAML with
the API server's refusals on the fields that set them; "Create" applies them;
"Edit as YAML" carries them on to the YAML page. Before anything is applied,
one pod of the workload is also tried with a dry run, so the namespace's
quota and limits say now what would otherwise only show as pods that never
come, and the pods it asks for together are compared with what the quota has
left.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

import workloads.forms_rbac  # noqa: F401  its forms (Roles, bindings) register into FORMS
from clusters import kube
from portal.errors import PortalError
from portal.quantities import format_quantity, parse_quantity, quantity_value
from rbac import live
from workloads import objects, selectors, services
from workloads.creation import Creation, manifests_yaml
from workloads.errors import NotAllowed
from workloads.forms_create import has_form
from workloads.kinds import KINDS, kind_of
from workloads.pages import audit, kind_and_namespace, may_write, not_ready, page_context
from workloads.views_kinds import apply_page

# A quota figure -> the form field whose value it counts.
QUOTA_FIELDS = {
    "requests.cpu": "cpu_request",
    "limits.cpu": "cpu_limit",
    "requests.memory": "memory_request",
    "limits.memory": "memory_limit",
    "pods": "replicas",
}
TRY_POD_SUFFIX = "-portal-try"


@login_required
@not_ready
def kind_create(request, pk, plural):
    """The kind's create form: preview (dry run), create, or edit as YAML."""
    kind, namespace = kind_and_namespace(request, pk, plural)
    if not has_form(plural):
        raise Http404(_("%(kind)s objects have no create form; apply YAML instead.") % {"kind": kind.kind})
    status, preview, error = 200, None, ""
    if request.method != "POST":
        creation = Creation(kind, user=request.user, namespace=namespace)
        if not may_write(request.user, namespace, kind):
            status, error = 403, _refusal(request, namespace)
    else:
        # A preview or the move to the YAML page changes nothing: recorded as such.
        verb = "create" if "create" in request.POST else "create-preview"
        audit(request, namespace, kind, verb, request.POST.get("name", ""))
        creation = Creation(kind, request.POST, user=request.user, namespace=namespace)
        if not may_write(request.user, namespace, kind):
            status, error = 403, _refusal(request, namespace)
        elif not creation.is_valid():
            status = 400
        elif "yaml" in request.POST:
            return apply_page(request, namespace, kind, manifests_yaml(creation.manifests()))
        else:
            status, preview = _try(request, namespace, creation, create="create" in request.POST)
            if status == 201:
                return redirect("workloads:kind-detail", pk=namespace.pk, plural=kind.plural, name=preview)
    context = page_context(
        request,
        namespace,
        kind,
        creation=creation,
        form=creation.form,
        rows=creation.rows,
        preview=preview,
        error=error,
    )
    return render(request, "workloads/create.html", context, status=status)


def _refusal(request, namespace) -> str:
    try:
        services.require_editor(request.user, namespace)
    except NotAllowed as exc:
        return exc.message
    return ""


def _try(request, namespace, creation: Creation, *, create: bool):
    """Dry-run the form's manifests and one of its pods; then, with `create`,
    apply them. (201, the object's name) once created, else (status, the
    preview to show: the manifests' YAML and what the dry run said)."""
    manifests = creation.manifests()
    try:
        if _taken(request, namespace, creation, manifests):
            return 409, None
        results = services.live_apply(user=request.user, namespace=namespace, documents=manifests, dry_run=True)
        if not _pods_fit(request, namespace, creation, manifests[-1]):
            return 403, None
        if create:
            services.live_apply(user=request.user, namespace=namespace, documents=manifests)
    except PortalError as exc:
        _place(creation, exc)
        return exc.status_code, None
    name = manifests[-1]["metadata"]["name"]
    if create:
        made = ", ".join(f"{m['kind']} {m['metadata']['name']}" for m in manifests)
        messages.success(request, _("Created %(objects)s.") % {"objects": made})
        return 201, name
    preview = {"yaml": manifests_yaml(manifests), "results": results}
    if hasattr(creation.form, "next_runs"):
        preview["next_runs"] = creation.form.next_runs()
    return 200, preview


def _taken(request, namespace, creation: Creation, manifests: list[dict]) -> bool:
    """Whether an object of the form's names is there already: a create form
    does not apply over it (the YAML page does, knowingly)."""
    taken = False
    for manifest in manifests:
        kind, name = kind_of(manifest), manifest["metadata"]["name"]
        try:
            selectors.live_get(user=request.user, namespace=namespace, kind=kind, name=name)
        except kube.KubeNotFound:
            continue
        taken = True
        creation.form.add_error(
            "name", _("A %(kind)s called %(name)s already exists here.") % {"kind": kind.kind, "name": name}
        )
    return taken


def _place(creation: Creation, exc: PortalError) -> None:
    """The API server's refusal on the fields that set what it refused; what no
    field set, and the whole message when nothing could be placed, on the form."""
    left = []
    for path, errors in exc.field_errors.items():
        for error in errors:
            if path == "non_field_errors" or not creation.place(path, error):
                left.append(error if path == "non_field_errors" else f"{path}: {error}")
    if left or not exc.field_errors:
        creation.form.add_error(None, exc.message)
        for error in left:
            if error != exc.message and error not in exc.message:
                creation.form.add_error(None, error)
    else:
        creation.form.add_error(None, _("The cluster refused some values: see the messages at the fields."))


def _pod_template(manifest: dict) -> dict | None:
    spec = manifest.get("spec") or {}
    if "jobTemplate" in spec:
        spec = spec["jobTemplate"].get("spec") or {}
    return spec.get("template")


def _pods_fit(request, namespace, creation: Creation, manifest: dict) -> bool:
    """One of the workload's pods tried with a dry run (the namespace's quota
    and LimitRange answer for it, defaults filled in), then all the pods it
    asks for against what the quota has left. False, with the messages on
    the form, when they do not fit."""
    template = _pod_template(manifest)
    if template is None:
        return True
    spec = dict(template["spec"])
    # The claims' volumes are the StatefulSet controller's to add: the pod tried has none.
    spec["containers"] = [{k: v for k, v in c.items() if k != "volumeMounts"} for c in spec["containers"]]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": manifest["metadata"]["name"] + TRY_POD_SUFFIX, "namespace": namespace.name},
        "spec": spec,
    }
    pods_kind = KINDS["pods"]
    try:
        with selectors.client_as(request.user, namespace) as client:
            _created, tried = objects.apply_object(client, pods_kind, pod, dry_run=True)
    except (kube.QuotaExceeded, kube.KubeForbidden) as exc:
        creation.form.add_error(None, _("One pod of it would be refused: %(message)s") % {"message": exc.message})
        missing = "must specify" in exc.message  # a quota on a figure the pod does not give
        for field in _fields_named(exc.message):
            if field in creation.form.fields:
                creation.form.add_error(
                    field,
                    _("The namespace's quota needs this value.")
                    if missing
                    else _("The namespace's quota or limits refuse this value."),
                )
        return False
    return _quota_fits(request, namespace, creation, tried)


def _fields_named(message: str) -> list[str]:
    """The form fields a quota or LimitRange message is about."""
    fields = [field for figure, field in QUOTA_FIELDS.items() if figure in message and figure != "pods"]
    for resource in ("cpu", "memory"):
        for part in ("limit", "request"):
            if f"{resource} usage per Container is" in message and f"but {part} is" in message:
                fields.append(f"{resource}_{part}")
    return fields


def _quota_fits(request, namespace, creation: Creation, pod: dict) -> bool:
    count = creation.form.pods()
    if not count or count <= 1:
        return True
    per_pod = {"pods": 1}
    for container in pod.get("spec", {}).get("containers", []):
        for part in ("requests", "limits"):
            for resource, value in ((container.get("resources") or {}).get(part) or {}).items():
                figure = f"{part}.{resource}"
                per_pod[figure] = per_pod.get(figure, 0) + parse_quantity(value)
    try:
        quota = live.namespace_quota(user=request.user, namespace=namespace)
    except kube.KubeNotFound:  # no portal quota (yet): nothing to add up against
        return True
    fits = True
    for figure, value in quota.items():
        hard, used = quantity_value(value["hard"]), quantity_value(value["used"]) or 0
        if figure not in per_pod or hard is None or per_pod[figure] * count <= hard - used:
            continue
        fits = False
        creation.form.add_error(
            QUOTA_FIELDS.get(figure) if QUOTA_FIELDS.get(figure) in creation.form.fields else None,
            _(
                "%(count)s pods need %(needed)s of %(figure)s; the namespace's quota has %(left)s left "
                "(%(used)s used of %(hard)s)."
            )
            % {
                "count": count,
                "needed": format_quantity(per_pod[figure] * count, figure),
                "figure": figure,
                "left": format_quantity(max(hard - used, 0), figure),
                "used": format_quantity(used, figure),
                "hard": format_quantity(hard, figure),
            },
        )
    return fits
