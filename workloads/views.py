"""Workload pages. The cluster is the source of truth: nothing is mirrored here."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.errors import PortalError
from rbac.choices import EDITING_ROLES, NamespacePhase
from rbac.models import TeamNamespace
from rbac.views_namespaces import _audit, _namespace_for, _render_namespace
from workloads import services
from workloads.forms import DeploymentForm

# Kubernetes field paths of a Deployment -> the form field that set them.
DEPLOYMENT_FIELDS = {
    "metadata.name": "name",
    "spec.replicas": "replicas",
    "spec.template.spec.containers[0].image": "image",
    "spec.template.spec.containers[0].name": "name",
}


@login_required
def workload_index(request):
    """The namespaces whose workloads the user may see, by team and cluster."""
    namespaces = (
        TeamNamespace.objects.for_user(request.user)
        .filter(phase=NamespacePhase.READY)
        .select_related("team", "cluster")
    )
    return render(request, "workloads/index.html", {"namespaces": namespaces})


@login_required
@require_POST
def deployment_create(request, pk):
    """Deploy a small workload into a team namespace, as the user (impersonated):
    the API server's RBAC and quota admission decide, and say why not."""
    namespace = _namespace_for(request, pk)
    if namespace.team.role_of(request.user) not in EDITING_ROLES:
        raise PermissionDenied(_("Your role does not allow this change."))
    _audit(request, namespace, "deployment.create")
    form = DeploymentForm(request.POST)
    if form.is_valid():
        try:
            services.deployment_create(user=request.user, namespace=namespace, **form.cleaned_data)
        except PortalError as exc:
            placed = False
            for path, errors in exc.field_errors.items():
                for prefix, field in DEPLOYMENT_FIELDS.items():
                    if path.startswith(prefix):
                        for error in errors:
                            form.add_error(field, f"{path}: {error}")
                        placed = True
                        break
            if not placed:
                form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Created deployment %(name)s in %(namespace)s.")
                % {"name": form.cleaned_data["name"], "namespace": namespace},
            )
            return redirect("teams:namespace-detail", pk=namespace.pk)
    return _render_namespace(request, namespace, 400, deploy_form=form)
