import re

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from clusters.models import Cluster
from portal.forms import PortalModelForm
from portal.roles import MANAGING_ROLES
from portal.teams import Membership, Team
from portal.validators import dns_label
from rbac.choices import ApiTokenAccess
from rbac.models import QuotaPlan, TeamNamespace, token_teams_choosable

SLUG_HELP = _("Names it in every cluster: lowercase letters, digits and '-'. Left empty, it is made from the name.")


class SlugFromNameForm(PortalModelForm):
    """A new object's slug may be left empty: the service makes it from the
    name, and static/portal/slug.js fills it in as the name is typed."""

    class Media:
        js = ["portal/slug.js"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        slug = self.fields.get("slug")
        if slug is not None and not self.instance.pk:
            slug.required = False
            slug.help_text = SLUG_HELP
            slug.widget.attrs.update({"data-slug-from": self["name"].auto_id, "spellcheck": "false"})


def _none_yet(message, url_name, link_text):
    """The help of a choice with nothing to choose: says so and links to where one is made."""
    return format_html('{} <a href="{}">{}</a>', message, reverse(url_name), link_text)


class TeamForm(SlugFromNameForm):
    class Meta:
        model = Team
        fields = [
            "name",
            "slug",
            "description",
            "max_namespaces",
            "allowed_clusters",
            "allowed_plans",
            "auto_approve_namespaces",
        ]
        widgets = {
            "allowed_clusters": forms.CheckboxSelectMultiple,
            "allowed_plans": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not (self.user and self.user.is_staff):
            # Owners edit the description; the namespace policy is the platform's.
            for field in ("max_namespaces", "allowed_clusters", "allowed_plans", "auto_approve_namespaces"):
                self.fields.pop(field)
            # Shown, not editable: the slug names the team in every cluster (the service refuses it too).
            if self.instance.pk:
                self.fields["slug"].disabled = True
            return
        # An empty list of checkboxes reads as a label with nothing under it: say why, and where to add one.
        if not QuotaPlan.objects.exists():
            self.fields["allowed_plans"].help_text = _none_yet(
                _("There are no quota plans yet."), "teams:quotaplan-create", _("Create a quota plan")
            )
        if not Cluster.objects.exists():
            self.fields["allowed_clusters"].help_text = _none_yet(
                _("There are no clusters yet."), "clusters:cluster-create", _("Import a cluster")
            )


class MembershipForm(PortalModelForm):
    # A username with suggestions (a datalist of rbac.selectors.member_candidates:
    # every active user for admins, people from their other teams for owners,
    # who must not browse the portal's users); any exact username is taken.
    user = forms.CharField(
        max_length=150,
        label=_("User"),
        widget=forms.TextInput(attrs={"list": "member-candidates", "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Pick from the list or type a username."),
    )

    class Meta:
        model = Membership
        fields = ["user", "role"]

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = list(candidates)

    def clean_user(self):
        username = self.cleaned_data["user"].strip()
        user = get_user_model().objects.filter(is_active=True, username=username).first()
        if user is None:
            raise forms.ValidationError(
                _("There is no active user named %(name)s: pick one from the list, or check the spelling."),
                params={"name": username},
            )
        return user


class MembershipRoleForm(PortalModelForm):
    class Meta:
        model = Membership
        fields = ["role"]


QUOTA_AMOUNTS = ("requests_cpu", "limits_cpu", "requests_memory", "limits_memory", "requests_storage")


class QuotaPlanForm(SlugFromNameForm):
    fieldsets = (
        (
            _("ResourceQuota: totals for the namespace"),
            _("What all pods of a namespace may request or be limited to together. Empty: no limit."),
            QUOTA_AMOUNTS,
        ),
        (
            _("ResourceQuota: object counts"),
            _("How many of each object a namespace may hold. Empty: no limit."),
            [field for field in QuotaPlan.QUOTA_FIELDS.values() if field not in QUOTA_AMOUNTS],
        ),
        (
            _("LimitRange: defaults and maxima per container"),
            _(
                "A container that states no request or limit gets the default; none may ask for more than the "
                "maximum. A default request is at most the default limit, which is at most the maximum. "
                "Empty: not set."
            ),
            QuotaPlan.LIMIT_FIELDS,
        ),
    )

    class Meta:
        model = QuotaPlan
        fields = [
            "name",
            "slug",
            "description",
            *QuotaPlan.QUOTA_FIELDS.values(),
            *QuotaPlan.LIMIT_FIELDS,
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "limits_cpu": _("e.g. 8"),
            "limits_memory": _("e.g. 16Gi"),
            "default_request_cpu": _("e.g. 100m"),
            "default_request_memory": _("e.g. 128Mi"),
            "default_limit_cpu": _("e.g. 500m"),
            "default_limit_memory": _("e.g. 512Mi"),
            "max_cpu": _("e.g. 2"),
            "max_memory": _("e.g. 4Gi"),
        }


class TeamNamespaceForm(PortalModelForm):
    """A namespace request: team, cluster, name, plan and the network spec."""

    class Meta:
        model = TeamNamespace
        fields = ["team", "cluster", "name", "plan", "network_isolated"]
        labels = {"team": _("Team"), "cluster": _("Cluster"), "plan": _("Quota plan")}
        help_texts = {"name": _("The Kubernetes namespace name: lowercase letters, digits and '-'.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        teams = Team.objects.for_user(self.user)
        if not self.user.is_staff:
            teams = teams.filter(memberships__user=self.user, memberships__role__in=MANAGING_ROLES)
        self.fields["team"].queryset = teams
        self.fields["cluster"].queryset = Cluster.objects.usable_by(self.user, teams)
        if not self.fields["cluster"].queryset.exists():
            self.fields["cluster"].help_text = _(
                "No cluster is open to your teams yet: a platform admin adds clusters to a team's allowed list."
            )
        plan = self.fields["plan"]
        if len(teams) == 1 and not self.instance.pk:
            # One team to choose: choose it, and offer only the plans it may use (none allowed: every plan).
            self.initial.setdefault("team", teams[0].pk)
            allowed = teams[0].allowed_plans.all()
            if allowed.exists():
                plan.queryset = allowed
        if not plan.queryset.exists():
            plan.help_text = (
                _none_yet(_("There are no quota plans yet."), "teams:quotaplan-create", _("Create a quota plan"))
                if self.user.is_staff
                else _("There are no quota plans yet: a platform admin adds them.")
            )


def namespace_names(text: str) -> list[str]:
    """Namespace names typed one per line or separated by commas or spaces."""
    names = []
    for name in re.split(r"[\s,]+", text or ""):
        if not name:
            continue
        try:
            dns_label(name)
        except ValidationError:
            raise ValidationError(
                _("%(name)s is not a namespace name (lowercase letters, digits and '-')."), params={"name": name}
            ) from None
        if name not in names:
            names.append(name)
    return names


class NamespaceNetworkForm(PortalModelForm):
    """The editable spec of an existing namespace: its default NetworkPolicy,
    and (platform admins only) its plan; others ask for a quota change."""

    ingress_from_namespaces = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        label=_("Also allow traffic from namespaces"),
        help_text=_(
            "When isolated, pods in this namespace accept traffic only from the team's own namespaces "
            "and these (names, one per line)."
        ),
    )

    class Meta:
        model = TeamNamespace
        fields = ["network_isolated", "ingress_from_namespaces", "plan"]
        labels = {"plan": _("Quota plan")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["ingress_from_namespaces"] = "\n".join(self.instance.ingress_from_namespaces or [])
        if not (self.user and self.user.is_staff):
            self.fields.pop("plan")

    def clean_ingress_from_namespaces(self):
        return namespace_names(self.cleaned_data["ingress_from_namespaces"])


class NamespaceRejectForm(forms.Form):
    reason = forms.CharField(required=False, max_length=1000, label=_("Reason"))


class QuotaChangeForm(forms.Form):
    plan = forms.ModelChoiceField(queryset=QuotaPlan.objects.all(), label=_("Requested plan"))
    reason = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label=_("Reason")
    )

    def __init__(self, *args, namespace=None, **kwargs):
        super().__init__(*args, **kwargs)
        if namespace is not None:
            # Only plans the team may move to (none allowed: every plan), not the one it has.
            allowed = namespace.team.allowed_plans.all()
            plans = allowed if allowed.exists() else QuotaPlan.objects.all()
            self.fields["plan"].queryset = plans.exclude(pk=namespace.plan_id)


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, label=_("Name"))
    expires_in_days = forms.IntegerField(
        min_value=1,
        max_value=3650,
        required=False,
        initial=90,
        label=_("Expires in (days)"),
        help_text=_("Leave empty for a token that does not expire."),
    )
    access = forms.ChoiceField(
        choices=ApiTokenAccess.choices,
        widget=forms.RadioSelect,
        # As the API: a token made without a choice reads and writes, as tokens did before scopes.
        required=False,
        initial=ApiTokenAccess.WRITE,
        label=_("Access"),
        help_text=_("A read-only token is refused for anything that changes something."),
    )
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Limit to teams"),
        help_text=_(
            "None ticked: all your teams. A limited token reaches only these teams, in the portal and "
            "in the clusters; a platform admin's limited token acts as a member of these teams only, "
            "without platform-admin rights."
        ),
    )

    def clean_access(self):
        return self.cleaned_data["access"] or ApiTokenAccess.WRITE

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only teams the user is a member of: a token never reaches more than its owner.
        self.fields["teams"].queryset = token_teams_choosable(user)
