"""HTML pages for teams, members, quota plans and team namespaces."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.audit import audit_describe
from portal.errors import PortalError
from portal.generic import ObjectDeleteView, ObjectDetailView, ObjectEditView, ObjectListView, add_errors
from portal.roles import TeamRole
from portal.teams import Membership, Team
from portal.throttling import throttled
from rbac import services
from rbac.choices import NamespacePhase
from rbac.forms import MembershipForm, MembershipRoleForm, QuotaPlanForm, TeamForm
from rbac.models import QuotaPlan
from rbac.role_table import PLATFORM_ADMINS, code_spans, role_rows
from rbac.selectors import member_candidates, team_quota_totals
from rbac.team_kubeconfig import team_kubeconfig


class TeamMixin:
    model = Team
    lookup_field = "slug"
    list_url_name = "teams:team-list"
    detail_url_name = "teams:team-detail"

    def may_change(self, obj):
        if obj is None:
            return self.request.user.is_staff
        return self.request.user.is_staff or obj.role_of(self.request.user) == TeamRole.OWNER

    def may_delete(self, obj):
        # Deleting a team ends its namespaces: a platform decision, not an owner's.
        return self.request.user.is_staff

    def audit_target(self, obj):
        return {"team": obj if obj.pk else None, "name": obj.slug}


class TeamListView(TeamMixin, ObjectListView):
    title = gettext_lazy("Teams")
    empty_message = gettext_lazy("No teams yet. A team holds namespaces and the people who work in them.")
    empty_hint = gettext_lazy("You are in no team yet: ask a team owner or a platform admin to add you.")
    columns = [
        ("name", gettext_lazy("Name")),
        ("slug", gettext_lazy("Slug")),
        (lambda t: t.memberships.count(), gettext_lazy("Members")),
        (lambda t: t.namespaces.count(), gettext_lazy("Namespaces")),
    ]
    search_fields = ("name", "slug")
    create_url_name = "teams:team-create"


class TeamDetailView(TeamMixin, ObjectDetailView):
    template_name = "rbac/team_detail.html"
    fields = [
        ("slug", gettext_lazy("Slug")),
        ("description", gettext_lazy("Description")),
        ("max_namespaces", gettext_lazy("Maximum namespaces")),
        ("auto_approve_namespaces", gettext_lazy("Namespace requests approved automatically")),
    ]
    edit_url_name = "teams:team-edit"
    delete_url_name = "teams:team-delete"

    def extra_context(self, obj):
        namespaces = list(obj.namespaces.select_related("cluster", "plan"))
        totals, counted = team_quota_totals(namespaces)
        return {
            "memberships": obj.memberships.select_related("user"),
            "namespaces": namespaces,
            "quota_totals": totals,
            "quota_counted": counted,
            "is_member": obj.role_of(self.request.user) is not None,
            "member_form": self.member_form(obj),
            "role_choices": TeamRole.choices,
            "allowed_clusters": obj.allowed_clusters.all(),
        }

    def member_form(self, team, data=None):
        """The add-member form, with its suggestions for those who may add members."""
        user = self.request.user
        candidates = member_candidates(team=team, user=user) if self.may_change(team) else ()
        return MembershipForm(data, user=user, candidates=candidates)


class MembershipAddView(TeamDetailView):
    """Adds a member from the team page; bad input re-renders the page with the
    form's errors and what was typed (status 400)."""

    def get(self, request, **kwargs):
        return redirect("teams:team-detail", slug=kwargs["slug"])

    def post(self, request, **kwargs):
        team = self.get_object()
        self.check_may_change(team)
        form = self.member_form(team, request.POST)
        audit_describe(request, action="membership.create", kind="Membership", team=team)
        if form.is_valid():
            try:
                membership = services.membership_create(team=team, **form.cleaned_data)
            except PortalError as exc:
                add_errors(form, exc.field_errors, exc.message)
            else:
                audit_describe(request, name=f"{team.slug}/{membership.user.username}")
                messages.success(request, _("Added %(user)s.") % {"user": membership.user})
                return redirect("teams:team-detail", slug=team.slug)
        return self.render_page(team, status=400, member_form=form)


class TeamEditView(TeamMixin, ObjectEditView):
    form_class = TeamForm
    title_new = gettext_lazy("New team")

    def save(self, form, obj):
        data = dict(form.cleaned_data)
        if obj is None:
            return services.team_create(**data)
        return services.team_update(team=obj, by=self.request.user, **data)


class TeamDeleteView(TeamMixin, ObjectDeleteView):
    success_url_name = "teams:team-list"

    def delete(self, obj):
        services.team_delete(team=obj)


def _team_for_owner(request, slug) -> Team:
    team = get_object_or_404(Team.objects.for_user(request.user), slug=slug)
    if not (request.user.is_staff or team.role_of(request.user) == TeamRole.OWNER):
        raise PermissionDenied
    return team


