from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from clusters.models import Cluster
from portal.forms import PortalModelForm
from rbac.models import Membership, QuotaPlan, Team, TeamNamespace


class TeamForm(PortalModelForm):
    class Meta:
        model = Team
        fields = ["name", "slug", "description", "max_namespaces", "allowed_clusters", "auto_approve_namespaces"]
        widgets = {"allowed_clusters": forms.CheckboxSelectMultiple, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not (self.user and self.user.is_staff):
            # Owners edit the description; the namespace policy is the platform's.
            for field in ("max_namespaces", "allowed_clusters", "auto_approve_namespaces"):
                self.fields.pop(field)


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
            "default_request_cpu",
            "default_request_memory",
            "default_limit_cpu",
            "default_limit_memory",
            "max_cpu",
            "max_memory",
        ]


class TeamNamespaceForm(PortalModelForm):
    class Meta:
        model = TeamNamespace
        fields = ["team", "cluster", "name", "plan", "network_isolated"]
        labels = {"team": _("Team"), "cluster": _("Cluster"), "plan": _("Quota plan")}
        help_texts = {"name": _("The Kubernetes namespace name: lowercase letters, digits and '-'.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from rbac.choices import MANAGING_ROLES

        teams = Team.objects.for_user(self.user)
        if not self.user.is_staff:
            teams = teams.filter(memberships__user=self.user, memberships__role__in=MANAGING_ROLES)
        self.fields["team"].queryset = teams
        self.fields["cluster"].queryset = (
            Cluster.objects.for_user(self.user) if not self.user.is_staff else Cluster.objects.all()
        )
        if self.instance.pk:
            for field in ("team", "cluster", "name"):
                self.fields[field].disabled = True


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
