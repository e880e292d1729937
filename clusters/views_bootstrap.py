"""The wizard that brings up a cluster with kubeadm (platform admins only).

One form, three buttons, each a step: "plan" shows the dry run of every
command and file per host; "preflight" starts the hosts' preflight job for the
same hosts and CIDRs and shows its results as they come; "start" records the
cluster and starts the bootstrap job. Everything is judged by the services the
REST API uses (clusters.bootstrap), so both refuse the same things with the
same messages, next to the fields here.
"""

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from clusters.bootstrap import network
from clusters.bootstrap import services as bootstrap_services
from clusters.bootstrap.spec import ClusterSpec, spec_validate
from clusters.forms_bootstrap import BootstrapForm
from clusters.views import _staff_only
from hosts import preflight
from jobs.models import Job
from portal.audit import audit_describe
from portal.errors import PortalError
from portal.generic import add_errors

STEPS = ("plan", "preflight", "start")
AUDIT_ACTIONS = {"plan": "cluster.bootstrap_plan", "preflight": "host.preflight", "start": "cluster.bootstrap"}
# An uploaded manifest waits here between the steps, under its sha256: up to
# 5 MiB cannot go back and forth in a form field.
SESSION_MANIFEST = "clusters.bootstrap.manifest"
# The services' field names where the form calls them otherwise.
FORM_FIELD = {"network_manifest": "network_manifest_file"}


def plan_sections(preview: list[dict]) -> list[dict]:
    """The dry run (one entry per step and host) grouped by step, in order:
    each step with its hosts' actions and the portal's own work."""
    sections: list[dict] = []
    for entry in preview:
        if not sections or sections[-1]["step"] != entry["step"]:
            sections.append({"step": entry["step"], "title": entry["title"], "hosts": [], "portal": []})
        if "portal" in entry:
            sections[-1]["portal"].append(entry["portal"])
        else:
            sections[-1]["hosts"].append({"host": entry["host"], "actions": entry["actions"]})
    return sections


def _kept_manifest(request, form) -> tuple[str, str]:
    """(the manifest, its digest): a new upload replaces the one kept in the session."""
    uploaded = form.cleaned_data.get("network_manifest_file")
    if uploaded:
        digest = hashlib.sha256(uploaded.encode()).hexdigest()
        request.session[SESSION_MANIFEST] = {"digest": digest, "text": uploaded}
        return uploaded, digest
    kept = request.session.get(SESSION_MANIFEST) or {}
    if kept and kept.get("digest") == request.POST.get("network_manifest_kept"):
        return kept["text"], kept["digest"]
    return "", ""


def _place_errors(form, exc) -> None:
    if isinstance(exc, ValidationError):  # the cluster record: a taken or reserved name or slug
        add_errors(form, getattr(exc, "message_dict", {}), " ".join(exc.messages))
        return
    errors = {FORM_FIELD.get(field, field): messages for field, messages in (exc.field_errors or {}).items()}
    add_errors(form, errors, exc.message)


def _spec(form, manifest: str) -> ClusterSpec:
    """The validated spec; an uploaded manifest must suit the add-on and pod CIDR."""
    spec = spec_validate(**form.spec_fields())
    if manifest:
        try:
            network.with_pod_cidr(network.documents(manifest), spec.network_addon, spec.plan.pod_cidr)
        except PortalError as exc:
            raise PortalError(exc.message, field_errors={"network_manifest": [exc.message]}) from None
    return spec


def _preflight_job(request, job_id) -> Job | None:
    if not str(job_id or "").isdigit():
        return None
    return Job.objects.for_user(request.user).filter(pk=job_id, kind=preflight.KIND).first()


@login_required
def bootstrap_wizard(request):
    """Plan, preflight and start the bring-up of a cluster on registered hosts."""
    _staff_only(request)
    if request.method != "POST":
        return _render(request, BootstrapForm(), status=200)
    step = request.POST.get("step") if request.POST.get("step") in STEPS else "plan"
    audit_describe(request, action=AUDIT_ACTIONS[step], kind="Cluster", name=request.POST.get("slug", ""))
    form = BootstrapForm(request.POST, request.FILES)
    context = {"preflight_job": _preflight_job(request, request.POST.get("preflight_job"))}
    form.is_valid()
    if step == "start":
        for field in ("name", "slug"):
            if not form.errors.get(field) and not form.cleaned_data.get(field):
                form.add_error(field, _("A new cluster needs a name and a slug."))
    # Kept even when the page is refused: an upload is not asked for twice.
    manifest, context["manifest_digest"] = _kept_manifest(request, form)
    context["manifest_size"] = len(manifest.encode())
    if form.errors:
        return _render(request, form, status=400, **context)
    try:
        spec = _spec(form, manifest)
        if step == "plan":
            context["plan_steps"] = plan_sections(bootstrap_services.bootstrap_preview(spec=spec))
        elif step == "preflight":
            job = preflight.preflight_start(plan=spec.plan, user=request.user)
            audit_describe(request, kind="Job", name=job.pk)
            context["preflight_job"] = job
        else:
            data = form.cleaned_data
            job = bootstrap_services.bootstrap_start(
                name=data["name"], slug=data["slug"], spec=spec, network_manifest=manifest, user=request.user
            )
            audit_describe(request, cluster=data["slug"], name=data["slug"])
            request.session.pop(SESSION_MANIFEST, None)
            messages.success(request, _("Bringing up %(name)s: follow each host below.") % {"name": data["name"]})
            return redirect("jobs:job-detail", pk=job.pk)
    except (PortalError, ValidationError) as exc:
        _place_errors(form, exc)
        return _render(request, form, status=400, **context)
    return _render(request, form, status=200, **context)


def _advanced_open(form) -> bool:
    """Open the advanced section when something in it was changed or refused."""
    return form.is_bound and any(
        form[name].errors or (form[name].value() or None) != (form.fields[name].initial or None)
        for name in form.advanced_fields
    )


def _render(request, form, *, status, preflight_job=None, **context):
    context.update(
        {
            "title": _("Bring up a cluster"),
            "form": form,
            "advanced_open": _advanced_open(form),
            "preflight": preflight.results(preflight_job) if preflight_job else None,
        }
    )
    if request.headers.get("HX-Request"):
        # htmx swaps only 2xx answers: a refused step still shows its messages.
        return render(request, "clusters/bootstrap_wizard_body.html", context)
    return render(request, "clusters/bootstrap_wizard.html", context, status=status)
