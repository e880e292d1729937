"""A kubeadm cluster's hosts after the bring-up, on its page (platform admins
only): add registered hosts as workers, take a worker out.

Both start a job (clusters.bootstrap.lifecycle) and land on its page, where
each host's steps show. The services judge the request, as for the REST API:
a host in another cluster, nothing chosen, the control plane, a change while
another is still running are refused with their messages on the page.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from clusters.bootstrap import lifecycle
from clusters.forms_bootstrap import _HostsChoice
from clusters.models import ClusterBootstrap
from clusters.views import ClusterDetailView, _cluster_for_admin
from hosts.models import Host
from portal.audit import audit_describe
from portal.errors import ConflictError, PortalError
from portal.generic import add_errors


class WorkersAddForm(forms.Form):
    """Registered hosts in no cluster, to join as workers."""

    workers = _HostsChoice(label=gettext_lazy("Hosts to add as workers"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workers"].queryset = Host.objects.filter(cluster__isnull=True).order_by("name")


def lifecycle_context(user, cluster) -> dict:
    """The cluster page's part: the add form, when the portal brought the cluster up."""
    if not user.is_staff or not ClusterBootstrap.objects.filter(cluster=cluster).exists():
        return {}
    return {"workers_form": WorkersAddForm()}


def _refused_status(exc: PortalError) -> int:
    return 409 if isinstance(exc, ConflictError) else 400


@login_required
@require_POST
def cluster_workers_add(request, slug):
    """Join the chosen free hosts to the cluster as workers; on to the job."""
    cluster = _cluster_for_admin(request, slug)
    audit_describe(request, action="cluster.workers_add", kind="Cluster", cluster=cluster.slug, name=cluster.slug)
    form = WorkersAddForm(request.POST)
    status = 400
    if form.is_valid():
        names = [host.name for host in form.cleaned_data["workers"]]
        try:
            job = lifecycle.cluster_workers_add(cluster=cluster, workers=names, user=request.user)
        except PortalError as exc:
            add_errors(form, exc.field_errors, exc.message)
            status = _refused_status(exc)
        else:
            messages.success(
                request,
                _("Adding %(hosts)s to %(cluster)s: follow each host below.")
                % {"hosts": ", ".join(names), "cluster": cluster},
            )
            return redirect("jobs:job-detail", pk=job.pk)
    # The cluster's page again, with the choices and the reasons next to the form.
    page = ClusterDetailView()
    page.setup(request, slug=slug)
    return page.render_page(cluster, status=status, workers_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def cluster_host_remove(request, slug, pk):
    """Ask for the host's name, then drain it, `kubeadm reset` it and delete its Node."""
    cluster = _cluster_for_admin(request, slug)
    host = get_object_or_404(Host.objects.for_user(request.user), pk=pk, cluster=cluster)
    error, status = "", 200
    if request.method == "POST":
        audit_describe(request, action="cluster.host_remove", kind="Host", cluster=cluster.slug, name=host.name)
        if request.POST.get("confirm", "").strip() != host.name:
            error, status = _("Type %(name)s to confirm.") % {"name": host.name}, 400
        else:
            try:
                job = lifecycle.cluster_node_remove(cluster=cluster, host=host, user=request.user)
            except PortalError as exc:
                error, status = exc.message, _refused_status(exc)
            else:
                messages.success(
                    request,
                    _("Removing %(host)s from %(cluster)s: drain, kubeadm reset, then the Node is deleted.")
                    % {"host": host.name, "cluster": cluster},
                )
                return redirect("jobs:job-detail", pk=job.pk)
    return render(
        request,
        "clusters/host_remove.html",
        {
            "cluster": cluster,
            "host": host,
            "title": _("Remove %(host)s from %(cluster)s") % {"host": host.name, "cluster": cluster},
            "breadcrumbs": [
                (reverse("clusters:cluster-list"), _("Clusters")),
                (reverse("clusters:cluster-detail", args=[cluster.slug]), cluster.name),
            ],
            "error": error,
        },
        status=status,
    )
