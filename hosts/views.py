"""HTML pages for SSH hosts and credentials (platform admins only).

Secrets are write-only: no page renders a private key, passphrase or password.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from hosts import bulk, facts, preflight, services
from hosts.forms import HostForm, PreflightForm, SSHCredentialForm
from hosts.models import Host, PreflightStatus, SSHCredential
from jobs.models import Job
from portal.audit import audit_describe
from portal.errors import PortalError
from portal.generic import ObjectDeleteView, ObjectDetailView, ObjectEditView, ObjectListView, add_errors


class HostMixin:
    model = Host
    staff_only = True
    select_related = ("credential", "cluster")
    list_url_name = "hosts:host-list"
    detail_url_name = "hosts:host-detail"


class HostListView(HostMixin, ObjectListView):
    template_name = "hosts/host_list.html"
    title = _("Hosts")
    empty_message = _(
        "No hosts yet. Register the machines a cluster is brought up on, one by one or imported from CSV or YAML."
    )
    columns = [
        ("name", _("Name")),
        ("address", _("Address")),
        ("port", _("Port")),
        ("username", _("User")),
        ("host_key_fingerprint", _("Host key")),
        ("labels_text", _("Labels")),
        ("cluster.name", _("Cluster")),
        ("get_role_display", _("Role")),
    ]
    search_fields = ("name", "address")
    create_url_name = "hosts:host-create"


class HostDetailView(HostMixin, ObjectDetailView):
    template_name = "hosts/host_detail.html"
    fields = [
        ("address", _("Address")),
        ("port", _("SSH port")),
        ("username", _("SSH user")),
        ("get_sudo_mode_display", _("Privilege")),
        ("credential.name", _("Credential")),
        ("labels_text", _("Labels")),
        ("host_key_fingerprint", _("Pinned host key (SHA256)")),
        ("cluster.name", _("Cluster")),
        ("get_role_display", _("Role")),
        ("last_seen", _("Last seen")),
    ]
    edit_url_name = "hosts:host-edit"
    delete_url_name = "hosts:host-delete"

    def extra_context(self, obj):
        preflight_checks = preflight.latest_checks(obj)
        return {
            "facts_rows": facts.table(obj.facts),
            # Through the job's steps (one per host), not its JSON params: SQLite has no JSON `contains`.
            "facts_job": Job.objects.filter(kind="hosts.facts", steps__host=obj.name)
            .order_by("-created", "-id")
            .first(),
            "preflight_checks": preflight_checks,
            "preflight_problems": [check for check in preflight_checks if check.status != PreflightStatus.PASS],
        }


class HostEditView(HostMixin, ObjectEditView):
    form_class = HostForm
    title_new = _("New host")

    def save(self, form, obj):
        if obj is None:
            return services.host_create(**form.cleaned_data)
        return services.host_update(host=obj, **form.cleaned_data)


class HostDeleteView(HostMixin, ObjectDeleteView):
    success_url_name = "hosts:host-list"

    def confirm_name(self, obj):
        return obj.name

    def delete(self, obj):
        # No service yet: a host is only a record; jobs keep their history (SET_NULL).
        obj.delete()


class CredentialMixin:
    model = SSHCredential
    staff_only = True
    list_url_name = "hosts:credential-list"
    detail_url_name = "hosts:credential-detail"


class CredentialListView(CredentialMixin, ObjectListView):
    title = _("SSH credentials")
    empty_message = _("No SSH credentials yet. Add the key the portal logs in to hosts with before you register hosts.")
    columns = [
        ("name", _("Name")),
        ("get_kind_display", _("Kind")),
        ("public_key_fingerprint", _("Public key")),
        (lambda c: c.hosts.count(), _("Hosts")),
    ]
    search_fields = ("name",)
    create_url_name = "hosts:credential-create"


class CredentialDetailView(CredentialMixin, ObjectDetailView):
    template_name = "hosts/credential_detail.html"
    fields = [
        ("get_kind_display", _("Kind")),
        ("public_key_fingerprint", _("Public key fingerprint")),
        ("created", _("Created")),
        ("updated", _("Updated")),
    ]
    edit_url_name = "hosts:credential-edit"
    delete_url_name = "hosts:credential-delete"

    def extra_context(self, obj):
        return {"hosts": obj.hosts.all()}


class CredentialEditView(CredentialMixin, ObjectEditView):
    form_class = SSHCredentialForm
    title_new = _("New SSH credential")

    def save(self, form, obj):
        if obj is None:
            return services.ssh_credential_create(**form.cleaned_data)
        return services.ssh_credential_update(credential=obj, **form.cleaned_data)


class CredentialDeleteView(CredentialMixin, ObjectDeleteView):
    success_url_name = "hosts:credential-list"

    def confirm_name(self, obj):
        return obj.name

    def delete(self, obj):
        # Hosts protect the credentials they use: the page then says which.
        obj.delete()


@login_required
def host_key(request, pk):
    """Pin a host's key: the fingerprint of the key it offers, confirmed by
    the admin, or a pasted known_hosts line. Nothing is pinned on a GET."""
    host = get_object_or_404(Host.objects.for_user(request.user), pk=pk)
    if not request.user.is_staff:
        raise PermissionDenied
    error, status = "", 200
    known_hosts_line = request.POST.get("known_hosts_line", "")
    if request.method == "POST":
        audit_describe(request, action="host.pin_host_key", kind="Host", name=host.name)
        try:
            services.host_key_pin(
                host=host, known_hosts_line=known_hosts_line, confirmed_fingerprint=request.POST.get("fingerprint", "")
            )
        except PortalError as exc:
            error, status = exc.message, 400
        else:
            messages.success(
                request,
                gettext("Pinned the host key %(fingerprint)s of %(host)s.")
                % {"fingerprint": host.host_key_fingerprint, "host": host.name},
            )
            return redirect("hosts:host-detail", pk=host.pk)
    offered, fetch_error = None, ""
    try:
        offered = services.host_key_fetch(host=host)
    except PortalError as exc:
        fetch_error = exc.message
    context = {
        "host": host,
        "offered": offered,
        "fetch_error": fetch_error,
        "error": error,
        "known_hosts_line": known_hosts_line,
        "title": gettext("Host key of %(host)s") % {"host": host.name},
    }
    return render(request, "hosts/host_key.html", context, status=status)


@login_required
def host_import(request):
    """Register many hosts from CSV or YAML: all rows, or none with an error per row."""
    if not request.user.is_staff:
        raise PermissionDenied
    fmt, text = request.POST.get("format", "csv"), request.POST.get("text", "")
    error, rows, status = "", [], 200
    if request.method == "POST":
        audit_describe(request, action="host.import", kind="Host")
        try:
            created = bulk.hosts_import(text=text, fmt=fmt)
        except PortalError as exc:
            error, rows, status = exc.message, getattr(exc, "rows", []), 400
        else:
            messages.success(request, gettext("Registered %(count)s hosts.") % {"count": len(created)})
            return redirect("hosts:host-list")
    context = {
        "title": gettext("Import hosts"),
        # The file's own keys, typed as they are in every language.
        "columns": format_html_join(", ", "<code>{}</code>", ((column,) for column in bulk.COLUMNS)),
        "formats": ("csv", "yaml"),
        "format": fmt,
        "text": text,
        "error": error,
        "rows": rows,
    }
    return render(request, "hosts/host_import.html", context, status=status)


def _staff(request) -> None:
    if not request.user.is_staff:
        raise PermissionDenied


@login_required
@require_POST
def host_facts_gather(request, pk):
    """Start a job reading this host's facts, and show it."""
    host = get_object_or_404(Host.objects.for_user(request.user), pk=pk)
    _staff(request)
    audit_describe(request, action="host.gather_facts", kind="Host", name=host.name)
    try:
        job = services.facts_gather(hosts=[host], user=request.user)
    except PortalError as exc:
        messages.error(request, exc.message)
        return redirect("hosts:host-detail", pk=host.pk)
    return redirect("jobs:job-detail", pk=job.pk)