@login_required
@require_POST
def membership_change(request, slug, pk):
    team = _team_for_owner(request, slug)
    membership = get_object_or_404(Membership.objects.select_related("user"), team=team, pk=pk)
    audit_describe(request, kind="Membership", team=team, name=f"{team.slug}/{membership.user.username}")
    try:
        if request.POST.get("remove"):
            audit_describe(request, action="membership.delete")
            services.membership_delete(membership=membership)
            messages.success(request, _("Removed %(user)s.") % {"user": membership.user})
        else:
            audit_describe(request, action="membership.update")
            form = MembershipRoleForm(request.POST, instance=membership, user=request.user)
            if not form.is_valid():
                messages.error(request, _("Choose a valid role."))
            else:
                services.membership_update(membership=membership, role=form.cleaned_data["role"])
                messages.success(request, _("Changed the role of %(user)s.") % {"user": membership.user})
    except PortalError as exc:
        messages.error(request, exc.message)
    return redirect("teams:team-detail", slug=team.slug)


class QuotaPlanMixin:
    model = QuotaPlan
    lookup_field = "slug"
    list_url_name = "teams:quotaplan-list"
    detail_url_name = "teams:quotaplan-detail"


class QuotaPlanListView(QuotaPlanMixin, ObjectListView):
    title = gettext_lazy("Quota plans")
    empty_message = gettext_lazy(
        "No quota plans yet. Every namespace gets one: add a plan before namespaces are requested."
    )
    empty_hint = gettext_lazy("A platform admin adds the quota plans namespaces are given.")
    columns = [
        ("name", gettext_lazy("Name")),
        ("requests_cpu", gettext_lazy("CPU requests")),
        ("requests_memory", gettext_lazy("Memory requests")),
        ("limits_cpu", gettext_lazy("CPU limits")),
        ("limits_memory", gettext_lazy("Memory limits")),
        ("pods", gettext_lazy("Pods")),
    ]
    search_fields = ("name", "slug")
    create_url_name = "teams:quotaplan-create"


def limit_range_table(plan: QuotaPlan):
    """A plan's LimitRange as quantities in a small table (default request,
    default limit, maximum by CPU and memory), or nothing when it sets none."""
    item = plan.limit_range_container()
    if set(item) == {"type"}:
        return None
    labels = (
        ("defaultRequest", gettext("Default request")),
        ("default", gettext("Default limit")),
        ("max", gettext("Maximum")),
    )
    rows = [(label, item.get(key, {}).get("cpu"), item.get(key, {}).get("memory")) for key, label in labels]
    return render_to_string("rbac/_limit_range.html", {"rows": rows})


class QuotaPlanDetailView(QuotaPlanMixin, ObjectDetailView):
    fields = [
        ("slug", gettext_lazy("Slug")),
        ("description", gettext_lazy("Description")),
        (lambda p: p.resource_quota_hard(), gettext_lazy("ResourceQuota hard limits")),
        (limit_range_table, gettext_lazy("LimitRange for containers")),
    ]
    edit_url_name = "teams:quotaplan-edit"
    delete_url_name = "teams:quotaplan-delete"


class QuotaPlanEditView(QuotaPlanMixin, ObjectEditView):
    form_class = QuotaPlanForm
    title_new = gettext_lazy("New quota plan")

    def save(self, form, obj):
        if obj is None:
            return services.quota_plan_create(**form.cleaned_data)
        return services.quota_plan_update(plan=obj, **form.cleaned_data)


class QuotaPlanDeleteView(QuotaPlanMixin, ObjectDeleteView):
    success_url_name = "teams:quotaplan-list"

    def delete(self, obj):
        services.quota_plan_delete(plan=obj)


@login_required
@require_POST
@throttled("kubeconfig")  # the API's minting budget, shared
def team_kubeconfig_download(request, slug):
    """A kubeconfig for the member's team namespaces, with freshly issued
    short-lived tokens: sent once as a download, never stored."""
    team = get_object_or_404(Team.objects.for_user(request.user), slug=slug)
    audit_describe(request, action="team.kubeconfig", kind="Team", team=team, name=team.slug)
    try:
        # A cluster without credentials would fail deep in the service; say so plainly.
        without = team.role_of(request.user) and sorted(
            {
                ns.cluster.name
                for ns in team.namespaces.filter(phase=NamespacePhase.READY).select_related("cluster")
                if not ns.cluster.kubeconfig
            }
        )
        if without:
            raise PortalError(
                _("Cluster %(clusters)s has no credentials; ask a platform admin to replace them.")
                % {"clusters": ", ".join(without)}
            )
        text = team_kubeconfig(user=request.user, team=team)
    except PortalError as exc:
        messages.error(request, exc.message)
        return redirect("teams:team-detail", slug=team.slug)
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kubeconfig-{team.slug}.yaml"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def access_overview(request):
    """What each team role may do (rbac/role_table.py: the same table as the
    README and the API docs), and the memberships the user can see."""
    memberships = Membership.objects.for_user(request.user).select_related("team", "user")
    header, *rows = role_rows(translate=gettext)
    return render(
        request,
        "rbac/access_overview.html",
        {
            "memberships": memberships,
            "role_header": header,
            "role_rows": [[code_spans(cell) for cell in row] for row in rows],
            "platform_admins": gettext(PLATFORM_ADMINS),
        },
    )
