from django import forms
from django.utils.translation import gettext_lazy as _

from hosts.models import Host, SSHCredential
from hosts.preflight import DEFAULT_POD_CIDR, DEFAULT_SERVICE_CIDR
from portal.forms import PortalModelForm, SecretField
from portal.labels import format_labels, parse_labels


class SSHCredentialForm(PortalModelForm):
    private_key = SecretField(textarea=True, max_length=16 * 1024, label=_("Private key"))
    passphrase = SecretField(max_length=1024, label=_("Passphrase"))
    password = SecretField(
        max_length=1024,
        label=_("Password"),
        help_text=_("The login password; with a private key, the password sudo asks for, if it asks."),
    )

    class Meta:
        model = SSHCredential
        fields = ["name", "kind"]
        help_texts = {"kind": _("A private key (with an optional passphrase) or a password.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in ("private_key", "passphrase", "password"):
                self.fields[name].help_text = " ".join(
                    str(text)
                    for text in (self.fields[name].help_text, _("Stored and never shown. Leave empty to keep it."))
                    if text
                )


class HostForm(PortalModelForm):
    labels = forms.CharField(
        label=_("Labels"),
        required=False,
        max_length=4000,
        help_text=_("key=value pairs separated by commas, e.g. zone=a, disk=ssd."),
    )

    class Meta:
        model = Host
        fields = ["name", "address", "port", "username", "sudo_mode", "credential", "labels", "cluster", "role"]
        labels = {"cluster": _("Cluster")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["labels"] = format_labels(self.instance.labels)

    def clean_labels(self):
        return parse_labels(self.cleaned_data.get("labels", ""))


class _HostChoices(forms.ModelMultipleChoiceField):
    """Hosts picked by checkbox, submitted by name."""

    def __init__(self, label):
        super().__init__(
            queryset=Host.objects.none(),
            to_field_name="name",
            required=False,
            widget=forms.CheckboxSelectMultiple,
            label=label,
        )

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.address})"


class PreflightForm(forms.Form):
    """A planned cluster: which hosts in which role, and its address ranges."""

    control_plane = _HostChoices(_("Control-plane hosts"))
    workers = _HostChoices(_("Worker hosts"))
    pod_cidr = forms.CharField(
        label=_("Pod CIDR"),
        max_length=64,
        required=False,
        initial=DEFAULT_POD_CIDR,
        help_text=_("Empty: 10.244.0.0/16."),
    )
    service_cidr = forms.CharField(
        label=_("Service CIDR"),
        max_length=64,
        required=False,
        initial=DEFAULT_SERVICE_CIDR,
        help_text=_("Empty: 10.96.0.0/12."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("control_plane", "workers"):
            self.fields[name].queryset = Host.objects.order_by("name")
