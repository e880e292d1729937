"""The "who can do what" question as the page and the API ask it: one form
checks the input (400 per field, a message per field on the page), one
function asks the API server (rbac/access_review.py) and shapes the answer."""

from django import forms
from django.utils.translation import gettext_lazy as _

from clusters.models import Cluster
from portal.forms import code_help
from rbac import access_review as review
from rbac.models import TeamNamespace

NAMESPACE_NAME = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
SUBJECT_CHOICES = [
    ("portal-user", _("Portal user")),
    ("team", _("Team")),
    ("group", _("Kubernetes group")),
    ("serviceaccount", _("ServiceAccount")),
    ("user", _("Kubernetes user")),
]


class WhoCanForm(forms.Form):
    cluster = forms.SlugField(label=_("Cluster"))
    namespace = forms.RegexField(label=_("Namespace"), regex=NAMESPACE_NAME)
    subject_kind = forms.ChoiceField(label=_("Subject kind"), choices=SUBJECT_CHOICES)
    subject = forms.CharField(
        label=_("Subject"),
        max_length=253,
        help_text=_("A username, team slug, group, or ServiceAccount as <namespace>:<name>."),
    )
    # Optional: "can they do this?"
    verb = forms.CharField(
        label=_("Verb"), max_length=32, required=False, help_text=code_help(_("e.g. {example}"), example="create")
    )
    resource = forms.CharField(label=_("Resource"), max_length=128, required=False, help_text=_("e.g. deployments"))
    group = forms.CharField(
        label=_("API group"),
        max_length=253,
        required=False,
        help_text=code_help(_("e.g. {example}; empty for core"), example="apps"),
    )
    subresource = forms.CharField(label=_("Subresource"), max_length=64, required=False)
    resource_name = forms.CharField(label=_("Object name"), max_length=253, required=False)

    def clean_cluster(self):
        cluster = Cluster.objects.filter(slug=self.cleaned_data["cluster"]).first()
        if cluster is None:
            raise forms.ValidationError(_("No such cluster."))
        return cluster

    def clean(self):
        data = super().clean()
        if bool(data.get("verb")) != bool(data.get("resource")):
            missing = "resource" if data.get("verb") else "verb"
            self.add_error(missing, _("Give the verb and the resource together, or neither."))
        return data


def answer(asker, form: WhoCanForm) -> dict:
    """The subject's rules in the namespace and, when a verb and resource
    were given, whether they may do it; refused for askers who may not ask."""
    data = form.cleaned_data
    cluster = data["cluster"]
    subject = review.subject_for(data["subject_kind"], data["subject"])
    held = TeamNamespace.objects.select_related("team").filter(cluster=cluster, name=data["namespace"]).first()
    review.require_asker(asker, subject, held)
    result = {
        "cluster": cluster.slug,
        "namespace": data["namespace"],
        "subject": {"kind": subject.kind, "name": subject.label, "user": subject.user, "groups": list(subject.groups)},
        "rules": review.rules(cluster, subject, data["namespace"]),
        "can": None,
    }
    if data.get("verb"):
        result["can"] = {
            "verb": data["verb"],
            "resource": data["resource"],
            "group": data.get("group", ""),
            **review.can(
                cluster,
                subject,
                data["namespace"],
                verb=data["verb"],
                resource=data["resource"],
                group=data.get("group", ""),
                subresource=data.get("subresource", ""),
                name=data.get("resource_name", ""),
            ),
        }
    return result