@login_required
def preflight_form(request):
    """Plan a cluster (hosts per role, CIDRs) and start its preflight."""
    _staff(request)
    form, status = PreflightForm(request.POST or None), 200
    if request.method == "POST":
        audit_describe(request, action="host.preflight", kind="Job")
        if form.is_valid():
            data = form.cleaned_data
            try:
                plan = preflight.plan_validate(
                    control_plane=[h.name for h in data["control_plane"]],
                    workers=[h.name for h in data["workers"]],
                    pod_cidr=data["pod_cidr"],
                    service_cidr=data["service_cidr"],
                )
            except PortalError as exc:
                add_errors(form, exc.field_errors, exc.message)
            else:
                job = preflight.preflight_start(plan=plan, user=request.user)
                audit_describe(request, name=job.pk)
                return redirect("hosts:preflight-results", job_id=job.pk)
        status = 400
    context = {"title": gettext("Preflight"), "form": form, "recent": Job.objects.filter(kind=preflight.KIND)[:10]}
    return render(request, "hosts/preflight_form.html", context, status=status)


@login_required
def preflight_results(request, job_id):
    """Results per host and check; the part below the title refreshes while the job runs."""
    _staff(request)
    job = get_object_or_404(Job.objects.for_user(request.user), pk=job_id, kind=preflight.KIND)
    context = {"title": gettext("Preflight #%(id)s") % {"id": job.pk}, **preflight.results(job)}
    if request.headers.get("HX-Request"):
        return render(request, "hosts/_preflight_results.html", context)
    return render(request, "hosts/preflight_results.html", context)
