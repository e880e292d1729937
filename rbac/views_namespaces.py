"""Team namespace pages: request, approval, spec next to status, live quota,
quota change requests, the network policy spec, deletion as a job."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clusters import kube
from portal.audit import audit_describe
from portal.errors import PortalError
from portal.generic import ObjectDeleteView, ObjectDetailView, ObjectEditView, ObjectListView
from portal.quantities import quota_bars
from portal.roles import EDITING_ROLES, MANAGING_ROLES
from portal.teams import Membership
from portal.templatetags.status import state_column
from rbac import live, services, tenancy
from rbac.choices import NamespacePhase
from rbac.conditions import shown as shown_conditions
from rbac.forms import NamespaceNetworkForm, NamespaceRejectForm, QuotaChangeForm, TeamNamespaceForm
from rbac.models import QuotaChangeRequest, TeamNamespace
from rbac.selectors import IN_CLUSTER

# Phases that end by themselves, without anyone acting: the page refreshes
# itself (htmx) until the namespace is ready, failed or deleted.
CHANGING = (NamespacePhase.PROVISIONING, NamespacePhase.TERMINATING)
# htmx stops polling on this status (and swaps the answer in).
STOP_POLLING = 286


class NamespaceMixin:
    model = TeamNamespace
    select_related = ("team", "cluster", "plan")
    list_url_name = "teams:namespace-list"
    detail_url_name = "teams:namespace-detail"

    def may_change(self, obj):
        user = self.request.user
        if user.is_staff:
            return True
        if obj is None:
            return Membership.objects.filter(user=user, role__in=MANAGING_ROLES).exists()
        return obj.team.role_of(user) in MANAGING_ROLES

    def audit_target(self, obj):
        return {"team": obj.team, "cluster": obj.cluster.slug, "namespace": obj.name, "name": obj.name}

    def parent_crumbs(self, obj):
        # A namespace is its team's: Teams > team > namespace.
        if obj is None:
            return None
        return [
            (reverse("teams:team-list"), _("Teams")),
            (reverse("teams:team-detail", args=[obj.team.slug]), obj.team.name),
        ]


class NamespaceListView(NamespaceMixin, ObjectListView):
    title = gettext_lazy("Namespaces")
    empty_message = gettext_lazy("No namespaces yet. Request one for your team; a platform admin approves it.")
    empty_action = gettext_lazy("Request a namespace")
    empty_hint = gettext_lazy("Team owners and maintainers request namespaces for their team.")
    columns = [
        ("name", gettext_lazy("Name")),
        ("team.name", gettext_lazy("Team")),
        ("cluster.name", gettext_lazy("Cluster")),
        ("plan.name", gettext_lazy("Quota plan")),
        (state_column("phase"), gettext_lazy("Phase")),
    ]
    search_fields = ("name", "team__name", "cluster__name")
    filters = [("phase", gettext_lazy("Phase"), NamespacePhase.choices)]
    create_url_name = "teams:namespace-create"
    changing = ("phase", (NamespacePhase.PROVISIONING, NamespacePhase.TERMINATING))

    def links_to(self, obj) -> bool:
        # A deleted or rejected namespace's record stays for the history; there is no page worth opening.
        return not obj.is_gone


def live_quota(user, namespace) -> tuple[list[dict], str]:
    """Quota bars read live (as the user; platform admins with the portal's
    credential), or a message saying why they cannot be read now."""
    if namespace.phase not in IN_CLUSTER:
        return [], ""
    try:
        quota = live.namespace_quota(user=user, namespace=namespace)
    except kube.KubeNotFound:
        return [], _("The namespace has no quota in the cluster yet: it has not been provisioned.")
    except kube.KubeError as exc:
        return [], _("The quota cannot be read from cluster %(cluster)s right now: %(message)s") % {
            "cluster": namespace.cluster,
            "message": exc.message,
        }
    return quota_bars(quota), ""


def live_pods(user, namespace) -> tuple[list[dict] | None, str]:
    if namespace.phase not in IN_CLUSTER:
        return None, ""
    try:
        return live.pods_list(user=user, namespace=namespace), ""
    except kube.KubeError as exc:
        return None, exc.message


class NamespaceDetailView(NamespaceMixin, ObjectDetailView):
    template_name = "rbac/namespace_detail.html"

    def extra_context(self, obj):
        user = self.request.user
        role = obj.team.role_of(user)
        conditions = obj.conditions or []
        quota, quota_error = live_quota(user, obj)
        pods, pods_error = live_pods(user, obj)
        changes = obj.quota_changes.select_related("plan", "previous_plan", "requested_by", "decided_by")[:10]
        return {
            "role": role,
            "may_manage": user.is_staff or role in MANAGING_ROLES,
            "may_deploy": role in EDITING_ROLES and obj.phase == NamespacePhase.READY,
            # Stored as reason codes and parameters: the sentences are made here, in the reader's language.
            "status_conditions": shown_conditions([c for c in conditions if c.get("type") != "DriftRepaired"]),
            "drift_repairs": list(reversed([c for c in conditions if c.get("type") == "DriftRepaired"])),
            "quota": quota,
            "quota_error": quota_error,
            "observed_quota": (obj.observed or {}).get("quota") or {},
            "pods": pods,
            "pods_error": pods_error,
            "quota_changes": changes,
            "pending_change": any(c.status == QuotaChangeRequest.Status.PENDING for c in changes),
            "quota_change_form": QuotaChangeForm(namespace=obj),
            "reject_form": NamespaceRejectForm(),
            "in_cluster": obj.phase in IN_CLUSTER,
            "live": {
                "waiting": obj.phase in CHANGING,
                "url": reverse("teams:namespace-live", args=[obj.pk]),
            },
        }


class NamespaceLiveView(NamespaceDetailView):
    """The namespace's page for its own poll (htmx picks the parts it shows):
    status 286, which stops the polling, once the phase has settled."""

    def render_page(self, obj, *, status=200, **extra):
        response = super().render_page(obj, status=status, **extra)
        if response.status_code == 200 and obj.phase not in CHANGING:
            response.status_code = STOP_POLLING
        return response


class NamespaceEditView(NamespaceMixin, ObjectEditView):
    """Request a namespace (new), or edit an existing one's network policy
    spec (and, for platform admins, its plan); the reconciler applies it."""

    form_class = TeamNamespaceForm
    title_new = gettext_lazy("Request a namespace")

    def get_form(self, obj, data=None, files=None):
        form_class = NamespaceNetworkForm if obj is not None else TeamNamespaceForm
        return form_class(data=data, files=files, instance=obj, user=self.request.user)

    def form_title(self, obj):
        if obj is None:
            return self.title_new
        return _("Network policy and plan of %(namespace)s") % {"namespace": obj}

    def save(self, form, obj):
        data = dict(form.cleaned_data)
        if obj is None:
            team = data["team"]
            if not (self.request.user.is_staff or team.role_of(self.request.user) in MANAGING_ROLES):
                raise PermissionDenied
            return services.team_namespace_request(requested_by=self.request.user, **data)
        return services.team_namespace_update(namespace=obj, **data)


class NamespaceDeleteView(NamespaceMixin, ObjectDeleteView):
    """A request that never reached a cluster is forgotten; a namespace in a
    cluster is deleted by a job that waits for it to finalize."""

    success_url_name = "teams:namespace-list"

    def confirm_name(self, obj):
        return obj.name

    def render_page(self, obj, *, error="", status=200):
        self.warning = (
            _(
                "This deletes the namespace %(name)s from cluster %(cluster)s, with every workload, "
                "volume claim and secret in it."
            )
            % {"name": obj.name, "cluster": obj.cluster}
            if obj.phase in IN_CLUSTER
            else _("This withdraws the request; nothing exists in the cluster yet.")
        )
        return super().render_page(obj, error=error, status=status)

    def post(self, request, **kwargs):
        obj = self.get_object()
        if obj.phase in IN_CLUSTER:
            self.check_may_change(obj)
            self.audit(obj, "teamnamespace.delete")
            try:
                job = tenancy.team_namespace_delete_start(
                    namespace=obj, user=request.user, confirm=request.POST.get("confirm", "").strip()
                )
            except PortalError as exc:
                return self.render_page(obj, error=exc.message, status=exc.status_code)
            messages.success(request, _("Deleting %(namespace)s.") % {"namespace": obj})
            return redirect("jobs:job-detail", pk=job.pk)
        return super().post(request, **kwargs)

    def delete(self, obj):
        services.team_namespace_delete(namespace=obj)


def _namespace_for(request, pk) -> TeamNamespace:
    return get_object_or_404(
        TeamNamespace.objects.for_user(request.user).select_related("team", "cluster", "plan"), pk=pk
    )


def _audit(request, namespace, action):
    audit_describe(
        request,
        action=action,
        kind="TeamNamespace",
        team=namespace.team,
        cluster=namespace.cluster.slug,
        namespace=namespace.name,
        name=namespace.name,
    )


def _render_namespace(request, namespace, status, **extra):
    view = NamespaceDetailView()
    view.setup(request, pk=namespace.pk)
    return view.render_page(namespace, status=status, **extra)


@login_required
def pending_namespaces(request):
    """Namespace requests waiting for a platform admin."""
    if not request.user.is_staff:
        raise PermissionDenied(_("Only platform admins may see this."))
    pending = TeamNamespace.objects.filter(phase=NamespacePhase.PENDING_APPROVAL).select_related(
        "team", "cluster", "plan", "requested_by"
    )
    changes = QuotaChangeRequest.objects.filter(status=QuotaChangeRequest.Status.PENDING).select_related(
        "namespace__team", "namespace__cluster", "plan", "previous_plan", "requested_by"
    )
    return render(
        request,
        "rbac/namespace_pending.html",
        {"pending": pending, "changes": changes, "reject_form": NamespaceRejectForm()},
    )


def _staff_namespace(request, pk) -> TeamNamespace:
    namespace = _namespace_for(request, pk)
    if not request.user.is_staff:
        raise PermissionDenied(_("Only platform admins may decide namespace requests."))
    return namespace


def _back(request, namespace):
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("teams:namespace-detail", pk=namespace.pk)


@login_required
@require_POST
def namespace_approve(request, pk):
    namespace = _staff_namespace(request, pk)
    _audit(request, namespace, "teamnamespace.approve")
    try:
        tenancy.team_namespace_approve(namespace=namespace, user=request.user)
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Approved %(namespace)s; it is being provisioned.") % {"namespace": namespace})
    return _back(request, namespace)


@login_required
@require_POST
def namespace_reject(request, pk):
    namespace = _staff_namespace(request, pk)
    _audit(request, namespace, "teamnamespace.reject")
    form = NamespaceRejectForm(request.POST)
    if not form.is_valid():
        return _render_namespace(request, namespace, 400, reject_form=form)
    try:
        tenancy.team_namespace_reject(namespace=namespace, user=request.user, reason=form.cleaned_data["reason"])
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Rejected %(namespace)s.") % {"namespace": namespace})
    return _back(request, namespace)


@login_required
@require_POST
def quota_change_create(request, pk):
    """A maintainer or owner asks for another quota plan."""
    namespace = _namespace_for(request, pk)
    if not (request.user.is_staff or namespace.team.role_of(request.user) in MANAGING_ROLES):
        raise PermissionDenied(_("Your role does not allow this change."))
    _audit(request, namespace, "quotachange.create")
    form = QuotaChangeForm(request.POST, namespace=namespace)
    if form.is_valid():
        try:
            tenancy.quota_change_request(
                namespace=namespace,
                plan=form.cleaned_data["plan"],
                user=request.user,
                reason=form.cleaned_data["reason"],
            )
        except PortalError as exc:
            if "plan" in exc.field_errors:
                form.add_error("plan", exc.message)
            else:
                form.add_error(None, exc.message)
        else:
            messages.success(request, _("Asked for plan %(plan)s.") % {"plan": form.cleaned_data["plan"]})
            return redirect("teams:namespace-detail", pk=namespace.pk)
    return _render_namespace(request, namespace, 400, quota_change_form=form)


@login_required
@require_POST
def quota_change_decide(request, pk):
    change = get_object_or_404(QuotaChangeRequest.objects.for_user(request.user).select_related("namespace"), pk=pk)
    if not request.user.is_staff:
        raise PermissionDenied(_("Only platform admins may decide quota changes."))
    approve = request.POST.get("decision") == "approve"
    _audit(request, change.namespace, "quotachange.approve" if approve else "quotachange.reject")
    try:
        tenancy.quota_change_decide(change=change, user=request.user, approve=approve)
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            (
                _("Approved plan %(plan)s for %(namespace)s.")
                if approve
                else _("Rejected plan %(plan)s for %(namespace)s.")
            )
            % {"plan": change.plan, "namespace": change.namespace},
        )
    return _back(request, change.namespace)


# --- per-team totals ------------------------------------------------------------
