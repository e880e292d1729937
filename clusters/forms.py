from django import forms
from django.utils.translation import gettext_lazy as _

from clusters.models import Cluster, Host, SSHCredential
from portal.forms import PortalModelForm, SecretField


class ClusterForm(PortalModelForm):
    kubeconfig = SecretField(
        textarea=True,
        max_length=256 * 1024,
        label=_("Kubeconfig"),
        help_text=_("Paste a kubeconfig. On an existing cluster, leave empty to keep the stored credentials."),
    )
    kubeconfig_file = forms.FileField(required=False, label=_("Or upload a kubeconfig file"))
    context = forms.CharField(
        required=False,
        max_length=253,
        label=_("Context"),
        help_text=_("Leave empty to use the kubeconfig's current context."),
    )

    class Meta:
        model = Cluster
        fields = ["name", "slug", "description", "desired_version", "health_checks_enabled"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def clean(self):
        data = super().clean()
        upload = data.get("kubeconfig_file")
        if upload:
            if upload.size > 256 * 1024:
                self.add_error("kubeconfig_file", _("The file is larger than 256 KiB."))
            else:
                try:
                    data["kubeconfig"] = upload.read().decode()
                except UnicodeDecodeError:
                    self.add_error("kubeconfig_file", _("The file is not text."))
        return data


class SSHCredentialForm(PortalModelForm):
    private_key = SecretField(textarea=True, max_length=16 * 1024, label=_("Private key"))
    passphrase = SecretField(max_length=1024, label=_("Passphrase"))
    password = SecretField(max_length=1024, label=_("Password"))

    class Meta:
        model = SSHCredential
        fields = ["name", "kind"]
        help_texts = {"kind": _("A private key (with an optional passphrase) or a password.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in ("private_key", "passphrase", "password"):
                self.fields[name].help_text = _("Stored and never shown. Leave empty to keep it.")


class HostForm(PortalModelForm):
    class Meta:
        model = Host
        fields = ["name", "address", "port", "username", "sudo_mode", "credential", "cluster", "role"]
        labels = {"cluster": _("Cluster")}
