from django import forms
from django.utils.translation import gettext_lazy as _

from clusters.models import Cluster
from clusters.services.nodes import TAINT_EFFECTS
from portal.forms import PortalModelForm, SecretField

MAX_KUBECONFIG_BYTES = 256 * 1024


class KubeconfigFieldsMixin:
    """A kubeconfig pasted or uploaded, and the context to use: an uploaded file
    wins over the text area. Never rendered back."""

    def add_kubeconfig_fields(self, *, required: bool):
        self.fields["kubeconfig"] = SecretField(
            textarea=True,
            max_length=MAX_KUBECONFIG_BYTES,
            label=_("Kubeconfig"),
            help_text=_("Paste a kubeconfig, or upload the file below. It is checked against the cluster first."),
        )
        self.fields["kubeconfig_file"] = forms.FileField(required=False, label=_("Or upload a kubeconfig file"))
        self.fields["context"] = forms.CharField(
            required=False,
            max_length=253,
            label=_("Context"),
            help_text=_("Leave empty to use the kubeconfig's current context."),
        )
        self._kubeconfig_required = required

    def clean_kubeconfig_text(self, data):
        upload = data.get("kubeconfig_file")
        if upload:
            if upload.size > MAX_KUBECONFIG_BYTES:
                self.add_error("kubeconfig_file", _("The file is larger than 256 KiB."))
            else:
                try:
                    data["kubeconfig"] = upload.read().decode()
                except UnicodeDecodeError:
                    self.add_error("kubeconfig_file", _("The file is not text."))
        if (
            self._kubeconfig_required
            and not (data.get("kubeconfig") or "").strip()
            and "kubeconfig_file" not in self.errors
        ):
            self.add_error("kubeconfig", _("Paste a kubeconfig or upload one."))
        return data


class ClusterImportForm(KubeconfigFieldsMixin, PortalModelForm):
    """Import an existing cluster: its record and a kubeconfig that must work."""

    class Meta:
        model = Cluster
        fields = ["name", "slug", "description", "health_checks_enabled"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_kubeconfig_fields(required=True)

    def clean(self):
        return self.clean_kubeconfig_text(super().clean())


class ClusterEditForm(PortalModelForm):
    """The record only; credentials are replaced on their own page, after a check."""

    class Meta:
        model = Cluster
        fields = ["name", "slug", "description", "desired_version", "health_checks_enabled"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class CredentialRotateForm(KubeconfigFieldsMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_kubeconfig_fields(required=True)

    def clean(self):
        return self.clean_kubeconfig_text(super().clean())


class NodeLabelsForm(forms.Form):
    labels = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        label=_("Labels"),
        help_text=_("One key=value per line. Removed lines delete the label."),
    )

    def clean_labels(self):
        labels = {}
        for number, line in enumerate(self.cleaned_data["labels"].splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            key, sep, value = line.partition("=")
            if not sep or not key.strip():
                raise forms.ValidationError(_("Line %(n)s: write key=value."), params={"n": number}, code="invalid")
            labels[key.strip()] = value.strip()
        return labels


class NodeTaintsForm(forms.Form):
    taints = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
        label=_("Taints"),
        help_text=_(
            "One key=value:Effect per line (the value may be empty); effects: NoSchedule, PreferNoSchedule, NoExecute."
        ),
    )

    def clean_taints(self):
        taints = []
        for number, line in enumerate(self.cleaned_data["taints"].splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            rest, sep, effect = line.rpartition(":")
            key, _eq, value = rest.partition("=")
            if not sep or not key.strip() or effect.strip() not in TAINT_EFFECTS:
                raise forms.ValidationError(
                    _("Line %(n)s: write key=value:Effect with an effect of %(effects)s."),
                    params={"n": number, "effects": ", ".join(TAINT_EFFECTS)},
                    code="invalid",
                )
            taints.append({"key": key.strip(), "value": value.strip(), "effect": effect.strip()})
        return taints


class NodeDrainForm(forms.Form):
    timeout_seconds = forms.IntegerField(min_value=10, max_value=3600, initial=300, label=_("Give up after (seconds)"))
