"""Pages of cluster grants (rbac/grants.py): list with each grant's state,
detail, create and edit through the same services as the API, delete."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.forms import PortalModelForm, code_help
from portal.generic import ObjectDeleteView, ObjectDetailView, ObjectEditView, ObjectListView
from portal.templatetags.status import state_column
from rbac import services_grants
from rbac.grants import SUBJECT_KINDS, ClusterGrant


def _subject_lines(subjects) -> str:
    return "\n".join(
        f"ServiceAccount:{s['namespace']}/{s['name']}" if s["kind"] == "ServiceAccount" else f"{s['kind']}:{s['name']}"
        for s in subjects or []
    )


class ClusterGrantForm(PortalModelForm):
    subject_lines = forms.CharField(
        label=gettext_lazy("Other subjects"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocapitalize": "off"}),
        help_text=gettext_lazy("One per line: User:<name>, Group:<name> or ServiceAccount:<namespace>/<name>."),
    )

    class Meta:
        model = ClusterGrant
        fields = ["cluster", "name", "role", "teams", "team_role"]
        widgets = {"teams": forms.CheckboxSelectMultiple}
        help_texts = {"role": code_help(gettext_lazy("The ClusterRole to bind, e.g. {example}."), example="view")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["subject_lines"].initial = _subject_lines(self.instance.subjects)
            for fixed in ("cluster", "name"):  # the binding's place and name stay
                self.fields[fixed].disabled = True

    def clean_subject_lines(self) -> list[dict]:
        subjects = []
        for number, line in enumerate(self.cleaned_data["subject_lines"].splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            kind, _sep, name = line.partition(":")
            if kind not in SUBJECT_KINDS or not name.strip():
                raise forms.ValidationError(
                    _("Line %(number)s: write User:<name>, Group:<name> or ServiceAccount:<namespace>/<name>.")
                    % {"number": number}
                )
            if kind == "ServiceAccount":
                namespace, _slash, account = name.partition("/")
                if not namespace or not account:
                    raise forms.ValidationError(
                        _("Line %(number)s: a ServiceAccount is <namespace>/<name>.") % {"number": number}
                    )
                subjects.append({"kind": kind, "name": account.strip(), "namespace": namespace.strip()})
            else:
                subjects.append({"kind": kind, "name": name.strip()})
        return subjects


class GrantMixin:
    model = ClusterGrant
    staff_only = True
    list_url_name = "rbac:grant-list"
    detail_url_name = "rbac:grant-detail"
    select_related = ("cluster",)


class GrantListView(GrantMixin, ObjectListView):
    title = gettext_lazy("Cluster grants")
    empty_message = gettext_lazy(
        "No cluster grants yet. A grant binds a ClusterRole to teams or accounts on one cluster."
    )
    columns = [
        ("name", gettext_lazy("Name")),
        ("cluster.name", gettext_lazy("Cluster")),
        ("role", gettext_lazy("ClusterRole")),
        (lambda g: ", ".join(t.slug for t in g.teams.all()) or "—", gettext_lazy("Teams")),
        (state_column("phase"), gettext_lazy("State")),
        ("message_display", gettext_lazy("Message")),
    ]
    search_fields = ("name", "role")
    create_url_name = "rbac:grant-create"


class GrantDetailView(GrantMixin, ObjectDetailView):
    fields = [
        ("cluster.name", gettext_lazy("Cluster")),
        ("binding_name", gettext_lazy("ClusterRoleBinding")),
        ("role", gettext_lazy("ClusterRole")),
        (lambda g: ", ".join(t.slug for t in g.teams.all()) or "—", gettext_lazy("Teams")),
        ("get_team_role_display", gettext_lazy("Team role")),
        (lambda g: _subject_lines(g.subjects) or "—", gettext_lazy("Other subjects")),
        (state_column("phase"), gettext_lazy("State")),
        ("message_display", gettext_lazy("Message")),
        ("observed", gettext_lazy("Last reconciled")),
    ]
    edit_url_name = "rbac:grant-edit"
    delete_url_name = "rbac:grant-delete"


class GrantEditView(GrantMixin, ObjectEditView):
    form_class = ClusterGrantForm
    title_new = gettext_lazy("New cluster grant")

    def save(self, form, obj):
        data = dict(form.cleaned_data)
        data["subjects"] = data.pop("subject_lines")
        data["teams"] = list(data["teams"])
        if obj is None:
            return services_grants.grant_create(user=self.request.user, **data)
        return services_grants.grant_update(grant=obj, user=self.request.user, **data)


class GrantDeleteView(GrantMixin, ObjectDeleteView):
    success_url_name = "rbac:grant-list"

    def delete(self, obj):
        services_grants.grant_delete(grant=obj)
