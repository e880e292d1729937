import re

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clusters.models import Cluster
from portal.forms import PortalModelForm
from portal.roles import MANAGING_ROLES
from portal.teams import Membership, Team
from portal.validators import dns_label
from rbac.choices import ApiTokenAccess
from rbac.models import QuotaPlan, TeamNamespace, token_teams_choosable


class TeamForm(PortalModelForm):
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


class MembershipForm(PortalModelForm):
    # A username typed in, not a list of every account: owners must not browse
    # the portal's users.
    user = forms.CharField(max_length=150, label=_("Username"))

    class Meta:
        model = Membership
        fields = ["user", "role"]

    def clean_user(self):
        username = self.cleaned_data["user"].strip()
        user = get_user_model().objects.filter(is_active=True, username=username).first()
        if user is None:
            raise forms.ValidationError(_("There is no active user named %(name)s."), params={"name": username})
        return user


class MembershipRoleForm(PortalModelForm):
    class Meta:
        model = Membership
        fields = ["role"]


class QuotaPlanForm(PortalModelForm):
    class Meta:
        model = QuotaPlan
        fields = [
            "name",
            "slug",
            "description",
            *QuotaPlan.QUOTA_FIELDS.values(),
            *QuotaPlan.LIMIT_FIELDS,
        ]


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
            self.fields["plan"].queryset = QuotaPlan.objects.exclude(pk=namespace.plan_id)


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
